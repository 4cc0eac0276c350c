/* test_graph.c - `qspnctl graph`'s pure parts: the view read from a
 * `show_qspn_data --json` document (bounds, refusals) and its DOT (clusters by
 * level, edges, best paths, escaping).  The expectations are worked out by hand
 * from the constructed input (topology 4.2.2.2, me at 2.1.1.0), not taken from
 * the program's output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "graph.h"

/* Identity #1 at 2.1.1.0.  Arcs: 11 to 2.1.1.1 (eth1, 1000us), 22 to 2.0.1.1
 * (eth2, 5000us), 33 to a peer whose address is not known yet.
 * Destinations: (0,1) by arc 11; (2,0) best by arc 22 directly, second via
 * (0,1); (1,0) via (0,1); (3,3) via (2,0); (0,5) virtual, no path. */
static const char *doc =
    "{\"schema_version\":1,\"command\":\"show_qspn_data\",\"local_identity\":1,\"nodeid\":77,"
    "\"main\":true,\"address\":\"2.1.1.0\",\"topology\":\"4.2.2.2\",\"namespace\":\"default\","
    "\"bootstrap_complete\":true,"
    "\"qspn_arcs\":["
    "{\"arc_id\":11,\"peer_address\":\"2.1.1.1\",\"cost_us\":1000,\"dev\":\"eth1\",\"peer_mac\":\"02:00:00:00:00:01\"},"
    "{\"arc_id\":22,\"peer_address\":\"2.0.1.1\",\"cost_us\":5000,\"dev\":\"eth2\",\"peer_mac\":\"02:00:00:00:00:02\"},"
    "{\"arc_id\":33,\"peer_address\":null,\"cost_us\":7000,\"dev\":null,\"peer_mac\":null}],"
    "\"destinations\":["
    "{\"level\":0,\"pos\":1,\"paths\":[{\"cost_us\":1000,\"arc_id\":11,\"hops\":[{\"level\":0,\"pos\":1,\"arc_id\":11}]}]},"
    "{\"level\":0,\"pos\":5,\"paths\":[]},"
    "{\"level\":1,\"pos\":0,\"paths\":[{\"cost_us\":3000,\"arc_id\":11,"
    "\"hops\":[{\"level\":0,\"pos\":1,\"arc_id\":11},{\"level\":1,\"pos\":0,\"arc_id\":93}]}]},"
    "{\"level\":2,\"pos\":0,\"paths\":[{\"cost_us\":5000,\"arc_id\":22,\"hops\":[{\"level\":2,\"pos\":0,\"arc_id\":91}]},"
    "{\"cost_us\":9000,\"arc_id\":11,\"hops\":[{\"level\":0,\"pos\":1,\"arc_id\":11},{\"level\":2,\"pos\":0,\"arc_id\":92}]}]},"
    "{\"level\":3,\"pos\":3,\"paths\":[{\"cost_us\":8000,\"arc_id\":22,"
    "\"hops\":[{\"level\":2,\"pos\":0,\"arc_id\":91},{\"level\":3,\"pos\":3,\"arc_id\":94}]}]}]}";

/* g_string_replace (glib 2.68) for glib 2.66: the first occurrence only */
static int replace1(GString *s, const char *from, const char *to)
{
    const char *p = strstr(s->str, from);
    if (!p)
        return 0;
    gssize pos = p - s->str;
    g_string_erase(s, pos, (gssize)strlen(from));
    g_string_insert(s, pos, to);
    return 1;
}

static char *render(const char *text)
{
    qg_view v;
    GString *err = g_string_new(NULL), *out = g_string_new(NULL);
    qg_view_init(&v);
    if (!qg_view_from_json(text, &v, err))
        fail_msg("view refused: %s", err->str);
    qg_render_dot(&v, out);
    qg_view_clear(&v);
    g_string_free(err, TRUE);
    return g_string_free(out, FALSE);
}

/* The line of dot containing all of a, b (NULL if none), for edge checks. */
static const char *line_with(const char *dot, const char *a, const char *b)
{
    static char line[1024];
    const char *p = dot;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        snprintf(line, sizeof line, "%.*s", (int)n, p);
        if (strstr(line, a) && (!b || strstr(line, b)))
            return line;
        p += n + (e ? 1 : 0);
    }
    return NULL;
}

static long at(const char *dot, const char *s)
{
    const char *p = strstr(dot, s);
    if (!p) {
        print_error("not in the DOT: %s\n", s);
        print_error("%s\n", dot);
        fail();
    }
    return p - dot;
}

