/* qspn.h - QSPN core: one manager per identity, ETPs, hierarchical path discovery.
 *
 * Pure C11, no syscalls, no sockets, no main loop. Time, transport, randomness
 * and signal delivery are injected through qspn_env, so the same code runs in
 * the daemon and in the discrete-event simulator (qspn/sim).
 *
 * Reference: shared/spec/qspn.md (section numbers below refer to it).
 *
 * Execution model (spec §3.7, §8.28): every entry point runs to completion.
 * Remote requests are asynchronous: the manager hands a frame to
 * env.send_request and later the transport calls qspn_on_reply() or
 * qspn_on_request_failed() for the same arc, in request order (the transport
 * is reliable and ordered per arc). Timers are one-shot: env.set_timer(id,
 * delay) and later qspn_on_timer(id). Signal callbacks run synchronously
 * inside the merge; they may call the query functions but MUST NOT call any
 * mutating function of the same manager (queue those in the user code).
 */
#ifndef QSPN_CORE_QSPN_H
#define QSPN_CORE_QSPN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ntkaddr.h"

/* Limits of the wire format (spec §7.5); a topology with more levels is refused. */
#define QSPN_MAX_LEVELS 16
#define QSPN_MAX_PATH_HOPS 64
#define QSPN_MAX_ROUTE 64
#define QSPN_MAX_PATHS_PER_ETP 16384
#define QSPN_MAX_POS 0xFFFE
#define QSPN_MAX_FRAME (4u * 1024u * 1024u)

/* Costs (spec §1.5): uint32 microseconds; 0 = NULL (zero), 0xFFFFFFFF = DEAD. */
#define QSPN_COST_NULL 0u
#define QSPN_COST_DEAD 0xFFFFFFFFu
/* Eldership reserved for connectivity g-nodes: strictly youngest (spec §1.6). */
#define QSPN_NULL_ELDERSHIP 0xFFFFFFFFu

/* Fingerprint of a g-node of level `level` (spec §1.6). elderships has
 * levels-level entries, seed has level entries. */
typedef struct {
    uint64_t id;
    int level;
    uint32_t eld[QSPN_MAX_LEVELS];
    uint32_t seed[QSPN_MAX_LEVELS];
} qspn_fp;

/* One element of a path: the g-node hops[j] and the arc id by which the path
 * ENTERS it (spec §2.3). 8 bytes: the fields are as narrow as the wire's
 * (level u8, position u16), since every stored path holds an array of them. */
typedef struct {
    uint8_t lvl;               /* < QSPN_MAX_LEVELS */
    uint16_t pos;              /* <= QSPN_MAX_POS */
    uint32_t arc_id;
} qspn_hop;

/* A path as seen by the user (valid only during the callback / until the next
 * mutating call). cost is the total cost including my arc. */
typedef struct {
    void *arc;                 /* the user's handle of my arc to the gateway */
    int n_hops;
    const qspn_hop *hops;      /* hops[0] = gateway g-node, hops[n-1] = destination */
    uint32_t cost;
    uint32_t nodes_inside;
    const qspn_fp *fp;
} qspn_path_view;

typedef struct qspn_manager qspn_manager;

/* Errors of the query functions. */
typedef enum {
    QSPN_OK = 0,
    QSPN_ERR_BOOTSTRAP_IN_PROGRESS = 1,
    QSPN_ERR_INVALID = 2,
} qspn_status;

/* The signals of spec §4.1, one kind each. */
typedef enum {
    QSPN_EV_BOOTSTRAP_COMPLETE,
    QSPN_EV_PRESENCE_NOTIFIED,
    QSPN_EV_ARC_REMOVED,
    QSPN_EV_DESTINATION_ADDED,
    QSPN_EV_DESTINATION_REMOVED,
    QSPN_EV_PATH_ADDED,
    QSPN_EV_PATH_CHANGED,
    QSPN_EV_PATH_REMOVED,
    QSPN_EV_CHANGED_FP,
    QSPN_EV_CHANGED_NODES_INSIDE,
    QSPN_EV_GNODE_SPLITTED,
    QSPN_EV_REMOVE_IDENTITY,
} qspn_event_kind;

/* One signal of spec §4.1. Which fields are set depends on the kind:
 *   BOOTSTRAP_COMPLETE, PRESENCE_NOTIFIED, REMOVE_IDENTITY   (none)
 *   ARC_REMOVED                  arc, bad_link
 *   DESTINATION_ADDED/_REMOVED   dest
 *   PATH_ADDED/_CHANGED/_REMOVED path (PATH_CHANGED: the new version), dest
 *   CHANGED_FP, CHANGED_NODES_INSIDE  level
 *   GNODE_SPLITTED               arc, dest, fp
 * Pointers are valid only during the callback. */
