/* test_nmsg.c - the daemon-to-daemon messages: frames built byte by byte from
 * docs/neighbour-protocol.md must equal the encoder's output and decode to
 * the same values; every rule of the decoder rejects what it names; random
 * mutations of valid frames never crash and anything accepted re-encodes to
 * the same bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "nmsg.h"

static nmsg_mac mac(const char *s)
{
    nmsg_mac m;
    assert_true(nmsg_mac_parse(s, &m));
    return m;
}

/* A HELLO of beta (NNID 0x01020304) on eth1, hearing gamma (0x0A0B0C0D). */
static const uint8_t hello_bytes[] = {
    'N', 'K', 0x10, 0x01, 0x00, 0x00, 0x00, 0x00,    /* magic, version, HELLO, flags, reserved */
    0x00, 0x00, 0x00, 0x00,                          /* request id */
    0x01, 0x02, 0x03, 0x04,                          /* sender NNID */
    0x00, 0x00, 0x00, 0x2C,                          /* body length 44 */
    0x01, 0x01, 0x02, 0x03, 0x04, 0x00,              /* src node 0x01020304, dst every node */
    0x00, 0x16, 0x3E, 0xEC, 0xA3, 0xE1,              /* MAC */
    169, 254, 96, 141,                               /* link-local */
    0x00, 0x00, 0x10, 0x00,                          /* ts_us 4096 */
    0x00, 0xFA, 0x05, 0xDC,                          /* hello 250 ms, dead 1500 ms */
    0x00, 0x01,                                      /* flags (bye no), 1 heard */
    0x0A, 0x0B, 0x0C, 0x0D,                          /* heard NNID */
    0x00, 0x16, 0x3E, 0x5B, 0x78, 0xD5,              /* its MAC */
    0x00, 0x00, 0x20, 0x00,                          /* echo ts 8192 */
    0x00, 0x00, 0x01, 0x00,                          /* hold 256 us */
};

static nmsg_hello sample_hello(void)
{
    nmsg_hello h;
    memset(&h, 0, sizeof h);
    h.mac = mac("00:16:3E:EC:A3:E1");
    h.ll = (169u << 24) | (254u << 16) | (96u << 8) | 141u;
    h.ts_us = 4096;
    h.hello_ms = 250;
    h.dead_ms = 1500;
    h.n_heard = 1;
    h.heard[0].nnid = 0x0A0B0C0D;
    h.heard[0].mac = mac("00:16:3E:5B:78:D5");
    h.heard[0].echo_ts_us = 8192;
    h.heard[0].hold_us = 256;
    return h;
}

static void hello_bytes_as_documented(void **state)
{
    (void)state;
    nmsg_hello h = sample_hello();
    nmsg_buf b = { 0 };
    nmsg_encode_hello(&b, 0x01020304, &h);
    assert_int_equal(b.len, sizeof hello_bytes);
    assert_memory_equal(b.data, hello_bytes, sizeof hello_bytes);
    nmsg m;
    assert_int_equal(nmsg_decode(hello_bytes, sizeof hello_bytes, true, &m), NMSG_OK);
    assert_int_equal(m.type, NMSG_HELLO);
    assert_int_equal(m.sender_nnid, 0x01020304);
    assert_int_equal(m.u.hello.ll, h.ll);
    assert_int_equal(m.u.hello.n_heard, 1);
    assert_int_equal(m.u.hello.heard[0].nnid, 0x0A0B0C0D);
    assert_true(nmsg_mac_equal(&m.u.hello.heard[0].mac, &h.heard[0].mac));
    /* HELLO is for UDP only */
    assert_int_equal(nmsg_decode(hello_bytes, sizeof hello_bytes, false, &m), NMSG_E_ADDRESSING);
    nmsg_buf_free(&b);
}

