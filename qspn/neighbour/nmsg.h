/* nmsg.h - the messages qspnd daemons exchange (docs/neighbour-protocol.md).
 *
 * One format for every message between neighbour daemons:
 *   - over UDP (broadcast on one NIC, port 60269): HELLO, the neighbourhood's
 *     discovery and keep-alive message;
 *   - over TCP (one connection per physical arc and direction, between the two
 *     link-locals, port 60269): the Identities requests and the QSPN frames
 *     addressed from one identity to another.
 *
 * Pure C: no allocation, no syscalls.  The decoder is a single-pass cursor that
 * checks the remaining length before every read; it never reads outside
 * [buf, buf+len) and every violation has its own status (counted by the
 * daemon, never acted upon).  QSPN frames are carried as opaque bytes (their
 * own codec is qspn/core/codec.c).
 */
#ifndef QSPN_NMSG_H
#define QSPN_NMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NMSG_PORT 60269
#define NMSG_HDR_LEN 20
#define NMSG_VERSION 0x10              /* major 1, minor 0 */
#define NMSG_UDP_MAX 1400              /* whole datagram */
#define NMSG_MAX_BODY (4u * 1024u * 1024u + 64u)   /* a QSPN frame + addressing */
#define NMSG_MAX_HEARD 64
#define NMSG_ID_MAX 0x7FFFFFFEu        /* NNIDs and NodeIDs: 1 .. 2^31-2 */

typedef enum {
    NMSG_HELLO = 0x01,                 /* UDP broadcast, every node */
    NMSG_GET_PEER_MAIN_ID = 0x10,      /* TCP, whole node, request */
    NMSG_MATCH_DUPLICATION = 0x11,     /* TCP, whole node, request */
    NMSG_NOTIFY_IDARC_REMOVED = 0x12,  /* TCP, whole node, request */
    NMSG_GET_PEER_IDENTITIES = 0x13,   /* TCP, whole node, request */
    NMSG_QSPN = 0x20,                  /* TCP, identity to identity, one-way or request */
    NMSG_REPLY = 0xF0,                 /* TCP, answer to a request (flag IS_REPLY) */
} nmsg_type;

#define NMSG_F_WANT_REPLY 0x01
#define NMSG_F_IS_REPLY 0x02
#define NMSG_F_KNOWN (NMSG_F_WANT_REPLY | NMSG_F_IS_REPLY)

/* Addressing kinds (the first bytes of the body of every request). */
typedef enum {
    NMSG_SRC_NODE = 1,                 /* src_id = sender's NNID */
    NMSG_SRC_IDENTITY = 2,             /* src_id = sender identity's NodeID */
} nmsg_src_kind;

typedef enum {
    NMSG_DST_EVERY_NODE = 0,           /* UDP broadcast to every node (HELLO) */
    NMSG_DST_NODE_VIA_ARC = 1,         /* TCP: the node at the other end of the arc */
    NMSG_DST_IDENTITY = 3,             /* TCP: dst_id = receiving identity's NodeID */
} nmsg_dst_kind;

/* Reply status. */
typedef enum {
    NMSG_ST_OK = 0,
    NMSG_ST_NO_DISPATCHER = 3,         /* unknown arc / identity / not for me */
    NMSG_ST_MALFORMED = 4,
    NMSG_ST_UNKNOWN_TYPE = 5,
    NMSG_ST_GENERIC = 255,
} nmsg_status;

typedef enum {
    NMSG_OK = 0,
    NMSG_E_SHORT,          /* fewer bytes than a header / than the body needs */
    NMSG_E_MAGIC,
    NMSG_E_VERSION,        /* another major version */
    NMSG_E_FLAGS,          /* reserved flag bits, or a flag not allowed for the type */
    NMSG_E_RESERVED,       /* reserved header bytes not zero */
    NMSG_E_LENGTH,         /* body_len inconsistent with the datagram / too large */
    NMSG_E_TYPE,           /* unknown message type */
    NMSG_E_ADDRESSING,     /* bad src/dst kind, or a combination the type does not allow */
    NMSG_E_VALUE,          /* id 0 or too large, MAC multicast/zero, link-local outside 169.254/16 */
    NMSG_E_TRAILING,       /* bytes left after the payload */
    NMSG_E__COUNT
} nmsg_result;

