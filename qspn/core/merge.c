/* merge.c - update_map (spec §3.5): merge revised paths into the map, select
 * the paths to keep, emit signals, collect the changed paths to advertise
 * and the destinations that need split handling (done by split.c).
 *
 * One function per step of the spec: qspn_merge_dest() runs them in order
 * for one destination d on a merge_ctx. Selecting again without new paths
 * is in reselect.c. */
#include <stdlib.h>
#include <string.h>

#include "manager_ops.h"
#include "merge.h"

typedef enum { SIG_DEST_ADDED, SIG_DEST_REMOVED, SIG_ADDED, SIG_CHANGED, SIG_REMOVED } sig_kind;

typedef struct {
    sig_kind kind;
    bool from_old;             /* the path is in the old list (else the new list) */
    int idx;
} pending_sig;

/* Candidate of Od with its origin. */
typedef struct {
    nodepath np;
    int md_idx;                /* index in Md when it is (an update of) a stored path, else -1 */
    bool changed;              /* in Vd */
} cand;

/* The state of the merge of one destination. */
typedef struct {
    ntk_hcoord d;
    uint32_t a_changed;
    dest_t *dd;
    int n_md;                  /* Md: the stored list before the merge */
    nodepath *md;
    np_list spare;             /* spare paths of d (candidates, never advertised) */
    bool d_known;
    uint64_t *f1;              /* F1: distinct fingerprints before the merge */
    int n_f1;
    double mch;
    cand *od;                  /* Od, sorted */
    int n_od;
    bool *keep;
    bool *mand;                /* kept by a mandatory rule: advertised */
    int n_keep;
    nodepath *nv;              /* the new list */
    int n_nv;
    int *nv_md;
    bool *nv_changed;
    int *md_to_nv;
    bool has_vfp;
    qspn_fp valid_fp;
    pending_sig *sigs;
    int n_sigs;
} merge_ctx;

typedef struct {
    ntk_hcoord d;
    int same_level_hops;
} dest_key;

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        abort();
    return p;
}

static int dest_key_cmp(const void *a, const void *b)
{
    const dest_key *x = a, *y = b;
    if (x->d.lvl != y->d.lvl)
        return x->d.lvl - y->d.lvl;
    if (x->same_level_hops != y->same_level_hops)
        return x->same_level_hops - y->same_level_hops;
    return x->d.pos - y->d.pos; /* deterministic order for the remaining ties */
}

static ntk_hcoord dest_of(const qspn_spath *p)
{
    return (ntk_hcoord){p->hops[p->n_hops - 1].lvl, p->hops[p->n_hops - 1].pos};
}

static bool same_dest(ntk_hcoord a, ntk_hcoord b)
{
    return a.lvl == b.lvl && a.pos == b.pos;
}

static bool nn_important(uint32_t oldn, uint32_t newn)
{
    return (double)newn > 1.1 * oldn || (double)newn < 0.9 * oldn;
}

static bool id_in(const uint64_t *v, int n, uint64_t id)
{
    for (int k = 0; k < n; k++)
        if (v[k] == id)
            return true;
    return false;
}

/* Steps 1-3: Md, F1 and mch_ratio, from the map before d changes. */
static void step_init(qspn_manager *m, merge_ctx *c)
{
    c->dd = qspn_find_dest(m, c->d);
    c->n_md = c->dd ? c->dd->n : 0;
    c->md = c->dd ? c->dd->paths : NULL;
    c->d_known = c->n_md > 0;
    c->spare = qspn_spare_take(m, c->d);
    c->f1 = xcalloc((size_t)c->n_md + 1, sizeof *c->f1);
    for (int i = 0; i < c->n_md; i++)
        if (!id_in(c->f1, c->n_f1, c->md[i].p.fp->id))
            c->f1[c->n_f1++] = c->md[i].p.fp->id;
    c->mch = qspn_mch_ratio(m, c->d, c->dd);
}

/* Is the update p2 of the stored p1 an important change (Vd)? */
static bool important_change(const qspn_manager *m, const nodepath *p1, const nodepath *p2)
{
    return !qspn_fp_equals(p1->p.fp, p2->p.fp) ||
           qspn_cost_important_variation_r(p1->p.cost, p2->p.cost, m->cfg.cost_hysteresis) ||
           nn_important(p1->p.nodes_inside, p2->p.nodes_inside);
}

static void od_take(merge_ctx *c, nodepath *src, int md_idx, bool changed)
{
    cand *x = &c->od[c->n_od++];
    x->np = *src;
    x->np.p.exposed = false;
    src->p.hops = NULL; /* moved */
    src->p.n_hops = 0;
    src->p.fp = NULL;
    x->md_idx = md_idx;
    x->changed = changed;
}