static const uint8_t match_bytes[] = {
    'N', 'K', 0x10, 0x11, 0x01, 0x00, 0x00, 0x00,    /* MATCH_DUPLICATION, WANT_REPLY */
    0x00, 0x00, 0x00, 0x07,                          /* request id 7 */
    0x00, 0x00, 0x00, 0x05,                          /* sender NNID 5 */
    0x00, 0x00, 0x00, 0x20,                          /* body 32 = 6 addressing + 26 */
    0x01, 0x00, 0x00, 0x00, 0x05, 0x01,              /* src node 5, dst node via arc */
    0x00, 0x7C, 0xFD, 0xB1,                          /* migration id 8191409 */
    0x00, 0x00, 0x00, 0x21,                          /* peer (receiver) identity 33 */
    0x00, 0x00, 0x00, 0x0B,                          /* old identity 11 */
    0x00, 0x00, 0x00, 0x0C,                          /* new identity 12 */
    0x00, 0x16, 0x3E, 0xB9, 0x77, 0x80,              /* old identity's new MAC */
    169, 254, 83, 167,                               /* and link-local */
};

static void match_bytes_as_documented(void **state)
{
    (void)state;
    nmsg_match mt = { 8191409, 33, 11, 12, mac("00:16:3E:B9:77:80"),
                      (169u << 24) | (254u << 16) | (83u << 8) | 167u };
    nmsg_buf b = { 0 };
    nmsg_encode_match(&b, 5, 7, &mt);
    assert_int_equal(b.len, sizeof match_bytes);
    assert_memory_equal(b.data, match_bytes, sizeof match_bytes);
    nmsg m;
    assert_int_equal(nmsg_decode(b.data, b.len, false, &m), NMSG_OK);
    assert_int_equal(m.u.match.migration_id, 8191409);
    assert_int_equal(m.u.match.peer_id, 33);
    assert_int_equal(m.request_id, 7);
    nmsg_buf_free(&b);
}

static nmsg_result decode_mutated(const uint8_t *src, size_t len, size_t at, uint8_t val, bool udp);

static uint32_t ll4(uint8_t c, uint8_t d)
{
    return (169u << 24) | (254u << 16) | ((uint32_t)c << 8) | d;
}

static void identity_equal(const nmsg_identity_info *x, const nmsg_identity_info *want)
{
    assert_int_equal(x->nodeid, want->nodeid);
    assert_int_equal(x->conn_to, want->conn_to);
    assert_true(nmsg_mac_equal(&x->mac, &want->mac));
    assert_int_equal(x->ll, want->ll);
    assert_int_equal(x->levels, want->levels);
    assert_memory_equal(x->pos, want->pos, sizeof x->pos);   /* unused levels are 0 on both sides */
}

/* A GET_PEER_IDENTITIES reply of NNID 5 to request 42: the main identity
 * 0x1234 at 2.1.3.1 and a connectivity identity of level 1. */
static const uint8_t identities_bytes[] = {
    'N', 'K', 0x10, 0xF0, 0x02, 0x00, 0x00, 0x00,    /* REPLY, IS_REPLY */
    0x00, 0x00, 0x00, 0x2A,                          /* request id 42 */
    0x00, 0x00, 0x00, 0x05,                          /* sender NNID 5 */
    0x00, 0x00, 0x00, 0x2F,                          /* body 47 = 3 + 24 + 20 */
    0x00, 0x13, 0x02,                                /* status OK, GET_PEER_IDENTITIES, 2 records */
    0x00, 0x00, 0x12, 0x34,                          /* nodeid 0x1234 */
    0x00,                                            /* conn_to 0: the main identity */
    0x00, 0x16, 0x3E, 0xEC, 0xA3, 0xE1,              /* MAC */
    169, 254, 96, 141,                               /* link-local */
    0x04,                                            /* 4 levels */
    0x00, 0x01, 0x00, 0x03, 0x00, 0x01, 0x00, 0x02,  /* 2.1.3.1, level 0 first */
    0x7F, 0xFF, 0xFF, 0xFE,                          /* nodeid 2^31-2 */
    0x01,                                            /* connectivity of level 1 */
    0x00, 0x16, 0x3E, 0x5B, 0x78, 0xD5,              /* MAC */
    169, 254, 83, 167,                               /* link-local */
    0x02,                                            /* 2 levels */
    0x01, 0x02, 0x00, 0x05,                          /* pos 258 (virtual), 5 */
};

