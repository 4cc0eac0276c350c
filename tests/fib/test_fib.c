/* test_fib.c - the desired state of a namespace (fib_compute) against the
 * documented dumps of the storyline (shared/scenarios/expected), and the diff
 * (fib_diff) between two states.
 *
 * The QSPN map is a fake: for every destination the paths the identity knows
 * (first-hop arc and the g-nodes the path goes through, read off the
 * documented topology of the step); the expected routes are the lines of the
 * documented `ip route show table all` of that checkpoint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "fib.h"
#include "tables.h"

/* ---- a fake QSPN map ------------------------------------------------------ */

typedef struct {
    ntk_hcoord dest;
    int arc;                   /* index into the identity's qspn-arcs */
    int n_hops;
    ntk_hcoord hops[4];        /* g-nodes on the path (gateway first) */
} fake_path;

typedef struct {
    const fib_qarc *arcs;
    const uint32_t *gw;        /* per arc */
    int n_paths;
    const fake_path *paths;    /* cheapest first */
} fake_map;

static bool contains(const fake_path *p, ntk_hcoord h)
{
    for (int i = 0; i < p->n_hops; i++)
        if (p->hops[i].lvl == h.lvl && p->hops[i].pos == h.pos)
            return true;
    return false;
}

static bool fake_best(void *ctx, ntk_hcoord d, void *avoid, fib_hop *hop)
{
    fake_map *m = ctx;
    const fib_qarc *av = avoid;
    for (int i = 0; i < m->n_paths; i++) {
        const fake_path *p = &m->paths[i];
        if (p->dest.lvl != d.lvl || p->dest.pos != d.pos)
            continue;
        if (av && contains(p, av->maxdist))
            continue;
        hop->gw = m->gw[p->arc];
        g_strlcpy(hop->dev, "eth1", sizeof hop->dev);
        return true;
    }
    return false;
}

/* ---- formatting as `ip route show table all` --------------------------------- */

static tables tbl;

static const char *tname(void *ctx, uint32_t table)
{
    static char buf[8][48];
    static int k;
    (void)ctx;
    char *b = buf[k++ % 8];
    if (table == FIB_TABLE_NTK)
        return "ntk";
    if (table == FIB_TABLE_MAIN)
        return "main";
    for (int i = 0; i < (int)G_N_ELEMENTS(tbl.e); i++)
        if (tbl.e[i].tid == (int)table) {
            tables_name(&tbl.e[i].mac, b, 48);
            return b;
        }
    snprintf(b, 48, "%u", table);
    return b;
}

static char *route_line(const fib_route *r)
{
    char d[32], gw[32], src[32];
    ntk_cidr dst = r->dst;
    if (dst.prefix == 32)
        ntk_ip_format(dst.addr, d, sizeof d);
    else
        ntk_cidr_format(dst, d, sizeof d);
    GString *s = g_string_new(NULL);
    if (r->type == KROUTE_UNREACHABLE)
        g_string_append(s, "unreachable ");
    else if (r->type == KROUTE_BLACKHOLE)
        g_string_append(s, "blackhole ");
    g_string_append(s, d);
    if (r->type == KROUTE_UNICAST) {
        if (r->gw) {
            ntk_ip_format(r->gw, gw, sizeof gw);
            g_string_append_printf(s, " via %s", gw);
        }
        g_string_append_printf(s, " dev %s", r->dev);
    }
    if (r->table == FIB_TABLE_MAIN)
        g_string_append(s, " scope link");
    else
        g_string_append_printf(s, " table %s", tname(NULL, r->table));
    if (r->src) {
        ntk_ip_format(r->src, src, sizeof src);
        g_string_append_printf(s, " src %s", src);
    }
    return g_string_free(s, FALSE);
}