typedef struct {
    uint8_t b[6];
} nmsg_mac;

/* One neighbour the sender of a HELLO hears on that medium. */
typedef struct {
    uint32_t nnid;
    nmsg_mac mac;
    uint32_t echo_ts_us;               /* that neighbour's ts_us of its last HELLO heard */
    uint32_t hold_us;                  /* microseconds since it was heard */
} nmsg_heard;

typedef struct {
    nmsg_mac mac;                      /* sender's MAC on this medium */
    uint32_t ll;                       /* sender's link-local (host order) */
    uint32_t ts_us;                    /* sender's clock (wraps), echoed for RTT */
    uint16_t hello_ms;                 /* sender's hello interval */
    uint16_t dead_ms;                  /* after this much silence the sender is dead */
    bool bye;                          /* the sender is leaving: forget it now */
    uint8_t n_heard;
    nmsg_heard heard[NMSG_MAX_HEARD];
} nmsg_hello;

typedef struct {
    uint32_t migration_id;
    uint32_t peer_id;                  /* the receiver's identity (b_j) */
    uint32_t old_id, new_id;           /* the sender's old and new identity */
    nmsg_mac old_id_new_mac;           /* the old identity's new pseudo-interface */
    uint32_t old_id_new_ll;
} nmsg_match;

typedef struct {
    bool present;                      /* false: the peer did not migrate (null) */
    uint32_t peer_new_id;
    nmsg_mac peer_old_id_new_mac;
    uint32_t peer_old_id_new_ll;
} nmsg_dupdata;

/* One identity of the answering system (GET_PEER_IDENTITIES): what the asker
 * needs to decide which identity-arcs form (UseCases18: a main identity forms
 * one with any identity; a connectivity identity only with identities of its
 * own g-node of level conn_to). */
#define NMSG_MAX_IDENTITIES 16
#define NMSG_MAX_LEVELS 22             /* = NTK_MAX_LEVELS */
typedef struct {
    uint32_t nodeid;
    uint8_t conn_to;                   /* 0: the main identity; else 1 .. levels */
    nmsg_mac mac;                      /* its interface on the medium asked on */
    uint32_t ll;                       /* its link-local there (host order) */
    uint8_t levels;                    /* 1 .. NMSG_MAX_LEVELS */
    uint16_t pos[NMSG_MAX_LEVELS];     /* its Netsukuku address, level 0 first */
} nmsg_identity_info;

typedef struct {
    uint8_t type;                      /* nmsg_type */
    uint8_t flags;
    uint32_t request_id;               /* non-zero on requests and replies */
    uint32_t sender_nnid;
    /* addressing (requests only) */
    uint8_t src_kind, dst_kind;
    uint32_t src_id, dst_id;
    union {
        nmsg_hello hello;
        nmsg_match match;
        struct {
            uint32_t sender_identity, receiver_identity;
        } notify;
        struct {
            const uint8_t *frame;      /* points into the decoded buffer */
            uint32_t len;
        } qspn;
        struct {
            uint8_t status;            /* nmsg_status */
            uint8_t req_type;          /* the type of the request answered */
            uint32_t main_id;          /* GET_PEER_MAIN_ID */
            nmsg_dupdata dup;          /* MATCH_DUPLICATION */
            uint8_t n_identities;      /* GET_PEER_IDENTITIES: 1 .. NMSG_MAX_IDENTITIES */
            nmsg_identity_info identities[NMSG_MAX_IDENTITIES];
            const uint8_t *frame;      /* QSPN: the answer frame (may be empty on error) */
            uint32_t len;
        } reply;
    } u;
} nmsg;

