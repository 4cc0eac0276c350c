/* revise.c - revision of a received ETP (spec §3.4) and the merge-and-
 * advertise step shared by every handler (process_q, spec §3.5 - §3.6). */
#include <stdlib.h>
#include <string.h>

#include "manager_ops.h"
#include "merge.h"

/* ---- revision (spec §3.4) -------------------------------------------------------- */

/* Step 3-4: group the route at the sender's level and put the sender in
 * front; false if my own g-node is on it (acyclic ETP). */
static bool revise_route(qspn_manager *m, qspn_etp *e, ntk_hcoord v)
{
    int s = 0;
    while (s < e->n_route && e->route[s].lvl < v.lvl)
        s++;
    int nr = e->n_route - s;
    if (nr + 1 > QSPN_MAX_ROUTE)
        return false;
    memmove(&e->route[1], &e->route[s], (size_t)nr * sizeof e->route[0]);
    e->route[0] = v;
    e->n_route = nr + 1;
    for (int i = 0; i < e->n_route; i++) {
        if (e->route[i].pos == m->me.pos[e->route[i].lvl]) {
            m->stats.etp_dropped_cyclic++;
            return false;
        }
    }
    return true;
}

/* Steps 5-7 for one path: ignore filter, grouping at level L, the sender
 * in front, acyclic check. False if the path is dropped. */
static bool revise_path(qspn_manager *m, const qspn_etp_path *p, ntk_hcoord v,
                        uint32_t arc_id, nodepath *out)
{
    int L = v.lvl;
    if (p->ignore_outside & (1u << L))
        return false;
    int drop = 0;
    while (drop < p->n_hops && p->hops[drop].lvl < L)
        drop++;
    int n = p->n_hops - drop;
    if (n + 1 > QSPN_MAX_PATH_HOPS || n < 1)
        return false;
    qspn_hop *h = malloc((size_t)(n + 1) * sizeof *h);
    if (!h)
        abort();
    h[0] = (qspn_hop){v.lvl, v.pos, arc_id};
    memcpy(&h[1], &p->hops[drop], (size_t)n * sizeof *h);
    for (int i = 0; i < n + 1; i++)
        if (h[i].pos == m->me.pos[h[i].lvl]) {
            free(h);
            return false;
        }
    out->p.hops = h;
    out->p.n_hops = n + 1;
    out->p.cost = p->cost;
    out->p.nodes_inside = p->nodes_inside;
    out->p.fp = qspn_fp_intern(&m->fpt, &p->fp);
    out->p.exposed = false;
    out->p.adv = false;
    return true;
}

static nodepath one_hop(qspn_manager *m, int lvl, int pos, uint32_t arc_id, uint32_t cost,
                        const qspn_fp *fp, uint32_t nodes_inside)
{
    nodepath np;
    memset(&np, 0, sizeof np);
    np.p.hops = malloc(sizeof(qspn_hop));
    if (!np.p.hops)
        abort();
    np.p.hops[0] = (qspn_hop){lvl, pos, arc_id};
    np.p.n_hops = 1;
    np.p.cost = cost;
    np.p.fp = qspn_fp_intern(&m->fpt, fp);
    np.p.nodes_inside = nodes_inside;
    return np;
}

/* The neighbour's g-node was renamed, nothing else changed: every stored
 * path through it is renamed too (withdraw the old form, add the new one).
 * The pinned code kept these paths with the old, now unknown, first hop
 * (spec §8.11). */
static void rename_neighbour(qspn_manager *m, arc_t *a, ntk_hcoord oldc, int new_pos, np_list *q)
{
    for (int lvl = 0; lvl < 2 * m->levels; lvl++) {
        level_map *lm = lvl < m->levels ? &m->map[lvl] : &m->spare[lvl - m->levels];
        for (int k = 0; k < lm->n; k++)
            for (int qi = 0; qi < lm->d[k].n; qi++) {
                nodepath *st = &lm->d[k].paths[qi];
                if (st->p.hops[0].arc_id != a->id || st->p.n_hops < 2 ||
                    st->p.hops[0].lvl != oldc.lvl || st->p.hops[0].pos != oldc.pos)
                    continue;
                nodepath w, r;
                qspn_spath_copy(&w.p, &st->p);
                w.p.cost = QSPN_COST_DEAD;
                w.p.exposed = false;
                w.p.adv = false;
                qspn_np_list_push(q, w);
                qspn_spath_copy(&r.p, &st->p);
                r.p.hops[0].pos = new_pos;
                r.p.exposed = false;
                r.p.adv = false;
                qspn_np_list_push(q, r);
            }
    }
}