/* The documented route lines of tables ntk, ntk_from_* and main (sorted). */
static GPtrArray *doc_routes(const char *step, const char *ns)
{
    const char *shared = g_getenv("QSPN_SHARED_DIR");
    gchar *path = g_build_filename(shared ? shared : "../shared", "scenarios", "expected", step, ns, NULL);
    gchar *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        fail_msg("cannot read %s", path);
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    gchar **lines = g_strsplit(text, "\n", -1);
    bool in_routes = false;
    for (gchar **l = lines; *l; l++) {
        if (g_str_has_prefix(*l, "###")) {
            in_routes = strcmp(*l, "### ip route show table all") == 0;
            continue;
        }
        if (!in_routes || !**l || strstr(*l, "table local"))
            continue;
        g_ptr_array_add(out, g_strdup(*l));
    }
    g_strfreev(lines);
    g_free(text);
    g_free(path);
    g_ptr_array_sort(out, (GCompareFunc)g_strcmp0);
    return out;
}

static int cmp_pstr(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Compare with the documented routes; `deviations` (NULL-terminated pairs
 * of documented line, our line) are the declared differences. */
static void assert_routes_deviating(const fib_state *s, const char *step, const char *ns,
                                    const char *const *deviations)
{
    GPtrArray *want = doc_routes(step, ns);
    for (const char *const *d = deviations; d && d[0]; d += 2) {
        guint i;
        if (!g_ptr_array_find_with_equal_func(want, d[0], g_str_equal, &i))
            fail_msg("%s/%s: declared deviation '%s' is not documented", step, ns, d[0]);
        g_free(want->pdata[i]);
        want->pdata[i] = g_strdup(d[1]);
    }
    GPtrArray *got = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < s->routes->len; i++)
        g_ptr_array_add(got, route_line(&g_array_index(s->routes, fib_route, i)));
    g_ptr_array_sort(want, cmp_pstr);
    g_ptr_array_sort(got, cmp_pstr);
    GString *w = g_string_new(NULL), *g = g_string_new(NULL);
    for (guint i = 0; i < want->len; i++)
        g_string_append_printf(w, "%s\n", (char *)g_ptr_array_index(want, i));
    for (guint i = 0; i < got->len; i++)
        g_string_append_printf(g, "%s\n", (char *)g_ptr_array_index(got, i));
    if (strcmp(w->str, g->str) != 0)
        fail_msg("%s/%s routes differ\n--- documented\n%s--- computed\n%s", step, ns, w->str, g->str);
    g_string_free(w, TRUE);
    g_string_free(g, TRUE);
    g_ptr_array_free(want, TRUE);
    g_ptr_array_free(got, TRUE);
}

static void assert_routes(const fib_state *s, const char *step, const char *ns)
{
    assert_routes_deviating(s, step, ns, NULL);
}

static uint32_t ip(const char *t)
{
    ntk_cidr c;
    assert_true(ntk_cidr_parse(t, &c));
    return c.addr;
}

static ntk_topology topo(void)
{
    ntk_topology t;
    char err[NTK_ERRLEN];
    assert_true(ntk_topology_parse("4.2.2.2", &t, err, sizeof err));
    return t;
}

static ntk_naddr naddr(const ntk_topology *t, const char *s)
{
    ntk_naddr a;
    char err[NTK_ERRLEN];
    assert_true(ntk_naddr_parse(t, s, true, &a, err, sizeof err));
    return a;
}

static fib_qarc qarc(const char *mac, bool known, const ntk_naddr *me, const ntk_naddr *peer)
{
    fib_qarc a;
    memset(&a, 0, sizeof a);
    assert_true(nmsg_mac_parse(mac, &a.mac));
    bool fresh;
    a.tid = (uint32_t)tables_acquire(&tbl, &a.mac, &fresh);
    a.known = known;
    a.maxdist = ntk_max_distinct_gnode(me, peer);
    return a;
}