typedef struct {
    qspn_event_kind kind;
    void *arc;
    bool bad_link;
    ntk_hcoord dest;
    const qspn_path_view *path;
    int level;
    const qspn_fp *fp;
} qspn_event;

typedef void (*qspn_event_cb)(void *user, qspn_manager *m, const qspn_event *ev);

/* Signals of spec §4.1 as twelve callbacks (any may be NULL). Deprecated:
 * used only when qspn_env.on_event is NULL (docs/qspn-core.md has the
 * mapping to qspn_event). */
typedef struct {
    void (*bootstrap_complete)(void *user, qspn_manager *m);
    void (*presence_notified)(void *user, qspn_manager *m);
    void (*arc_removed)(void *user, qspn_manager *m, void *arc, bool bad_link);
    void (*destination_added)(void *user, qspn_manager *m, ntk_hcoord d);
    void (*destination_removed)(void *user, qspn_manager *m, ntk_hcoord d);
    void (*path_added)(void *user, qspn_manager *m, const qspn_path_view *p);
    /* Reports the NEW version of the path (as HEAD; the pinned code reported the old). */
    void (*path_changed)(void *user, qspn_manager *m, const qspn_path_view *p);
    void (*path_removed)(void *user, qspn_manager *m, const qspn_path_view *p);
    void (*changed_fp)(void *user, qspn_manager *m, int level);
    void (*changed_nodes_inside)(void *user, qspn_manager *m, int level);
    void (*gnode_splitted)(void *user, qspn_manager *m, void *arc, ntk_hcoord d, const qspn_fp *fp);
    void (*remove_identity)(void *user, qspn_manager *m);
} qspn_signals;

/* Injected environment. */
typedef struct {
    void *user;
    /* Unicast a one-way frame (SEND_ETP, PREPARE_DESTROY, DESTROY) on an arc.
     * Broadcasts are sent as one call per arc; the transport may coalesce. */
    void (*send)(void *user, qspn_manager *m, void *arc, const uint8_t *frame, size_t len);
    /* Send a request (GET_FULL_ETP_REQ); the answer comes back through
     * qspn_on_reply / qspn_on_request_failed. */
    void (*send_request)(void *user, qspn_manager *m, void *arc, const uint8_t *frame, size_t len);
    /* Answer a request received through qspn_on_message (token given there). */
    void (*send_reply)(void *user, qspn_manager *m, void *arc, uint64_t token,
                       const uint8_t *frame, size_t len);
    /* Arm a one-shot timer; when it expires call qspn_on_timer(m, timer_id). */
    void (*set_timer)(void *user, qspn_manager *m, uint64_t timer_id, uint32_t delay_ms);
    /* Uniform random 32-bit value (arc ids, wave ids). */
    uint32_t (*random32)(void *user);
    /* Split confirmation delay (spec §2.1 threshold_calculator); NULL = 10000 ms. */
    uint32_t (*split_threshold)(void *user, qspn_manager *m, const qspn_path_view *eldest,
                                const qspn_path_view *other);
    /* Optional debug log line. */
    void (*log)(void *user, qspn_manager *m, const char *line);
    /* Every signal of spec §4.1, one qspn_event each. When set, `sig` is
     * not used. */
    qspn_event_cb on_event;
    qspn_signals sig;
} qspn_env;

/* Process-wide configuration (spec §2.1) plus the knobs of §8 that the spec
 * leaves open. qspn_config_default() fills the spec's proof values. */
typedef struct {
    int max_paths;                   /* 5 */
    double max_common_hops_ratio;    /* 0.6 */
    uint32_t arc_timeout_ms;         /* 10000 (the proof simulator uses 300) */
    uint32_t bootstrap_giveup_ms;    /* 10000 (spec §8.8); 0 = never give up */
    uint32_t refresh_ms;             /* 600000; 0 disables the periodic full ETP */
    uint32_t split_flood_ms;         /* 500 */
    uint32_t presence_ms;            /* 1000 */
    uint32_t connectivity_notice_ms; /* 50 */
    uint32_t prepare_destroy_ms;     /* 10000 */
    /* Cost hysteresis of important_variation (spec §1.5, §8.26): 0.3 = the
     * proof's ±30 % band; 0 = every cost change is important (exact costs). */
    double cost_hysteresis;
    /* ignore_outside as the pinned code computes it (spec §3.6). Default
     * false: one visible path per exit class (docs/qspn-core.md, D3). */
    bool pinned_ignore_rule;
    /* remove_outer_arcs keeps arcs whose peer address is still unknown, as
     * the pinned code does (spec §4.3); default false = HEAD, removes them. */
    bool pinned_keep_unknown_outer;
    /* Retention for complete forwarding tables (docs/qspn-core.md,
     * "retention"): besides rules M1-M3, keep for every hop h of the best
     * path the cheapest path avoiding h. Default true; false = rule M2 as
     * the spec reads it. */
    bool avoid_retention;
    /* Pacing of advertisements (docs/qspn-core.md, "Advertisement"): after
     * an ETP with changes, later changes wait and are coalesced for this
     * long. 0 = send every change at once. Default 100 ms. */
    uint32_t etp_hold_ms;
} qspn_config;

