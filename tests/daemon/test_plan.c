/* test_plan.c - qspnd's start-up/teardown/rollback/sweep plans, run through the
 * recording kernel fake and compared with the documents:
 *   alfa:   Proof/commands/sequence lines 12-64 ("Prime operazioni", alfa)
 *   lambda: Proof/commands/sequence lines 3952-4027 ("Operazioni iniziali in λ")
 * The documents are read from $QSPN_SHARED_DIR (meson: shared_dir). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "kernel.h"
#include "options.h"
#include "plan.h"

#define RT "/etc/iproute2/rt_tables"

static char *sequence_path(void)
{
    const char *shared = g_getenv("QSPN_SHARED_DIR");
    if (!shared)
        shared = "../shared";
    return g_build_filename(shared, "reference", "netsukuku-docs", "Proof", "commands", "sequence",
                            NULL);
}

static char *normalise(const char *raw)
{
    gchar *s = g_strdup(raw);
    gchar *p = strstr(s, "&>/dev/null");
    if (p && strcmp(p, "&>/dev/null") == 0)
        *p = '\0';
    gchar **w = g_strsplit_set(s, " \t", -1);
    GString *o = g_string_new(NULL);
    for (gchar **x = w; *x; x++) {
        if (!**x)
            continue;
        if (o->len)
            g_string_append_c(o, ' ');
        g_string_append(o, *x);
    }
    g_strfreev(w);
    g_free(s);
    return g_string_free(o, FALSE);
}

/* The kernel commands of lines [from, to] (1-based, inclusive) of the sequence,
 * normalised; harness-only lines (ip link set dev ... address: fixing MACs),
 * the administrator's routes of the subnet (via, link-local neighbours) and
 * other systems' blocks (lxc exec rho) are left out. */
static GPtrArray *doc_commands(int from, int to)
{
    gchar *path = sequence_path();
    gchar *text = NULL;
    GError *ge = NULL;
    if (!g_file_get_contents(path, &text, NULL, &ge)) {
        /* no documents (shared_dir not available): nothing to compare with */
        print_message("SKIP: cannot read %s: %s\n", path, ge->message);
        g_error_free(ge);
        g_free(path);
        skip();
    }
    gchar **lines = g_strsplit(text, "\n", -1);
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    bool other_system = false;
    assert_true((guint)to <= g_strv_length(lines));
    for (int i = from; i <= to; i++) {
        gchar *l = normalise(lines[i - 1]);
        if (g_str_has_prefix(l, "cat <<EOF | lxc exec "))
            other_system = !g_str_has_suffix(l, "exec lambda bash") &&
                           !g_str_has_suffix(l, "exec alfa bash");
        if (strcmp(l, "EOF") == 0 && other_system)
            other_system = false;
        bool keep = !other_system &&
                    (g_str_has_prefix(l, "sysctl ") || g_str_has_prefix(l, "ip ") ||
                     g_str_has_prefix(l, "(echo;") || g_str_has_prefix(l, "iptables ")) &&
                    !g_str_has_prefix(l, "ip link set dev eth1 address ") &&
                    !(g_str_has_prefix(l, "ip route add ") &&
                      (strstr(l, " via ") || g_str_has_prefix(l, "ip route add 169.254.")));
        if (keep)
            g_ptr_array_add(out, l);
        else
            g_free(l);
    }
    g_strfreev(lines);
    g_free(text);
    g_free(path);
    return out;
}

static void config(qspnd_config *c, const char *topo, const char *addr, int s, bool k, bool anon,
                   const char *ll)
{
    char err[NTK_ERRLEN];
    memset(c, 0, sizeof *c);
    assert_true(ntk_topology_parse(topo, &c->topo, err, sizeof err));
    assert_true(ntk_naddr_parse(&c->topo, addr, false, &c->addr, err, sizeof err));
    c->subnet_level = s;
    c->serve_anonymous = k;
    c->anonymize = anon;
    c->n_nics = 1;
    g_strlcpy(c->nics[0].dev, "eth1", sizeof c->nics[0].dev);
    ntk_cidr l;
    assert_true(ntk_cidr_parse(ll, &l));
    c->nics[0].linklocal = l.addr;
}

