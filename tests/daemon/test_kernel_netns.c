/* test_kernel_netns.c - the libnl/libnftables backend against a real kernel, in
 * a private anonymous network namespace (unshare(CLONE_NEWNET): nothing to
 * clean up, it dies with the process).  Root only: exit 77 otherwise.
 * Checks every kop through `ip`/`nft` dumps, including the flags that differ
 * from libnl's defaults (protocol, scope, rule action, change without create). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kernel.h"
#include "kernel_nl.h"

#include <netlink/msg.h>

static kernel *K;
static char RT[256];

static char *sh(const char *cmd)
{
    gchar *out = NULL, *err = NULL;
    gint status = 0;
    if (!g_spawn_command_line_sync(cmd, &out, &err, &status, NULL))
        fail_msg("cannot run %s", cmd);
    g_free(err);
    /* 15 is RTPROT_NTK: `ip` names it "ntk" when it sees /etc/iproute2/rt_protos */
    GString *o = g_string_new(out);
    g_string_replace(o, " proto ntk", " proto 15", 0);
    g_free(out);
    return g_string_free(o, FALSE);
}

static void has(const char *cmd, const char *needle, bool want)
{
    char *o = sh(cmd);
    bool found = strstr(o, needle) != NULL;
    if (found != want)
        fail_msg("%s: '%s' %s in:\n%s", cmd, needle, want ? "missing" : "present", o);
    g_free(o);
}

static ntk_cidr C(const char *s)
{
    ntk_cidr c;
    assert_true(ntk_cidr_parse(s, &c));
    return c;
}

static int apply1(kop op)
{
    char err[256];
    return kernel_apply(K, &op, 1, NULL, err, sizeof err);
}

static void test_links_addresses(void **state)
{
    char mac[18];
    assert_true(kernel_link_mac(K, "eth1", mac, sizeof mac));
    assert_string_equal(mac, "00:16:3E:FD:E2:AA");
    assert_false(kernel_link_mac(K, "nope0", mac, sizeof mac));
    assert_int_equal(apply1(kop_link_up("eth1")), 0);
    has("ip link show dev eth1", ",UP", true);
    assert_int_equal(apply1(kop_link_up("nope0")), -1);

    assert_int_equal(apply1(kop_addr(KOP_ADDR_ADD, "eth1", C("10.0.0.26").addr, 32)), 0);
    has("ip -o addr show dev eth1", "inet 10.0.0.26/32 scope global eth1", true);
    has("ip -o addr show dev eth1", "brd", false);
    /* add is exclusive: a second add fails */
    assert_int_equal(apply1(kop_addr(KOP_ADDR_ADD, "eth1", C("10.0.0.26").addr, 32)), -1);
    assert_int_equal(apply1(kop_addr(KOP_ADDR_DEL, "eth1", C("10.0.0.26").addr, 32)), 0);
    has("ip -o addr show dev eth1", "10.0.0.26", false);
    assert_int_equal(apply1(kop_addr(KOP_ADDR_DEL, "eth1", C("10.0.0.26").addr, 32)), -1);

    assert_int_equal(apply1(kop_sysctl("net.ipv4.conf.eth1.arp_ignore", "1")), 0);
    char *v = sh("cat /proc/sys/net/ipv4/conf/eth1/arp_ignore");
    assert_string_equal(v, "1\n");
    g_free(v);
    assert_int_equal(apply1(kop_sysctl("net.ipv4.conf.nope0.arp_ignore", "1")), -1);
}

