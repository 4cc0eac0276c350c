/* test_codec.c - the QSPN wire format (docs/wire-format.md).
 *
 * Frames are also built here byte by byte, independently of the encoder,
 * from the layout in docs/wire-format.md: the decoder must accept the valid
 * ones and reject every truncated, oversized or inconsistent variant. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "codec.h"

static ntk_topology topo2(void)
{
    ntk_topology t;
    memset(&t, 0, sizeof t);
    t.levels = 2;
    t.gsize[0] = 4;
    t.gsize[1] = 4;
    t.gexp[0] = 2;
    t.gexp[1] = 2;
    return t;
}

/* ---- a tiny independent frame builder ----------------------------------------- */

typedef struct {
    uint8_t b[4096];
    size_t n;
} bytes;

static void u8(bytes *x, uint32_t v) { x->b[x->n++] = (uint8_t)v; }
static void u16(bytes *x, uint32_t v) { u8(x, v >> 8); u8(x, v); }
static void u32(bytes *x, uint32_t v) { u16(x, v >> 16); u16(x, v & 0xFFFF); }
static void u64(bytes *x, uint64_t v) { u32(x, (uint32_t)(v >> 32)); u32(x, (uint32_t)v); }

static void header(bytes *x, uint8_t type, uint8_t flags, uint8_t levels)
{
    x->n = 0;
    u8(x, 'Q');
    u8(x, 'S');
    u8(x, 1);
    u8(x, type);
    u8(x, flags);
    u8(x, levels);
    u16(x, 0);
    u32(x, 0);
}

static void finish(bytes *x)
{
    uint32_t len = (uint32_t)(x->n - 12);
    x->b[8] = (uint8_t)(len >> 24);
    x->b[9] = (uint8_t)(len >> 16);
    x->b[10] = (uint8_t)(len >> 8);
    x->b[11] = (uint8_t)len;
}

/* fp of `level` in a 2-level topology: id, level, (2-level) elderships, level seeds */
static void fp(bytes *x, uint64_t id, int level)
{
    u64(x, id);
    u8(x, (uint32_t)level);
    for (int i = 0; i < 2 - level; i++)
        u32(x, (uint32_t)i);
    for (int i = 0; i < level; i++)
        u32(x, 7);
}

static void tlv_sender(bytes *x, int gsize0)
{
    u8(x, 0x81);
    u16(x, 8);
    u16(x, (uint32_t)gsize0);
    u16(x, 1);
    u16(x, 4);
    u16(x, 2);
}

static void tlv_fps(bytes *x)
{
    u8(x, 0x82);
    u16(x, 1 + 3 * 17);
    u8(x, 3);
    fp(x, 100, 0);
    fp(x, 101, 1);
    fp(x, 102, 2);
}

static void tlv_nn(bytes *x)
{
    u8(x, 0x83);
    u16(x, 13);
    u8(x, 3);
    u32(x, 1);
    u32(x, 4);
    u32(x, 9);
}

static void tlv_route(bytes *x, int count)
{
    u8(x, 0x84);
    u16(x, (uint32_t)(1 + 3 * count));
    u8(x, (uint32_t)count);
    for (int i = 0; i < count; i++) {
        u8(x, 1);
        u16(x, (uint32_t)(i % 4));
    }
}

typedef struct {
    int n;
    int lvl[70], pos[70];
    uint32_t arc[70];
    uint32_t cost, nn;
    uint16_t ign;
    int fp_level;
} raw_path;

static void tlv_path(bytes *x, const raw_path *p)
{
    u8(x, 0x85);
    size_t at = x->n;
    u16(x, 0);
    u8(x, (uint32_t)p->n);
    for (int i = 0; i < p->n; i++) {
        u8(x, (uint32_t)p->lvl[i]);
        u16(x, (uint32_t)p->pos[i]);
        u32(x, p->arc[i]);
    }
    u32(x, p->cost);
    u32(x, p->nn);
    u16(x, p->ign);
    fp(x, 555, p->fp_level);
    uint32_t len = (uint32_t)(x->n - at - 2);
    x->b[at] = (uint8_t)(len >> 8);
    x->b[at + 1] = (uint8_t)len;
}