/* Lines the fake recorded for the plan, without "nft add table ip qspnd"
 * (qspnd's own table has no counterpart in the iptables-based documents). */
static GPtrArray *run_plan(GArray *plan)
{
    kernel *k = kernel_fake_new(RT);
    char err[128];
    size_t n = 0, done = 0;
    assert_int_equal(kernel_apply(k, (const kop *)plan->data, plan->len, &done, err, sizeof err), 0);
    assert_int_equal(done, plan->len);
    const char *const *l = kernel_fake_lines(k, &n);
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    for (size_t i = 0; i < n; i++)
        if (strcmp(l[i], "nft add table ip qspnd") != 0)
            g_ptr_array_add(out, g_strdup(l[i]));
    kernel_free(k);
    return out;
}

static void assert_same_lines(GPtrArray *got, GPtrArray *want)
{
    for (guint i = 0; i < got->len && i < want->len; i++)
        if (strcmp(g_ptr_array_index(got, i), g_ptr_array_index(want, i)) != 0)
            fail_msg("line %u: got '%s', documented '%s'", i + 1,
                     (char *)g_ptr_array_index(got, i), (char *)g_ptr_array_index(want, i));
    assert_int_equal(got->len, want->len);
}

static int cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort every run of consecutive "ip address add 10." lines (Part 5 is one
 * block; its order differs between the λ document and behaviour.md). */
static void sort_address_runs(GPtrArray *a)
{
    guint i = 0;
    while (i < a->len) {
        if (!g_str_has_prefix(g_ptr_array_index(a, i), "ip address add 10.")) {
            i++;
            continue;
        }
        guint j = i;
        while (j < a->len && g_str_has_prefix(g_ptr_array_index(a, j), "ip address add 10."))
            j++;
        qsort(&a->pdata[i], j - i, sizeof(gpointer), cmp_str);
        i = j;
    }
}

static void test_startup_alfa(void **state)
{
    GPtrArray *doc = doc_commands(12, 64);     /* first: it may skip */
    qspnd_config c;
    config(&c, "4.2.2.2", "3.0.1.0", 0, true, true, "169.254.69.30");
    GArray *plan = plan_startup(&c);
    GPtrArray *got = run_plan(plan);
    assert_int_equal(doc->len, 52);   /* 53 lines minus the MAC line */
    assert_same_lines(got, doc);
    g_ptr_array_free(got, TRUE);
    g_ptr_array_free(doc, TRUE);
    g_array_free(plan, TRUE);
}

static void test_startup_lambda(void **state)
{
    GPtrArray *doc = doc_commands(3952, 4027);     /* first: it may skip */
    qspnd_config c;
    config(&c, "4.2.2.2", "1.1.0.0", 1, true, true, "169.254.109.22");
    GArray *plan = plan_startup(&c);
    GPtrArray *got = run_plan(plan);

    /* behaviour.md §2.4 order of Part 5: G, A, I3, I2, I1 */
    const char *want_addr[] = { "ip address add 10.0.0.12 dev eth1", "ip address add 10.0.0.76 dev eth1",
                                "ip address add 10.0.0.60 dev eth1", "ip address add 10.0.0.48 dev eth1",
                                "ip address add 10.0.0.40 dev eth1" };
    guint first = 0;
    while (first < got->len && !g_str_has_prefix(g_ptr_array_index(got, first), "ip address add 10.0.0.1"))
        first++;
    for (guint i = 0; i < G_N_ELEMENTS(want_addr); i++)
        assert_string_equal(g_ptr_array_index(got, first + i), want_addr[i]);
    /* the document gives 10.0.0.40 first (the administrator needed it for the
     * subnet route): same block, other order */
    sort_address_runs(got);
    sort_address_runs(doc);
    assert_same_lines(got, doc);
    g_ptr_array_free(got, TRUE);
    g_ptr_array_free(doc, TRUE);
    g_array_free(plan, TRUE);
}

