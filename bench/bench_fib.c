/* bench_fib.c - issue 12 part 2: the route update after one best-path change.
 *
 * One main identity of a large topology (default 256·256·4: 1,287 destination
 * CIDRs) with A qspn-arcs (default 4): table ntk and one ntk_from_<MAC> table
 * per arc, every destination reachable.  The path change: the arc to
 * neighbour 0 becomes the worst for every destination (its cost went up), so
 * every destination that went through neighbour 0 now goes through its next
 * choice, in ntk and in the tables that avoid another arc.  Measured, per
 * change: fib_compute() of the new desired state, fib_diff() against the
 * installed one, and kernel_apply_all() of the kops as the namespace sync does
 * (libnl backend, batched, in a network namespace of its own with a veth bq0
 * for the gateways); side by side, every other change goes through
 * kernel_apply() (one request at a time) for comparison.  Checked: the diff
 * issues exactly the routes that differ (all KOP_ROUTE_CHANGE), every kop is
 * acknowledged, and after the last change the kernel holds the routes.  --no-kernel: compute and diff only (no root).
 * Exit 0: every check passed; 1: a check failed; 2: usage; 77: no privileges. */
#define _GNU_SOURCE
#include <errno.h>
#include <glib.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "fib.h"
#include "kernel.h"

#define MAX_ARCS 16
#define MAX_REPS 50
#define DEV "bq0"

static gchar *o_topo = NULL;
static gint o_arcs = 4, o_reps = 5;
static gboolean o_no_kernel = FALSE, o_smoke = FALSE;
static int failures;

typedef struct {
    ntk_topology topo;
    int n_arcs;
    fib_qarc arcs[MAX_ARCS];
    char names[MAX_ARCS][KOP_NAMELEN];
    int epoch;                         /* 1: the arc to neighbour 0 is the worst */
} world;

static void check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "CHECK FAILED: %s\n", what);
        failures++;
    }
}

static uint32_t gw_of(int arc)
{
    return 0xA9FE0000u + 10u + (uint32_t)arc;     /* 169.254.0.10 + arc */
}

/* Rank of arc choices for d: start at a hash of d, go round; in epoch 1 arc 0 is last. */
static int choice(const world *w, ntk_hcoord d, int nth)
{
    int start = (int)(((unsigned)d.lvl * 7919u + (unsigned)d.pos * 104729u) % (unsigned)w->n_arcs);
    if (w->epoch == 0)
        return (start + nth) % w->n_arcs;
    int seen = 0;
    for (int i = 0; i < w->n_arcs; i++) {
        int a = (start + i) % w->n_arcs;
        if (a == 0)
            continue;
        if (seen++ == nth)
            return a;
    }
    return 0;
}

static bool best(void *ctx, ntk_hcoord d, void *avoid, fib_hop *hop)
{
    const world *w = ctx;
    for (int nth = 0; nth < w->n_arcs; nth++) {
        int a = choice(w, d, nth);
        if (avoid && avoid == w->arcs[a].handle)
            continue;
        hop->gw = gw_of(a);
        g_strlcpy(hop->dev, DEV, sizeof hop->dev);
        return true;
    }
    return false;
}

static const char *table_name(void *ctx, uint32_t table)
{
    const world *w = ctx;
    if (table == FIB_TABLE_NTK)
        return "ntk";
    for (int a = 0; a < w->n_arcs; a++)
        if (w->arcs[a].tid == table)
            return w->names[a];
    return "main";
}

static void compute(world *w, fib_state *out)
{
    static const char *const devs[] = { DEV };
    ntk_naddr me = { .levels = w->topo.levels };
    fib_input in = {
        .topo = &w->topo, .me = me, .is_main = true, .n_ip_devs = 1, .ip_devs = devs,
        .n_arcs = w->n_arcs, .arcs = w->arcs, .best = best, .ctx = w,
    };
    fib_compute(&in, out);
}

/* Routes of b that differ from (or are missing in) a. */
static size_t routes_differing(const fib_state *a, const fib_state *b)
{
    size_t n = 0;
    for (guint i = 0; i < b->routes->len; i++) {
        const fib_route *r = &g_array_index(b->routes, fib_route, i);
        const fib_route *o = fib_state_find(a, r->table, r->dst);
        if (!o || o->type != r->type || o->gw != r->gw || o->src != r->src || strcmp(o->dev, r->dev))
            n++;
    }
    return n;
}

static size_t routes_via(const fib_state *s, uint32_t gw)
{
    size_t n = 0;
    for (guint i = 0; i < s->routes->len; i++)
        n += g_array_index(s->routes, fib_route, i).gw == gw;
    return n;
}

/* The kernel's proto-15 routes: all of them, and those via gw.  Checked once,
 * after the last change: a fork between two changes would make the next
 * fib_compute pay copy-on-write faults that qspnd (which does not fork) never pays. */