/* S02d, beta1 = 2.1.1.1 with one qspn-arc to gamma 2.1.1.0 (Eventi2.md). */
static void s02d_beta(void **state)
{
    (void)state;
    tables_init(&tbl);
    ntk_topology t = topo();
    ntk_naddr me = naddr(&t, "2.1.1.1"), gamma = naddr(&t, "2.1.1.0");
    fib_qarc arcs[1] = { qarc("00:16:3E:5B:78:D5", true, &me, &gamma) };
    arcs[0].handle = &arcs[0];
    uint32_t gw[1] = { ip("169.254.94.223") };
    fake_path paths[] = { { { 0, 0 }, 0, 1, { { 0, 0 } } } };
    fake_map map = { arcs, gw, 1, paths };
    const char *devs[] = { "eth1" };
    fib_route ll = { .dst = { ip("169.254.94.223"), 32 }, .dev = "eth1", .src = ip("169.254.96.141") };
    fib_input in = { .topo = &t, .me = me, .is_main = true, .serve_anonymous = true, .anonymize = true,
                     .n_ip_devs = 1, .ip_devs = devs, .n_ll = 1, .ll = &ll, .n_arcs = 1, .arcs = arcs,
                     .best = fake_best, .ctx = &map };
    fib_state s = { 0 };
    fib_compute(&in, &s);
    assert_routes(&s, "S02d-beta0-dismissed", "beta.txt");
    /* the own addresses of 2.1.1.1 (catalogue §7): .23 .87 .63 .51 .41 on eth1 */
    assert_int_equal(s.addrs->len, 5);
    assert_int_equal(s.rules->len, 2);          /* ntk, fwmark 250 */
    assert_int_equal(g_array_index(s.rules, fib_rule, 1).fwmark, 250);
    assert_int_equal(s.nat->len, 1);            /* SNAT to 10.0.0.23 */
    assert_int_equal(g_array_index(s.nat, kop, 0).nat_to.addr, ip("10.0.0.23"));
    fib_state_clear(&s);
}

/* S04i, delta1 = 2.1.0.1: qspn-arcs to mu2 2.1.0.0 (table 250) and gamma
 * 2.1.1.0 (248); beta1 2.1.1.1 is behind gamma (Eventi5.md).  gamma's
 * forwarding table has blackhole 10.0.0.40 (internal-1 of (0,0), gamma's
 * maximum distinct g-node has level 1). */
static void s04i_delta(void **state)
{
    (void)state;
    tables_init(&tbl);
    ntk_topology t = topo();
    ntk_naddr me = naddr(&t, "2.1.0.1"), mu = naddr(&t, "2.1.0.0"), gamma = naddr(&t, "2.1.1.0");
    fib_qarc arcs[2];
    arcs[0] = qarc("00:16:3E:2D:8D:DE", true, &me, &mu);
    nmsg_mac skip;
    nmsg_mac_parse("00:16:3E:DF:23:F5", &skip);   /* 249 was taken by mu1's pseudo-interface */
    tables_acquire(&tbl, &skip, NULL);
    arcs[1] = qarc("00:16:3E:5B:78:D5", true, &me, &gamma);
    tables_release(&tbl, &skip);
    assert_int_equal(arcs[0].tid, 250);
    assert_int_equal(arcs[1].tid, 248);
    arcs[0].handle = &arcs[0];
    arcs[1].handle = &arcs[1];
    uint32_t gw[2] = { ip("169.254.119.176"), ip("169.254.94.223") };
    fake_path paths[] = {
        { { 0, 0 }, 0, 1, { { 0, 0 } } },                 /* mu2 */
        { { 1, 1 }, 1, 1, { { 1, 1 } } },                 /* 2.1.1. = gamma, beta1 */
    };
    fake_map map = { arcs, gw, 2, paths };
    const char *devs[] = { "eth1" };
    fib_route ll[2] = {
        { .dst = { ip("169.254.94.223"), 32 }, .dev = "eth1", .src = ip("169.254.253.216") },
        { .dst = { ip("169.254.119.176"), 32 }, .dev = "eth1", .src = ip("169.254.253.216") },
    };
    fib_input in = { .topo = &t, .me = me, .is_main = true, .serve_anonymous = true, .anonymize = true,
                     .n_ip_devs = 1, .ip_devs = devs, .n_ll = 2, .ll = ll, .n_arcs = 2, .arcs = arcs,
                     .best = fake_best, .ctx = &map };
    fib_state s = { 0 };
    fib_compute(&in, &s);
    assert_routes(&s, "S04i-chi-dismissed", "delta.txt");
    fib_state_clear(&s);
}