/* Step 9: a full ETP lists every path of the sender; my stored paths
 * through the arc that it does not contain are withdrawn. */
static void full_etp_inference(qspn_manager *m, const arc_t *a, const np_list *mp, np_list *q)
{
    for (int lvl = 0; lvl < 2 * m->levels; lvl++) {
        level_map *lm = lvl < m->levels ? &m->map[lvl] : &m->spare[lvl - m->levels];
        for (int k = 0; k < lm->n; k++)
            for (int qi = 0; qi < lm->d[k].n; qi++) {
                nodepath *st = &lm->d[k].paths[qi];
                if (st->p.hops[0].arc_id != a->id)
                    continue;
                bool present = false;
                for (int i = 0; i < mp->n && !present; i++)
                    present = qspn_same_path(&mp->v[i].p, &st->p);
                if (present)
                    continue;
                nodepath dead;
                qspn_spath_copy(&dead.p, &st->p);
                dead.p.cost = QSPN_COST_DEAD;
                dead.p.exposed = false;
                dead.p.adv = false;
                qspn_np_list_push(q, dead);
            }
    }
}

/* Mutates e (the caller's private copy). Returns false to drop the ETP. On
 * success appends to q and leaves the revised route in e->route. */
bool qspn_revise(qspn_manager *m, qspn_etp *e, arc_t *a, bool is_full, np_list *q)
{
    ntk_hcoord v = qspn_coord_of(m, &e->sender);
    if (v.lvl < 0)
        return false;
    int L = v.lvl;
    bool addr_changed = a->has_naddr && a->naddr.pos[L] != e->sender.pos[L];
    ntk_naddr old = a->naddr;
    a->has_naddr = true;
    a->naddr = e->sender;
    if (!revise_route(m, e, v))
        return false;
    np_list mp = {0};
    for (int k = 0; k < e->n_paths; k++) {
        nodepath np;
        if (revise_path(m, &e->paths[k], v, a->id, &np))
            qspn_np_list_push(&mp, np);
    }
    /* 8: intrinsic path(s) */
    nodepath self = one_hop(m, v.lvl, v.pos, a->id, QSPN_COST_NULL, &e->fps[L], e->nodes_inside[L]);
    qspn_np_list_push(&mp, self);
    if (addr_changed) {
        nodepath dead = one_hop(m, L, old.pos[L], a->id, QSPN_COST_DEAD, &e->fps[L], e->nodes_inside[L]);
        qspn_np_list_push(&mp, dead);
        rename_neighbour(m, a, (ntk_hcoord){L, old.pos[L]}, v.pos, q);
    }
    if (is_full)
        full_etp_inference(m, a, &mp, q);
    for (int i = 0; i < mp.n; i++)
        qspn_np_list_push(q, mp.v[i]);
    free(mp.v);
    return true;
}

/* Semantic checks of spec §3.3 that need the receiver's state. */
bool qspn_etp_acceptable(const qspn_manager *m, const qspn_etp *e)
{
    if (!qspn_etp_is_well_formed(&m->topo, e))
        return false;
    return qspn_coord_of(m, &e->sender).lvl >= 0; /* not my own address */
}

/* Merge Q, start the split timers and flood, and hand the changed paths
 * to the advertiser (advert.c) unless `advertise` is false (bootstrap). */
void qspn_process_q(qspn_manager *m, np_list *q, uint32_t a_changed, const path_list *extra,
                    bool advertise)
{
    merge_result res;
    memset(&res, 0, sizeof res);
    qspn_merge(m, q, a_changed, &res);
    if (extra)
        for (int i = 0; i < extra->n; i++) {
            qspn_etp_path c;
            qspn_path_copy_or_die(&c, &extra->v[i]);
            qspn_path_list_push(&res.p_out, c);
        }
    qspn_after_merge(m, &res, advertise);
}

/* What follows every merge: split timers and flood, my g-nodes'
 * fingerprints and nodes_inside, then the advertisement. Frees res. */
void qspn_after_merge(qspn_manager *m, merge_result *res, bool advertise)
{
    qspn_split_after_merge(m, &res->merged, &res->split);
    qspn_arm_split_flood(m, &res->flood);
    bool clusters = qspn_update_clusters(m, true);
    if (advertise)
        qspn_advertise(m, &res->p_out, clusters);
    qspn_merge_result_free(res);
}
