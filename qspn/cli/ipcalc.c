/* ipcalc.c - `qspnctl ipcalc`: the IPv4 side of a Netsukuku address, computed
 * offline from the address model (no daemon, no kernel). */
#include "ipcalc.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntkaddr.h"

#define MIDDOT "\xC2\xB7"

void qspnctl_ipcalc_usage(FILE *out)
{
    fputs(
"usage: qspnctl ipcalc --topology T [options] ADDRESS\n"
"\n"
"Print the IPv4 addresses of a Netsukuku identity at ADDRESS: its own addresses in\n"
"assignment order, every destination CIDR in the documented order (the order of\n"
"the `unreachable` routes of table ntk), and the SNAT / NETMAP rules of the system.\n"
"Nothing is sent to a daemon or to the kernel.\n"
"\n"
"  ADDRESS                  positions, highest level first: 3.0.1.0 or 3" MIDDOT "0" MIDDOT "1" MIDDOT "0\n"
"  -t, --topology T         gsizes, highest level first, e.g. 4.2.2.2 or 4.16.256.256;\n"
"                           each a power of two, sum of bits <= 22, top gsize >= levels\n"
"  -s, --subnet-level N     the system is the gateway of an autonomous subnet of\n"
"                           level N (default 0: not a gateway)\n"
"  -V, --allow-virtual      accept virtual positions (>= gsize), as connectivity or\n"
"                           just-entered identities have\n"
"  -K, --no-serve-anonymous the system does not accept anonymous requests: no\n"
"                           anonymising own address, no anonymising PREROUTING NETMAP\n"
"                           (default: accepts, like every documented testbed, -k)\n"
"  -j, --no-anonymize       the system is not an anonymising relay: no SNAT rule\n"
"  -c, --commands           print the documented start-up commands instead\n"
"                           (ip address / ip route / iptables, as in Proof/Eventi.md)\n"
"  -d, --dev DEV            interface for --commands (repeatable; default eth1)\n"
"  -J, --json               print one JSON object\n"
"  -h, --help               this text\n"
"\n"
"Exit status: 0 ok, 2 bad input (one-line error on stderr).\n"
"Example: qspnctl ipcalc --topology 4.2.2.2 3.0.1.0\n", out);
}

typedef struct {
    ntk_topology topo;
    ntk_naddr addr;
    int subnet_level;
    bool serve_anonymous;
    bool anonymize;
    const char *devs[16];
    int ndevs;
} ipcalc_request;

typedef struct {
    uint32_t localhost;
    ntk_local_ip ips[NTK_MAX_LEVELS + 1];
    size_t nips;
    ntk_dest *dests;
    size_t ndests;
    bool have_snat;
    ntk_cidr snat_match;
    uint32_t snat_to;
    ntk_netmap_rule netmap[2 * NTK_MAX_LEVELS + 2];
    size_t nnetmap;
} ipcalc_result;

static const char *chain_name(ntk_nat_chain c)
{
    return c == NTK_NAT_PREROUTING ? "PREROUTING" : "POSTROUTING";
}

/* "-d DST [-s SRC] -j NETMAP --to TO": the iptables arguments of a NETMAP rule. */
static void format_netmap(const ntk_netmap_rule *m, char *buf, size_t len)
{
    char d[NTK_STRLEN], s[NTK_STRLEN], t[NTK_STRLEN];
    ntk_cidr_format(m->dst, d, sizeof d);
    ntk_cidr_format(m->to, t, sizeof t);
    if (m->has_src) {
        ntk_cidr_format(m->src, s, sizeof s);
        snprintf(buf, len, "-d %s -s %s -j NETMAP --to %s", d, s, t);
    } else {
        snprintf(buf, len, "-d %s -j NETMAP --to %s", d, t);
    }
}

static void describe_ip(ntk_ip_kind kind, int k, char *buf, size_t len)
{
    if (kind == NTK_IP_INTERNAL)
        snprintf(buf, len, "internal %d", k);
    else
        snprintf(buf, len, "%s", ntk_ip_kind_name(kind));
}

