/* system.c - the system after its start-up plan: the neighbourhood (HELLOs on
 * every NIC, a tick at the next deadline), the TCP hub, identity #0 and its
 * QSPN manager (a network of its own), and the orderly stop. */
#include "system.h"

#include <string.h>

#define DOMAIN "qspnd"
#define PARKED_RETRY_MS 100

void qsys_parked_init(qsys *s);
GHashTable *rpc_table_new(void);

int64_t qsys_now_us(void)
{
    return g_get_monotonic_time();
}

const char *qsys_nic_dev(const qsys *s, int nic)
{
    return nic >= 0 && (size_t)nic < s->opt->cfg.n_nics ? s->opt->cfg.nics[nic].dev : "";
}

uint32_t qsys_nic_ll(const qsys *s, int nic)
{
    return nic >= 0 && (size_t)nic < s->opt->cfg.n_nics ? s->opt->cfg.nics[nic].linklocal : 0;
}

/* ---- HELLOs -------------------------------------------------------------------------- */

static void send_hellos(qsys *s, bool bye)
{
    int64_t now = qsys_now_us();
    for (int i = 0; i < nbr_n_nics(s->nbr); i++) {
        if (!s->udp[i])
            continue;
        nmsg_hello h;
        nbr_build_hello(s->nbr, i, now, bye, &h);
        nmsg_buf b = { 0 };
        nmsg_encode_hello(&b, s->nnid, &h);
        qsys_auth_seal(s, &b);
        if (!udp_nic_broadcast(s->udp[i], qsys_nic_ll(s, i), b.data, b.len))
            g_log_structured(DOMAIN, G_LOG_LEVEL_DEBUG, "MESSAGE", "HELLO on %s not sent",
                             qsys_nic_dev(s, i));
        nmsg_buf_free(&b);
    }
}

static gboolean on_hello_timer(gpointer data)
{
    send_hellos(data, false);
    return G_SOURCE_CONTINUE;
}

static void on_udp(void *user, int nic, uint32_t src_ip, const uint8_t *data, size_t len)
{
    qsys *s = user;
    nmsg m;
    nmsg_result r;
    if (!qsys_auth_decode(s, data, len, true, (uint32_t)nic, &m, &r))
        return;                        /* counted as auth_* */
    if (r != NMSG_OK) {
        s->c.udp_bad++;
        return;
    }
    if (m.sender_nnid == s->nnid)
        return;                        /* our own broadcast */
    if (src_ip != m.u.hello.ll) {
        s->c.udp_bad++;                /* the source must be the link-local it announces */
        return;
    }
    nbr_on_hello(s->nbr, nic, qsys_now_us(), m.sender_nnid, &m.u.hello);
}

/* ---- the tick -------------------------------------------------------------------------------
 * It runs only when something is due: a neighbour silent for its dead interval,
 * a migration's data expiring, and every PARKED_RETRY_MS while QSPN frames or
 * match answers are parked (they wait for a change that may come without an
 * event).  A GSource whose prepare() computes the next due time on every loop
 * iteration, as babeld computes its select() timeout: a new neighbour or a
 * parked frame is seen without a hook at each place that makes one, and an
 * idle daemon wakes for its HELLOs only, not ten times a second. */

typedef struct {
    GSource source;
    qsys *s;
    int64_t last_us;                   /* when the tick last ran */
} tick_source;

static int64_t tick_due(const tick_source *t)
{
    const qsys *s = t->s;
    int64_t due = nbr_next_deadline(s->nbr);
    int64_t expiry = idm_next_migration_expiry(s->idm);
    if (expiry < due)
        due = expiry;
    if ((s->parked_qspn->len || s->parked_match->len) && t->last_us + PARKED_RETRY_MS * 1000 < due)
        due = t->last_us + PARKED_RETRY_MS * 1000;
    return due;
}

static gboolean tick_prepare(GSource *source, gint *timeout_ms)
{
    int64_t due = tick_due((tick_source *)source), now = qsys_now_us();
    if (due <= now) {
        *timeout_ms = 0;
        return TRUE;
    }
    /* rounded up: waking before the deadline would only loop */
    *timeout_ms = due == INT64_MAX ? -1 : (gint)MIN((due - now + 999) / 1000, (int64_t)G_MAXINT);
    return FALSE;
}

