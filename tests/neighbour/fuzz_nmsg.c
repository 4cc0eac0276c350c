/* fuzz_nmsg.c - libFuzzer target for the daemon-to-daemon message decoder
 * (built with clang only).  The first input byte chooses UDP (HELLO) or TCP
 * rules.  Property: decoding never faults; an accepted HELLO of our minor
 * version re-encodes to the same bytes.
 * Run: ./build-clang/tests/neighbour/fuzz_nmsg -max_total_time=60 tests/neighbour/corpus */
#include <stdlib.h>
#include <string.h>

#include "nmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
    return 0;
}
