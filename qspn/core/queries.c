/* queries.c - read-only queries of a manager (spec §4.2). */
#include <stdlib.h>
#include <string.h>

#include "manager_ops.h"

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
        if (!vfp || qspn_fp_equals(dd->paths[i].p.fp, vfp))
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

static size_t level_bytes(const level_map *lm)
{
    size_t b = (size_t)lm->cap * sizeof(dest_t);
    for (int k = 0; k < lm->n; k++) {
        b += (size_t)lm->d[k].cap * sizeof(nodepath);
        for (int q = 0; q < lm->d[k].n; q++)
            b += (size_t)lm->d[k].paths[q].p.n_hops * sizeof(qspn_hop);
    }
    return b;
}

size_t qspn_state_bytes(const qspn_manager *m)
{
    size_t b = sizeof *m + (size_t)(m->levels + 1) * sizeof(qspn_fp) + (size_t)m->cap_arcs * sizeof(arc_t *);
    for (int i = 0; i < m->n_arcs; i++)
        b += sizeof(arc_t) + (size_t)m->arcs[i]->cap_req * sizeof(pending_req);
    for (int lvl = 0; lvl < m->levels; lvl++)
        b += level_bytes(&m->map[lvl]) + level_bytes(&m->spare[lvl]);
    b += qspn_fp_table_bytes(&m->fpt); /* each distinct fingerprint once */
    b += (size_t)m->adv_pending.cap * sizeof(qspn_etp_path);
    for (int i = 0; i < m->adv_pending.n; i++)
        b += (size_t)m->adv_pending.v[i].n_hops * sizeof(qspn_hop);
    return b;
}

const qspn_stats *qspn_get_stats(const qspn_manager *m)
{
    return &m->stats;
}
