/* merge.c - update_map (spec §3.5): merge revised paths into the map, select
 * the paths to keep, emit signals, collect the changed paths to advertise
 * and the destinations that need a split flood. */
#include <stdlib.h>
#include <string.h>

#include "paths.h"

void qspn_start_split_timer(qspn_manager *m, const qspn_fp *fp_e, const qspn_fp *fp,
                            const nodepath *bp_e, const nodepath *bp, ntk_hcoord d);

void qspn_view_of(qspn_manager *m, const nodepath *np, qspn_path_view *out)
{
    arc_t *a = qspn_arc_by_id(m, np->p.hops[0].arc_id);
    out->arc = a ? a->handle : NULL;
    out->n_hops = np->p.n_hops;
    out->hops = np->p.hops;
    out->cost = qspn_np_total(m, np);
    out->nodes_inside = np->p.nodes_inside;
    out->fp = &np->p.fp;
}

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

typedef struct {
    ntk_hcoord d;
    int same_level_hops;
} dest_key;

static int dest_key_cmp(const void *a, const void *b)
{
    const dest_key *x = a, *y = b;
    if (x->d.lvl != y->d.lvl)
        return x->d.lvl - y->d.lvl;
    if (x->same_level_hops != y->same_level_hops)
        return x->same_level_hops - y->same_level_hops;
    return x->d.pos - y->d.pos; /* deterministic order for the remaining ties */
}

static ntk_hcoord dest_of(const qspn_etp_path *p)
{
    return (ntk_hcoord){p->hops[p->n_hops - 1].lvl, p->hops[p->n_hops - 1].pos};
}

static bool nn_important(uint32_t oldn, uint32_t newn)
{
    return (double)newn > 1.1 * oldn || (double)newn < 0.9 * oldn;
}