static void print_text(const ipcalc_request *rq, const ipcalc_result *r)
{
    char a[NTK_STRLEN], b[NTK_STRLEN], c[NTK_STRLEN];
    ntk_topology_format(&rq->topo, MIDDOT, a, sizeof a);
    ntk_naddr_format(&rq->addr, MIDDOT, b, sizeof b);
    printf("topology     %s (%d levels, %d address bits)\n", a, rq->topo.levels,
           ntk_topology_bits(&rq->topo));
    printf("address      %s (%s)\n", b, ntk_naddr_is_real(&rq->topo, &rq->addr) ? "real" : "virtual");
    printf("subnet level %d\n", rq->subnet_level);
    ntk_ip_format(r->localhost, a, sizeof a);
    printf("localhost    %s (internal at level 0, on lo)\n", a);
    printf("addresses    %zu\n", r->nips);
    for (size_t i = 0; i < r->nips; i++) {
        ntk_ip_format(r->ips[i].addr, a, sizeof a);
        describe_ip(r->ips[i].kind, r->ips[i].k, b, sizeof b);
        printf("  %-18s %s\n", a, b);
    }
    printf("destinations %zu\n", r->ndests);
    for (size_t i = 0; i < r->ndests; i++) {
        const ntk_dest *d = &r->dests[i];
        ntk_cidr_format(d->cidr, a, sizeof a);
        describe_ip(d->kind, d->k, b, sizeof b);
        ntk_naddr dn = ntk_naddr_of_hcoord(&rq->addr, d->hc);
        ntk_gnode_format(&dn, d->hc.lvl, MIDDOT, c, sizeof c);
        printf("  %-18s %-11s (%d,%d) %s\n", a, b, d->hc.lvl, d->hc.pos, c);
    }
    if (r->have_snat) {
        ntk_cidr_format(r->snat_match, a, sizeof a);
        ntk_ip_format(r->snat_to, b, sizeof b);
        printf("snat         -d %s -j SNAT --to %s\n", a, b);
    } else {
        printf("snat         none\n");
    }
    printf("netmap       %zu\n", r->nnetmap);
    for (size_t i = 0; i < r->nnetmap; i++) {
        char rule[4 * NTK_STRLEN];
        format_netmap(&r->netmap[i], rule, sizeof rule);
        printf("  %-11s %s\n", chain_name(r->netmap[i].chain), rule);
    }
}

/* The start-up commands of Proof/Eventi.md that depend on the address. */
static void print_commands(const ipcalc_request *rq, const ipcalc_result *r)
{
    char a[NTK_STRLEN], b[NTK_STRLEN];
    ntk_ip_format(r->localhost, a, sizeof a);
    printf("ip address add %s dev lo\n", a);
    for (size_t i = 0; i < r->nips; i++) {
        ntk_ip_format(r->ips[i].addr, a, sizeof a);
        for (int d = 0; d < rq->ndevs; d++)
            printf("ip address add %s dev %s\n", a, rq->devs[d]);
    }
    for (size_t i = 0; i < r->ndests; i++) {
        ntk_cidr_format(r->dests[i].cidr, a, sizeof a);
        printf("ip route add unreachable %s table ntk\n", a);
    }
    for (size_t i = 0; i < r->nnetmap; i++) {
        char rule[4 * NTK_STRLEN];
        format_netmap(&r->netmap[i], rule, sizeof rule);
        printf("iptables -t nat -A %s %s\n", chain_name(r->netmap[i].chain), rule);
    }
    if (r->have_snat) {
        ntk_cidr_format(r->snat_match, a, sizeof a);
        ntk_ip_format(r->snat_to, b, sizeof b);
        printf("iptables -t nat -A POSTROUTING -d %s -j SNAT --to %s\n", a, b);
    }
}

static void json_ip_kind(ntk_ip_kind kind, int k)
{
    printf("\"kind\":\"%s\"", ntk_ip_kind_name(kind));
    if (kind == NTK_IP_INTERNAL)
        printf(",\"level\":%d", k);
}

/* Every string printed here is digits, dots and slashes: no JSON escaping is needed. */
static void print_json(const ipcalc_request *rq, const ipcalc_result *r)
{
    char a[NTK_STRLEN], b[NTK_STRLEN], c[NTK_STRLEN];
    ntk_topology_format(&rq->topo, ".", a, sizeof a);
    ntk_naddr_format(&rq->addr, ".", b, sizeof b);
    printf("{\"topology\":\"%s\",\"levels\":%d,\"bits\":%d,\"address\":\"%s\",\"real\":%s,"
           "\"subnet_level\":%d,",
           a, rq->topo.levels, ntk_topology_bits(&rq->topo), b,
           ntk_naddr_is_real(&rq->topo, &rq->addr) ? "true" : "false", rq->subnet_level);
    ntk_ip_format(r->localhost, a, sizeof a);
    printf("\"localhost\":\"%s\",\"addresses\":[", a);
    for (size_t i = 0; i < r->nips; i++) {
        ntk_ip_format(r->ips[i].addr, a, sizeof a);
        printf("%s{\"ip\":\"%s\",", i ? "," : "", a);
        json_ip_kind(r->ips[i].kind, r->ips[i].k);
        printf("}");
    }
    printf("],\"destinations\":[");
    for (size_t i = 0; i < r->ndests; i++) {
        const ntk_dest *d = &r->dests[i];
        ntk_cidr_format(d->cidr, a, sizeof a);
        ntk_naddr dn = ntk_naddr_of_hcoord(&rq->addr, d->hc);
        ntk_gnode_format(&dn, d->hc.lvl, ".", b, sizeof b);
        printf("%s{\"cidr\":\"%s\",", i ? "," : "", a);
        json_ip_kind(d->kind, d->k);
        printf(",\"hcoord\":{\"lvl\":%d,\"pos\":%d},\"gnode\":\"%s\"}", d->hc.lvl, d->hc.pos, b);
    }
    printf("],\"snat\":");
    if (r->have_snat) {
        ntk_cidr_format(r->snat_match, a, sizeof a);
        ntk_ip_format(r->snat_to, b, sizeof b);
        printf("{\"match\":\"%s\",\"to\":\"%s\"}", a, b);
    } else {
        printf("null");
    }
    printf(",\"netmap\":[");
    for (size_t i = 0; i < r->nnetmap; i++) {
        const ntk_netmap_rule *m = &r->netmap[i];
        ntk_cidr_format(m->dst, a, sizeof a);
        ntk_cidr_format(m->to, c, sizeof c);
        printf("%s{\"chain\":\"%s\",\"dst\":\"%s\",", i ? "," : "", chain_name(m->chain), a);
        if (m->has_src) {
            ntk_cidr_format(m->src, b, sizeof b);
            printf("\"src\":\"%s\",", b);
        }
        printf("\"to\":\"%s\",\"level\":%d,\"anonymous\":%s}", c, m->level,
               m->anonymous ? "true" : "false");
    }
    printf("]}\n");
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on stderr, exit status 2: the CLI's contract for bad input. */
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("qspnctl ipcalc: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see qspnctl ipcalc --help)\n", stderr);
    return 2;
}

