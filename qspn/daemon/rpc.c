/* rpc.c - requests to neighbours over the TCP streams and what arrives on
 * them: every message is decoded with nmsg (bounded), matched to the arc of
 * its sender (link-local + NNID), then answered, delivered to an identity, or
 * completes a pending request.  A malformed message is counted and dropped. */
#include "system.h"

#include "log.h"

#include <stdlib.h>
#include <string.h>

#define DOMAIN "qspnd"

typedef struct {
    qsys *s;
    uint32_t id;
    uint32_t peer_ll;
    uint64_t seq;                      /* creation order */
    rpc_done_fn fn;
    void *user;
    guint timeout;
} pending;

static void pending_free(gpointer p)
{
    pending *x = p;
    if (x->timeout)
        g_source_remove(x->timeout);
    g_free(x);
}

uint32_t rpc_new_id(qsys *s)
{
    uint32_t id;
    do
        id = g_random_int();
    while (id == 0 || g_hash_table_contains(s->rpc, &id));
    return id;
}

static void complete(qsys *s, uint32_t id, const nmsg *reply)
{
    pending *x = g_hash_table_lookup(s->rpc, &id);
    if (!x)
        return;
    rpc_done_fn fn = x->fn;
    void *user = x->user;
    g_hash_table_remove(s->rpc, &id);        /* before the callback: it may call again */
    if (fn)
        fn(s, user, reply);
}

static gboolean on_timeout(gpointer data)
{
    pending *x = data;
    x->timeout = 0;
    x->s->c.rpc_timeouts++;
    complete(x->s, x->id, NULL);
    return G_SOURCE_REMOVE;
}

typedef struct {
    qsys *s;
    rpc_done_fn fn;
    void *user;
} deferred_fail;

static gboolean on_deferred_fail(gpointer data)
{
    deferred_fail *d = data;
    if (d->fn)
        d->fn(d->s, d->user, NULL);
    g_free(d);
    return G_SOURCE_REMOVE;
}

void rpc_send(qsys *s, const nbr_arc *a, const nmsg_buf *msg)
{
    if (!s->tcp)
        return;                        /* offline (unit tests) */
    if (!s->opt->key) {
        tl_send(s->tcp, a->peer_ll, qsys_nic_ll(s, a->nic), qsys_nic_dev(s, a->nic), msg->data, msg->len);
        return;
    }
    /* a copy: callers may send one encoded message on several arcs, each
     * with its own sequence number */
    nmsg_buf sealed = { malloc(msg->len + NAUTH_TRAILER_LEN), msg->len, msg->len + NAUTH_TRAILER_LEN };
    if (!sealed.data)
        abort();                       /* as the nmsg encoders */
    memcpy(sealed.data, msg->data, msg->len);
    qsys_auth_seal(s, &sealed);
    tl_send(s->tcp, a->peer_ll, qsys_nic_ll(s, a->nic), qsys_nic_dev(s, a->nic), sealed.data, sealed.len);
    nmsg_buf_free(&sealed);
}

void rpc_call(qsys *s, const nbr_arc *a, uint32_t id, const nmsg_buf *msg, uint32_t timeout_ms,
              rpc_done_fn fn, void *user)
{
    if (!a || !msg) {
        deferred_fail *d = g_new0(deferred_fail, 1);
        d->s = s;
        d->fn = fn;
        d->user = user;
        g_idle_add(on_deferred_fail, d);
        return;
    }
    static uint64_t seq;
    pending *x = g_new0(pending, 1);
    x->s = s;
    x->seq = ++seq;
    x->id = id;
    x->peer_ll = a->peer_ll;
    x->fn = fn;
    x->user = user;
    x->timeout = g_timeout_add(timeout_ms ? timeout_ms : 5000, on_timeout, x);
    g_hash_table_insert(s->rpc, g_memdup2(&id, sizeof id), x);
    rpc_send(s, a, msg);
}

