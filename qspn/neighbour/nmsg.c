/* nmsg.c - encoder and bounded decoder of the daemon-to-daemon messages.
 * Layout: docs/neighbour-protocol.md.  All integers big-endian. */
#include "nmsg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- output buffer ------------------------------------------------------ */

void nmsg_buf_free(nmsg_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static uint8_t *room(nmsg_buf *b, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *d = realloc(b->data, cap);
        if (!d)
            abort();
        b->data = d;
        b->cap = cap;
    }
    uint8_t *p = b->data + b->len;
    b->len += n;
    return p;
}

static void put8(nmsg_buf *b, uint8_t v)
{
    *room(b, 1) = v;
}

static void put16(nmsg_buf *b, uint16_t v)
{
    uint8_t *p = room(b, 2);
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(nmsg_buf *b, uint32_t v)
{
    uint8_t *p = room(b, 4);
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void putmac(nmsg_buf *b, const nmsg_mac *m)
{
    memcpy(room(b, 6), m->b, 6);
}

static void putbytes(nmsg_buf *b, const uint8_t *p, size_t n)
{
    if (n)
        memcpy(room(b, n), p, n);
}

/* Writes the header with a body length to be patched by finish(). */
static size_t begin(nmsg_buf *b, uint8_t type, uint8_t flags, uint32_t request_id, uint32_t nnid)
{
    size_t start = b->len;
    put8(b, 'N');
    put8(b, 'K');
    put8(b, NMSG_VERSION);
    put8(b, type);
    put8(b, flags);
    put8(b, 0);
    put16(b, 0);
    put32(b, request_id);
    put32(b, nnid);
    put32(b, 0);
    return start;
}

static void finish(nmsg_buf *b, size_t start)
{
    uint32_t body = (uint32_t)(b->len - start - NMSG_HDR_LEN);
    uint8_t *p = b->data + start + 16;
    p[0] = (uint8_t)(body >> 24);
    p[1] = (uint8_t)(body >> 16);
    p[2] = (uint8_t)(body >> 8);
    p[3] = (uint8_t)body;
}

static void put_node_addressing(nmsg_buf *b, uint32_t nnid, uint8_t dst_kind)
{
    put8(b, NMSG_SRC_NODE);
    put32(b, nnid);
    put8(b, dst_kind);
}

void nmsg_encode_hello(nmsg_buf *out, uint32_t sender_nnid, const nmsg_hello *h)
{
    size_t s = begin(out, NMSG_HELLO, 0, 0, sender_nnid);
    put_node_addressing(out, sender_nnid, NMSG_DST_EVERY_NODE);
    putmac(out, &h->mac);
    put32(out, h->ll);
    put32(out, h->ts_us);
    put16(out, h->hello_ms);
    put16(out, h->dead_ms);
    put8(out, h->bye ? 1 : 0);
    uint8_t n = h->n_heard > NMSG_MAX_HEARD ? NMSG_MAX_HEARD : h->n_heard;
    put8(out, n);
    for (int i = 0; i < n; i++) {
        put32(out, h->heard[i].nnid);
        putmac(out, &h->heard[i].mac);
        put32(out, h->heard[i].echo_ts_us);
        put32(out, h->heard[i].hold_us);
    }
    finish(out, s);
}

void nmsg_encode_get_peer_main_id(nmsg_buf *out, uint32_t sender_nnid, uint32_t request_id)
{
    size_t s = begin(out, NMSG_GET_PEER_MAIN_ID, NMSG_F_WANT_REPLY, request_id, sender_nnid);
    put_node_addressing(out, sender_nnid, NMSG_DST_NODE_VIA_ARC);
    finish(out, s);
}

void nmsg_encode_match(nmsg_buf *out, uint32_t sender_nnid, uint32_t request_id, const nmsg_match *m)
{
    size_t s = begin(out, NMSG_MATCH_DUPLICATION, NMSG_F_WANT_REPLY, request_id, sender_nnid);
    put_node_addressing(out, sender_nnid, NMSG_DST_NODE_VIA_ARC);
    put32(out, m->migration_id);
    put32(out, m->peer_id);
    put32(out, m->old_id);
    put32(out, m->new_id);
    putmac(out, &m->old_id_new_mac);
    put32(out, m->old_id_new_ll);
    finish(out, s);
}

void nmsg_encode_get_peer_identities(nmsg_buf *out, uint32_t sender_nnid, uint32_t request_id)
{
    size_t s = begin(out, NMSG_GET_PEER_IDENTITIES, NMSG_F_WANT_REPLY, request_id, sender_nnid);
    put_node_addressing(out, sender_nnid, NMSG_DST_NODE_VIA_ARC);
    finish(out, s);
}

void nmsg_encode_notify(nmsg_buf *out, uint32_t sender_nnid, uint32_t request_id,
                        uint32_t sender_identity, uint32_t receiver_identity)
{
    size_t s = begin(out, NMSG_NOTIFY_IDARC_REMOVED, NMSG_F_WANT_REPLY, request_id, sender_nnid);
    put_node_addressing(out, sender_nnid, NMSG_DST_NODE_VIA_ARC);
    put32(out, sender_identity);
    put32(out, receiver_identity);
    finish(out, s);
}

void nmsg_encode_qspn(nmsg_buf *out, uint32_t sender_nnid, uint32_t request_id, uint32_t src_identity,
                      uint32_t dst_identity, const uint8_t *frame, size_t len)
{
    size_t s = begin(out, NMSG_QSPN, request_id ? NMSG_F_WANT_REPLY : 0, request_id, sender_nnid);
    put8(out, NMSG_SRC_IDENTITY);
    put32(out, src_identity);
    put8(out, NMSG_DST_IDENTITY);
    put32(out, dst_identity);
    putbytes(out, frame, len);
    finish(out, s);
}

static size_t begin_reply(nmsg_buf *out, uint32_t nnid, uint32_t request_id, uint8_t req_type, uint8_t status)
{
    size_t s = begin(out, NMSG_REPLY, NMSG_F_IS_REPLY, request_id, nnid);
    put8(out, status);
    put8(out, req_type);
    return s;
}

void nmsg_encode_reply_status(nmsg_buf *out, uint32_t sender_nnid, uint32_t request_id,
                              uint8_t req_type, uint8_t status)
{
    size_t s = begin_reply(out, sender_nnid, request_id, req_type, status);
    finish(out, s);
}

void nmsg_encode_reply_main_id(nmsg_buf *out, uint32_t sender_nnid, uint32_t request_id, uint32_t main_id)
{
    size_t s = begin_reply(out, sender_nnid, request_id, NMSG_GET_PEER_MAIN_ID, NMSG_ST_OK);
    put32(out, main_id);
    finish(out, s);
}

void nmsg_encode_reply_match(nmsg_buf *out, uint32_t sender_nnid, uint32_t request_id,
                             const nmsg_dupdata *d)
{
    size_t s = begin_reply(out, sender_nnid, request_id, NMSG_MATCH_DUPLICATION, NMSG_ST_OK);
    put8(out, d->present ? 1 : 0);
    if (d->present) {
        put32(out, d->peer_new_id);
        putmac(out, &d->peer_old_id_new_mac);
        put32(out, d->peer_old_id_new_ll);
    }
    finish(out, s);
}

/* n and every levels are the caller's to bound (1 .. NMSG_MAX_IDENTITIES,
 * 1 .. NMSG_MAX_LEVELS): out of range is a programming error, never clamped.
 * The contents (ids, conn_to, the one main identity) are written as given; the
 * decoder is the one that checks them. */
void nmsg_encode_reply_identities(nmsg_buf *out, uint32_t sender_nnid, uint32_t request_id,
                                  const nmsg_identity_info *ids, int n)
{
    if (n < 1 || n > NMSG_MAX_IDENTITIES)
        abort();
    size_t s = begin_reply(out, sender_nnid, request_id, NMSG_GET_PEER_IDENTITIES, NMSG_ST_OK);
    put8(out, (uint8_t)n);
    for (int i = 0; i < n; i++) {
        const nmsg_identity_info *x = &ids[i];
        if (x->levels < 1 || x->levels > NMSG_MAX_LEVELS)
            abort();
        put32(out, x->nodeid);
        put8(out, x->conn_to);
        putmac(out, &x->mac);
        put32(out, x->ll);
        put8(out, x->levels);
        for (int l = 0; l < x->levels; l++)
            put16(out, x->pos[l]);
    }
    finish(out, s);
}

void nmsg_encode_reply_qspn(nmsg_buf *out, uint32_t sender_nnid, uint32_t request_id,
                            const uint8_t *frame, size_t len)
{
    size_t s = begin_reply(out, sender_nnid, request_id, NMSG_QSPN, NMSG_ST_OK);
    putbytes(out, frame, len);
    finish(out, s);
}

/* ---- decoding ---------------------------------------------------------------- */

typedef struct {
    const uint8_t *p;
    size_t rem;
    bool short_read;
} cursor;

static uint8_t get8(cursor *c)
{
    if (c->rem < 1) {
        c->short_read = true;
        return 0;
    }
    c->rem--;
    return *c->p++;
}

static uint16_t get16(cursor *c)
{
    if (c->rem < 2) {
        c->short_read = true;
        c->rem = 0;
        return 0;
    }
    uint16_t v = (uint16_t)((c->p[0] << 8) | c->p[1]);
    c->p += 2;
    c->rem -= 2;
    return v;
}

static uint32_t get32(cursor *c)
{
    if (c->rem < 4) {
        c->short_read = true;
        c->rem = 0;
        return 0;
    }
    uint32_t v = ((uint32_t)c->p[0] << 24) | ((uint32_t)c->p[1] << 16) | ((uint32_t)c->p[2] << 8) | c->p[3];
    c->p += 4;
    c->rem -= 4;
    return v;
}

static void getmac(cursor *c, nmsg_mac *m)
{
    if (c->rem < 6) {
        c->short_read = true;
        c->rem = 0;
        memset(m, 0, sizeof *m);
        return;
    }
    memcpy(m->b, c->p, 6);
    c->p += 6;
    c->rem -= 6;
}

static bool id_valid(uint32_t id)
{
    return id >= 1 && id <= NMSG_ID_MAX;
}

bool nmsg_mac_valid(const nmsg_mac *m)
{
    static const uint8_t zero[6];
    return memcmp(m->b, zero, 6) != 0 && (m->b[0] & 1) == 0;
}

bool nmsg_ll_valid(uint32_t ll)
{
    return (ll >> 16) == 0xA9FEu;
}

static bool known_type(uint8_t t)
{
    return t == NMSG_HELLO || t == NMSG_GET_PEER_MAIN_ID || t == NMSG_MATCH_DUPLICATION ||
           t == NMSG_NOTIFY_IDARC_REMOVED || t == NMSG_GET_PEER_IDENTITIES || t == NMSG_QSPN ||
           t == NMSG_REPLY;
}

nmsg_result nmsg_decode_header(const uint8_t *buf, size_t len, uint8_t *type, uint32_t *body_len)
{
    if (len < NMSG_HDR_LEN)
        return NMSG_E_SHORT;
    if (buf[0] != 'N' || buf[1] != 'K')
        return NMSG_E_MAGIC;
    if ((buf[2] >> 4) != (NMSG_VERSION >> 4))
        return NMSG_E_VERSION;
    if (!known_type(buf[3]))
        return NMSG_E_TYPE;
    if (buf[4] & ~NMSG_F_KNOWN)
        return NMSG_E_FLAGS;
    if (buf[5] || buf[6] || buf[7])
        return NMSG_E_RESERVED;
    uint32_t bl = ((uint32_t)buf[16] << 24) | ((uint32_t)buf[17] << 16) | ((uint32_t)buf[18] << 8) | buf[19];
    if (bl > NMSG_MAX_BODY)
        return NMSG_E_LENGTH;
    *type = buf[3];
    *body_len = bl;
    return NMSG_OK;
}

/* Flags each type allows: HELLO none; requests WANT_REPLY; QSPN optional; REPLY IS_REPLY. */
static bool flags_ok(uint8_t type, uint8_t flags, uint32_t request_id)
{
    switch (type) {
    case NMSG_HELLO:
        return flags == 0 && request_id == 0;
    case NMSG_GET_PEER_MAIN_ID:
    case NMSG_MATCH_DUPLICATION:
    case NMSG_NOTIFY_IDARC_REMOVED:
    case NMSG_GET_PEER_IDENTITIES:
        return flags == NMSG_F_WANT_REPLY && request_id != 0;
    case NMSG_QSPN:
        return flags == 0 ? request_id == 0 : (flags == NMSG_F_WANT_REPLY && request_id != 0);
    case NMSG_REPLY:
        return flags == NMSG_F_IS_REPLY && request_id != 0;
    default:
        return false;
    }
}

static nmsg_result decode_addressing(cursor *c, nmsg *m)
{
    m->src_kind = get8(c);
    m->src_id = get32(c);
    m->dst_kind = get8(c);
    if (m->dst_kind == NMSG_DST_IDENTITY)
        m->dst_id = get32(c);
    if (c->short_read)
        return NMSG_E_SHORT;
    bool node_msg = m->type != NMSG_QSPN;
    if (node_msg) {
        uint8_t want_dst = m->type == NMSG_HELLO ? NMSG_DST_EVERY_NODE : NMSG_DST_NODE_VIA_ARC;
        if (m->src_kind != NMSG_SRC_NODE || m->dst_kind != want_dst)
            return NMSG_E_ADDRESSING;
        if (m->src_id != m->sender_nnid)
            return NMSG_E_ADDRESSING;
    } else {
        if (m->src_kind != NMSG_SRC_IDENTITY || m->dst_kind != NMSG_DST_IDENTITY)
            return NMSG_E_ADDRESSING;
        if (!id_valid(m->src_id) || !id_valid(m->dst_id))
            return NMSG_E_VALUE;
    }
    return NMSG_OK;
}

static nmsg_result decode_hello(cursor *c, nmsg_hello *h)
{
    getmac(c, &h->mac);
    h->ll = get32(c);
    h->ts_us = get32(c);
    h->hello_ms = get16(c);
    h->dead_ms = get16(c);
    uint8_t hf = get8(c);
    h->n_heard = get8(c);
    if (c->short_read)
        return NMSG_E_SHORT;
    if (hf & ~1u)
        return NMSG_E_FLAGS;
    h->bye = hf & 1;
    if (!nmsg_mac_valid(&h->mac) || !nmsg_ll_valid(h->ll) || h->hello_ms == 0 ||
        h->dead_ms <= h->hello_ms || h->n_heard > NMSG_MAX_HEARD)
        return NMSG_E_VALUE;
    if (c->rem < (size_t)h->n_heard * 18u)
        return NMSG_E_SHORT;
    for (int i = 0; i < h->n_heard; i++) {
        nmsg_heard *x = &h->heard[i];
        x->nnid = get32(c);
        getmac(c, &x->mac);
        x->echo_ts_us = get32(c);
        x->hold_us = get32(c);
        if (!id_valid(x->nnid) || !nmsg_mac_valid(&x->mac))
            return NMSG_E_VALUE;
    }
    return NMSG_OK;
}

static nmsg_result decode_match(cursor *c, nmsg_match *mt)
{
    mt->migration_id = get32(c);
    mt->peer_id = get32(c);
    mt->old_id = get32(c);
    mt->new_id = get32(c);
    getmac(c, &mt->old_id_new_mac);
    mt->old_id_new_ll = get32(c);
    if (c->short_read)
        return NMSG_E_SHORT;
    if (!id_valid(mt->peer_id) || !id_valid(mt->old_id) || !id_valid(mt->new_id) ||
        mt->old_id == mt->new_id || !nmsg_mac_valid(&mt->old_id_new_mac) ||
        !nmsg_ll_valid(mt->old_id_new_ll))
        return NMSG_E_VALUE;
    return NMSG_OK;
}

/* One record of a GET_PEER_IDENTITIES reply. */
static nmsg_result decode_identity(cursor *c, nmsg_identity_info *x)
{
    x->nodeid = get32(c);
    x->conn_to = get8(c);
    getmac(c, &x->mac);
    x->ll = get32(c);
    x->levels = get8(c);
    if (c->short_read)
        return NMSG_E_SHORT;
    if (!id_valid(x->nodeid) || !nmsg_mac_valid(&x->mac) || !nmsg_ll_valid(x->ll) || x->levels < 1 ||
        x->levels > NMSG_MAX_LEVELS || x->conn_to > x->levels)
        return NMSG_E_VALUE;
    if (c->rem < (size_t)x->levels * 2u)
        return NMSG_E_SHORT;
    for (int l = 0; l < x->levels; l++)
        x->pos[l] = get16(c);
    return NMSG_OK;
}

/* u8 n (1 .. NMSG_MAX_IDENTITIES), n records; exactly one with conn_to 0. */
static nmsg_result decode_reply_identities(cursor *c, nmsg *m)
{
    uint8_t n = get8(c);
    if (c->short_read)
        return NMSG_E_SHORT;
    if (n < 1 || n > NMSG_MAX_IDENTITIES)
        return NMSG_E_VALUE;
    int mains = 0;
    for (int i = 0; i < n; i++) {
        nmsg_result r = decode_identity(c, &m->u.reply.identities[i]);
        if (r != NMSG_OK)
            return r;
        mains += m->u.reply.identities[i].conn_to == 0;
    }
    if (mains != 1)
        return NMSG_E_VALUE;
    m->u.reply.n_identities = n;
    return NMSG_OK;
}

static nmsg_result decode_reply(cursor *c, nmsg *m)
{
    m->u.reply.status = get8(c);
    m->u.reply.req_type = get8(c);
    if (c->short_read)
        return NMSG_E_SHORT;
    uint8_t rt = m->u.reply.req_type;
    if (rt != NMSG_GET_PEER_MAIN_ID && rt != NMSG_MATCH_DUPLICATION && rt != NMSG_NOTIFY_IDARC_REMOVED &&
        rt != NMSG_GET_PEER_IDENTITIES && rt != NMSG_QSPN)
        return NMSG_E_TYPE;
    if (m->u.reply.status != NMSG_ST_OK)
        return NMSG_OK;                    /* errors carry no payload */
    if (rt == NMSG_GET_PEER_MAIN_ID) {
        m->u.reply.main_id = get32(c);
        if (c->short_read)
            return NMSG_E_SHORT;
        if (!id_valid(m->u.reply.main_id))
            return NMSG_E_VALUE;
    } else if (rt == NMSG_MATCH_DUPLICATION) {
        nmsg_dupdata *d = &m->u.reply.dup;
        uint8_t present = get8(c);
        if (c->short_read)
            return NMSG_E_SHORT;
        if (present > 1)
            return NMSG_E_VALUE;
        d->present = present;
        if (present) {
            d->peer_new_id = get32(c);
            getmac(c, &d->peer_old_id_new_mac);
            d->peer_old_id_new_ll = get32(c);
            if (c->short_read)
                return NMSG_E_SHORT;
            if (!id_valid(d->peer_new_id) || !nmsg_mac_valid(&d->peer_old_id_new_mac) ||
                !nmsg_ll_valid(d->peer_old_id_new_ll))
                return NMSG_E_VALUE;
        }
    } else if (rt == NMSG_GET_PEER_IDENTITIES) {
        return decode_reply_identities(c, m);
    } else if (rt == NMSG_QSPN) {
        m->u.reply.frame = c->p;
        m->u.reply.len = (uint32_t)c->rem;
        c->p += c->rem;
        c->rem = 0;
    }
    return NMSG_OK;
}

static nmsg_result decode_body(cursor *c, nmsg *m)
{
    nmsg_result r;
    if (m->type == NMSG_REPLY)
        return decode_reply(c, m);
    r = decode_addressing(c, m);
    if (r != NMSG_OK)
        return r;
    switch (m->type) {
    case NMSG_HELLO:
        return decode_hello(c, &m->u.hello);
    case NMSG_GET_PEER_MAIN_ID:
    case NMSG_GET_PEER_IDENTITIES:
        return NMSG_OK;
    case NMSG_MATCH_DUPLICATION:
        return decode_match(c, &m->u.match);
    case NMSG_NOTIFY_IDARC_REMOVED:
        m->u.notify.sender_identity = get32(c);
        m->u.notify.receiver_identity = get32(c);
        if (c->short_read)
            return NMSG_E_SHORT;
        if (!id_valid(m->u.notify.sender_identity) || !id_valid(m->u.notify.receiver_identity))
            return NMSG_E_VALUE;
        return NMSG_OK;
    case NMSG_QSPN:
        if (c->rem == 0)
            return NMSG_E_SHORT;
        m->u.qspn.frame = c->p;
        m->u.qspn.len = (uint32_t)c->rem;
        c->p += c->rem;
        c->rem = 0;
        return NMSG_OK;
    default:
        return NMSG_E_TYPE;
    }
}

nmsg_result nmsg_decode(const uint8_t *buf, size_t len, bool udp, nmsg *out)
{
    return nmsg_decode_sealed(buf, len, udp, 0, out);
}

nmsg_result nmsg_decode_sealed(const uint8_t *buf, size_t len, bool udp, size_t trailer_len, nmsg *out)
{
    uint8_t type;
    uint32_t body_len;
    memset(out, 0, sizeof *out);
    nmsg_result r = nmsg_decode_header(buf, len, &type, &body_len);
    if (r != NMSG_OK)
        return r;
    if (udp && len > NMSG_UDP_MAX)
        return NMSG_E_LENGTH;
    if ((size_t)body_len != len - NMSG_HDR_LEN)
        return NMSG_E_LENGTH;
    if ((size_t)body_len < trailer_len)
        return NMSG_E_SHORT;
    if (udp != (type == NMSG_HELLO))
        return NMSG_E_ADDRESSING;
    out->type = type;
    out->flags = buf[4];
    out->request_id = ((uint32_t)buf[8] << 24) | ((uint32_t)buf[9] << 16) | ((uint32_t)buf[10] << 8) | buf[11];
    out->sender_nnid = ((uint32_t)buf[12] << 24) | ((uint32_t)buf[13] << 16) | ((uint32_t)buf[14] << 8) | buf[15];
    if (!flags_ok(type, out->flags, out->request_id))
        return NMSG_E_FLAGS;
    if (!id_valid(out->sender_nnid))
        return NMSG_E_VALUE;
    /* the authentication trailer (nauth.h) is counted in body_len but is not payload */
    cursor c = { buf + NMSG_HDR_LEN, (size_t)body_len - trailer_len, false };
    r = decode_body(&c, out);
    if (r != NMSG_OK)
        return r;
    /* a newer minor version may append fields we do not know */
    if (c.rem != 0 && (buf[2] & 0x0F) <= (NMSG_VERSION & 0x0F))
        return NMSG_E_TRAILING;
    return NMSG_OK;
}
