/* kernel.h - the kernel seam of qspnd.
 *
 * Every change qspnd makes to the kernel (and to the rt_tables file) is one
 * `kop` value: a plain struct with no pointers.  The daemon computes ordered
 * lists of kops (pure functions, see qspn/daemon/plan.h) and hands them to a
 * `kernel` backend:
 *   - kernel_netlink_new(): libnl-route-3 for links/addresses/routes/rules,
 *     /proc/sys writes for sysctls, libnftables for the `ip qspnd` table,
 *     plain file I/O for the rt_tables file;
 *   - kernel_fake_new(): records every operation as one text line (the
 *     documented `ip`/`iptables`/`sysctl` command form, see kop_format()),
 *     for unit tests.
 *
 * Consecutive nftables kops (KOP_NFT_TABLE_ADD, KOP_NAT_ADD, KOP_NFT_TABLE_DEL)
 * are applied by kernel_apply() as ONE libnftables transaction.
 *
 * Two contracts: kernel_apply() is strict (stops at the first failure; start-up,
 * teardown and rollback need to know exactly what was done), kernel_apply_all()
 * applies every kop and reports each failure (the periodic namespace sync, which
 * diffs again anyway); only the latter can send route and rule kops many per
 * system call, because rtnetlink goes on after a failed message of a batch.
 */
#ifndef QSPN_KERNEL_H
#define QSPN_KERNEL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ntkaddr.h"

/* Route protocol of every route qspnd adds: RTPROT_NTK, the number Linux reserves
 * for Netsukuku (`ip route` prints "proto ntk", or "proto 15" without rt_protos). */
#define KERNEL_RTPROT_QSPN 15
/* Table id of `ntk` and the range of forwarding tables (ntk_from_<MAC>). */
#define KERNEL_TABLE_NTK 251
#define KERNEL_TABLE_FWD_MIN 200
#define KERNEL_TABLE_FWD_MAX 250
/* nftables table owned by qspnd: family ip, name qspnd. */
#define KERNEL_NFT_FAMILY "ip"
#define KERNEL_NFT_TABLE "qspnd"

#define KOP_DEVLEN 16          /* IFNAMSIZ */
#define KOP_NAMELEN 64         /* table names: "ntk_from_00:16:3E:FD:E2:AA" */
#define KOP_KEYLEN 96          /* sysctl keys */
#define KOP_STRLEN 512         /* a formatted kop */

typedef enum {
    KOP_SYSCTL = 0,            /* key=value through /proc/sys */
    KOP_LINK_UP,               /* dev */
    KOP_ADDR_ADD,              /* addr/prefix dev, scope global */
    KOP_ADDR_DEL,
    KOP_RT_TABLES_ADD,         /* append "\n<table> <name> # xxx_table_<name>_xxx\n" */
    KOP_RT_TABLES_DEL,         /* remove that line, same number and name (the last one;
                                  and the blank line before it) */
    KOP_RULE_ADD,              /* [fwmark M] table T, FR_ACT_TO_TBL */
    KOP_RULE_DEL,
    KOP_ROUTE_ADD,             /* NLM_F_CREATE|NLM_F_EXCL */
    KOP_ROUTE_CHANGE,          /* NLM_F_REPLACE without CREATE */
    KOP_ROUTE_DEL,
    KOP_ROUTE_FLUSH,           /* every route of table T */
    KOP_NFT_TABLE_ADD,         /* table ip qspnd and its three base chains */
    KOP_NAT_ADD,               /* one SNAT / NETMAP rule */
    KOP_NFT_TABLE_DEL,         /* delete table ip qspnd (with all its rules) */
    KOP_SWEEP,                 /* leftovers that are self-evidently qspnd's: every route
                                  of protocol 15 (any table), nft table ip qspnd (tolerant) */
    KOP_LINK_DEL,              /* delete virtual link dev (one with a link kind: macvlan,
                                  veth, dummy...) in namespace netns ("" = own) */
    KOP_NETNS_DEL,             /* `ip netns del netns`: unmount + unlink /run/netns/<netns>
                                  (never the daemon's own namespace) */
    KOP_MARK_ADD,              /* nft: ether saddr <mac> meta mark set <fwmark> */
    KOP_NFT_CHAIN_FLUSH,       /* nft: flush chain ip qspnd <nft_chain> */
    KOP_NETNS_ADD,             /* create the named network namespace <netns> */
    KOP_MACVLAN_ADD,           /* macvlan <dev> on <link> [address <mac>], moved into <netns> */
} kop_type;

