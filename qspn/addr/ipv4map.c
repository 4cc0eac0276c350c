/* ipv4map.c - the mapping of Netsukuku addresses into 10.0.0.0/8
 * (Proof/IndirizziIP.md, Proof/AnalisiFunzionale.md, behaviour.md §3.2–§3.7).
 *
 * With B = Σ gexp and off(i) the first bit of level i, a 24-bit value V becomes
 * 10.(V>>16).(V>>8 & 255).(V & 255); bits B+1,B carry the type: 0 global,
 * 1 internal, 2 anonymising. Internal-at-level-k values write k in the slot of
 * the top level and keep only the positions below k. */
#include "ntkaddr.h"

#include <stdio.h>
#include <string.h>

#define NET10 0x0a000000u

static uint32_t type_bits(const ntk_topology *t, ntk_ip_kind kind)
{
    int b = ntk_topology_bits(t);
    switch (kind) {
    case NTK_IP_ANON:
        return 2u << b;
    case NTK_IP_INTERNAL:
        return 1u << b;
    case NTK_IP_GLOBAL:
    default:
        return 0;
    }
}

/* Σ pos(j) << off(j) for from <= j < to. */
static uint32_t positions_value(const ntk_topology *t, const ntk_naddr *a, int from, int to)
{
    uint32_t v = 0;
    for (int j = from; j < to; j++)
        v += (uint32_t)a->pos[j] << t->off[j];
    return v;
}

/* Value and validity of the g-node of level i containing a (i = 0: the node). */
static bool gnode_value(const ntk_topology *t, const ntk_naddr *a, int i, ntk_ip_kind kind,
                        int k, uint32_t *v)
{
    int l = t->levels;
    if (i < 0 || i > l || a->levels != l)
        return false;
    if (kind == NTK_IP_INTERNAL) {
        if (k < i || k >= l)
            return false;
        if (!ntk_naddr_real_range(t, a, i, k - 1))
            return false;
        *v = type_bits(t, kind) + ((uint32_t)k << t->off[l - 1]) + positions_value(t, a, i, k);
        return true;
    }
    if (kind != NTK_IP_GLOBAL && kind != NTK_IP_ANON)
        return false;
    if (!ntk_naddr_real_range(t, a, i, l - 1))
        return false;
    *v = type_bits(t, kind) + positions_value(t, a, i, l);
    return true;
}

bool ntk_ip_node(const ntk_topology *t, const ntk_naddr *a, ntk_ip_kind kind, int k,
                 uint32_t *out)
{
    uint32_t v;
    /* I_0 has an empty prefix range, so gnode_value(i=0, k=0) covers it. */
    if (!gnode_value(t, a, 0, kind, kind == NTK_IP_INTERNAL ? k : -1, &v))
        return false;
    *out = NET10 | v;
    return true;
}

bool ntk_ip_gnode(const ntk_topology *t, const ntk_naddr *a, int i, ntk_ip_kind kind, int k,
                  ntk_cidr *out)
{
    uint32_t v;
    if (!gnode_value(t, a, i, kind, k, &v))
        return false;
    out->addr = NET10 | v;
    out->prefix = 32 - t->off[i];
    return true;
}

uint32_t ntk_ip_localhost(const ntk_topology *t)
{
    return NET10 | type_bits(t, NTK_IP_INTERNAL);
}

ntk_cidr ntk_ip_global_range(const ntk_topology *t)
{
    return (ntk_cidr){ .addr = NET10, .prefix = 32 - ntk_topology_bits(t) };
}

ntk_cidr ntk_ip_anon_range(const ntk_topology *t)
{
    return (ntk_cidr){ .addr = NET10 | type_bits(t, NTK_IP_ANON),
                       .prefix = 32 - ntk_topology_bits(t) };
}