/* A valid path to the level-0 destination (0,3) through (0,2). */
static raw_path good_path(void)
{
    raw_path p;
    memset(&p, 0, sizeof p);
    p.n = 2;
    p.lvl[0] = 0; p.pos[0] = 2; p.arc[0] = 11;
    p.lvl[1] = 0; p.pos[1] = 3; p.arc[1] = 12;
    p.cost = 500;
    p.nn = 1;
    p.ign = 0x0002; /* dest level 0 in l=2: bit 1 must be set */
    p.fp_level = 0;
    return p;
}

static void base_etp(bytes *x, uint8_t type, uint8_t flags)
{
    header(x, type, flags, 2);
    tlv_sender(x, 4);
    tlv_fps(x);
    tlv_nn(x);
    tlv_route(x, 1);
}

static qspn_decode_status decode(const bytes *x)
{
    ntk_topology t = topo2();
    qspn_msg m;
    qspn_decode_status s = qspn_decode_msg(&t, x->b, x->n, &m);
    qspn_msg_free(&m);
    return s;
}

/* ---- valid frames --------------------------------------------------------------- */

static void manual_frame_decodes_to_its_fields(void **state)
{
    (void)state;
    bytes x;
    base_etp(&x, QSPN_MSG_SEND_ETP, 1);
    raw_path p = good_path();
    tlv_path(&x, &p);
    finish(&x);
    ntk_topology t = topo2();
    qspn_msg m;
    assert_int_equal(qspn_decode_msg(&t, x.b, x.n, &m), QSPN_DECODE_OK);
    assert_int_equal(m.type, QSPN_MSG_SEND_ETP);
    assert_true(m.is_full);
    assert_int_equal(m.etp.sender.pos[0], 1);
    assert_int_equal(m.etp.sender.pos[1], 2);
    assert_true(m.etp.fps[2].id == 102);
    assert_int_equal(m.etp.fps[2].seed[1], 7);
    assert_int_equal(m.etp.nodes_inside[2], 9);
    assert_int_equal(m.etp.n_route, 1);
    assert_int_equal(m.etp.route[0].lvl, 1);
    assert_int_equal(m.etp.n_paths, 1);
    assert_int_equal(m.etp.paths[0].n_hops, 2);
    assert_int_equal(m.etp.paths[0].hops[1].pos, 3);
    assert_int_equal(m.etp.paths[0].hops[1].arc_id, 12);
    assert_int_equal(m.etp.paths[0].cost, 500);
    assert_int_equal(m.etp.paths[0].ignore_outside, 2);
    /* the encoder produces exactly the documented bytes */
    qspn_buf out = {0};
    assert_true(qspn_encode_msg(&t, &m, &out));
    assert_int_equal(out.len, x.n);
    assert_memory_equal(out.data, x.b, x.n);
    qspn_buf_free(&out);
    qspn_msg_free(&m);
}

static void roundtrip(const ntk_topology *t, const qspn_msg *in)
{
    qspn_buf a = {0}, b = {0};
    assert_true(qspn_encode_msg(t, in, &a));
    qspn_msg m;
    assert_int_equal(qspn_decode_msg(t, a.data, a.len, &m), QSPN_DECODE_OK);
    assert_int_equal(m.type, in->type);
    assert_true(qspn_encode_msg(t, &m, &b));
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    switch (in->type) {
    case QSPN_MSG_GET_FULL_ETP_REQ:
        assert_true(ntk_naddr_equal(&m.naddr, &in->naddr));
        break;
    case QSPN_MSG_ERROR:
    case QSPN_MSG_SEND_ETP_ACK:
        assert_int_equal(m.code, in->code);
        break;
    case QSPN_MSG_PREPARE_DESTROY:
        assert_true(m.wave_id == in->wave_id);
        break;
    case QSPN_MSG_SEND_ETP:
    case QSPN_MSG_GET_FULL_ETP_REP:
        assert_int_equal(m.is_full, in->is_full);
        assert_int_equal(m.etp.n_paths, in->etp.n_paths);
        for (int i = 0; i < in->etp.n_paths; i++) {
            assert_int_equal(m.etp.paths[i].n_hops, in->etp.paths[i].n_hops);
            assert_int_equal(m.etp.paths[i].cost, in->etp.paths[i].cost);
            assert_true(m.etp.paths[i].fp.id == in->etp.paths[i].fp.id);
        }
        break;
    default:
        break;
    }
    qspn_msg_free(&m);
    qspn_buf_free(&a);
    qspn_buf_free(&b);
}

