/* advert.c - advertising changed paths to the neighbours, paced and
 * coalesced (docs/qspn-core.md, "Advertisement").
 *
 * Every merge hands its changed paths (new, changed, withdrawn) to
 * qspn_advertise(). They are sent at once when nothing was sent during the
 * last etp_hold_ms; otherwise they wait, with every later change, until the
 * hold timer fires (BGP's MRAI, babeld's update batching). A flush sends,
 * to EVERY arc, the latest version of each pending path, with the
 * ignore_outside flags of the map at that moment and an empty route; a
 * path through the receiver's own g-node is left out of that receiver's
 * ETP (it would drop it as cyclic). */
#include <string.h>

#include "manager_ops.h"

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
                if (!dd->paths[qi].p.adv)
                    continue;
                const qspn_spath *q = &dd->paths[qi].p;
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

/* Keep the last version of every path (a later change supersedes). */
static void latest_only(path_list *l)
{
    int w = 0;
    for (int i = 0; i < l->n; i++) {
        bool superseded = false;
        for (int k = i + 1; k < l->n && !superseded; k++)
            superseded = qspn_same_path(&l->v[i], &l->v[k]);
        if (superseded)
            qspn_etp_path_free(&l->v[i]);
        else
            l->v[w++] = l->v[i];
    }
    l->n = w;
}

/* The paths of `all` that the peer behind `a` can use: a path through its
 * own g-node would be dropped as cyclic (split horizon). */
static void for_arc(const qspn_manager *m, const arc_t *a, const path_list *all, path_list *out)
{
    out->n = 0;
    ntk_hcoord peer = a->has_naddr ? qspn_coord_of(m, &a->naddr) : (ntk_hcoord){-1, -1};
    for (int i = 0; i < all->n; i++) {
        if (peer.lvl >= 0 && qspn_path_contains(&all->v[i], peer))
            continue;
        QSPN_GROW(out->v, out->n, out->cap, 8);
        out->v[out->n++] = all->v[i]; /* shallow: all owns the hops */
    }
}

static bool only_arc(const qspn_manager *m, const arc_t *a, const void *ctx)
{
    (void)m;
    return a == ctx;
}

static void flush(qspn_manager *m)
{
    path_list all = m->adv_pending;
    bool header = m->adv_header_dirty;
    m->adv_pending = (path_list){0};
    m->adv_header_dirty = false;
    latest_only(&all);
    for (int i = 0; i < all.n; i++)
        qspn_prepare_step2(m, &all.v[i]);
    add_exit_representatives(m, &all);
    path_list mine = {0};
    for (int i = 0; i < m->n_arcs; i++) {
        arc_t *a = m->arcs[i];
        for_arc(m, a, &all, &mine);
        if (mine.n == 0 && !header)
            continue;
        qspn_msg msg;
        qspn_etp_msg(m, &msg, NULL, 0, &mine, false);
        qspn_send_to_arcs(m, &msg, only_arc, a);
    }
    free(mine.v);
    qspn_path_list_free(&all);
    if (m->cfg.etp_hold_ms) {
        m->adv_holding = true;
        qspn_timer_new(m, TIMER_ADV_HOLD, m->cfg.etp_hold_ms);
    }
}

void qspn_advertise(qspn_manager *m, path_list *p_out, bool header_changed)
{
    for (int i = 0; i < p_out->n; i++)
        qspn_path_list_push(&m->adv_pending, p_out->v[i]);
    p_out->n = 0; /* moved */
    m->adv_header_dirty = m->adv_header_dirty || header_changed;
    if (m->adv_pending.n == 0 && !m->adv_header_dirty)
        return;
    if (!m->adv_holding)
        flush(m);
}

void qspn_adv_hold_fire(qspn_manager *m)
{
    m->adv_holding = false;
    if (m->adv_pending.n > 0 || m->adv_header_dirty)
        flush(m);
}