/* Chains of the nftables table ip qspnd. */
typedef enum {
    KNFT_NAT_PREROUTING = 0,
    KNFT_NAT_POSTROUTING,
    KNFT_MANGLE_PREROUTING,
} knft_chain;

typedef enum {
    KROUTE_UNREACHABLE = 0,
    KROUTE_UNICAST,
    KROUTE_BLACKHOLE,
} kroute_type;

typedef enum {
    KNAT_SNAT = 0,             /* -d dst -j SNAT --to to.addr */
    KNAT_NETMAP,               /* -d dst [-s src] -j NETMAP --to to */
} knat_kind;

typedef struct {
    kop_type type;
    bool tolerant;             /* "already gone"/"already there" is not an error */
    char dev[KOP_DEVLEN];
    /* KOP_SYSCTL */
    char key[KOP_KEYLEN];      /* "net.ipv4.conf.eth1.rp_filter" (display form) */
    char path[KOP_KEYLEN];     /* "net/ipv4/conf/eth1/rp_filter" (under /proc/sys) */
    char value[16];
    /* KOP_ADDR_* */
    uint32_t addr;
    int prefix;
    /* tables, rules, routes */
    uint32_t table;
    char table_name[KOP_NAMELEN];
    uint32_t fwmark;           /* 0: no fwmark selector */
    kroute_type rtype;
    ntk_cidr dst;
    uint32_t gw;               /* 0: none */
    uint32_t src;              /* 0: none */
    /* KOP_NAT_ADD */
    knat_kind nat;
    ntk_nat_chain chain;
    ntk_cidr nat_dst;
    bool nat_has_src;
    ntk_cidr nat_src;
    ntk_cidr nat_to;
    /* KOP_MARK_ADD, KOP_MACVLAN_ADD: "00:16:3E:FD:E2:AA" ("" = kernel's choice) */
    char mac[18];
    /* KOP_MACVLAN_ADD: the lower device */
    char link[KOP_DEVLEN];
    /* KOP_NETNS_*, KOP_MACVLAN_ADD, KOP_LINK_DEL: a name under /run/netns ("" = own namespace) */
    char netns[KOP_NAMELEN];
    knft_chain nft_chain;      /* KOP_NFT_CHAIN_FLUSH */
} kop;

/* ---- constructors (pure) ------------------------------------------------ */
kop kop_sysctl(const char *key, const char *value);   /* key in dotted form */
kop kop_link_up(const char *dev);
kop kop_addr(kop_type add_or_del, const char *dev, uint32_t addr, int prefix);
kop kop_rt_tables(kop_type add_or_del, uint32_t table, const char *name);
kop kop_rule(kop_type add_or_del, uint32_t fwmark, uint32_t table, const char *name);
kop kop_route(kop_type t, kroute_type rtype, ntk_cidr dst, uint32_t table, const char *name,
              uint32_t gw, const char *dev, uint32_t src);
kop kop_route_flush(uint32_t table, const char *name);
kop kop_nat_snat(ntk_cidr match, uint32_t to);
kop kop_nat_netmap(const ntk_netmap_rule *r);
kop kop_simple(kop_type t);                           /* NFT_TABLE_ADD/DEL, SWEEP */
kop kop_link_del(const char *netns, const char *dev); /* netns NULL or "" = own */
kop kop_netns_del(const char *name);
kop kop_mark(const char *mac, uint32_t fwmark);
kop kop_nft_chain_flush(knft_chain chain);
kop kop_netns(kop_type add_or_del, const char *name);
kop kop_macvlan(const char *dev, const char *link, const char *mac, const char *netns);
/* Table id of the main table: routes there print without "table". */
#define KERNEL_TABLE_MAIN 254

