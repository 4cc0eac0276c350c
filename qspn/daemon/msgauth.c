/* msgauth.c - --key-file at run time: every message qspnd sends gets the
 * authentication trailer (nauth.h), every message it receives is verified
 * before it is decoded, and authentic messages pass the anti-replay window of
 * their sender and path (docs/neighbour-protocol.md, "Authentication").
 * Without a key nothing here changes a byte: seal does nothing and receiving
 * is plain nmsg_decode. */
#include "system.h"

#include "log.h"

#include <string.h>

#define DOMAIN "qspnd"

/* Windows kept at most: one per authentic sender and path.  Only a holder of
 * the key creates one, so the bound matters only for neighbours restarting
 * (a new NNID each time) over a long life; the least recently used goes. */
#define AUTH_MAX_WINDOWS 4096

typedef struct {
    nauth_window w;
    int64_t last_us;                   /* last accepted, for eviction */
} sender_window;

void qsys_auth_init(qsys *s)
{
    if (!s->opt->key)
        return;
    /* the wall clock in microseconds: a restarted daemon starts above every
     * sequence number its previous run used (it sends far less than one
     * message per microsecond) */
    s->auth_seq = (uint64_t)g_get_real_time();
    s->auth_windows = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
}

void qsys_auth_free(qsys *s)
{
    if (s->auth_windows)
        g_hash_table_destroy(s->auth_windows);
    s->auth_windows = NULL;
}

void qsys_auth_seal(qsys *s, nmsg_buf *msg)
{
    if (!s->opt->key)
        return;
    if (!nauth_seal(s->opt->key, ++s->auth_seq, msg))
        g_log_structured(DOMAIN, G_LOG_LEVEL_CRITICAL, "MESSAGE", "cannot seal a message of %zu bytes",
                         msg->len);
}

static void evict_oldest(GHashTable *t)
{
    GHashTableIter it;
    gpointer k, v, oldest = NULL;
    int64_t when = INT64_MAX;
    g_hash_table_iter_init(&it, t);
    while (g_hash_table_iter_next(&it, &k, &v))
        if (((sender_window *)v)->last_us < when) {
            when = ((sender_window *)v)->last_us;
            oldest = k;
        }
    if (oldest)
        g_hash_table_remove(t, oldest);
}

/* The sender's window on this path, created on its first authentic message. */
static sender_window *window_of(qsys *s, uint32_t nnid, bool udp, uint32_t path)
{
    gint64 key = (gint64)(((uint64_t)nnid << 33) | ((uint64_t)udp << 32) | path);
    sender_window *sw = g_hash_table_lookup(s->auth_windows, &key);
    if (sw)
        return sw;
    if (g_hash_table_size(s->auth_windows) >= AUTH_MAX_WINDOWS)
        evict_oldest(s->auth_windows);
    sw = g_new0(sender_window, 1);
    g_hash_table_insert(s->auth_windows, g_memdup2(&key, sizeof key), sw);
    return sw;
}

static void log_drop(bool udp, uint32_t path, nauth_result a)
{
    static qspnd_ratelimit rl;         /* strangers choose how many: rate-limited */
    uint64_t left_out;
    if (!qspnd_ratelimit_allow(&rl, qsys_now_us(), &left_out))
        return;
    if (udp)
        g_log_structured(DOMAIN, G_LOG_LEVEL_DEBUG, "MESSAGE",
                         "dropped a datagram on NIC #%u: %s (%" G_GUINT64_FORMAT " such lines left out)", path,
                         nauth_result_name(a), left_out);
    else
        g_log_structured(DOMAIN, G_LOG_LEVEL_DEBUG, "MESSAGE",
                         "dropped a message from %u.%u.%u.%u: %s (%" G_GUINT64_FORMAT " such lines left out)",
                         path >> 24, (path >> 16) & 255, (path >> 8) & 255, path & 255, nauth_result_name(a),
                         left_out);
}

bool qsys_auth_decode(qsys *s, const uint8_t *data, size_t len, bool udp, uint32_t path, nmsg *m,
                      nmsg_result *r)
{
    if (!s->opt->key) {
        *r = nmsg_decode(data, len, udp, m);
        return true;
    }
    uint64_t seq = 0;
    nauth_result a = nauth_verify(s->opt->key, data, len, udp, &seq);
    if (a == NAUTH_OK) {
        *r = nmsg_decode_sealed(data, len, udp, NAUTH_TRAILER_LEN, m);
        if (*r != NMSG_OK)
            return true;               /* authentic but malformed: the caller counts it */
        sender_window *sw = window_of(s, m->sender_nnid, udp, path);
        a = nauth_window_accept(&sw->w, seq);
        if (a == NAUTH_OK) {
            sw->last_us = qsys_now_us();
            return true;
        }
    }
    if (a == NAUTH_MISSING)
        s->c.auth_missing++;
    else if (a == NAUTH_BAD)
        s->c.auth_bad++;
    else
        s->c.auth_replay++;
    log_drop(udp, path, a);
    return false;
}
