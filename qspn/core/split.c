/* split.c - split detection (spec §3.9): timers started from the merge's
 * candidates, the confirmation check and the split flood. */
#include <stdlib.h>
#include <string.h>

#include "manager_ops.h"

/* ---- split timers (spec §3.9) ------------------------------------------------------ */

/* One timer per (eldest fingerprint, other fingerprint) pair until it fires. */
static void start_split_timer(qspn_manager *m, const qspn_fp *fp_e, const qspn_fp *fp,
                            const nodepath *bp_e, const nodepath *bp, ntk_hcoord d)
{
    for (int i = 0; i < m->n_pending_split; i++)
        if (m->pending_split[i][0] == fp_e->id && m->pending_split[i][1] == fp->id)
            return;
    QSPN_GROW(m->pending_split, m->n_pending_split, m->cap_pending_split, 4);
    m->pending_split[m->n_pending_split][0] = fp_e->id;
    m->pending_split[m->n_pending_split][1] = fp->id;
    m->n_pending_split++;
    uint32_t delay = 10000;
    if (m->env.split_threshold) {
        qspn_path_view ve, vo;
        qspn_view_of(m, bp_e, &ve);
        qspn_view_of(m, bp, &vo);
        delay = m->env.split_threshold(m->env.user, m, &ve, &vo);
    }
    timer_t_ *t = qspn_timer_new(m, TIMER_SPLIT_CHECK, delay);
    t->fp_e = *fp_e;
    t->fp = *fp;
    t->d = d;
}

/* For a destination with several fingerprints: one timer per fingerprint
 * other than the eldest's, each with the best paths of both (spec §3.9). */
static void start_timers_for(qspn_manager *m, ntk_hcoord d)
{
    dest_t *dd = qspn_find_dest(m, d);
    uint64_t ids[64];
    int n_ids = 0;
    for (int i = 0; dd && i < dd->n; i++) {
        bool seen = false;
        for (int k = 0; k < n_ids; k++)
            seen = seen || ids[k] == dd->paths[i].p.fp->id;
        if (!seen && n_ids < 64)
            ids[n_ids++] = dd->paths[i].p.fp->id;
    }
    if (!dd || n_ids < 2)
        return;
    int be = qspn_eval_dest(m, dd->paths, dd->n, d.lvl);
    qspn_fp fp_e = *dd->paths[be].p.fp;
    nodepath bp_e = dd->paths[be];
    for (int k = 0; k < n_ids; k++) {
        if (ids[k] == fp_e.id)
            continue;
        int bi = -1;
        for (int i = 0; i < dd->n; i++)
            if (dd->paths[i].p.fp->id == ids[k] &&
                (bi < 0 || qspn_np_cmp(m, &dd->paths[i], &dd->paths[bi]) < 0))
                bi = i;
        nodepath bp = dd->paths[bi];
        qspn_fp fpk = *bp.p.fp;
        start_split_timer(m, &fp_e, &fpk, &bp_e, &bp, d);
        dd = qspn_find_dest(m, d); /* the callback may not mutate, but stay safe */
        if (!dd)
            break;
    }
}

void qspn_split_after_merge(qspn_manager *m, const hc_set *merged, const hc_set *split)
{
    for (int i = 0; i < merged->n; i++) {
        dest_t *dd = qspn_find_dest(m, merged->v[i]);
        if (dd)
            qspn_split_emitted_clear(m, merged->v[i], dd->paths, dd->n);
    }
    for (int i = 0; i < split->n; i++)
        start_timers_for(m, split->v[i]);
}

/* A split gnode_splitted disagreement ends when d is left with a single
 * fingerprint or the emitted one is gone. */
void qspn_split_emitted_clear(qspn_manager *m, ntk_hcoord d, const nodepath *v, int n)
{
    for (int i = 0; i < m->n_split_emitted;) {
        split_emitted *e = &m->split_emitted_v[i];
        bool still = false;
        if (e->d.lvl == d.lvl && e->d.pos == d.pos) {
            for (int k = 0; k < n && !still; k++)
                still = v[k].p.fp->id == e->fp_id;
            /* a single fingerprint left means the disagreement is over */
            bool single = true;
            for (int k = 1; k < n; k++)
                single = single && qspn_fp_equals(v[k].p.fp, v[0].p.fp);
            if (single)
                still = false;
        } else {
            still = true;
        }
        if (!still)
            m->split_emitted_v[i] = m->split_emitted_v[--m->n_split_emitted];
        else
            i++;
    }
}