static void identities_bytes_as_documented(void **state)
{
    (void)state;
    nmsg_identity_info ids[2];
    memset(ids, 0, sizeof ids);
    ids[0] = (nmsg_identity_info){ 0x1234, 0, mac("00:16:3E:EC:A3:E1"), ll4(96, 141), 4, { 1, 3, 1, 2 } };
    ids[1] = (nmsg_identity_info){ 0x7FFFFFFE, 1, mac("00:16:3E:5B:78:D5"), ll4(83, 167), 2, { 258, 5 } };
    nmsg_buf b = { 0 };
    nmsg_encode_reply_identities(&b, 5, 42, ids, 2);
    assert_int_equal(b.len, sizeof identities_bytes);
    assert_memory_equal(b.data, identities_bytes, sizeof identities_bytes);
    nmsg m;
    assert_int_equal(nmsg_decode(identities_bytes, sizeof identities_bytes, false, &m), NMSG_OK);
    assert_int_equal(m.type, NMSG_REPLY);
    assert_int_equal(m.request_id, 42);
    assert_int_equal(m.u.reply.req_type, NMSG_GET_PEER_IDENTITIES);
    assert_int_equal(m.u.reply.n_identities, 2);
    identity_equal(&m.u.reply.identities[0], &ids[0]);
    identity_equal(&m.u.reply.identities[1], &ids[1]);
    nmsg_buf_free(&b);
}

/* The main identity 2.1.3.1 and two connectivity identities (levels 1, 3). */
static void sample_identities(nmsg_identity_info ids[3])
{
    memset(ids, 0, 3 * sizeof ids[0]);
    ids[0] = (nmsg_identity_info){ 100, 0, mac("00:16:3E:EC:A3:E1"), ll4(96, 141), 4, { 1, 3, 1, 2 } };
    ids[1] = (nmsg_identity_info){ 200, 1, mac("00:16:3E:5B:78:D5"), ll4(83, 167), 4, { 9, 0, 1, 2 } };
    ids[2] = (nmsg_identity_info){ 300, 3, mac("00:16:3E:DF:23:F5"), ll4(1, 2), 5, { 11, 12, 13, 0, 4 } };
}

static void identities_roundtrip(void **state)
{
    (void)state;
    nmsg_buf b = { 0 };
    nmsg m;
    nmsg_encode_get_peer_identities(&b, 9, 77);
    assert_int_equal(b.len, NMSG_HDR_LEN + 6);
    assert_int_equal(nmsg_decode(b.data, b.len, false, &m), NMSG_OK);
    assert_int_equal(m.type, NMSG_GET_PEER_IDENTITIES);
    assert_int_equal(m.flags, NMSG_F_WANT_REPLY);
    assert_int_equal(m.request_id, 77);
    assert_int_equal(m.src_kind, NMSG_SRC_NODE);
    assert_int_equal(m.src_id, 9);
    assert_int_equal(m.dst_kind, NMSG_DST_NODE_VIA_ARC);
    assert_string_equal(nmsg_type_name(NMSG_GET_PEER_IDENTITIES), "GET_PEER_IDENTITIES");
    /* UDP is for HELLO only */
    assert_int_equal(nmsg_decode(b.data, b.len, true, &m), NMSG_E_ADDRESSING);
    b.len = 0;
    nmsg_identity_info ids[3];
    sample_identities(ids);
    nmsg_encode_reply_identities(&b, 9, 77, ids, 3);
    assert_int_equal(b.len, NMSG_HDR_LEN + 3 + 24 + 24 + 26);
    assert_int_equal(nmsg_decode(b.data, b.len, false, &m), NMSG_OK);
    assert_int_equal(m.u.reply.status, NMSG_ST_OK);
    assert_int_equal(m.u.reply.req_type, NMSG_GET_PEER_IDENTITIES);
    assert_int_equal(m.u.reply.n_identities, 3);
    for (int i = 0; i < 3; i++)
        identity_equal(&m.u.reply.identities[i], &ids[i]);
    /* an error reply carries no payload */
    b.len = 0;
    nmsg_encode_reply_status(&b, 9, 78, NMSG_GET_PEER_IDENTITIES, NMSG_ST_NO_DISPATCHER);
    assert_int_equal(nmsg_decode(b.data, b.len, false, &m), NMSG_OK);
    assert_int_equal(m.u.reply.status, NMSG_ST_NO_DISPATCHER);
    assert_int_equal(m.u.reply.n_identities, 0);
    nmsg_buf_free(&b);
}

