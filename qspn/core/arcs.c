/* arcs.c - arc records and the public arc operations (spec §3.7). */
#include <stdlib.h>
#include <string.h>

#include "manager_ops.h"

uint32_t qspn_fresh_arc_id(qspn_manager *m)
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

arc_t *qspn_arc_insert(qspn_manager *m, void *handle, uint32_t cost, uint32_t id)
{
    arc_t *a = calloc(1, sizeof *a);
    if (!a)
        abort();
    a->handle = handle;
    a->cost = cost;
    a->id = id;
    a->seq = ++m->arc_seq;
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

void qspn_arc_forget(qspn_manager *m, arc_t *a, path_list *withdrawn, bool emit)
{
    qspn_spare_drop_arc(m, a->id, NULL);
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
                    if (withdrawn && d->paths[q].p.adv) {
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
            if (dl > 0 && !np->p.exposed)
                continue; /* HEAD: hidden paths were never signalled */
            qspn_emit_path(m, QSPN_EV_PATH_REMOVED, np);
        }
        for (int i = 0; i < removed_dests.n; i++)
            if (!qspn_find_dest(m, removed_dests.v[i]))
                qspn_emit_dest(m, QSPN_EV_DESTINATION_REMOVED, removed_dests.v[i]);
    }
    qspn_np_list_free(m, &removed);
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
            qspn_gather_settle(m, req[i].gather_id);
        bootstrap_req = bootstrap_req || req[i].kind == REQ_BOOTSTRAP;
    }
    free(req);
    if (bootstrap_req) {
        m->bootstrap_querying = false;
        qspn_bootstrap_next(m);
    }
}

void qspn_arc_drop(qspn_manager *m, arc_t *a, bool bad_link)
{
    void *h = a->handle;
    qspn_arc_remove(m, h);
    qspn_emit_arc_removed(m, h, bad_link);
}


/* ---- public arc operations (spec §3.7) ---------------------------------------------- */

bool qspn_arc_add(qspn_manager *m, void *handle, uint32_t cost)
{
    if (qspn_arc_by_handle(m, handle) || cost == QSPN_COST_NULL || cost == QSPN_COST_DEAD)
        return false;
    arc_t *a = qspn_arc_insert(m, handle, cost, qspn_fresh_arc_id(m));
    if (!m->bootstrap_complete) {
        qspn_queue_push(m, handle);
        qspn_bootstrap_next(m);
        return true;
    }
    qspn_tx_request(m, a, REQ_ARC_ADD, 0);
    return true;
}

/* The destinations with a stored or spare path through arc_id. */
static void dests_via_arc(const qspn_manager *m, uint32_t arc_id, hc_set *out)
{
    for (int lvl = 0; lvl < 2 * m->levels; lvl++) {
        const level_map *lm = lvl < m->levels ? &m->map[lvl] : &m->spare[lvl - m->levels];
        for (int k = 0; k < lm->n; k++)
            for (int q = 0; q < lm->d[k].n; q++)
                if (lm->d[k].paths[q].p.hops[0].arc_id == arc_id) {
                    qspn_hc_set_add(out, (ntk_hcoord){lvl % m->levels, lm->d[k].pos});
                    break;
                }
    }
}

bool qspn_arc_is_changed(qspn_manager *m, void *handle, uint32_t new_cost)
{
    arc_t *a = qspn_arc_by_handle(m, handle);
    if (!a || new_cost == QSPN_COST_NULL || new_cost == QSPN_COST_DEAD)
        return false;
    a->cost = new_cost;
    if (!m->bootstrap_complete)
        return true;
    /* Every path through the arc is stored or spare: select again locally
     * (docs/qspn-core.md, issue 13 change 8); the changed ones are
     * re-advertised (a_changed). */
    hc_set dests = {0};
    dests_via_arc(m, a->id, &dests);
    merge_result res;
    memset(&res, 0, sizeof res);
    qspn_merge_dests(m, &dests, a->id, &res);
    qspn_hc_set_free(&dests);
    qspn_after_merge(m, &res, true);
    return true;
}

bool qspn_arc_remove(qspn_manager *m, void *handle)
{
    arc_t *a = qspn_arc_by_handle(m, handle);
    if (!a)
        return false;
    if (!m->bootstrap_complete) {
        /* spec §8.2: remove it completely, with the copied paths through it */
        qspn_arc_forget(m, a, NULL, true);
        return true;
    }
    /* Select again every destination with a path through the arc, whose
     * paths now cost DEAD: the alternatives come from the stored and spare
     * paths, the lost ones are withdrawn (docs/qspn-core.md, change 8). The
     * record goes after the merge, so that the signals still name the arc. */
    a->gone = true;
    hc_set dests = {0};
    dests_via_arc(m, a->id, &dests);
    merge_result res;
    memset(&res, 0, sizeof res);
    qspn_merge_dests(m, &dests, 0, &res);
    qspn_hc_set_free(&dests);
    qspn_arc_forget(m, a, NULL, false);
    qspn_after_merge(m, &res, true);
    return true;
}
