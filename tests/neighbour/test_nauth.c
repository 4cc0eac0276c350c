/* test_nauth.c - the authentication trailer (nauth.h): a known-answer HMAC
 * computed independently, every tampered byte, truncated trailers, a message
 * without trailer, another key, and the anti-replay window (replayed, old,
 * the window's edge, out of order inside it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "nauth.h"
#include "nmsg.h"

/* The HELLO of test_nmsg.c: beta (NNID 0x01020304) hearing gamma. */
static const uint8_t hello_bytes[] = {
    'N', 'K', 0x10, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04,
    0x00, 0x00, 0x00, 0x2C, 0x01, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x16, 0x3E, 0xEC, 0xA3, 0xE1,
    169, 254, 96, 141, 0x00, 0x00, 0x10, 0x00, 0x00, 0xFA, 0x05, 0xDC, 0x00, 0x01, 0x0A, 0x0B,
    0x0C, 0x0D, 0x00, 0x16, 0x3E, 0x5B, 0x78, 0xD5, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x01, 0x00,
};

static const char key_text[] = "qspn-test-key-0123456789abcdef!!";   /* 32 bytes */
#define KAT_SEQ 0x0001020304050607ull

/* HMAC-SHA256(key_text, hello_bytes with body length 0x54, then the seq
 * 00 01 02 03 04 05 06 07), computed with Python's hmac module:
 *   python3 -c "import hmac,hashlib; m=bytes([0x4e,0x4b,0x10,1,0,0,0,0,0,0,0,0,1,2,3,4,0,0,0,0x54,
 *     1,1,2,3,4,0,0,0x16,0x3e,0xec,0xa3,0xe1,169,254,96,141,0,0,0x10,0,0,0xfa,5,0xdc,0,1,
 *     0x0a,0x0b,0x0c,0x0d,0,0x16,0x3e,0x5b,0x78,0xd5,0,0,0x20,0,0,0,1,0])+bytes(range(8));
 *     print(hmac.new(b'qspn-test-key-0123456789abcdef!!',m,hashlib.sha256).hexdigest())" */
static const uint8_t kat_hmac[NAUTH_HMAC_LEN] = {
    0x63, 0x4c, 0xb3, 0xa8, 0x0b, 0x7e, 0x2b, 0xeb, 0xa2, 0x3c, 0xc4, 0x86, 0x69, 0xc0, 0x72, 0xa0,
    0xd8, 0x31, 0x6f, 0x7b, 0xe0, 0x6c, 0x47, 0x8b, 0x64, 0x53, 0x3e, 0xde, 0xaf, 0xf9, 0xa1, 0x89,
};

static nauth_key test_key(void)
{
    nauth_key k;
    assert_true(nauth_key_set(&k, (const uint8_t *)key_text, strlen(key_text)));
    return k;
}

/* The sample HELLO sealed with KAT_SEQ (caller frees). */
static nmsg_buf sealed_hello(void)
{
    nauth_key k = test_key();
    nmsg_buf b = { 0 };
    b.data = malloc(sizeof hello_bytes);
    assert_non_null(b.data);
    memcpy(b.data, hello_bytes, sizeof hello_bytes);
    b.len = b.cap = sizeof hello_bytes;
    assert_true(nauth_seal(&k, KAT_SEQ, &b));
    return b;
}

