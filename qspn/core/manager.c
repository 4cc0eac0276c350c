/* manager.c - one QSPN manager per identity: construction, arcs, ETP
 * revision (spec §3.4), event handlers (§3.7), bootstrap (§3.10), split
 * timers (§3.9), timers and transport glue, queries (§4.2). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "paths.h"

void qspn_start_split_timer(qspn_manager *m, const qspn_fp *fp_e, const qspn_fp *fp,
                            const nodepath *bp_e, const nodepath *bp, ntk_hcoord d);

static void logf_(qspn_manager *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(qspn_manager *m, const char *fmt, ...)
{
    if (!m->env.log)
        return;
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    m->env.log(m->env.user, m, line);
}

/* ---- timers ---------------------------------------------------------------- */

static timer_t_ *timer_new(qspn_manager *m, timer_kind kind, uint32_t delay_ms)
{
    timer_t_ *t = calloc(1, sizeof *t);
    if (!t)
        abort();
    t->id = ++m->next_id;
    t->kind = kind;
    QSPN_GROW(m->timers, m->n_timers, m->cap_timers, 8);
    m->timers[m->n_timers++] = t;
    if (m->env.set_timer)
        m->env.set_timer(m->env.user, m, t->id, delay_ms);
    return t;
}

static void timer_free(timer_t_ *t)
{
    free(t->b);
    free(t->frame);
    free(t);
}

static timer_t_ *timer_take(qspn_manager *m, uint64_t id)
{
    for (int i = 0; i < m->n_timers; i++) {
        if (m->timers[i]->id == id) {
            timer_t_ *t = m->timers[i];
            m->timers[i] = m->timers[--m->n_timers];
            return t;
        }
    }
    return NULL;
}

/* ---- sending ------------------------------------------------------------------ */

static void fill_etp_header(const qspn_manager *m, qspn_etp *e)
{
    memset(e, 0, sizeof *e);
    e->sender = m->me;
    for (int i = 0; i <= m->levels; i++) {
        e->fps[i] = m->fps[i];
        e->nodes_inside[i] = m->nn[i];
    }
}

static bool encode(qspn_manager *m, const qspn_msg *msg, qspn_buf *buf)
{
    if (!qspn_encode_msg(&m->topo, msg, buf)) {
        logf_(m, "cannot encode message type %d", (int)msg->type);
        return false;
    }
    return true;
}

static void send_frame(qspn_manager *m, arc_t *a, const qspn_buf *buf, bool is_etp)
{
    if (is_etp) {
        m->stats.etp_sent++;
        m->stats.etp_bytes += buf->len;
    }
    if (m->env.send)
        m->env.send(m->env.user, m, a->handle, buf->data, buf->len);
}

/* Send an ETP to every arc except `except` (NULL = all). */
static void broadcast_etp(qspn_manager *m, const ntk_hcoord *route, int n_route,
                          const path_list *paths, bool is_full, const arc_t *except)
{
    qspn_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.type = QSPN_MSG_SEND_ETP;
    msg.is_full = is_full;
    fill_etp_header(m, &msg.etp);
    msg.etp.n_route = n_route;
    for (int i = 0; i < n_route; i++)
        msg.etp.route[i] = route[i];
    msg.etp.n_paths = paths ? paths->n : 0;
    msg.etp.paths = paths ? paths->v : NULL;
    qspn_buf buf = {0};
    if (encode(m, &msg, &buf)) {
        /* snapshot the arc list: nothing below mutates it, but stay explicit */
        for (int i = 0; i < m->n_arcs; i++)
            if (m->arcs[i] != except)
                send_frame(m, m->arcs[i], &buf, true);
    }
    qspn_buf_free(&buf);
}

static void unicast_etp(qspn_manager *m, arc_t *a, const path_list *paths, bool is_full)
{
    qspn_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.type = QSPN_MSG_SEND_ETP;
    msg.is_full = is_full;
    fill_etp_header(m, &msg.etp);
    msg.etp.n_paths = paths ? paths->n : 0;
    msg.etp.paths = paths ? paths->v : NULL;
    qspn_buf buf = {0};
    if (encode(m, &msg, &buf))
        send_frame(m, a, &buf, true);
    qspn_buf_free(&buf);
}

/* Every stored path (optionally: levels >= min_lvl and not containing avoid). */
static void collect_full(qspn_manager *m, int min_lvl, const ntk_hcoord *avoid, path_list *out)
{
    for (int lvl = min_lvl < 0 ? 0 : min_lvl; lvl < m->levels; lvl++) {
        level_map *lm = &m->map[lvl];
        for (int k = 0; k < lm->n; k++)
            for (int q = 0; q < lm->d[k].n; q++) {
                nodepath *np = &lm->d[k].paths[q];
                if (avoid && qspn_path_contains(&np->p, *avoid))
                    continue;
                qspn_etp_path p;
                qspn_prepare_step1(m, np, false, &p);
                qspn_prepare_step2(m, &p);
                qspn_path_list_push(out, p);
            }
    }
}

static void send_full_etp(qspn_manager *m, arc_t *only)
{
    path_list all = {0};
    collect_full(m, 0, NULL, &all);
    if (only)
        unicast_etp(m, only, &all, true);
    else
        broadcast_etp(m, NULL, 0, &all, true, NULL);
    qspn_path_list_free(&all);
}

static void send_request(qspn_manager *m, arc_t *a, req_kind kind, uint64_t gather_id)
{
    QSPN_GROW(a->req, a->n_req, a->cap_req, 4);
    a->req[a->n_req++] = (pending_req){kind, gather_id};
    qspn_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.type = QSPN_MSG_GET_FULL_ETP_REQ;
    msg.naddr = m->me;
    qspn_buf buf = {0};
    if (encode(m, &msg, &buf)) {
        m->stats.requests_sent++;
        if (m->env.send_request)
            m->env.send_request(m->env.user, m, a->handle, buf.data, buf.len);
    }
    qspn_buf_free(&buf);
}

/* ---- arcs ------------------------------------------------------------------------ */

static uint32_t fresh_arc_id(qspn_manager *m)
{
    for (;;) {
        uint32_t id = m->env.random32 ? (m->env.random32(m->env.user) & 0x7FFFFFFFu) : 0;
        if (id == 0 || id == 0x7FFFFFFFu) {
            if (!m->env.random32)
                id = (uint32_t)(m->n_arcs + 1) * 2654435761u % 0x7FFFFFFEu + 1;
            else
                continue;
        }
        if (!qspn_arc_by_id(m, id))
            return id;
    }
}

static arc_t *arc_insert(qspn_manager *m, void *handle, uint32_t cost, uint32_t id)
{
    arc_t *a = calloc(1, sizeof *a);
    if (!a)
        abort();
    a->handle = handle;
    a->cost = cost;
    a->id = id;
    QSPN_GROW(m->arcs, m->n_arcs, m->cap_arcs, 8);
    m->arcs[m->n_arcs++] = a;
    return a;
}

static void queue_remove(qspn_manager *m, void *handle)
{
    for (int i = 0; i < m->n_queued; i++)
        if (m->queued[i] == handle) {
            memmove(&m->queued[i], &m->queued[i + 1], (size_t)(m->n_queued - i - 1) * sizeof(void *));
            m->n_queued--;
            return;
        }
}

/* Drop the arc record and every stored path through it. The DEAD copies go
 * to `withdrawn` (may be NULL); signals are emitted after the map is
 * consistent (spec §8.12). Outstanding requests of the arc are settled as
 * failures of their gathers. */
static void gather_settle(qspn_manager *m, uint64_t gid);
static void bootstrap_next(qspn_manager *m);