static void set_body_len(uint8_t *buf, size_t len)
{
    uint32_t bl = (uint32_t)(len - NMSG_HDR_LEN);
    buf[16] = (uint8_t)(bl >> 24);
    buf[17] = (uint8_t)(bl >> 16);
    buf[18] = (uint8_t)(bl >> 8);
    buf[19] = (uint8_t)bl;
}

static nmsg_result decode_identities(const nmsg_identity_info *ids, int n)
{
    nmsg_buf b = { 0 };
    nmsg m;
    nmsg_encode_reply_identities(&b, 9, 1, ids, n);
    nmsg_result r = nmsg_decode(b.data, b.len, false, &m);
    nmsg_buf_free(&b);
    return r;
}

static void identities_rejections(void **state)
{
    (void)state;
    nmsg_identity_info ids[NMSG_MAX_IDENTITIES + 1];
    sample_identities(ids);
    assert_int_equal(decode_identities(ids, 3), NMSG_OK);
    const uint8_t *y = identities_bytes;
    size_t n = sizeof identities_bytes;
    /* offsets: 22 = n, record 0 at 23 (conn_to 27, MAC 28, LL 34, levels 38), record 1 at 47 */
    assert_int_equal(decode_mutated(y, n, 22, 0, false), NMSG_E_VALUE);          /* n = 0 */
    assert_int_equal(decode_mutated(y, n, 22, 17, false), NMSG_E_VALUE);         /* n = 17 */
    assert_int_equal(decode_mutated(y, n, 38, 0, false), NMSG_E_VALUE);          /* levels 0 */
    assert_int_equal(decode_mutated(y, n, 38, 23, false), NMSG_E_VALUE);         /* levels 23 */
    /* levels 0 on the main identity, its positions removed: consistent but for that */
    uint8_t nolevels[sizeof identities_bytes - 8];
    memcpy(nolevels, y, 39);
    memcpy(nolevels + 39, y + 47, n - 47);
    nolevels[38] = 0;
    set_body_len(nolevels, sizeof nolevels);
    nmsg m;
    assert_int_equal(nmsg_decode(nolevels, sizeof nolevels, false, &m), NMSG_E_VALUE);
    assert_int_equal(decode_mutated(y, n, 21, 0x14, false), NMSG_E_TYPE);        /* unknown req_type */
    /* a full 17-record reply: 16 encoded + one more record appended */
    for (int i = 3; i <= NMSG_MAX_IDENTITIES; i++) {
        ids[i] = ids[1];
        ids[i].nodeid = 1000u + (uint32_t)i;
    }
    nmsg_buf b = { 0 };
    nmsg_encode_reply_identities(&b, 9, 1, ids, NMSG_MAX_IDENTITIES);
    assert_int_equal(nmsg_decode(b.data, b.len, false, &m), NMSG_OK);
    assert_int_equal(m.u.reply.n_identities, NMSG_MAX_IDENTITIES);
    size_t rec = 16 + 2 * ids[1].levels;
    uint8_t *big = malloc(b.len + rec);
    memcpy(big, b.data, b.len);
    memcpy(big + b.len, b.data + b.len - rec, rec);
    big[22] = NMSG_MAX_IDENTITIES + 1;
    set_body_len(big, b.len + rec);
    assert_int_equal(nmsg_decode(big, b.len + rec, false, &m), NMSG_E_VALUE);
    free(big);
    nmsg_buf_free(&b);
    /* no main identity; two main identities */
    ids[0].conn_to = 2;
    assert_int_equal(decode_identities(ids, 3), NMSG_E_VALUE);
    ids[0].conn_to = 0;
    ids[1].conn_to = 0;
    assert_int_equal(decode_identities(ids, 3), NMSG_E_VALUE);
    sample_identities(ids);
    /* conn_to > levels (5 > 4), and = levels accepted */
    ids[1].conn_to = 5;
    assert_int_equal(decode_identities(ids, 3), NMSG_E_VALUE);
    ids[1].conn_to = 4;
    assert_int_equal(decode_identities(ids, 3), NMSG_OK);
    sample_identities(ids);
    ids[2].nodeid = 0;
    assert_int_equal(decode_identities(ids, 3), NMSG_E_VALUE);
    ids[2].nodeid = NMSG_ID_MAX + 1;
    assert_int_equal(decode_identities(ids, 3), NMSG_E_VALUE);
    sample_identities(ids);
    ids[1].mac = mac("01:00:5E:00:00:01");                                       /* multicast */
    assert_int_equal(decode_identities(ids, 3), NMSG_E_VALUE);
    ids[1].mac = mac("00:00:00:00:00:00");
    assert_int_equal(decode_identities(ids, 3), NMSG_E_VALUE);
    sample_identities(ids);
    ids[2].ll = (10u << 24) | 1;                                                  /* 10.0.0.1 */
    assert_int_equal(decode_identities(ids, 3), NMSG_E_VALUE);
    ids[2].ll = (169u << 24) | (253u << 16) | 1;                                  /* 169.253.0.1 */
    assert_int_equal(decode_identities(ids, 3), NMSG_E_VALUE);
}

