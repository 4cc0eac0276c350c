/* ntkaddr.h - Netsukuku topology, addresses, HCoords and their IPv4 mapping.
 *
 * Pure C: no syscalls, no glib main loop, no allocation. Every function is a
 * deterministic computation on its arguments, so the daemon, the CLI, the QSPN
 * core and the tests share one implementation of the documented formulas
 * (Proof/IndirizziIP.md, Proof/AnalisiFunzionale.md, spec/behaviour.md §3).
 *
 * Conventions
 *  - Arrays indexed by level hold level 0 at index 0 (as the original's pos[]).
 *    Text is written highest level first: "3.0.1.0" or "3·0·1·0".
 *  - A position p at level i is real when p < gsize(i), virtual when p >= gsize(i).
 *  - IPv4 values are host byte order uint32_t (10.0.0.26 == 0x0a00001a).
 */
#ifndef QSPN_NTKADDR_H
#define QSPN_NTKADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Σ gexp <= 22 with gexp >= 1 per level bounds the number of levels. */
#define NTK_MAX_LEVELS 22
/* Total address bits available inside 10.0.0.0/8 once 2 type bits are reserved. */
#define NTK_MAX_BITS 22
/* Upper bound (exclusive) for any position, real or virtual, accepted in text. */
#define NTK_MAX_POS (1 << 20)
/* Size of a buffer that holds any error message of this library. */
#define NTK_ERRLEN 192
/* Size of a buffer that holds any address or CIDR printed by this library. */
#define NTK_STRLEN (NTK_MAX_LEVELS * 9 + 4)

typedef struct {
    int levels;                      /* l */
    int gsize[NTK_MAX_LEVELS];       /* gsize(i), index = level */
    int gexp[NTK_MAX_LEVELS];        /* log2 gsize(i) */
    int off[NTK_MAX_LEVELS + 1];     /* first bit of level i; off[levels] = B */
} ntk_topology;

typedef struct {
    int levels;
    int pos[NTK_MAX_LEVELS];         /* pos(i), index = level */
} ntk_naddr;

/* Hierarchical coordinates (lvl, pos) relative to an address; lvl == -1: none. */
typedef struct {
    int lvl;
    int pos;
} ntk_hcoord;

typedef struct {
    uint32_t addr;                   /* host byte order, network part only */
    int prefix;                      /* 0..32 */
} ntk_cidr;

typedef enum {
    NTK_IP_GLOBAL = 0,
    NTK_IP_ANON = 1,                 /* global anonymising */
    NTK_IP_INTERNAL = 2,             /* internal at level k */
} ntk_ip_kind;

/* One own address of an identity (behaviour.md §3.4). */
typedef struct {
    uint32_t addr;
    ntk_ip_kind kind;
    int k;                           /* level for NTK_IP_INTERNAL, else -1 */
} ntk_local_ip;

/* One destination CIDR (behaviour.md §3.5). */
typedef struct {
    ntk_hcoord hc;                   /* the destination g-node (i, j) */
    ntk_cidr cidr;
    ntk_ip_kind kind;
    int k;                           /* level for NTK_IP_INTERNAL, else -1 */
} ntk_dest;

typedef enum {
    NTK_NAT_PREROUTING = 0,
    NTK_NAT_POSTROUTING = 1,
} ntk_nat_chain;

/* One NETMAP rule of an autonomous-subnet gateway (behaviour.md §3.7):
 *   iptables -t nat -A <chain> -d <dst> [-s <src>] -j NETMAP --to <to>     */
typedef struct {
    ntk_nat_chain chain;
    ntk_cidr dst;
    bool has_src;
    ntk_cidr src;
    ntk_cidr to;
    int level;                       /* i of §3.7 (l-1 for the global/anon pairs) */
    bool anonymous;                  /* the pair of the anonymising range */
} ntk_netmap_rule;

/* ---- topology ---------------------------------------------------------- */

/* Parse "4.2.2.2" or "4·2·2·2" (highest level first) and validate it.
 * On failure returns false and writes one line naming the violated rule. */
bool ntk_topology_parse(const char *text, ntk_topology *out, char *err, size_t errlen);

/* Build and validate from gsizes indexed by level (gsize_by_level[0] = level 0). */
bool ntk_topology_init(ntk_topology *out, int levels, const int *gsize_by_level,
                       char *err, size_t errlen);

/* B = Σ gexp(i). */
int ntk_topology_bits(const ntk_topology *t);

/* Print highest level first with the separator sep (e.g. "." or "·"). */
void ntk_topology_format(const ntk_topology *t, const char *sep, char *buf, size_t len);

/* ---- addresses --------------------------------------------------------- */

/* Parse "3.0.1.0" / "3·0·1·0" / "3:0:1:0". Each position must be < NTK_MAX_POS;
 * when allow_virtual is false each must also be real. The number of positions
 * must equal t->levels. */
bool ntk_naddr_parse(const ntk_topology *t, const char *text, bool allow_virtual,
                     ntk_naddr *out, char *err, size_t errlen);

