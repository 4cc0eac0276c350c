/* paths.c - the map: destinations, NodePaths, evaluation, Z_i, ignore_outside,
 * update_clusters (spec §2.3 - §2.7, §3.6). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "manager_ops.h"

/* ---- small helpers ---------------------------------------------------------- */

ntk_hcoord qspn_coord_of(const qspn_manager *m, const ntk_naddr *x)
{
    for (int l = m->levels - 1; l >= 0; l--)
        if (x->pos[l] != m->me.pos[l])
            return (ntk_hcoord){l, x->pos[l]};
    return (ntk_hcoord){-1, -1};
}

arc_t *qspn_arc_by_handle(const qspn_manager *m, void *h)
{
    for (int i = 0; i < m->n_arcs; i++)
        if (m->arcs[i]->handle == h)
            return m->arcs[i];
    return NULL;
}

arc_t *qspn_arc_by_id(const qspn_manager *m, uint32_t id)
{
    for (int i = 0; i < m->n_arcs; i++)
        if (m->arcs[i]->id == id)
            return m->arcs[i];
    return NULL;
}

uint32_t qspn_np_total(const qspn_manager *m, const nodepath *np)
{
    arc_t *a = qspn_arc_by_id(m, np->p.hops[0].arc_id);
    if (!a || a->gone)
        return QSPN_COST_DEAD;
    return qspn_cost_add(a->cost, np->p.cost);
}

bool qspn_hops_contain(const qspn_hop *hops, int n, ntk_hcoord h)
{
    for (int i = 0; i < n; i++)
        if (hops[i].lvl == h.lvl && hops[i].pos == h.pos)
            return true;
    return false;
}

static bool path_has_arc(const qspn_spath *p, uint32_t arc)
{
    for (int i = 0; i < p->n_hops; i++)
        if (p->hops[i].arc_id == arc)
            return true;
    return false;
}

bool qspn_same_hops(const qspn_hop *a, int na, const qspn_hop *b, int nb)
{
    if (na != nb)
        return false;
    for (int i = 0; i < na; i++)
        if (a[i].lvl != b[i].lvl || a[i].pos != b[i].pos || a[i].arc_id != b[i].arc_id)
            return false;
    return true;
}

/* Total order used for sorting: cost; then, between two gateways, the arc
 * given to me last (arc ids are random, so they would make the choice between
 * equal-cost neighbours change from run to run; the documents' S09b has beta2
 * choose epsilon, its newest arc, over gamma at equal cost); then the arc-id
 * sequence (spec §8.13). */
int qspn_np_cmp(const qspn_manager *m, const nodepath *a, const nodepath *b)
{
    uint32_t ca = qspn_np_total(m, a), cb = qspn_np_total(m, b);
    if (ca != cb)
        return ca < cb ? -1 : 1;
    if (a->p.n_hops > 0 && b->p.n_hops > 0 && a->p.hops[0].arc_id != b->p.hops[0].arc_id) {
        const arc_t *xa = qspn_arc_by_id(m, a->p.hops[0].arc_id);
        const arc_t *xb = qspn_arc_by_id(m, b->p.hops[0].arc_id);
        if (xa && xb && xa->seq != xb->seq)
            return xa->seq > xb->seq ? -1 : 1;
    }
    int n = a->p.n_hops < b->p.n_hops ? a->p.n_hops : b->p.n_hops;
    for (int i = 0; i < n; i++)
        if (a->p.hops[i].arc_id != b->p.hops[i].arc_id)
            return a->p.hops[i].arc_id < b->p.hops[i].arc_id ? -1 : 1;
    return a->p.n_hops - b->p.n_hops;
}