size_t ntk_local_ips(const ntk_topology *t, const ntk_naddr *a, bool serve_anonymous,
                     ntk_local_ip *out, size_t max)
{
    size_t n = 0;
    uint32_t ip;
    if (ntk_ip_node(t, a, NTK_IP_GLOBAL, -1, &ip)) {
        if (n < max)
            out[n] = (ntk_local_ip){ ip, NTK_IP_GLOBAL, -1 };
        n++;
        if (serve_anonymous && ntk_ip_node(t, a, NTK_IP_ANON, -1, &ip)) {
            if (n < max)
                out[n] = (ntk_local_ip){ ip, NTK_IP_ANON, -1 };
            n++;
        }
    }
    for (int k = t->levels - 1; k >= 1; k--) {
        if (!ntk_ip_node(t, a, NTK_IP_INTERNAL, k, &ip))
            continue;
        if (n < max)
            out[n] = (ntk_local_ip){ ip, NTK_IP_INTERNAL, k };
        n++;
    }
    return n;
}

size_t ntk_destinations_max(const ntk_topology *t)
{
    /* Per level: every real position (a virtual own position skips none),
     * each with global + anonymising + one internal per higher level. */
    size_t n = 0;
    for (int i = 0; i < t->levels; i++)
        n += (size_t)t->gsize[i] * (size_t)(2 + (t->levels - 1 - i));
    return n;
}

size_t ntk_destinations(const ntk_topology *t, const ntk_naddr *a, int subnet_level,
                        ntk_dest *out, size_t max)
{
    size_t n = 0;
    int l = t->levels;
    if (subnet_level < 0)
        subnet_level = 0;
    for (int i = l - 1; i >= subnet_level; i--) {
        for (int j = 0; j < t->gsize[i]; j++) {
            if (j == a->pos[i])
                continue;              /* own g-node; a virtual own position skips none */
            ntk_hcoord hc = { .lvl = i, .pos = j };
            ntk_naddr d = ntk_naddr_of_hcoord(a, hc);
            ntk_cidr c;
            /* A CIDR is a destination exactly when it exists for d: the
             * realness conditions of behaviour.md §3.5 are those of §3.3. */
            static const ntk_ip_kind outer[] = { NTK_IP_GLOBAL, NTK_IP_ANON };
            for (size_t o = 0; o < 2; o++) {
                if (!ntk_ip_gnode(t, &d, i, outer[o], -1, &c))
                    continue;
                if (n < max)
                    out[n] = (ntk_dest){ hc, c, outer[o], -1 };
                n++;
            }
            for (int k = l - 1; k >= i + 1; k--) {
                if (!ntk_ip_gnode(t, &d, i, NTK_IP_INTERNAL, k, &c))
                    continue;
                if (n < max)
                    out[n] = (ntk_dest){ hc, c, NTK_IP_INTERNAL, k };
                n++;
            }
        }
    }
    return n;
}

bool ntk_snat_rule(const ntk_topology *t, const ntk_naddr *a, ntk_cidr *match, uint32_t *to)
{
    if (!ntk_ip_node(t, a, NTK_IP_GLOBAL, -1, to))
        return false;
    *match = ntk_ip_anon_range(t);
    return true;
}

static void put_rule(ntk_netmap_rule *out, size_t max, size_t *n, ntk_netmap_rule r)
{
    if (*n < max)
        out[*n] = r;
    (*n)++;
}