static void kernel_routes(uint32_t gw, size_t *all, size_t *via)
{
    const char *argv[] = { "ip", "-4", "route", "show", "table", "all", "proto", "15", NULL };
    char *out = NULL, needle[48];
    snprintf(needle, sizeof needle, "via %u.%u.%u.%u ", gw >> 24, (gw >> 16) & 255, (gw >> 8) & 255,
             gw & 255);
    *all = *via = 0;
    if (bench_run(argv, &out) == 0) {
        *all = bench_count_lines(out, "");
        *via = bench_count_lines(out, needle);
    }
    g_free(out);
}

static int setup_kernel(kernel **k)
{
    int rc = bench_private_namespace("bench-fib", DEV);
    if (rc != 0)
        return rc;
    char err[256];
    kernel_set_debug_log(false);   /* as qspnd without --verbose */
    *k = kernel_netlink_new("/nonexistent/qspn-bench-rt_tables", err, sizeof err);
    if (!*k)
        return fprintf(stderr, "bench-fib: %s\n", err), 1;
    return 0;
}

typedef struct {
    double compute_ms[MAX_REPS], diff_ms[MAX_REPS], apply_ms[MAX_REPS], total_ms[MAX_REPS],
        per1000_ms[MAX_REPS];
    size_t kops, routes;
} results;

/* One change from w->epoch to the other epoch; installed becomes the new state.
 * initial: the first install from nothing (not a path change). */
static void count_fail(void *ctx, size_t index, const kop *op, const char *err)
{
    (void)index, (void)op;
    if (++*(size_t *)ctx == 1)
        fprintf(stderr, "first failure: %s\n", err);
}

static void apply(kernel *k, const GArray *ops, bool batched)
{
    char err[256] = "";
    size_t nfail = 0;
    if (!k)
        return;
    if (batched)
        check(kernel_apply_all(k, (kop *)ops->data, ops->len, count_fail, &nfail) == 0,
              "every kop applied (batched)");
    else
        check(kernel_apply(k, (kop *)ops->data, ops->len, NULL, err, sizeof err) == 0, err);
}

static void one_change(world *w, kernel *k, fib_state *installed, results *res, int rep,
                       bool initial, bool batched)
{
    fib_state want = { 0 };
    w->epoch = !w->epoch;
    double t0 = bench_now();
    compute(w, &want);
    double t1 = bench_now();
    GArray *ops = g_array_new(FALSE, FALSE, sizeof(kop));
    fib_diff(installed, &want, table_name, w, ops);
    double t2 = bench_now();
    apply(k, ops, batched);
    double t3 = bench_now();

    size_t changes = 0;
    for (guint i = 0; i < ops->len; i++)
        changes += g_array_index(ops, kop, i).type == KOP_ROUTE_CHANGE;
    if (!initial) {
        check(changes == ops->len, "the diff issues only route changes");
        check(ops->len == routes_differing(installed, &want),
              "the diff issues exactly the routes that differ");
        check(ops->len > 0, "the path change changes routes");
    }
    res->compute_ms[rep] = (t1 - t0) * 1e3;
    res->diff_ms[rep] = (t2 - t1) * 1e3;
    res->apply_ms[rep] = (t3 - t2) * 1e3;
    res->total_ms[rep] = (t3 - t0) * 1e3;
    res->per1000_ms[rep] = ops->len ? res->total_ms[rep] * 1000.0 / ops->len : 0;
    res->kops = ops->len;
    res->routes = want.routes->len;
    g_array_free(ops, TRUE);
    fib_state_clear(installed);
    *installed = want;
}

static const char *cell(double *v, char *buf, size_t len)
{
    bench_stat s = bench_stats(v, (size_t)o_reps);
    snprintf(buf, len, "%.2f (%.2f–%.2f)", s.med, s.min, s.max);
    return buf;
}

static int init_world(world *w)
{
    char err[NTK_ERRLEN];
    memset(w, 0, sizeof *w);
    if (!ntk_topology_parse(o_topo ? o_topo : (o_smoke ? "8.8.8.4" : "256.256.4"), &w->topo, err,
                            sizeof err))
        return fprintf(stderr, "bench-fib: --topology: %s\n", err), 2;
    w->n_arcs = o_arcs;
    for (int a = 0; a < w->n_arcs; a++) {
        fib_qarc *q = &w->arcs[a];
        q->tid = (uint32_t)(250 - a);
        q->mac = (nmsg_mac){ { 0x00, 0x16, 0x3E, 0x00, 0x00, (uint8_t)(a + 1) } };
        q->known = true;
        q->maxdist = (ntk_hcoord){ 0, 1 };
        q->handle = &w->arcs[a];
        char mac[24];
        nmsg_mac_format(&q->mac, mac, sizeof mac);
        snprintf(w->names[a], sizeof w->names[a], "ntk_from_%s", mac);
    }
    return 0;
}

