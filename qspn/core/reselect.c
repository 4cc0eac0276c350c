/* reselect.c - selecting destinations again without new paths (issue 13):
 * after an arc event (qspn_merge_dests), when a hop of a spare path becomes
 * known, and when the merge changed Z (rule M3). */
#include <stdlib.h>
#include <string.h>

#include "manager_ops.h"
#include "merge.h"

/* A spare path whose hop was unknown becomes selectable when that hop
 * becomes a known destination: select again every destination with such a
 * spare path, until no destination is added. */
void qspn_reselect_spare(qspn_manager *m, uint32_t a_changed, const hc_set *z, merge_result *out)
{
    for (int done = 0; done < out->added.n;) {
        ntk_hcoord h = out->added.v[done++];
        hc_set todo = {0};
        for (int lvl = 0; lvl < m->levels; lvl++)
            for (int k = 0; k < m->spare[lvl].n; k++) {
                const dest_t *sd = &m->spare[lvl].d[k];
                for (int q = 0; q < sd->n; q++)
                    if (qspn_path_contains(&sd->paths[q].p, h)) {
                        qspn_hc_set_add(&todo, (ntk_hcoord){lvl, sd->pos});
                        break;
                    }
            }
        for (int i = 0; i < todo.n; i++) {
            np_list none = {0};
            qspn_merge_dest(m, todo.v[i], &none, a_changed, z, out);
        }
        qspn_hc_set_free(&todo);
    }
}

static bool same_set(const hc_set *a, const hc_set *b)
{
    if (a->n != b->n)
        return false;
    for (int i = 0; i < a->n; i++)
        if (!qspn_hc_set_has(b, a->v[i]))
            return false;
    return true;
}

/* Rule M3 depends on Z (my g-nodes' neighbour g-nodes), which comes from
 * the whole map: when a merge changes Z, the destinations merged before may
 * now need other paths. Select every destination again with the new Z, at
 * most twice (docs/qspn-core.md, change 10). */
void qspn_reselect_if_z_changed(qspn_manager *m, uint32_t a_changed, hc_set *z, merge_result *out)
{
    for (int round = 0; round < 2; round++) {
        bool changed = false;
        for (int i = 0; i < m->levels; i++) {
            hc_set nz = {0};
            qspn_compute_z(m, i, &nz);
            changed = changed || !same_set(&nz, &z[i]);
            qspn_hc_set_free(&z[i]);
            z[i] = nz;
        }
        if (!changed)
            return;
        hc_set all = {0};
        for (int lvl = 0; lvl < 2 * m->levels; lvl++) {
            const level_map *lm = lvl < m->levels ? &m->map[lvl] : &m->spare[lvl - m->levels];
            for (int k = 0; k < lm->n; k++)
                qspn_hc_set_add(&all, (ntk_hcoord){lvl % m->levels, lm->d[k].pos});
        }
        for (int k = 0; k < all.n; k++) {
            np_list none = {0};
            qspn_merge_dest(m, all.v[k], &none, a_changed, z, out);
        }
        qspn_hc_set_free(&all);
    }
}

void qspn_merge_dests(qspn_manager *m, const hc_set *dests, uint32_t a_changed, merge_result *out)
{
    m->stats.merges++;
    hc_set z[QSPN_MAX_LEVELS];
    memset(z, 0, sizeof z);
    for (int i = 0; i < m->levels; i++)
        qspn_compute_z(m, i, &z[i]);
    for (int k = 0; k < dests->n; k++) {
        np_list none = {0};
        qspn_merge_dest(m, dests->v[k], &none, a_changed, z, out);
    }
    qspn_reselect_spare(m, a_changed, z, out);
    for (int i = 0; i < m->levels; i++)
        qspn_hc_set_free(&z[i]);
}