static void every_message_type_roundtrips(void **state)
{
    (void)state;
    ntk_topology t = topo2();
    qspn_msg m;
    memset(&m, 0, sizeof m);
    m.type = QSPN_MSG_GET_FULL_ETP_REQ;
    m.naddr.levels = 2;
    m.naddr.pos[0] = 3;
    m.naddr.pos[1] = 4; /* virtual position */
    roundtrip(&t, &m);
    m.type = QSPN_MSG_ERROR;
    for (uint8_t c = 1; c <= 4; c++) {
        m.code = c;
        roundtrip(&t, &m);
    }
    m.type = QSPN_MSG_SEND_ETP_ACK;
    m.code = 1;
    roundtrip(&t, &m);
    m.type = QSPN_MSG_PREPARE_DESTROY;
    m.wave_id = 0x0123456789ABCDEFULL;
    roundtrip(&t, &m);
    m.type = QSPN_MSG_DESTROY;
    roundtrip(&t, &m);

    /* ETPs: empty and with paths, full and partial, reply */
    qspn_hop hops[2] = {{0, 2, 11}, {1, 3, 12}};
    qspn_etp_path p[2];
    memset(p, 0, sizeof p);
    p[0].n_hops = 2;
    p[0].hops = hops;
    p[0].cost = QSPN_COST_DEAD;
    p[0].fp.level = 1;
    p[0].fp.id = 9;
    p[1].n_hops = 1;
    p[1].hops = hops;
    p[1].cost = 77;
    p[1].ignore_outside = 2;
    p[1].fp.id = 10;
    for (int type = QSPN_MSG_GET_FULL_ETP_REP; type <= QSPN_MSG_SEND_ETP; type += 2)
        for (int full = 0; full < 2; full++)
            for (int np = 0; np <= 2; np++) {
                memset(&m, 0, sizeof m);
                m.type = (qspn_msg_type)type;
                m.is_full = type == QSPN_MSG_SEND_ETP && full;
                m.etp.sender.levels = 2;
                m.etp.sender.pos[0] = 1;
                for (int i = 0; i <= 2; i++)
                    m.etp.fps[i].level = i;
                m.etp.n_route = 2;
                m.etp.route[0] = (ntk_hcoord){0, 1};
                m.etp.route[1] = (ntk_hcoord){1, 5};
                m.etp.n_paths = np;
                m.etp.paths = p;
                roundtrip(&t, &m);
            }
}

static void unknown_noncritical_tlv_is_skipped_and_duplicates_dropped(void **state)
{
    (void)state;
    bytes x;
    base_etp(&x, QSPN_MSG_SEND_ETP, 0);
    u8(&x, 0x10);
    u16(&x, 3);
    u8(&x, 1);
    u8(&x, 2);
    u8(&x, 3);
    raw_path p = good_path();
    tlv_path(&x, &p);
    tlv_path(&x, &p); /* semantic duplicate: the first is kept */
    finish(&x);
    ntk_topology t = topo2();
    qspn_msg m;
    assert_int_equal(qspn_decode_msg(&t, x.b, x.n, &m), QSPN_DECODE_OK);
    assert_int_equal(m.etp.n_paths, 1);
    qspn_msg_free(&m);
}

/* ---- rejected frames ------------------------------------------------------------- */

static void every_truncation_is_rejected(void **state)
{
    (void)state;
    bytes x;
    base_etp(&x, QSPN_MSG_SEND_ETP, 0);
    size_t without_path = x.n; /* the only TLV boundary after the mandatory TLVs */
    raw_path p = good_path();
    tlv_path(&x, &p);
    finish(&x);
    assert_int_equal(decode(&x), QSPN_DECODE_OK);
    bytes y = x;
    for (size_t len = 0; len < x.n; len++) {
        y.n = len;
        assert_int_not_equal(decode(&y), QSPN_DECODE_OK);
        /* the same prefix with a consistent length field: the body is cut */
        if (len >= 12) {
            finish(&y);
            if (len == without_path)
                assert_int_equal(decode(&y), QSPN_DECODE_OK);
            else
                assert_int_not_equal(decode(&y), QSPN_DECODE_OK);
            memcpy(y.b, x.b, 12);
        }
    }
}

typedef void (*mutator)(bytes *x);

static void expect_reject(bytes *x, qspn_decode_status want)
{
    qspn_decode_status got = decode(x);
    if (got != want)
        print_error("got %s, expected %s\n", qspn_decode_status_name(got), qspn_decode_status_name(want));
    assert_int_equal(got, want);
}