int qspnctl_ipcalc_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "topology", required_argument, NULL, 't' },
        { "subnet-level", required_argument, NULL, 's' },
        { "allow-virtual", no_argument, NULL, 'V' },
        { "no-serve-anonymous", no_argument, NULL, 'K' },
        { "serve-anonymous", no_argument, NULL, 'k' },
        { "no-anonymize", no_argument, NULL, 'j' },
        { "commands", no_argument, NULL, 'c' },
        { "dev", required_argument, NULL, 'd' },
        { "json", no_argument, NULL, 'J' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    ipcalc_request rq = { .serve_anonymous = true, .anonymize = true };
    const char *topology = NULL, *subnet = NULL;
    bool allow_virtual = false, commands = false, json = false;
    char err[NTK_ERRLEN];
    int opt;

    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+t:s:VKkjcd:Jh", longopts, NULL)) != -1) {
        switch (opt) {
        case 't': topology = optarg; break;
        case 's': subnet = optarg; break;
        case 'V': allow_virtual = true; break;
        case 'K': rq.serve_anonymous = false; break;
        case 'k': rq.serve_anonymous = true; break;
        case 'j': rq.anonymize = false; break;
        case 'c': commands = true; break;
        case 'J': json = true; break;
        case 'd':
            if (rq.ndevs == (int)(sizeof rq.devs / sizeof rq.devs[0]))
                return usage_error("too many --dev options (at most 16)");
            if (!*optarg || strlen(optarg) > 15)
                return usage_error("bad interface name '%s'", optarg);
            rq.devs[rq.ndevs++] = optarg;
            break;
        case 'h': qspnctl_ipcalc_usage(stdout); return 0;
        default:
            return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (!topology)
        return usage_error("--topology is required");
    if (optind != argc - 1)
        return usage_error("exactly one ADDRESS is required");
    if (commands && json)
        return usage_error("--commands and --json exclude each other");
    if (!ntk_topology_parse(topology, &rq.topo, err, sizeof err))
        return usage_error("%s", err);
    if (!ntk_naddr_parse(&rq.topo, argv[optind], allow_virtual, &rq.addr, err, sizeof err)) {
        if (!allow_virtual)
            strncat(err, "; virtual positions need --allow-virtual", sizeof err - strlen(err) - 1);
        return usage_error("%s", err);
    }
    if (subnet) {
        char *end;
        long v = strtol(subnet, &end, 10);
        if (!*subnet || *end || v < 0 || v > NTK_MAX_LEVELS)
            return usage_error("bad subnet level '%s'", subnet);
        rq.subnet_level = (int)v;
    }
    if (!ntk_subnet_level_valid(&rq.topo, rq.subnet_level, err, sizeof err))
        return usage_error("%s", err);
    if (rq.ndevs == 0)
        rq.devs[rq.ndevs++] = "eth1";

    ipcalc_result r;
    memset(&r, 0, sizeof r);
    r.localhost = ntk_ip_localhost(&rq.topo);
    r.nips = ntk_local_ips(&rq.topo, &rq.addr, rq.serve_anonymous, r.ips,
                           sizeof r.ips / sizeof r.ips[0]);
    size_t cap = ntk_destinations_max(&rq.topo);
    r.dests = calloc(cap, sizeof *r.dests);
    if (!r.dests) {
        fputs("qspnctl ipcalc: out of memory\n", stderr);
        return 1;
    }
    r.ndests = ntk_destinations(&rq.topo, &rq.addr, rq.subnet_level, r.dests, cap);
    r.have_snat = rq.anonymize && ntk_snat_rule(&rq.topo, &rq.addr, &r.snat_match, &r.snat_to);
    r.nnetmap = ntk_netmap_rules(&rq.topo, &rq.addr, rq.subnet_level, rq.serve_anonymous,
                                 r.netmap, sizeof r.netmap / sizeof r.netmap[0]);
    if (json)
        print_json(&rq, &r);
    else if (commands)
        print_commands(&rq, &r);
    else
        print_text(&rq, &r);
    free(r.dests);
    return fflush(stdout) == 0 ? 0 : 1;
}