void qspn_split_emitted_clear(qspn_manager *m, ntk_hcoord d, const nodepath *v, int n)
{
    for (int i = 0; i < m->n_split_emitted;) {
        split_emitted *e = &m->split_emitted_v[i];
        bool still = false;
        if (e->d.lvl == d.lvl && e->d.pos == d.pos) {
            for (int k = 0; k < n && !still; k++)
                still = v[k].p.fp.id == e->fp_id;
            /* a single fingerprint left means the disagreement is over */
            bool single = true;
            for (int k = 1; k < n; k++)
                single = single && qspn_fp_equals(&v[k].p.fp, &v[0].p.fp);
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

static void merge_one(qspn_manager *m, ntk_hcoord d, np_list *qd, uint32_t a_changed,
                      hc_set *z, path_list *p_out, hc_set *b)
{
    dest_t *dd = qspn_find_dest(m, d);
    int n_md = dd ? dd->n : 0;
    nodepath *md = dd ? dd->paths : NULL;
    bool d_known = n_md > 0;

    /* F1: distinct fingerprints before the merge */
    uint64_t *f1 = calloc((size_t)n_md + 1, sizeof *f1);
    int n_f1 = 0;
    for (int i = 0; i < n_md; i++) {
        bool seen = false;
        for (int k = 0; k < n_f1; k++)
            seen = seen || f1[k] == md[i].p.fp.id;
        if (!seen)
            f1[n_f1++] = md[i].p.fp.id;
    }

    /* mch_ratio and evaluation use the map before this destination changes */
    double mch = qspn_mch_ratio(m, d, dd);

    /* step 4: Od from Md and Qd */
    int cap = n_md + qd->n + 1;
    cand *od = calloc((size_t)cap, sizeof *od);
    bool *q_used = calloc((size_t)qd->n + 1, sizeof *q_used);
    if (!od || !q_used || !f1)
        abort();
    int n_od = 0;
    for (int i = 0; i < n_md; i++) {
        const nodepath *p1 = &md[i];
        int j2 = -1;
        for (int j = 0; j < qd->n && j2 < 0; j++)
            if (!q_used[j] && qspn_same_path(&qd->v[j].p, &p1->p))
                j2 = j;
        bool via_changed = a_changed && p1->p.hops[0].arc_id == a_changed;
        if (j2 >= 0) {
            q_used[j2] = true;
            const nodepath *p2 = &qd->v[j2];
            if (!qspn_fp_equals(&p1->p.fp, &p2->p.fp) ||
                qspn_cost_important_variation_r(p1->p.cost, p2->p.cost, m->cfg.cost_hysteresis) ||
                nn_important(p1->p.nodes_inside, p2->p.nodes_inside)) {
                od[n_od].np = *p2;
                od[n_od].np.exposed = false;
                qd->v[j2].p.hops = NULL; /* moved */
                qd->v[j2].p.n_hops = 0;
                od[n_od].md_idx = i;
                od[n_od].changed = true;
                n_od++;
                continue;
            }
        }
        qspn_path_copy_or_die(&od[n_od].np.p, &p1->p);
        od[n_od].np.exposed = p1->exposed;
        od[n_od].md_idx = i;
        od[n_od].changed = via_changed;
        n_od++;
    }
    for (int j = 0; j < qd->n; j++) {
        if (q_used[j])
            continue;
        /* spec §8.15: de-duplicate genuinely new paths */
        bool dup = false;
        for (int k = 0; k < n_od && !dup; k++)
            dup = qspn_same_path(&od[k].np.p, &qd->v[j].p);
        if (dup)
            continue;
        od[n_od].np = qd->v[j];
        od[n_od].np.exposed = false;
        qd->v[j].p.hops = NULL;
        qd->v[j].p.n_hops = 0;
        od[n_od].md_idx = -1;
        od[n_od].changed = false;
        n_od++;
    }
    /* sort Od by total cost (DEAD last), stable */
    for (int i = 1; i < n_od; i++) {
        cand x = od[i];
        int j = i - 1;
        while (j >= 0 && qspn_np_cmp(m, &od[j].np, &x.np) > 0) {
            od[j + 1] = od[j];
            j--;
        }
        od[j + 1] = x;
    }

    /* step 5: unknown-hop filter; step 6: selection */
    hc_set vn = {0};
    for (int i = 0; i < m->n_arcs; i++)
        if (m->arcs[i]->has_naddr) {
            ntk_hcoord c = qspn_coord_of(m, &m->arcs[i]->naddr);
            if (c.lvl >= 0)
                qspn_hc_set_add(&vn, c);
        }
    /* Rule M3 over levels 0..d.lvl inclusive, as PercorsiDisgiunti.md says
     * (the pinned code stops at d.lvl-1; the documents are the authority
     * here, see docs/qspn-core.md). Keeping more paths never hurts
     * check_connectivity. */
    hc_set z1 = {0};
    for (int i = 0; i <= d.lvl; i++)
        for (int k = 0; k < z[i].n; k++)
            qspn_hc_set_add(&z1, z[i].v[k]);
    uint64_t *fd = calloc((size_t)n_od + 1, sizeof *fd);
    int n_fd = 0;
    bool *keep = calloc((size_t)n_od + 1, sizeof *keep);
    int *rd = calloc((size_t)n_od + 1, sizeof *rd);
    int n_rd = 0;
    if (!fd || !keep || !rd)
        abort();
    for (int i = 0; i < n_od; i++) {
        const qspn_etp_path *p = &od[i].np.p;
        bool known_hops = true;
        for (int h = 0; h + 1 < p->n_hops && known_hops; h++)
            known_hops = qspn_find_dest(m, (ntk_hcoord){p->hops[h].lvl, p->hops[h].pos}) != NULL;
        if (!known_hops)
            continue;
        if (qspn_np_total(m, &od[i].np) == QSPN_COST_DEAD)
            break;
        bool mandatory = false;
        bool seen = false;
        for (int k = 0; k < n_fd; k++)
            seen = seen || fd[k] == p->fp.id;
        if (!seen) {
            fd[n_fd++] = p->fp.id;
            mandatory = true;
        }
        for (int k = 0; k < vn.n;) {
            if (!qspn_path_contains(p, vn.v[k])) {
                vn.v[k] = vn.v[--vn.n];
                mandatory = true;
            } else {
                k++;
            }
        }
        for (int k = 0; k < z1.n;) {
            if (qspn_path_contains(p, z1.v[k])) {
                z1.v[k] = z1.v[--z1.n];
                mandatory = true;
            } else {
                k++;
            }
        }
        if (mandatory) {
            keep[i] = true;
            rd[n_rd++] = i;
        } else if (n_rd < m->cfg.max_paths) {
            bool disj = true;
            for (int k = 0; k < n_rd && disj; k++)
                disj = qspn_disjoint(m, &od[rd[k]].np.p, p, d, d_known, mch);
            if (disj) {
                keep[i] = true;
                rd[n_rd++] = i;
            }
        }
    }
    qspn_hc_set_free(&vn);
    qspn_hc_set_free(&z1);
    free(fd);

    /* build the new list (in cost order) */
    nodepath *nv = calloc((size_t)n_rd + 1, sizeof *nv);
    int *nv_md = calloc((size_t)n_rd + 1, sizeof *nv_md);
    bool *nv_changed = calloc((size_t)n_rd + 1, sizeof *nv_changed);
    int *md_to_nv = malloc(((size_t)n_md + 1) * sizeof *md_to_nv);
    if (!nv || !nv_md || !nv_changed || !md_to_nv)
        abort();
    for (int i = 0; i < n_md; i++)
        md_to_nv[i] = -1;
    int n_nv = 0;
    for (int i = 0; i < n_od; i++) {
        if (keep[i]) {
            nv[n_nv] = od[i].np;
            nv_md[n_nv] = od[i].md_idx;
            nv_changed[n_nv] = od[i].changed;
            if (od[i].md_idx >= 0)
                md_to_nv[od[i].md_idx] = n_nv;
            n_nv++;
        } else {
            qspn_etp_path_free(&od[i].np.p);
        }
    }
    free(od);
    free(keep);
    free(rd);
    free(q_used);

    /* step 7: valid fingerprint */
    const qspn_fp *vfp = d.lvl > 0 ? qspn_valid_fp(nv, n_nv) : NULL;
    qspn_fp valid_fp;
    if (vfp)
        valid_fp = *vfp;

    /* step 8: signals and advertisements. Exposure is derived from the NEW
     * path's fingerprint (fix of spec §8.1): a path is exposed iff it carries
     * the valid fingerprint; path_added/changed/removed follow the diff. */
    pending_sig *sigs = calloc((size_t)(n_nv + n_md) * 2 + 4, sizeof *sigs);
    int n_sigs = 0;
    if (!sigs)
        abort();
    if (n_md == 0 && n_nv > 0)
        sigs[n_sigs++] = (pending_sig){SIG_DEST_ADDED, false, -1};
    for (int i = 0; i < n_nv; i++) {
        if (nv_md[i] >= 0)
            continue;
        qspn_etp_path out;
        qspn_prepare_step1(m, &nv[i], false, &out);
        qspn_path_list_push(p_out, out);
        bool vis = d.lvl == 0 || qspn_fp_equals(&nv[i].p.fp, &valid_fp);
        nv[i].exposed = vis;
        if (vis)
            sigs[n_sigs++] = (pending_sig){SIG_ADDED, false, i};
    }
    for (int i = 0; i < n_md; i++) {
        int k = md_to_nv[i];
        if (k < 0) {
            qspn_etp_path out;
            qspn_prepare_step1(m, &md[i], true, &out);
            qspn_path_list_push(p_out, out);
            if (d.lvl == 0 || md[i].exposed)
                sigs[n_sigs++] = (pending_sig){SIG_REMOVED, true, i};
            continue;
        }
        if (nv_changed[k]) {
            qspn_etp_path out;
            qspn_prepare_step1(m, &nv[k], false, &out);
            qspn_path_list_push(p_out, out);
        }
        if (d.lvl == 0) {
            nv[k].exposed = true;
            if (nv_changed[k])
                sigs[n_sigs++] = (pending_sig){SIG_CHANGED, false, k};
            continue;
        }
        bool was = md[i].exposed;
        bool vis = qspn_fp_equals(&nv[k].p.fp, &valid_fp);
        nv[k].exposed = vis;
        if (was && vis && nv_changed[k])
            sigs[n_sigs++] = (pending_sig){SIG_CHANGED, false, k};
        else if (was && !vis)
            sigs[n_sigs++] = (pending_sig){SIG_REMOVED, true, i};
        else if (!was && vis)
            sigs[n_sigs++] = (pending_sig){SIG_ADDED, false, k};
    }
    if (n_md > 0 && n_nv == 0)
        sigs[n_sigs++] = (pending_sig){SIG_DEST_REMOVED, false, -1};

    /* step 9: store, then emit (the old list stays alive for the signals) */
    nodepath *old = md;
    if (dd) {
        dd->paths = NULL;
        dd->n = dd->cap = 0;
    }
    if (n_nv > 0) {
        if (!dd)
            dd = qspn_add_dest(m, d);
        dd->paths = nv;
        dd->n = dd->cap = n_nv;
        nv = NULL;
    } else {
        if (dd)
            qspn_remove_dest(m, d);
        dd = NULL;
        free(nv);
        nv = NULL;
    }
    for (int s = 0; s < n_sigs; s++) {
        const pending_sig *ps = &sigs[s];
        qspn_path_view view;
        const qspn_signals *sg = &m->env.sig;
        if (ps->kind == SIG_DEST_ADDED) {
            if (sg->destination_added)
                sg->destination_added(m->env.user, m, d);
            continue;
        }
        if (ps->kind == SIG_DEST_REMOVED) {
            if (sg->destination_removed)
                sg->destination_removed(m->env.user, m, d);
            continue;
        }
        dd = qspn_find_dest(m, d);
        const nodepath *np = ps->from_old ? &old[ps->idx] : &dd->paths[ps->idx];
        qspn_view_of(m, np, &view);
        if (ps->kind == SIG_ADDED && sg->path_added)
            sg->path_added(m->env.user, m, &view);
        else if (ps->kind == SIG_CHANGED && sg->path_changed)
            sg->path_changed(m->env.user, m, &view);
        else if (ps->kind == SIG_REMOVED && sg->path_removed)
            sg->path_removed(m->env.user, m, &view);
    }
    free(sigs);
    for (int i = 0; i < n_md; i++)
        qspn_etp_path_free(&old[i].p);
    free(old);
    free(nv_md);
    free(nv_changed);
    free(md_to_nv);

    /* step 10: split detection (spec §3.9) */
    dd = qspn_find_dest(m, d);
    if (d.lvl > 0 && dd) {
        qspn_split_emitted_clear(m, d, dd->paths, dd->n);
        uint64_t ids[64];
        int n_f2 = 0;
        bool new_fp = false;
        for (int i = 0; i < dd->n; i++) {
            bool seen = false;
            for (int k = 0; k < n_f2; k++)
                seen = seen || ids[k] == dd->paths[i].p.fp.id;
            if (!seen && n_f2 < 64)
                ids[n_f2++] = dd->paths[i].p.fp.id;
        }
        if (n_f2 > 1) {
            for (int k = 0; k < n_f2; k++) {
                bool in_f1 = false;
                for (int j = 0; j < n_f1; j++)
                    in_f1 = in_f1 || f1[j] == ids[k];
                new_fp = new_fp || !in_f1;
            }
            if (new_fp)
                qspn_hc_set_add(b, d);
            int be = qspn_eval_dest(m, dd->paths, dd->n, d.lvl);
            qspn_fp fp_e = dd->paths[be].p.fp;
            nodepath bp_e = dd->paths[be];
            for (int k = 0; k < n_f2; k++) {
                if (ids[k] == fp_e.id)
                    continue;
                int bi = -1;
                for (int i = 0; i < dd->n; i++)
                    if (dd->paths[i].p.fp.id == ids[k] &&
                        (bi < 0 || qspn_np_cmp(m, &dd->paths[i], &dd->paths[bi]) < 0))
                        bi = i;
                nodepath bp = dd->paths[bi];
                qspn_fp fpk = bp.p.fp;
                qspn_start_split_timer(m, &fp_e, &fpk, &bp_e, &bp, d);
                dd = qspn_find_dest(m, d); /* the callback may not mutate, but stay safe */
                if (!dd)
                    break;
            }
        }
    }
    free(f1);
}

void qspn_merge(qspn_manager *m, np_list *q, uint32_t a_changed, path_list *p_out, hc_set *b)
{
    m->stats.merges++;
    int l = m->levels;
    hc_set z[QSPN_MAX_LEVELS];
    memset(z, 0, sizeof z);
    for (int i = 0; i < l; i++)
        qspn_compute_z(m, i, &z[i]);

    /* step 1-2: group by destination and order */
    dest_key *keys = calloc((size_t)q->n + 1, sizeof *keys);
    int n_keys = 0;
    if (!keys)
        abort();
    for (int i = 0; i < q->n; i++) {
        ntk_hcoord d = dest_of(&q->v[i].p);
        int k;
        for (k = 0; k < n_keys; k++)
            if (keys[k].d.lvl == d.lvl && keys[k].d.pos == d.pos)
                break;
        if (k == n_keys) {
            keys[n_keys].d = d;
            keys[n_keys].same_level_hops = -1;
            n_keys++;
        }
    }
    for (int k = 0; k < n_keys; k++) {
        const nodepath *cheapest = NULL;
        for (int i = 0; i < q->n; i++) {
            ntk_hcoord d = dest_of(&q->v[i].p);
            if (d.lvl != keys[k].d.lvl || d.pos != keys[k].d.pos)
                continue;
            if (!cheapest || qspn_np_cmp(m, &q->v[i], cheapest) < 0)
                cheapest = &q->v[i];
        }
        int c = 0;
        for (int h = 0; h < cheapest->p.n_hops; h++)
            c += cheapest->p.hops[h].lvl == keys[k].d.lvl;
        keys[k].same_level_hops = c;
    }
    qsort(keys, (size_t)n_keys, sizeof *keys, dest_key_cmp);

    for (int k = 0; k < n_keys; k++) {
        np_list qd = {0};
        for (int i = 0; i < q->n; i++) {
            if (!q->v[i].p.hops)
                continue;
            ntk_hcoord d = dest_of(&q->v[i].p);
            if (d.lvl == keys[k].d.lvl && d.pos == keys[k].d.pos) {
                qspn_np_list_push(&qd, q->v[i]);
                q->v[i].p.hops = NULL; /* moved */
                q->v[i].p.n_hops = 0;
            }
        }
        merge_one(m, keys[k].d, &qd, a_changed, z, p_out, b);
        qspn_np_list_free(&qd);
    }
    free(keys);
    for (int i = 0; i < l; i++)
        qspn_hc_set_free(&z[i]);
    qspn_np_list_free(q);
}
