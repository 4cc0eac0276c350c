/* construct.c - manager construction (create_net, enter_net, migration,
 * spec §3.10, §4.4), destruction, the log helper and refresh_now. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manager_ops.h"

void qspn_logf(qspn_manager *m, const char *fmt, ...)
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
    m->fps = calloc((size_t)m->levels + 1, sizeof *m->fps);
    if (!m->fps)
        abort();
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
    qspn_timer_new(m, TIMER_BOOTSTRAP_SIGNAL, 1);
    return m;
}


/* Copy the destinations inside my level-k g-node from the previous identity
 * (spec §4.4), through the arcs that have an internal counterpart. */
static void copy_internal(qspn_manager *m, const qspn_enter_args *a, const qspn_manager *prev)
{
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
                const qspn_spath *src = &pd->paths[q].p;
                np.p = *src;
                np.p.hops = malloc((size_t)src->n_hops * sizeof *np.p.hops);
                if (!np.p.hops)
                    abort();
                memcpy(np.p.hops, src->hops, (size_t)src->n_hops * sizeof *np.p.hops);
                qspn_fp fp = *src->fp;
                if (a->update_internal_fp)
                    a->update_internal_fp(a->update_ctx, &fp);
                np.p.fp = qspn_fp_intern(&m->fpt, &fp); /* prev has its own table */
                np.p.exposed = false;
                np.p.adv = true;
                QSPN_GROW(nd->paths, nd->n, nd->cap, 4);
                nd->paths[nd->n++] = np;
            }
            /* spec §8.6: mark the copied valid-fingerprint paths exposed */
            if (nd) {
                const qspn_fp *v = qspn_valid_fp(nd->paths, nd->n);
                for (int q = 0; q < nd->n; q++)
                    nd->paths[q].p.exposed = lvl == 0 || qspn_fp_equals(nd->paths[q].p.fp, v);
            }
        }
    }
}

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
            id = qspn_fresh_arc_id(m);
        arc_t *x = qspn_arc_insert(m, a->internal_arcs[i], a->internal_costs[i], id);
        x->has_naddr = true;
        x->naddr = a->internal_peer_naddrs[i];
    }
    for (int i = 0; i < a->n_external; i++)
        qspn_arc_insert(m, a->external_arcs[i], a->external_costs[i], qspn_fresh_arc_id(m));
    if (prev)
        copy_internal(m, a, prev);
    m->nn[0] = (m->conn_from || m->conn_to) ? 0 : 1;
    init_clusters(m);
    m->bootstrap_complete = false;
    m->hooking_level = a->guest_level;
    m->guest_level = a->guest_level;
    m->into_level = a->host_level;
    m->is_enter = true;
    for (int i = 0; i < m->n_arcs; i++)
        if (!m->arcs[i]->has_naddr)
            qspn_queue_push(m, m->arcs[i]->handle);
    qspn_bootstrap_next(m);
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
            qspn_free_dest_paths(m, &m->map[lvl].d[k]);
        free(m->map[lvl].d);
        for (int k = 0; k < m->spare[lvl].n; k++)
            qspn_free_dest_paths(m, &m->spare[lvl].d[k]);
        free(m->spare[lvl].d);
    }
    for (int i = 0; i < m->n_arcs; i++) {
        free(m->arcs[i]->req);
        free(m->arcs[i]);
    }
    free(m->arcs);
    for (int i = 0; i < m->n_gathers; i++) {
        qspn_np_list_free(m, &m->gathers[i]->q);
        qspn_path_list_free(&m->gathers[i]->withdrawn);
        free(m->gathers[i]);
    }
    free(m->gathers);
    for (int i = 0; i < m->n_timers; i++)
        qspn_timer_free(m->timers[i]);
    free(m->timers);
    free(m->queued);
    free(m->pending_split);
    free(m->split_emitted_v);
    free(m->scratch);
    qspn_path_list_free(&m->adv_pending);
    free(m->fps);
    qspn_fp_table_free(&m->fpt); /* empty by now: every path released its fingerprint */
    free(m);
}


void qspn_refresh_now(qspn_manager *m)
{
    if (m->bootstrap_complete && m->n_arcs > 0)
        qspn_tx_full_etp(m, NULL);
}

void qspn_stop_operations(qspn_manager *m)
{
    m->stopped = true;
}