size_t ntk_netmap_rules(const ntk_topology *t, const ntk_naddr *a, int s,
                        bool serve_anonymous, ntk_netmap_rule *out, size_t max)
{
    int l = t->levels;
    size_t n = 0;
    if (s < 1 || s >= l)
        return 0;
    ntk_cidr range1;
    if (!ntk_ip_gnode(t, a, s, NTK_IP_INTERNAL, s, &range1))
        return 0;

    /* The pair of level i exists while the own address it maps to exists:
     * range2_i = I(n, s, i+1) for i < l-1, G(n, s) / A(n, s) for i = l-1. */
    ntk_cidr range2[NTK_MAX_LEVELS], range3[NTK_MAX_LEVELS];
    bool have[NTK_MAX_LEVELS];
    for (int i = s; i <= l - 2; i++) {
        have[i] = ntk_ip_gnode(t, a, s, NTK_IP_INTERNAL, i + 1, &range2[i]);
        /* range3_i = I(·, i+1, i+1): every internal-at-level-(i+1) address. */
        ntk_ip_gnode(t, a, i + 1, NTK_IP_INTERNAL, i + 1, &range3[i]);
    }
    ntk_cidr g2, a2;
    bool have_global = ntk_ip_gnode(t, a, s, NTK_IP_GLOBAL, -1, &g2);
    bool have_anon = have_global && ntk_ip_gnode(t, a, s, NTK_IP_ANON, -1, &a2);

    /* PREROUTING: global, anonymising, then internal levels l-2 .. s (Eventi11.md). */
    if (have_global) {
        put_rule(out, max, &n, (ntk_netmap_rule){ NTK_NAT_PREROUTING, g2, false, {0, 0},
                                                  range1, l - 1, false });
        if (serve_anonymous && have_anon)
            put_rule(out, max, &n, (ntk_netmap_rule){ NTK_NAT_PREROUTING, a2, false, {0, 0},
                                                      range1, l - 1, true });
    }
    for (int i = l - 2; i >= s; i--)
        if (have[i])
            put_rule(out, max, &n, (ntk_netmap_rule){ NTK_NAT_PREROUTING, range2[i], false,
                                                      {0, 0}, range1, i, false });
    /* POSTROUTING: internal levels s .. l-2, global, anonymising. */
    for (int i = s; i <= l - 2; i++)
        if (have[i])
            put_rule(out, max, &n, (ntk_netmap_rule){ NTK_NAT_POSTROUTING, range3[i], true,
                                                      range1, range2[i], i, false });
    if (have_global) {
        put_rule(out, max, &n, (ntk_netmap_rule){ NTK_NAT_POSTROUTING, ntk_ip_global_range(t),
                                                  true, range1, g2, l - 1, false });
        put_rule(out, max, &n, (ntk_netmap_rule){ NTK_NAT_POSTROUTING, ntk_ip_anon_range(t),
                                                  true, range1, g2, l - 1, true });
    }
    return n;
}

void ntk_ip_format(uint32_t addr, char *buf, size_t len)
{
    snprintf(buf, len, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255u, (addr >> 8) & 255u,
             addr & 255u);
}

void ntk_cidr_format(ntk_cidr c, char *buf, size_t len)
{
    snprintf(buf, len, "%u.%u.%u.%u/%d", c.addr >> 24, (c.addr >> 16) & 255u,
             (c.addr >> 8) & 255u, c.addr & 255u, c.prefix);
}

/* Reads a decimal in 0..max at *p (no sign, no blanks); advances *p. */
static bool parse_decimal(const char **p, unsigned max, unsigned *out)
{
    const char *s = *p;
    unsigned v = 0;
    if (*s < '0' || *s > '9')
        return false;
    while (*s >= '0' && *s <= '9') {
        v = v * 10 + (unsigned)(*s - '0');
        if (v > max)
            return false;
        s++;
    }
    *p = s;
    *out = v;
    return true;
}

bool ntk_cidr_parse(const char *text, ntk_cidr *out)
{
    unsigned b[4], prefix = 32;
    const char *p = text;
    if (!p)
        return false;
    for (int i = 0; i < 4; i++) {
        if (!parse_decimal(&p, 255, &b[i]))
            return false;
        if (i < 3 && *p++ != '.')
            return false;
    }
    if (*p == '/') {
        p++;
        if (!parse_decimal(&p, 32, &prefix))
            return false;
    }
    if (*p != '\0')
        return false;
    out->addr = (b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
    out->prefix = (int)prefix;
    return true;
}

const char *ntk_ip_kind_name(ntk_ip_kind kind)
{
    switch (kind) {
    case NTK_IP_GLOBAL:
        return "global";
    case NTK_IP_ANON:
        return "anonymous";
    case NTK_IP_INTERNAL:
        return "internal";
    }
    return "?";
}