/* Step 4: Od = Md updated by Qd (important changes only), plus new paths. */
static void step_build_od(qspn_manager *m, merge_ctx *c, np_list *qd)
{
    c->od = xcalloc((size_t)(c->n_md + c->spare.n + qd->n + 1), sizeof *c->od);
    bool *q_used = xcalloc((size_t)qd->n + 1, sizeof *q_used);
    for (int i = 0; i < c->n_md; i++) {
        const nodepath *p1 = &c->md[i];
        int j2 = -1;
        for (int j = 0; j < qd->n && j2 < 0; j++)
            if (!q_used[j] && qspn_same_path(&qd->v[j].p, &p1->p))
                j2 = j;
        bool via_changed = c->a_changed && p1->p.hops[0].arc_id == c->a_changed;
        if (j2 >= 0) {
            q_used[j2] = true;
            if (important_change(m, p1, &qd->v[j2])) {
                od_take(c, &qd->v[j2], i, true);
                continue;
            }
        }
        cand *x = &c->od[c->n_od++];
        qspn_spath_copy(&x->np.p, &p1->p);
        x->np.p.exposed = p1->p.exposed;
        x->np.p.adv = p1->p.adv;
        x->md_idx = i;
        x->changed = via_changed;
    }
    /* spare paths: the latest version received wins, whatever the change */
    for (int i = 0; i < c->spare.n; i++) {
        int j2 = -1;
        for (int j = 0; j < qd->n && j2 < 0; j++)
            if (!q_used[j] && qspn_same_path(&qd->v[j].p, &c->spare.v[i].p))
                j2 = j;
        if (j2 >= 0)
            q_used[j2] = true;
        od_take(c, j2 >= 0 ? &qd->v[j2] : &c->spare.v[i], -1, false);
    }
    for (int j = 0; j < qd->n; j++) {
        if (q_used[j])
            continue;
        /* spec §8.15: de-duplicate genuinely new paths */
        bool dup = false;
        for (int k = 0; k < c->n_od && !dup; k++)
            dup = qspn_same_path(&c->od[k].np.p, &qd->v[j].p);
        if (!dup)
            od_take(c, &qd->v[j], -1, false);
    }
    free(q_used);
    /* sort Od by total cost (DEAD last), stable */
    for (int i = 1; i < c->n_od; i++) {
        cand x = c->od[i];
        int j = i - 1;
        while (j >= 0 && qspn_np_cmp(m, &c->od[j].np, &x.np) > 0) {
            c->od[j + 1] = c->od[j];
            j--;
        }
        c->od[j + 1] = x;
    }
}

/* Remove from s every element for which `contained` equals `want`; true if any. */
static bool strike(hc_set *s, const qspn_spath *p, bool want)
{
    bool hit = false;
    for (int k = 0; k < s->n;) {
        if (qspn_path_contains(p, s->v[k]) == want) {
            s->v[k] = s->v[--s->n];
            hit = true;
        } else {
            k++;
        }
    }
    return hit;
}

static bool hops_known(const qspn_manager *m, const qspn_spath *p)
{
    for (int h = 0; h + 1 < p->n_hops; h++)
        if (!qspn_find_dest(m, (ntk_hcoord){p->hops[h].lvl, p->hops[h].pos}))
            return false;
    return true;
}

/* Steps 5-6: unknown-hop filter, then selection: rules M1 (one path per
 * fingerprint), M2 (a path avoiding each neighbour), M3 (a path through
 * each g-node neighbour of levels 0..d.lvl) are mandatory; the others are
 * kept while disjoint enough and fewer than max_paths. */