static void test_startup_variants(void **state)
{
    qspnd_config c;
    /* -j: no SNAT; no -k: no anonymising address; two NICs: address-major */
    config(&c, "4.2.2.2", "3.0.1.0", 0, false, false, "169.254.69.30");
    c.n_nics = 2;
    g_strlcpy(c.nics[1].dev, "eth2", sizeof c.nics[1].dev);
    c.nics[1].linklocal = 0xa9fe0102;
    GArray *plan = plan_startup(&c);
    GPtrArray *got = run_plan(plan);
    for (guint i = 0; i < got->len; i++) {
        assert_null(strstr(g_ptr_array_index(got, i), "SNAT"));
        assert_null(strstr(g_ptr_array_index(got, i), "10.0.0.90"));
    }
    guint a = 0;
    while (strcmp(g_ptr_array_index(got, a), "ip address add 10.0.0.26 dev eth1") != 0)
        a++;
    assert_string_equal(g_ptr_array_index(got, a + 1), "ip address add 10.0.0.26 dev eth2");
    assert_string_equal(g_ptr_array_index(got, a + 2), "ip address add 10.0.0.58 dev eth1");
    /* per device: 3 sysctls, link up, link-local, then the next device */
    assert_string_equal(g_ptr_array_index(got, 7), "ip address add 169.254.69.30 dev eth1");
    assert_string_equal(g_ptr_array_index(got, 8), "sysctl net.ipv4.conf.eth2.rp_filter=0");
    assert_string_equal(g_ptr_array_index(got, 12), "ip address add 169.254.1.2 dev eth2");
    g_ptr_array_free(got, TRUE);
    g_array_free(plan, TRUE);
}

static void test_teardown_alfa(void **state)
{
    qspnd_config c;
    config(&c, "4.2.2.2", "3.0.1.0", 0, true, true, "169.254.69.30");
    GArray *plan = plan_teardown(&c);
    GPtrArray *got = run_plan(plan);
    const char *want[] = {
        "ip address del 169.254.69.30/32 dev eth1",
        "ip rule del table ntk",
        "ip route flush table ntk",
        ("sed -i '/xxx_table_ntk_xxx/d' " RT),
        "nft delete table ip qspnd",
        "ip address del 10.0.0.26/32 dev eth1",
        "ip address del 10.0.0.90/32 dev eth1",
        "ip address del 10.0.0.58/32 dev eth1",
        "ip address del 10.0.0.50/32 dev eth1",
        "ip address del 10.0.0.40/32 dev eth1",
        "ip address del 10.0.0.32/32 dev lo",
    };
    assert_int_equal(got->len, G_N_ELEMENTS(want));
    for (guint i = 0; i < got->len; i++)
        assert_string_equal(g_ptr_array_index(got, i), want[i]);
    for (guint i = 0; i < plan->len; i++)
        assert_true(g_array_index(plan, kop, i).tolerant);
    g_ptr_array_free(got, TRUE);
    g_array_free(plan, TRUE);
}

