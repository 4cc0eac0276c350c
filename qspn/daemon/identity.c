/* identity.c - identities at run time: the QSPN manager of each one (its
 * environment: frames over the arcs' TCP streams, glib timers; its signals:
 * namespace syncs), qspn-arcs with their forwarding tables, delivery of QSPN
 * frames from neighbours, and the dismissal of a connectivity identity. */
#include "system.h"

#include "monitor.h"

#include <string.h>

#define DOMAIN "qspnd"
#define PARK_MS 10000          /* a frame waits this long for its identity-arc (= arc timeout) */

/* ---- environment ---------------------------------------------------------------- */

typedef struct {
    qid *q;
    uint64_t id;
} timer_ctx;

static const nbr_arc *arc_of(qsys *s, const qwarc *a)
{
    if (!a || !a->w)
        return NULL;
    return nbr_find_by_id(s->nbr, a->w->arc);
}

static void env_send(void *user, qspn_manager *m, void *arc, const uint8_t *frame, size_t len)
{
    qid *q = user;
    qwarc *a = arc;
    const nbr_arc *na = arc_of(q->sys, a);
    if (!na)
        return;
    nmsg_buf b = { 0 };
    nmsg_encode_qspn(&b, q->sys->nnid, 0, q->ident->nodeid, a->w->peer_nodeid, frame, len);
    rpc_send(q->sys, na, &b);
    nmsg_buf_free(&b);
}

typedef struct {
    qid *q;
    qwarc *a;
    qspn_manager *m;
} qreq;

static void on_qspn_reply(qsys *s, void *user, const nmsg *reply)
{
    qreq *r = user;
    /* the manager may be gone (identity dismissed): then nobody waits */
    if (r->q->m == r->m) {
        if (reply && reply->u.reply.status == NMSG_ST_OK)
            qspn_on_reply(r->m, r->a, reply->u.reply.frame, reply->u.reply.len);
        else
            qspn_on_request_failed(r->m, r->a);
    }
    g_free(r);
}

static void env_send_request(void *user, qspn_manager *m, void *arc, const uint8_t *frame, size_t len)
{
    qid *q = user;
    qwarc *a = arc;
    qreq *r = g_new0(qreq, 1);
    r->q = q;
    r->a = a;
    r->m = m;
    const nbr_arc *na = arc_of(q->sys, a);
    if (!na) {
        /* the arc is gone: fail it from the main loop, never inside the core */
        rpc_call(q->sys, NULL, 0, NULL, 0, on_qspn_reply, r);
        return;
    }
    uint32_t id = rpc_new_id(q->sys);
    nmsg_buf b = { 0 };
    nmsg_encode_qspn(&b, q->sys->nnid, id, q->ident->nodeid, a->w->peer_nodeid, frame, len);
    rpc_call(q->sys, na, id, &b, q->sys->qcfg.arc_timeout_ms, on_qspn_reply, r);
    nmsg_buf_free(&b);
}

/* An incoming QSPN request waiting for the manager's answer. */
typedef struct {
    uint64_t arc;
    uint32_t request_id;
} qtoken;

static void env_send_reply(void *user, qspn_manager *m, void *arc, uint64_t token, const uint8_t *frame,
                           size_t len)
{
    qid *q = user;
    qsys *s = q->sys;
    qtoken *t = g_hash_table_lookup(s->tokens, &token);
    if (!t)
        return;
    const nbr_arc *na = nbr_find_by_id(s->nbr, t->arc);
    if (na) {
        nmsg_buf b = { 0 };
        nmsg_encode_reply_qspn(&b, s->nnid, t->request_id, frame, len);
        rpc_send(s, na, &b);
        nmsg_buf_free(&b);
    }
    g_hash_table_remove(s->tokens, &token);
}

static gboolean on_timer(gpointer data)
{
    timer_ctx *t = data;
    qid *q = t->q;
    g_hash_table_remove(q->timers, &t->id);     /* frees t's entry, not t */
    if (q->m)
        qspn_on_timer(q->m, t->id);
    return G_SOURCE_REMOVE;
}