static void arc_forget(qspn_manager *m, arc_t *a, path_list *withdrawn, bool emit)
{
    /* collect the removed paths */
    np_list removed = {0};
    hc_set removed_dests = {0};
    for (int lvl = 0; lvl < m->levels; lvl++) {
        level_map *lm = &m->map[lvl];
        for (int k = 0; k < lm->n; k++) {
            dest_t *d = &lm->d[k];
            int w = 0, before = d->n;
            for (int q = 0; q < d->n; q++) {
                if (d->paths[q].p.hops[0].arc_id == a->id) {
                    if (withdrawn) {
                        qspn_etp_path p;
                        qspn_prepare_step1(m, &d->paths[q], true, &p);
                        qspn_path_list_push(withdrawn, p);
                    }
                    qspn_np_list_push(&removed, d->paths[q]);
                } else {
                    d->paths[w++] = d->paths[q];
                }
            }
            d->n = w;
            if (w == 0 && before > 0)
                qspn_hc_set_add(&removed_dests, (ntk_hcoord){lvl, d->pos});
        }
    }
    for (int i = 0; i < removed_dests.n; i++) {
        dest_t *d = qspn_find_dest(m, removed_dests.v[i]);
        if (d && d->n == 0)
            qspn_remove_dest(m, removed_dests.v[i]);
    }
    /* the arc goes away after the views are built (views need its handle) */
    if (emit) {
        for (int i = 0; i < removed.n; i++) {
            const nodepath *np = &removed.v[i];
            int dl = np->p.hops[np->p.n_hops - 1].lvl;
            if (dl > 0 && !np->exposed)
                continue; /* HEAD: hidden paths were never signalled */
            qspn_path_view v;
            qspn_view_of(m, np, &v);
            if (m->env.sig.path_removed)
                m->env.sig.path_removed(m->env.user, m, &v);
        }
        for (int i = 0; i < removed_dests.n; i++)
            if (!qspn_find_dest(m, removed_dests.v[i]) && m->env.sig.destination_removed)
                m->env.sig.destination_removed(m->env.user, m, removed_dests.v[i]);
    }
    qspn_np_list_free(&removed);
    qspn_hc_set_free(&removed_dests);

    for (int i = 0; i < m->n_arcs; i++)
        if (m->arcs[i] == a) {
            m->arcs[i] = m->arcs[--m->n_arcs];
            break;
        }
    queue_remove(m, a->handle);
    pending_req *req = a->req;
    int n_req = a->n_req;
    free(a);
    bool bootstrap_req = false;
    for (int i = 0; i < n_req; i++) {
        if (req[i].kind == REQ_GATHER)
            gather_settle(m, req[i].gather_id);
        bootstrap_req = bootstrap_req || req[i].kind == REQ_BOOTSTRAP;
    }
    free(req);
    if (bootstrap_req) {
        m->bootstrap_querying = false;
        bootstrap_next(m);
    }
}

/* The module itself drops an arc (spec §3.12) and tells the user. */
static void arc_drop_and_signal(qspn_manager *m, arc_t *a, bool bad_link)
{
    void *h = a->handle;
    qspn_arc_remove(m, h);
    if (m->env.sig.arc_removed)
        m->env.sig.arc_removed(m->env.user, m, h, bad_link);
}

/* ---- construction ------------------------------------------------------------ */

static qspn_manager *mgr_alloc(const qspn_config *cfg, const qspn_env *env,
                               const ntk_topology *topo, const ntk_naddr *me, const qspn_fp *fp0)
{
    if (!topo || topo->levels < 1 || topo->levels > QSPN_MAX_LEVELS || !me ||
        me->levels != topo->levels || !fp0 || fp0->level != 0)
        return NULL;
    for (int i = 0; i < topo->levels; i++)
        if (me->pos[i] < 0 || me->pos[i] > QSPN_MAX_POS)
            return NULL;
    qspn_manager *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    if (cfg)
        m->cfg = *cfg;
    else
        qspn_config_default(&m->cfg);
    if (env)
        m->env = *env;
    m->topo = *topo;
    m->levels = topo->levels;
    m->me = *me;
    m->fps[0] = *fp0;
    m->nn[0] = 1;
    return m;
}

/* levels 1..l start as "alone" values, then update_clusters (no signals:
 * nobody is connected yet, spec §4.1). */
static void init_clusters(qspn_manager *m)
{
    for (int i = 1; i <= m->levels; i++) {
        qspn_fp_construct(&m->fps[i - 1], NULL, 0, m->levels, &m->fps[i]);
        m->nn[i] = m->nn[i - 1];
    }
    qspn_update_clusters(m, false);
}

qspn_manager *qspn_create_net(const qspn_config *cfg, const qspn_env *env,
                              const ntk_topology *topo, const ntk_naddr *my_naddr,
                              const qspn_fp *my_fp0)
{
    qspn_manager *m = mgr_alloc(cfg, env, topo, my_naddr, my_fp0);
    if (!m)
        return NULL;
    init_clusters(m);
    m->bootstrap_complete = true;
    m->hooking_level = m->levels;
    m->guest_level = m->levels;
    m->into_level = m->levels;
    timer_new(m, TIMER_BOOTSTRAP_SIGNAL, 1);
    return m;
}

static void bootstrap_next(qspn_manager *m);

static qspn_manager *enter_common(const qspn_config *cfg, const qspn_env *env,
                                  const ntk_topology *topo, const qspn_enter_args *a)
{
    if (!a || a->guest_level < 0 || a->host_level <= a->guest_level ||
        a->host_level > (topo ? topo->levels : 0))
        return NULL;
    if (a->guest_level > 0 && !a->previous)
        return NULL;
    qspn_manager *m = mgr_alloc(cfg, env, topo, a->my_naddr, a->my_fp0);
    if (!m)
        return NULL;
    const qspn_manager *prev = a->previous;
    if (prev) {
        m->conn_from = prev->conn_from;
        m->conn_to = prev->conn_to;
        if (m->conn_to > a->guest_level)
            m->conn_to = a->guest_level; /* HEAD clipping */
    }
    for (int i = 0; i < a->n_internal; i++) {
        uint32_t id = 0;
        if (prev) {
            arc_t *pa = qspn_arc_by_handle(prev, a->internal_arcs_prev[i]);
            if (pa)
                id = pa->id;
        }
        if (id == 0 || qspn_arc_by_id(m, id))
            id = fresh_arc_id(m);
        arc_t *x = arc_insert(m, a->internal_arcs[i], a->internal_costs[i], id);
        x->has_naddr = true;
        x->naddr = a->internal_peer_naddrs[i];
    }
    for (int i = 0; i < a->n_external; i++)
        arc_insert(m, a->external_arcs[i], a->external_costs[i], fresh_arc_id(m));
    /* copy the internal destinations (levels < k) */
    if (prev) {
        for (int lvl = 0; lvl < a->guest_level && lvl < m->levels; lvl++) {
            const level_map *lm = &prev->map[lvl];
            for (int k = 0; k < lm->n; k++) {
                const dest_t *pd = &lm->d[k];
                dest_t *nd = NULL;
                for (int q = 0; q < pd->n; q++) {
                    /* spec §8.21 (HEAD): drop paths whose old arc has no counterpart */
                    if (!qspn_arc_by_id(m, pd->paths[q].p.hops[0].arc_id))
                        continue;
                    arc_t *na = qspn_arc_by_id(m, pd->paths[q].p.hops[0].arc_id);
                    bool internal = false;
                    for (int i = 0; i < a->n_internal; i++)
                        internal = internal || a->internal_arcs[i] == na->handle;
                    if (!internal)
                        continue;
                    if (!nd)
                        nd = qspn_add_dest(m, (ntk_hcoord){lvl, pd->pos});
                    nodepath np;
                    qspn_path_copy_or_die(&np.p, &pd->paths[q].p);
                    if (a->update_internal_fp)
                        a->update_internal_fp(a->update_ctx, &np.p.fp);
                    np.exposed = false;
                    QSPN_GROW(nd->paths, nd->n, nd->cap, 4);
                    nd->paths[nd->n++] = np;
                }
                /* spec §8.6: mark the copied valid-fingerprint paths exposed */
                if (nd) {
                    const qspn_fp *v = qspn_valid_fp(nd->paths, nd->n);
                    for (int q = 0; q < nd->n; q++)
                        nd->paths[q].exposed = lvl == 0 || qspn_fp_equals(&nd->paths[q].p.fp, v);
                }
            }
        }
    }
    m->nn[0] = (m->conn_from || m->conn_to) ? 0 : 1;
    init_clusters(m);
    m->bootstrap_complete = false;
    m->hooking_level = a->guest_level;
    m->guest_level = a->guest_level;
    m->into_level = a->host_level;
    m->is_enter = true;
    for (int i = 0; i < m->n_arcs; i++)
        if (!m->arcs[i]->has_naddr) {
            m->queued = realloc(m->queued, (size_t)(m->n_queued + 1) * sizeof(void *));
            if (!m->queued)
                abort();
            m->queued[m->n_queued++] = m->arcs[i]->handle;
        }
    bootstrap_next(m);
    return m;
}

