/* oracle.c - independent check of the converged maps.
 *
 * For identity n and destination d = (L, pos) (a g-node relative to n), the
 * oracle runs Dijkstra on the flat graph of alive nodes, restricted to n's
 * level-(L+1) g-node (a QSPN path never leaves it), with each arc costed as
 * measured by its upstream end; the expected cost is the distance to the
 * nearest member of d. For the forwarding-table variant ("avoid neighbour
 * m's maximal distinct g-node", spec §2.6) the members of that g-node are
 * removed from the graph first.
 *
 * QSPN can only represent paths that never re-enter a g-node (spec §1.2).
 * The oracle rebuilds its optimal path and, if it is not of that kind, counts
 * it as `nonconvex` and does not compare it (a QSPN cost lower than such an
 * optimum would still be impossible and is counted as a mismatch). The
 * generators cost links by level so that this does not happen in practice.
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

typedef struct {
    int to;
    int link;
    uint32_t cost;
} edge;

typedef struct {
    int n;
    int *deg;
    edge **adj;
} graph;

static void graph_build(sim *s, graph *g)
{
    int n = sim_node_count(s);
    g->n = n;
    g->deg = calloc((size_t)n, sizeof *g->deg);
    g->adj = calloc((size_t)n, sizeof *g->adj);
    if (!g->deg || !g->adj)
        abort();
    for (int li = 0; li < sim_link_count(s); li++) {
        int a, b;
        bool up;
        sim_link_ends(s, li, &a, &b, &up);
        if (!up || !sim_alive(s, a) || !sim_alive(s, b))
            continue;
        for (int k = 0; k < 2; k++) {
            int x = k ? b : a, y = k ? a : b;
            g->adj[x] = realloc(g->adj[x], (size_t)(g->deg[x] + 1) * sizeof **g->adj);
            if (!g->adj[x])
                abort();
            g->adj[x][g->deg[x]++] = (edge){y, li, sim_link_cost_from(s, li, x)};
        }
    }
}

static void graph_free(graph *g)
{
    for (int i = 0; i < g->n; i++)
        free(g->adj[i]);
    free(g->adj);
    free(g->deg);
}

static bool prefix_eq(const ntk_naddr *a, const ntk_naddr *b, int from)
{
    for (int l = from; l < a->levels; l++)
        if (a->pos[l] != b->pos[l])
            return false;
    return true;
}

/* Dijkstra from src over nodes for which allowed[] is true (O(n^2), n small). */
static void dijkstra(const graph *g, int src, const bool *allowed, uint64_t *dist, int *pred)
{
    bool *done = calloc((size_t)g->n, sizeof *done);
    if (!done)
        abort();
    for (int i = 0; i < g->n; i++) {
        dist[i] = UINT64_MAX;
        pred[i] = -1;
    }
    dist[src] = 0;
    for (;;) {
        int u = -1;
        for (int i = 0; i < g->n; i++)
            if (!done[i] && dist[i] != UINT64_MAX && (u < 0 || dist[i] < dist[u]))
                u = i;
        if (u < 0)
            break;
        done[u] = true;
        for (int k = 0; k < g->deg[u]; k++) {
            const edge *e = &g->adj[u][k];
            if (!allowed[e->to])
                continue;
            uint64_t nd = dist[u] + e->cost;
            if (nd < dist[e->to]) {
                dist[e->to] = nd;
                pred[e->to] = u;
            }
        }
    }
    free(done);
}

/* Does the path src..x (by pred) enter every g-node of every level at most once? */
static bool convex(sim *s, const int *pred, int x)
{
    int path[1024];
    int len = 0;
    for (int v = x; v >= 0 && len < 1024; v = pred[v])
        path[len++] = v;
    int levels = sim_naddr(s, 0)->levels;
    for (int lvl = 0; lvl < levels; lvl++) {
        /* the g-node of level lvl of each node: prefix at >= lvl */
        for (int i = 0; i < len; i++)
            for (int j = i + 2; j < len; j++) {
                if (!prefix_eq(sim_naddr(s, path[i]), sim_naddr(s, path[j]), lvl))
                    continue;
                /* same g-node at i and j: everything between must be inside too */
                for (int k = i + 1; k < j; k++)
                    if (!prefix_eq(sim_naddr(s, path[i]), sim_naddr(s, path[k]), lvl))
                        return false;
            }
    }
    return true;
}

/* Expected best cost from n to every destination of level L, given the
 * excluded g-node `avoid` (lvl -1 = none). best[pos] = UINT64_MAX if unreachable;
 * nonconv[pos] set when the optimum is not representable. */
static int *last_pred, *last_arg; /* for printing the oracle's path of a mismatch */