static void env_set_timer(void *user, qspn_manager *m, uint64_t timer_id, uint32_t delay_ms)
{
    qid *q = user;
    timer_ctx *t = g_new0(timer_ctx, 1);
    t->q = q;
    t->id = timer_id;
    guint src = g_timeout_add_full(G_PRIORITY_DEFAULT, delay_ms, on_timer, t, g_free);
    g_hash_table_insert(q->timers, g_memdup2(&timer_id, sizeof timer_id), GUINT_TO_POINTER(src));
}

static uint32_t env_random32(void *user)
{
    return g_random_int();
}

static void env_log(void *user, qspn_manager *m, const char *line)
{
    qid *q = user;
    g_log_structured(DOMAIN, G_LOG_LEVEL_DEBUG, "MESSAGE", "qspn #%d: %s", q->ident->index, line);
}

/* ---- signals: every map change makes the namespace follow -------------------------- */

static void sig_sync(void *user, qspn_manager *m)
{
    qid *q = user;
    qns_schedule(q->ns);
}

static void sig_bootstrap(void *user, qspn_manager *m)
{
    qid *q = user;
    char a[NTK_STRLEN];
    ntk_naddr_format(&q->addr, ":", a, sizeof a);
    g_log_structured(DOMAIN, G_LOG_LEVEL_INFO, "MESSAGE", "qspn_bootstrap_complete: Identity #%d (%s).",
                     q->ident->index, a);
    qns_schedule(q->ns);
}

/* A migrated identity announced itself: the connectivity identity it was
 * copied from drops its arcs to the outside (behaviour.md 5.13).  Run after the
 * core returns: remove_outer_arcs mutates another manager and emits signals. */
static gboolean on_remove_outer_arcs(gpointer data)
{
    qsys *s = ((qid *)data)->sys;
    uint32_t origin = ((qid *)data)->origin_conn;
    idm_identity *oid = idm_by_nodeid(s->idm, origin);
    qid *o = oid ? oid->user : NULL;
    ((qid *)data)->origin_conn = 0;
    if (o && o->m && !o->dismissing) {
        g_log_structured(DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                         "remove_outer_arcs for connectivity identity #%d", oid->index);
        qspn_remove_outer_arcs(o->m);
    }
    return G_SOURCE_REMOVE;
}

static void sig_presence(void *user, qspn_manager *m)
{
    qid *q = user;
    g_log_structured(DOMAIN, G_LOG_LEVEL_INFO, "MESSAGE", "presence_notified: Identity #%d.",
                     q->ident->index);
    if (q->origin_conn)
        g_idle_add(on_remove_outer_arcs, q);
}

/* The qspn-arc leaves QSPN: its forwarding-table numbers (and the previous
 * one kept while a neighbour migrates) go back to the system. */
static void qwarc_release_tables(qsys *s, qwarc *a)
{
    a->qspn = false;
    if (a->tid > 0)
        tables_release(&s->tables, &a->tmac);
    if (a->has_prev && a->prev_tid > 0)
        tables_release(&s->tables, &a->prev_mac);
    a->tid = 0;
    a->has_prev = false;
}

/* The core removed an arc by itself (bad link, DESTROY, malformed message):
 * the program's reaction changes the model, so it runs after the core returns. */
typedef struct {
    qid *q;
    qwarc *a;
    bool bad_link;
} arc_removed_job;

static gboolean on_arc_removed_job(gpointer data)
{
    arc_removed_job *j = data;
    qid *q = j->q;
    qwarc *a = j->a;
    qsys *s = q->sys;
    if (a->qspn && a->w)
        qmon_idarc(s, QMON_QSPN_ARC_REMOVED, a->w, a->tid);
    if (a->qspn)
        qwarc_release_tables(s, a);
    if (a->w) {
        const nbr_arc *na = nbr_find_by_id(s->nbr, a->w->arc);
        bool main_arc = idm_idarc_is_main(s->idm, a->w);
        g_log_structured(DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                         "Qspn asks to remove arc: Identity #%d, arc to nodeid %u, bad_link=%s",
                         q->ident->index, a->w->peer_nodeid, j->bad_link ? "true" : "false");
        if ((j->bad_link || main_arc) && na)
            nbr_remove(s->nbr, na->id);       /* the physical arc goes, with everything on it */
        else if (a->w) {
            nmsg_buf b = { 0 };
            uint32_t id = rpc_new_id(s);
            nmsg_encode_notify(&b, s->nnid, id, q->ident->nodeid, a->w->peer_nodeid);
            if (na)
                rpc_call(s, na, id, &b, 500, NULL, NULL);
            nmsg_buf_free(&b);
            idm_remove_idarc(s->idm, a->w, false);
        }
    }
    qsys_schedule_all(s);
    g_free(j);
    return G_SOURCE_REMOVE;
}

