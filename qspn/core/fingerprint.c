/* fingerprint.c - costs and fingerprints (spec §1.5, §1.6). */
#include <string.h>

#include "qspn.h"

void qspn_config_default(qspn_config *c)
{
    c->max_paths = 5;
    c->max_common_hops_ratio = 0.6;
    c->arc_timeout_ms = 10000;
    c->bootstrap_giveup_ms = 10000;
    c->refresh_ms = 600000;
    c->split_flood_ms = 500;
    c->presence_ms = 1000;
    c->connectivity_notice_ms = 50;
    c->prepare_destroy_ms = 10000;
    c->cost_hysteresis = 0.3;
    c->pinned_ignore_rule = false;
    c->avoid_retention = true;
    c->etp_hold_ms = 100;
}

uint32_t qspn_cost_add(uint32_t a, uint32_t b)
{
    if (a == QSPN_COST_DEAD || b == QSPN_COST_DEAD)
        return QSPN_COST_DEAD;
    uint64_t s = (uint64_t)a + b;
    /* A real sum never becomes DEAD by overflow (spec §1.5). */
    return s >= QSPN_COST_DEAD ? QSPN_COST_DEAD - 1 : (uint32_t)s;
}

bool qspn_cost_important_variation(uint32_t oldc, uint32_t newc)
{
    return qspn_cost_important_variation_r(oldc, newc, 0.3);
}

bool qspn_cost_important_variation_r(uint32_t oldc, uint32_t newc, double ratio)
{
    bool old_special = oldc == QSPN_COST_NULL || oldc == QSPN_COST_DEAD;
    bool new_special = newc == QSPN_COST_NULL || newc == QSPN_COST_DEAD;
    if (old_special || new_special)
        return oldc != newc;
    /* The proof's asymmetric ±30 % band. */
    uint64_t o = oldc, n = newc;
    if (n > o + (uint64_t)(ratio * (double)n))
        return true;
    if (n + (uint64_t)(ratio * (double)o) < o)
        return true;
    return false;
}

bool qspn_fp_equals(const qspn_fp *a, const qspn_fp *b)
{
    return a->id == b->id;
}

bool qspn_fp_elder_seed(const qspn_fp *a, const qspn_fp *b)
{
    int n = a->level < b->level ? a->level : b->level;
    for (int i = 0; i < n; i++) {
        if (a->seed[i] != b->seed[i])
            return a->seed[i] < b->seed[i];
    }
    return false;
}

/* elder(): lower eldership at the fingerprint's own level wins; the null
 * eldership is youngest and two nulls are ordered by id (spec §8.23). */
static bool fp_elder(const qspn_fp *a, const qspn_fp *b)
{
    uint32_t ea = a->eld[0], eb = b->eld[0];
    if (ea == QSPN_NULL_ELDERSHIP && eb == QSPN_NULL_ELDERSHIP)
        return a->id < b->id;
    return ea < eb;
}

void qspn_fp_construct(const qspn_fp *mine, const qspn_fp *others, int n_others,
                       int levels, qspn_fp *out)
{
    const qspn_fp *eldest = mine;
    for (int i = 0; i < n_others; i++)
        if (fp_elder(&others[i], eldest))
            eldest = &others[i];
    qspn_fp r;
    memset(&r, 0, sizeof r);
    r.id = eldest->id;
    r.level = mine->level + 1;
    for (int i = 0; i < levels - r.level; i++)
        r.eld[i] = mine->eld[i + 1];
    r.seed[0] = eldest->eld[0];
    for (int i = 0; i < eldest->level && i + 1 < QSPN_MAX_LEVELS; i++)
        r.seed[i + 1] = eldest->seed[i];
    *out = r;
}

/* Fingerprint ids are full 64-bit values chosen by the user (spec §8.10: the
 * proof's constructor assigned the id twice and kept ~10^6 values). */
void qspn_fp_make_node(qspn_fp *out, uint64_t id, int levels, const uint32_t *eld_by_level)
{
    memset(out, 0, sizeof *out);
    out->id = id;
    out->level = 0;
    for (int i = 0; i < levels; i++)
        out->eld[i] = eld_by_level[i];
}
