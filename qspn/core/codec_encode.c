/* codec_encode.c - the QSPN wire format's writer (docs/wire-format.md, spec §7):
 * big-endian fields into a growing buffer, the ETP body as TLVs. */
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "codec_tlv.h"

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