static void sig_arc_removed(void *user, qspn_manager *m, void *arc, bool bad_link)
{
    arc_removed_job *j = g_new0(arc_removed_job, 1);
    j->q = user;
    j->a = arc;
    j->bad_link = bad_link;
    g_idle_add(on_arc_removed_job, j);
}

/* Every signal of the core (spec §4.1): map changes make the namespace follow. */
static void on_qspn_event(void *user, qspn_manager *m, const qspn_event *ev)
{
    qid *q = user;
    switch (ev->kind) {
    case QSPN_EV_BOOTSTRAP_COMPLETE:
        sig_bootstrap(user, m);
        break;
    case QSPN_EV_PRESENCE_NOTIFIED:
        sig_presence(user, m);
        break;
    case QSPN_EV_ARC_REMOVED:
        sig_arc_removed(user, m, ev->arc, ev->bad_link);
        break;
    case QSPN_EV_GNODE_SPLITTED:
        g_log_structured(DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                         "gnode_splitted: Identity #%d, (%d, %d)", q->ident->index, ev->dest.lvl,
                         ev->dest.pos);
        break;
    case QSPN_EV_REMOVE_IDENTITY:
        g_log_structured(DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE", "remove_identity: Identity #%d.",
                         q->ident->index);
        break;
    default:                           /* destinations, paths, fingerprints, nodes inside */
        sig_sync(user, m);
        break;
    }
}

qspn_env qid_env(qid *q)
{
    qspn_env e;
    memset(&e, 0, sizeof e);
    e.user = q;
    e.send = env_send;
    e.send_request = env_send_request;
    e.send_reply = env_send_reply;
    e.set_timer = env_set_timer;
    e.random32 = env_random32;
    e.log = env_log;
    e.on_event = on_qspn_event;
    return e;
}

/* ---- identities ----------------------------------------------------------------------- */

static void remove_source(gpointer p)
{
    g_source_remove(GPOINTER_TO_UINT(p));
}

qid *qid_new(qsys *s, idm_identity *ident)
{
    qid *q = g_new0(qid, 1);
    q->sys = s;
    q->ident = ident;
    ident->user = q;
    q->timers = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, remove_source);
    q->handles = g_ptr_array_new_with_free_func(g_free);
    q->deferred_removals = g_array_new(FALSE, TRUE, sizeof(uint64_t) * 2);
    q->deferred = g_ptr_array_new();
    return q;
}

void qid_free(qid *q)
{
    if (!q)
        return;
    if (q->m) {
        /* keep its counters in the system's totals (show) */
        const qspn_stats *st = qspn_get_stats(q->m);
        qspn_stats *t = &q->sys->c.retired;
        t->etp_sent += st->etp_sent;
        t->etp_bytes += st->etp_bytes;
        t->etp_received += st->etp_received;
        t->requests_sent += st->requests_sent;
        t->etp_dropped_cyclic += st->etp_dropped_cyclic;
        t->merges += st->merges;
        qspn_destroy_manager(q->m);
    }
    q->m = NULL;
    g_hash_table_destroy(q->timers);          /* removes the glib sources */
    if (q->mon_paths)
        g_hash_table_destroy(q->mon_paths);
    for (guint i = 0; i < q->handles->len; i++) {
        qwarc *a = g_ptr_array_index(q->handles, i);
        if (a->w)
            a->w->user = NULL;
    }
    g_ptr_array_free(q->handles, TRUE);
    g_array_free(q->deferred_removals, TRUE);
    g_ptr_array_free(q->deferred, TRUE);
    if (q->ident)
        q->ident->user = NULL;
    g_free(q);
}

qwarc *qwarc_of(idm_idarc *w)
{
    return w ? w->user : NULL;
}

void qid_fp0(const qid *q, qspn_fp *out)
{
    qspn_fp_make_node(out, q->fp_id, q->addr.levels, q->eld);
}

uint32_t qsys_arc_cost(qsys *s, uint64_t arc)
{
    qreal *r = qsys_real(s, arc);
    return r && r->cost ? r->cost : 1;
}