static void test_routes_rules(void **state)
{
    uint32_t gw = C("169.254.119.176").addr;
    assert_int_equal(apply1(kop_addr(KOP_ADDR_ADD, "eth1", C("169.254.69.30").addr, 32)), 0);
    assert_int_equal(apply1(kop_addr(KOP_ADDR_ADD, "eth1", C("10.0.0.41").addr, 32)), 0);
    /* a neighbour route as the Neighborhood module would add it */
    free(sh("ip route add 169.254.119.176 dev eth1 src 169.254.69.30"));

    kop add = kop_route(KOP_ROUTE_ADD, KROUTE_UNREACHABLE, C("10.0.0.40/32"), 251, "ntk", 0, NULL, 0);
    assert_int_equal(apply1(add), 0);
    has("ip route show table 251", "unreachable 10.0.0.40 proto 15 \n", true);
    has("ip -d route show table 251", "unreachable 10.0.0.40 proto 15 scope global", true);
    assert_int_equal(apply1(add), -1);            /* EXCL */

    kop via = kop_route(KOP_ROUTE_CHANGE, KROUTE_UNICAST, C("10.0.0.40/32"), 251, "ntk", gw, "eth1",
                        C("10.0.0.41").addr);
    assert_int_equal(apply1(via), 0);
    has("ip route show table 251", "10.0.0.40 via 169.254.119.176 dev eth1 proto 15 src 10.0.0.41", true);
    kop bh = kop_route(KOP_ROUTE_CHANGE, KROUTE_BLACKHOLE, C("10.0.0.40/32"), 251, "ntk", 0, NULL, 0);
    assert_int_equal(apply1(bh), 0);
    has("ip route show table 251", "blackhole 10.0.0.40 proto 15", true);
    /* change never creates */
    kop missing = kop_route(KOP_ROUTE_CHANGE, KROUTE_UNREACHABLE, C("10.0.0.48/31"), 251, "ntk", 0, NULL, 0);
    assert_int_equal(apply1(missing), -1);
    has("ip route show table 251", "10.0.0.48", false);

    kop del = kop_route(KOP_ROUTE_DEL, KROUTE_BLACKHOLE, C("10.0.0.40/32"), 251, "ntk", 0, NULL, 0);
    assert_int_equal(apply1(del), 0);
    has("ip route show table 251", "10.0.0.40", false);

    /* flush: every route of the table, only that table */
    assert_int_equal(apply1(kop_route(KOP_ROUTE_ADD, KROUTE_UNREACHABLE, C("10.0.0.0/29"), 251, "ntk", 0, NULL, 0)), 0);
    assert_int_equal(apply1(kop_route(KOP_ROUTE_ADD, KROUTE_UNREACHABLE, C("10.0.0.8/29"), 250, "x", 0, NULL, 0)), 0);
    free(sh("ip route add 10.0.0.16/29 table 251 via 169.254.119.176 dev eth1"));
    assert_int_equal(apply1(kop_route_flush(251, "ntk")), 0);
    has("ip route show table 251", "10.0.0", false);
    has("ip route show table 250", "10.0.0.8/29", true);

    /* rules: action to-table, family inet, optional fwmark */
    assert_int_equal(apply1(kop_rule(KOP_RULE_ADD, 0, 251, "ntk")), 0);
    has("ip rule", "from all lookup 251", true);
    has("ip rule", "none", false);
    /* like `ip rule add`, a rule without priority is never "the same" rule: the
     * kernel gives it the next priority, so a second add duplicates it (qspnd
     * must keep track, as the original's rule_added) */
    assert_int_equal(apply1(kop_rule(KOP_RULE_ADD, 0, 251, "ntk")), 0);
    assert_int_equal(apply1(kop_rule(KOP_RULE_DEL, 0, 251, "ntk")), 0);
    assert_int_equal(apply1(kop_rule(KOP_RULE_ADD, 250, 250, "x")), 0);
    has("ip rule", "from all fwmark 0xfa lookup 250", true);
    /* the fwmark rule is consulted before the plain one */
    char *r = sh("ip rule");
    assert_true(strstr(r, "fwmark 0xfa") < strstr(r, "lookup 251"));
    g_free(r);
    assert_int_equal(apply1(kop_rule(KOP_RULE_DEL, 0, 251, "ntk")), 0);
    has("ip rule", "lookup 251", false);
    has("ip rule", "fwmark 0xfa lookup 250", true);

    /* sweep: routes of protocol 15 in every table (and the nft table); never
     * rules, nor other programs' routes, even in qspnd's table range */
    free(sh("ip route add unreachable 10.9.0.0/24 proto 15"));
    free(sh("ip route add unreachable 10.8.0.0/24"));
    free(sh("ip route add unreachable 10.7.0.0/24 table 230 proto static"));
    free(sh("ip rule add table 230"));
    free(sh("ip rule add table 100"));
    assert_int_equal(apply1(kop_simple(KOP_SWEEP)), 0);
    has("ip rule", "lookup 230", true);
    has("ip rule", "lookup 100", true);
    has("ip rule", "fwmark 0xfa lookup 250", true);
    has("ip route show table 250", "10.0.0", false);
    has("ip route show", "10.9.0.0", false);
    has("ip route show", "10.8.0.0", true);
    has("ip route show table 230", "10.7.0.0", true);
    has("ip route show", "169.254.119.176", true);
    free(sh("ip rule del table 230"));
    free(sh("ip rule del table 100"));
    assert_int_equal(apply1(kop_rule(KOP_RULE_DEL, 250, 250, "x")), 0);
    free(sh("ip route del unreachable 10.8.0.0/24"));
    free(sh("ip route del unreachable 10.7.0.0/24 table 230"));
}

