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

/* Who may keep an incoming stream (asked on accept and on every read). */
typedef enum {
    TL_REFUSE = 0,                     /* not a link-local of a managed interface: close */
    TL_STRANGER,                       /* link-local, but not a neighbour (yet): small buffer */
    TL_NEIGHBOUR,                      /* a neighbour: messages up to NMSG_MAX_BODY */
} tl_admission;

/* Incoming streams: at most TL_IN_MAX at once; a new one beyond that
 * replaces the oldest stream of a stranger, or is closed when all are
 * neighbours'.  A stranger may have at most TL_STRANGER_BUF bytes of an
 * unfinished message buffered. */
#define TL_IN_MAX 64
#define TL_STRANGER_BUF (64u * 1024u)

typedef struct {
    /* May the stream from peer_ip to our local_ip (host order) be kept? */
    tl_admission (*admit)(void *user, uint32_t peer_ip, uint32_t local_ip);
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
    uint64_t refused;                  /* incoming streams closed at once: source not admitted */
    uint64_t evicted;                  /* a stranger's stream closed for a newer one (TL_IN_MAX) */
    uint64_t stranger_overflow;        /* a stranger's stream closed: more than TL_STRANGER_BUF */
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