static void with_path(bytes *x, raw_path p)
{
    base_etp(x, QSPN_MSG_SEND_ETP, 0);
    tlv_path(x, &p);
    finish(x);
}

static void inconsistent_values_are_rejected(void **state)
{
    (void)state;
    bytes x;
    raw_path p;

    p = good_path(); p.ign = 0; /* bit 1 must be set for a level-0 destination */
    with_path(&x, p); expect_reject(&x, QSPN_DECODE_BAD_VALUE);
    p = good_path(); p.ign = 3; /* bit 0 set */
    with_path(&x, p); expect_reject(&x, QSPN_DECODE_BAD_VALUE);
    p = good_path(); p.ign = 6; /* bit >= l */
    with_path(&x, p); expect_reject(&x, QSPN_DECODE_BAD_VALUE);
    p = good_path(); p.arc[0] = 0;
    with_path(&x, p); expect_reject(&x, QSPN_DECODE_BAD_VALUE);
    p = good_path(); p.arc[1] = 0x80000000u;
    with_path(&x, p); expect_reject(&x, QSPN_DECODE_BAD_VALUE);
    p = good_path(); p.cost = 0; /* NULL is never valid on the wire */
    with_path(&x, p); expect_reject(&x, QSPN_DECODE_BAD_VALUE);
    p = good_path(); p.lvl[0] = 1; /* levels decreasing along the path */
    with_path(&x, p); expect_reject(&x, QSPN_DECODE_BAD_VALUE);
    p = good_path(); p.lvl[1] = 2; p.lvl[0] = 2; /* level >= l */
    with_path(&x, p); expect_reject(&x, QSPN_DECODE_BAD_VALUE);
    p = good_path(); p.fp_level = 1; /* fp level != destination level */
    with_path(&x, p); expect_reject(&x, QSPN_DECODE_BAD_VALUE);
    p = good_path(); p.nn = 0x80000000u;
    with_path(&x, p); expect_reject(&x, QSPN_DECODE_BAD_VALUE);
    p = good_path(); p.n = 0;
    with_path(&x, p); expect_reject(&x, QSPN_DECODE_BAD_VALUE);

    /* header */
    base_etp(&x, QSPN_MSG_SEND_ETP, 0); finish(&x);
    x.b[0] = 'X'; expect_reject(&x, QSPN_DECODE_BAD_MAGIC);
    base_etp(&x, QSPN_MSG_SEND_ETP, 0); finish(&x);
    x.b[2] = 2; expect_reject(&x, QSPN_DECODE_BAD_VERSION);
    base_etp(&x, QSPN_MSG_SEND_ETP, 0); finish(&x);
    x.b[5] = 3; expect_reject(&x, QSPN_DECODE_BAD_HEADER); /* levels != receiver's */
    base_etp(&x, QSPN_MSG_SEND_ETP, 2); finish(&x);
    expect_reject(&x, QSPN_DECODE_BAD_HEADER); /* unknown flag */
    base_etp(&x, QSPN_MSG_GET_FULL_ETP_REP, 1); finish(&x);
    expect_reject(&x, QSPN_DECODE_BAD_HEADER); /* IS_FULL outside SEND_ETP */
    base_etp(&x, QSPN_MSG_SEND_ETP, 0); finish(&x);
    x.b[7] = 1; expect_reject(&x, QSPN_DECODE_BAD_HEADER); /* reserved */
    base_etp(&x, QSPN_MSG_SEND_ETP, 0); finish(&x);
    x.b[3] = 9; expect_reject(&x, QSPN_DECODE_BAD_HEADER); /* type */

    /* TLV structure */
    header(&x, QSPN_MSG_SEND_ETP, 0, 2);
    tlv_sender(&x, 4); tlv_fps(&x); tlv_nn(&x); finish(&x);
    expect_reject(&x, QSPN_DECODE_BAD_TLV); /* ROUTE missing */
    base_etp(&x, QSPN_MSG_SEND_ETP, 0); tlv_sender(&x, 4); finish(&x);
    expect_reject(&x, QSPN_DECODE_BAD_TLV); /* SENDER twice */
    base_etp(&x, QSPN_MSG_SEND_ETP, 0); u8(&x, 0x90); u16(&x, 0); finish(&x);
    expect_reject(&x, QSPN_DECODE_BAD_TLV); /* unknown critical TLV */
    base_etp(&x, QSPN_MSG_SEND_ETP, 0); u8(&x, 0x84); u16(&x, 200); u8(&x, 0); finish(&x);
    expect_reject(&x, QSPN_DECODE_TRUNCATED); /* TLV longer than the frame */
    header(&x, QSPN_MSG_SEND_ETP, 0, 2);
    tlv_sender(&x, 4); tlv_fps(&x); tlv_nn(&x);
    u8(&x, 0x84); u16(&x, 5); u8(&x, 1); u8(&x, 1); u16(&x, 0); u8(&x, 0xEE); finish(&x);
    expect_reject(&x, QSPN_DECODE_BAD_TLV); /* content shorter than the TLV */
    base_etp(&x, QSPN_MSG_SEND_ETP, 0); u8(&x, 0x85); finish(&x);
    expect_reject(&x, QSPN_DECODE_TRUNCATED); /* trailing byte */
    header(&x, QSPN_MSG_SEND_ETP, 0, 2);
    tlv_sender(&x, 8); tlv_fps(&x); tlv_nn(&x); tlv_route(&x, 0); finish(&x);
    expect_reject(&x, QSPN_DECODE_BAD_VALUE); /* SENDER gsize differs */
    header(&x, QSPN_MSG_SEND_ETP, 0, 2);
    tlv_sender(&x, 4); tlv_fps(&x); tlv_nn(&x);
    u8(&x, 0x84); u16(&x, 7); u8(&x, 2); u8(&x, 1); u16(&x, 0); u8(&x, 0); u16(&x, 1); finish(&x);
    expect_reject(&x, QSPN_DECODE_BAD_VALUE); /* route levels decreasing */

    /* other message types */
    header(&x, QSPN_MSG_ERROR, 0, 2); u8(&x, 9); finish(&x);
    expect_reject(&x, QSPN_DECODE_BAD_VALUE);
    header(&x, QSPN_MSG_SEND_ETP_ACK, 0, 2); u8(&x, 2); finish(&x);
    expect_reject(&x, QSPN_DECODE_BAD_VALUE);
    header(&x, QSPN_MSG_DESTROY, 0, 2); u8(&x, 0); finish(&x);
    expect_reject(&x, QSPN_DECODE_BAD_TLV); /* DESTROY has an empty body */
    header(&x, QSPN_MSG_GET_FULL_ETP_REQ, 0, 2); u16(&x, 4); u16(&x, 1); u16(&x, 4); u16(&x, 0xFFFF); finish(&x);
    expect_reject(&x, QSPN_DECODE_BAD_VALUE); /* pos above MAX_POS */
}