static gboolean tick_check(GSource *source)
{
    return tick_due((tick_source *)source) <= qsys_now_us();
}

static gboolean tick_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
    tick_source *t = (tick_source *)source;
    qsys *s = t->s;
    int64_t now = qsys_now_us();
    t->last_us = now;
    nbr_tick(s->nbr, now);
    idm_expire_migrations(s->idm, now);
    qsys_retry_parked(s);
    qsys_release_parked_matches(s, NULL);
    return G_SOURCE_CONTINUE;
}

static guint tick_attach(qsys *s)
{
    static GSourceFuncs funcs = { tick_prepare, tick_check, tick_dispatch, NULL, NULL, NULL };
    GSource *source = g_source_new(&funcs, sizeof(tick_source));
    tick_source *t = (tick_source *)source;
    t->s = s;
    t->last_us = qsys_now_us();
    g_source_set_name(source, "qspnd tick");
    guint id = g_source_attach(source, NULL);
    g_source_unref(source);
    return id;
}

/* ---- start -------------------------------------------------------------------------------- */

static uint32_t random_id(qsys *s)
{
    uint32_t id;
    do
        id = (uint32_t)g_random_int_range(1, 0x7FFFFFFF);
    while (s->idm && idm_nodeid_in_use(s->idm, id));
    return id;
}

static bool start_neighbourhood(qsys *s, bool offline, char *err, size_t errlen)
{
    const qspnd_config *c = &s->opt->cfg;
    s->nbr = nbr_table_new(s->nnid, s->opt->hello_ms, s->opt->dead_ms, qsys_on_nbr_event, s);
    for (size_t i = 0; i < c->n_nics; i++) {
        nmsg_mac mac;
        if (!nmsg_mac_parse(c->nics[i].mac, &mac) || nbr_add_nic(s->nbr, c->nics[i].dev, &mac,
                                                                   c->nics[i].linklocal) != (int)i) {
            g_snprintf(err, errlen, "interface %s: unusable MAC or link-local", c->nics[i].dev);
            return false;
        }
        if (offline)
            continue;
        s->udp[i] = udp_nic_open(c->nics[i].dev, (int)i, NMSG_PORT, on_udp, s, err, errlen);
        if (!s->udp[i])
            return false;
    }
    if (offline)
        return true;
    s->tcp = tl_hub_new(NMSG_PORT, &qsys_tl_callbacks, s, err, errlen);
    if (!s->tcp)
        return false;
    s->hello_source = g_timeout_add(s->opt->hello_ms, on_hello_timer, s);
    s->tick_source = tick_attach(s);
    send_hellos(s, false);
    return true;
}

static bool start_identity0(qsys *s, char *err, size_t errlen)
{
    const qspnd_config *c = &s->opt->cfg;
    idm_nic nics[IDM_MAX_NICS];
    memset(nics, 0, sizeof nics);
    for (size_t i = 0; i < c->n_nics; i++) {
        g_strlcpy(nics[i].dev, c->nics[i].dev, sizeof nics[i].dev);
        nmsg_mac_parse(c->nics[i].mac, &nics[i].mac);
        nics[i].ll = c->nics[i].linklocal;
    }
    idm_identity *id0 = idm_create_main(s->idm, random_id(s), nics, (int)c->n_nics);
    qid *q = qid_new(s, id0);
    q->addr = c->addr;
    q->fp_id = ((uint64_t)g_random_int() << 32) | g_random_int();
    qns *ns = g_ptr_array_index(s->spaces, 0);
    ns->owner = q;
    q->ns = ns;
    qspn_fp fp0;
    qid_fp0(q, &fp0);
    qspn_env env = qid_env(q);
    q->m = qspn_create_net(&s->qcfg, &env, &c->topo, &c->addr, &fp0);
    if (!q->m) {
        g_snprintf(err, errlen, "cannot create the QSPN manager of identity #0");
        return false;
    }
    /* the start-up plan installed exactly the desired state of identity #0 */
    qns_adopt(ns);
    return true;
}

void qsys_state_note(qsys *s, const kop *op, bool added)
{
    if (s->state_fn)
        s->state_fn(s->state_ctx, op, added);
}