static void test_rollback(void **state)
{
    qspnd_config c;
    config(&c, "4.2.2.2", "1.1.0.0", 1, true, true, "169.254.109.22");
    GArray *plan = plan_startup(&c);
    kernel *k = kernel_fake_new(RT);
    char err[128];
    size_t done = 0;
    /* fail on the first route change: everything before it was applied */
    guint fail = 0;
    while (g_array_index(plan, kop, fail).type != KOP_ROUTE_CHANGE)
        fail++;
    /* the nft transaction counts as one fake step */
    size_t nft = 0;
    for (guint i = 0; i < plan->len; i++)
        if (g_array_index(plan, kop, i).type == KOP_NAT_ADD || g_array_index(plan, kop, i).type == KOP_NFT_TABLE_ADD)
            nft++;
    kernel_fake_fail_at(k, (long)(fail - nft + 1));
    assert_int_equal(kernel_apply(k, (const kop *)plan->data, plan->len, &done, err, sizeof err), -1);
    assert_int_equal(done, fail);
    GArray *rb = plan_rollback((const kop *)plan->data, done);
    GPtrArray *got = run_plan(rb);
    /* reverse order: nft table, 13 routes, 5 addresses, rt_tables, rule, link-local, lo */
    assert_string_equal(g_ptr_array_index(got, 0), "nft delete table ip qspnd");
    assert_string_equal(g_ptr_array_index(got, 1), "ip route del unreachable 10.0.0.50/31 table ntk");
    assert_string_equal(g_ptr_array_index(got, 13), "ip route del unreachable 10.0.0.0/29 table ntk");
    assert_string_equal(g_ptr_array_index(got, 14), "ip address del 10.0.0.40/32 dev eth1");
    assert_string_equal(g_ptr_array_index(got, 19), "ip rule del table ntk");
    assert_string_equal(g_ptr_array_index(got, 20), "sed -i '/xxx_table_ntk_xxx/d' " RT);
    assert_string_equal(g_ptr_array_index(got, 21), "ip address del 169.254.109.22/32 dev eth1");
    assert_string_equal(g_ptr_array_index(got, 22), "ip address del 10.0.0.32/32 dev lo");
    assert_int_equal(got->len, 23);
    g_ptr_array_free(got, TRUE);
    g_array_free(rb, TRUE);
    kernel_free(k);
    g_array_free(plan, TRUE);
}

static int parse(const char *cmdline, qspnd_options *o, char *err, size_t errlen)
{
    gchar **argv = NULL;
    g_assert(g_shell_parse_argv(cmdline, NULL, &argv, NULL));
    int rc = qspnd_options_parse((int)g_strv_length(argv), argv, o, err, errlen);
    g_strfreev(argv);
    return rc;
}

