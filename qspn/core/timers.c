/* timers.c - one-shot timers (spec §3.11): the manager keeps a record per
 * armed timer; env.set_timer arms it, qspn_on_timer fires it once. An id the
 * manager no longer knows is ignored. */
#include <string.h>

#include "manager_ops.h"

timer_t_ *qspn_timer_new(qspn_manager *m, timer_kind kind, uint32_t delay_ms)
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

void qspn_timer_free(timer_t_ *t)
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

static void refresh_fire(qspn_manager *m)
{
    m->refresh_armed = false;
    if (m->stopped)
        return;
    if (m->n_arcs > 0)
        qspn_tx_full_etp(m, NULL);
    qspn_arm_refresh(m);
}

/* A frame that arrived on an arc not announced yet (spec §1.1): retry every
 * arc_timeout/10 until arc_timeout. */
static void arc_wait_fire(qspn_manager *m, timer_t_ *t)
{
    arc_t *a = qspn_arc_by_handle(m, t->arc);
    uint32_t step = m->cfg.arc_timeout_ms / 10 ? m->cfg.arc_timeout_ms / 10 : 1;
    if (a) {
        uint8_t *f = t->frame;
        t->frame = NULL;
        qspn_dispatch_message(m, a, f, t->frame_len, t->token);
        free(f);
    } else if (t->waited_ms + step < m->cfg.arc_timeout_ms) {
        timer_t_ *n = qspn_timer_new(m, TIMER_ARC_WAIT, step);
        n->arc = t->arc;
        n->frame = t->frame;
        n->frame_len = t->frame_len;
        n->token = t->token;
        n->waited_ms = t->waited_ms + step;
        t->frame = NULL;
    } else if (t->frame_len >= 4 && t->frame[3] == QSPN_MSG_GET_FULL_ETP_REQ) {
        qspn_tx_error(m, t->arc, t->token, QSPN_ERRCODE_NOT_ACCEPTED);
    } else {
        qspn_logf(m, "dropped a message from an unknown arc after arc_timeout");
    }
}

void qspn_on_timer(qspn_manager *m, uint64_t id)
{
    timer_t_ *t = timer_take(m, id);
    if (!t)
        return;
    switch (t->kind) {
    case TIMER_BOOTSTRAP_SIGNAL:
        qspn_emit_simple(m, QSPN_EV_BOOTSTRAP_COMPLETE);
        qspn_arm_refresh(m);
        break;
    case TIMER_BOOTSTRAP_GIVEUP:
        if (!m->bootstrap_complete)
            qspn_exit_bootstrap_phase(m);
        break;
    case TIMER_PRESENCE:
        qspn_emit_simple(m, QSPN_EV_PRESENCE_NOTIFIED);
        break;
    case TIMER_REFRESH:
        refresh_fire(m);
        break;
    case TIMER_SPLIT_FLOOD:
        qspn_split_flood_fire(m, t);
        break;
    case TIMER_SPLIT_CHECK:
        qspn_split_check(m, t);
        break;
    case TIMER_CONNECTIVITY_NOTICE:
        qspn_tx_connectivity_notice(m, t->old_lvl, t->old_pos);
        break;
    case TIMER_ARC_WAIT:
        arc_wait_fire(m, t);
        break;
    case TIMER_ADV_HOLD:
        qspn_adv_hold_fire(m);
        break;
    case TIMER_REMOVE_IDENTITY:
        qspn_emit_simple(m, QSPN_EV_REMOVE_IDENTITY);
        break;
    }
    qspn_timer_free(t);
}
