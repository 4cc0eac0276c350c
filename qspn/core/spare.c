/* spare.c - spare paths (docs/qspn-core.md, issue 13 change 2): the latest
 * version of every path a neighbour advertised that selection did not keep,
 * by destination. Candidates of every later selection; never visible, never
 * advertised. */
#include <stdlib.h>
#include <string.h>

#include "paths.h"

static dest_t *find_in(const level_map *lm, int pos)
{
    for (int i = 0; i < lm->n; i++)
        if (lm->d[i].pos == pos)
            return &lm->d[i];
    return NULL;
}

dest_t *qspn_spare_find(const qspn_manager *m, ntk_hcoord h)
{
    if (h.lvl < 0 || h.lvl >= m->levels)
        return NULL;
    return find_in(&m->spare[h.lvl], h.pos);
}

np_list qspn_spare_take(qspn_manager *m, ntk_hcoord h)
{
    np_list out = {0};
    level_map *lm = &m->spare[h.lvl];
    for (int i = 0; i < lm->n; i++)
        if (lm->d[i].pos == h.pos) {
            out.v = lm->d[i].paths;
            out.n = lm->d[i].n;
            out.cap = lm->d[i].cap;
            lm->d[i] = lm->d[--lm->n];
            break;
        }
    return out;
}

static dest_t *spare_dest(qspn_manager *m, ntk_hcoord h)
{
    level_map *lm = &m->spare[h.lvl];
    dest_t *d = find_in(lm, h.pos);
    if (!d) {
        QSPN_GROW(lm->d, lm->n, lm->cap, 8);
        d = &lm->d[lm->n++];
        memset(d, 0, sizeof *d);
        d->pos = h.pos;
    }
    return d;
}

void qspn_spare_reserve(qspn_manager *m, ntk_hcoord h, int n)
{
    if (n <= 0)
        return;
    dest_t *d = spare_dest(m, h);
    if (d->cap >= d->n + n)
        return;
    d->cap = d->n + n;
    d->paths = realloc(d->paths, (size_t)d->cap * sizeof *d->paths);
    if (!d->paths)
        abort();
}

void qspn_spare_add(qspn_manager *m, ntk_hcoord h, nodepath np)
{
    dest_t *d = spare_dest(m, h);
    QSPN_GROW(d->paths, d->n, d->cap, 4);
    d->paths[d->n++] = np;
}

void qspn_spare_clear(qspn_manager *m, int from_level)
{
    for (int lvl = from_level < 0 ? 0 : from_level; lvl < m->levels; lvl++) {
        for (int k = 0; k < m->spare[lvl].n; k++)
            qspn_free_dest_paths(m, &m->spare[lvl].d[k]);
        m->spare[lvl].n = 0;
    }
}

int qspn_spare_drop_arc(qspn_manager *m, uint32_t arc_id, hc_set *dests)
{
    int dropped = 0;
    for (int lvl = 0; lvl < m->levels; lvl++) {
        level_map *lm = &m->spare[lvl];
        for (int k = 0; k < lm->n;) {
            dest_t *d = &lm->d[k];
            int w = 0;
            for (int q = 0; q < d->n; q++) {
                if (d->paths[q].p.hops[0].arc_id == arc_id) {
                    qspn_spath_free(m, &d->paths[q].p);
                    dropped++;
                    if (dests)
                        qspn_hc_set_add(dests, (ntk_hcoord){lvl, d->pos});
                } else {
                    d->paths[w++] = d->paths[q];
                }
            }
            d->n = w;
            if (w == 0) {
                free(d->paths);
                lm->d[k] = lm->d[--lm->n];
            } else {
                k++;
            }
        }
    }
    return dropped;
}