/* The timer of a (fp_e, fp) pair fired: for each arc to d whose first path
 * carries fp while fp_e is still known, emit gnode_splitted once (§8.5). */
void qspn_split_check(qspn_manager *m, timer_t_ *t)
{
    for (int i = 0; i < m->n_pending_split; i++)
        if (m->pending_split[i][0] == t->fp_e.id && m->pending_split[i][1] == t->fp.id) {
            m->pending_split[i][0] = m->pending_split[m->n_pending_split - 1][0];
            m->pending_split[i][1] = m->pending_split[m->n_pending_split - 1][1];
            m->n_pending_split--;
            break;
        }
    dest_t *dd = qspn_find_dest(m, t->d);
    if (!dd)
        return;
    bool has_e = false;
    for (int i = 0; i < dd->n && !has_e; i++)
        has_e = qspn_fp_equals(dd->paths[i].p.fp, &t->fp_e);
    if (!has_e)
        return;
    /* snapshot arcs: the handler must not mutate, but the list is small */
    for (int i = 0; i < m->n_arcs; i++) {
        arc_t *x = m->arcs[i];
        if (!x->has_naddr)
            continue;
        ntk_hcoord c = qspn_coord_of(m, &x->naddr);
        if (c.lvl != t->d.lvl || c.pos != t->d.pos)
            continue;
        /* the first path (cost order) through x */
        const nodepath *first = NULL;
        for (int k = 0; k < dd->n; k++)
            if (dd->paths[k].p.hops[0].arc_id == x->id &&
                (!first || qspn_np_cmp(m, &dd->paths[k], first) < 0))
                first = &dd->paths[k];
        if (!first || !qspn_fp_equals(first->p.fp, &t->fp))
            continue;
        /* spec §8.5: emit once per (arc, d, fp) until the disagreement ends */
        bool done = false;
        for (int k = 0; k < m->n_split_emitted && !done; k++) {
            split_emitted *e = &m->split_emitted_v[k];
            done = e->arc_id == x->id && e->d.lvl == t->d.lvl && e->d.pos == t->d.pos &&
                   e->fp_id == t->fp.id;
        }
        if (done)
            continue;
        QSPN_GROW(m->split_emitted_v, m->n_split_emitted, m->cap_split_emitted, 4);
        m->split_emitted_v[m->n_split_emitted++] = (split_emitted){x->id, t->d, t->fp.id};
        qspn_fp fp = t->fp;
        qspn_emit_split(m, x->handle, t->d, &fp);
        dd = qspn_find_dest(m, t->d);
        if (!dd)
            return;
    }
}


/* ---- split flood (spec §3.9) ------------------------------------------------------- */

/* One split-flood timer per manager: destinations that need a flood while
 * it is armed join it (no timer per merge). */
void qspn_arm_split_flood(qspn_manager *m, const hc_set *b)
{
    if (b->n == 0)
        return;
    timer_t_ *t = NULL;
    for (int i = 0; i < m->n_timers && !t; i++)
        if (m->timers[i]->kind == TIMER_SPLIT_FLOOD)
            t = m->timers[i];
    if (!t)
        t = qspn_timer_new(m, TIMER_SPLIT_FLOOD, m->cfg.split_flood_ms);
    for (int k = 0; k < b->n; k++) {
        bool have = false;
        for (int i = 0; i < t->n_b && !have; i++)
            have = t->b[i].lvl == b->v[k].lvl && t->b[i].pos == b->v[k].pos;
        if (have)
            continue;
        t->b = realloc(t->b, (size_t)(t->n_b + 1) * sizeof *t->b);
        if (!t->b)
            abort();
        t->b[t->n_b++] = b->v[k];
    }
}

/* Re-advertise every stored path to the destinations of the flood. */
void qspn_split_flood_fire(qspn_manager *m, const timer_t_ *t)
{
    path_list pl = {0};
    for (int i = 0; i < t->n_b; i++) {
        dest_t *d = qspn_find_dest(m, t->b[i]);
        if (!d)
            continue;
        for (int k = 0; k < d->n; k++) {
            if (!d->paths[k].p.adv)
                continue;
            qspn_etp_path p;
            qspn_prepare_step1(m, &d->paths[k], false, &p);
            qspn_prepare_step2(m, &p);
            qspn_path_list_push(&pl, p);
        }
    }
    if (m->n_arcs > 0)
        qspn_tx_etp(m, NULL, 0, &pl, false, NULL);
    qspn_path_list_free(&pl);
}