qspn_manager *qspn_enter_net(const qspn_config *cfg, const qspn_env *env,
                             const ntk_topology *topo, const qspn_enter_args *a)
{
    return enter_common(cfg, env, topo, a);
}

qspn_manager *qspn_migration(const qspn_config *cfg, const qspn_env *env,
                             const ntk_topology *topo, const qspn_enter_args *a)
{
    return enter_common(cfg, env, topo, a);
}

void qspn_destroy_manager(qspn_manager *m)
{
    if (!m)
        return;
    for (int lvl = 0; lvl < m->levels; lvl++) {
        for (int k = 0; k < m->map[lvl].n; k++)
            qspn_free_dest_paths(&m->map[lvl].d[k]);
        free(m->map[lvl].d);
    }
    for (int i = 0; i < m->n_arcs; i++) {
        free(m->arcs[i]->req);
        free(m->arcs[i]);
    }
    free(m->arcs);
    for (int i = 0; i < m->n_gathers; i++) {
        qspn_np_list_free(&m->gathers[i]->q);
        qspn_path_list_free(&m->gathers[i]->withdrawn);
        free(m->gathers[i]);
    }
    free(m->gathers);
    for (int i = 0; i < m->n_timers; i++)
        timer_free(m->timers[i]);
    free(m->timers);
    free(m->queued);
    free(m->pending_split);
    free(m->split_emitted_v);
    free(m->scratch);
    free(m);
}

static void send_full_etp(qspn_manager *m, arc_t *only);

void qspn_refresh_now(qspn_manager *m)
{
    if (m->bootstrap_complete && m->n_arcs > 0)
        send_full_etp(m, NULL);
}

void qspn_stop_operations(qspn_manager *m)
{
    m->stopped = true;
}

/* ---- revision (spec §3.4) -------------------------------------------------------- */

/* Mutates e (the caller's private copy). Returns false to drop the ETP. On
 * success appends to q and leaves the revised route in e->route. */
static bool revise(qspn_manager *m, qspn_etp *e, arc_t *a, bool is_full, np_list *q)
{
    int l = m->levels;
    ntk_hcoord v = qspn_coord_of(m, &e->sender);
    if (v.lvl < 0)
        return false;
    int L = v.lvl;
    bool addr_changed = a->has_naddr && a->naddr.pos[L] != e->sender.pos[L];
    ntk_naddr old = a->naddr;
    a->has_naddr = true;
    a->naddr = e->sender;

    /* 3: grouping on the route */
    int s = 0;
    while (s < e->n_route && e->route[s].lvl < L)
        s++;
    int nr = e->n_route - s;
    if (nr + 1 > QSPN_MAX_ROUTE)
        return false;
    memmove(&e->route[1], &e->route[s], (size_t)nr * sizeof e->route[0]);
    e->route[0] = v;
    e->n_route = nr + 1;
    /* 4: acyclic on the route */
    for (int i = 0; i < e->n_route; i++) {
        if (e->route[i].pos == m->me.pos[e->route[i].lvl]) {
            m->stats.etp_dropped_cyclic++;
            return false;
        }
    }
    np_list mp = {0};
    for (int k = 0; k < e->n_paths; k++) {
        qspn_etp_path *p = &e->paths[k];
        /* 5: ignore filter */
        if (p->ignore_outside & (1u << L))
            continue;
        /* 6: grouping */
        int drop = 0;
        while (drop < p->n_hops && p->hops[drop].lvl < L)
            drop++;
        int n = p->n_hops - drop;
        if (n + 1 > QSPN_MAX_PATH_HOPS || n < 1)
            continue;
        qspn_hop *h = malloc((size_t)(n + 1) * sizeof *h);
        if (!h)
            abort();
        h[0] = (qspn_hop){v.lvl, v.pos, a->id};
        memcpy(&h[1], &p->hops[drop], (size_t)n * sizeof *h);
        /* 7: acyclic on the path */
        bool cyclic = false;
        for (int i = 0; i < n + 1 && !cyclic; i++)
            cyclic = h[i].pos == m->me.pos[h[i].lvl];
        if (cyclic) {
            free(h);
            continue;
        }
        nodepath np;
        np.p = *p;
        np.p.hops = h;
        np.p.n_hops = n + 1;
        np.p.ignore_outside = 0;
        np.exposed = false;
        qspn_np_list_push(&mp, np);
    }
    /* 8: intrinsic path(s) */
    {
        nodepath np;
        memset(&np, 0, sizeof np);
        np.p.hops = malloc(sizeof(qspn_hop));
        if (!np.p.hops)
            abort();
        np.p.hops[0] = (qspn_hop){v.lvl, v.pos, a->id};
        np.p.n_hops = 1;
        np.p.cost = QSPN_COST_NULL;
        np.p.fp = e->fps[L];
        np.p.nodes_inside = e->nodes_inside[L];
        qspn_np_list_push(&mp, np);
        if (addr_changed) {
            nodepath dead = np;
            dead.p.hops = malloc(sizeof(qspn_hop));
            if (!dead.p.hops)
                abort();
            dead.p.hops[0] = (qspn_hop){L, old.pos[L], a->id};
            dead.p.cost = QSPN_COST_DEAD;
            qspn_np_list_push(&mp, dead);
            /* The neighbour's g-node was renamed, nothing else changed: every
             * stored path through it is renamed too (withdraw the old form,
             * add the new one). The pinned code kept these paths with the
             * old, now unknown, first hop (spec §8.11). */
            ntk_hcoord oldc = {L, old.pos[L]};
            for (int lvl = 0; lvl < l; lvl++) {
                level_map *lm = &m->map[lvl];
                for (int k = 0; k < lm->n; k++)
                    for (int qi = 0; qi < lm->d[k].n; qi++) {
                        nodepath *st = &lm->d[k].paths[qi];
                        if (st->p.hops[0].arc_id != a->id || st->p.n_hops < 2 ||
                            st->p.hops[0].lvl != oldc.lvl || st->p.hops[0].pos != oldc.pos)
                            continue;
                        nodepath w, r;
                        qspn_path_copy_or_die(&w.p, &st->p);
                        w.p.cost = QSPN_COST_DEAD;
                        w.exposed = false;
                        qspn_np_list_push(q, w);
                        qspn_path_copy_or_die(&r.p, &st->p);
                        r.p.hops[0].pos = v.pos;
                        r.exposed = false;
                        qspn_np_list_push(q, r);
                    }
            }
        }
    }
    /* 9: full-ETP inference */
    if (is_full) {
        for (int lvl = 0; lvl < l; lvl++) {
            level_map *lm = &m->map[lvl];
            for (int k = 0; k < lm->n; k++)
                for (int qi = 0; qi < lm->d[k].n; qi++) {
                    nodepath *st = &lm->d[k].paths[qi];
                    if (st->p.hops[0].arc_id != a->id)
                        continue;
                    bool present = false;
                    for (int i = 0; i < mp.n && !present; i++)
                        present = qspn_same_path(&mp.v[i].p, &st->p);
                    if (present)
                        continue;
                    nodepath dead;
                    qspn_path_copy_or_die(&dead.p, &st->p);
                    dead.p.cost = QSPN_COST_DEAD;
                    dead.exposed = false;
                    qspn_np_list_push(q, dead);
                }
        }
    }
    for (int i = 0; i < mp.n; i++)
        qspn_np_list_push(q, mp.v[i]);
    free(mp.v);
    return true;
}

/* Semantic checks of spec §3.3 that need the receiver's state. */
static bool etp_acceptable(const qspn_manager *m, const qspn_etp *e)
{
    if (!qspn_etp_is_well_formed(&m->topo, e))
        return false;
    return qspn_coord_of(m, &e->sender).lvl >= 0; /* not my own address */
}

/* Merge Q, prepare P_out, schedule a split flood. Returns true if something
 * changed (P_out non-empty or my g-nodes changed). */