static void test_nft(void **state)
{
    char err[256];
    ntk_netmap_rule pre = { NTK_NAT_PREROUTING, C("10.0.0.12/31"), false, C("0.0.0.0/0"),
                            C("10.0.0.40/31"), 3, false };
    ntk_netmap_rule post = { NTK_NAT_POSTROUTING, C("10.0.0.48/30"), true, C("10.0.0.40/31"),
                             C("10.0.0.48/31"), 1, false };
    kop ops[4] = { kop_simple(KOP_NFT_TABLE_ADD), kop_nat_netmap(&pre), kop_nat_netmap(&post),
                   kop_nat_snat(C("10.0.0.64/27"), C("10.0.0.12").addr) };
    assert_int_equal(kernel_apply(K, ops, 4, NULL, err, sizeof err), 0);
    char *o = sh("nft list table ip qspnd");
    assert_non_null(strstr(o, "ip daddr 10.0.0.12/31 dnat prefix to 10.0.0.40/31"));
    assert_non_null(strstr(o, "ip saddr 10.0.0.40/31 ip daddr 10.0.0.48/30 snat prefix to 10.0.0.48/31\n"
                              "\t\tip daddr 10.0.0.64/27 snat to 10.0.0.12"));
    assert_non_null(strstr(o, "type filter hook prerouting priority mangle; policy accept;"));
    g_free(o);
    kop del = kop_simple(KOP_NFT_TABLE_DEL);
    assert_int_equal(kernel_apply(K, &del, 1, NULL, err, sizeof err), 0);
    has("nft list tables", "qspnd", false);
    /* deleting a missing table: error, unless tolerant (the sweep form) */
    assert_int_equal(kernel_apply(K, &del, 1, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "nft:"));
    del.tolerant = true;
    assert_int_equal(kernel_apply(K, &del, 1, NULL, err, sizeof err), 0);
    /* one transaction: a refused statement leaves nothing behind (not even the table) */
    assert_int_equal(K->vt->nft_run(K, NULL, 0,
                                    "add table ip qspnd\n"
                                    "add rule ip qspnd nochain ip daddr 10.0.0.1 accept\n",
                                    false, err, sizeof err), -1);
    has("nft list tables", "qspnd", false);
}