static void known_answer(void **state)
{
    nmsg_buf b = sealed_hello();
    assert_int_equal(b.len, sizeof hello_bytes + NAUTH_TRAILER_LEN);
    assert_int_equal(b.data[19], 0x2C + NAUTH_TRAILER_LEN);           /* body length patched */
    assert_memory_equal(b.data + 20, hello_bytes + 20, sizeof hello_bytes - 20);
    static const uint8_t seq[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
    assert_memory_equal(b.data + sizeof hello_bytes, seq, 8);
    assert_memory_equal(b.data + sizeof hello_bytes + 8, kat_hmac, NAUTH_HMAC_LEN);
    nmsg_buf_free(&b);
}

static void verify_then_decode(void **state)
{
    nauth_key k = test_key();
    nmsg_buf b = sealed_hello();
    uint64_t seq = 0;
    assert_int_equal(nauth_verify(&k, b.data, b.len, true, &seq), NAUTH_OK);
    assert_true(seq == KAT_SEQ);
    nmsg m;
    assert_int_equal(nmsg_decode_sealed(b.data, b.len, true, NAUTH_TRAILER_LEN, &m), NMSG_OK);
    assert_int_equal(m.sender_nnid, 0x01020304);
    assert_int_equal(m.u.hello.n_heard, 1);
    /* a daemon without key sees 40 bytes after the HELLO: "trailing bytes" */
    assert_int_equal(nmsg_decode(b.data, b.len, true, &m), NMSG_E_TRAILING);
    nmsg_buf_free(&b);
}

static void every_tampered_byte_is_bad(void **state)
{
    nauth_key k = test_key();
    nmsg_buf b = sealed_hello();
    for (size_t i = 0; i < b.len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            uint64_t seq = 0;
            b.data[i] ^= (uint8_t)(1u << bit);
            nauth_result r = nauth_verify(&k, b.data, b.len, true, &seq);
            /* a higher minor version makes a keyless decoder accept the
             * trailer as fields it does not know: then it looks like a
             * message without trailer.  Dropped all the same. */
            if (i == 2 && bit < 4)
                assert_true(r == NAUTH_BAD || r == NAUTH_MISSING);
            else
                assert_int_equal(r, NAUTH_BAD);
            b.data[i] ^= (uint8_t)(1u << bit);
        }
    }
    nmsg_buf_free(&b);
}

static void truncated_trailer(void **state)
{
    nauth_key k = test_key();
    nmsg_buf b = sealed_hello();
    uint64_t seq = 0;
    for (size_t cut = 1; cut < NAUTH_TRAILER_LEN; cut++)
        assert_int_equal(nauth_verify(&k, b.data, b.len - cut, true, &seq), NAUTH_BAD);
    /* shorter than a header and a trailer: nothing to check */
    assert_int_equal(nauth_verify(&k, b.data, NMSG_HDR_LEN + NAUTH_TRAILER_LEN - 1, true, &seq),
                     NAUTH_MISSING);
    assert_int_equal(nauth_verify(&k, b.data, 0, true, &seq), NAUTH_MISSING);
    nmsg_buf_free(&b);
}

static void without_trailer_or_with_another_key(void **state)
{
    nauth_key k = test_key();
    uint64_t seq = 0;
    /* a valid HELLO of a daemon without key */
    assert_int_equal(nauth_verify(&k, hello_bytes, sizeof hello_bytes, true, &seq), NAUTH_MISSING);
    /* the same key but for its last byte */
    nauth_key other = k;
    other.bytes[other.len - 1] ^= 1;
    nmsg_buf b = sealed_hello();
    assert_int_equal(nauth_verify(&other, b.data, b.len, true, &seq), NAUTH_BAD);
    nmsg_buf_free(&b);
}

static void key_length_bounds(void **state)
{
    static uint8_t bytes[NAUTH_KEY_MAX + 1];
    nauth_key k;
    assert_false(nauth_key_set(&k, bytes, NAUTH_KEY_MIN - 1));
    assert_true(nauth_key_set(&k, bytes, NAUTH_KEY_MIN));
    assert_true(nauth_key_set(&k, bytes, NAUTH_KEY_MAX));
    assert_false(nauth_key_set(&k, bytes, NAUTH_KEY_MAX + 1));
}

/* A TCP message: the QSPN frame decoded from a sealed message stops before the trailer. */
static void sealed_qspn_frame(void **state)
{
    nauth_key k = test_key();
    static const uint8_t frame[5] = { 9, 8, 7, 6, 5 };
    nmsg_buf b = { 0 };
    nmsg_encode_qspn(&b, 77, 0, 11, 22, frame, sizeof frame);
    size_t plain = b.len;
    assert_true(nauth_seal(&k, 1, &b));
    uint64_t seq = 0;
    assert_int_equal(nauth_verify(&k, b.data, b.len, false, &seq), NAUTH_OK);
    assert_true(seq == 1);
    nmsg m;
    assert_int_equal(nmsg_decode_sealed(b.data, b.len, false, NAUTH_TRAILER_LEN, &m), NMSG_OK);
    assert_int_equal(m.u.qspn.len, sizeof frame);
    assert_memory_equal(m.u.qspn.frame, frame, sizeof frame);
    nmsg_buf_free(&b);
    /* a body shorter than the trailer it should end with */
    nmsg_encode_qspn(&b, 77, 0, 11, 22, frame, sizeof frame);
    assert_int_equal(b.len, plain);
    assert_int_equal(nmsg_decode_sealed(b.data, b.len, false, plain - NMSG_HDR_LEN + 1, &m), NMSG_E_SHORT);
    nmsg_buf_free(&b);
}

