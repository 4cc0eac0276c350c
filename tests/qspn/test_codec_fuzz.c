/* test_codec_fuzz.c - deterministic mutation fuzzing of the decoder, so that
 * gcc builds exercise what tests/qspn/fuzz_codec.c does under libFuzzer.
 * Seeds: valid frames of every type produced by the encoder; mutations: bit
 * flips, byte overwrites with boundary values, truncation, insertion,
 * length-field edits and random bytes. The seed is printed on failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codec_fuzz_common.h"

#define FUZZ_SEED 0x5153u
#define ITERATIONS 300000

static uint64_t rng_state;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

static void make_seeds(const ntk_topology *t, qspn_buf *seeds, int *n)
{
    static qspn_hop hops[3] = {{0, 1, 5}, {1, 2, 6}, {2, 3, 7}};
    qspn_etp_path p[2];
    memset(p, 0, sizeof p);
    p[0].n_hops = 3;
    p[0].hops = hops;
    p[0].cost = 1234;
    p[0].nodes_inside = 3;
    p[0].fp.level = 2;
    p[0].fp.id = 42;
    p[1].n_hops = 1;
    p[1].hops = hops;
    p[1].cost = QSPN_COST_DEAD;
    p[1].ignore_outside = 0x0E; /* dest level 0, l = 4: bits 1..3 */
    *n = 0;
    for (int type = QSPN_MSG_GET_FULL_ETP_REQ; type <= QSPN_MSG_DESTROY; type++) {
        qspn_msg m;
        memset(&m, 0, sizeof m);
        m.type = (qspn_msg_type)type;
        m.is_full = type == QSPN_MSG_SEND_ETP;
        m.naddr.levels = t->levels;
        m.code = 1;
        m.wave_id = 99;
        m.etp.sender.levels = t->levels;
        m.etp.sender.pos[0] = 1;
        for (int i = 0; i <= t->levels; i++)
            m.etp.fps[i].level = i;
        m.etp.n_route = 2;
        m.etp.route[1] = (ntk_hcoord){2, 1};
        m.etp.n_paths = 2;
        m.etp.paths = p;
        seeds[*n] = (qspn_buf){0};
        assert_true(qspn_encode_msg(t, &m, &seeds[*n]));
        (*n)++;
    }
}

static void mutated_frames_never_break_the_decoder(void **state)
{
    (void)state;
    ntk_topology t;
    memset(&t, 0, sizeof t);
    t.levels = 4;
    for (int i = 0; i < 4; i++) {
        t.gsize[i] = 4;
        t.gexp[i] = 2;
    }
    qspn_buf seeds[8];
    int n_seeds;
    make_seeds(&t, seeds, &n_seeds);
    for (int i = 0; i < n_seeds; i++)
        assert_true(codec_fuzz_one(&t, seeds[i].data, seeds[i].len));
    rng_state = FUZZ_SEED;
    uint8_t buf[2048];
    int accepted = 0;
    for (int it = 0; it < ITERATIONS; it++) {
        const qspn_buf *s = &seeds[rnd() % (uint32_t)n_seeds];
        size_t len = s->len < sizeof buf ? s->len : sizeof buf;
        memcpy(buf, s->data, len);
        int muts = 1 + (int)(rnd() % 4);
        for (int k = 0; k < muts; k++) {
            switch (rnd() % 7) {
            case 0: /* bit flip */
                if (len)
                    buf[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
                break;
            case 1: { /* boundary byte */
                static const uint8_t v[] = {0, 1, 0x7F, 0x80, 0xFE, 0xFF};
                if (len)
                    buf[rnd() % len] = v[rnd() % sizeof v];
                break;
            }
            case 2: /* truncate */
                if (len)
                    len = rnd() % len;
                break;
            case 3: /* insert a byte */
                if (len + 1 < sizeof buf) {
                    size_t at = len ? rnd() % len : 0;
                    memmove(buf + at + 1, buf + at, len - at);
                    buf[at] = (uint8_t)rnd();
                    len++;
                }
                break;
            case 4: /* make the length field consistent again */
                if (len >= 12) {
                    uint32_t b = (uint32_t)(len - 12);
                    buf[8] = (uint8_t)(b >> 24);
                    buf[9] = (uint8_t)(b >> 16);
                    buf[10] = (uint8_t)(b >> 8);
                    buf[11] = (uint8_t)b;
                }
                break;
            case 5: /* random bytes */
                for (size_t i = 0; i < len; i++)
                    if (rnd() % 16 == 0)
                        buf[i] = (uint8_t)rnd();
                break;
            default: /* fresh random frame with a valid header */
                len = 12 + rnd() % 64;
                for (size_t i = 0; i < len; i++)
                    buf[i] = (uint8_t)rnd();
                buf[0] = 'Q';
                buf[1] = 'S';
                buf[2] = 1;
                buf[5] = 4;
                break;
            }
        }
        /* an exact-size heap copy, so that ASan sees any over-read */
        uint8_t *heap = malloc(len ? len : 1);
        assert_non_null(heap);
        memcpy(heap, buf, len);
        qspn_msg m;
        if (qspn_decode_msg(&t, heap, len, &m) == QSPN_DECODE_OK) {
            accepted++;
            qspn_msg_free(&m);
        }
        bool ok = codec_fuzz_one(&t, heap, len);
        free(heap);
        if (!ok)
            print_error("fuzz seed %#x iteration %d: re-encoding is not canonical\n", FUZZ_SEED, it);
        assert_true(ok);
    }
    /* the mutations must exercise the accepting paths too */
    print_message("fuzz seed %#x: %d of %d mutated frames accepted\n", FUZZ_SEED, accepted, ITERATIONS);
    assert_true(accepted > 0);
    for (int i = 0; i < n_seeds; i++)
        qspn_buf_free(&seeds[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mutated_frames_never_break_the_decoder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
