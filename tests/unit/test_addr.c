/* test_addr.c - the address model: documented worked examples (from
 * tests/data/indirizziip.tsv, which cites the document line of each value),
 * topology constraints, parsing and printing, HCoords. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ntkaddr.h"
#include "testutil.h"

/* Evaluate WHAT of tests/data/indirizziip.tsv: G, A, I<k>, each optionally @i, or COUNT. */
static void evaluate(const ntk_topology *t, const ntk_naddr *n, const char *what, char *out,
                     size_t len)
{
    if (!strcmp(what, "COUNT")) {
        size_t cap = ntk_destinations_max(t);
        ntk_dest *d = calloc(cap, sizeof *d);
        /* The documents count destinations (g-nodes), not their CIDRs. */
        size_t nd = ntk_destinations(t, n, 0, d, cap), gnodes = 0;
        for (size_t i = 0; i < nd; i++)
            if (i == 0 || d[i].hc.lvl != d[i - 1].hc.lvl || d[i].hc.pos != d[i - 1].hc.pos)
                gnodes++;
        snprintf(out, len, "%zu", gnodes);
        free(d);
        return;
    }
    ntk_ip_kind kind = NTK_IP_GLOBAL;
    int k = -1;
    const char *p = what;
    if (*p == 'G')
        kind = NTK_IP_GLOBAL, p++;
    else if (*p == 'A')
        kind = NTK_IP_ANON, p++;
    else if (*p == 'I')
        kind = NTK_IP_INTERNAL, k = (int)strtol(p + 1, (char **)&p, 10);
    else
        fail_msg("bad WHAT '%s'", what);
    if (*p == '@') {
        ntk_cidr c;
        int i = atoi(p + 1);
        if (!ntk_ip_gnode(t, n, i, kind, k, &c))
            snprintf(out, len, "(none)");
        else
            ntk_cidr_format(c, out, len);
    } else {
        uint32_t ip;
        if (!ntk_ip_node(t, n, kind, k, &ip))
            snprintf(out, len, "(none)");
        else
            ntk_ip_format(ip, out, len);
    }
}

static void test_documented_examples(void **state)
{
    char *path = test_path("QSPN_TEST_DATA", "indirizziip.tsv");
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    free(path);
    char line[512];
    int checked = 0, failed = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || !line[0])
            continue;
        char *fl[5];
        assert_int_equal(split_tabs(line, fl, 5), 5);
        char err[NTK_ERRLEN], got[NTK_STRLEN];
        ntk_topology t;
        ntk_naddr n;
        if (!ntk_topology_parse(fl[0], &t, err, sizeof err) ||
            !ntk_naddr_parse(&t, fl[1], false, &n, err, sizeof err))
            fail_msg("%s %s: %s", fl[0], fl[1], err);
        evaluate(&t, &n, fl[2], got, sizeof got);
        if (strcmp(got, fl[3]) != 0) {
            print_error("%s: topology %s address %s %s = %s, document says %s\n", fl[4], fl[0],
                        fl[1], fl[2], got, fl[3]);
            failed++;
        }
        checked++;
    }
    fclose(f);
    assert_true(checked >= 40);
    assert_int_equal(failed, 0);
}

/* Each violated rule is named in the error (behaviour.md §3.1, IndirizziIP.md:21-31). */
static void test_topology_constraints(void **state)
{
    static const struct { const char *text, *needle; } bad[] = {
        { "4.2.2.3", "power of two" },
        { "4.2.1.2", "power of two" },
        { "4.256.256.256", "22 bits" },
        { "2.2.2.2", "top level" },
        { "", "empty" },
        { "4..2", "malformed" },
        { "4.2.2.a", "malformed" },
        { "-4.2", "malformed" },
        { "4.2.2.2.", "malformed" },
        { "4.2 .2", "malformed" },
        { "99999999999.2", "too large" },
    };
    char err[NTK_ERRLEN];
    ntk_topology t;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        if (ntk_topology_parse(bad[i].text, &t, err, sizeof err))
            fail_msg("topology '%s' accepted", bad[i].text);
        if (!strstr(err, bad[i].needle))
            fail_msg("topology '%s': error '%s' does not mention '%s'", bad[i].text, err,
                     bad[i].needle);
    }
    /* The limits themselves are accepted: 22 bits, top gsize == levels. */
    assert_true(ntk_topology_parse("4.16.256.256", &t, err, sizeof err));
    assert_int_equal(ntk_topology_bits(&t), 22);
    assert_int_equal(t.gsize[3], 4);
    assert_int_equal(t.gsize[0], 256);
    assert_int_equal(t.off[2], 16);
    assert_true(ntk_topology_parse("4\xC2\xB7" "2\xC2\xB7" "2\xC2\xB7" "2", &t, err, sizeof err));
    assert_int_equal(t.levels, 4);
    assert_false(ntk_topology_parse("4.16.256.512", &t, err, sizeof err));
}