static void identities_truncated_or_longer(void **state)
{
    (void)state;
    const uint8_t *y = identities_bytes;
    size_t n = sizeof identities_bytes;
    nmsg m;
    /* truncated anywhere (body length kept consistent): always short */
    uint8_t buf[sizeof identities_bytes + 1];
    for (size_t l = 0; l < n; l++) {
        uint8_t *heap = malloc(l ? l : 1);     /* exact size: ASan sees any overread */
        memcpy(heap, y, l);
        if (l >= NMSG_HDR_LEN)
            set_body_len(heap, l);
        assert_int_equal(nmsg_decode(heap, l, false, &m), NMSG_E_SHORT);
        free(heap);
    }
    /* one trailing byte; accepted from a newer minor version */
    memcpy(buf, y, n);
    buf[n] = 0;
    set_body_len(buf, sizeof buf);
    assert_int_equal(nmsg_decode(buf, sizeof buf, false, &m), NMSG_E_TRAILING);
    buf[2] = 0x11;
    assert_int_equal(nmsg_decode(buf, sizeof buf, false, &m), NMSG_OK);
    assert_int_equal(m.u.reply.n_identities, 2);
    /* the request: no payload, WANT_REPLY, node -> node via arc */
    nmsg_buf q = { 0 };
    nmsg_encode_get_peer_identities(&q, 9, 3);
    assert_int_equal(decode_mutated(q.data, q.len, 4, 0, false), NMSG_E_FLAGS);
    assert_int_equal(decode_mutated(q.data, q.len, 11, 0, false), NMSG_E_FLAGS);
    assert_int_equal(decode_mutated(q.data, q.len, 25, NMSG_DST_IDENTITY, false), NMSG_E_SHORT);
    assert_int_equal(decode_mutated(q.data, q.len, 25, NMSG_DST_EVERY_NODE, false), NMSG_E_ADDRESSING);
    uint8_t qt[NMSG_HDR_LEN + 7];
    memcpy(qt, q.data, q.len);
    qt[q.len] = 0;
    set_body_len(qt, sizeof qt);
    assert_int_equal(nmsg_decode(qt, sizeof qt, false, &m), NMSG_E_TRAILING);
    nmsg_buf_free(&q);
}