static void arm_split_flood(qspn_manager *m, const hc_set *b)
{
    if (b->n == 0)
        return;
    timer_t_ *t = timer_new(m, TIMER_SPLIT_FLOOD, m->cfg.split_flood_ms);
    t->b = malloc((size_t)b->n * sizeof *t->b);
    if (!t->b)
        abort();
    memcpy(t->b, b->v, (size_t)b->n * sizeof *t->b);
    t->n_b = b->n;
}

/* Defect of the original found by the oracle (docs/qspn-core.md, D1): a
 * receiver outside my level-i g-node sees every path that leaves it through
 * the same exit arc as ONE path, whose attributes are those of my best path
 * to that exit. When a changed or withdrawn path is hidden outside
 * (ignore_outside[i]) because another path is now the best one to its exit
 * arc, the pinned code advertises only the hidden path, which the outside
 * drops: the outside keeps the old cost forever. We also advertise the
 * current representative (the visible path with the same exit suffix). */
static void add_exit_representatives(qspn_manager *m, path_list *p_out)
{
    int n0 = p_out->n;
    for (int k = 0; k < n0; k++) {
        int dl = p_out->v[k].hops[p_out->v[k].n_hops - 1].lvl;
        for (int i = 1; i < m->levels && i <= dl; i++) {
            if (!(p_out->v[k].ignore_outside & (1u << i)))
                continue;
            const qspn_etp_path *p = &p_out->v[k];
            int j = 0;
            while (p->hops[j].lvl < i)
                j++;
            ntk_hcoord d = {dl, p->hops[p->n_hops - 1].pos};
            dest_t *dd = qspn_find_dest(m, d);
            for (int qi = 0; dd && qi < dd->n; qi++) {
                const qspn_etp_path *q = &dd->paths[qi].p;
                int jq = 0;
                while (q->hops[jq].lvl < i)
                    jq++;
                bool same_suffix = q->n_hops - jq == p->n_hops - j;
                for (int x = 0; same_suffix && x < p->n_hops - j; x++)
                    same_suffix = q->hops[jq + x].lvl == p->hops[j + x].lvl &&
                                  q->hops[jq + x].pos == p->hops[j + x].pos &&
                                  q->hops[jq + x].arc_id == p->hops[j + x].arc_id;
                if (!same_suffix)
                    continue;
                bool present = false;
                for (int y = 0; y < p_out->n && !present; y++)
                    present = qspn_same_path(&p_out->v[y], q);
                if (present)
                    continue;
                qspn_etp_path c;
                qspn_prepare_step1(m, &dd->paths[qi], false, &c);
                qspn_prepare_step2(m, &c);
                if (c.ignore_outside & (1u << i)) {
                    qspn_etp_path_free(&c);
                    continue;
                }
                qspn_path_list_push(p_out, c);
                p = &p_out->v[k]; /* the push may have moved the array */
                break;
            }
        }
    }
}

static bool process_q(qspn_manager *m, np_list *q, uint32_t a_changed, path_list *p_out,
                      const path_list *extra)
{
    hc_set b = {0};
    qspn_merge(m, q, a_changed, p_out, &b);
    if (extra)
        for (int i = 0; i < extra->n; i++) {
            qspn_etp_path c;
            qspn_path_copy_or_die(&c, &extra->v[i]);
            qspn_path_list_push(p_out, c);
        }
    for (int i = 0; i < p_out->n; i++)
        qspn_prepare_step2(m, &p_out->v[i]);
    add_exit_representatives(m, p_out);
    arm_split_flood(m, &b);
    qspn_hc_set_free(&b);
    bool changes = qspn_update_clusters(m, true);
    return p_out->n > 0 || changes;
}

/* ---- bootstrap (spec §3.10) ------------------------------------------------------- */

static void arm_refresh(qspn_manager *m)
{
    if (m->cfg.refresh_ms && !m->refresh_armed && !m->stopped) {
        m->refresh_armed = true;
        timer_new(m, TIMER_REFRESH, m->cfg.refresh_ms);
    }
}

static gather_t *gather_new(qspn_manager *m, gather_kind kind)
{
    gather_t *g = calloc(1, sizeof *g);
    if (!g)
        abort();
    g->id = ++m->next_id;
    g->kind = kind;
    QSPN_GROW(m->gathers, m->n_gathers, m->cap_gathers, 4);
    m->gathers[m->n_gathers++] = g;
    return g;
}

static gather_t *gather_find(qspn_manager *m, uint64_t id)
{
    for (int i = 0; i < m->n_gathers; i++)
        if (m->gathers[i]->id == id)
            return m->gathers[i];
    return NULL;
}

/* Ask every arc for a full ETP; the gather completes when all answered. */
static void gather_start(qspn_manager *m, gather_t *g)
{
    g->pending = m->n_arcs + 1; /* +1 guards against completion inside the loop */
    for (int i = 0; i < m->n_arcs; i++)
        send_request(m, m->arcs[i], REQ_GATHER, g->id);
    gather_settle(m, g->id);
}

static void gather_finish(qspn_manager *m, gather_t *g)
{
    for (int i = 0; i < m->n_gathers; i++)
        if (m->gathers[i] == g) {
            m->gathers[i] = m->gathers[--m->n_gathers];
            break;
        }
    path_list p_out = {0};
    bool changed = process_q(m, &g->q, g->kind == GATHER_ARC_CHANGED ? g->a_changed : 0, &p_out,
                             &g->withdrawn);
    if (g->kind == GATHER_EXIT_BOOTSTRAP) {
        /* spec §3.10: no forwarding; a full ETP to everybody, presence 1 s later */
        send_full_etp(m, NULL);
        timer_new(m, TIMER_PRESENCE, m->cfg.presence_ms);
    } else if (changed && m->n_arcs > 0) {
        broadcast_etp(m, NULL, 0, &p_out, false, NULL);
    }
    qspn_path_list_free(&p_out);
    qspn_path_list_free(&g->withdrawn);
    free(g);
}

static void gather_settle(qspn_manager *m, uint64_t gid)
{
    gather_t *g = gather_find(m, gid);
    if (!g)
        return;
    if (--g->pending == 0)
        gather_finish(m, g);
}

static void exit_bootstrap_phase(qspn_manager *m)
{
    if (m->bootstrap_complete)
        return;
    m->bootstrap_complete = true;
    m->hooking_level = m->levels;
    m->n_queued = 0;
    if (m->env.sig.bootstrap_complete)
        m->env.sig.bootstrap_complete(m->env.user, m);
    arm_refresh(m);
    /* spec §8.8: the give-up delay is cfg.bootstrap_giveup_ms (default 10 s).
     * Deviation: the pinned code asks the arcs one after the other; we ask
     * them in parallel and merge once (same final map, fewer round trips). */
    gather_t *g = gather_new(m, GATHER_EXIT_BOOTSTRAP);
    gather_start(m, g);
}

static void bootstrap_next(qspn_manager *m)
{
    if (m->bootstrap_complete || m->bootstrap_querying)
        return;
    while (m->n_queued > 0) {
        void *h = m->queued[0];
        memmove(&m->queued[0], &m->queued[1], (size_t)(m->n_queued - 1) * sizeof(void *));
        m->n_queued--;
        arc_t *a = qspn_arc_by_handle(m, h);
        if (!a)
            continue;
        m->bootstrap_querying = true;
        send_request(m, a, REQ_BOOTSTRAP, 0);
        return;
    }
    if (!m->giveup_armed && m->cfg.bootstrap_giveup_ms) {
        m->giveup_armed = true;
        timer_new(m, TIMER_BOOTSTRAP_GIVEUP, m->cfg.bootstrap_giveup_ms);
    }
}

void qspn_set_bootstrap_giveup(qspn_manager *m, uint32_t ms)
{
    m->cfg.bootstrap_giveup_ms = ms;
    bootstrap_next(m);
}

/* ---- public arc operations (spec §3.7) ---------------------------------------------- */

