/* codec.c - QSPN wire format (docs/wire-format.md, spec §7).
 *
 * The decoder reads through a cursor that knows how many bytes remain; every
 * read checks the remaining length first, counts are checked against the
 * limits before any allocation, and nothing recurses. */
#include "codec.h"
#include "codec_tlv.h"

#include <stdlib.h>
#include <string.h>


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

/* The value of one TLV of an ETP; each returns early on its first error.  The
 * caller checks afterwards that the TLV was consumed exactly. */
/* The count that opens a per-level TLV: one entry per level and one more. */
static qspn_decode_status get_level_count(cursor *c, int l)
{
    uint32_t n = get_u8(c);
    if (c->bad)
        return QSPN_DECODE_TRUNCATED;
    return n == (uint32_t)l + 1 ? QSPN_DECODE_OK : QSPN_DECODE_BAD_VALUE;
}

static qspn_decode_status get_tlv_fps(cursor *c, int l, qspn_etp *e)
{
    qspn_decode_status s = get_level_count(c, l);
    for (int i = 0; i <= l && s == QSPN_DECODE_OK; i++)
        s = get_fp(c, l, i, &e->fps[i]);
    return s;
}

static qspn_decode_status get_tlv_nodes_inside(cursor *c, int l, qspn_etp *e)
{
    qspn_decode_status s = get_level_count(c, l);
    if (s != QSPN_DECODE_OK)
        return s;
    for (int i = 0; i <= l; i++) {
        e->nodes_inside[i] = get_u32(c);
        if (e->nodes_inside[i] > MAX_NODES_INSIDE)
            s = QSPN_DECODE_BAD_VALUE;
    }
    return s;
}

static qspn_decode_status get_tlv_route(cursor *c, int l, qspn_etp *e)
{
    uint32_t n = get_u8(c);
    if (c->bad)
        return QSPN_DECODE_TRUNCATED;
    if (n > QSPN_MAX_ROUTE)
        return QSPN_DECODE_TOO_LARGE;
    e->n_route = (int)n;
    for (uint32_t i = 0; i < n; i++) {
        e->route[i].lvl = (int)get_u8(c);
        e->route[i].pos = (int)get_u16(c);
    }
    if (!c->bad && !route_ok(e->route, e->n_route, l))
        return QSPN_DECODE_BAD_VALUE;
    return QSPN_DECODE_OK;
}

/* One more path; *cap is the allocated length of e->paths. */
static qspn_decode_status get_tlv_path(cursor *c, const ntk_topology *t, qspn_etp *e, int *cap)
{
    if (e->n_paths >= QSPN_MAX_PATHS_PER_ETP)
        return QSPN_DECODE_TOO_LARGE;
    if (e->n_paths == *cap) {
        int ncap = *cap ? *cap * 2 : 8;
        if (ncap > QSPN_MAX_PATHS_PER_ETP)
            ncap = QSPN_MAX_PATHS_PER_ETP;
        qspn_etp_path *np = realloc(e->paths, (size_t)ncap * sizeof *np);
        if (!np)
            return QSPN_DECODE_NOMEM;
        e->paths = np;
        *cap = ncap;
    }
    qspn_etp_path *p = &e->paths[e->n_paths];
    qspn_decode_status s = get_path(c, t, p);
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
    return QSPN_DECODE_OK;
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
        case TLV_FINGERPRINTS:
            if (seen_fps)
                return QSPN_DECODE_BAD_TLV;
            seen_fps = true;
            s = get_tlv_fps(&c, l, e);
            break;
        case TLV_NODES_INSIDE:
            if (seen_nn)
                return QSPN_DECODE_BAD_TLV;
            seen_nn = true;
            s = get_tlv_nodes_inside(&c, l, e);
            break;
        case TLV_ROUTE:
            if (seen_route)
                return QSPN_DECODE_BAD_TLV;
            seen_route = true;
            s = get_tlv_route(&c, l, e);
            break;
        case TLV_PATH:
            s = get_tlv_path(&c, t, e, &cap);
            break;
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