static void roundtrips(void **state)
{
    (void)state;
    nmsg_buf b = { 0 };
    nmsg m;
    nmsg_encode_get_peer_main_id(&b, 9, 1);
    assert_int_equal(nmsg_decode(b.data, b.len, false, &m), NMSG_OK);
    assert_int_equal(m.type, NMSG_GET_PEER_MAIN_ID);
    b.len = 0;
    nmsg_encode_reply_main_id(&b, 9, 1, 4242);
    assert_int_equal(nmsg_decode(b.data, b.len, false, &m), NMSG_OK);
    assert_int_equal(m.u.reply.req_type, NMSG_GET_PEER_MAIN_ID);
    assert_int_equal(m.u.reply.main_id, 4242);
    b.len = 0;
    nmsg_dupdata d = { true, 77, mac("00:16:3E:DF:23:F5"), (169u << 24) | (254u << 16) | 1 };
    nmsg_encode_reply_match(&b, 9, 2, &d);
    assert_int_equal(nmsg_decode(b.data, b.len, false, &m), NMSG_OK);
    assert_true(m.u.reply.dup.present);
    assert_int_equal(m.u.reply.dup.peer_new_id, 77);
    b.len = 0;
    nmsg_dupdata none = { false, 0, { { 0 } }, 0 };
    nmsg_encode_reply_match(&b, 9, 3, &none);
    assert_int_equal(nmsg_decode(b.data, b.len, false, &m), NMSG_OK);
    assert_false(m.u.reply.dup.present);
    b.len = 0;
    nmsg_encode_notify(&b, 9, 4, 100, 200);
    assert_int_equal(nmsg_decode(b.data, b.len, false, &m), NMSG_OK);
    assert_int_equal(m.u.notify.sender_identity, 100);
    assert_int_equal(m.u.notify.receiver_identity, 200);
    b.len = 0;
    const uint8_t frame[] = { 'Q', 'S', 1, 4, 0, 4, 0, 0, 0, 0, 0, 0 };
    nmsg_encode_qspn(&b, 9, 0, 100, 200, frame, sizeof frame);
    assert_int_equal(nmsg_decode(b.data, b.len, false, &m), NMSG_OK);
    assert_int_equal(m.flags, 0);
    assert_int_equal(m.src_id, 100);
    assert_int_equal(m.dst_id, 200);
    assert_int_equal(m.u.qspn.len, sizeof frame);
    assert_memory_equal(m.u.qspn.frame, frame, sizeof frame);
    b.len = 0;
    nmsg_encode_qspn(&b, 9, 5, 100, 200, frame, sizeof frame);
    assert_int_equal(nmsg_decode(b.data, b.len, false, &m), NMSG_OK);
    assert_int_equal(m.flags, NMSG_F_WANT_REPLY);
    b.len = 0;
    nmsg_encode_reply_qspn(&b, 9, 5, frame, sizeof frame);
    assert_int_equal(nmsg_decode(b.data, b.len, false, &m), NMSG_OK);
    assert_int_equal(m.u.reply.len, sizeof frame);
    b.len = 0;
    nmsg_encode_reply_status(&b, 9, 6, NMSG_QSPN, NMSG_ST_NO_DISPATCHER);
    assert_int_equal(nmsg_decode(b.data, b.len, false, &m), NMSG_OK);
    assert_int_equal(m.u.reply.status, NMSG_ST_NO_DISPATCHER);
    nmsg_buf_free(&b);
}

static nmsg_result decode_mutated(const uint8_t *src, size_t len, size_t at, uint8_t val, bool udp)
{
    uint8_t buf[256];
    memcpy(buf, src, len);
    buf[at] = val;
    nmsg m;
    return nmsg_decode(buf, len, udp, &m);
}

