/* lifecycle.c - identity lifecycle (spec §4.3): connectivity identities,
 * make_real, outer arcs, prepare_destroy / destroy, exit_network. */
#include <stdlib.h>
#include <string.h>

#include "manager_ops.h"

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
    qspn_spare_clear(m, 0); /* learnt under the old address: neighbours re-advertise */
    if (upd)
        for (int lvl = 0; lvl < below && lvl < m->levels; lvl++)
            for (int k = 0; k < m->map[lvl].n; k++)
                for (int q = 0; q < m->map[lvl].d[k].n; q++) {
                    qspn_spath *p = &m->map[lvl].d[k].paths[q].p;
                    qspn_fp fp = *p->fp;
                    upd(ctx, &fp);
                    qspn_spath_set_fp(m, p, &fp);
                }
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
    timer_t_ *t = qspn_timer_new(m, TIMER_CONNECTIVITY_NOTICE, m->cfg.connectivity_notice_ms);
    t->old_lvl = old_lvl;
    t->old_pos = old_pos;
    return true;
}

/* ctx: one flag per arc (same order as m->arcs), true for internal arcs. */
static bool not_internal(const qspn_manager *m, const arc_t *a, const void *ctx)
{
    const bool *internal = ctx;
    for (int i = 0; i < m->n_arcs; i++)
        if (m->arcs[i] == a)
            return !internal[i];
    return false;
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
        qspn_etp_msg(m, &msg, NULL, 0, NULL, false);
        qspn_send_to_arcs(m, &msg, not_internal, internal);
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
            qspn_arc_drop(m, x, false);
            i = 0;
            continue;
        }
        i++;
    }
}

void qspn_connectivity_levels(const qspn_manager *m, int *from, int *to)
{
    *from = m->conn_from;
    *to = m->conn_to;
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
    qspn_remember_wave(m, wave);
    qspn_tx_prepare_destroy(m, wave);
}

void qspn_destroy(qspn_manager *m)
{
    qspn_tx_destroy(m);
}

static void drop_levels_from(qspn_manager *m, int level)
{
    qspn_spare_clear(m, level);
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
                if (old[q].p.exposed)
                    qspn_emit_path(m, QSPN_EV_PATH_REMOVED, &old[q]);
                qspn_spath_free(m, &old[q].p);
            }
            free(old);
            qspn_emit_dest(m, QSPN_EV_DESTINATION_REMOVED, h);
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
            qspn_tx_full_etp(m, x);
    }
    for (int i = 0; i < m->n_arcs;) {
        arc_t *x = m->arcs[i];
        if (x->has_naddr && qspn_coord_of(m, &x->naddr).lvl >= level) {
            void *h = x->handle;
            qspn_arc_forget(m, x, NULL, true);
            qspn_emit_arc_removed(m, h, false);
            i = 0;
            continue;
        }
        i++;
    }
    drop_levels_from(m, level);
    qspn_update_clusters(m, true);
}
