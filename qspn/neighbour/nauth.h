/* nauth.h - optional pre-shared-key authentication of the messages between
 * daemons (docs/neighbour-protocol.md, "Authentication").
 *
 * With a key, every message (UDP HELLO and every TCP message) ends with a
 * 40-byte trailer counted in the header's body length:
 *
 *     u64 seq          the sender's sequence number, big-endian
 *     u8  hmac[32]     HMAC-SHA256(key, every byte before hmac: header,
 *                      payload and seq)
 *
 * The sender's seq is one counter for all its messages, started from the
 * wall-clock microseconds at start-up, so a restarted daemon continues
 * upwards.  The receiver keeps, per sender and path, a window of the last
 * NAUTH_WINDOW sequence numbers (as IPsec's anti-replay window): a sequence
 * already accepted, or older than the window, is a replay.
 *
 * Pure except for GLib's GHmac: no I/O, no global state. */
#ifndef QSPN_NAUTH_H
#define QSPN_NAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nmsg.h"

#define NAUTH_SEQ_LEN 8
#define NAUTH_HMAC_LEN 32
#define NAUTH_TRAILER_LEN (NAUTH_SEQ_LEN + NAUTH_HMAC_LEN)
#define NAUTH_KEY_MIN 16               /* bytes: 128 bits at least */
#define NAUTH_KEY_MAX 1024
#define NAUTH_WINDOW 64                /* sequence numbers remembered below the highest */

typedef struct {
    size_t len;                        /* NAUTH_KEY_MIN .. NAUTH_KEY_MAX */
    uint8_t bytes[NAUTH_KEY_MAX];
} nauth_key;

typedef enum {
    NAUTH_OK = 0,
    NAUTH_MISSING,     /* no trailer: too short for one, or a valid message without it */
    NAUTH_BAD,         /* a trailer whose HMAC does not match (forged, tampered, other key) */
    NAUTH_REPLAY,      /* authentic, but its sequence number was accepted or is too old */
    NAUTH__COUNT
} nauth_result;

/* Anti-replay state of one sender on one path. */
typedef struct {
    bool started;
    uint64_t top;                      /* highest sequence number accepted */
    uint64_t seen;                     /* bit i: top - i was accepted (i < NAUTH_WINDOW) */
} nauth_window;

/* False (key untouched) unless NAUTH_KEY_MIN <= len <= NAUTH_KEY_MAX. */
bool nauth_key_set(nauth_key *k, const uint8_t *bytes, size_t len);

/* msg holds exactly one whole message (header + body, as the nmsg encoders
 * make it): append the trailer with seq and patch the body length.  False
 * (msg untouched) if msg is not one consistent message or the sealed body
 * would exceed NMSG_MAX_BODY. */
bool nauth_seal(const nauth_key *k, uint64_t seq, nmsg_buf *msg);

/* Check the trailer of the whole message buf[0, len) (udp: the datagram
 * rules, to tell MISSING from BAD).  NAUTH_OK sets *seq; then decode with
 * nmsg_decode_sealed(buf, len, udp, NAUTH_TRAILER_LEN, ...) and check *seq
 * with the sender's window.  The HMAC is compared in constant time. */
nauth_result nauth_verify(const nauth_key *k, const uint8_t *buf, size_t len, bool udp, uint64_t *seq);

/* NAUTH_OK and seq recorded, or NAUTH_REPLAY (w unchanged). */
nauth_result nauth_window_accept(nauth_window *w, uint64_t seq);

const char *nauth_result_name(nauth_result r);

#endif