bool qid_add_qspn_arc(qid *q, qwarc *a, uint32_t cost, bool take_table)
{
    qsys *s = q->sys;
    if (!a->w || a->qspn || !q->m)
        return false;
    if (take_table) {
        int tid = tables_acquire(&s->tables, &a->w->peer_mac, NULL);
        if (tid < 0)
            return false;
        a->tid = tid;
        a->tmac = a->w->peer_mac;
    }
    a->qspn = true;
    qmon_idarc(s, QMON_QSPN_ARC_ADDED, a->w, a->tid);
    if (q->awaiting_phase2)
        g_ptr_array_add(q->deferred, a);
    else
        qspn_arc_add(q->m, a, cost);
    qns_schedule(q->ns);
    return true;
}

void qid_remove_qspn_arc(qid *q, qwarc *a)
{
    qsys *s = q->sys;
    g_ptr_array_remove(q->deferred, a);
    if (a->qspn && a->w)
        qmon_idarc(s, QMON_QSPN_ARC_REMOVED, a->w, a->tid);
    if (a->qspn && q->m)
        qspn_arc_remove(q->m, a);
    qwarc_release_tables(s, a);
    qns_schedule(q->ns);
}

/* ---- delivery of QSPN frames ------------------------------------------------------------ */

typedef struct {
    uint64_t arc;
    uint32_t peer_ll;
    uint32_t src, dst, request_id;
    GBytes *frame;
    int64_t until_us;
} parked;

static void parked_free(gpointer p)
{
    parked *x = p;
    g_bytes_unref(x->frame);
    g_free(x);
}

static bool has_parked(qsys *s, uint64_t arc, uint32_t src, uint32_t dst)
{
    for (guint i = 0; i < s->parked_qspn->len; i++) {
        parked *x = g_ptr_array_index(s->parked_qspn, i);
        if (x->arc == arc && x->src == src && x->dst == dst)
            return true;
    }
    return false;
}

/* True when delivered (or answered): false when the identity-arc is unknown yet. */
static bool try_deliver(qsys *s, uint64_t arc, uint32_t src, uint32_t dst, uint32_t request_id,
                        const uint8_t *frame, size_t len)
{
    idm_identity *id = idm_by_nodeid(s->idm, dst);
    qid *q = id ? id->user : NULL;
    if (!q || !q->m || q->dismissing)
        return false;
    idm_idarc *w = idm_find_idarc(s->idm, id, arc, src);
    qwarc *a = qwarc_of(w);
    if (!a)
        return false;
    uint64_t token = 0;
    if (request_id) {
        token = ++s->next_token;
        qtoken *t = g_new0(qtoken, 1);
        t->arc = arc;
        t->request_id = request_id;
        g_hash_table_insert(s->tokens, g_memdup2(&token, sizeof token), t);
    }
    qspn_on_message(q->m, a, frame, len, token);
    return true;
}

void qsys_deliver_qspn(qsys *s, uint64_t arc, uint32_t peer_ll, uint32_t src, uint32_t dst,
                       uint32_t request_id, const uint8_t *frame, size_t len)
{
    /* order per (arc, src, dst): behind a parked frame, park too */
    if (!has_parked(s, arc, src, dst) && try_deliver(s, arc, src, dst, request_id, frame, len))
        return;
    parked *x = g_new0(parked, 1);
    x->arc = arc;
    x->peer_ll = peer_ll;
    x->src = src;
    x->dst = dst;
    x->request_id = request_id;
    x->frame = g_bytes_new(frame, len);
    x->until_us = qsys_now_us() + (int64_t)PARK_MS * 1000;
    g_ptr_array_add(s->parked_qspn, x);
}

