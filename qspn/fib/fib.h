/* fib.h - what one network namespace of a system must contain, and the
 * kernel operations that take it there from what is installed.
 *
 * Pure: the caller describes the identity that owns the namespace (address,
 * qspn-arcs with their table numbers, link-local routes, addresses) and gives
 * a query function over its QSPN map; fib_compute() builds the desired state
 * (behaviour.md §4: table ntk and one table ntk_from_<MAC> per qspn-arc, the
 * rule of every activated table, the MAC marks, the own addresses, SNAT and
 * NETMAP, the link-local routes of the main table), fib_diff() turns the
 * difference with the installed state into ordered kops (nothing is
 * re-installed when it did not change).  The daemon keeps one installed
 * state per namespace (babeld's "installed" flag, BIRD's kernel sync). */
#ifndef QSPN_FIB_H
#define QSPN_FIB_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "kernel.h"
#include "nmsg.h"
#include "ntkaddr.h"

#define FIB_TABLE_NTK KERNEL_TABLE_NTK
#define FIB_TABLE_MAIN KERNEL_TABLE_MAIN

/* One route: the key is (table, dst). */
typedef struct {
    uint32_t table;
    ntk_cidr dst;
    kroute_type type;
    uint32_t gw;                       /* unicast via gw (0: on-link, link-local routes) */
    char dev[KOP_DEVLEN];
    uint32_t src;                      /* 0: none */
} fib_route;

typedef struct {
    char dev[KOP_DEVLEN];
    uint32_t addr;                     /* a /32 */
} fib_addr;

typedef struct {
    uint32_t fwmark;                   /* 0: no selector (the rule of ntk) */
    uint32_t table;
} fib_rule;

/* The whole content of a namespace as far as qspnd manages it. */
typedef struct {
    GArray *addrs;                     /* fib_addr */
    GArray *routes;                    /* fib_route, in canonical order */
    GHashTable *index;                 /* key -> position in routes */
    GArray *rules;                     /* fib_rule */
    GArray *marks;                     /* kop (KOP_MARK_ADD), chain order */
    GArray *nat;                       /* kop (KOP_NAT_ADD), chain order */
    bool nft_table;                    /* table ip qspnd exists */
} fib_state;

/* A qspn-arc of the identity: it owns the forwarding table `tid`. */
typedef struct {
    uint32_t tid;
    nmsg_mac mac;                      /* the table is ntk_from_<mac> */
    bool known;                        /* first ETP received: rule + real content */
    ntk_hcoord maxdist;                /* its maximum distinct g-node (when known) */
    void *handle;                      /* for the query */
} fib_qarc;

/* The first hop of a path: where packets go. */
typedef struct {
    uint32_t gw;
    char dev[KOP_DEVLEN];
} fib_hop;

typedef struct {
    const ntk_topology *topo;
    ntk_naddr me;
    int subnet_level;
    bool is_main;                      /* the default namespace: ntk, own IPs, NAT */
    bool serve_anonymous, anonymize;
    /* devices that carry the own IPs (main identity: every real NIC) */
    int n_ip_devs;
    const char *const *ip_devs;
    /* other addresses of the namespace: 10.0.0.32 on lo, the link-locals */
    int n_extra_addrs;
    const fib_addr *extra_addrs;
    /* on-link routes to peers' link-locals (main table) */
    int n_ll;
    const fib_route *ll;
    int n_arcs;
    const fib_qarc *arcs;
    /* Best path to d avoiding arc `avoid` (NULL: plain best); false: none. */
    bool (*best)(void *ctx, ntk_hcoord d, void *avoid, fib_hop *hop);
    void *ctx;
} fib_input;

void fib_state_init(fib_state *s);
void fib_state_clear(fib_state *s);
void fib_state_copy(fib_state *dst, const fib_state *src);
const fib_route *fib_state_find(const fib_state *s, uint32_t table, ntk_cidr dst);
void fib_state_add_route(fib_state *s, const fib_route *r);

/* The desired state (out is cleared first). */
void fib_compute(const fib_input *in, fib_state *out);

/* Table names for kops: "ntk", "main", or ntk_from_<MAC> of the table's MAC. */
typedef const char *(*fib_table_name_fn)(void *ctx, uint32_t table);

/* Append to ops (GArray of kop) what takes `installed` to `desired`, in an
 * order the kernel accepts: addresses and link-local routes first, then the
 * nftables rules (one transaction), routes added/changed, rules added, rules
 * deleted, routes deleted, link-local routes deleted, addresses deleted. */
void fib_diff(const fib_state *installed, const fib_state *desired, fib_table_name_fn name,
              void *name_ctx, GArray *ops);

/* Counters for `show`. */
typedef struct {
    int routes, unreachable, reachable, blackhole;
} fib_table_count;
fib_table_count fib_count_table(const fib_state *s, uint32_t table);

#endif