void qspn_config_default(qspn_config *c);

/* ---- costs and fingerprints (pure helpers, also used by the tests) ---- */

uint32_t qspn_cost_add(uint32_t a, uint32_t b);             /* NULL neutral, DEAD absorbing, saturating */
bool qspn_cost_important_variation(uint32_t oldc, uint32_t newc); /* ±30 % band of §1.5 */
bool qspn_cost_important_variation_r(uint32_t oldc, uint32_t newc, double ratio);
bool qspn_fp_equals(const qspn_fp *a, const qspn_fp *b);    /* by id only */
/* a is older than b by seed (same destination, different ids). */
bool qspn_fp_elder_seed(const qspn_fp *a, const qspn_fp *b);
/* Fingerprint of my level L+1 g-node from mine at L and the siblings' (spec §1.6). */
void qspn_fp_construct(const qspn_fp *mine, const qspn_fp *others, int n_others,
                       int levels, qspn_fp *out);
/* Level-0 fingerprint: id and elderships[0..levels-1] (index = level). */
void qspn_fp_make_node(qspn_fp *out, uint64_t id, int levels, const uint32_t *eld_by_level);

/* ---- constructors ------------------------------------------------------ */

/* create_net (spec §3.10): a network made of this node alone. The bootstrap
 * complete signal comes 1 ms later from a timer. Returns NULL on invalid input. */
qspn_manager *qspn_create_net(const qspn_config *cfg, const qspn_env *env,
                              const ntk_topology *topo, const ntk_naddr *my_naddr,
                              const qspn_fp *my_fp0);

/* Arguments of enter_net / migration (spec §4.4). */
typedef struct {
    int n_internal;
    void *const *internal_arcs;            /* new identity's arcs to the other members of w */
    const uint32_t *internal_costs;
    void *const *internal_arcs_prev;       /* corresponding arcs of previous_identity */
    const ntk_naddr *internal_peer_naddrs; /* peers' NEW addresses */
    int n_external;
    void *const *external_arcs;
    const uint32_t *external_costs;
    const ntk_naddr *my_naddr;
    const qspn_fp *my_fp0;
    /* Rewrites elderships >= k of a copied internal fingerprint; NULL = identity. */
    void (*update_internal_fp)(void *ctx, qspn_fp *fp);
    void *update_ctx;
    int guest_level;                       /* k */
    int host_level;                        /* hl, k < hl <= levels */
    const qspn_manager *previous;          /* may be NULL when k == 0 (nothing to copy) */
} qspn_enter_args;

qspn_manager *qspn_enter_net(const qspn_config *cfg, const qspn_env *env,
                             const ntk_topology *topo, const qspn_enter_args *a);
/* Same body as enter_net (spec §4.2); kept separate for readability of callers. */
qspn_manager *qspn_migration(const qspn_config *cfg, const qspn_env *env,
                             const ntk_topology *topo, const qspn_enter_args *a);

/* Bootstrap give-up delay of this manager (spec §8.8); 0 = never give up,
 * e.g. an entering identity whose host g-node does not exist yet (the
 * documents' entry in two phases).  Setting it arms the give-up when no
 * bootstrap request is outstanding. */
void qspn_set_bootstrap_giveup(qspn_manager *m, uint32_t ms);

/* Frees everything; pending timers of this manager must be dropped by the user. */
void qspn_destroy_manager(qspn_manager *m);
/* Do now what the periodic refresh does (spec §3.7.5): broadcast a full ETP
 * to every arc. The simulator uses it to model "10 minutes later". */
void qspn_refresh_now(qspn_manager *m);
/* Stops the periodic refresh (spec §4.3 stop_operations). */
void qspn_stop_operations(qspn_manager *m);

/* ---- arcs (spec §3.7) --------------------------------------------------- */