static void oversized_inputs_are_rejected(void **state)
{
    (void)state;
    bytes x;
    base_etp(&x, QSPN_MSG_SEND_ETP, 0);
    finish(&x);
    x.b[8] = 0x01; /* length = 16 MiB + ... > MAX_FRAME */
    expect_reject(&x, QSPN_DECODE_TOO_LARGE);

    header(&x, QSPN_MSG_SEND_ETP, 0, 2);
    tlv_sender(&x, 4); tlv_fps(&x); tlv_nn(&x); tlv_route(&x, 65); finish(&x);
    expect_reject(&x, QSPN_DECODE_TOO_LARGE); /* route longer than MAX_ROUTE */

    raw_path p = good_path();
    p.n = 65; /* more hops than MAX_PATH_HOPS */
    for (int i = 0; i < 65; i++) {
        p.lvl[i] = 0;
        p.pos[i] = i % 4;
        p.arc[i] = (uint32_t)i + 1;
    }
    with_path(&x, p);
    assert_int_not_equal(decode(&x), QSPN_DECODE_OK);

    /* the encoder refuses what it could not represent */
    ntk_topology t = topo2();
    qspn_msg m;
    memset(&m, 0, sizeof m);
    m.type = QSPN_MSG_GET_FULL_ETP_REQ;
    m.naddr.levels = 2;
    m.naddr.pos[1] = 0x10000;
    qspn_buf out = {0};
    assert_false(qspn_encode_msg(&t, &m, &out));
    qspn_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(manual_frame_decodes_to_its_fields),
        cmocka_unit_test(every_message_type_roundtrips),
        cmocka_unit_test(unknown_noncritical_tlv_is_skipped_and_duplicates_dropped),
        cmocka_unit_test(every_truncation_is_rejected),
        cmocka_unit_test(inconsistent_values_are_rejected),
        cmocka_unit_test(oversized_inputs_are_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