static void test_view_from_json(void **state)
{
    (void)state;
    qg_view v;
    GString *err = g_string_new(NULL);
    qg_view_init(&v);
    assert_true(qg_view_from_json(doc, &v, err));
    assert_int_equal(v.local_identity, 1);
    assert_int_equal(v.levels, 4);
    int want_pos[] = { 0, 1, 1, 2 }, want_gsize[] = { 2, 2, 2, 4 };
    assert_memory_equal(v.pos, want_pos, sizeof want_pos);
    assert_memory_equal(v.gsize, want_gsize, sizeof want_gsize);
    assert_int_equal(v.arcs->len, 3);
    const qg_arc *a = &g_array_index(v.arcs, qg_arc, 1);
    assert_true(a->known);
    assert_int_equal(a->peer[2], 0);
    assert_int_equal(a->peer[3], 2);
    assert_false(g_array_index(v.arcs, qg_arc, 2).known);
    assert_int_equal(v.dests->len, 5);
    const qg_dest *d = &g_array_index(v.dests, qg_dest, 3);
    assert_int_equal(d->lvl, 2);
    assert_int_equal(d->paths->len, 2);
    assert_int_equal(g_array_index(d->paths, qg_path, 1).hops[1].arc_id, 92);
    qg_view_clear(&v);
    g_string_free(err, TRUE);
}

/* My g-nodes of levels 4..1 nest; each destination sits in my g-node of the
 * level above its own, outside the one of its level. */
static void test_clusters(void **state)
{
    (void)state;
    char *dot = render(doc);
    long c4 = at(dot, "subgraph cluster_level4 {"), c3 = at(dot, "subgraph cluster_level3 {");
    long c2 = at(dot, "subgraph cluster_level2 {"), c1 = at(dot, "subgraph cluster_level1 {");
    assert_true(c4 < c3 && c3 < c2 && c2 < c1);
    assert_non_null(line_with(dot, "label=\"network (level 4)\"", NULL));
    assert_non_null(line_with(dot, "label=\"g-node 2 (level 3)\"", NULL));
    assert_non_null(line_with(dot, "label=\"g-node 2.1 (level 2)\"", NULL));
    assert_non_null(line_with(dot, "label=\"g-node 2.1.1 (level 1)\"", NULL));
    long g33 = at(dot, "g3_3 ["), g20 = at(dot, "g2_0 ["), g10 = at(dot, "g1_0 [");
    long g01 = at(dot, "g0_1 ["), me = at(dot, "me [");
    assert_true(c4 < g33 && g33 < c3);
    assert_true(c3 < g20 && g20 < c2);
    assert_true(c2 < g10 && g10 < c1);
    assert_true(c1 < g01 && c1 < me);
    /* the g-nodes' addresses: my positions above their level, then theirs */
    assert_non_null(line_with(dot, "g3_3 [", "(3, 3)\\n3\\n"));
    assert_non_null(line_with(dot, "g2_0 [", "(2, 0)\\n2.0\\n"));
    assert_non_null(line_with(dot, "g1_0 [", "(1, 0)\\n2.1.0\\n"));
    assert_non_null(line_with(dot, "g0_1 [", "(0, 1)\\n2.1.1.1\\n"));
    assert_non_null(line_with(dot, "g0_5 [", "2.1.1.5 virtual\\nno path"));
    assert_non_null(line_with(dot, "me [", "identity #1 (main)\\n2.1.1.0\\nnodeid 77"));
    /* braces balance */
    int open = 0, close = 0;
    for (const char *p = dot; *p; p++)
        open += *p == '{', close += *p == '}';
    assert_int_equal(open, close);
    g_free(dot);
}

static void test_edges_and_best_paths(void **state)
{
    (void)state;
    char *dot = render(doc);
    const char *l;
    /* my qspn-arcs, labelled; the two on best paths in red */
    l = line_with(dot, "me -> g0_1 ", NULL);
    assert_non_null(l);
    assert_non_null(strstr(l, "arc 11\\neth1 02:00:00:00:00:01\\n1000us"));
    assert_non_null(strstr(l, "#cc0000"));
    l = line_with(dot, "me -> g2_0 ", NULL);
    assert_non_null(l);
    assert_non_null(strstr(l, "arc 22\\neth2 02:00:00:00:00:02\\n5000us"));
    assert_non_null(strstr(l, "#cc0000"));
    l = line_with(dot, "me -> u33 ", NULL);
    assert_non_null(l);
    assert_null(strstr(l, "#cc0000"));
    assert_non_null(strstr(l, "label=\"arc 33\\n7000us\""));
    assert_non_null(line_with(dot, "u33 [", "address unknown"));
    /* hops of best paths red, of the second path to (2,0) dashed */
    assert_non_null(strstr(line_with(dot, "g0_1 -> g1_0 ", NULL), "#cc0000"));
    assert_non_null(strstr(line_with(dot, "g2_0 -> g3_3 ", NULL), "#cc0000"));
    l = line_with(dot, "g0_1 -> g2_0 ", NULL);
    assert_non_null(l);
    assert_non_null(strstr(l, "label=\"arc 92\" style=dashed"));
    assert_null(strstr(l, "#cc0000"));
    /* one edge per (from, to, arc): the first hop of a path is my arc's edge */
    int n = 0;
    for (const char *p = dot; (p = strstr(p, "me -> g0_1 ")); p++)
        n++;
    assert_int_equal(n, 1);
    /* best costs on the destinations */
    assert_non_null(line_with(dot, "g2_0 [", "best 5000us via arc 22\\n2 paths"));
    assert_non_null(line_with(dot, "g3_3 [", "best 8000us via arc 22\\n1 path\""));
    g_free(dot);
}