/* ---- encoding: a growable output buffer ---------------------------------- */
typedef struct {
    uint8_t *data;
    size_t len, cap;
} nmsg_buf;

void nmsg_buf_free(nmsg_buf *b);

/* Each encoder appends one whole message (header included) to out. */
void nmsg_encode_hello(nmsg_buf *out, uint32_t sender_nnid, const nmsg_hello *h);
void nmsg_encode_get_peer_main_id(nmsg_buf *out, uint32_t sender_nnid, uint32_t request_id);
void nmsg_encode_match(nmsg_buf *out, uint32_t sender_nnid, uint32_t request_id, const nmsg_match *m);
void nmsg_encode_get_peer_identities(nmsg_buf *out, uint32_t sender_nnid, uint32_t request_id);
void nmsg_encode_notify(nmsg_buf *out, uint32_t sender_nnid, uint32_t request_id,
                        uint32_t sender_identity, uint32_t receiver_identity);
/* request_id 0: one-way frame; otherwise a request (WANT_REPLY). */
void nmsg_encode_qspn(nmsg_buf *out, uint32_t sender_nnid, uint32_t request_id, uint32_t src_identity,
                      uint32_t dst_identity, const uint8_t *frame, size_t len);
/* Replies. */
void nmsg_encode_reply_status(nmsg_buf *out, uint32_t sender_nnid, uint32_t request_id,
                              uint8_t req_type, uint8_t status);
void nmsg_encode_reply_main_id(nmsg_buf *out, uint32_t sender_nnid, uint32_t request_id, uint32_t main_id);
void nmsg_encode_reply_match(nmsg_buf *out, uint32_t sender_nnid, uint32_t request_id,
                             const nmsg_dupdata *d);
/* n: 1 .. NMSG_MAX_IDENTITIES (the caller bounds it). */
void nmsg_encode_reply_identities(nmsg_buf *out, uint32_t sender_nnid, uint32_t request_id,
                                  const nmsg_identity_info *ids, int n);
void nmsg_encode_reply_qspn(nmsg_buf *out, uint32_t sender_nnid, uint32_t request_id,
                            const uint8_t *frame, size_t len);

/* ---- decoding -------------------------------------------------------------- */

/* Parse just the header (first NMSG_HDR_LEN bytes): for the TCP reader, which
 * needs body_len before the body has arrived. */
nmsg_result nmsg_decode_header(const uint8_t *buf, size_t len, uint8_t *type, uint32_t *body_len);

/* Decode one whole message of exactly len bytes.  udp: the datagram rules
 * (only HELLO, at most NMSG_UDP_MAX bytes); otherwise the TCP rules (every type
 * but HELLO).  On success the pointers in out refer to buf. */
nmsg_result nmsg_decode(const uint8_t *buf, size_t len, bool udp, nmsg *out);

/* The same for a message that ends with an authentication trailer of
 * trailer_len bytes (nauth.h), counted in the header's body length: the
 * payload rules apply to the bytes before it.  The caller has verified the
 * trailer; nmsg_decode() is nmsg_decode_sealed(..., 0, ...). */
nmsg_result nmsg_decode_sealed(const uint8_t *buf, size_t len, bool udp, size_t trailer_len, nmsg *out);

const char *nmsg_result_name(nmsg_result r);
const char *nmsg_type_name(uint8_t type);

/* ---- small helpers ----------------------------------------------------------- */
bool nmsg_mac_parse(const char *text, nmsg_mac *out);     /* "00:16:3E:FD:E2:AA" (any case) */
void nmsg_mac_format(const nmsg_mac *m, char *buf, size_t len); /* upper case */
bool nmsg_mac_equal(const nmsg_mac *a, const nmsg_mac *b);
bool nmsg_mac_valid(const nmsg_mac *m);                  /* not zero, not multicast */
bool nmsg_ll_valid(uint32_t ll);                          /* inside 169.254.0.0/16 */

#endif