/* S05l, alfa1 = 2.0.1.0 with one qspn-arc to beta1 2.1.1.1: the only
 * destination with a path is 2.1. (via beta).  beta's maximum distinct g-node
 * has level 2, so the internal-1/2 CIDRs are blackholes in beta's table
 * (§4.4, as beta's full update at S08f writes them for destinations without a
 * path); the document keeps three of them unreachable because the original
 * only rewrote destinations it had news of (a declared deviation). */
static void s05l_alfa(void **state)
{
    (void)state;
    tables_init(&tbl);
    ntk_topology t = topo();
    ntk_naddr me = naddr(&t, "2.0.1.0"), beta = naddr(&t, "2.1.1.1");
    fib_qarc arcs[1] = { qarc("00:16:3E:EC:A3:E1", true, &me, &beta) };
    arcs[0].handle = &arcs[0];
    uint32_t gw[1] = { ip("169.254.96.141") };
    fake_path paths[] = { { { 2, 1 }, 0, 1, { { 2, 1 } } } };
    fake_map map = { arcs, gw, 1, paths };
    const char *devs[] = { "eth1" };
    fib_route ll = { .dst = { ip("169.254.96.141"), 32 }, .dev = "eth1", .src = ip("169.254.69.30") };
    fib_input in = { .topo = &t, .me = me, .is_main = true, .serve_anonymous = true, .anonymize = true,
                     .n_ip_devs = 1, .ip_devs = devs, .n_ll = 1, .ll = &ll, .n_arcs = 1, .arcs = arcs,
                     .best = fake_best, .ctx = &map };
    fib_state s = { 0 };
    fib_compute(&in, &s);
    static const char *const blackholes[] = {
        "unreachable 10.0.0.41 table ntk_from_00:16:3E:EC:A3:E1",
        "blackhole 10.0.0.41 table ntk_from_00:16:3E:EC:A3:E1",
        "unreachable 10.0.0.48/31 table ntk_from_00:16:3E:EC:A3:E1",
        "blackhole 10.0.0.48/31 table ntk_from_00:16:3E:EC:A3:E1",
        "unreachable 10.0.0.51 table ntk_from_00:16:3E:EC:A3:E1",
        "blackhole 10.0.0.51 table ntk_from_00:16:3E:EC:A3:E1",
        NULL,
    };
    assert_routes_deviating(&s, "S05l-alfa0-dismissed", "alfa.txt", blackholes);
    fib_state_clear(&s);
}

/* A forwarding table whose neighbour is not known yet is all unreachable and
 * has no rule (behaviour.md §4.5). */
static void unknown_neighbour_table(void **state)
{
    (void)state;
    tables_init(&tbl);
    ntk_topology t = topo();
    ntk_naddr me = naddr(&t, "2.1.1.1"), gamma = naddr(&t, "2.1.1.0");
    fib_qarc arcs[1] = { qarc("00:16:3E:5B:78:D5", false, &me, &gamma) };
    arcs[0].handle = &arcs[0];
    uint32_t gw[1] = { ip("169.254.94.223") };
    fake_path paths[] = { { { 0, 0 }, 0, 1, { { 0, 0 } } } };
    fake_map map = { arcs, gw, 1, paths };
    fib_input in = { .topo = &t, .me = me, .is_main = false, .n_arcs = 1, .arcs = arcs,
                     .best = fake_best, .ctx = &map };
    fib_state s = { 0 };
    fib_compute(&in, &s);
    fib_table_count c = fib_count_table(&s, 250);
    assert_int_equal(c.routes, 18);
    assert_int_equal(c.unreachable, 18);
    assert_int_equal(fib_count_table(&s, FIB_TABLE_NTK).routes, 0);   /* not main: no ntk */
    assert_int_equal(s.rules->len, 0);
    assert_int_equal(s.addrs->len, 0);
    assert_int_equal(s.nat->len, 0);
    assert_int_equal(s.marks->len, 1);
    fib_state_clear(&s);
}

