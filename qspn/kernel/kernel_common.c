/* kernel_common.c - kop constructors, text forms, rt_tables editing (the apply loop: kernel_apply.c). */
#include "kernel.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void copy_str(char *dst, size_t len, const char *src)
{
    if (len == 0)
        return;
    g_strlcpy(dst, src ? src : "", len);
}

kop kop_sysctl(const char *key, const char *value)
{
    kop op;
    memset(&op, 0, sizeof op);
    op.type = KOP_SYSCTL;
    copy_str(op.key, sizeof op.key, key);
    copy_str(op.value, sizeof op.value, value);
    /* "net.ipv4.conf.eth1.rp_filter" -> "net/ipv4/conf/eth1/rp_filter"; an
     * interface name may itself contain dots, so the fixed prefix/suffix
     * structure of conf keys is respected. */
    const char *conf = "net.ipv4.conf.";
    size_t cl = strlen(conf);
    if (strncmp(key, conf, cl) == 0) {
        const char *last = strrchr(key, '.');
        if (last && last > key + cl) {
            int devlen = (int)(last - (key + cl));
            snprintf(op.path, sizeof op.path, "net/ipv4/conf/%.*s/%s", devlen, key + cl, last + 1);
            return op;
        }
    }
    copy_str(op.path, sizeof op.path, key);
    for (char *p = op.path; *p; p++)
        if (*p == '.')
            *p = '/';
    return op;
}

kop kop_link_up(const char *dev)
{
    kop op;
    memset(&op, 0, sizeof op);
    op.type = KOP_LINK_UP;
    copy_str(op.dev, sizeof op.dev, dev);
    return op;
}

kop kop_addr(kop_type t, const char *dev, uint32_t addr, int prefix)
{
    kop op;
    memset(&op, 0, sizeof op);
    op.type = t;
    copy_str(op.dev, sizeof op.dev, dev);
    op.addr = addr;
    op.prefix = prefix;
    return op;
}

kop kop_rt_tables(kop_type t, uint32_t table, const char *name)
{
    kop op;
    memset(&op, 0, sizeof op);
    op.type = t;
    op.table = table;
    copy_str(op.table_name, sizeof op.table_name, name);
    return op;
}

kop kop_rule(kop_type t, uint32_t fwmark, uint32_t table, const char *name)
{
    kop op = kop_rt_tables(t, table, name);
    op.fwmark = fwmark;
    return op;
}

kop kop_route(kop_type t, kroute_type rtype, ntk_cidr dst, uint32_t table, const char *name,
              uint32_t gw, const char *dev, uint32_t src)
{
    kop op = kop_rt_tables(t, table, name);
    op.rtype = rtype;
    op.dst = dst;
    op.gw = gw;
    copy_str(op.dev, sizeof op.dev, dev);
    op.src = src;
    return op;
}

kop kop_route_flush(uint32_t table, const char *name)
{
    return kop_rt_tables(KOP_ROUTE_FLUSH, table, name);
}

kop kop_nat_snat(ntk_cidr match, uint32_t to)
{
    kop op;
    memset(&op, 0, sizeof op);
    op.type = KOP_NAT_ADD;
    op.nat = KNAT_SNAT;
    op.chain = NTK_NAT_POSTROUTING;
    op.nat_dst = match;
    op.nat_to.addr = to;
    op.nat_to.prefix = 32;
    return op;
}

kop kop_nat_netmap(const ntk_netmap_rule *r)
{
    kop op;
    memset(&op, 0, sizeof op);
    op.type = KOP_NAT_ADD;
    op.nat = KNAT_NETMAP;
    op.chain = r->chain;
    op.nat_dst = r->dst;
    op.nat_has_src = r->has_src;
    op.nat_src = r->src;
    op.nat_to = r->to;
    return op;
}

kop kop_simple(kop_type t)
{
    kop op;
    memset(&op, 0, sizeof op);
    op.type = t;
    op.tolerant = (t == KOP_SWEEP);
    return op;
}

kop kop_link_del(const char *netns, const char *dev)
{
    kop op;
    memset(&op, 0, sizeof op);
    op.type = KOP_LINK_DEL;
    copy_str(op.dev, sizeof op.dev, dev);
    copy_str(op.netns, sizeof op.netns, netns);
    return op;
}

kop kop_netns_del(const char *name)
{
    kop op;
    memset(&op, 0, sizeof op);
    op.type = KOP_NETNS_DEL;
    copy_str(op.netns, sizeof op.netns, name);
    return op;
}

kop kop_mark(const char *mac, uint32_t fwmark)
{
    kop op;
    memset(&op, 0, sizeof op);
    op.type = KOP_MARK_ADD;
    copy_str(op.mac, sizeof op.mac, mac);
    op.fwmark = fwmark;
    return op;
}

