/* plan.c - ordered kernel plans of qspnd (pure functions). */
#include "plan.h"

#include <stdio.h>
#include <string.h>

static void push(GArray *a, kop op)
{
    g_array_append_val(a, op);
}

static size_t local_ips(const qspnd_config *c, ntk_local_ip *out, size_t max)
{
    return ntk_local_ips(&c->topo, &c->addr, c->serve_anonymous, out, max);
}

static size_t dests(const qspnd_config *c, ntk_dest **out)
{
    size_t max = ntk_destinations_max(&c->topo);
    *out = g_new0(ntk_dest, max ? max : 1);
    return ntk_destinations(&c->topo, &c->addr, c->subnet_level, *out, max);
}

GArray *plan_startup(const qspnd_config *c)
{
    GArray *a = g_array_new(FALSE, TRUE, sizeof(kop));
    char key[KOP_KEYLEN];
    ntk_local_ip ips[NTK_MAX_LEVELS + 2];
    size_t nips = local_ips(c, ips, G_N_ELEMENTS(ips));
    ntk_dest *d = NULL;
    size_t nd = dests(c, &d);

    /* Part 1 - system */
    push(a, kop_sysctl("net.ipv4.ip_forward", "1"));
    push(a, kop_sysctl("net.ipv4.conf.all.rp_filter", "0"));
    push(a, kop_addr(KOP_ADDR_ADD, "lo", ntk_ip_localhost(&c->topo), 32));

    /* Part 2/3 - per NIC, in -i order (src order: the link-local right after) */
    for (size_t i = 0; i < c->n_nics; i++) {
        const char *dev = c->nics[i].dev;
        snprintf(key, sizeof key, "net.ipv4.conf.%s.rp_filter", dev);
        push(a, kop_sysctl(key, "0"));
        snprintf(key, sizeof key, "net.ipv4.conf.%s.arp_ignore", dev);
        push(a, kop_sysctl(key, "1"));
        snprintf(key, sizeof key, "net.ipv4.conf.%s.arp_announce", dev);
        push(a, kop_sysctl(key, "2"));
        push(a, kop_link_up(dev));
        push(a, kop_addr(KOP_ADDR_ADD, dev, c->nics[i].linklocal, 32));
    }

    /* Part 4 - egress table */
    push(a, kop_rt_tables(KOP_RT_TABLES_ADD, KERNEL_TABLE_NTK, QSPND_TABLE_NTK_NAME));
    push(a, kop_rule(KOP_RULE_ADD, 0, KERNEL_TABLE_NTK, QSPND_TABLE_NTK_NAME));

    /* Part 5 - own addresses: outer loop address, inner loop NIC */
    for (size_t j = 0; j < nips; j++)
        for (size_t i = 0; i < c->n_nics; i++)
            push(a, kop_addr(KOP_ADDR_ADD, c->nics[i].dev, ips[j].addr, 32));

    /* Part 6 - every destination, unreachable, one block */
    for (size_t j = 0; j < nd; j++)
        push(a, kop_route(KOP_ROUTE_ADD, KROUTE_UNREACHABLE, d[j].cidr, KERNEL_TABLE_NTK,
                          QSPND_TABLE_NTK_NAME, 0, NULL, 0));

    /* Parts 7/8 - the nft table, NETMAP (PREROUTING then POSTROUTING, Eventi11
     * order) then SNAT: one transaction */
    push(a, kop_simple(KOP_NFT_TABLE_ADD));
    if (c->subnet_level > 0) {
        ntk_netmap_rule r[2 * NTK_MAX_LEVELS + 4];
        size_t nr = ntk_netmap_rules(&c->topo, &c->addr, c->subnet_level, c->serve_anonymous, r,
                                     G_N_ELEMENTS(r));
        for (size_t j = 0; j < nr; j++)
            push(a, kop_nat_netmap(&r[j]));
    }
    if (c->anonymize) {
        ntk_cidr match;
        uint32_t to;
        if (ntk_snat_rule(&c->topo, &c->addr, &match, &to))
            push(a, kop_nat_snat(match, to));
    }

    /* bootstrap of a new network completes at once: full update of ntk; with no
     * path known every route stays unreachable */
    for (size_t j = 0; j < nd; j++)
        push(a, kop_route(KOP_ROUTE_CHANGE, KROUTE_UNREACHABLE, d[j].cidr, KERNEL_TABLE_NTK,
                          QSPND_TABLE_NTK_NAME, 0, NULL, 0));
    g_free(d);
    return a;
}

static void push_tolerant(GArray *a, kop op)
{
    op.tolerant = true;
    g_array_append_val(a, op);
}

GArray *plan_teardown(const qspnd_config *c)
{
    GArray *a = g_array_new(FALSE, TRUE, sizeof(kop));
    ntk_local_ip ips[NTK_MAX_LEVELS + 2];
    size_t nips = local_ips(c, ips, G_N_ELEMENTS(ips));

    /* 4. Neighborhood stop: the link-local of each NIC */
    for (size_t i = 0; i < c->n_nics; i++)
        push_tolerant(a, kop_addr(KOP_ADDR_DEL, c->nics[i].dev, c->nics[i].linklocal, 32));
    /* 5., 6. and the rt_tables line of ntk */
    push_tolerant(a, kop_rule(KOP_RULE_DEL, 0, KERNEL_TABLE_NTK, QSPND_TABLE_NTK_NAME));
    push_tolerant(a, kop_route_flush(KERNEL_TABLE_NTK, QSPND_TABLE_NTK_NAME));
    push_tolerant(a, kop_rt_tables(KOP_RT_TABLES_DEL, KERNEL_TABLE_NTK, QSPND_TABLE_NTK_NAME));
    /* 7. and 9.: SNAT and NETMAP rules go with the whole nft table */
    push_tolerant(a, kop_simple(KOP_NFT_TABLE_DEL));
    /* 8. own addresses, then I_0 on lo */
    for (size_t j = 0; j < nips; j++)
        for (size_t i = 0; i < c->n_nics; i++)
            push_tolerant(a, kop_addr(KOP_ADDR_DEL, c->nics[i].dev, ips[j].addr, 32));
    push_tolerant(a, kop_addr(KOP_ADDR_DEL, "lo", ntk_ip_localhost(&c->topo), 32));
    return a;
}

GArray *plan_rollback(const kop *applied, size_t n)
{
    GArray *a = g_array_new(FALSE, TRUE, sizeof(kop));
    bool nft_done = false;
    for (size_t k = n; k-- > 0;) {
        const kop *op = &applied[k];
        kop inv;
        switch (op->type) {
        case KOP_ADDR_ADD:
            inv = *op;
            inv.type = KOP_ADDR_DEL;
            push_tolerant(a, inv);
            break;
        case KOP_RULE_ADD:
            inv = *op;
            inv.type = KOP_RULE_DEL;
            push_tolerant(a, inv);
            break;
        case KOP_ROUTE_ADD:
            inv = *op;
            inv.type = KOP_ROUTE_DEL;
            push_tolerant(a, inv);
            break;
        case KOP_RT_TABLES_ADD:
            inv = *op;
            inv.type = KOP_RT_TABLES_DEL;
            push_tolerant(a, inv);
            break;
        case KOP_NFT_TABLE_ADD:
        case KOP_NAT_ADD:
            if (!nft_done) {
                push_tolerant(a, kop_simple(KOP_NFT_TABLE_DEL));
                nft_done = true;
            }
            break;
        default:
            break;   /* sysctls, link up, changes: nothing to undo */
        }
    }
    return a;
}