static void seal_refuses_inconsistent_buffer(void **state)
{
    nauth_key k = test_key();
    nmsg_buf b = { 0 };
    nmsg_encode_get_peer_main_id(&b, 5, 9);
    b.len--;                           /* body length no longer matches */
    size_t len = b.len;
    assert_false(nauth_seal(&k, 1, &b));
    assert_int_equal(b.len, len);
    b.len = 3;
    assert_false(nauth_seal(&k, 1, &b));
    nmsg_buf_free(&b);
}

static void window_replayed_and_old(void **state)
{
    nauth_window w = { 0 };
    assert_int_equal(nauth_window_accept(&w, 1000), NAUTH_OK);
    assert_int_equal(nauth_window_accept(&w, 1000), NAUTH_REPLAY);     /* replayed */
    assert_int_equal(nauth_window_accept(&w, 1001), NAUTH_OK);
    assert_int_equal(nauth_window_accept(&w, 1001), NAUTH_REPLAY);
    assert_int_equal(nauth_window_accept(&w, 1000), NAUTH_REPLAY);
    assert_int_equal(nauth_window_accept(&w, 999), NAUTH_OK);          /* late, never seen */
    assert_int_equal(nauth_window_accept(&w, 999), NAUTH_REPLAY);
    assert_int_equal(nauth_window_accept(&w, 5), NAUTH_REPLAY);        /* old */
    assert_int_equal(nauth_window_accept(&w, 0), NAUTH_REPLAY);
}

static void window_edge(void **state)
{
    nauth_window w = { 0 };
    uint64_t top = 1000000;
    assert_int_equal(nauth_window_accept(&w, top), NAUTH_OK);
    /* the oldest the window remembers: top - 63; one more is too old */
    assert_int_equal(nauth_window_accept(&w, top - (NAUTH_WINDOW - 1)), NAUTH_OK);
    assert_int_equal(nauth_window_accept(&w, top - (NAUTH_WINDOW - 1)), NAUTH_REPLAY);
    assert_int_equal(nauth_window_accept(&w, top - NAUTH_WINDOW), NAUTH_REPLAY);
    /* moving the top by 63 keeps top in the window, by 64 forgets it */
    assert_int_equal(nauth_window_accept(&w, top + NAUTH_WINDOW - 1), NAUTH_OK);
    assert_int_equal(nauth_window_accept(&w, top), NAUTH_REPLAY);
    assert_int_equal(nauth_window_accept(&w, top + 1), NAUTH_OK);      /* inside, never seen */
    top += NAUTH_WINDOW - 1;
    assert_int_equal(nauth_window_accept(&w, top + NAUTH_WINDOW), NAUTH_OK);
    assert_int_equal(nauth_window_accept(&w, top), NAUTH_REPLAY);      /* now too old */
    /* a jump far ahead clears everything below it */
    assert_int_equal(nauth_window_accept(&w, UINT64_MAX - 1), NAUTH_OK);
    assert_int_equal(nauth_window_accept(&w, UINT64_MAX), NAUTH_OK);
    assert_int_equal(nauth_window_accept(&w, UINT64_MAX - 1), NAUTH_REPLAY);
    assert_int_equal(nauth_window_accept(&w, UINT64_MAX - 2), NAUTH_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_answer),
        cmocka_unit_test(verify_then_decode),
        cmocka_unit_test(every_tampered_byte_is_bad),
        cmocka_unit_test(truncated_trailer),
        cmocka_unit_test(without_trailer_or_with_another_key),
        cmocka_unit_test(key_length_bounds),
        cmocka_unit_test(sealed_qspn_frame),
        cmocka_unit_test(seal_refuses_inconsistent_buffer),
        cmocka_unit_test(window_replayed_and_old),
        cmocka_unit_test(window_edge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