bool qspn_arc_add(qspn_manager *m, void *arc, uint32_t cost);
bool qspn_arc_is_changed(qspn_manager *m, void *arc, uint32_t new_cost);
bool qspn_arc_remove(qspn_manager *m, void *arc);

/* ---- transport and time entry points ------------------------------------ */

/* A frame arrived on `arc` (SEND_ETP, GET_FULL_ETP_REQ, PREPARE_DESTROY,
 * DESTROY). token is echoed to env.send_reply for requests. */
void qspn_on_message(qspn_manager *m, void *arc, const uint8_t *frame, size_t len, uint64_t token);
/* The answer to the oldest outstanding request on `arc`. */
void qspn_on_reply(qspn_manager *m, void *arc, const uint8_t *frame, size_t len);
/* The oldest outstanding request on `arc` failed in the transport. */
void qspn_on_request_failed(qspn_manager *m, void *arc);
void qspn_on_timer(qspn_manager *m, uint64_t timer_id);

/* ---- queries (spec §4.2) ------------------------------------------------ */

bool qspn_is_bootstrap_complete(const qspn_manager *m);
const ntk_naddr *qspn_my_naddr(const qspn_manager *m);
int qspn_levels(const qspn_manager *m);
/* Writes up to max destinations of level lvl; returns the count or -1 (bootstrap). */
int qspn_get_known_destinations(const qspn_manager *m, int lvl, ntk_hcoord *out, int max);
/* Visible paths to d (valid fingerprint only), cheapest first (sorted on read,
 * ties by arc-id sequence). Returns the count or -1 during bootstrap. The
 * views stay valid until the next mutating call. */
int qspn_get_paths_to(qspn_manager *m, ntk_hcoord d, qspn_path_view *out, int max);
/* Best path that does not contain neighbour `via_arc`'s maximal distinct
 * g-node (spec §2.6); via_arc NULL = egress table (plain best path).
 * Returns false when no such path exists (unreachable for that table). */
bool qspn_best_path_avoiding(qspn_manager *m, ntk_hcoord d, void *via_arc, qspn_path_view *out);
qspn_status qspn_get_nodes_inside(const qspn_manager *m, int level, uint32_t *out);
qspn_status qspn_get_fingerprint(const qspn_manager *m, int level, qspn_fp *out);
/* Address of the peer behind arc, false if not learnt yet. */
bool qspn_get_naddr_for_arc(const qspn_manager *m, void *arc, ntk_naddr *out);
int qspn_current_arcs(const qspn_manager *m, void **out, int max);
/* The arc id this manager drew for arc (0 if unknown). */
uint32_t qspn_arc_id(const qspn_manager *m, void *arc);

/* ---- identity lifecycle (spec §4.3) -------------------------------------- */

/* Old identity after a migration: connectivity at levels from..to. */
bool qspn_make_connectivity(qspn_manager *m, int from, int to, const ntk_naddr *new_naddr,
                            void (*update_internal_fp)(void *ctx, qspn_fp *fp), void *ctx,
                            const qspn_fp *new_fp0);
/* New identity whose temporary virtual position becomes real (spec §4.3,
 * with the fix of §8.3: the guest level is remembered for the lifetime). */
bool qspn_make_real(qspn_manager *m, const ntk_naddr *new_naddr,
                    void (*update_internal_fp)(void *ctx, qspn_fp *fp), void *ctx,
                    const qspn_fp *new_fp0);
void qspn_remove_outer_arcs(qspn_manager *m);
bool qspn_check_connectivity(const qspn_manager *m);
/* Connectivity levels (spec §1.4): *from = *to = 0 for a main identity.  A new
 * identity made from a connectivity one inherits them (spec §4.4, HEAD
 * clipping to the guest level). */
void qspn_connectivity_levels(const qspn_manager *m, int *from, int *to);
void qspn_prepare_destroy(qspn_manager *m);
void qspn_destroy(qspn_manager *m);
void qspn_exit_network(qspn_manager *m, int level);

/* ---- statistics ----------------------------------------------------------- */

typedef struct {
    uint64_t etp_sent;        /* SEND_ETP frames and GET_FULL_ETP replies carrying an ETP */
    uint64_t etp_bytes;
    uint64_t requests_sent;
    uint64_t etp_received;
    uint64_t etp_dropped_cyclic;
    uint64_t merges;
} qspn_stats;

const qspn_stats *qspn_get_stats(const qspn_manager *m);
/* Heap bytes of the routing state of this manager: the map, the spare
 * paths, the arcs and the pending advertisement (docs/qspn-core.md). */
size_t qspn_state_bytes(const qspn_manager *m);

#endif
