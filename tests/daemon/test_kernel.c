/* test_kernel.c - kop text forms, nft statements, rt_tables editing, the fake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "kernel.h"

static ntk_cidr C(const char *s)
{
    ntk_cidr c;
    assert_true(ntk_cidr_parse(s, &c));
    return c;
}

static uint32_t IP(const char *s)
{
    return C(s).addr;
}

static void fmt_eq(const kop *op, const char *want)
{
    char buf[KOP_STRLEN];
    assert_string_equal(kop_format(op, NULL, buf, sizeof buf), want);
}

static void test_format(void **state)
{
    kop op = kop_sysctl("net.ipv4.conf.eth1.rp_filter", "0");
    fmt_eq(&op, "sysctl net.ipv4.conf.eth1.rp_filter=0");
    assert_string_equal(op.path, "net/ipv4/conf/eth1/rp_filter");
    op = kop_sysctl("net.ipv4.conf.eth1.100.arp_ignore", "1");
    assert_string_equal(op.path, "net/ipv4/conf/eth1.100/arp_ignore");
    op = kop_sysctl("net.ipv4.ip_forward", "1");
    assert_string_equal(op.path, "net/ipv4/ip_forward");
    op = kop_link_up("eth1");
    fmt_eq(&op, "ip link set dev eth1 up");
    op = kop_addr(KOP_ADDR_ADD, "lo", IP("10.0.0.32"), 32);
    fmt_eq(&op, "ip address add 10.0.0.32 dev lo");
    op = kop_addr(KOP_ADDR_DEL, "eth1", IP("10.0.0.26"), 32);
    fmt_eq(&op, "ip address del 10.0.0.26/32 dev eth1");
    op = kop_rt_tables(KOP_RT_TABLES_ADD, 251, "ntk");
    fmt_eq(&op, "(echo; echo \"251 ntk # xxx_table_ntk_xxx\") | tee -a /etc/iproute2/rt_tables >/dev/null");
    op = kop_rt_tables(KOP_RT_TABLES_DEL, 251, "ntk");
    fmt_eq(&op, "sed -i '/xxx_table_ntk_xxx/d' /etc/iproute2/rt_tables");
    op = kop_rule(KOP_RULE_ADD, 0, 251, "ntk");
    fmt_eq(&op, "ip rule add table ntk");
    op = kop_rule(KOP_RULE_DEL, 248, 248, "ntk_from_00:16:3E:5B:78:D5");
    fmt_eq(&op, "ip rule del fwmark 248 table ntk_from_00:16:3E:5B:78:D5");
    op = kop_route(KOP_ROUTE_ADD, KROUTE_UNREACHABLE, C("10.0.0.27/32"), 251, "ntk", 0, NULL, 0);
    fmt_eq(&op, "ip route add unreachable 10.0.0.27/32 table ntk");
    op = kop_route(KOP_ROUTE_CHANGE, KROUTE_UNICAST, C("10.0.0.40/32"), 251, "ntk",
                   IP("169.254.119.176"), "eth1", IP("10.0.0.41"));
    fmt_eq(&op, "ip route change 10.0.0.40/32 table ntk via 169.254.119.176 dev eth1 src 10.0.0.41");
    op = kop_route(KOP_ROUTE_CHANGE, KROUTE_BLACKHOLE, C("10.0.0.40/32"), 248,
                   "ntk_from_00:16:3E:5B:78:D5", 0, NULL, 0);
    fmt_eq(&op, "ip route change blackhole 10.0.0.40/32 table ntk_from_00:16:3E:5B:78:D5");
    op = kop_route_flush(251, "ntk");
    fmt_eq(&op, "ip route flush table ntk");
    op = kop_nat_snat(C("10.0.0.64/27"), IP("10.0.0.26"));
    fmt_eq(&op, "iptables -t nat -A POSTROUTING -d 10.0.0.64/27 -j SNAT --to 10.0.0.26");
    ntk_netmap_rule r = { NTK_NAT_POSTROUTING, C("10.0.0.48/30"), true, C("10.0.0.40/31"),
                          C("10.0.0.48/31"), 1, false };
    op = kop_nat_netmap(&r);
    fmt_eq(&op, "iptables -t nat -A POSTROUTING -d 10.0.0.48/30 -s 10.0.0.40/31 -j NETMAP --to 10.0.0.48/31");
    ntk_netmap_rule p = { NTK_NAT_PREROUTING, C("10.0.0.12/31"), false, C("0.0.0.0/0"),
                          C("10.0.0.40/31"), 3, false };
    op = kop_nat_netmap(&p);
    fmt_eq(&op, "iptables -t nat -A PREROUTING -d 10.0.0.12/31 -j NETMAP --to 10.0.0.40/31");
    op = kop_simple(KOP_SWEEP);
    assert_true(op.tolerant);
    fmt_eq(&op, "# sweep leftovers: routes of proto 15 in every table, nft table ip qspnd");
    op = kop_link_del(NULL, "ntkv0_eth1");
    fmt_eq(&op, "ip link del dev ntkv0_eth1");
    op = kop_link_del("ntkv0", "ntkv0_eth1");
    fmt_eq(&op, "ip -n ntkv0 link del dev ntkv0_eth1");
    op = kop_netns_del("ntkv0");
    fmt_eq(&op, "ip netns del ntkv0");
    assert_false(op.tolerant);
}

static void test_nft(void **state)
{
    char buf[1024];
    kop op = kop_nat_snat(C("10.0.0.64/27"), IP("10.0.0.26"));
    assert_string_equal(kop_format_nft(&op, buf, sizeof buf),
                        "add rule ip qspnd nat_postrouting ip daddr 10.0.0.64/27 snat to 10.0.0.26\n");
    ntk_netmap_rule r = { NTK_NAT_POSTROUTING, C("10.0.0.48/30"), true, C("10.0.0.40/31"),
                          C("10.0.0.48/31"), 1, false };
    op = kop_nat_netmap(&r);
    assert_string_equal(kop_format_nft(&op, buf, sizeof buf),
                        "add rule ip qspnd nat_postrouting ip saddr 10.0.0.40/31 ip daddr 10.0.0.48/30 "
                        "snat ip prefix to 10.0.0.48/31\n");
    ntk_netmap_rule p = { NTK_NAT_PREROUTING, C("10.0.0.12/31"), false, C("0.0.0.0/0"),
                          C("10.0.0.40/31"), 3, false };
    op = kop_nat_netmap(&p);
    assert_string_equal(kop_format_nft(&op, buf, sizeof buf),
                        "add rule ip qspnd nat_prerouting ip daddr 10.0.0.12/31 dnat ip prefix to 10.0.0.40/31\n");
    op = kop_simple(KOP_NFT_TABLE_ADD);
    assert_non_null(strstr(kop_format_nft(&op, buf, sizeof buf),
                           "add chain ip qspnd nat_prerouting { type nat hook prerouting priority dstnat;"));
    op = kop_route_flush(251, "ntk");
    assert_string_equal(kop_format_nft(&op, buf, sizeof buf), "");
}

static void strip_eq(const char *in, uint32_t table, const char *name, const char *want,
                     int want_removed)
{
    int removed = -1;
    char *out = kernel_rt_tables_strip(in, table, name, &removed);
    assert_string_equal(out, want);
    assert_int_equal(removed, want_removed);
    g_free(out);
}

static void test_rt_tables_strip(void **state)
{
    const char *base = "255\tlocal\n254\tmain\n253\tdefault\n0\tunspec\n";
    gchar *with = g_strconcat(base, "\n251 ntk # xxx_table_ntk_xxx\n", NULL);
    strip_eq(with, 251, "ntk", base, 1);
    strip_eq(with, 250, "ntk_from_00:16:3E:5B:78:D5", with, 0);
    /* only the exact number and name: another program's line with the same
     * marker form but another number stays */
    strip_eq(with, 250, "ntk", with, 0);
    gchar *two = g_strconcat(with, "\n250 ntk_from_00:16:3E:5B:78:D5 # xxx_table_ntk_from_00:16:3E:5B:78:D5_xxx\n", NULL);
    strip_eq(two, 250, "ntk_from_00:16:3E:5B:78:D5", with, 1);
    strip_eq(two, 251, "ntk", "255\tlocal\n254\tmain\n253\tdefault\n0\tunspec\n"
             "\n250 ntk_from_00:16:3E:5B:78:D5 # xxx_table_ntk_from_00:16:3E:5B:78:D5_xxx\n", 1);
    /* a line that only looks similar is kept; a user's blank line before a
     * foreign line is kept; leading zeros are not our form */
    strip_eq("1 ntk # xxx_table_ntk_xxx_not\n\n5 foo\n", 1, "ntk", "1 ntk # xxx_table_ntk_xxx_not\n\n5 foo\n", 0);
    strip_eq("0251 ntk # xxx_table_ntk_xxx\n", 251, "ntk", "0251 ntk # xxx_table_ntk_xxx\n", 0);
    strip_eq("99999999999999999999 ntk # xxx_table_ntk_xxx\n", 251, "ntk",
             "99999999999999999999 ntk # xxx_table_ntk_xxx\n", 0);
    strip_eq("251 ntk # xxx_table_ntk_xxx", 251, "ntk", "", 1);
    strip_eq("", 251, "ntk", "", 0);
    /* two copies (two qspnd sharing the file): one removal removes one, the last */
    gchar *dup = g_strconcat(with, "\n251 ntk # xxx_table_ntk_xxx\n", NULL);
    strip_eq(dup, 251, "ntk", with, 1);
    g_free(dup);
    /* no trailing newline in the original file */
    strip_eq("0\tunspec\n\n251 ntk # xxx_table_ntk_xxx\n", 251, "ntk", "0\tunspec\n", 1);
    g_free(with);
    g_free(two);
}