void ntk_naddr_format(const ntk_naddr *a, const char *sep, char *buf, size_t len);

/* Print the g-node of level `level` containing a: positions level..l-1 followed
 * by a trailing separator ("2·1·" for level 2); level 0 prints the node. */
void ntk_gnode_format(const ntk_naddr *a, int level, const char *sep, char *buf, size_t len);

bool ntk_pos_is_real(const ntk_topology *t, const ntk_naddr *a, int level);
/* True when every position in levels from..to (inclusive) is real; an empty range is true. */
bool ntk_naddr_real_range(const ntk_topology *t, const ntk_naddr *a, int from, int to);
bool ntk_naddr_is_real(const ntk_topology *t, const ntk_naddr *a);
bool ntk_naddr_equal(const ntk_naddr *a, const ntk_naddr *b);

/* The maximum distinct g-node of `other` with respect to `me` (behaviour.md §1.5):
 * (i, pos_other(i)) at the highest level i where they differ; lvl = -1 if equal. */
ntk_hcoord ntk_max_distinct_gnode(const ntk_naddr *me, const ntk_naddr *other);

/* The address of the destination hc seen from me: me with pos(hc.lvl) = hc.pos
 * (positions below hc.lvl are meaningless for a g-node and are kept from me). */
ntk_naddr ntk_naddr_of_hcoord(const ntk_naddr *me, ntk_hcoord hc);

/* ---- IPv4 mapping (behaviour.md §3.2, §3.3) ------------------------------ */

/* Own address of kind `kind` (k = level for NTK_IP_INTERNAL, 0..l-1).
 * Returns false when the address does not exist (the positions it needs are virtual). */
bool ntk_ip_node(const ntk_topology *t, const ntk_naddr *a, ntk_ip_kind kind, int k,
                 uint32_t *out);

/* CIDR of the g-node of level i (0..l) containing a, of kind `kind`
 * (k = i..l-1 for NTK_IP_INTERNAL). Returns false when it does not exist. */
bool ntk_ip_gnode(const ntk_topology *t, const ntk_naddr *a, int i, ntk_ip_kind kind, int k,
                  ntk_cidr *out);

/* I_0: the level-0 internal address every node puts on lo (10.0.0.32 for 4.2.2.2). */
uint32_t ntk_ip_localhost(const ntk_topology *t);
/* The whole global range (10.0.0.0/27 for 4.2.2.2). */
ntk_cidr ntk_ip_global_range(const ntk_topology *t);
/* The whole anonymising range: the SNAT match (10.0.0.64/27 for 4.2.2.2). */
ntk_cidr ntk_ip_anon_range(const ntk_topology *t);

/* ---- enumerations in documented order ------------------------------------ */

/* Own addresses in assignment order: global, anonymising (if serve_anonymous),
 * internal k = l-1 .. 1; only those that exist. Returns the count (<= l+1). */
size_t ntk_local_ips(const ntk_topology *t, const ntk_naddr *a, bool serve_anonymous,
                     ntk_local_ip *out, size_t max);

/* Upper bound of ntk_destinations()'s count for any address of t. */
size_t ntk_destinations_max(const ntk_topology *t);

/* Every destination CIDR of an identity at a, subnet level s (0 = not a gateway),
 * in the canonical order of behaviour.md §3.5. Returns the count; writes at most max. */
size_t ntk_destinations(const ntk_topology *t, const ntk_naddr *a, int subnet_level,
                        ntk_dest *out, size_t max);

/* The SNAT rule of an anonymising relay: -d <match> -j SNAT --to <to>.
 * Returns false when a is not fully real (no global address). */
bool ntk_snat_rule(const ntk_topology *t, const ntk_naddr *a, ntk_cidr *match, uint32_t *to);

/* NETMAP rules of a gateway of a subnet of level s (1..l-1), in the order of
 * Eventi11.md / commands/sequence: every PREROUTING rule (global, anonymising,
 * then internal levels l-2 .. s) then every POSTROUTING rule (internal levels
 * s .. l-2, global, anonymising). Pairs whose own address does not exist are
 * left out. Returns the count (<= 2*(l-s)+2). */
size_t ntk_netmap_rules(const ntk_topology *t, const ntk_naddr *a, int subnet_level,
                        bool serve_anonymous, ntk_netmap_rule *out, size_t max);

/* Validate a subnet level for t: 0 (no subnet) or 1..l-1. */
bool ntk_subnet_level_valid(const ntk_topology *t, int subnet_level, char *err, size_t errlen);

/* ---- text ---------------------------------------------------------------- */

void ntk_ip_format(uint32_t addr, char *buf, size_t len);      /* "10.0.0.26" */
void ntk_cidr_format(ntk_cidr c, char *buf, size_t len);       /* "10.0.0.24/31" */
/* Parse "a.b.c.d" or "a.b.c.d/p" (no prefix = /32). */
bool ntk_cidr_parse(const char *text, ntk_cidr *out);
const char *ntk_ip_kind_name(ntk_ip_kind kind);                /* "global", "anonymous", "internal" */

#endif