/* The documented command form of op (Proof/commands/sequence style), e.g.
 *   sysctl net.ipv4.ip_forward=1
 *   ip address add 10.0.0.26 dev eth1
 *   (echo; echo "251 ntk # xxx_table_ntk_xxx") | tee -a <rt_tables> >/dev/null
 *   ip rule add table ntk
 *   ip route add unreachable 10.0.0.0/29 table ntk
 *   iptables -t nat -A POSTROUTING -d 10.0.0.64/27 -j SNAT --to 10.0.0.26
 * rt_tables may be NULL (then "/etc/iproute2/rt_tables").  Returns buf. */
const char *kop_format(const kop *op, const char *rt_tables, char *buf, size_t len);

/* The nftables statement of an nft kop (one or more lines ending in '\n'),
 * or "" for other kops. */
const char *kop_format_nft(const kop *op, char *buf, size_t len);

/* rt_tables text editing (used by the netlink backend, unit-tested): returns a
 * newly allocated (g_free) copy of text without the marker line(s)
 * "<table> <name> # xxx_table_<name>_xxx" (exactly that number and name; the
 * last one when there are several: two qspnd sharing one file each remove
 * their own), together with the empty line just before it when there is one
 * (the documented append writes "\n<line>\n"). *removed: 1 or 0. */
char *kernel_rt_tables_strip(const char *text, uint32_t table, const char *name, int *removed);

/* ---- backends ------------------------------------------------------------ */
typedef struct kernel kernel;

typedef struct {
    /* apply one non-nft kop */
    int (*apply_one)(kernel *k, const kop *op, char *err, size_t errlen);
    /* apply an nftables script (the statements of the n kops ops) as one transaction */
    int (*nft_run)(kernel *k, const kop *ops, size_t n, const char *script, bool tolerant,
                   char *err, size_t errlen);
    /* MAC of dev as "00:16:3E:FD:E2:AA" (upper case); false if no such link */
    bool (*link_mac)(kernel *k, const char *dev, char *mac, size_t len);
    void (*free)(kernel *k);
    /* optional: enter the kernel's namespace (returns a token for leave, or -1
     * with err) and come back; NULL when the kernel works where it is called */
    int (*enter)(kernel *k, char *err, size_t errlen);
    void (*leave)(kernel *k, int token);
    /* optional (NULL: kernel_apply_all() applies them with apply_one): apply n batchable kops
     * (kernel_batchable()) all, calling result(ctx, i, err) exactly once per kop,
     * in index order, err NULL when kop i succeeded */
    void (*apply_batch)(kernel *k, const kop *ops, size_t n,
                        void (*result)(void *ctx, size_t i, const char *err), void *ctx);
} kernel_vtable;

/* Outcome of one applied kop, for an observer (qspnctl monitor). */
typedef enum {
    KERNEL_OP_OK = 0,
    KERNEL_OP_FAILED,          /* the apply stops here */
    KERNEL_OP_IGNORED,         /* failed, but the kop is tolerant ("already gone") */
} kernel_op_result;
/* Called after each kop is applied (every kop of an nft transaction gets the
 * transaction's outcome): line is kop_format(), err the reason when not ok. */
typedef void (*kernel_observer)(void *ctx, const kernel *k, const kop *op, const char *line,
                                kernel_op_result result, const char *err);

struct kernel {
    const kernel_vtable *vt;
    char rt_tables[256];       /* path of the rt_tables file */
    char label[KOP_NAMELEN];   /* "" for the system's namespace, else the identity namespace */
    int netns_fd;              /* -1: the caller's namespace; else entered around every apply */
    void *priv;
    kernel_observer observe;   /* NULL: none (kernel_set_observer) */
    void *observe_ctx;
};