static void step_select(qspn_manager *m, merge_ctx *c, const hc_set *z)
{
    hc_set vn = {0}, z1 = {0}, hop_avoid = {0};
    for (int i = 0; i < m->n_arcs; i++)
        if (m->arcs[i]->has_naddr && !m->arcs[i]->gone) {
            ntk_hcoord h = qspn_coord_of(m, &m->arcs[i]->naddr);
            if (h.lvl >= 0)
                qspn_hc_set_add(&vn, h);
        }
    /* Rule M3 over levels 0..d.lvl inclusive, as PercorsiDisgiunti.md says
     * (the pinned code stops at d.lvl-1; docs/qspn-core.md, §8.7). */
    for (int i = 0; i <= c->d.lvl; i++)
        for (int k = 0; k < z[i].n; k++)
            qspn_hc_set_add(&z1, z[i].v[k]);
    uint64_t *fd = xcalloc((size_t)c->n_od + 1, sizeof *fd);
    int n_fd = 0;
    int *rd = xcalloc((size_t)c->n_od + 1, sizeof *rd);
    c->keep = xcalloc((size_t)c->n_od + 1, sizeof *c->keep);
    c->mand = xcalloc((size_t)c->n_od + 1, sizeof *c->mand);
    for (int i = 0; i < c->n_od; i++) {
        const qspn_spath *p = &c->od[i].np.p;
        if (!hops_known(m, p))
            continue;
        if (qspn_np_total(m, &c->od[i].np) == QSPN_COST_DEAD)
            break;
        bool mandatory = false;
        if (!id_in(fd, n_fd, p->fp->id)) {
            fd[n_fd++] = p->fp->id;
            mandatory = true;
        }
        mandatory = strike(&vn, p, false) || mandatory;
        mandatory = strike(&z1, p, true) || mandatory;
        mandatory = strike(&hop_avoid, p, false) || mandatory;
        bool take = mandatory;
        if (!take && c->n_keep < m->cfg.max_paths) {
            take = true;
            for (int k = 0; k < c->n_keep && take; k++)
                take = qspn_disjoint(m, &c->od[rd[k]].np.p, p, c->d, c->d_known, c->mch);
        }
        if (take) {
            c->keep[i] = true;
            c->mand[i] = mandatory;
            rd[c->n_keep++] = i;
            if (c->n_keep == 1 && m->cfg.avoid_retention)
                for (int h = 0; h + 1 < p->n_hops; h++)
                    qspn_hc_set_add(&hop_avoid, (ntk_hcoord){p->hops[h].lvl, p->hops[h].pos});
        }
    }
    qspn_hc_set_free(&hop_avoid);
    qspn_hc_set_free(&vn);
    qspn_hc_set_free(&z1);
    free(fd);
    free(rd);
}

/* The new list in cost order; the candidates not kept become spare paths,
 * except the dead ones. */
static void step_new_list(qspn_manager *m, merge_ctx *c)
{
    c->nv = xcalloc((size_t)c->n_keep + 1, sizeof *c->nv);
    c->nv_md = xcalloc((size_t)c->n_keep + 1, sizeof *c->nv_md);
    c->nv_changed = xcalloc((size_t)c->n_keep + 1, sizeof *c->nv_changed);
    c->md_to_nv = xcalloc((size_t)c->n_md + 1, sizeof *c->md_to_nv);
    for (int i = 0; i < c->n_md; i++)
        c->md_to_nv[i] = -1;
    int n_spare = 0;
    for (int i = 0; i < c->n_od; i++)
        n_spare += !c->keep[i] && qspn_np_total(m, &c->od[i].np) != QSPN_COST_DEAD;
    qspn_spare_reserve(m, c->d, n_spare);
    for (int i = 0; i < c->n_od; i++) {
        if (!c->keep[i]) {
            if (qspn_np_total(m, &c->od[i].np) == QSPN_COST_DEAD) {
                qspn_spath_free(m, &c->od[i].np.p);
            } else {
                c->od[i].np.p.exposed = false;
                c->od[i].np.p.adv = false;
                qspn_spare_add(m, c->d, c->od[i].np);
            }
            continue;
        }
        c->nv[c->n_nv] = c->od[i].np;
        c->nv[c->n_nv].p.adv = c->mand[i];
        c->nv_md[c->n_nv] = c->od[i].md_idx;
        c->nv_changed[c->n_nv] = c->od[i].changed;
        if (c->od[i].md_idx >= 0)
            c->md_to_nv[c->od[i].md_idx] = c->n_nv;
        c->n_nv++;
    }
}

/* Step 7: the valid fingerprint (eldest by seed), level >= 1 only. */
static void step_valid_fp(merge_ctx *c)
{
    const qspn_fp *vfp = c->d.lvl > 0 ? qspn_valid_fp(c->nv, c->n_nv) : NULL;
    c->has_vfp = vfp != NULL;
    if (vfp)
        c->valid_fp = *vfp;
}

static void sig_push(merge_ctx *c, sig_kind k, bool from_old, int idx)
{
    c->sigs[c->n_sigs++] = (pending_sig){k, from_old, idx};
}

static void advertise(qspn_manager *m, path_list *p_out, const nodepath *np, bool dead)
{
    qspn_etp_path out;
    qspn_prepare_step1(m, np, dead, &out);
    qspn_path_list_push(p_out, out);
}

static bool carries_valid_fp(const merge_ctx *c, const nodepath *np)
{
    return c->d.lvl == 0 || (c->has_vfp && qspn_fp_equals(np->p.fp, &c->valid_fp));
}