static void test_fake(void **state)
{
    kernel *k = kernel_fake_new("/tmp/rt");
    char err[128];
    size_t n = 0, done = 99;
    kop ops[4];
    ops[0] = kop_sysctl("net.ipv4.ip_forward", "1");
    ops[1] = kop_simple(KOP_NFT_TABLE_ADD);
    ops[2] = kop_nat_snat(C("10.0.0.64/27"), IP("10.0.0.26"));
    ops[3] = kop_rt_tables(KOP_RT_TABLES_ADD, 251, "ntk");
    assert_int_equal(kernel_apply(k, ops, 4, &done, err, sizeof err), 0);
    assert_int_equal(done, 4);
    const char *const *l = kernel_fake_lines(k, &n);
    assert_int_equal(n, 4);
    assert_string_equal(l[0], "sysctl net.ipv4.ip_forward=1");
    assert_string_equal(l[1], "nft add table ip qspnd");
    assert_string_equal(l[2], "iptables -t nat -A POSTROUTING -d 10.0.0.64/27 -j SNAT --to 10.0.0.26");
    assert_string_equal(l[3], "(echo; echo \"251 ntk # xxx_table_ntk_xxx\") | tee -a /tmp/rt >/dev/null");
    assert_null(l[4]);

    kernel_fake_clear(k);
    kernel_fake_fail_at(k, 1);
    assert_int_equal(kernel_apply(k, ops, 4, &done, err, sizeof err), -1);
    assert_int_equal(done, 1);   /* the nft transaction failed as a whole */
    kernel_fake_lines(k, &n);
    assert_int_equal(n, 1);

    /* tolerant kops do not stop the plan */
    kernel_fake_clear(k);
    ops[0].tolerant = true;
    kernel_fake_fail_at(k, 0);
    assert_int_equal(kernel_apply(k, ops, 1, &done, err, sizeof err), 0);

    char mac[18];
    assert_false(kernel_link_mac(k, "eth1", mac, sizeof mac));
    kernel_fake_add_link(k, "eth1", "00:16:3E:FD:E2:AA");
    assert_true(kernel_link_mac(k, "eth1", mac, sizeof mac));
    assert_string_equal(mac, "00:16:3E:FD:E2:AA");
    kernel_free(k);
}

