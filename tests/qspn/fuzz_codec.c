/* fuzz_codec.c - libFuzzer target for the QSPN decoder (built with clang only).
 * Run: ./build/tests/qspn/fuzz_codec -max_total_time=60
 * The first input byte picks the topology (1..4 levels of gsize 4 or 16). */
#include <stdlib.h>

#include "codec_fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    ntk_topology t;
    memset(&t, 0, sizeof t);
    t.levels = 1 + (data[0] & 3);
    for (int i = 0; i < t.levels; i++) {
        t.gsize[i] = (data[0] & 4) ? 16 : 4;
        t.gexp[i] = (data[0] & 4) ? 4 : 2;
    }
    if (!codec_fuzz_one(&t, data + 1, size - 1))
        abort();
    return 0;
}