static void rejections(void **state)
{
    (void)state;
    const uint8_t *h = hello_bytes;
    size_t n = sizeof hello_bytes;
    nmsg m;
    assert_int_equal(nmsg_decode(h, 10, true, &m), NMSG_E_SHORT);
    assert_int_equal(decode_mutated(h, n, 0, 'X', true), NMSG_E_MAGIC);
    assert_int_equal(decode_mutated(h, n, 2, 0x20, true), NMSG_E_VERSION);
    assert_int_equal(decode_mutated(h, n, 3, 0x77, true), NMSG_E_TYPE);
    assert_int_equal(decode_mutated(h, n, 4, 0x80, true), NMSG_E_FLAGS);
    assert_int_equal(decode_mutated(h, n, 4, NMSG_F_WANT_REPLY, true), NMSG_E_FLAGS);
    assert_int_equal(decode_mutated(h, n, 6, 1, true), NMSG_E_RESERVED);
    assert_int_equal(decode_mutated(h, n, 19, 0x2D, true), NMSG_E_LENGTH);
    assert_int_equal(decode_mutated(h, n, 12, 0, true) == NMSG_OK, false);   /* NNID changes: src != sender */
    assert_int_equal(decode_mutated(h, n, 20, 2, true), NMSG_E_ADDRESSING);
    assert_int_equal(decode_mutated(h, n, 26, 0x01, true), NMSG_E_VALUE);    /* multicast MAC */
    assert_int_equal(decode_mutated(h, n, 32, 10, true), NMSG_E_VALUE);      /* not 169.254/16 */
    assert_int_equal(decode_mutated(h, n, 40, 0x06, true), NMSG_E_VALUE);    /* dead <= hello */
    assert_int_equal(decode_mutated(h, n, 44, 2, true), NMSG_E_FLAGS);       /* unknown hello flag */
    assert_int_equal(decode_mutated(h, n, 45, 2, true), NMSG_E_SHORT);       /* 2 heard, 1 present */
    /* a trailing byte */
    uint8_t longer[sizeof hello_bytes + 1];
    memcpy(longer, h, n);
    longer[n] = 0;
    longer[19] = 0x2D;
    assert_int_equal(nmsg_decode(longer, sizeof longer, true, &m), NMSG_E_TRAILING);
    /* ... accepted from a newer minor version */
    longer[2] = 0x11;
    assert_int_equal(nmsg_decode(longer, sizeof longer, true, &m), NMSG_OK);
    /* too large for UDP */
    uint8_t big[NMSG_UDP_MAX + 8];
    memset(big, 0, sizeof big);
    memcpy(big, h, n);
    uint32_t bl = sizeof big - NMSG_HDR_LEN;
    big[16] = (uint8_t)(bl >> 24);
    big[17] = (uint8_t)(bl >> 16);
    big[18] = (uint8_t)(bl >> 8);
    big[19] = (uint8_t)bl;
    assert_int_equal(nmsg_decode(big, sizeof big, true, &m), NMSG_E_LENGTH);
    /* MATCH: old == new, zero ids */
    assert_int_equal(decode_mutated(match_bytes, sizeof match_bytes, 41, 0x0B, false), NMSG_E_VALUE);
    assert_int_equal(decode_mutated(match_bytes, sizeof match_bytes, 33, 0x00, false), NMSG_E_VALUE);
    /* a request without WANT_REPLY, a reply without IS_REPLY */
    assert_int_equal(decode_mutated(match_bytes, sizeof match_bytes, 4, 0, false), NMSG_E_FLAGS);
    assert_int_equal(decode_mutated(match_bytes, sizeof match_bytes, 3, NMSG_REPLY, false), NMSG_E_FLAGS);
    /* a request id of 0 on a request */
    assert_int_equal(decode_mutated(match_bytes, sizeof match_bytes, 11, 0, false), NMSG_E_FLAGS);
}

/* Deterministic mutation fuzzing (xorshift); under ASan/UBSan. */
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

