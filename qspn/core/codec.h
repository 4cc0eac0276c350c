/* codec.h - versioned, bounds-checked binary encoding of the QSPN messages.
 * Byte layout: docs/wire-format.md (spec §7). */
#ifndef QSPN_CORE_CODEC_H
#define QSPN_CORE_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ntkaddr.h"
#include "qspn.h"

#define QSPN_WIRE_VERSION 1
#define QSPN_FRAME_HEADER 12

typedef enum {
    QSPN_MSG_GET_FULL_ETP_REQ = 0x01,
    QSPN_MSG_GET_FULL_ETP_REP = 0x02,
    QSPN_MSG_ERROR = 0x03,
    QSPN_MSG_SEND_ETP = 0x04,
    QSPN_MSG_SEND_ETP_ACK = 0x05,
    QSPN_MSG_PREPARE_DESTROY = 0x06,
    QSPN_MSG_DESTROY = 0x07,
} qspn_msg_type;

typedef enum {
    QSPN_ERRCODE_NOT_ACCEPTED = 1,
    QSPN_ERRCODE_BOOTSTRAP_IN_PROGRESS = 2,
    QSPN_ERRCODE_MALFORMED = 3,
    QSPN_ERRCODE_VERSION = 4,
} qspn_error_code;

/* Result of decoding. */
typedef enum {
    QSPN_DECODE_OK = 0,
    QSPN_DECODE_TRUNCATED,     /* fewer bytes than the header or a field needs */
    QSPN_DECODE_BAD_MAGIC,
    QSPN_DECODE_BAD_VERSION,   /* reply ERROR VERSION, do not remove the arc */
    QSPN_DECODE_BAD_HEADER,    /* type, flags, levels, reserved or length */
    QSPN_DECODE_BAD_TLV,       /* unknown critical TLV, missing/duplicate TLV, wrong length */
    QSPN_DECODE_BAD_VALUE,     /* a value check of spec §7.6 rule 3 failed */
    QSPN_DECODE_TOO_LARGE,     /* a count or the frame exceeds a limit */
    QSPN_DECODE_NOMEM,
} qspn_decode_status;

const char *qspn_decode_status_name(qspn_decode_status s);

/* A path advertised in an ETP (spec §3.1), also the stored form (spec §2.3). */
typedef struct {
    int n_hops;
    qspn_hop *hops;            /* heap, n_hops entries */
    uint32_t cost;
    uint32_t nodes_inside;
    uint32_t ignore_outside;   /* bit i = ignore outside my level-i g-node */
    qspn_fp fp;
} qspn_etp_path;

typedef struct {
    ntk_naddr sender;
    qspn_fp fps[QSPN_MAX_LEVELS + 1];      /* levels+1 entries */
    uint32_t nodes_inside[QSPN_MAX_LEVELS + 1];
    int n_route;
    ntk_hcoord route[QSPN_MAX_ROUTE];
    int n_paths;
    qspn_etp_path *paths;      /* heap */
} qspn_etp;

typedef struct {
    qspn_msg_type type;
    bool is_full;              /* SEND_ETP only */
    ntk_naddr naddr;           /* GET_FULL_ETP_REQ */
    qspn_etp etp;              /* GET_FULL_ETP_REP, SEND_ETP */
    uint8_t code;              /* ERROR, SEND_ETP_ACK */
    uint64_t wave_id;          /* PREPARE_DESTROY */
} qspn_msg;

/* Growable output buffer. */
typedef struct {
    uint8_t *data;
    size_t len;
    size_t cap;
    bool failed;               /* allocation failure or a value outside the format */
} qspn_buf;

void qspn_buf_free(qspn_buf *b);

void qspn_etp_path_free(qspn_etp_path *p);
bool qspn_etp_path_copy(qspn_etp_path *dst, const qspn_etp_path *src);
void qspn_etp_free(qspn_etp *e);
void qspn_msg_free(qspn_msg *m);

/* Encoders: append one complete frame to out (out->len is reset first).
 * Return false when a value cannot be represented (e.g. pos > 0xFFFE). */
bool qspn_encode_msg(const ntk_topology *t, const qspn_msg *msg, qspn_buf *out);

/* Decode one frame. The topology gives l and gsize(i), checked against the
 * frame (spec §7.6 rule 1 and SENDER.gsize). On success *out owns heap data;
 * free it with qspn_msg_free. On failure *out holds nothing to free. */
qspn_decode_status qspn_decode_msg(const ntk_topology *t, const uint8_t *buf, size_t len,
                                   qspn_msg *out);

/* Structural checks of an ETP shared by the decoder and the manager's
 * outgoing assertion (spec §3.3 plus the C additions). */
bool qspn_etp_is_well_formed(const ntk_topology *t, const qspn_etp *e);

#endif