static void print_results(results *res, results *one, bool with_kernel, size_t n_init,
                          double t_init)
{
    char c[10][96];
    printf("### One best-path change: %s, %d qspn-arcs, %zu routes installed\n\n", o_topo ? o_topo
           : (o_smoke ? "8.8.8.4" : "256.256.4"), o_arcs, res->routes);
    printf("Milliseconds, median (min–max) over %d changes each way (back and forth, the two "
           "kernel paths alternating); %s.\n\n", o_reps,
           with_kernel ? "kernel: libnl backend in a namespace of its own" : "no kernel (--no-kernel)");
    printf("| kernel path | routes changed (kops) | fib_compute | fib_diff | kernel apply | total "
           "| total per 1,000 routes |\n|---|---|---|---|---|---|---|\n");
    printf("| batched (kernel_apply_all, the daemon's) | %zu | %s | %s | %s | %s | %s |\n", res->kops,
           cell(res->compute_ms, c[0], sizeof c[0]), cell(res->diff_ms, c[1], sizeof c[1]),
           cell(res->apply_ms, c[2], sizeof c[2]), cell(res->total_ms, c[3], sizeof c[3]),
           cell(res->per1000_ms, c[4], sizeof c[4]));
    printf("| one at a time (kernel_apply) | %zu | %s | %s | %s | %s | %s |\n\n", one->kops,
           cell(one->compute_ms, c[5], sizeof c[5]), cell(one->diff_ms, c[6], sizeof c[6]),
           cell(one->apply_ms, c[7], sizeof c[7]), cell(one->total_ms, c[8], sizeof c[8]),
           cell(one->per1000_ms, c[9], sizeof c[9]));
    if (!o_smoke) {
        double v[MAX_REPS];
        memcpy(v, res->per1000_ms, sizeof v);
        double med = bench_stats(v, (size_t)o_reps).med;
        printf("Target: < 5 ms for a change touching 1,000 routes (batched): %.2f ms per 1,000 (%s). "
               "The first install (%zu kops from nothing) took %.1f ms.\n\n", med,
               med < 5 ? "met" : "MISSED", n_init, t_init);
    }
}

int main(int argc, char **argv)
{
    GOptionEntry entries[] = {
        { "topology", 't', 0, G_OPTION_ARG_STRING, &o_topo, "gsizes (default 256.256.4: 1287 CIDRs per table)", "G.G.G" },
        { "arcs", 'a', 0, G_OPTION_ARG_INT, &o_arcs, "qspn-arcs: ntk_from_<MAC> tables (default 4)", "A" },
        { "reps", 'n', 0, G_OPTION_ARG_INT, &o_reps, "path changes measured (default 5)", "N" },
        { "no-kernel", 0, 0, G_OPTION_ARG_NONE, &o_no_kernel, "fib_compute and fib_diff only (no root)", NULL },
        { "smoke", 0, 0, G_OPTION_ARG_NONE, &o_smoke, "8.8.8.4, 1 change: checks only that it runs and is right", NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    if (!bench_parse_options("bench-fib", "- the route update after one best-path change",
            "Needs root (a network namespace of its own) unless --no-kernel.  Prints a Markdown\n"
            "table; exit 0 when every check passed, 1 when one failed, 2 on usage errors, 77\n"
            "without the privileges.\n", entries, &argc, &argv))
        return 2;
    if (o_smoke)
        o_reps = 1;
    if (o_arcs < 2 || o_arcs > MAX_ARCS || o_reps < 1 || o_reps > MAX_REPS)
        return fprintf(stderr, "bench-fib: --arcs 2..%d, --reps 1..%d\n", MAX_ARCS, MAX_REPS), 2;
    world w;
    int rc = init_world(&w);
    kernel *k = NULL;
    if (rc == 0 && !o_no_kernel)
        rc = setup_kernel(&k);
    if (rc != 0)
        return rc;

    /* the initial state (epoch 0): everything installed from nothing */
    fib_state installed = { 0 };
    fib_state_init(&installed);
    results res = { 0 }, one = { 0 };
    w.epoch = 1;
    one_change(&w, k, &installed, &res, 0, true, true);
    double t_init = res.apply_ms[0];
    size_t n_init = res.kops;
    /* each repetition: one change batched, one back one at a time (the same
     * routes); which comes first alternates, so neither always has the same direction */
    for (int rep = 0; rep < o_reps; rep++)
        for (int x = 0; x < 2; x++) {
            bool batched = (x == 0) == (rep % 2 == 0);
            one_change(&w, k, &installed, batched ? &res : &one, rep, false, batched);
        }
    check(one.kops == res.kops, "both directions change as many routes");
    if (k) {
        size_t all, via;
        kernel_routes(gw_of(0), &all, &via);
        check(all == installed.routes->len && via == routes_via(&installed, gw_of(0)),
              "the kernel holds the routes of the last change");
    }

    print_results(&res, &one, k != NULL, n_init, t_init);
    fib_state_clear(&installed);
    if (k)
        kernel_free(k);
    g_free(o_topo);
    if (failures)
        fprintf(stderr, "bench-fib: %d checks failed\n", failures);
    return failures ? 1 : 0;
}