static GPtrArray *diff_lines(const fib_state *a, const fib_state *b)
{
    GArray *ops = g_array_new(FALSE, TRUE, sizeof(kop));
    fib_diff(a, b, tname, NULL, ops);
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    char line[KOP_STRLEN];
    for (guint i = 0; i < ops->len; i++)
        g_ptr_array_add(out, g_strdup(kop_format(&g_array_index(ops, kop, i), NULL, line, sizeof line)));
    g_array_free(ops, TRUE);
    return out;
}

/* The diff from beta's start-up (1.0.1.0 alone) to beta1's S02d state: the
 * expected operations of Eventi2.md in the order the kernel accepts them. */
static void diff_changes_only_what_differs(void **state)
{
    (void)state;
    tables_init(&tbl);
    ntk_topology t = topo();
    ntk_naddr me = naddr(&t, "2.1.1.1"), gamma = naddr(&t, "2.1.1.0");
    fib_qarc arcs[1] = { qarc("00:16:3E:5B:78:D5", true, &me, &gamma) };
    arcs[0].handle = &arcs[0];
    uint32_t gw[1] = { ip("169.254.94.223") };
    fake_path paths[] = { { { 0, 0 }, 0, 1, { { 0, 0 } } } };
    fake_map map = { arcs, gw, 1, paths };
    const char *devs[] = { "eth1" };
    fib_input in = { .topo = &t, .me = me, .is_main = true, .serve_anonymous = true, .anonymize = true,
                     .n_ip_devs = 1, .ip_devs = devs, .n_arcs = 1, .arcs = arcs, .best = fake_best,
                     .ctx = &map };
    fib_state a = { 0 }, b = { 0 };
    fib_compute(&in, &a);
    /* identical states: nothing to do */
    fib_compute(&in, &b);
    GPtrArray *none = diff_lines(&a, &b);
    assert_int_equal(none->len, 0);
    g_ptr_array_free(none, TRUE);
    /* the only path to (0,0) is lost: 5 route changes, nothing else */
    map.n_paths = 0;
    fib_compute(&in, &b);
    GPtrArray *l = diff_lines(&a, &b);
    assert_int_equal(l->len, 5);
    assert_string_equal(g_ptr_array_index(l, 0), "ip route change unreachable 10.0.0.22/32 table ntk");
    g_ptr_array_free(l, TRUE);
    /* the arc goes: its rule, its 18 routes and its mark go; no address changes */
    in.n_arcs = 0;
    fib_compute(&in, &b);
    l = diff_lines(&a, &b);
    int rule_del = 0, route_del = 0, flush = 0, addr = 0;
    for (guint i = 0; i < l->len; i++) {
        const char *x = g_ptr_array_index(l, i);
        rule_del += g_str_has_prefix(x, "ip rule del fwmark 250");
        route_del += g_str_has_prefix(x, "ip route del") && strstr(x, "ntk_from_") != NULL;
        flush += g_str_has_prefix(x, "nft flush chain ip qspnd mangle_prerouting");
        addr += g_str_has_prefix(x, "ip address");
    }
    assert_int_equal(rule_del, 1);
    assert_int_equal(route_del, 18);
    assert_int_equal(flush, 1);
    assert_int_equal(addr, 0);
    g_ptr_array_free(l, TRUE);
    fib_state_clear(&a);
    fib_state_clear(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(s02d_beta),
        cmocka_unit_test(s04i_delta),
        cmocka_unit_test(s05l_alfa),
        cmocka_unit_test(unknown_neighbour_table),
        cmocka_unit_test(diff_changes_only_what_differs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