bool qspn_arc_add(qspn_manager *m, void *handle, uint32_t cost)
{
    if (qspn_arc_by_handle(m, handle) || cost == QSPN_COST_NULL || cost == QSPN_COST_DEAD)
        return false;
    arc_t *a = arc_insert(m, handle, cost, fresh_arc_id(m));
    if (!m->bootstrap_complete) {
        m->queued = realloc(m->queued, (size_t)(m->n_queued + 1) * sizeof(void *));
        if (!m->queued)
            abort();
        m->queued[m->n_queued++] = handle;
        bootstrap_next(m);
        return true;
    }
    send_request(m, a, REQ_ARC_ADD, 0);
    return true;
}

bool qspn_arc_is_changed(qspn_manager *m, void *handle, uint32_t new_cost)
{
    arc_t *a = qspn_arc_by_handle(m, handle);
    if (!a || new_cost == QSPN_COST_NULL || new_cost == QSPN_COST_DEAD)
        return false;
    a->cost = new_cost;
    if (!m->bootstrap_complete)
        return true;
    gather_t *g = gather_new(m, GATHER_ARC_CHANGED);
    g->a_changed = a->id;
    gather_start(m, g);
    return true;
}

bool qspn_arc_remove(qspn_manager *m, void *handle)
{
    arc_t *a = qspn_arc_by_handle(m, handle);
    if (!a)
        return false;
    if (!m->bootstrap_complete) {
        /* spec §8.2: remove it completely, with the copied paths through it */
        arc_forget(m, a, NULL, true);
        return true;
    }
    gather_t *g = gather_new(m, GATHER_ARC_REMOVED);
    arc_forget(m, a, &g->withdrawn, true);
    gather_start(m, g);
    return true;
}

/* ---- incoming messages ----------------------------------------------------------- */

static void reply_error(qspn_manager *m, void *handle, uint64_t token, uint8_t code)
{
    qspn_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.type = QSPN_MSG_ERROR;
    msg.code = code;
    qspn_buf buf = {0};
    if (encode(m, &msg, &buf) && m->env.send_reply)
        m->env.send_reply(m->env.user, m, handle, token, buf.data, buf.len);
    qspn_buf_free(&buf);
}

static void handle_get_full_etp(qspn_manager *m, arc_t *a, const ntk_naddr *req, uint64_t token)
{
    ntk_hcoord b = qspn_coord_of(m, req);
    if (b.lvl < 0) {
        arc_drop_and_signal(m, a, false); /* invalid requester address: no answer */
        return;
    }
    a->has_naddr = true;
    a->naddr = *req;
    qspn_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.type = QSPN_MSG_GET_FULL_ETP_REP;
    fill_etp_header(m, &msg.etp);
    path_list pl = {0};
    collect_full(m, b.lvl, &b, &pl);
    msg.etp.n_paths = pl.n;
    msg.etp.paths = pl.v;
    qspn_buf buf = {0};
    if (encode(m, &msg, &buf)) {
        m->stats.etp_sent++;
        m->stats.etp_bytes += buf.len;
        if (m->env.send_reply)
            m->env.send_reply(m->env.user, m, a->handle, token, buf.data, buf.len);
    }
    qspn_buf_free(&buf);
    qspn_path_list_free(&pl);
}

static void handle_send_etp(qspn_manager *m, arc_t *a, qspn_etp *e, bool is_full)
{
    m->stats.etp_received++;
    bool exit_after = false;
    if (!m->bootstrap_complete) {
        int lvl = qspn_coord_of(m, &e->sender).lvl;
        if (lvl >= m->hooking_level)
            return;
        bool has = false;
        for (int i = 0; i < e->n_paths && !has; i++)
            has = e->paths[i].hops[e->paths[i].n_hops - 1].lvl == m->into_level - 1;
        if (!has)
            return;
        exit_after = true;
    }
    np_list q = {0};
    if (!revise(m, e, a, is_full, &q)) {
        qspn_np_list_free(&q);
        return;
    }
    path_list p_out = {0};
    bool changed = process_q(m, &q, 0, &p_out, NULL);
    if (exit_after) {
        qspn_path_list_free(&p_out);
        exit_bootstrap_phase(m);
        return;
    }
    if (changed && m->n_arcs > 1)
        broadcast_etp(m, e->route, e->n_route, &p_out, false, a);
    qspn_path_list_free(&p_out);
}

/* Remote got_prepare_destroy (spec §4.3), de-duplicated by wave id (§8.4). */
/* Waves of PREPARE_DESTROY already seen (the last 8), so each is forwarded once. */
static void remember_wave(qspn_manager *m, uint64_t wave)
{
    if (m->n_seen_wave < 8)
        m->seen_wave[m->n_seen_wave++] = wave;
    else
        m->seen_wave[wave % 8] = wave;
}

/* PREPARE_DESTROY to the neighbours inside the migrated g-node. */
static void send_prepare_destroy(qspn_manager *m, uint64_t wave)
{
    qspn_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.type = QSPN_MSG_PREPARE_DESTROY;
    msg.wave_id = wave;
    qspn_buf buf = {0};
    if (encode(m, &msg, &buf))
        for (int i = 0; i < m->n_arcs; i++) {
            arc_t *x = m->arcs[i];
            if (x->has_naddr && qspn_coord_of(m, &x->naddr).lvl < m->conn_from - 1)
                send_frame(m, x, &buf, false);
        }
    qspn_buf_free(&buf);
}

static void handle_prepare_destroy(qspn_manager *m, uint64_t wave)
{
    if (!m->conn_from && !m->conn_to)
        return; /* main identity */
    for (int i = 0; i < m->n_seen_wave; i++)
        if (m->seen_wave[i] == wave)
            return; /* spec §8.4: propagate each wave once */
    remember_wave(m, wave);
    /* propagate to the other members of the migrated g-node */
    send_prepare_destroy(m, wave);
    if (!m->destroy_pending) {
        m->destroy_pending = true;
        timer_new(m, TIMER_REMOVE_IDENTITY, m->cfg.prepare_destroy_ms);
    }
}

static void dispatch_message(qspn_manager *m, arc_t *a, const uint8_t *frame, size_t len,
                             uint64_t token)
{
    qspn_msg msg;
    qspn_decode_status s = qspn_decode_msg(&m->topo, frame, len, &msg);
    if (s != QSPN_DECODE_OK) {
        logf_(m, "malformed frame on arc %u: %s", a->id, qspn_decode_status_name(s));
        if (s == QSPN_DECODE_BAD_VERSION) {
            reply_error(m, a->handle, token, QSPN_ERRCODE_VERSION);
            return;
        }
        arc_drop_and_signal(m, a, false);
        return;
    }
    switch (msg.type) {
    case QSPN_MSG_GET_FULL_ETP_REQ:
        handle_get_full_etp(m, a, &msg.naddr, token);
        break;
    case QSPN_MSG_SEND_ETP:
        if (!etp_acceptable(m, &msg.etp)) {
            arc_drop_and_signal(m, a, false);
            break;
        }
        handle_send_etp(m, a, &msg.etp, msg.is_full);
        break;
    case QSPN_MSG_PREPARE_DESTROY:
        handle_prepare_destroy(m, msg.wave_id);
        break;
    case QSPN_MSG_DESTROY:
        arc_drop_and_signal(m, a, false);
        break;
    default:
        logf_(m, "unexpected message type %d", (int)msg.type);
        break;
    }
    qspn_msg_free(&msg);
}

void qspn_on_message(qspn_manager *m, void *handle, const uint8_t *frame, size_t len, uint64_t token)
{
    /* get_full_etp is refused during bootstrap before the arc search (§3.2) */
    if (!m->bootstrap_complete && len >= 4 && frame[3] == QSPN_MSG_GET_FULL_ETP_REQ) {
        reply_error(m, handle, token, QSPN_ERRCODE_BOOTSTRAP_IN_PROGRESS);
        return;
    }
    arc_t *a = qspn_arc_by_handle(m, handle);
    if (a) {
        dispatch_message(m, a, frame, len, token);
        return;
    }
    /* The arc may not be announced yet: poll until arc_timeout (spec §1.1). */
    timer_t_ *t = timer_new(m, TIMER_ARC_WAIT, m->cfg.arc_timeout_ms / 10 ? m->cfg.arc_timeout_ms / 10 : 1);
    t->arc = handle;
    t->frame = malloc(len ? len : 1);
    if (!t->frame)
        abort();
    memcpy(t->frame, frame, len);
    t->frame_len = len;
    t->token = token;
}