static void expected(sim *s, const graph *g, int n, int L, ntk_hcoord avoid, uint64_t *best,
                     bool *nonconv, int maxpos)
{
    const ntk_naddr *me = sim_naddr(s, n);
    bool *allowed = calloc((size_t)g->n, sizeof *allowed);
    uint64_t *dist = malloc((size_t)g->n * sizeof *dist);
    int *pred = malloc((size_t)g->n * sizeof *pred);
    int *arg = malloc((size_t)maxpos * sizeof *arg);
    if (!allowed || !dist || !pred || !arg)
        abort();
    for (int v = 0; v < g->n; v++) {
        if (!sim_alive(s, v) || !prefix_eq(me, sim_naddr(s, v), L + 1))
            continue;
        if (avoid.lvl >= 0) {
            const ntk_naddr *a = sim_naddr(s, v);
            bool inside = a->pos[avoid.lvl] == avoid.pos && prefix_eq(me, a, avoid.lvl + 1);
            if (inside)
                continue;
        }
        allowed[v] = true;
    }
    allowed[n] = true;
    dijkstra(g, n, allowed, dist, pred);
    for (int p = 0; p < maxpos; p++) {
        best[p] = UINT64_MAX;
        nonconv[p] = false;
        arg[p] = -1;
    }
    for (int v = 0; v < g->n; v++) {
        if (!allowed[v] || v == n || dist[v] == UINT64_MAX)
            continue;
        const ntk_naddr *a = sim_naddr(s, v);
        if (a->pos[L] == me->pos[L] || a->pos[L] >= maxpos)
            continue;
        if (dist[v] < best[a->pos[L]]) {
            best[a->pos[L]] = dist[v];
            arg[a->pos[L]] = v;
        }
    }
    for (int p = 0; p < maxpos; p++)
        if (arg[p] >= 0)
            nonconv[p] = !convex(s, pred, arg[p]);
    free(allowed);
    free(dist);
    free(last_pred);
    free(last_arg);
    last_pred = pred;
    last_arg = arg;
}

static void print_oracle_path(FILE *out, int p)
{
    fprintf(out, " oracle-path");
    int path[1024], len = 0;
    for (int v = last_arg[p]; v >= 0 && len < 1024; v = last_pred[v])
        path[len++] = v;
    for (int i = len - 1; i >= 0; i--)
        fprintf(out, " %d", path[i]);
}

static void print_hops(FILE *out, const qspn_path_view *v)
{
    fputc('[', out);
    for (int i = 0; i < v->n_hops; i++)
        fprintf(out, "%s(%d,%d)", i ? " " : "", v->hops[i].lvl, v->hops[i].pos);
    fputc(']', out);
}

/* Scratch arrays of one oracle_check. */
typedef struct {
    int maxpos;
    uint64_t *best;
    bool *nonconv;
} scratch;

/* One forwarding-table entry: QSPN's best path to (L, p) avoiding hm (the
 * g-node of the neighbour behind arc) against the oracle's. */
static void check_avoid_entry(sim *s, int n, const char *ab, void *arc, ntk_hcoord hm, int L, int p,
                              const scratch *sc, FILE *out, oracle_result *r)
{
    qspn_manager *m = sim_manager(s, n);
    uint64_t best = sc->best[p];
    bool is_hm = L == hm.lvl && p == hm.pos;
    qspn_path_view v;
    bool have = qspn_best_path_avoiding(m, (ntk_hcoord){L, p}, arc, &v);
    if ((best == UINT64_MAX && !have) || p == sim_naddr(s, n)->pos[L])
        return;
    r->avoid_checked++;
    uint64_t qc = have ? v.cost : UINT64_MAX;
    if (best != UINT64_MAX && sc->nonconv[p] && (!have || qc > best)) {
        r->avoid_nonconvex++; /* the oracle's optimum is not representable */
        return;
    }
    /* Spec §2.6 promises a stored path avoiding m's g-node whenever one
     * exists; the retention of docs/qspn-core.md makes it the cheapest one.
     * A missing path, a dearer one, a cheaper one (impossible) or one
     * through m's g-node are all mismatches; missing and dearer are also
     * counted apart. */
    bool missing = !have && best != UINT64_MAX;
    bool dearer = have && best != UINT64_MAX && qc > best;
    bool bad = missing || dearer || (have && best == UINT64_MAX) || (is_hm && have) || (have && qc < best);
    r->avoid_missing += missing;
    r->avoid_suboptimal += dearer;
    if (!bad)
        return;
    r->avoid_mismatches++;
    if (!out)
        return;
    fprintf(out, "AVOID-MISMATCH%s node %d (%s) avoiding (%d,%d) dest (%d,%d) qspn %lld oracle %lld ",
            missing ? " (missing)" : dearer ? " (dearer)" : "", n, ab, hm.lvl, hm.pos, L, p,
            have ? (long long)qc : -1LL, best == UINT64_MAX ? -1LL : (long long)best);
    if (have)
        print_hops(out, &v);
    fputc('\n', out);
}