static gint by_seq(gconstpointer a, gconstpointer b)
{
    const pending *x = *(pending *const *)a, *y = *(pending *const *)b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Every request waiting for peer_ll fails (its stream broke or its arc went),
 * in the order they were made: the QSPN core expects that per arc. */
void rpc_fail_peer(qsys *s, uint32_t peer_ll)
{
    GPtrArray *v = g_ptr_array_new();
    GHashTableIter it;
    gpointer k, x;
    g_hash_table_iter_init(&it, s->rpc);
    while (g_hash_table_iter_next(&it, &k, &x))
        if (((pending *)x)->peer_ll == peer_ll)
            g_ptr_array_add(v, x);
    g_ptr_array_sort(v, by_seq);
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    for (guint i = 0; i < v->len; i++)
        g_array_append_val(ids, ((pending *)g_ptr_array_index(v, i))->id);
    g_ptr_array_free(v, TRUE);
    for (guint i = 0; i < ids->len; i++)
        complete(s, g_array_index(ids, uint32_t, i), NULL);
    g_array_free(ids, TRUE);
}

void rpc_fail_all(qsys *s)
{
    while (g_hash_table_size(s->rpc) > 0) {
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, s->rpc);
        g_hash_table_iter_next(&it, &k, &v);
        complete(s, ((pending *)v)->id, NULL);
    }
}

GHashTable *rpc_table_new(void);
GHashTable *rpc_table_new(void)
{
    return g_hash_table_new_full(g_int_hash, g_int_equal, g_free, pending_free);
}

/* ---- the TCP hub's callbacks ----------------------------------------------------------- */

static void tl_frame(void *user, uint32_t peer_ip, const uint8_t *data, size_t len)
{
    qsys *s = user;
    nmsg m;
    nmsg_result r;
    if (!qsys_auth_decode(s, data, len, false, peer_ip, &m, &r))
        return;                        /* counted as auth_* */
    if (r != NMSG_OK) {
        static qspnd_ratelimit rl;
        uint64_t left_out;
        s->c.tcp_frames_bad++;
        if (qspnd_ratelimit_allow(&rl, qsys_now_us(), &left_out))
            g_log_structured(DOMAIN, G_LOG_LEVEL_INFO, "MESSAGE",
                             "dropped a message from %u.%u.%u.%u: %s (%" G_GUINT64_FORMAT " such lines left out)",
                             peer_ip >> 24, (peer_ip >> 16) & 255, (peer_ip >> 8) & 255, peer_ip & 255,
                             nmsg_result_name(r), left_out);
        return;
    }
    const nbr_arc *a = nbr_find_by_ll(s->nbr, peer_ip, m.sender_nnid);
    if (!a) {
        s->c.msg_no_arc++;
        return;
    }
    if (m.type == NMSG_REPLY) {
        pending *x = g_hash_table_lookup(s->rpc, &m.request_id);
        if (!x || x->peer_ll != peer_ip) {
            s->c.msg_unexpected++;
            return;
        }
        complete(s, m.request_id, &m);
        return;
    }
    qsys_on_request(s, a, &m);
}

static void tl_down(void *user, uint32_t peer_ip)
{
    qsys *s = user;
    g_log_structured(DOMAIN, G_LOG_LEVEL_INFO, "MESSAGE", "stream to %u.%u.%u.%u broke", peer_ip >> 24,
                     (peer_ip >> 16) & 255, (peer_ip >> 8) & 255, peer_ip & 255);
    rpc_fail_peer(s, peer_ip);
}

static void tl_bad(void *user, uint32_t peer_ip, const char *why)
{
    static qspnd_ratelimit rl;
    uint64_t left_out;
    qsys *s = user;
    s->c.tcp_frames_bad++;
    if (qspnd_ratelimit_allow(&rl, qsys_now_us(), &left_out))
        g_log_structured(DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                         "closed a malformed stream from %u.%u.%u.%u: %s (%" G_GUINT64_FORMAT " such lines left out)",
                         peer_ip >> 24, (peer_ip >> 16) & 255, (peer_ip >> 8) & 255, peer_ip & 255, why, left_out);
}

/* Streams are kept only from a link-local to one of our managed interfaces'
 * link-locals; a neighbour (two-way arc) may send messages of any size. */
static tl_admission tl_admit(void *user, uint32_t peer_ip, uint32_t local_ip)
{
    qsys *s = user;
    bool ours = false;
    if ((peer_ip >> 16) != 0xA9FEu)    /* 169.254.0.0/16 */
        return TL_REFUSE;
    for (size_t i = 0; i < s->opt->cfg.n_nics && !ours; i++)
        ours = s->opt->cfg.nics[i].linklocal == local_ip;
    if (!ours)
        return TL_REFUSE;
    const nbr_arc *arcs[256];
    int n = nbr_arcs(s->nbr, arcs, G_N_ELEMENTS(arcs));
    for (int i = 0; i < n && i < (int)G_N_ELEMENTS(arcs); i++)
        if (arcs[i]->peer_ll == peer_ip)
            return TL_NEIGHBOUR;
    return TL_STRANGER;
}

const tl_callbacks qsys_tl_callbacks = { tl_admit, tl_frame, tl_down, tl_bad };
