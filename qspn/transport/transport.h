/* transport.h - the sockets between neighbour daemons (thin shell, glib main
 * loop): one UDP socket per managed NIC for HELLOs (broadcast, port 60269,
 * bound to the device), and framed TCP streams between link-locals for
 * everything else (docs/wire-format.md part 2).
 *
 * TCP: each daemon sends on its own outgoing connection to a peer's
 * link-local and reads what the peer sends on the connections the peer
 * opened, so there is no connection race; messages to one peer keep their
 * order.  A stream is framed by the 20-byte nmsg header (its body length); a
 * stream whose header is malformed is closed and counted. */
#ifndef QSPN_TRANSPORT_H
#define QSPN_TRANSPORT_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- UDP: HELLOs on one NIC --------------------------------------------------- */
typedef struct udp_nic udp_nic;

/* A datagram from src_ip arrived on the NIC. */
typedef void (*udp_rx_fn)(void *user, int nic, uint32_t src_ip, const uint8_t *data, size_t len);

/* Bind 0.0.0.0:port on dev (SO_BINDTODEVICE, SO_BROADCAST, SO_REUSEADDR) in
 * the caller's namespace.  NULL with a message on failure. */
udp_nic *udp_nic_open(const char *dev, int nic, uint16_t port, udp_rx_fn fn, void *user, char *err,
                      size_t errlen);
/* Broadcast on the NIC with source address src_ip.  False on error. */
bool udp_nic_broadcast(udp_nic *u, uint32_t src_ip, const uint8_t *data, size_t len);
void udp_nic_close(udp_nic *u);

/* ---- TCP: framed streams between link-locals ------------------------------------- */
typedef struct tl_hub tl_hub;

typedef struct {
    /* One whole message (header + body) from peer_ip. */
    void (*frame)(void *user, uint32_t peer_ip, const uint8_t *msg, size_t len);
    /* The outgoing stream to peer_ip broke or could not connect: what was queued is lost. */
    void (*down)(void *user, uint32_t peer_ip);
    /* A stream from peer_ip was closed because it was malformed. */
    void (*bad)(void *user, uint32_t peer_ip, const char *why);
} tl_callbacks;

typedef struct {
    uint64_t frames_in, frames_out, bytes_in, bytes_out;
    uint64_t connects, connect_failures, streams_closed_bad, accepted;
} tl_stats;

tl_hub *tl_hub_new(uint16_t port, const tl_callbacks *cb, void *user, char *err, size_t errlen);
void tl_hub_free(tl_hub *h);
/* Queue one message to peer_ip:port, connecting from local_ip on dev if needed. */
void tl_send(tl_hub *h, uint32_t peer_ip, uint32_t local_ip, const char *dev, const uint8_t *msg,
             size_t len);
/* Close every stream to and from peer_ip (its arc is gone); no `down` callback. */
void tl_forget(tl_hub *h, uint32_t peer_ip);
const tl_stats *tl_get_stats(const tl_hub *h);

#endif
