/* fuzz_nmsg.c - libFuzzer target for the daemon-to-daemon message decoder
 * (built with clang only).  The first input byte chooses UDP (HELLO) or TCP
 * rules.  Properties: decoding never faults; an accepted HELLO of our minor
 * version re-encodes to the same bytes; the authentication path (nauth.h)
 * never faults either: verifying the input with a fixed key, and decoding it
 * as a sealed message, and an input sealed by us always verifies and
 * decodes as it did before sealing.
 * Run: ./build-clang/tests/neighbour/fuzz_nmsg -max_total_time=60 tests/neighbour/corpus */
#include <stdlib.h>
#include <string.h>

#include "nauth.h"
#include "nmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_auth_path(const uint8_t *msg, size_t len, bool udp, nmsg_result plain)
{
    static const char key_text[] = "fuzz-key-0123456789abcdef";
    nauth_key k;
    uint64_t seq;
    nmsg m;
    if (!nauth_key_set(&k, (const uint8_t *)key_text, sizeof key_text - 1))
        abort();
    if (nauth_verify(&k, msg, len, udp, &seq) == NAUTH_OK)
        (void)nmsg_decode_sealed(msg, len, udp, NAUTH_TRAILER_LEN, &m);
    /* what decodes plain, once sealed, verifies and decodes the same way */
    if (plain != NMSG_OK || len > NMSG_UDP_MAX - NAUTH_TRAILER_LEN)
        return;
    nmsg_buf b = { 0 };
    b.data = malloc(len);
    if (!b.data)
        abort();
    memcpy(b.data, msg, len);
    b.len = b.cap = len;
    if (!nauth_seal(&k, 42, &b) || nauth_verify(&k, b.data, b.len, udp, &seq) != NAUTH_OK ||
        seq != 42 || nmsg_decode_sealed(b.data, b.len, udp, NAUTH_TRAILER_LEN, &m) != NMSG_OK)
        abort();
    nmsg_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool udp = data[0] & 1;
    nmsg m;
    nmsg_result r = nmsg_decode(data + 1, size - 1, udp, &m);
    if (r == NMSG_OK && m.type == NMSG_HELLO && (data[3] & 0x0F) == 0) {
        nmsg_buf b = { 0 };
        nmsg_encode_hello(&b, m.sender_nnid, &m.u.hello);
        if (b.len != size - 1 || memcmp(b.data, data + 1, b.len) != 0)
            abort();
        nmsg_buf_free(&b);
    }
    check_auth_path(data + 1, size - 1, udp, r);
    return 0;
}