static void test_options(void **state)
{
    qspnd_options o;
    char err[256];
    assert_int_equal(parse("qspnd --topology 4.2.2.2 --address 3.0.1.0 -i eth1 -i eth2 "
                           "--linklocal eth1=169.254.69.30 -k --subnet-level 1 --control-dir /tmp/x "
                           "--netns qt-1-a --rt-tables /tmp/rt -v", &o, err, sizeof err), 0);
    assert_int_equal(o.cfg.n_nics, 2);
    assert_int_equal(o.cfg.nics[0].linklocal, 0xa9fe451e);
    uint32_t r = o.cfg.nics[1].linklocal;
    assert_int_equal(r >> 16, 0xa9fe);
    assert_true(((r >> 8) & 0xff) >= 1 && ((r >> 8) & 0xff) <= 254);
    assert_true((r & 0xff) <= 254);
    assert_true(o.cfg.serve_anonymous);
    assert_true(o.cfg.anonymize);
    assert_int_equal(o.cfg.subnet_level, 1);
    assert_string_equal(o.netns, "qt-1-a");
    assert_string_equal(o.rt_tables, "/tmp/rt");
    assert_true(o.verbose);
    qspnd_options_clear(&o);
    assert_int_equal(parse("qspnd -t 4.2.2.2 -a 3.0.1.0 -i eth1 -j -c /tmp/x", &o, err, sizeof err), 0);
    assert_false(o.cfg.anonymize);
    assert_string_equal(o.rt_tables, "/etc/iproute2/rt_tables");
    assert_int_equal(o.max_destinations, 65536);
    assert_int_equal(o.n_destinations, 18);
    qspnd_options_clear(&o);

    /* the size of a start-up is bounded (it used to install 16.7 M routes
     * for 6 minutes): refused with one line, before anything happens */
    err[0] = '\0';
    assert_int_equal(parse("qspnd --topology 4194304 --address 0 -i eth1 -c /tmp/x", &o, err,
                           sizeof err), -1);
    assert_non_null(strstr(err, "more than --max-destinations 65536"));
    assert_null(strchr(err, '\n'));
    qspnd_options_clear(&o);
    assert_int_equal(parse("qspnd -t 4.2.2.2 -a 3.0.1.0 -i eth1 -c /tmp/x --max-destinations 18",
                           &o, err, sizeof err), 0);
    qspnd_options_clear(&o);
    assert_int_equal(parse("qspnd -t 4.2.2.2 -a 3.0.1.0 -i eth1 -c /tmp/x --max-destinations 17",
                           &o, err, sizeof err), -1);
    assert_string_equal(err, "--topology 4.2.2.2 --address 3.0.1.0 has 18 destinations (routes of "
                             "table ntk), more than --max-destinations 17");
    qspnd_options_clear(&o);
    assert_int_equal(parse("qspnd -t 4194304 -a 0 -i eth1 -c /tmp/x --max-destinations 16777216",
                           &o, err, sizeof err), 0);
    qspnd_options_clear(&o);

    const char *bad[] = {
        "qspnd --address 3.0.1.0 -i eth1 -c /tmp/x",
        "qspnd --topology 4.2.2.2 -i eth1 -c /tmp/x",
        "qspnd --topology 4.2.2.2 --address 3.0.1.0 -c /tmp/x",
        "qspnd --topology 4.2.2.2 --address 3.0.1.0 -i eth1",
        "qspnd --topology 4.3.2.2 --address 3.0.1.0 -i eth1 -c /tmp/x",
        "qspnd --topology 4.2.2.2 --address 3.0.2.0 -i eth1 -c /tmp/x",
        "qspnd --topology 4.2.2.2 --address 3.0.1 -i eth1 -c /tmp/x",
        "qspnd --topology 4.2.2.2 --address 3.0.1.0 -i eth1 -c /tmp/x --subnet-level 4",
        "qspnd --topology 4.2.2.2 --address 3.0.1.0 -i eth1 -c /tmp/x --subnet-level -1",
        "qspnd --topology 4.2.2.2 --address 3.0.1.0 -i eth1 -c /tmp/x --subnet-level x",
        "qspnd --topology 4.2.2.2 --address 3.0.1.0 -i eth1 -i eth1 -c /tmp/x",
        "qspnd --topology 4.2.2.2 --address 3.0.1.0 -i ../x -c /tmp/x",
        "qspnd --topology 4.2.2.2 --address 3.0.1.0 -i abcdefghijklmnopq -c /tmp/x",
        "qspnd --topology 4.2.2.2 --address 3.0.1.0 -i eth1 -c /tmp/x --linklocal eth2=169.254.1.1",
        "qspnd --topology 4.2.2.2 --address 3.0.1.0 -i eth1 -c /tmp/x --linklocal eth1=10.0.0.1",
        "qspnd --topology 4.2.2.2 --address 3.0.1.0 -i eth1 -c /tmp/x --linklocal eth1",
        "qspnd --topology 4.2.2.2 --address 3.0.1.0 -i eth1 -c /tmp/x --netns ../etc",
        "qspnd --topology 4.2.2.2 --address 3.0.1.0 -i eth1 -c /tmp/x extra",
        "qspnd --topology 4.2.2.2 --address 3.0.1.0 -i eth1 -c /tmp/x --bogus",
        "qspnd --topology 4.2.2.2 --address 3.0.1.0 -i eth1 -c /tmp/x --max-destinations 0",
        "qspnd --topology 4.2.2.2 --address 3.0.1.0 -i eth1 -c /tmp/x --max-destinations -5",
        "qspnd --topology 4.2.2.2 --address 3.0.1.0 -i eth1 -c /tmp/x --max-destinations 16777217",
        "qspnd --topology 4.2.2.2 --address 3.0.1.0 -i eth1 -c /tmp/x --max-destinations 1e3",
        "qspnd --topology 4.2.2.2 --address 3.0.1.0 -i eth1 -c /tmp/x --max-destinations ''",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        err[0] = '\0';
        if (parse(bad[i], &o, err, sizeof err) != -1)
            fail_msg("accepted: %s", bad[i]);
        assert_true(strlen(err) > 0);
        assert_null(strchr(err, '\n'));
        qspnd_options_clear(&o);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_startup_alfa),
        cmocka_unit_test(test_startup_lambda),
        cmocka_unit_test(test_startup_variants),
        cmocka_unit_test(test_teardown_alfa),
        cmocka_unit_test(test_rollback),
        cmocka_unit_test(test_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
