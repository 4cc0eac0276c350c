/* codec.c - QSPN wire format (docs/wire-format.md, spec §7).
 *
 * The decoder reads through a cursor that knows how many bytes remain; every
 * read checks the remaining length first, counts are checked against the
 * limits before any allocation, and nothing recurses. */
#include "codec.h"

#include <stdlib.h>
#include <string.h>

/* ---- TLV types of the ETP body ------------------------------------------ */
enum {
    TLV_CRITICAL = 0x80,
    TLV_SENDER = 0x81,
    TLV_FINGERPRINTS = 0x82,
    TLV_NODES_INSIDE = 0x83,
    TLV_ROUTE = 0x84,
    TLV_PATH = 0x85,
    TLV_SEQ = 0x06,
};

#define MAX_NODES_INSIDE 0x7FFFFFFFu
#define MAX_ARC_ID 0x7FFFFFFFu

const char *qspn_decode_status_name(qspn_decode_status s)
{
    switch (s) {
    case QSPN_DECODE_OK: return "ok";
    case QSPN_DECODE_TRUNCATED: return "truncated";
    case QSPN_DECODE_BAD_MAGIC: return "bad magic";
    case QSPN_DECODE_BAD_VERSION: return "unsupported version";
    case QSPN_DECODE_BAD_HEADER: return "bad header";
    case QSPN_DECODE_BAD_TLV: return "bad TLV structure";
    case QSPN_DECODE_BAD_VALUE: return "invalid value";
    case QSPN_DECODE_TOO_LARGE: return "over a limit";
    case QSPN_DECODE_NOMEM: return "out of memory";
    }
    return "?";
}

/* ---- memory helpers -------------------------------------------------------- */