kop kop_nft_chain_flush(knft_chain chain)
{
    kop op;
    memset(&op, 0, sizeof op);
    op.type = KOP_NFT_CHAIN_FLUSH;
    op.nft_chain = chain;
    return op;
}

kop kop_netns(kop_type t, const char *name)
{
    kop op;
    memset(&op, 0, sizeof op);
    op.type = t;
    copy_str(op.netns, sizeof op.netns, name);
    return op;
}

kop kop_macvlan(const char *dev, const char *link, const char *mac, const char *netns)
{
    kop op;
    memset(&op, 0, sizeof op);
    op.type = KOP_MACVLAN_ADD;
    copy_str(op.dev, sizeof op.dev, dev);
    copy_str(op.link, sizeof op.link, link);
    copy_str(op.mac, sizeof op.mac, mac);
    copy_str(op.netns, sizeof op.netns, netns);
    return op;
}

static const char *chain_name(knft_chain c)
{
    switch (c) {
    case KNFT_NAT_PREROUTING:
        return "nat_prerouting";
    case KNFT_NAT_POSTROUTING:
        return "nat_postrouting";
    default:
        return "mangle_prerouting";
    }
}

static const char *ipstr(uint32_t a, char *buf, size_t len)
{
    ntk_ip_format(a, buf, len);
    return buf;
}

static const char *cidrstr(ntk_cidr c, char *buf, size_t len)
{
    ntk_cidr_format(c, buf, len);
    return buf;
}