static void fuzz_one(const uint8_t *src, size_t len, bool udp)
{
    uint8_t buf[512];
    for (int iter = 0; iter < 20000; iter++) {
        size_t l = len;
        memcpy(buf, src, len);
        int edits = 1 + (int)(rnd() % 4);
        for (int e = 0; e < edits; e++) {
            switch (rnd() % 3) {
            case 0:
                buf[rnd() % l] = (uint8_t)rnd();
                break;
            case 1:
                l = l > 1 ? l - 1 - rnd() % (l - 1 > 8 ? 8 : l - 1) : l;
                break;
            default:
                if (l < sizeof buf)
                    buf[l++] = (uint8_t)rnd();
                break;
            }
        }
        uint8_t *heap = malloc(l ? l : 1);        /* exact size: ASan sees any overread */
        memcpy(heap, buf, l);
        nmsg m;
        nmsg_result r = nmsg_decode(heap, l, udp, &m);
        if (r == NMSG_OK && m.type == NMSG_HELLO && (heap[2] & 0x0F) == 0) {
            nmsg_buf b = { 0 };
            nmsg_encode_hello(&b, m.sender_nnid, &m.u.hello);
            assert_int_equal(b.len, l);
            assert_memory_equal(b.data, heap, l);
            nmsg_buf_free(&b);
        }
        if (r == NMSG_OK && m.type == NMSG_REPLY && m.u.reply.req_type == NMSG_GET_PEER_IDENTITIES &&
            m.u.reply.status == NMSG_ST_OK && (heap[2] & 0x0F) == 0) {
            nmsg_buf b = { 0 };
            nmsg_encode_reply_identities(&b, m.sender_nnid, m.request_id, m.u.reply.identities,
                                         m.u.reply.n_identities);
            assert_int_equal(b.len, l);
            assert_memory_equal(b.data, heap, l);
            nmsg_buf_free(&b);
        }
        free(heap);
    }
}

static void mutation_fuzz(void **state)
{
    (void)state;
    fuzz_one(hello_bytes, sizeof hello_bytes, true);
    fuzz_one(match_bytes, sizeof match_bytes, false);
    nmsg_buf b = { 0 };
    nmsg_dupdata d = { true, 77, mac("00:16:3E:DF:23:F5"), (169u << 24) | (254u << 16) | 1 };
    nmsg_encode_reply_match(&b, 9, 2, &d);
    fuzz_one(b.data, b.len, false);
    fuzz_one(identities_bytes, sizeof identities_bytes, false);
    b.len = 0;
    nmsg_identity_info ids[3];
    sample_identities(ids);
    nmsg_encode_reply_identities(&b, 9, 2, ids, 3);
    fuzz_one(b.data, b.len, false);
    b.len = 0;
    nmsg_encode_get_peer_identities(&b, 9, 3);
    fuzz_one(b.data, b.len, false);
    nmsg_buf_free(&b);
}

static void mac_text(void **state)
{
    (void)state;
    nmsg_mac m;
    char s[24];
    assert_true(nmsg_mac_parse("00:16:3e:fd:e2:aa", &m));
    nmsg_mac_format(&m, s, sizeof s);
    assert_string_equal(s, "00:16:3E:FD:E2:AA");
    assert_false(nmsg_mac_parse("00:16:3E:FD:E2", &m));
    assert_false(nmsg_mac_parse("00-16-3E-FD-E2-AA", &m));
    assert_false(nmsg_mac_parse("00:16:3E:FD:E2:AG", &m));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hello_bytes_as_documented),
        cmocka_unit_test(match_bytes_as_documented),
        cmocka_unit_test(identities_bytes_as_documented),
        cmocka_unit_test(identities_roundtrip),
        cmocka_unit_test(identities_rejections),
        cmocka_unit_test(identities_truncated_or_longer),
        cmocka_unit_test(roundtrips),
        cmocka_unit_test(rejections),
        cmocka_unit_test(mutation_fuzz),
        cmocka_unit_test(mac_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