/* Every forwarding table of identity n: for each neighbour m, the best path
 * to each destination avoiding m's maximal distinct g-node (spec §2.6). */
static void check_avoid_tables(sim *s, const graph *g, int n, const char *ab, const scratch *sc, FILE *out,
                               oracle_result *r)
{
    const ntk_topology *t = sim_topology(s);
    qspn_manager *m = sim_manager(s, n);
    void *arcs[256];
    int na = qspn_current_arcs(m, arcs, 256);
    for (int ai = 0; ai < na && ai < 256; ai++) {
        ntk_naddr peer;
        if (!qspn_get_naddr_for_arc(m, arcs[ai], &peer))
            continue;
        ntk_hcoord hm = ntk_max_distinct_gnode(sim_naddr(s, n), &peer);
        if (hm.lvl < 0)
            continue;
        for (int L = hm.lvl; L < t->levels; L++) {
            expected(s, g, n, L, hm, sc->best, sc->nonconv, sc->maxpos);
            for (int p = 0; p < sc->maxpos; p++)
                check_avoid_entry(s, n, ab, arcs[ai], hm, L, p, sc, out, r);
        }
    }
}

void oracle_check(sim *s, bool check_avoid, FILE *out, bool full, oracle_result *r)
{
    memset(r, 0, sizeof *r);
    graph g;
    graph_build(s, &g);
    const ntk_topology *t = sim_topology(s);
    int maxpos = 0;
    for (int l = 0; l < t->levels; l++)
        if (t->gsize[l] > maxpos)
            maxpos = t->gsize[l];
    maxpos += 64; /* room for virtual positions */
    uint64_t *best = malloc((size_t)maxpos * sizeof *best);
    bool *nonconv = malloc((size_t)maxpos * sizeof *nonconv);
    ntk_hcoord *known = malloc((size_t)maxpos * sizeof *known);
    if (!best || !nonconv || !known)
        abort();
    scratch sc = {maxpos, best, nonconv};
    for (int n = 0; n < sim_node_count(s); n++) {
        if (!sim_alive(s, n))
            continue;
        qspn_manager *m = sim_manager(s, n);
        r->identities++;
        char ab[NTK_STRLEN];
        ntk_naddr_format(sim_naddr(s, n), ".", ab, sizeof ab);
        for (int L = 0; L < t->levels; L++) {
            expected(s, &g, n, L, (ntk_hcoord){-1, -1}, best, nonconv, maxpos);
            /* destinations QSPN knows but the oracle does not */
            int nk = qspn_get_known_destinations(m, L, known, maxpos);
            for (int k = 0; k < nk && k < maxpos; k++) {
                int p = known[k].pos;
                if (p >= maxpos || best[p] == UINT64_MAX) {
                    r->mismatches++;
                    if (out)
                        fprintf(out, "MISMATCH node %d (%s) dest (%d,%d): known to QSPN, unreachable for the oracle\n",
                                n, ab, L, p);
                }
            }
            for (int p = 0; p < maxpos; p++) {
                if (best[p] == UINT64_MAX)
                    continue;
                r->destinations++;
                qspn_path_view v;
                bool have = qspn_best_path_avoiding(m, (ntk_hcoord){L, p}, NULL, &v);
                uint64_t qc = have ? v.cost : UINT64_MAX;
                bool bad = qc != best[p];
                if (bad && nonconv[p] && qc > best[p]) {
                    r->nonconvex++;
                    bad = false;
                }
                if (bad)
                    r->mismatches++;
                if (out && (full || bad)) {
                    fprintf(out, "%snode %d (%s) dest (%d,%d) qspn %lld oracle %llu ", bad ? "MISMATCH " : "",
                            n, ab, L, p, have ? (long long)qc : -1LL, (unsigned long long)best[p]);
                    if (have)
                        print_hops(out, &v);
                    if (bad)
                        print_oracle_path(out, p);
                    fputc('\n', out);
                }
            }
        }
        if (check_avoid)
            check_avoid_tables(s, &g, n, ab, &sc, out, r);
    }
    free(best);
    free(nonconv);
    free(known);
    free(last_pred);
    free(last_arg);
    last_pred = last_arg = NULL;
    graph_free(&g);
}