typedef struct {
    size_t idx[16];
    size_t n;
} fails;

static void on_fail(void *ctx, size_t index, const kop *op, const char *err)
{
    fails *f = ctx;
    assert_non_null(op);
    assert_string_equal(err, "fake failure");
    f->idx[f->n++] = index;
}

/* apply_all: every kop is tried, each failure reported by index (a failed nft
 * transaction: each kop of it), tolerant failures ignored, order kept. */
static void test_fake_apply_all(void **state)
{
    kernel *k = kernel_fake_new("/tmp/rt");
    kop ops[7];
    ops[0] = kop_route(KOP_ROUTE_ADD, KROUTE_UNREACHABLE, C("10.0.0.0/29"), 251, "ntk", 0, NULL, 0);
    ops[1] = kop_route(KOP_ROUTE_DEL, KROUTE_UNREACHABLE, C("10.0.0.8/29"), 251, "ntk", 0, NULL, 0);
    ops[2] = kop_rule(KOP_RULE_ADD, 0, 251, "ntk");
    ops[3] = kop_sysctl("net.ipv4.ip_forward", "1");
    ops[4] = kop_simple(KOP_NFT_TABLE_ADD);
    ops[5] = kop_nat_snat(C("10.0.0.64/27"), IP("10.0.0.26"));
    ops[6] = kop_route(KOP_ROUTE_ADD, KROUTE_UNREACHABLE, C("10.0.0.16/29"), 251, "ntk", 0, NULL, 0);
    fails f = { .n = 0 };
    size_t n = 0;
    assert_int_equal(kernel_apply_all(k, ops, 7, on_fail, &f), 0);
    assert_int_equal(f.n, 0);
    const char *const *l = kernel_fake_lines(k, &n);
    assert_int_equal(n, 7);
    assert_string_equal(l[3], "sysctl net.ipv4.ip_forward=1");
    assert_string_equal(l[6], "ip route add unreachable 10.0.0.16/29 table ntk");

    /* fail the 2nd kop (in a batch run) and the nft transaction (the 5th apply) */
    kernel_fake_clear(k);
    kernel_fake_fail_at(k, 1);
    assert_int_equal(kernel_apply_all(k, ops, 7, on_fail, &f), 1);
    assert_int_equal(f.n, 1);
    assert_int_equal(f.idx[0], 1);
    kernel_fake_lines(k, &n);
    assert_int_equal(n, 6);
    f.n = 0;
    kernel_fake_clear(k);
    kernel_fake_fail_at(k, 4);   /* route, route, rule, sysctl: then the transaction */
    assert_int_equal(kernel_apply_all(k, ops, 7, on_fail, &f), 2);
    assert_int_equal(f.n, 2);
    assert_int_equal(f.idx[0], 4);
    assert_int_equal(f.idx[1], 5);
    l = kernel_fake_lines(k, &n);
    assert_int_equal(n, 5);
    assert_string_equal(l[4], "ip route add unreachable 10.0.0.16/29 table ntk");

    /* a tolerant kop that fails is neither counted nor reported */
    f.n = 0;
    ops[1].tolerant = true;
    kernel_fake_fail_at(k, 1);
    assert_int_equal(kernel_apply_all(k, ops, 7, on_fail, &f), 0);
    assert_int_equal(f.n, 0);
    assert_int_equal(kernel_apply_all(k, ops, 0, on_fail, &f), 0);
    kernel_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_nft),
        cmocka_unit_test(test_rt_tables_strip),
        cmocka_unit_test(test_fake),
        cmocka_unit_test(test_fake_apply_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