static void test_escaping(void **state)
{
    (void)state;
    GString *s = g_string_new(NULL);
    qg_dot_escape("a\"b\\c\nd", s);
    assert_string_equal(s->str, "a\\\"b\\\\c?d");
    g_string_free(s, TRUE);
    /* a namespace and an interface name with quotes and backslashes stay inside
     * their strings */
    char *bad = g_strdup(doc);
    GString *d = g_string_new(bad);
    replace1(d, "\"namespace\":\"default\"", "\"namespace\":\"x\\\"];y\\\\\"");
    replace1(d, "\"dev\":\"eth1\"", "\"dev\":\"e\\\"1\"");
    char *dot = render(d->str);
    assert_non_null(line_with(dot, "me [", "namespace x\\\"];y\\\\\""));
    assert_non_null(line_with(dot, "me -> g0_1 ", "arc 11\\ne\\\"1 02:"));
    g_free(dot);
    g_free(bad);
    g_string_free(d, TRUE);
}

static void refuse(const char *from, const char *to, const char *why)
{
    GString *d = g_string_new(doc), *err = g_string_new(NULL);
    qg_view v;
    qg_view_init(&v);
    assert_int_equal(replace1(d, from, to), 1);
    assert_false(qg_view_from_json(d->str, &v, err));
    if (!strstr(err->str, why))
        fail_msg("refused for '%s', expected '%s'", err->str, why);
    qg_view_clear(&v);
    g_string_free(d, TRUE);
    g_string_free(err, TRUE);
}

static void test_refusals(void **state)
{
    (void)state;
    refuse("\"command\":\"show_qspn_data\"", "\"command\":\"show\"", "not the reply of show_qspn_data");
    refuse("\"schema_version\":1", "\"schema_version\":2", "schema_version");
    refuse("\"address\":\"2.1.1.0\"", "\"address\":\"2.1.1\"", "bad address");
    refuse("\"topology\":\"4.2.2.2\"", "\"topology\":\"4.2.1.2\"", "bad address");
    refuse("\"peer_address\":\"2.0.1.1\"", "\"peer_address\":\"2.0.1\"", "bad peer_address");
    refuse("{\"level\":3,\"pos\":3,\"paths\"", "{\"level\":4,\"pos\":3,\"paths\"", "'level' out of range");
    refuse("{\"level\":2,\"pos\":0,\"arc_id\":92}", "{\"level\":2,\"pos\":-1,\"arc_id\":92}", "'pos' out of range");
    refuse("\"cost_us\":5000,\"arc_id\":22", "\"cost_us\":4294967296,\"arc_id\":22", "'cost_us' out of range");
    refuse("\"nodeid\":77", "\"nodeid\":\"77\"", "'nodeid' missing or not an integer");
    refuse("\"dev\":\"eth2\"", "\"dev\":\"0123456789012345678901234567890123456789012345678901234567890123\"",
           "'dev' missing, not a string or too long");
    /* more hops than a path may have */
    GString *hops = g_string_new("[");
    for (int i = 0; i <= QG_MAX_HOPS; i++)
        g_string_append_printf(hops, "%s{\"level\":0,\"pos\":1,\"arc_id\":11}", i ? "," : "");
    g_string_append(hops, "]");
    refuse("[{\"level\":0,\"pos\":1,\"arc_id\":11}]", hops->str, "'hops' has more than 64 elements");
    g_string_free(hops, TRUE);
    GString *err = g_string_new(NULL);
    qg_view v;
    qg_view_init(&v);
    assert_false(qg_view_from_json("not json", &v, err));
    assert_false(qg_view_from_json("", &v, err));
    qg_view_clear(&v);
    g_string_free(err, TRUE);
}

static void test_main_identity(void **state)
{
    (void)state;
    GString *err = g_string_new(NULL);
    int idx = -1;
    assert_true(qg_main_identity("{\"schema_version\":1,\"command\":\"show_local_identities\",\"identities\":["
                                 "{\"index\":0,\"main\":false},{\"index\":3,\"main\":true}]}", &idx, err));
    assert_int_equal(idx, 3);
    assert_false(qg_main_identity("{\"schema_version\":1,\"command\":\"show_local_identities\",\"identities\":["
                                  "{\"index\":0,\"main\":false}]}", &idx, err));
    assert_string_equal(err->str, "no main identity");
    g_string_free(err, TRUE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_view_from_json),
        cmocka_unit_test(test_clusters),
        cmocka_unit_test(test_edges_and_best_paths),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_main_identity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