/* A reply (or a failure) for the oldest outstanding request on the arc. */
static void on_reply_common(qspn_manager *m, void *handle, const uint8_t *frame, size_t len, bool failed)
{
    arc_t *a = qspn_arc_by_handle(m, handle);
    if (!a || a->n_req == 0)
        return;
    pending_req r = a->req[0];
    memmove(&a->req[0], &a->req[1], (size_t)(a->n_req - 1) * sizeof *a->req);
    a->n_req--;

    qspn_msg msg;
    memset(&msg, 0, sizeof msg);
    bool bootstrap_busy = false, bad = failed, bad_link = failed, got_etp = false;
    if (!failed) {
        qspn_decode_status s = qspn_decode_msg(&m->topo, frame, len, &msg);
        if (s != QSPN_DECODE_OK) {
            bad = true;
        } else if (msg.type == QSPN_MSG_ERROR) {
            if (msg.code == QSPN_ERRCODE_BOOTSTRAP_IN_PROGRESS)
                bootstrap_busy = true;
            else
                bad = true;
        } else if (msg.type == QSPN_MSG_GET_FULL_ETP_REP && etp_acceptable(m, &msg.etp)) {
            got_etp = true;
        } else {
            bad = true;
        }
    }
    if (r.kind == REQ_BOOTSTRAP)
        m->bootstrap_querying = false;

    if (bad) {
        qspn_msg_free(&msg);
        arc_drop_and_signal(m, a, bad_link);
        if (r.kind == REQ_GATHER)
            gather_settle(m, r.gather_id);
        if (r.kind == REQ_BOOTSTRAP)
            bootstrap_next(m);
        return;
    }
    if (bootstrap_busy) {
        qspn_msg_free(&msg);
        if (r.kind == REQ_GATHER)
            gather_settle(m, r.gather_id);
        if (r.kind == REQ_BOOTSTRAP)
            bootstrap_next(m);
        return;
    }
    (void)got_etp;
    qspn_etp *e = &msg.etp;
    m->stats.etp_received++;
    switch (r.kind) {
    case REQ_GATHER: {
        gather_t *g = gather_find(m, r.gather_id);
        if (g) {
            np_list q = {0};
            if (revise(m, e, a, true, &q))
                for (int i = 0; i < q.n; i++)
                    qspn_np_list_push(&g->q, q.v[i]);
            else
                qspn_np_list_free(&q);
            free(q.v);
        }
        gather_settle(m, r.gather_id);
        break;
    }
    case REQ_ARC_ADD: {
        np_list q = {0};
        if (!revise(m, e, a, true, &q)) {
            qspn_np_list_free(&q);
            break; /* cyclic reply: warn and return (spec §8.22, kept) */
        }
        path_list p_out = {0};
        bool changed = process_q(m, &q, 0, &p_out, NULL);
        if (changed && m->n_arcs > 1)
            broadcast_etp(m, e->route, e->n_route, &p_out, false, a);
        qspn_path_list_free(&p_out);
        if (qspn_arc_by_handle(m, handle))
            send_full_etp(m, a);
        break;
    }
    case REQ_BOOTSTRAP: {
        if (m->bootstrap_complete)
            break;
        int lvl = qspn_coord_of(m, &e->sender).lvl;
        if (lvl < m->guest_level || lvl >= m->into_level) {
            bootstrap_next(m);
            break;
        }
        np_list q = {0};
        if (!revise(m, e, a, true, &q)) {
            qspn_np_list_free(&q);
            bootstrap_next(m);
            break;
        }
        path_list p_out = {0};
        process_q(m, &q, 0, &p_out, NULL);
        qspn_path_list_free(&p_out);
        exit_bootstrap_phase(m);
        break;
    }
    }
    qspn_msg_free(&msg);
}

void qspn_on_reply(qspn_manager *m, void *arc, const uint8_t *frame, size_t len)
{
    on_reply_common(m, arc, frame, len, false);
}

void qspn_on_request_failed(qspn_manager *m, void *arc)
{
    on_reply_common(m, arc, NULL, 0, true);
}

/* ---- split timers (spec §3.9) ------------------------------------------------------ */

void qspn_start_split_timer(qspn_manager *m, const qspn_fp *fp_e, const qspn_fp *fp,
                            const nodepath *bp_e, const nodepath *bp, ntk_hcoord d)
{
    for (int i = 0; i < m->n_pending_split; i++)
        if (m->pending_split[i][0] == fp_e->id && m->pending_split[i][1] == fp->id)
            return;
    QSPN_GROW(m->pending_split, m->n_pending_split, m->cap_pending_split, 4);
    m->pending_split[m->n_pending_split][0] = fp_e->id;
    m->pending_split[m->n_pending_split][1] = fp->id;
    m->n_pending_split++;
    uint32_t delay = 10000;
    if (m->env.split_threshold) {
        qspn_path_view ve, vo;
        qspn_view_of(m, bp_e, &ve);
        qspn_view_of(m, bp, &vo);
        delay = m->env.split_threshold(m->env.user, m, &ve, &vo);
    }
    timer_t_ *t = timer_new(m, TIMER_SPLIT_CHECK, delay);
    t->fp_e = *fp_e;
    t->fp = *fp;
    t->d = d;
}

static void split_check(qspn_manager *m, timer_t_ *t)
{
    for (int i = 0; i < m->n_pending_split; i++)
        if (m->pending_split[i][0] == t->fp_e.id && m->pending_split[i][1] == t->fp.id) {
            m->pending_split[i][0] = m->pending_split[m->n_pending_split - 1][0];
            m->pending_split[i][1] = m->pending_split[m->n_pending_split - 1][1];
            m->n_pending_split--;
            break;
        }
    dest_t *dd = qspn_find_dest(m, t->d);
    if (!dd)
        return;
    bool has_e = false;
    for (int i = 0; i < dd->n && !has_e; i++)
        has_e = qspn_fp_equals(&dd->paths[i].p.fp, &t->fp_e);
    if (!has_e)
        return;
    /* snapshot arcs: the handler must not mutate, but the list is small */
    for (int i = 0; i < m->n_arcs; i++) {
        arc_t *x = m->arcs[i];
        if (!x->has_naddr)
            continue;
        ntk_hcoord c = qspn_coord_of(m, &x->naddr);
        if (c.lvl != t->d.lvl || c.pos != t->d.pos)
            continue;
        /* the first path (cost order) through x */
        const nodepath *first = NULL;
        for (int k = 0; k < dd->n; k++)
            if (dd->paths[k].p.hops[0].arc_id == x->id &&
                (!first || qspn_np_cmp(m, &dd->paths[k], first) < 0))
                first = &dd->paths[k];
        if (!first || !qspn_fp_equals(&first->p.fp, &t->fp))
            continue;
        /* spec §8.5: emit once per (arc, d, fp) until the disagreement ends */
        bool done = false;
        for (int k = 0; k < m->n_split_emitted && !done; k++) {
            split_emitted *e = &m->split_emitted_v[k];
            done = e->arc_id == x->id && e->d.lvl == t->d.lvl && e->d.pos == t->d.pos &&
                   e->fp_id == t->fp.id;
        }
        if (done)
            continue;
        if (m->n_split_emitted == m->cap_split_emitted) {
            m->cap_split_emitted = m->cap_split_emitted ? m->cap_split_emitted * 2 : 4;
            m->split_emitted_v = realloc(m->split_emitted_v,
                                         (size_t)m->cap_split_emitted * sizeof *m->split_emitted_v);
            if (!m->split_emitted_v)
                abort();
        }
        m->split_emitted_v[m->n_split_emitted++] = (split_emitted){x->id, t->d, t->fp.id};
        qspn_fp fp = t->fp;
        if (m->env.sig.gnode_splitted)
            m->env.sig.gnode_splitted(m->env.user, m, x->handle, t->d, &fp);
        dd = qspn_find_dest(m, t->d);
        if (!dd)
            return;
    }
}

/* ---- timers ---------------------------------------------------------------------- */

