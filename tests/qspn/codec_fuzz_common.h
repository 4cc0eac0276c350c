/* codec_fuzz_common.h - the property both fuzz drivers check on any input:
 * decoding never reads out of bounds (ASan) and, when it succeeds, the
 * message re-encodes to a frame that decodes and re-encodes to the very same
 * bytes (the encoding is canonical). Returns false if the property fails. */
#ifndef QSPN_TESTS_CODEC_FUZZ_COMMON_H
#define QSPN_TESTS_CODEC_FUZZ_COMMON_H

#include <string.h>

#include "codec.h"

static inline bool codec_fuzz_one(const ntk_topology *t, const uint8_t *data, size_t len)
{
    qspn_msg m;
    if (qspn_decode_msg(t, data, len, &m) != QSPN_DECODE_OK)
        return true;
    bool ok = true;
    qspn_buf a = {0}, b = {0};
    if (!qspn_encode_msg(t, &m, &a)) {
        ok = false;
    } else {
        qspn_msg m2;
        if (qspn_decode_msg(t, a.data, a.len, &m2) != QSPN_DECODE_OK) {
            ok = false;
        } else {
            ok = qspn_encode_msg(t, &m2, &b) && a.len == b.len && memcmp(a.data, b.data, a.len) == 0;
            qspn_msg_free(&m2);
        }
    }
    qspn_buf_free(&a);
    qspn_buf_free(&b);
    qspn_msg_free(&m);
    return ok;
}

#endif