/* Apply ops in order; consecutive nft kops become one transaction.  Each kop is
 * logged at debug level (one line each).  Stops at the first failure (unless
 * the kop is tolerant) and returns -1 with a message in err; 0 on success.
 * *done (may be NULL) receives the number of kops applied (a failed nft
 * transaction applies none of its kops). */
int kernel_apply(kernel *k, const kop *ops, size_t n, size_t *done, char *err, size_t errlen);
/* Same, checking *cancel (set by a signal handler) before each kop or nft
 * transaction: when it is non-zero, stops and returns KERNEL_CANCELLED with
 * *done = the kops applied so far (the caller rolls them back). */
#define KERNEL_CANCELLED (-2)
int kernel_apply_cancellable(kernel *k, const kop *ops, size_t n, size_t *done,
                             const volatile sig_atomic_t *cancel, char *err, size_t errlen);

/* Called by kernel_apply_all() once per failed kop: its index in ops and why. */
typedef void (*kernel_fail_fn)(void *ctx, size_t index, const kop *op, const char *err);
/* Apply ALL ops in order and report each failure instead of stopping: returns
 * the number of failed kops, on_fail (may be NULL) having been called once for
 * each, in index order.  A tolerant kop that fails is ignored as in
 * kernel_apply() (neither counted nor reported); a failed nft transaction fails
 * every kop of it.  Runs of batchable kops go to the backend's apply_batch
 * (several requests per system call, each acknowledged on its own, so every
 * kop's outcome is exact); a run is finished before the next non-batchable kop,
 * so ordering is that of kernel_apply().  Logging and the observer see every kop
 * with its outcome.  If the kernel's namespace cannot be entered, every kop fails. */
int kernel_apply_all(kernel *k, const kop *ops, size_t n, kernel_fail_fn on_fail, void *ctx);
/* Kops kernel_apply_all() may hand to apply_batch: route add/change/del, rule add/del. */
bool kernel_batchable(const kop *op);
bool kernel_link_mac(kernel *k, const char *dev, char *mac, size_t len);
void kernel_free(kernel *k);
/* Whether kernel_apply* log one debug line per kop (default true).  Formatting
 * a kop costs about as much as sending it batched: qspnd turns it off unless
 * --verbose (its log writer drops debug lines then anyway). */
void kernel_set_debug_log(bool on);
/* Observe every kop k applies from now on (fn NULL: stop). */
void kernel_set_observer(kernel *k, kernel_observer fn, void *ctx);

/* libnl + libnftables backend, in the caller's current network namespace.
 * Returns NULL (message in err) on failure. */
kernel *kernel_netlink_new(const char *rt_tables, char *err, size_t errlen);
/* The same for the named namespace /run/netns/<netns>: its sockets are created
 * inside it and every apply runs inside it (the thread switches and comes back). */
kernel *kernel_netlink_new_in(const char *rt_tables, const char *netns, char *err, size_t errlen);

/* Named network namespaces, as `ip netns add/del` (qspn/kernel/netns.c). */
int kernel_netns_create(const char *name, char *err, size_t errlen);
int kernel_netns_delete(const char *name, char *err, size_t errlen);
bool kernel_netns_exists(const char *name);
/* Run fn inside the named namespace (open, setns, fn, setns back). */
int kernel_netns_run(const char *name, int (*fn)(void *ctx, char *err, size_t errlen), void *ctx,
                     char *err, size_t errlen);

/* Recording fake. */
kernel *kernel_fake_new(const char *rt_tables);
/* Recorded lines (kop_format() of each applied kop, in order, nft kops
 * included: "nft add table ip qspnd", "iptables -t nat -A ..."), NULL-terminated. */
const char *const *kernel_fake_lines(kernel *k, size_t *n);
void kernel_fake_clear(kernel *k);
/* Make the n-th (0-based, counting from now) applied op fail with -1. */
void kernel_fake_fail_at(kernel *k, long n);
/* Register a link the fake knows (for link_mac). */
void kernel_fake_add_link(kernel *k, const char *dev, const char *mac);

#endif