void qspn_on_timer(qspn_manager *m, uint64_t id)
{
    timer_t_ *t = timer_take(m, id);
    if (!t)
        return;
    switch (t->kind) {
    case TIMER_BOOTSTRAP_SIGNAL:
        if (m->env.sig.bootstrap_complete)
            m->env.sig.bootstrap_complete(m->env.user, m);
        arm_refresh(m);
        break;
    case TIMER_BOOTSTRAP_GIVEUP:
        if (!m->bootstrap_complete)
            exit_bootstrap_phase(m);
        break;
    case TIMER_PRESENCE:
        if (m->env.sig.presence_notified)
            m->env.sig.presence_notified(m->env.user, m);
        break;
    case TIMER_REFRESH:
        m->refresh_armed = false;
        if (m->stopped)
            break;
        if (m->n_arcs > 0)
            send_full_etp(m, NULL);
        arm_refresh(m);
        break;
    case TIMER_SPLIT_FLOOD: {
        path_list pl = {0};
        for (int i = 0; i < t->n_b; i++) {
            dest_t *d = qspn_find_dest(m, t->b[i]);
            if (!d)
                continue;
            for (int k = 0; k < d->n; k++) {
                qspn_etp_path p;
                qspn_prepare_step1(m, &d->paths[k], false, &p);
                qspn_prepare_step2(m, &p);
                qspn_path_list_push(&pl, p);
            }
        }
        if (m->n_arcs > 0)
            broadcast_etp(m, NULL, 0, &pl, false, NULL);
        qspn_path_list_free(&pl);
        break;
    }
    case TIMER_SPLIT_CHECK:
        split_check(m, t);
        break;
    case TIMER_CONNECTIVITY_NOTICE: {
        qspn_msg msg;
        memset(&msg, 0, sizeof msg);
        msg.type = QSPN_MSG_SEND_ETP;
        fill_etp_header(m, &msg.etp);
        msg.etp.n_route = 1;
        msg.etp.route[0] = (ntk_hcoord){t->old_lvl, t->old_pos};
        qspn_buf buf = {0};
        if (encode(m, &msg, &buf))
            for (int i = 0; i < m->n_arcs; i++) {
                arc_t *x = m->arcs[i];
                if (!x->has_naddr)
                    continue;
                ntk_hcoord c = qspn_coord_of(m, &x->naddr);
                if ((c.lvl == t->old_lvl && c.pos != t->old_pos) || c.lvl > t->old_lvl)
                    send_frame(m, x, &buf, true);
            }
        qspn_buf_free(&buf);
        break;
    }
    case TIMER_ARC_WAIT: {
        arc_t *a = qspn_arc_by_handle(m, t->arc);
        uint32_t step = m->cfg.arc_timeout_ms / 10 ? m->cfg.arc_timeout_ms / 10 : 1;
        if (a) {
            uint8_t *f = t->frame;
            t->frame = NULL;
            dispatch_message(m, a, f, t->frame_len, t->token);
            free(f);
        } else if (t->waited_ms + step < m->cfg.arc_timeout_ms) {
            timer_t_ *n = timer_new(m, TIMER_ARC_WAIT, step);
            n->arc = t->arc;
            n->frame = t->frame;
            n->frame_len = t->frame_len;
            n->token = t->token;
            n->waited_ms = t->waited_ms + step;
            t->frame = NULL;
        } else if (t->frame_len >= 4 && t->frame[3] == QSPN_MSG_GET_FULL_ETP_REQ) {
            reply_error(m, t->arc, t->token, QSPN_ERRCODE_NOT_ACCEPTED);
        } else {
            logf_(m, "dropped a message from an unknown arc after arc_timeout");
        }
        break;
    }
    case TIMER_REMOVE_IDENTITY:
        if (m->env.sig.remove_identity)
            m->env.sig.remove_identity(m->env.user, m);
        break;
    }
    timer_free(t);
}

/* ---- queries ------------------------------------------------------------------------ */

bool qspn_is_bootstrap_complete(const qspn_manager *m)
{
    return m->bootstrap_complete;
}

const ntk_naddr *qspn_my_naddr(const qspn_manager *m)
{
    return &m->me;
}

int qspn_levels(const qspn_manager *m)
{
    return m->levels;
}

int qspn_get_known_destinations(const qspn_manager *m, int lvl, ntk_hcoord *out, int max)
{
    if (lvl < 0 || lvl >= m->levels)
        return 0;
    if (lvl >= m->hooking_level)
        return -1;
    int n = 0;
    for (int k = 0; k < m->map[lvl].n; k++) {
        if (n < max)
            out[n] = (ntk_hcoord){lvl, m->map[lvl].d[k].pos};
        n++;
    }
    return n;
}