/* After any change of identities or identity-arcs, and periodically. */
void qsys_retry_parked(qsys *s)
{
    int64_t now = qsys_now_us();
    for (guint i = 0; i < s->parked_qspn->len;) {
        parked *x = g_ptr_array_index(s->parked_qspn, i);
        bool earlier = false;
        for (guint j = 0; j < i && !earlier; j++) {
            parked *y = g_ptr_array_index(s->parked_qspn, j);
            earlier = y->arc == x->arc && y->src == x->src && y->dst == x->dst;
        }
        gsize len;
        const uint8_t *f = g_bytes_get_data(x->frame, &len);
        if (!earlier && try_deliver(s, x->arc, x->src, x->dst, x->request_id, f, len)) {
            g_ptr_array_remove_index(s->parked_qspn, i);
            continue;
        }
        if (now >= x->until_us) {
            s->c.qspn_undeliverable++;
            const nbr_arc *na = nbr_find_by_id(s->nbr, x->arc);
            if (x->request_id && na) {
                nmsg_buf b = { 0 };
                nmsg_encode_reply_status(&b, s->nnid, x->request_id, NMSG_QSPN, NMSG_ST_NO_DISPATCHER);
                rpc_send(s, na, &b);
                nmsg_buf_free(&b);
            }
            g_ptr_array_remove_index(s->parked_qspn, i);
            continue;
        }
        i++;
    }
}

void qsys_parked_init(qsys *s);
void qsys_parked_init(qsys *s)
{
    s->parked_qspn = g_ptr_array_new_with_free_func(parked_free);
}

/* ---- dismissal ------------------------------------------------------------------------------ */

/* The connectivity identity q goes: its QSPN manager says goodbye, its peers
 * are told that every identity-arc is removed, its namespace (with the
 * pseudo-interfaces, routes, rules and marks in it) is deleted, and the table
 * numbers only it used are released (their rt_tables lines go). */
void qid_dismiss(qid *q)
{
    qsys *s = q->sys;
    if (idm_is_main(s->idm, q->ident) || q->dismissing)
        return;
    q->dismissing = true;
    char ns[IDM_NSLEN];
    g_strlcpy(ns, q->ident->ns, sizeof ns);
    g_log_structured(DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE", "dismissing identity #%d (namespace %s)",
                     q->ident->index, ns);
    qmon_identity(s, QMON_IDENTITY_DISMISSED, q);
    if (q->m) {
        qspn_stop_operations(q->m);
        qspn_destroy(q->m);
    }
    for (guint i = 0; i < q->ident->arcs->len; i++) {
        idm_idarc *w = g_ptr_array_index(q->ident->arcs, i);
        qwarc *a = qwarc_of(w);
        const nbr_arc *na = nbr_find_by_id(s->nbr, w->arc);
        if (na) {
            nmsg_buf b = { 0 };
            uint32_t id = rpc_new_id(s);
            nmsg_encode_notify(&b, s->nnid, id, q->ident->nodeid, w->peer_nodeid);
            rpc_call(s, na, id, &b, 500, NULL, NULL);
            nmsg_buf_free(&b);
        }
        if (a)
            qwarc_release_tables(s, a);    /* the manager goes as a whole */
    }
    qns *space = q->ns;
    GArray *ops = g_array_new(FALSE, TRUE, sizeof(kop));
    for (int i = 0; i < idm_n_nics(s->idm); i++)
        if (q->ident->nics[i].dev[0]) {
            kop op = kop_link_del("", q->ident->nics[i].dev);
            op.tolerant = true;
            g_array_append_val(ops, op);
        }
    char err[256];
    if (ops->len && kernel_apply(space->k, (const kop *)ops->data, ops->len, NULL, err, sizeof err) != 0)
        g_log_structured(DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE", "dismiss %s: %s", ns, err);
    g_array_free(ops, TRUE);
    qns_free(space);
    kop del = kop_netns_del(ns);
    qns *sys_ns = g_ptr_array_index(s->spaces, 0);
    if (kernel_apply(sys_ns->k, &del, 1, NULL, err, sizeof err) != 0)
        g_log_structured(DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE", "dismiss %s: %s", ns, err);
    else
        qsys_state_note(s, &del, false);
    idm_identity *ident = q->ident;
    int index = ident->index;
    uint32_t origin = q->copy_of_conn;
    qid_free(q);
    idm_remove_identity(s->idm, ident);
    qsys_sync_rt_tables(s);
    qsys_schedule_all(s);
    /* UseCases19: a connectivity identity copied from another one takes its
     * origin with it */
    idm_identity *oid = origin ? idm_by_nodeid(s->idm, origin) : NULL;
    qid *o = oid ? oid->user : NULL;
    if (o && o->conn_to > 0 && !o->dismissing) {
        g_log_structured(DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                         "identity #%d was copied from connectivity identity #%d: dismissing it too",
                         index, oid->index);
        qid_dismiss(o);
    }
}