const char *kop_format(const kop *op, const char *rt_tables, char *buf, size_t len)
{
    char a[NTK_STRLEN], b[NTK_STRLEN], c[NTK_STRLEN], d[NTK_STRLEN];
    const char *rtt = rt_tables && *rt_tables ? rt_tables : "/etc/iproute2/rt_tables";
    const char *verb;
    GString *s;

    if (len == 0)
        return buf;
    buf[0] = '\0';
    switch (op->type) {
    case KOP_SYSCTL:
        snprintf(buf, len, "sysctl %s=%s", op->key, op->value);
        break;
    case KOP_LINK_UP:
        snprintf(buf, len, "ip link set dev %s up", op->dev);
        break;
    case KOP_ADDR_ADD:
        if (op->prefix == 32)
            snprintf(buf, len, "ip address add %s dev %s", ipstr(op->addr, a, sizeof a), op->dev);
        else
            snprintf(buf, len, "ip address add %s/%d dev %s", ipstr(op->addr, a, sizeof a),
                     op->prefix, op->dev);
        break;
    case KOP_ADDR_DEL:
        snprintf(buf, len, "ip address del %s/%d dev %s", ipstr(op->addr, a, sizeof a),
                 op->prefix, op->dev);
        break;
    case KOP_RT_TABLES_ADD:
        snprintf(buf, len, "(echo; echo \"%u %s # xxx_table_%s_xxx\") | tee -a %s >/dev/null",
                 op->table, op->table_name, op->table_name, rtt);
        break;
    case KOP_RT_TABLES_DEL:
        snprintf(buf, len, "sed -i '/xxx_table_%s_xxx/d' %s", op->table_name, rtt);
        break;
    case KOP_RULE_ADD:
    case KOP_RULE_DEL:
        verb = op->type == KOP_RULE_ADD ? "add" : "del";
        if (op->fwmark)
            snprintf(buf, len, "ip rule %s fwmark %u table %s", verb, op->fwmark, op->table_name);
        else
            snprintf(buf, len, "ip rule %s table %s", verb, op->table_name);
        break;
    case KOP_ROUTE_ADD:
    case KOP_ROUTE_CHANGE:
    case KOP_ROUTE_DEL:
        verb = op->type == KOP_ROUTE_ADD ? "add" : op->type == KOP_ROUTE_CHANGE ? "change" : "del";
        s = g_string_new(NULL);
        g_string_append_printf(s, "ip route %s ", verb);
        if (op->rtype == KROUTE_UNREACHABLE)
            g_string_append(s, "unreachable ");
        else if (op->rtype == KROUTE_BLACKHOLE)
            g_string_append(s, "blackhole ");
        if (op->table == KERNEL_TABLE_MAIN)
            g_string_append(s, cidrstr(op->dst, a, sizeof a));
        else
            g_string_append_printf(s, "%s table %s", cidrstr(op->dst, a, sizeof a), op->table_name);
        if (op->rtype == KROUTE_UNICAST) {
            if (op->gw)
                g_string_append_printf(s, " via %s", ipstr(op->gw, b, sizeof b));
            if (op->dev[0])
                g_string_append_printf(s, " dev %s", op->dev);
            if (op->src)
                g_string_append_printf(s, " src %s", ipstr(op->src, c, sizeof c));
        }
        g_strlcpy(buf, s->str, len);
        g_string_free(s, TRUE);
        break;
    case KOP_ROUTE_FLUSH:
        snprintf(buf, len, "ip route flush table %s", op->table_name);
        break;
    case KOP_NFT_TABLE_ADD:
        snprintf(buf, len, "nft add table %s %s", KERNEL_NFT_FAMILY, KERNEL_NFT_TABLE);
        break;
    case KOP_NFT_TABLE_DEL:
        snprintf(buf, len, "nft delete table %s %s", KERNEL_NFT_FAMILY, KERNEL_NFT_TABLE);
        break;
    case KOP_NAT_ADD:
        if (op->nat == KNAT_SNAT) {
            snprintf(buf, len, "iptables -t nat -A POSTROUTING -d %s -j SNAT --to %s",
                     cidrstr(op->nat_dst, a, sizeof a), ipstr(op->nat_to.addr, b, sizeof b));
        } else if (op->nat_has_src) {
            snprintf(buf, len, "iptables -t nat -A %s -d %s -s %s -j NETMAP --to %s",
                     op->chain == NTK_NAT_PREROUTING ? "PREROUTING" : "POSTROUTING",
                     cidrstr(op->nat_dst, a, sizeof a), cidrstr(op->nat_src, b, sizeof b),
                     cidrstr(op->nat_to, c, sizeof c));
        } else {
            snprintf(buf, len, "iptables -t nat -A %s -d %s -j NETMAP --to %s",
                     op->chain == NTK_NAT_PREROUTING ? "PREROUTING" : "POSTROUTING",
                     cidrstr(op->nat_dst, a, sizeof a), cidrstr(op->nat_to, d, sizeof d));
        }
        break;
    case KOP_MARK_ADD:
        snprintf(buf, len, "iptables -t mangle -A PREROUTING -m mac --mac-source %s -j MARK --set-mark %u",
                 op->mac, op->fwmark);
        break;
    case KOP_NFT_CHAIN_FLUSH:
        snprintf(buf, len, "nft flush chain %s %s %s", KERNEL_NFT_FAMILY, KERNEL_NFT_TABLE,
                 chain_name(op->nft_chain));
        break;
    case KOP_NETNS_ADD:
        snprintf(buf, len, "ip netns add %s", op->netns);
        break;
    case KOP_MACVLAN_ADD:
        snprintf(buf, len, "ip link add dev %s link %s%s%s type macvlan; ip link set dev %s netns %s",
                 op->dev, op->link, op->mac[0] ? " address " : "", op->mac, op->dev, op->netns);
        break;
    case KOP_SWEEP:
        snprintf(buf, len, "# sweep leftovers: routes of proto %d in every table, nft table %s %s",
                 KERNEL_RTPROT_QSPN, KERNEL_NFT_FAMILY, KERNEL_NFT_TABLE);
        break;
    case KOP_LINK_DEL:
        if (op->netns[0])
            snprintf(buf, len, "ip -n %s link del dev %s", op->netns, op->dev);
        else
            snprintf(buf, len, "ip link del dev %s", op->dev);
        break;
    case KOP_NETNS_DEL:
        snprintf(buf, len, "ip netns del %s", op->netns);
        break;
    }
    return buf;
}