/* A stored path that is still kept: advertise it if changed, and derive
 * the signal from the change of visibility (fix of spec §8.1). */
static void diff_kept(qspn_manager *m, merge_ctx *c, int i, path_list *p_out)
{
    int k = c->md_to_nv[i];
    if (c->nv[k].p.adv && (c->nv_changed[k] || !c->md[i].p.adv))
        advertise(m, p_out, &c->nv[k], false);
    else if (!c->nv[k].p.adv && c->md[i].p.adv)
        advertise(m, p_out, &c->md[i], true);
    bool was = c->d.lvl == 0 || c->md[i].p.exposed;
    bool vis = carries_valid_fp(c, &c->nv[k]);
    c->nv[k].p.exposed = vis;
    if (was && vis && c->nv_changed[k])
        sig_push(c, SIG_CHANGED, false, k);
    else if (was && !vis)
        sig_push(c, SIG_REMOVED, true, i);
    else if (!was && vis)
        sig_push(c, SIG_ADDED, false, k);
}

/* Step 8: signals and advertisements. Exposure is derived from the NEW
 * path's fingerprint (fix of spec §8.1): a path is exposed iff it carries
 * the valid fingerprint; path_added/changed/removed follow the diff. */
static void step_diff(qspn_manager *m, merge_ctx *c, path_list *p_out, merge_result *out)
{
    c->sigs = xcalloc((size_t)(c->n_nv + c->n_md) * 2 + 4, sizeof *c->sigs);
    if (c->n_md == 0 && c->n_nv > 0)
        sig_push(c, SIG_DEST_ADDED, false, -1);
    if (c->n_md == 0 && c->n_nv > 0)
        qspn_hc_set_add(&out->added, c->d);
    for (int i = 0; i < c->n_nv; i++) {
        if (c->nv_md[i] >= 0)
            continue;
        if (c->nv[i].p.adv)
            advertise(m, p_out, &c->nv[i], false);
        c->nv[i].p.exposed = carries_valid_fp(c, &c->nv[i]);
        if (c->nv[i].p.exposed)
            sig_push(c, SIG_ADDED, false, i);
    }
    for (int i = 0; i < c->n_md; i++) {
        if (c->md_to_nv[i] >= 0) {
            diff_kept(m, c, i, p_out);
            continue;
        }
        if (c->md[i].p.adv)
            advertise(m, p_out, &c->md[i], true);
        if (c->d.lvl == 0 || c->md[i].p.exposed)
            sig_push(c, SIG_REMOVED, true, i);
    }
    if (c->n_md > 0 && c->n_nv == 0)
        sig_push(c, SIG_DEST_REMOVED, false, -1);
}

/* Step 9: store the new list, then emit (the old list stays alive for the
 * signals, which may read the map). */
static void step_store_and_emit(qspn_manager *m, merge_ctx *c)
{
    if (c->dd) {
        c->dd->paths = NULL;
        c->dd->n = c->dd->cap = 0;
    }
    if (c->n_nv > 0) {
        dest_t *dd = c->dd ? c->dd : qspn_add_dest(m, c->d);
        dd->paths = c->nv;
        dd->n = dd->cap = c->n_nv;
    } else {
        if (c->dd)
            qspn_remove_dest(m, c->d);
        free(c->nv);
    }
    c->nv = NULL;
    for (int s = 0; s < c->n_sigs; s++) {
        const pending_sig *ps = &c->sigs[s];
        if (ps->kind == SIG_DEST_ADDED || ps->kind == SIG_DEST_REMOVED) {
            qspn_emit_dest(m, ps->kind == SIG_DEST_ADDED ? QSPN_EV_DESTINATION_ADDED
                                                         : QSPN_EV_DESTINATION_REMOVED, c->d);
            continue;
        }
        const nodepath *np = ps->from_old ? &c->md[ps->idx] : &qspn_find_dest(m, c->d)->paths[ps->idx];
        qspn_emit_path(m, ps->kind == SIG_ADDED     ? QSPN_EV_PATH_ADDED
                          : ps->kind == SIG_CHANGED ? QSPN_EV_PATH_CHANGED
                                                    : QSPN_EV_PATH_REMOVED, np);
    }
}

/* Step 10: split detection (spec §3.9) is left to split.c: report d when it
 * has several fingerprints, and whether one of them is new. */