bool qsys_start(qsys *s, qspnd_options *opt, kernel *k, GMainLoop *loop, bool offline, char *err,
                size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->started_us = qsys_now_us();
    s->opt = opt;
    s->loop = loop;
    qspn_config_default(&s->qcfg);
    if (opt->arc_timeout_ms)
        s->qcfg.arc_timeout_ms = opt->arc_timeout_ms;
    /* the documented states keep arcs to neighbours not yet known (S08i) */
    s->qcfg.pinned_keep_unknown_outer = true;
    s->idm = idm_new(&qsys_idm_signals, s);
    s->nnid = random_id(s);
    tables_init(&s->tables);
    s->rt_installed = g_array_new(FALSE, TRUE, sizeof(tables_entry));
    s->spaces = g_ptr_array_new();
    s->reals = g_ptr_array_new();
    s->ops = g_ptr_array_new();
    s->rpc = rpc_table_new();
    s->tokens = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    s->parked_match = g_ptr_array_new_with_free_func(g_free);
    s->pins = g_hash_table_new_full(g_int_hash, g_int_equal, g_free, g_free);
    qsys_parked_init(s);
    qsys_auth_init(s);
    qns_new(s, "", k);
    if (!start_neighbourhood(s, offline, err, errlen))
        return false;
    return start_identity0(s, err, errlen);
}

/* ---- stop ------------------------------------------------------------------------------------ */

int qsys_stop(qsys *s)
{
    int rc = 0;
    s->stopping = true;
    if (s->nbr)
        send_hellos(s, true);
    /* connectivity identities first (their namespaces go) */
    for (int i = idm_n_identities(s->idm) - 1; i >= 0; i--) {
        idm_identity *id = idm_identity_at(s->idm, i);
        if (id && !idm_is_main(s->idm, id) && id->user)
            qid_dismiss(id->user);
    }
    idm_identity *main_id = s->idm ? idm_main(s->idm) : NULL;
    qid *q = main_id ? main_id->user : NULL;
    if (q && q->m) {
        qspn_stop_operations(q->m);
        qspn_destroy(q->m);
    }
    if (s->spaces && s->spaces->len > 0) {
        qns *ns = g_ptr_array_index(s->spaces, 0);
        if (ns->sync_source) {
            g_source_remove(ns->sync_source);
            ns->sync_source = 0;
        }
        rc = qns_clear(ns);
    }
    /* every forwarding-table number goes, with its rt_tables line */
    tables_init(&s->tables);
    if (s->spaces && s->spaces->len > 0)
        qsys_sync_rt_tables(s);
    return rc;
}

void qsys_free(qsys *s)
{
    if (!s->idm)
        return;
    if (s->hello_source)
        g_source_remove(s->hello_source);
    if (s->tick_source)
        g_source_remove(s->tick_source);
    if (s->ruler_source)
        g_source_remove(s->ruler_source);
    rpc_fail_all(s);
    while (s->ops->len)
        qop_free(g_ptr_array_index(s->ops, 0));
    g_ptr_array_free(s->ops, TRUE);
    for (int i = idm_n_identities(s->idm) - 1; i >= 0; i--) {
        idm_identity *id = idm_identity_at(s->idm, i);
        if (id && id->user)
            qid_free(id->user);
    }
    while (s->spaces->len)
        qns_free(g_ptr_array_index(s->spaces, s->spaces->len - 1));
    g_ptr_array_free(s->spaces, TRUE);
    for (guint i = 0; i < s->reals->len; i++)
        g_free(g_ptr_array_index(s->reals, i));
    g_ptr_array_free(s->reals, TRUE);
    idm_free(s->idm);
    s->idm = NULL;
    for (size_t i = 0; i < QSPND_MAX_NICS; i++)
        udp_nic_close(s->udp[i]);
    tl_hub_free(s->tcp);
    nbr_table_free(s->nbr);
    g_hash_table_destroy(s->rpc);
    g_hash_table_destroy(s->tokens);
    g_ptr_array_free(s->parked_qspn, TRUE);
    g_ptr_array_free(s->parked_match, TRUE);
    g_hash_table_destroy(s->pins);
    g_array_free(s->rt_installed, TRUE);
    qsys_auth_free(s);
}