const char *kop_format_nft(const kop *op, char *buf, size_t len)
{
    char a[NTK_STRLEN], b[NTK_STRLEN], c[NTK_STRLEN];
    const char *t = KERNEL_NFT_FAMILY " " KERNEL_NFT_TABLE;

    if (len == 0)
        return buf;
    buf[0] = '\0';
    switch (op->type) {
    case KOP_NFT_TABLE_ADD:
        snprintf(buf, len,
                 "add table %s\n"
                 "add chain %s nat_prerouting { type nat hook prerouting priority dstnat; policy accept; }\n"
                 "add chain %s nat_postrouting { type nat hook postrouting priority srcnat; policy accept; }\n"
                 "add chain %s mangle_prerouting { type filter hook prerouting priority mangle; policy accept; }\n",
                 t, t, t, t);
        break;
    case KOP_NFT_TABLE_DEL:
        /* "add" first so that deleting a missing table is not an error when tolerant */
        if (op->tolerant)
            snprintf(buf, len, "add table %s\ndelete table %s\n", t, t);
        else
            snprintf(buf, len, "delete table %s\n", t);
        break;
    case KOP_MARK_ADD: {
        char low[18];
        copy_str(low, sizeof low, op->mac);
        for (char *p = low; *p; p++)
            *p = g_ascii_tolower(*p);
        snprintf(buf, len, "add rule %s mangle_prerouting ether saddr %s meta mark set %u\n", t, low,
                 op->fwmark);
        break;
    }
    case KOP_NFT_CHAIN_FLUSH:
        snprintf(buf, len, "flush chain %s %s\n", t, chain_name(op->nft_chain));
        break;
    case KOP_NAT_ADD:
        if (op->nat == KNAT_SNAT)
            snprintf(buf, len, "add rule %s nat_postrouting ip daddr %s snat to %s\n", t,
                     cidrstr(op->nat_dst, a, sizeof a), ipstr(op->nat_to.addr, b, sizeof b));
        else if (op->chain == NTK_NAT_PREROUTING)
            snprintf(buf, len, "add rule %s nat_prerouting ip daddr %s dnat ip prefix to %s\n", t,
                     cidrstr(op->nat_dst, a, sizeof a), cidrstr(op->nat_to, b, sizeof b));
        else if (op->nat_has_src)
            snprintf(buf, len,
                     "add rule %s nat_postrouting ip saddr %s ip daddr %s snat ip prefix to %s\n", t,
                     cidrstr(op->nat_src, a, sizeof a), cidrstr(op->nat_dst, b, sizeof b),
                     cidrstr(op->nat_to, c, sizeof c));
        else
            snprintf(buf, len, "add rule %s nat_postrouting ip daddr %s snat ip prefix to %s\n", t,
                     cidrstr(op->nat_dst, a, sizeof a), cidrstr(op->nat_to, b, sizeof b));
        break;
    default:
        break;
    }
    return buf;
}

/* "<table> <name> # xxx_table_<name>_xxx", exactly. */
static bool is_marker_line(const char *line, uint32_t table, const char *name)
{
    const char *p = line;
    uint64_t num = 0;
    if (!g_ascii_isdigit(*p) || (p[0] == '0' && g_ascii_isdigit(p[1])))
        return false;
    while (g_ascii_isdigit(*p) && num <= G_MAXUINT32)
        num = num * 10 + (uint64_t)(*p++ - '0');
    if (num != table || *p++ != ' ')
        return false;
    const char *nstart = p;
    while (*p && *p != ' ')
        p++;
    size_t nlen = (size_t)(p - nstart);
    if (nlen == 0)
        return false;
    if (strlen(name) != nlen || strncmp(name, nstart, nlen) != 0)
        return false;
    if (strncmp(p, " # xxx_table_", 13) != 0)
        return false;
    p += 13;
    if (strncmp(p, nstart, nlen) != 0)
        return false;
    p += nlen;
    return strcmp(p, "_xxx") == 0;
}

char *kernel_rt_tables_strip(const char *text, uint32_t table, const char *name, int *removed)
{
    size_t len = strlen(text);
    bool trailing_nl = len > 0 && text[len - 1] == '\n';
    gchar *body = g_strndup(text, trailing_nl ? len - 1 : len);
    gchar **lines = g_strsplit(body, "\n", -1);
    GPtrArray *keep = g_ptr_array_new();
    int count = 0;

    g_free(body);
    if (len == 0) {
        g_strfreev(lines);
        g_ptr_array_free(keep, TRUE);
        if (removed)
            *removed = 0;
        return g_strdup("");
    }
    /* only the last such line: two qspnd sharing one file (different
     * namespaces) each appended, and each removes, its own copy */
    gint last = -1;
    for (gint i = 0; lines[i]; i++)
        if (is_marker_line(lines[i], table, name))
            last = i;
    for (gint i = 0; lines[i]; i++) {
        if (i == last) {
            count++;
            if (keep->len > 0 && ((const char *)g_ptr_array_index(keep, keep->len - 1))[0] == '\0')
                g_ptr_array_remove_index(keep, keep->len - 1);
            continue;
        }
        g_ptr_array_add(keep, lines[i]);
    }
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < keep->len; i++) {
        g_string_append(out, g_ptr_array_index(keep, i));
        if (i + 1 < keep->len || trailing_nl)
            g_string_append_c(out, '\n');
    }
    g_ptr_array_free(keep, TRUE);
    g_strfreev(lines);
    if (removed)
        *removed = count;
    return g_string_free(out, FALSE);
}

bool kernel_netns_exists(const char *name)
{
    if (!name || !name[0] || strchr(name, '/') || strlen(name) >= KOP_NAMELEN)
        return false;
    gchar *path = g_build_filename("/run/netns", name, NULL);
    bool ok = access(path, F_OK) == 0;
    g_free(path);
    return ok;
}