static void step_split_candidates(qspn_manager *m, const merge_ctx *c, merge_result *out)
{
    dest_t *dd = qspn_find_dest(m, c->d);
    if (c->d.lvl == 0 || !dd)
        return;
    qspn_hc_set_add(&out->merged, c->d);
    uint64_t ids[64];
    int n_f2 = 0;
    for (int i = 0; i < dd->n; i++)
        if (!id_in(ids, n_f2, dd->paths[i].p.fp->id) && n_f2 < 64)
            ids[n_f2++] = dd->paths[i].p.fp->id;
    if (n_f2 <= 1)
        return;
    bool new_fp = false;
    for (int k = 0; k < n_f2; k++)
        new_fp = new_fp || !id_in(c->f1, c->n_f1, ids[k]);
    if (new_fp)
        qspn_hc_set_add(&out->flood, c->d);
    qspn_hc_set_add(&out->split, c->d);
}

static void ctx_free(qspn_manager *m, merge_ctx *c)
{
    for (int i = 0; i < c->n_md; i++)
        qspn_spath_free(m, &c->md[i].p);
    free(c->md);
    qspn_np_list_free(m, &c->spare);
    free(c->f1);
    free(c->od);
    free(c->keep);
    free(c->mand);
    free(c->nv);
    free(c->nv_md);
    free(c->nv_changed);
    free(c->md_to_nv);
    free(c->sigs);
}

void qspn_merge_dest(qspn_manager *m, ntk_hcoord d, np_list *qd, uint32_t a_changed,
                     const hc_set *z, merge_result *out)
{
    merge_ctx c;
    memset(&c, 0, sizeof c);
    c.d = d;
    c.a_changed = a_changed;
    step_init(m, &c);
    step_build_od(m, &c, qd);
    step_select(m, &c, z);
    step_new_list(m, &c);
    step_valid_fp(&c);
    step_diff(m, &c, &out->p_out, out);
    step_store_and_emit(m, &c);
    step_split_candidates(m, &c, out);
    ctx_free(m, &c);
}

/* Steps 1-2 of §3.5: the destinations of Q, ordered by level, then by the
 * number of same-level hops of their cheapest new path. */
static int order_destinations(qspn_manager *m, const np_list *q, dest_key *keys)
{
    int n_keys = 0;
    for (int i = 0; i < q->n; i++) {
        ntk_hcoord d = dest_of(&q->v[i].p);
        int k = 0;
        while (k < n_keys && !same_dest(keys[k].d, d))
            k++;
        if (k == n_keys)
            keys[n_keys++] = (dest_key){d, -1};
    }
    for (int k = 0; k < n_keys; k++) {
        const nodepath *cheapest = NULL;
        for (int i = 0; i < q->n; i++)
            if (same_dest(dest_of(&q->v[i].p), keys[k].d) &&
                (!cheapest || qspn_np_cmp(m, &q->v[i], cheapest) < 0))
                cheapest = &q->v[i];
        int c = 0;
        for (int h = 0; h < cheapest->p.n_hops; h++)
            c += cheapest->p.hops[h].lvl == keys[k].d.lvl;
        keys[k].same_level_hops = c;
    }
    qsort(keys, (size_t)n_keys, sizeof *keys, dest_key_cmp);
    return n_keys;
}

void qspn_merge(qspn_manager *m, np_list *q, uint32_t a_changed, merge_result *out)
{
    m->stats.merges++;
    hc_set z[QSPN_MAX_LEVELS];
    memset(z, 0, sizeof z);
    for (int i = 0; i < m->levels; i++)
        qspn_compute_z(m, i, &z[i]);
    dest_key *keys = xcalloc((size_t)q->n + 1, sizeof *keys);
    int n_keys = order_destinations(m, q, keys);
    for (int k = 0; k < n_keys; k++) {
        np_list qd = {0};
        for (int i = 0; i < q->n; i++) {
            if (!q->v[i].p.hops || !same_dest(dest_of(&q->v[i].p), keys[k].d))
                continue;
            qspn_np_list_push(&qd, q->v[i]);
            q->v[i].p.hops = NULL; /* moved */
            q->v[i].p.n_hops = 0;
            q->v[i].p.fp = NULL;
        }
        qspn_merge_dest(m, keys[k].d, &qd, a_changed, z, out);
        qspn_np_list_free(m, &qd);
    }
    free(keys);
    qspn_reselect_spare(m, a_changed, z, out);
    qspn_reselect_if_z_changed(m, a_changed, z, out);
    for (int i = 0; i < m->levels; i++)
        qspn_hc_set_free(&z[i]);
    qspn_np_list_free(m, q);
}

void qspn_merge_result_free(merge_result *r)
{
    qspn_path_list_free(&r->p_out);
    qspn_hc_set_free(&r->flood);
    qspn_hc_set_free(&r->split);
    qspn_hc_set_free(&r->merged);
    qspn_hc_set_free(&r->added);
}