static void test_address_parse_and_format(void **state)
{
    char err[NTK_ERRLEN], buf[NTK_STRLEN];
    ntk_topology t;
    ntk_naddr a, b;
    assert_true(ntk_topology_parse("4.2.2.2", &t, err, sizeof err));
    assert_true(ntk_naddr_parse(&t, "3.0.1.0", false, &a, err, sizeof err));
    assert_int_equal(a.pos[3], 3);
    assert_int_equal(a.pos[1], 1);
    assert_int_equal(a.pos[0], 0);
    assert_true(ntk_naddr_parse(&t, "3\xC2\xB7" "0\xC2\xB7" "1\xC2\xB7" "0", false, &b, err,
                                sizeof err));
    assert_true(ntk_naddr_equal(&a, &b));
    assert_true(ntk_naddr_parse(&t, "3:0:1:0", false, &b, err, sizeof err));
    assert_true(ntk_naddr_equal(&a, &b));
    ntk_naddr_format(&a, "\xC2\xB7", buf, sizeof buf);
    assert_string_equal(buf, "3\xC2\xB7" "0\xC2\xB7" "1\xC2\xB7" "0");
    ntk_naddr_format(&a, ".", buf, sizeof buf);
    assert_string_equal(buf, "3.0.1.0");
    ntk_gnode_format(&a, 2, "\xC2\xB7", buf, sizeof buf);
    assert_string_equal(buf, "3\xC2\xB7" "0\xC2\xB7");

    /* wrong number of positions, out of range, virtual */
    assert_false(ntk_naddr_parse(&t, "3.0.1", true, &b, err, sizeof err));
    assert_non_null(strstr(err, "3 positions"));
    assert_false(ntk_naddr_parse(&t, "3.0.2.0", false, &b, err, sizeof err));
    assert_non_null(strstr(err, "out of range"));
    assert_true(ntk_naddr_parse(&t, "2.1.1.2", true, &b, err, sizeof err));
    assert_false(ntk_pos_is_real(&t, &b, 0));
    assert_true(ntk_pos_is_real(&t, &b, 1));
    assert_false(ntk_naddr_is_real(&t, &b));
    assert_true(ntk_naddr_real_range(&t, &b, 1, 3));
    assert_true(ntk_naddr_real_range(&t, &b, 2, 1)); /* empty range */
    assert_false(ntk_naddr_parse(&t, "3.0.1.0.0", true, &b, err, sizeof err));
    assert_false(ntk_naddr_parse(&t, "3.0.1.x", true, &b, err, sizeof err));
    assert_false(ntk_naddr_parse(&t, "3.0.1.1048576", true, &b, err, sizeof err));
    assert_false(ntk_naddr_parse(&t, NULL, true, &b, err, sizeof err));
}

/* behaviour.md §1.5: highest level where the positions differ. */
static void test_max_distinct_gnode(void **state)
{
    char err[NTK_ERRLEN];
    ntk_topology t;
    ntk_naddr me, o;
    assert_true(ntk_topology_parse("4.2.2.2", &t, err, sizeof err));
    assert_true(ntk_naddr_parse(&t, "3.1.0.1", false, &me, err, sizeof err));
    assert_true(ntk_naddr_parse(&t, "3.1.0.0", false, &o, err, sizeof err));
    ntk_hcoord h = ntk_max_distinct_gnode(&me, &o);
    assert_int_equal(h.lvl, 0);
    assert_int_equal(h.pos, 0);
    assert_true(ntk_naddr_parse(&t, "2.1.0.1", false, &o, err, sizeof err));
    h = ntk_max_distinct_gnode(&me, &o);
    assert_int_equal(h.lvl, 3);
    assert_int_equal(h.pos, 2);
    h = ntk_max_distinct_gnode(&me, &me);
    assert_int_equal(h.lvl, -1);
}

static void test_cidr_text(void **state)
{
    ntk_cidr c;
    char buf[NTK_STRLEN];
    assert_true(ntk_cidr_parse("10.0.0.24/31", &c));
    assert_int_equal(c.addr, 0x0a000018);
    assert_int_equal(c.prefix, 31);
    ntk_cidr_format(c, buf, sizeof buf);
    assert_string_equal(buf, "10.0.0.24/31");
    assert_true(ntk_cidr_parse("10.0.0.41", &c));
    assert_int_equal(c.prefix, 32);
    static const char *bad[] = { "10.0.0.1/33", "256.0.0.1", "-1.0.0.0", " 10.0.0.1",
                                 "10.0.0.1 ", "10.0.0", "10.0.0.1/", "10.0.0.1/+3",
                                 "10.0.0.0.1", "", "1.2.3.4/1x" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (ntk_cidr_parse(bad[i], &c))
            fail_msg("'%s' accepted", bad[i]);
}

/* A subnet level must leave at least the top level outside the subnet. */
static void test_subnet_level(void **state)
{
    char err[NTK_ERRLEN];
    ntk_topology t;
    ntk_naddr n;
    assert_true(ntk_topology_parse("4.2.2.2", &t, err, sizeof err));
    assert_true(ntk_subnet_level_valid(&t, 0, err, sizeof err));
    assert_true(ntk_subnet_level_valid(&t, 3, err, sizeof err));
    assert_false(ntk_subnet_level_valid(&t, 4, err, sizeof err));
    assert_false(ntk_subnet_level_valid(&t, -1, err, sizeof err));
    assert_true(ntk_naddr_parse(&t, "1.1.0.0", false, &n, err, sizeof err));
    ntk_netmap_rule r[16];
    assert_int_equal(ntk_netmap_rules(&t, &n, 0, true, r, 16), 0);
    /* Without -k the anonymising PREROUTING rule goes, the POSTROUTING one stays
     * (DettagliOperazioni11.md:91-122). */
    size_t with = ntk_netmap_rules(&t, &n, 1, true, r, 16);
    size_t without = ntk_netmap_rules(&t, &n, 1, false, r, 16);
    assert_int_equal(with, without + 1);
    for (size_t i = 0; i < without; i++)
        assert_false(r[i].chain == NTK_NAT_PREROUTING && r[i].anonymous);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_documented_examples),
        cmocka_unit_test(test_topology_constraints),
        cmocka_unit_test(test_address_parse_and_format),
        cmocka_unit_test(test_max_distinct_gnode),
        cmocka_unit_test(test_cidr_text),
        cmocka_unit_test(test_subnet_level),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
