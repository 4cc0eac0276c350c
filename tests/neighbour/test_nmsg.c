/* test_nmsg.c - the daemon-to-daemon messages: frames built byte by byte from
 * docs/wire-format.md (part 2) must equal the encoder's output and decode to
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
        cmocka_unit_test(roundtrips),
        cmocka_unit_test(rejections),
        cmocka_unit_test(mutation_fuzz),
        cmocka_unit_test(mac_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
