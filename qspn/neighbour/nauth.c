/* nauth.c - HMAC-SHA256 trailer and anti-replay window (nauth.h). */
#include "nauth.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

bool nauth_key_set(nauth_key *k, const uint8_t *bytes, size_t len)
{
    if (len < NAUTH_KEY_MIN || len > NAUTH_KEY_MAX)
        return false;
    memcpy(k->bytes, bytes, len);
    k->len = len;
    return true;
}

static uint32_t get_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* HMAC-SHA256 of buf[0, len) into out (NAUTH_HMAC_LEN bytes). */
static void hmac(const nauth_key *k, const uint8_t *buf, size_t len, uint8_t *out)
{
    GHmac *h = g_hmac_new(G_CHECKSUM_SHA256, k->bytes, k->len);
    g_hmac_update(h, buf, (gssize)len);
    gsize n = NAUTH_HMAC_LEN;
    g_hmac_get_digest(h, out, &n);
    g_hmac_unref(h);
}

bool nauth_seal(const nauth_key *k, uint64_t seq, nmsg_buf *msg)
{
    if (msg->len < NMSG_HDR_LEN)
        return false;
    uint32_t body = get_be32(msg->data + 16);
    if ((size_t)body != msg->len - NMSG_HDR_LEN || body > NMSG_MAX_BODY - NAUTH_TRAILER_LEN)
        return false;
    if (msg->cap < msg->len + NAUTH_TRAILER_LEN) {
        uint8_t *d = realloc(msg->data, msg->len + NAUTH_TRAILER_LEN);
        if (!d)
            abort();                   /* as the nmsg encoders: out of memory is fatal */
        msg->data = d;
        msg->cap = msg->len + NAUTH_TRAILER_LEN;
    }
    put_be32(msg->data + 16, body + NAUTH_TRAILER_LEN);
    uint8_t *t = msg->data + msg->len;
    for (int i = 0; i < NAUTH_SEQ_LEN; i++)
        t[i] = (uint8_t)(seq >> (56 - 8 * i));
    msg->len += NAUTH_SEQ_LEN;
    hmac(k, msg->data, msg->len, msg->data + msg->len);
    msg->len += NAUTH_HMAC_LEN;
    return true;
}

/* Every byte compared whatever the first difference: the time taken does not
 * tell a forger how many leading bytes of its guess were right. */
static bool equal_constant_time(const uint8_t *a, const uint8_t *b, size_t n)
{
    uint8_t diff = 0;
    for (size_t i = 0; i < n; i++)
        diff |= (uint8_t)(a[i] ^ b[i]);
    return diff == 0;
}

nauth_result nauth_verify(const nauth_key *k, const uint8_t *buf, size_t len, bool udp, uint64_t *seq)
{
    if (len < NMSG_HDR_LEN + NAUTH_TRAILER_LEN)
        return NAUTH_MISSING;
    uint8_t want[NAUTH_HMAC_LEN];
    size_t signed_len = len - NAUTH_HMAC_LEN;
    hmac(k, buf, signed_len, want);
    if (!equal_constant_time(want, buf + signed_len, NAUTH_HMAC_LEN)) {
        /* a well-formed message without trailer comes from a daemon without a
         * key (or with a trailer stripped): "missing" tells the operator which */
        nmsg m;
        return nmsg_decode(buf, len, udp, &m) == NMSG_OK ? NAUTH_MISSING : NAUTH_BAD;
    }
    uint64_t s = 0;
    for (int i = 0; i < NAUTH_SEQ_LEN; i++)
        s = (s << 8) | buf[len - NAUTH_TRAILER_LEN + (size_t)i];
    *seq = s;
    return NAUTH_OK;
}

nauth_result nauth_window_accept(nauth_window *w, uint64_t seq)
{
    if (!w->started) {
        w->started = true;
        w->top = seq;
        w->seen = 1;
        return NAUTH_OK;
    }
    if (seq > w->top) {
        uint64_t shift = seq - w->top;
        w->seen = shift >= NAUTH_WINDOW ? 0 : w->seen << shift;
        w->seen |= 1;
        w->top = seq;
        return NAUTH_OK;
    }
    uint64_t age = w->top - seq;
    if (age >= NAUTH_WINDOW)
        return NAUTH_REPLAY;           /* older than what the window remembers */
    uint64_t bit = (uint64_t)1 << age;
    if (w->seen & bit)
        return NAUTH_REPLAY;
    w->seen |= bit;
    return NAUTH_OK;
}

const char *nauth_result_name(nauth_result r)
{
    static const char *const names[NAUTH__COUNT] = { "ok", "auth missing", "auth bad", "replay" };
    return (unsigned)r < NAUTH__COUNT ? names[r] : "?";
}