void qspn_sort_nps(const qspn_manager *m, nodepath *v, int n)
{
    /* insertion sort: lists are short and the order must be stable */
    for (int i = 1; i < n; i++) {
        nodepath x = v[i];
        int j = i - 1;
        while (j >= 0 && qspn_np_cmp(m, &v[j], &x) > 0) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
}

void qspn_np_list_push(np_list *l, nodepath np)
{
    QSPN_GROW(l->v, l->n, l->cap, 8);
    l->v[l->n++] = np;
}

void qspn_np_list_free(qspn_manager *m, np_list *l)
{
    for (int i = 0; i < l->n; i++)
        qspn_spath_free(m, &l->v[i].p);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

void qspn_path_list_push(path_list *l, qspn_etp_path p)
{
    QSPN_GROW(l->v, l->n, l->cap, 8);
    l->v[l->n++] = p;
}

void qspn_path_list_free(path_list *l)
{
    for (int i = 0; i < l->n; i++)
        qspn_etp_path_free(&l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

void qspn_path_copy_or_die(qspn_etp_path *dst, const qspn_etp_path *src)
{
    if (!qspn_etp_path_copy(dst, src))
        abort();
}

static qspn_hop *hops_dup(const qspn_hop *h, int n)
{
    qspn_hop *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    if (!v)
        abort();
    if (n > 0)
        memcpy(v, h, (size_t)n * sizeof *v);
    return v;
}

void qspn_spath_from_wire(qspn_manager *m, qspn_spath *dst, const qspn_etp_path *src)
{
    dst->hops = hops_dup(src->hops, src->n_hops);
    dst->n_hops = src->n_hops;
    dst->cost = src->cost;
    dst->nodes_inside = src->nodes_inside;
    dst->fp = qspn_fp_intern(&m->fpt, &src->fp);
}

void qspn_spath_copy(qspn_spath *dst, const qspn_spath *src)
{
    *dst = *src;
    dst->hops = hops_dup(src->hops, src->n_hops);
    if (dst->fp)
        qspn_fp_ref(dst->fp);
}

void qspn_spath_free(qspn_manager *m, qspn_spath *p)
{
    free(p->hops);
    p->hops = NULL;
    p->n_hops = 0;
    if (p->fp)
        qspn_fp_release(&m->fpt, p->fp);
    p->fp = NULL;
}

void qspn_spath_set_fp(qspn_manager *m, qspn_spath *p, const qspn_fp *fp)
{
    const qspn_fp *old = p->fp;
    p->fp = qspn_fp_intern(&m->fpt, fp);
    if (old)
        qspn_fp_release(&m->fpt, old);
}

void qspn_view_of(const qspn_manager *m, const nodepath *np, qspn_path_view *out)
{
    arc_t *a = qspn_arc_by_id(m, np->p.hops[0].arc_id);
    out->arc = a ? a->handle : NULL;
    out->n_hops = np->p.n_hops;
    out->hops = np->p.hops;
    out->cost = a ? qspn_cost_add(a->cost, np->p.cost) : QSPN_COST_DEAD;
    out->nodes_inside = np->p.nodes_inside;
    out->fp = np->p.fp;
}

/* ---- destinations ------------------------------------------------------------ */

dest_t *qspn_find_dest(const qspn_manager *m, ntk_hcoord h)
{
    if (h.lvl < 0 || h.lvl >= m->levels)
        return NULL;
    const level_map *lm = &m->map[h.lvl];
    for (int i = 0; i < lm->n; i++)
        if (lm->d[i].pos == h.pos)
            return &lm->d[i];
    return NULL;
}

dest_t *qspn_add_dest(qspn_manager *m, ntk_hcoord h)
{
    level_map *lm = &m->map[h.lvl];
    QSPN_GROW(lm->d, lm->n, lm->cap, 8);
    dest_t *d = &lm->d[lm->n++];
    memset(d, 0, sizeof *d);
    d->pos = h.pos;
    return d;
}

void qspn_free_dest_paths(qspn_manager *m, dest_t *d)
{
    for (int i = 0; i < d->n; i++)
        qspn_spath_free(m, &d->paths[i].p);
    free(d->paths);
    d->paths = NULL;
    d->n = d->cap = 0;
}

void qspn_remove_dest(qspn_manager *m, ntk_hcoord h)
{
    level_map *lm = &m->map[h.lvl];
    for (int i = 0; i < lm->n; i++) {
        if (lm->d[i].pos == h.pos) {
            qspn_free_dest_paths(m, &lm->d[i]);
            lm->d[i] = lm->d[lm->n - 1];
            lm->n--;
            return;
        }
    }
}

/* Evaluation of §2.5: index of the path whose fp/nodes_inside are d's, or -1. */
int qspn_eval_dest(const qspn_manager *m, const nodepath *v, int n, int lvl)
{
    int best = -1;
    if (n == 0)
        return -1;
    const qspn_fp *eldest = NULL;
    if (lvl > 0) {
        eldest = v[0].p.fp;
        for (int i = 1; i < n; i++)
            if (qspn_fp_elder_seed(v[i].p.fp, eldest))
                eldest = v[i].p.fp;
    }
    for (int i = 0; i < n; i++) {
        if (eldest && !qspn_fp_equals(v[i].p.fp, eldest))
            continue;
        if (best < 0 || qspn_np_cmp(m, &v[i], &v[best]) < 0)
            best = i;
    }
    return best;
}

/* The valid fingerprint of a level >= 1 destination: eldest by seed. */
const qspn_fp *qspn_valid_fp(const nodepath *v, int n)
{
    if (n == 0)
        return NULL;
    const qspn_fp *e = v[0].p.fp;
    for (int i = 1; i < n; i++)
        if (qspn_fp_elder_seed(v[i].p.fp, e))
            e = v[i].p.fp;
    return e;
}

uint32_t qspn_dest_nodes_inside(const qspn_manager *m, ntk_hcoord h)
{
    dest_t *d = qspn_find_dest(m, h);
    if (!d)
        return 0;
    int b = qspn_eval_dest(m, d->paths, d->n, h.lvl);
    return b < 0 ? 0 : d->paths[b].p.nodes_inside;
}

/* ---- Z_i: my g-node neighbours of level i (spec §2.4) ------------------------ */

static void hc_set_add(hc_set *s, ntk_hcoord h)
{
    for (int i = 0; i < s->n; i++)
        if (s->v[i].lvl == h.lvl && s->v[i].pos == h.pos)
            return;
    QSPN_GROW(s->v, s->n, s->cap, 8);
    s->v[s->n++] = h;
}

void qspn_hc_set_add(hc_set *s, ntk_hcoord h)
{
    hc_set_add(s, h);
}

bool qspn_hc_set_has(const hc_set *s, ntk_hcoord h)
{
    for (int i = 0; i < s->n; i++)
        if (s->v[i].lvl == h.lvl && s->v[i].pos == h.pos)
            return true;
    return false;
}

void qspn_hc_set_free(hc_set *s)
{
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

static void z_from_path(const qspn_spath *p, int i, hc_set *z)
{
    for (int j = 0; j < p->n_hops; j++) {
        if (p->hops[j].lvl == i) {
            if (j == 0 || p->hops[j - 1].lvl < i)
                hc_set_add(z, (ntk_hcoord){p->hops[j].lvl, p->hops[j].pos});
            return;
        }
        if (p->hops[j].lvl > i)
            return;
    }
}

void qspn_compute_z(const qspn_manager *m, int i, hc_set *z)
{
    for (int lvl = i; lvl < m->levels; lvl++) {
        const level_map *lm = &m->map[lvl];
        for (int k = 0; k < lm->n; k++)
            for (int q = 0; q < lm->d[k].n; q++)
                z_from_path(&lm->d[k].paths[q].p, i, z);
    }
}

void qspn_compute_z_from(const qspn_manager *m, int i, const hc_set *dests, hc_set *z)
{
    for (int k = 0; k < dests->n; k++) {
        dest_t *d = qspn_find_dest(m, dests->v[k]);
        if (!d)
            continue;
        for (int q = 0; q < d->n; q++)
            z_from_path(&d->paths[q].p, i, z);
    }
}

/* ---- disjointness (spec §2.4) ---------------------------------------------- */

bool qspn_disjoint(const qspn_manager *m, const qspn_spath *p, const qspn_spath *q,
                   ntk_hcoord d, bool d_known, double mch)
{
    double total = 0, common = 0;
    for (int t = 0; t + 1 < p->n_hops; t++) {
        ntk_hcoord g = {p->hops[t].lvl, p->hops[t].pos};
        int n = (int)floor(1.5 * sqrt((double)qspn_dest_nodes_inside(m, g)));
        total += n;
        if (qspn_path_contains(q, g)) {
            bool in_same = path_has_arc(q, p->hops[t].arc_id);
            bool out_same = path_has_arc(q, p->hops[t + 1].arc_id);
            if (in_same && out_same)
                common += n;
            else if (in_same || out_same)
                common += ceil(n / 2.0);
        }
    }
    if (d.lvl > 0 && d_known) {
        int n = (int)floor(0.75 * sqrt((double)qspn_dest_nodes_inside(m, d)));
        if (n > 0)
            n -= 1;
        if (n > 0) {
            total += n;
            if (path_has_arc(q, p->hops[p->n_hops - 1].arc_id))
                common += n;
        }
    }
    return total == 0 || common / total <= mch;
}

double qspn_mch_ratio(const qspn_manager *m, ntk_hcoord d, const dest_t *dd)
{
    double base = m->cfg.max_common_hops_ratio;
    if (!dd || dd->n == 0 || !m->bootstrap_complete)
        return base;
    uint32_t size = qspn_dest_nodes_inside(m, d);
    /* numgw: distinct arcs among the visible paths */
    uint32_t arcs[64];
    int numgw = 0;
    const qspn_fp *vfp = d.lvl > 0 ? qspn_valid_fp(dd->paths, dd->n) : NULL;
    for (int i = 0; i < dd->n; i++) {
        if (vfp && !qspn_fp_equals(dd->paths[i].p.fp, vfp))
            continue;
        uint32_t a = dd->paths[i].p.hops[0].arc_id;
        bool seen = false;
        for (int k = 0; k < numgw; k++)
            seen = seen || arcs[k] == a;
        if (!seen && numgw < 64)
            arcs[numgw++] = a;
    }
    static const double lambda_tab[] = {0.08, 0.45, 0.35, 0.27, 0.20, 0.15, 0.12, 0.10};
    double lambda = numgw >= 8 ? 0.08 : lambda_tab[numgw];
    double eps = base * lambda;
    double gamma = size < 10 ? 1 : size < 25 ? 0.9 : size < 75 ? 0.8 : size < 250 ? 0.6
                 : size < 750 ? 0.3 : size < 3000 ? 0.1 : 0.0001;
    return (base - eps) * gamma + eps;
}

/* ---- preparing paths for sending (spec §3.6) --------------------------------- */

void qspn_prepare_step1(const qspn_manager *m, const nodepath *np, bool dead, qspn_etp_path *out)
{
    out->hops = hops_dup(np->p.hops, np->p.n_hops);
    out->n_hops = np->p.n_hops;
    out->fp = *np->p.fp;
    out->nodes_inside = np->p.nodes_inside;
    out->cost = dead ? QSPN_COST_DEAD : qspn_np_total(m, np);
    out->ignore_outside = 0;
}

/* Same hops and arcs from index ja of a and jb of b to the end? */
static bool same_suffix(const qspn_hop *a, int na, int ja, const qspn_hop *b, int nb, int jb)
{
    return qspn_same_hops(a + ja, na - ja, b + jb, nb - jb);
}

static int first_at_or_above(const qspn_hop *h, int n, int i)
{
    int j = 0;
    while (j < n && h[j].lvl < i)
        j++;
    return j;
}

/* Pinned rule (spec §3.6): visible outside level i iff the prefix of p up to
 * the first hop h of level >= i is my best stored path to h through the same
 * entry arc. */
static bool hidden_pinned(const qspn_manager *m, const qspn_etp_path *p, int i)
{
    int j = first_at_or_above(p->hops, p->n_hops, i);
    ntk_hcoord h = {p->hops[j].lvl, p->hops[j].pos};
    dest_t *d = qspn_find_dest(m, h);
    if (!d)
        return false; /* spec §8.11: unknown hop -> false (the pinned code asserted) */
    const nodepath *best = NULL;
    for (int k = 0; k < d->n; k++) {
        const nodepath *q = &d->paths[k];
        if (!q->p.adv || q->p.hops[q->p.n_hops - 1].arc_id != p->hops[j].arc_id)
            continue;
        if (!best || qspn_np_cmp(m, q, best) < 0)
            best = q;
    }
    if (!best)
        return false;
    bool same = best->p.n_hops == j + 1;
    for (int k = 0; same && k < j; k++)
        same = best->p.hops[k].lvl == p->hops[k].lvl && best->p.hops[k].pos == p->hops[k].pos &&
               best->p.hops[k].arc_id == p->hops[k].arc_id;
    return !same;
}

/* Default rule (docs/qspn-core.md, D3): outside my level-i g-node all my paths
 * to d with the same part from the first hop of level >= i onwards look like
 * one path. Exactly one of them is visible: the cheapest STORED one. The
 * pinned rule could hide all of them (when my best path to h through that arc
 * is not the prefix of any stored path to d), which made whole destinations
 * unreachable from outside. A path no longer stored (a withdrawal) is visible
 * only if no stored path of its class is left (its replacement is advertised
 * by add_exit_representatives). */
static bool hidden_per_exit(const qspn_manager *m, const qspn_etp_path *p, int i)
{
    int j = first_at_or_above(p->hops, p->n_hops, i);
    ntk_hcoord dh = {p->hops[p->n_hops - 1].lvl, p->hops[p->n_hops - 1].pos};
    dest_t *d = qspn_find_dest(m, dh);
    if (!d)
        return false;
    const nodepath *best = NULL;
    for (int k = 0; k < d->n; k++) {
        const nodepath *q = &d->paths[k];
        if (!q->p.adv || !same_suffix(q->p.hops, q->p.n_hops, first_at_or_above(q->p.hops, q->p.n_hops, i),
                                    p->hops, p->n_hops, j))
            continue;
        if (!best || qspn_np_cmp(m, q, best) < 0)
            best = q;
    }
    if (!best)
        return false;
    return !qspn_same_path(&best->p, p);
}

void qspn_prepare_step2(const qspn_manager *m, qspn_etp_path *p)
{
    uint32_t ign = 0;
    int last = p->hops[p->n_hops - 1].lvl;
    for (int i = 1; i < m->levels; i++) {
        bool hide;
        if (last < i)
            hide = true; /* the destination is inside my level-i g-node */
        else if (m->cfg.pinned_ignore_rule)
            hide = hidden_pinned(m, p, i);
        else
            hide = hidden_per_exit(m, p, i);
        if (hide)
            ign |= 1u << i;
    }
    p->ignore_outside = ign;
}

/* ---- update_clusters (spec §2.7) ---------------------------------------------- */

bool qspn_update_clusters(qspn_manager *m, bool emit)
{
    bool changes = false;
    int l = m->levels;
    qspn_fp *fps = NULL;
    int cap = 0;
    for (int i = 1; i <= l; i++) {
        const level_map *lm = &m->map[i - 1];
        if (lm->n > cap) {
            cap = lm->n;
            fps = realloc(fps, (size_t)cap * sizeof *fps);
            if (!fps)
                abort();
        }
        int nf = 0;
        uint64_t nn = 0;
        for (int k = 0; k < lm->n; k++) {
            int b = qspn_eval_dest(m, lm->d[k].paths, lm->d[k].n, i - 1);
            if (b < 0)
                continue;
            fps[nf++] = *lm->d[k].paths[b].p.fp;
            /* spec §8.9: level 1 uses the reported value too, so connectivity
             * (virtual) level-0 destinations count 0 instead of 1. */
            nn += lm->d[k].paths[b].p.nodes_inside;
        }
        qspn_fp nf_fp;
        qspn_fp_construct(&m->fps[i - 1], fps, nf, l, &nf_fp);
        if (!qspn_fp_equals(&nf_fp, &m->fps[i])) {
            changes = true;
            m->fps[i] = nf_fp;
            if (emit)
                qspn_emit_level(m, QSPN_EV_CHANGED_FP, i);
        }
        m->fps[i] = nf_fp;
        uint64_t tot = m->nn[i - 1] + nn;
        if (tot > 0x7FFFFFFF)
            tot = 0x7FFFFFFF;
        if (tot != m->nn[i]) {
            m->nn[i] = (uint32_t)tot;
            changes = true;
            if (emit)
                qspn_emit_level(m, QSPN_EV_CHANGED_NODES_INSIDE, i);
        }
    }
    free(fps);
    return changes;
}