static void test_rt_tables_file(void **state)
{
    const char *orig = "#\n# reserved values\n#\n255\tlocal\n254\tmain\n253\tdefault\n0\tunspec\n";
    assert_true(g_file_set_contents(RT, orig, -1, NULL));
    assert_int_equal(apply1(kop_rt_tables(KOP_RT_TABLES_ADD, 251, "ntk")), 0);
    assert_int_equal(apply1(kop_rt_tables(KOP_RT_TABLES_ADD, 250, "ntk_from_00:16:3E:5B:78:D5")), 0);
    gchar *t = NULL;
    assert_true(g_file_get_contents(RT, &t, NULL, NULL));
    gchar *want = g_strconcat(orig, "\n251 ntk # xxx_table_ntk_xxx\n",
                              "\n250 ntk_from_00:16:3E:5B:78:D5 # xxx_table_ntk_from_00:16:3E:5B:78:D5_xxx\n", NULL);
    assert_string_equal(t, want);
    g_free(t);
    /* exact number and name: another program's marker line stays */
    assert_int_equal(apply1(kop_rt_tables(KOP_RT_TABLES_DEL, 250, "ntk")), -1);
    assert_int_equal(apply1(kop_rt_tables(KOP_RT_TABLES_DEL, 251, "ntk")), 0);
    assert_int_equal(apply1(kop_rt_tables(KOP_RT_TABLES_DEL, 251, "ntk")), -1);
    assert_int_equal(apply1(kop_rt_tables(KOP_RT_TABLES_DEL, 250, "ntk_from_00:16:3E:5B:78:D5")), 0);
    assert_true(g_file_get_contents(RT, &t, NULL, NULL));
    assert_string_equal(t, orig);
    g_free(t);
    g_free(want);
}

static char NS1[64], NS2[64];

static int netns_cleanup(void **state)
{
    gchar *c = g_strdup_printf("sh -c 'ip netns del %s; ip netns del %s' ", NS1, NS2);
    free(sh(c));
    g_free(c);
    free(sh("sh -c 'ip link del qtv0'"));
    return 0;
}