/* Visible paths of d sorted by current cost (spec §8.13). */
static int visible_sorted(qspn_manager *m, ntk_hcoord d, nodepath ***out)
{
    dest_t *dd = qspn_find_dest(m, d);
    *out = NULL;
    if (!dd)
        return 0;
    nodepath **v = malloc((size_t)dd->n * sizeof *v);
    if (!v)
        abort();
    const qspn_fp *vfp = d.lvl > 0 ? qspn_valid_fp(dd->paths, dd->n) : NULL;
    int n = 0;
    for (int i = 0; i < dd->n; i++)
        if (!vfp || qspn_fp_equals(&dd->paths[i].p.fp, vfp))
            v[n++] = &dd->paths[i];
    for (int i = 1; i < n; i++) {
        nodepath *x = v[i];
        int j = i - 1;
        while (j >= 0 && qspn_np_cmp(m, v[j], x) > 0) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
    *out = v;
    return n;
}

int qspn_get_paths_to(qspn_manager *m, ntk_hcoord d, qspn_path_view *out, int max)
{
    if (d.lvl < 0 || d.lvl >= m->levels)
        return 0;
    if (d.lvl >= m->hooking_level)
        return -1;
    nodepath **v;
    int n = visible_sorted(m, d, &v);
    for (int i = 0; i < n && i < max; i++)
        qspn_view_of(m, v[i], &out[i]);
    free(v);
    return n;
}

bool qspn_best_path_avoiding(qspn_manager *m, ntk_hcoord d, void *via_arc, qspn_path_view *out)
{
    if (d.lvl < 0 || d.lvl >= m->hooking_level)
        return false;
    ntk_hcoord hm = {-1, -1};
    if (via_arc) {
        arc_t *a = qspn_arc_by_handle(m, via_arc);
        if (!a || !a->has_naddr)
            return false;
        hm = qspn_coord_of(m, &a->naddr);
    }
    nodepath **v;
    int n = visible_sorted(m, d, &v);
    bool found = false;
    for (int i = 0; i < n && !found; i++) {
        if (via_arc && qspn_path_contains(&v[i]->p, hm))
            continue;
        qspn_view_of(m, v[i], out);
        found = true;
    }
    free(v);
    return found;
}

qspn_status qspn_get_nodes_inside(const qspn_manager *m, int level, uint32_t *out)
{
    if (level < 0 || level > m->levels)
        return QSPN_ERR_INVALID;
    if (level >= m->hooking_level + 1)
        return QSPN_ERR_BOOTSTRAP_IN_PROGRESS;
    *out = m->nn[level];
    return QSPN_OK;
}

qspn_status qspn_get_fingerprint(const qspn_manager *m, int level, qspn_fp *out)
{
    if (level < 0 || level > m->levels)
        return QSPN_ERR_INVALID;
    if (level >= m->hooking_level + 1)
        return QSPN_ERR_BOOTSTRAP_IN_PROGRESS;
    *out = m->fps[level];
    return QSPN_OK;
}

bool qspn_get_naddr_for_arc(const qspn_manager *m, void *arc, ntk_naddr *out)
{
    arc_t *a = qspn_arc_by_handle(m, arc);
    if (!a || !a->has_naddr)
        return false;
    *out = a->naddr;
    return true;
}

int qspn_current_arcs(const qspn_manager *m, void **out, int max)
{
    for (int i = 0; i < m->n_arcs && i < max; i++)
        out[i] = m->arcs[i]->handle;
    return m->n_arcs;
}

uint32_t qspn_arc_id(const qspn_manager *m, void *arc)
{
    arc_t *a = qspn_arc_by_handle(m, arc);
    return a ? a->id : 0;
}

const qspn_stats *qspn_get_stats(const qspn_manager *m)
{
    return &m->stats;
}

/* ---- identity lifecycle (spec §4.3) ------------------------------------------------ */

static void rewrite_internal(qspn_manager *m, int below, const ntk_naddr *new_naddr,
                             void (*upd)(void *, qspn_fp *), void *ctx, const qspn_fp *new_fp0)
{
    /* peers inside my level-`below` g-node moved exactly as I did */
    for (int i = 0; i < m->n_arcs; i++) {
        arc_t *x = m->arcs[i];
        if (!x->has_naddr)
            continue;
        ntk_hcoord c = qspn_coord_of(m, &x->naddr);
        if (c.lvl >= 0 && c.lvl < below)
            for (int l = below; l < m->levels; l++)
                x->naddr.pos[l] = new_naddr->pos[l];
    }
    m->me = *new_naddr;
    if (upd)
        for (int lvl = 0; lvl < below && lvl < m->levels; lvl++)
            for (int k = 0; k < m->map[lvl].n; k++)
                for (int q = 0; q < m->map[lvl].d[k].n; q++)
                    upd(ctx, &m->map[lvl].d[k].paths[q].p.fp);
    if (new_fp0)
        m->fps[0] = *new_fp0;
}

bool qspn_make_connectivity(qspn_manager *m, int from, int to, const ntk_naddr *new_naddr,
                            void (*upd)(void *, qspn_fp *), void *ctx, const qspn_fp *new_fp0)
{
    if (!(0 < from && from <= to && to <= m->levels) || !new_naddr || new_naddr->levels != m->levels)
        return false;
    int old_lvl = from - 1, old_pos = m->me.pos[from - 1];
    rewrite_internal(m, from - 1, new_naddr, upd, ctx, new_fp0);
    m->conn_from = from;
    m->conn_to = to;
    m->nn[0] = 0;
    qspn_update_clusters(m, true);
    timer_t_ *t = timer_new(m, TIMER_CONNECTIVITY_NOTICE, m->cfg.connectivity_notice_ms);
    t->old_lvl = old_lvl;
    t->old_pos = old_pos;
    return true;
}

bool qspn_make_real(qspn_manager *m, const ntk_naddr *new_naddr,
                    void (*upd)(void *, qspn_fp *), void *ctx, const qspn_fp *new_fp0)
{
    if (!new_naddr || new_naddr->levels != m->levels)
        return false;
    /* spec §8.3: internal means below the guest level k, remembered for life */
    int k = m->guest_level;
    /* which arcs were internal must be decided before my address changes */
    bool *internal = calloc((size_t)m->n_arcs + 1, sizeof *internal);
    if (!internal)
        abort();
    for (int i = 0; i < m->n_arcs; i++)
        internal[i] = m->arcs[i]->has_naddr && qspn_coord_of(m, &m->arcs[i]->naddr).lvl < k;
    rewrite_internal(m, k, new_naddr, upd, ctx, new_fp0);
    m->nn[0] = (m->conn_from || m->conn_to) ? 0 : 1;
    qspn_update_clusters(m, true);
    if (m->bootstrap_complete) {
        qspn_msg msg;
        memset(&msg, 0, sizeof msg);
        msg.type = QSPN_MSG_SEND_ETP;
        fill_etp_header(m, &msg.etp);
        qspn_buf buf = {0};
        if (encode(m, &msg, &buf))
            for (int i = 0; i < m->n_arcs; i++)
                if (!internal[i])
                    send_frame(m, m->arcs[i], &buf, true);
        qspn_buf_free(&buf);
    }
    free(internal);
    return true;
}

void qspn_remove_outer_arcs(qspn_manager *m)
{
    if (!m->conn_from && !m->conn_to)
        return;
    for (int i = 0; i < m->n_arcs;) {
        arc_t *x = m->arcs[i];
        /* HEAD: arcs with an unknown peer are removed too; pinned keeps them */
        bool outer = x->has_naddr ? qspn_coord_of(m, &x->naddr).lvl >= m->conn_to
                                  : !m->cfg.pinned_keep_unknown_outer;
        if (outer) {
            arc_drop_and_signal(m, x, false);
            i = 0;
            continue;
        }
        i++;
    }
}

bool qspn_check_connectivity(const qspn_manager *m)
{
    int i = m->conn_from - 1, j = m->conn_to;
    if (i < 0)
        i = 0;
    for (;;) {
        if (j <= i)
            return true;
        if (m->map[i].n > 0)
            break;
        i++;
    }
    hc_set x = {0}, y = {0};
    for (int lvl = i; lvl < j; lvl++)
        for (int k = 0; k < m->map[lvl].n; k++)
            qspn_hc_set_add(&x, (ntk_hcoord){lvl, m->map[lvl].d[k].pos});
    qspn_compute_z_from(m, i, &x, &y);
    bool ok = true;
    for (int a = 0; a < x.n && ok; a++)
        for (int b = 0; b < y.n && ok; b++) {
            if (x.v[a].lvl == y.v[b].lvl && x.v[a].pos == y.v[b].pos)
                continue;
            dest_t *d = qspn_find_dest(m, x.v[a]);
            bool through = false;
            for (int q = 0; d && q < d->n && !through; q++)
                through = qspn_path_contains(&d->paths[q].p, y.v[b]);
            ok = through;
        }
    qspn_hc_set_free(&x);
    qspn_hc_set_free(&y);
    return ok;
}

void qspn_prepare_destroy(qspn_manager *m)
{
    if (!m->conn_from && !m->conn_to)
        return;
    uint64_t wave = ((uint64_t)(m->env.random32 ? m->env.random32(m->env.user) : 1) << 32) |
                    (m->env.random32 ? m->env.random32(m->env.user) : (uint32_t)m->next_id);
    remember_wave(m, wave);
    send_prepare_destroy(m, wave);
}

void qspn_destroy(qspn_manager *m)
{
    qspn_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.type = QSPN_MSG_DESTROY;
    qspn_buf buf = {0};
    if (encode(m, &msg, &buf))
        for (int i = 0; i < m->n_arcs; i++) {
            arc_t *x = m->arcs[i];
            if (x->has_naddr && qspn_coord_of(m, &x->naddr).lvl >= m->conn_from - 1)
                send_frame(m, x, &buf, false);
        }
    qspn_buf_free(&buf);
}

static void drop_levels_from(qspn_manager *m, int level)
{
    for (int lvl = level; lvl < m->levels; lvl++) {
        while (m->map[lvl].n > 0) {
            dest_t *d = &m->map[lvl].d[m->map[lvl].n - 1];
            ntk_hcoord h = {lvl, d->pos};
            nodepath *old = d->paths;
            int n = d->n;
            d->paths = NULL;
            d->n = d->cap = 0;
            m->map[lvl].n--;
            for (int q = 0; q < n; q++) {
                if (old[q].exposed && m->env.sig.path_removed) {
                    qspn_path_view v;
                    qspn_view_of(m, &old[q], &v);
                    m->env.sig.path_removed(m->env.user, m, &v);
                }
                qspn_etp_path_free(&old[q].p);
            }
            free(old);
            if (m->env.sig.destination_removed)
                m->env.sig.destination_removed(m->env.user, m, h);
        }
    }
}

/* HEAD's exit_network (spec §4.3), which the pinned code lacks (§8.24). */
void qspn_exit_network(qspn_manager *m, int level)
{
    if (level < 0 || level > m->levels)
        return;
    drop_levels_from(m, level);
    qspn_update_clusters(m, true);
    for (int i = 0; i < m->n_arcs; i++) {
        arc_t *x = m->arcs[i];
        if (!x->has_naddr || qspn_coord_of(m, &x->naddr).lvl < level)
            send_full_etp(m, x);
    }
    for (int i = 0; i < m->n_arcs;) {
        arc_t *x = m->arcs[i];
        if (x->has_naddr && qspn_coord_of(m, &x->naddr).lvl >= level) {
            void *h = x->handle;
            arc_forget(m, x, NULL, true);
            if (m->env.sig.arc_removed)
                m->env.sig.arc_removed(m->env.user, m, h, false);
            i = 0;
            continue;
        }
        i++;
    }
    drop_levels_from(m, level);
    qspn_update_clusters(m, true);
}