void qspn_buf_free(qspn_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void qspn_etp_path_free(qspn_etp_path *p)
{
    free(p->hops);
    p->hops = NULL;
    p->n_hops = 0;
}

bool qspn_etp_path_copy(qspn_etp_path *dst, const qspn_etp_path *src)
{
    *dst = *src;
    dst->hops = NULL;
    if (src->n_hops > 0) {
        dst->hops = malloc((size_t)src->n_hops * sizeof *dst->hops);
        if (!dst->hops) {
            dst->n_hops = 0;
            return false;
        }
        memcpy(dst->hops, src->hops, (size_t)src->n_hops * sizeof *dst->hops);
    }
    return true;
}

void qspn_etp_free(qspn_etp *e)
{
    for (int i = 0; i < e->n_paths; i++)
        qspn_etp_path_free(&e->paths[i]);
    free(e->paths);
    e->paths = NULL;
    e->n_paths = 0;
}

void qspn_msg_free(qspn_msg *m)
{
    if (m->type == QSPN_MSG_GET_FULL_ETP_REP || m->type == QSPN_MSG_SEND_ETP)
        qspn_etp_free(&m->etp);
}

/* ---- writer ------------------------------------------------------------------ */

static void put_bytes(qspn_buf *b, const void *p, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *d = realloc(b->data, cap);
        if (!d) {
            b->failed = true;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void put_u8(qspn_buf *b, uint32_t v)
{
    uint8_t x = (uint8_t)v;
    put_bytes(b, &x, 1);
}

static void put_u16(qspn_buf *b, uint32_t v)
{
    uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    put_bytes(b, x, 2);
}

static void put_u32(qspn_buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put_bytes(b, x, 4);
}

static void put_u64(qspn_buf *b, uint64_t v)
{
    put_u32(b, (uint32_t)(v >> 32));
    put_u32(b, (uint32_t)v);
}

static void patch_u16(qspn_buf *b, size_t at, uint32_t v)
{
    if (b->failed)
        return;
    b->data[at] = (uint8_t)(v >> 8);
    b->data[at + 1] = (uint8_t)v;
}

static void patch_u32(qspn_buf *b, size_t at, uint32_t v)
{
    if (b->failed)
        return;
    b->data[at] = (uint8_t)(v >> 24);
    b->data[at + 1] = (uint8_t)(v >> 16);
    b->data[at + 2] = (uint8_t)(v >> 8);
    b->data[at + 3] = (uint8_t)v;
}

static void put_naddr(qspn_buf *b, const ntk_topology *t, const ntk_naddr *a)
{
    for (int i = 0; i < t->levels; i++) {
        if (a->pos[i] < 0 || a->pos[i] > QSPN_MAX_POS)
            b->failed = true;
        put_u16(b, (uint32_t)t->gsize[i]);
        put_u16(b, (uint32_t)a->pos[i]);
    }
}

static void put_hcoord(qspn_buf *b, int lvl, int pos)
{
    if (lvl < 0 || lvl > 255 || pos < 0 || pos > QSPN_MAX_POS)
        b->failed = true;
    put_u8(b, (uint32_t)lvl);
    put_u16(b, (uint32_t)pos);
}

static void put_fp(qspn_buf *b, int levels, const qspn_fp *fp)
{
    if (fp->level < 0 || fp->level > levels) {
        b->failed = true;
        return;
    }
    put_u64(b, fp->id);
    put_u8(b, (uint32_t)fp->level);
    for (int i = 0; i < levels - fp->level; i++)
        put_u32(b, fp->eld[i]);
    for (int i = 0; i < fp->level; i++)
        put_u32(b, fp->seed[i]);
}

static size_t tlv_begin(qspn_buf *b, uint32_t type)
{
    put_u8(b, type);
    size_t at = b->len;
    put_u16(b, 0);
    return at;
}

static void tlv_end(qspn_buf *b, size_t at)
{
    size_t vlen = b->len - at - 2;
    if (vlen > 0xFFFF) {
        b->failed = true;
        return;
    }
    patch_u16(b, at, (uint32_t)vlen);
}

static void put_etp(qspn_buf *b, const ntk_topology *t, const qspn_etp *e)
{
    int l = t->levels;
    size_t at = tlv_begin(b, TLV_SENDER);
    put_naddr(b, t, &e->sender);
    tlv_end(b, at);

    at = tlv_begin(b, TLV_FINGERPRINTS);
    put_u8(b, (uint32_t)(l + 1));
    for (int i = 0; i <= l; i++)
        put_fp(b, l, &e->fps[i]);
    tlv_end(b, at);

    at = tlv_begin(b, TLV_NODES_INSIDE);
    put_u8(b, (uint32_t)(l + 1));
    for (int i = 0; i <= l; i++)
        put_u32(b, e->nodes_inside[i]);
    tlv_end(b, at);

    if (e->n_route < 0 || e->n_route > QSPN_MAX_ROUTE)
        b->failed = true;
    at = tlv_begin(b, TLV_ROUTE);
    put_u8(b, (uint32_t)e->n_route);
    for (int i = 0; i < e->n_route && i < QSPN_MAX_ROUTE; i++)
        put_hcoord(b, e->route[i].lvl, e->route[i].pos);
    tlv_end(b, at);

    if (e->n_paths > QSPN_MAX_PATHS_PER_ETP)
        b->failed = true;
    for (int k = 0; k < e->n_paths && !b->failed; k++) {
        const qspn_etp_path *p = &e->paths[k];
        if (p->n_hops < 1 || p->n_hops > QSPN_MAX_PATH_HOPS) {
            b->failed = true;
            break;
        }
        at = tlv_begin(b, TLV_PATH);
        put_u8(b, (uint32_t)p->n_hops);
        for (int j = 0; j < p->n_hops; j++) {
            put_hcoord(b, p->hops[j].lvl, p->hops[j].pos);
            put_u32(b, p->hops[j].arc_id);
        }
        put_u32(b, p->cost);
        put_u32(b, p->nodes_inside);
        put_u16(b, p->ignore_outside & 0xFFFFu);
        put_fp(b, l, &p->fp);
        tlv_end(b, at);
    }
}

bool qspn_encode_msg(const ntk_topology *t, const qspn_msg *msg, qspn_buf *out)
{
    out->len = 0;
    out->failed = false;
    if (t->levels < 1 || t->levels > QSPN_MAX_LEVELS)
        return false;
    put_u8(out, 'Q');
    put_u8(out, 'S');
    put_u8(out, QSPN_WIRE_VERSION);
    put_u8(out, (uint32_t)msg->type);
    put_u8(out, (msg->type == QSPN_MSG_SEND_ETP && msg->is_full) ? 1u : 0u);
    put_u8(out, (uint32_t)t->levels);
    put_u16(out, 0);
    put_u32(out, 0); /* length, patched below */
    switch (msg->type) {
    case QSPN_MSG_GET_FULL_ETP_REQ:
        put_naddr(out, t, &msg->naddr);
        break;
    case QSPN_MSG_GET_FULL_ETP_REP:
    case QSPN_MSG_SEND_ETP:
        put_etp(out, t, &msg->etp);
        break;
    case QSPN_MSG_ERROR:
    case QSPN_MSG_SEND_ETP_ACK:
        put_u8(out, msg->code);
        break;
    case QSPN_MSG_PREPARE_DESTROY:
        put_u64(out, msg->wave_id);
        break;
    case QSPN_MSG_DESTROY:
        break;
    default:
        return false;
    }
    if (out->failed || out->len - QSPN_FRAME_HEADER > QSPN_MAX_FRAME)
        return false;
    patch_u32(out, 8, (uint32_t)(out->len - QSPN_FRAME_HEADER));
    return !out->failed;
}

/* ---- reader ------------------------------------------------------------------ */

typedef struct {
    const uint8_t *p;
    size_t left;
    bool bad;                  /* a read ran past the end */
} cursor;

static uint32_t get_u8(cursor *c)
{
    if (c->left < 1) {
        c->bad = true;
        return 0;
    }
    uint32_t v = c->p[0];
    c->p += 1;
    c->left -= 1;
    return v;
}

static uint32_t get_u16(cursor *c)
{
    if (c->left < 2) {
        c->bad = true;
        c->left = 0;
        return 0;
    }
    uint32_t v = ((uint32_t)c->p[0] << 8) | c->p[1];
    c->p += 2;
    c->left -= 2;
    return v;
}

static uint32_t get_u32(cursor *c)
{
    if (c->left < 4) {
        c->bad = true;
        c->left = 0;
        return 0;
    }
    uint32_t v = ((uint32_t)c->p[0] << 24) | ((uint32_t)c->p[1] << 16) |
                 ((uint32_t)c->p[2] << 8) | c->p[3];
    c->p += 4;
    c->left -= 4;
    return v;
}

static uint64_t get_u64(cursor *c)
{
    uint64_t hi = get_u32(c);
    uint64_t lo = get_u32(c);
    return (hi << 32) | lo;
}

static qspn_decode_status get_naddr(cursor *c, const ntk_topology *t, ntk_naddr *a)
{
    a->levels = t->levels;
    for (int i = 0; i < t->levels; i++) {
        uint32_t g = get_u16(c);
        uint32_t pos = get_u16(c);
        if (c->bad)
            return QSPN_DECODE_TRUNCATED;
        if (g != (uint32_t)t->gsize[i] || pos > QSPN_MAX_POS)
            return QSPN_DECODE_BAD_VALUE;
        a->pos[i] = (int)pos;
    }
    return QSPN_DECODE_OK;
}

static qspn_decode_status get_fp(cursor *c, int levels, int want_level, qspn_fp *fp)
{
    memset(fp, 0, sizeof *fp);
    fp->id = get_u64(c);
    uint32_t lv = get_u8(c);
    if (c->bad)
        return QSPN_DECODE_TRUNCATED;
    if (lv != (uint32_t)want_level || lv > (uint32_t)levels)
        return QSPN_DECODE_BAD_VALUE;
    fp->level = (int)lv;
    for (int i = 0; i < levels - fp->level; i++)
        fp->eld[i] = get_u32(c);
    for (int i = 0; i < fp->level; i++)
        fp->seed[i] = get_u32(c);
    return c->bad ? QSPN_DECODE_TRUNCATED : QSPN_DECODE_OK;
}

/* Route check of spec §3.3: levels in [0,l), non-decreasing. */
static bool route_ok(const ntk_hcoord *h, int n, int levels)
{
    for (int i = 0; i < n; i++) {
        if (h[i].lvl < 0 || h[i].lvl >= levels || h[i].pos < 0 || h[i].pos > QSPN_MAX_POS)
            return false;
        if (i > 0 && h[i].lvl < h[i - 1].lvl)
            return false;
    }
    return true;
}

static bool path_hops_ok(const qspn_etp_path *p, int levels)
{
    if (p->n_hops < 1 || p->n_hops > QSPN_MAX_PATH_HOPS)
        return false;
    for (int i = 0; i < p->n_hops; i++) {
        const qspn_hop *h = &p->hops[i];
        if (h->lvl >= levels || h->pos > QSPN_MAX_POS) /* unsigned fields */
            return false;
        if (i > 0 && h->lvl < p->hops[i - 1].lvl)
            return false;
        if (h->arc_id == 0 || h->arc_id > MAX_ARC_ID)
            return false;
    }
    return true;
}

static bool same_hops(const qspn_etp_path *a, const qspn_etp_path *b)
{
    if (a->n_hops != b->n_hops)
        return false;
    for (int i = 0; i < a->n_hops; i++)
        if (a->hops[i].lvl != b->hops[i].lvl || a->hops[i].pos != b->hops[i].pos ||
            a->hops[i].arc_id != b->hops[i].arc_id)
            return false;
    return true;
}

/* The checks the pinned code lacked and crashed without (spec §3.3, §8.14):
 * non-empty hops, fingerprint level, NULL cost, ignore_outside shape. */
static bool path_ok(const ntk_topology *t, const qspn_etp_path *p)
{
    int l = t->levels;
    if (!path_hops_ok(p, l))
        return false;
    int dl = p->hops[p->n_hops - 1].lvl;
    if (p->fp.level != dl)
        return false;
    if (p->cost == QSPN_COST_NULL)
        return false;
    if (p->nodes_inside > MAX_NODES_INSIDE)
        return false;
    if (p->ignore_outside & 1u)
        return false;
    for (int i = dl + 1; i < l; i++)
        if (!(p->ignore_outside & (1u << i)))
            return false;
    if (p->ignore_outside >> l)
        return false;
    return true;
}

bool qspn_etp_is_well_formed(const ntk_topology *t, const qspn_etp *e)
{
    int l = t->levels;
    if (e->sender.levels != l)
        return false;
    for (int i = 0; i < l; i++)
        if (e->sender.pos[i] < 0 || e->sender.pos[i] > QSPN_MAX_POS)
            return false;
    for (int i = 0; i <= l; i++) {
        if (e->fps[i].level != i)
            return false;
        if (e->nodes_inside[i] > MAX_NODES_INSIDE)
            return false;
    }
    if (e->n_route < 0 || e->n_route > QSPN_MAX_ROUTE || !route_ok(e->route, e->n_route, l))
        return false;
    if (e->n_paths < 0 || e->n_paths > QSPN_MAX_PATHS_PER_ETP)
        return false;
    for (int k = 0; k < e->n_paths; k++)
        if (!path_ok(t, &e->paths[k]))
            return false;
    return true;
}

static qspn_decode_status get_path(cursor *c, const ntk_topology *t, qspn_etp_path *p)
{
    memset(p, 0, sizeof *p);
    uint32_t n = get_u8(c);
    if (c->bad)
        return QSPN_DECODE_TRUNCATED;
    if (n < 1 || n > QSPN_MAX_PATH_HOPS)
        return QSPN_DECODE_BAD_VALUE;
    /* 7 bytes per hop must be present before we allocate for them. */
    if (c->left < (size_t)n * 7)
        return QSPN_DECODE_TRUNCATED;
    p->hops = calloc(n, sizeof *p->hops);
    if (!p->hops)
        return QSPN_DECODE_NOMEM;
    p->n_hops = (int)n;
    for (uint32_t j = 0; j < n; j++) {
        p->hops[j].lvl = (int)get_u8(c);
        p->hops[j].pos = (int)get_u16(c);
        p->hops[j].arc_id = get_u32(c);
    }
    p->cost = get_u32(c);
    p->nodes_inside = get_u32(c);
    p->ignore_outside = get_u16(c);
    if (c->bad)
        return QSPN_DECODE_TRUNCATED;
    int dl = p->hops[n - 1].lvl;
    if (dl < 0 || dl >= t->levels)
        return QSPN_DECODE_BAD_VALUE;
    qspn_decode_status s = get_fp(c, t->levels, dl, &p->fp);
    if (s != QSPN_DECODE_OK)
        return s;
    return path_ok(t, p) ? QSPN_DECODE_OK : QSPN_DECODE_BAD_VALUE;
}

static qspn_decode_status get_etp(cursor *body, const ntk_topology *t, qspn_etp *e)
{
    int l = t->levels;
    bool seen_sender = false, seen_fps = false, seen_nn = false, seen_route = false, seen_seq = false;
    int cap = 0;
    while (body->left > 0) {
        uint32_t type = get_u8(body);
        uint32_t vlen = get_u16(body);
        if (body->bad)
            return QSPN_DECODE_TRUNCATED;
        if (vlen > body->left)
            return QSPN_DECODE_TRUNCATED;
        cursor c = {body->p, vlen, false};
        body->p += vlen;
        body->left -= vlen;
        qspn_decode_status s = QSPN_DECODE_OK;
        switch (type) {
        case TLV_SENDER:
            if (seen_sender)
                return QSPN_DECODE_BAD_TLV;
            seen_sender = true;
            s = get_naddr(&c, t, &e->sender);
            break;
        case TLV_FINGERPRINTS: {
            if (seen_fps)
                return QSPN_DECODE_BAD_TLV;
            seen_fps = true;
            uint32_t n = get_u8(&c);
            if (c.bad)
                return QSPN_DECODE_TRUNCATED;
            if (n != (uint32_t)l + 1)
                return QSPN_DECODE_BAD_VALUE;
            for (int i = 0; i <= l && s == QSPN_DECODE_OK; i++)
                s = get_fp(&c, l, i, &e->fps[i]);
            break;
        }
        case TLV_NODES_INSIDE: {
            if (seen_nn)
                return QSPN_DECODE_BAD_TLV;
            seen_nn = true;
            uint32_t n = get_u8(&c);
            if (c.bad)
                return QSPN_DECODE_TRUNCATED;
            if (n != (uint32_t)l + 1)
                return QSPN_DECODE_BAD_VALUE;
            for (int i = 0; i <= l; i++) {
                e->nodes_inside[i] = get_u32(&c);
                if (e->nodes_inside[i] > MAX_NODES_INSIDE)
                    s = QSPN_DECODE_BAD_VALUE;
            }
            break;
        }
        case TLV_ROUTE: {
            if (seen_route)
                return QSPN_DECODE_BAD_TLV;
            seen_route = true;
            uint32_t n = get_u8(&c);
            if (c.bad)
                return QSPN_DECODE_TRUNCATED;
            if (n > QSPN_MAX_ROUTE)
                return QSPN_DECODE_TOO_LARGE;
            e->n_route = (int)n;
            for (uint32_t i = 0; i < n; i++) {
                e->route[i].lvl = (int)get_u8(&c);
                e->route[i].pos = (int)get_u16(&c);
            }
            if (!c.bad && !route_ok(e->route, e->n_route, l))
                s = QSPN_DECODE_BAD_VALUE;
            break;
        }
        case TLV_PATH: {
            if (e->n_paths >= QSPN_MAX_PATHS_PER_ETP)
                return QSPN_DECODE_TOO_LARGE;
            if (e->n_paths == cap) {
                int ncap = cap ? cap * 2 : 8;
                if (ncap > QSPN_MAX_PATHS_PER_ETP)
                    ncap = QSPN_MAX_PATHS_PER_ETP;
                qspn_etp_path *np = realloc(e->paths, (size_t)ncap * sizeof *np);
                if (!np)
                    return QSPN_DECODE_NOMEM;
                e->paths = np;
                cap = ncap;
            }
            qspn_etp_path *p = &e->paths[e->n_paths];
            s = get_path(&c, t, p);
            if (s != QSPN_DECODE_OK) {
                qspn_etp_path_free(p);
                return s;
            }
            /* Rule 4 of §7.6 (spec §8.15): keep the first of two duplicates. */
            bool dup = false;
            for (int k = 0; k < e->n_paths && !dup; k++)
                dup = same_hops(&e->paths[k], p);
            if (dup)
                qspn_etp_path_free(p);
            else
                e->n_paths++;
            break;
        }
        case TLV_SEQ:
            if (seen_seq)
                return QSPN_DECODE_BAD_TLV;
            seen_seq = true;
            (void)get_u64(&c);
            break;
        default:
            if (type & TLV_CRITICAL)
                return QSPN_DECODE_BAD_TLV;
            c.p += c.left; /* skip a non-critical unknown TLV */
            c.left = 0;
            break;
        }
        if (s != QSPN_DECODE_OK)
            return s;
        if (c.bad)
            return QSPN_DECODE_TRUNCATED;
        if (c.left != 0)
            return QSPN_DECODE_BAD_TLV; /* a TLV must consume exactly its length */
    }
    if (!seen_sender || !seen_fps || !seen_nn || !seen_route)
        return QSPN_DECODE_BAD_TLV;
    return QSPN_DECODE_OK;
}

qspn_decode_status qspn_decode_msg(const ntk_topology *t, const uint8_t *buf, size_t len,
                                   qspn_msg *out)
{
    memset(out, 0, sizeof *out);
    out->type = QSPN_MSG_DESTROY; /* nothing owned until the ETP is decoded */
    if (t->levels < 1 || t->levels > QSPN_MAX_LEVELS)
        return QSPN_DECODE_BAD_HEADER;
    if (!buf || len < QSPN_FRAME_HEADER)
        return QSPN_DECODE_TRUNCATED;
    if (buf[0] != 'Q' || buf[1] != 'S')
        return QSPN_DECODE_BAD_MAGIC;
    if (buf[2] != QSPN_WIRE_VERSION)
        return QSPN_DECODE_BAD_VERSION;
    uint32_t type = buf[3], flags = buf[4], levels = buf[5];
    uint32_t reserved = ((uint32_t)buf[6] << 8) | buf[7];
    uint32_t blen = ((uint32_t)buf[8] << 24) | ((uint32_t)buf[9] << 16) |
                    ((uint32_t)buf[10] << 8) | buf[11];
    if (type < QSPN_MSG_GET_FULL_ETP_REQ || type > QSPN_MSG_DESTROY)
        return QSPN_DECODE_BAD_HEADER;
    if (levels != (uint32_t)t->levels || reserved != 0)
        return QSPN_DECODE_BAD_HEADER;
    if ((flags & ~1u) || (flags && type != QSPN_MSG_SEND_ETP))
        return QSPN_DECODE_BAD_HEADER;
    if (blen > QSPN_MAX_FRAME)
        return QSPN_DECODE_TOO_LARGE;
    if (blen != len - QSPN_FRAME_HEADER)
        return len - QSPN_FRAME_HEADER < blen ? QSPN_DECODE_TRUNCATED : QSPN_DECODE_BAD_HEADER;

    cursor c = {buf + QSPN_FRAME_HEADER, blen, false};
    qspn_decode_status s = QSPN_DECODE_OK;
    out->type = (qspn_msg_type)type;
    out->is_full = flags & 1u;
    switch (out->type) {
    case QSPN_MSG_GET_FULL_ETP_REQ:
        s = get_naddr(&c, t, &out->naddr);
        break;
    case QSPN_MSG_GET_FULL_ETP_REP:
    case QSPN_MSG_SEND_ETP:
        s = get_etp(&c, t, &out->etp);
        if (s != QSPN_DECODE_OK) {
            qspn_etp_free(&out->etp);
            out->type = QSPN_MSG_DESTROY;
        }
        break;
    case QSPN_MSG_ERROR:
        out->code = (uint8_t)get_u8(&c);
        if (!c.bad && (out->code < QSPN_ERRCODE_NOT_ACCEPTED || out->code > QSPN_ERRCODE_VERSION))
            s = QSPN_DECODE_BAD_VALUE;
        break;
    case QSPN_MSG_SEND_ETP_ACK:
        out->code = (uint8_t)get_u8(&c);
        if (!c.bad && out->code > 1)
            s = QSPN_DECODE_BAD_VALUE;
        break;
    case QSPN_MSG_PREPARE_DESTROY:
        out->wave_id = get_u64(&c);
        break;
    case QSPN_MSG_DESTROY:
        break;
    }
    if (s == QSPN_DECODE_OK && c.bad)
        s = QSPN_DECODE_TRUNCATED;
    if (s == QSPN_DECODE_OK && c.left != 0)
        s = QSPN_DECODE_BAD_TLV; /* trailing bytes */
    if (s != QSPN_DECODE_OK) {
        qspn_msg_free(out);
        memset(out, 0, sizeof *out);
        out->type = QSPN_MSG_DESTROY;
    }
    return s;
}