static void test_link_netns_del(void **state)
{
    char err[256];
    g_snprintf(NS1, sizeof NS1, "qt-%ld-kn", (long)getpid());
    g_snprintf(NS2, sizeof NS2, "qt-%ld-self", (long)getpid());
    /* a virtual link of the own namespace */
    free(sh("ip link add qtv0 type veth peer name qtv1"));
    assert_int_equal(apply1(kop_link_del(NULL, "qtv0")), 0);
    has("ip -o link", "qtv0", false);
    has("ip -o link", "qtv1", false);
    assert_int_equal(apply1(kop_link_del(NULL, "qtv0")), -1);
    /* never a link without a kind (lo, a physical NIC) */
    kop lo = kop_link_del("", "lo");
    assert_int_equal(kernel_apply(K, &lo, 1, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a virtual link"));
    has("ip -o link", "lo:", true);
    /* a link in another namespace, then the namespace (as `ip netns del`) */
    gchar *c = g_strdup_printf("ip netns add %s", NS1);
    free(sh(c));
    g_free(c);
    c = g_strdup_printf("ip -n %s link add d1 type veth peer name d2", NS1);
    free(sh(c));
    g_free(c);
    assert_int_equal(apply1(kop_link_del(NS1, "d1")), 0);
    c = g_strdup_printf("ip -n %s -o link", NS1);
    has(c, "d1", false);
    g_free(c);
    gchar *path = g_strdup_printf("/run/netns/%s", NS1);
    assert_true(g_file_test(path, G_FILE_TEST_EXISTS));
    assert_int_equal(apply1(kop_netns_del(NS1)), 0);
    assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    assert_int_equal(apply1(kop_netns_del(NS1)), -1);
    g_free(path);
    assert_int_equal(apply1(kop_netns_del("../etc")), -1);
    /* never the namespace the daemon is in */
    c = g_strdup_printf("ip netns attach %s %ld", NS2, (long)getpid());
    free(sh(c));
    g_free(c);
    path = g_strdup_printf("/run/netns/%s", NS2);
    assert_true(g_file_test(path, G_FILE_TEST_EXISTS));
    kop self = kop_netns_del(NS2);
    assert_int_equal(kernel_apply(K, &self, 1, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "refusing"));
    assert_true(g_file_test(path, G_FILE_TEST_EXISTS));
    g_free(path);
}

/* The interface-index cache: a link deleted and created again under the same
 * name gets a new index, and a route through it must use the new one. */
static void test_ifindex_cache(void **state)
{
    uint32_t gw = C("169.254.7.2").addr;
    free(sh("ip link add qtc0 type veth peer name qtc1"));
    free(sh("ip link set qtc0 up"));
    free(sh("ip address add 169.254.7.1/24 dev qtc0"));
    kop via = kop_route(KOP_ROUTE_ADD, KROUTE_UNICAST, C("10.9.0.1/32"), 300, "x", gw, "qtc0", 0);
    assert_int_equal(apply1(via), 0);          /* the index of qtc0 is cached now */
    has("ip route show table 300", "10.9.0.1 via 169.254.7.2 dev qtc0", true);
    free(sh("ip link del qtc0"));              /* its routes go with it */
    has("ip route show table 300", "10.9.0.1", false);
    assert_int_equal(apply1(via), -1);         /* no such interface: not cached */
    free(sh("ip link add qtc0 type veth peer name qtc1"));
    free(sh("ip link set qtc0 up"));
    free(sh("ip address add 169.254.7.1/24 dev qtc0"));
    assert_int_equal(apply1(via), 0);
    has("ip route show table 300", "10.9.0.1 via 169.254.7.2 dev qtc0", true);
    /* deleted and re-created between two lookups, no failed lookup in between */
    free(sh("ip link del qtc0"));
    free(sh("ip link add qtc0 type veth peer name qtc1"));
    free(sh("ip link set qtc0 up"));
    free(sh("ip address add 169.254.7.1/24 dev qtc0"));
    assert_int_equal(apply1(via), 0);
    has("ip route show table 300", "10.9.0.1 via 169.254.7.2 dev qtc0", true);
    free(sh("ip link del qtc0"));
}

typedef struct {
    size_t idx[8];
    size_t n;
    char err[8][256];
    int seen[3];                  /* observer: kops per kernel_op_result */
} batch_seen;

static void batch_fail(void *ctx, size_t index, const kop *op, const char *err)
{
    batch_seen *b = ctx;
    (void)op;
    if (b->n < 8) {
        b->idx[b->n] = index;
        g_strlcpy(b->err[b->n], err, sizeof b->err[0]);
    }
    b->n++;
}

static void batch_observe(void *ctx, const kernel *k, const kop *op, const char *line,
                          kernel_op_result result, const char *err)
{
    (void)k, (void)op, (void)line, (void)err;
    ((batch_seen *)ctx)->seen[result]++;
}

static size_t lines_with(const char *cmd, const char *needle)
{
    char *o = sh(cmd);
    size_t n = 0;
    for (const char *p = o; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    g_free(o);
    return n;
}

/* kernel_apply_all: failed kops in the middle of a batch are reported by
 * index, the kops around them are applied; non-batchable kops keep their place. */
static void test_apply_all(void **state)
{
    free(sh("ip link set eth1 up"));
    ntk_cidr a = C("10.40.0.0/24"), b = C("10.40.1.0/24");
    kop ops[10] = {
        kop_route(KOP_ROUTE_ADD, KROUTE_UNREACHABLE, a, 400, "t", 0, NULL, 0),
        kop_route(KOP_ROUTE_ADD, KROUTE_UNICAST, b, 400, "t", 0, "eth1", 0),
        kop_route(KOP_ROUTE_DEL, KROUTE_UNREACHABLE, C("10.40.9.0/24"), 400, "t", 0, NULL, 0),
        kop_route(KOP_ROUTE_DEL, KROUTE_UNREACHABLE, C("10.40.8.0/24"), 400, "t", 0, NULL, 0),
        kop_rule(KOP_RULE_ADD, 0, 400, "t"),
        kop_sysctl("net.ipv4.conf.eth1.arp_ignore", "2"),
        kop_route(KOP_ROUTE_ADD, KROUTE_UNREACHABLE, a, 400, "t", 0, NULL, 0),   /* EXCL */
        kop_route(KOP_ROUTE_CHANGE, KROUTE_BLACKHOLE, a, 400, "t", 0, NULL, 0),
        kop_route(KOP_ROUTE_ADD, KROUTE_UNICAST, C("10.40.2.0/24"), 400, "t", 0, "nope0", 0),
        kop_route(KOP_ROUTE_ADD, KROUTE_UNREACHABLE, C("10.40.3.0/24"), 400, "t", 0, NULL, 0),
    };
    ops[3].tolerant = true;       /* "already gone": ignored, not reported */
    batch_seen seen = { .n = 0 };
    kernel_set_observer(K, batch_observe, &seen);
    assert_int_equal(kernel_apply_all(K, ops, 10, batch_fail, &seen), 3);
    kernel_set_observer(K, NULL, NULL);
    assert_int_equal(seen.n, 3);
    assert_int_equal(seen.idx[0], 2);
    assert_int_equal(seen.idx[1], 6);
    assert_int_equal(seen.idx[2], 8);
    assert_non_null(strstr(seen.err[0], "route del: "));
    assert_non_null(strstr(seen.err[1], "route add: "));
    assert_non_null(strstr(seen.err[2], "nope0"));
    assert_int_equal(seen.seen[KERNEL_OP_OK], 6);
    assert_int_equal(seen.seen[KERNEL_OP_FAILED], 3);
    assert_int_equal(seen.seen[KERNEL_OP_IGNORED], 1);
    has("ip route show table 400", "blackhole 10.40.0.0/24 proto 15", true);
    has("ip route show table 400", "10.40.1.0/24 dev eth1 proto 15 scope link", true);
    has("ip route show table 400", "unreachable 10.40.3.0/24 proto 15", true);
    has("ip route show table 400", "10.40.2.0", false);
    has("ip rule", "lookup 400", true);
    char *v = sh("cat /proc/sys/net/ipv4/conf/eth1/arp_ignore");
    assert_string_equal(v, "2\n");
    g_free(v);
    free(sh("ip rule del table 400"));
    assert_int_equal(apply1(kop_route_flush(400, "t")), 0);
}

/* The batch writes route requests itself: byte for byte what libnl builds
 * for the one-at-a-time path (so both paths mean the same to the kernel). */
static void test_route_raw(void **state)
{
    ntk_cidr d = C("10.40.0.0/24");
    uint32_t gw = C("169.254.0.2").addr, src = C("10.0.0.41").addr;
    const kop ops[] = {
        kop_route(KOP_ROUTE_ADD, KROUTE_UNREACHABLE, d, 251, "ntk", 0, NULL, 0),
        kop_route(KOP_ROUTE_ADD, KROUTE_BLACKHOLE, d, 1000, "t", 0, NULL, src),
        kop_route(KOP_ROUTE_CHANGE, KROUTE_BLACKHOLE, d, 1000, "t", 0, NULL, 0),
        kop_route(KOP_ROUTE_DEL, KROUTE_UNREACHABLE, C("10.40.0.7/32"), 200, "t", 0, NULL, 0),
        kop_route(KOP_ROUTE_ADD, KROUTE_UNICAST, d, 1000, "t", gw, "eth1", src),
        kop_route(KOP_ROUTE_CHANGE, KROUTE_UNICAST, d, 251, "ntk", 0, "eth1", 0),
        kop_route(KOP_ROUTE_CHANGE, KROUTE_UNICAST, d, 251, "ntk", gw, NULL, src),
        kop_route(KOP_ROUTE_DEL, KROUTE_UNICAST, d, 1000, "t", gw, "eth1", src),
    };
    nl_priv *p = K->priv;
    char err[256], raw[256];
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        struct nl_msg *msg = NULL;
        assert_int_equal(nl_kop_request(p, &ops[i], false, &msg, err, sizeof err), 0);
        struct nlmsghdr *h = nlmsg_hdr(msg);
        int n = nl_route_raw(p, &ops[i], false, raw, sizeof raw, err, sizeof err);
        if (n != (int)h->nlmsg_len || memcmp(raw, h, h->nlmsg_len) != 0)
            fail_msg("kop %zu: %d bytes written, libnl builds %u (or they differ)", i, n,
                     h->nlmsg_len);
        nlmsg_free(msg);
    }
    assert_int_equal(nl_route_raw(p, &ops[0], false, raw, 16, err, sizeof err), 0);
    kop nodev = kop_route(KOP_ROUTE_ADD, KROUTE_UNICAST, d, 251, "ntk", gw, "nope0", 0);
    assert_int_equal(nl_route_raw(p, &nodev, false, raw, sizeof raw, err, sizeof err), -1);
}

/* More kops than one send (5,000 routes): all applied, a failure still exact. */
static void test_apply_all_large(void **state)
{
    enum { N = 5000 };
    kop *ops = g_new(kop, N);
    for (size_t i = 0; i < N; i++) {
        ntk_cidr d = { C("10.50.0.0").addr + (uint32_t)i, 32 };
        ops[i] = kop_route(KOP_ROUTE_ADD, KROUTE_UNREACHABLE, d, 401, "t", 0, NULL, 0);
    }
    batch_seen seen = { .n = 0 };
    assert_int_equal(kernel_apply_all(K, ops, N, batch_fail, &seen), 0);
    assert_int_equal(lines_with("ip route show table 401", "unreachable 10.50."), N);
    for (size_t i = 0; i < N; i++) {
        ops[i].type = KOP_ROUTE_CHANGE;
        ops[i].rtype = KROUTE_BLACKHOLE;
    }
    ops[2500].dst.addr = C("10.51.0.0").addr;    /* change never creates: ENOENT */
    assert_int_equal(kernel_apply_all(K, ops, N, batch_fail, &seen), 1);
    assert_int_equal(seen.idx[0], 2500);
    assert_int_equal(lines_with("ip route show table 401", "blackhole 10.50."), N - 1);
    assert_int_equal(lines_with("ip route show table 401", "unreachable 10.50."), 1);
    for (size_t i = 0; i < N; i++)
        ops[i].type = KOP_ROUTE_DEL;
    ops[2500].tolerant = true;
    seen.n = 0;
    assert_int_equal(kernel_apply_all(K, ops, N, batch_fail, &seen), 0);
    assert_int_equal(lines_with("ip route show table 401", "10.5"), 1);
    g_free(ops);
    assert_int_equal(apply1(kop_route_flush(401, "t")), 0);
}

int main(void)
{
    if (getuid() != 0) {
        printf("SKIP: needs root\n");
        return 77;
    }
    if (unshare(CLONE_NEWNET) != 0) {
        printf("SKIP: unshare(CLONE_NEWNET) failed\n");
        return 77;
    }
    free(sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1"));
    free(sh("ip link set lo up"));
    free(sh("ip link add eth1 type veth peer name eth2"));
    free(sh("ip link set dev eth1 address 00:16:3E:FD:E2:AA"));
    free(sh("ip link set eth2 up"));
    gchar *dir = g_dir_make_tmp("qt-kernel-XXXXXX", NULL);
    g_snprintf(RT, sizeof RT, "%s/rt_tables", dir);
    char err[256];
    K = kernel_netlink_new(RT, err, sizeof err);
    if (!K) {
        printf("kernel_netlink_new: %s\n", err);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_links_addresses),
        cmocka_unit_test(test_routes_rules),
        cmocka_unit_test(test_nft),
        cmocka_unit_test(test_ifindex_cache),
        cmocka_unit_test(test_rt_tables_file),
        cmocka_unit_test(test_apply_all),
        cmocka_unit_test(test_route_raw),
        cmocka_unit_test(test_apply_all_large),
        cmocka_unit_test_teardown(test_link_netns_del, netns_cleanup),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    kernel_free(K);
    g_unlink(RT);
    g_rmdir(dir);
    g_free(dir);
    return rc;
}
