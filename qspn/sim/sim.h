/* sim.h - in-memory discrete-event simulator for the QSPN core.
 *
 * N identities, links with per-end costs and a per-message latency, scripted
 * events, and an oracle (Dijkstra on the flat graph lifted to hierarchical
 * destinations) to check the converged maps. Deterministic for a given seed. */
#ifndef QSPN_SIM_SIM_H
#define QSPN_SIM_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "qspn.h"

typedef struct sim sim;

typedef struct {
    uint64_t frames;          /* every QSPN frame handed to the transport */
    uint64_t bytes;
    uint64_t etp_frames;      /* SEND_ETP + GET_FULL_ETP_REP */
    uint64_t etp_bytes;
    uint64_t requests;
    uint64_t events;
    uint64_t refresh_etp_frames; /* part of etp_frames sent during refresh rounds */
    uint64_t refresh_etp_bytes;
} sim_counters;

/* Signal log entry (tests of the worked examples read it). */
typedef enum {
    SIMSIG_BOOTSTRAP_COMPLETE, SIMSIG_PRESENCE, SIMSIG_ARC_REMOVED, SIMSIG_DEST_ADDED,
    SIMSIG_DEST_REMOVED, SIMSIG_PATH_ADDED, SIMSIG_PATH_CHANGED, SIMSIG_PATH_REMOVED,
    SIMSIG_CHANGED_FP, SIMSIG_CHANGED_NN, SIMSIG_SPLIT, SIMSIG_REMOVE_IDENTITY,
} simsig_kind;

typedef struct {
    uint64_t t_ms;
    int node;
    simsig_kind kind;
    ntk_hcoord d;             /* destination (dest/path/split signals) */
    int level;                /* changed_fp / changed_nn */
    uint32_t cost;            /* path signals */
    int n_hops;
    ntk_hcoord hops[16];      /* first 16 hops of the path */
    uint64_t fp_id;           /* path fp or split fp */
    int peer;                 /* split / arc_removed: the node at the far end */
} sim_signal;

sim *sim_new(const ntk_topology *topo, const qspn_config *cfg, uint64_t seed);
void sim_free(sim *s);
void sim_set_latency(sim *s, uint32_t ms);     /* default 20 ms */
void sim_set_split_threshold(sim *s, uint32_t ms); /* default 3000 ms */
void sim_set_log(sim *s, FILE *f);             /* trace of the managers' log lines */
void sim_record_signals(sim *s, bool on);
/* Called with every encoded frame a manager hands to the transport (the
 * generator of the codec's fuzz corpus keeps some). */
typedef void (*sim_frame_tap)(void *ctx, const uint8_t *frame, size_t len);
void sim_set_frame_tap(sim *s, sim_frame_tap tap, void *ctx);

uint64_t sim_now(const sim *s);
const ntk_topology *sim_topology(const sim *s);
uint32_t sim_link_cost_from(const sim *s, int link, int from);
int sim_node_count(const sim *s);
qspn_manager *sim_manager(sim *s, int node);
const ntk_naddr *sim_naddr(const sim *s, int node);
bool sim_alive(const sim *s, int node);
/* The user changed the identity's address (make_connectivity, make_real). */
void sim_set_naddr(sim *s, int node, const ntk_naddr *a);

/* Define a node (not yet started). elderships by level (NULL: derived from
 * the address, eldership(i) = pos(i)). fp_id 0: random. */
int sim_define_node(sim *s, const ntk_naddr *a, uint64_t fp_id, const uint32_t *eld);
/* Start a defined node as a new network (create_net). */
void sim_start_create_net(sim *s, int node);
/* Define a link between two nodes; cost_ab is measured by a. Not yet announced. */
int sim_define_link(sim *s, int a, int b, uint32_t cost_ab, uint32_t cost_ba);
/* Announce a link to both ends now (arc_add at a; at b after delay_b_ms). */
void sim_link_up(sim *s, int link, uint32_t delay_b_ms);
/* Start node `node` with enter_net(k=0, hl=levels) through its defined links
 * (which must be up at the other end or come up later); the far ends call
 * arc_add 1 ms later (as the proof simulator does). */
void sim_start_enter(sim *s, int node, int guest_level, int host_level);
/* enter_net / migration of a g-node of level guest_level (spec §4.4): `node`
 * is the new identity of `prev_node`. internal_links[i] joins node to the new
 * identity of a member of w and replaces prev_links[i] of prev_node;
 * external_links lead outside w. Their far ends call arc_add 1 ms later
 * (internal ones are announced by the other new identity itself). */
void sim_start_migrate(sim *s, int node, int prev_node, int guest_level, int host_level,
                       const int *internal_links, const int *prev_links, int n_internal,
                       const int *external_links, int n_external, bool migration);
void sim_link_down(sim *s, int link);
void sim_link_cost(sim *s, int link, uint32_t cost_ab, uint32_t cost_ba);
/* Per-message latency of one link (0 = the default of sim_set_latency).
 * Constant per link, so each link stays FIFO as the transport requires. */
void sim_link_latency(sim *s, int link, uint32_t ms);
/* The latency a message on `link` takes, in ms. */
uint32_t sim_link_latency_of(const sim *s, int link);
void sim_crash(sim *s, int node);
int sim_link_count(const sim *s);
void sim_link_ends(const sim *s, int link, int *a, int *b, bool *up);
int sim_find_link(const sim *s, int a, int b);
void *sim_arc_handle(sim *s, int link, int end_node);

/* Run to quiescence; with refresh_round, then let every identity do what
 * the 10-minute refresh does (broadcast its full ETP) and run to quiescence
 * again, round after round (at most 8) until a round changes nothing.
 * Returns false if the event limit was hit. */
bool sim_converge(sim *s, bool refresh_round);
/* Refresh rounds used by the last sim_converge (the last one changed nothing). */
int sim_refresh_rounds(const sim *s);
/* Run until no event is left or until t_ms (0 = until quiescent). */
void sim_run(sim *s, uint64_t until_ms);
/* Run until quiescent. Returns false if max_events was hit (no convergence). */
bool sim_run_quiescent(sim *s, uint64_t max_events);

const sim_counters *sim_counts(const sim *s);
int sim_signals(const sim *s, const sim_signal **out);
/* How many signals of kind k node has emitted so far. */
int sim_signal_count(const sim *s, int node, simsig_kind k);
void sim_clear_signals(sim *s);

/* ---- oracle (oracle.c) ---- */

typedef struct {
    int identities;
    int destinations;          /* (identity, destination) pairs checked */
    int mismatches;            /* best cost differs, or destination known on one side only */
    int avoid_checked;
    int avoid_mismatches;      /* "avoid neighbour m's g-node": QSPN's answer is not the oracle's
                                  (missing, dearer, cheaper, through m's g-node, or a path
                                  where the oracle has none) */
    int avoid_missing;         /* of which: the oracle has a path avoiding m's g-node, QSPN none */
    int avoid_suboptimal;      /* of which: QSPN's path is dearer than the oracle's */
    int nonconvex;             /* flat optimum re-enters a g-node: not representable, skipped */
    int avoid_nonconvex;       /* the same, for the avoid variant (removing m's g-node often
                                  leaves only such detours) */
} oracle_result;

/* Compare every alive identity's map with the oracle. When out is non-NULL,
 * write one line per (identity, destination) and every mismatch. */
void oracle_check(sim *s, bool check_avoid, FILE *out, bool full_report, oracle_result *r);

/* ---- topology generators (topo.c) ---- */

typedef enum { SHAPE_CHAIN, SHAPE_RING, SHAPE_GRID, SHAPE_RANDOM } sim_shape;

bool sim_shape_parse(const char *name, sim_shape *out);
/* Define n nodes with addresses packed level by level and links of the given
 * shape; costs are random and scaled by the level of the link so that flat
 * shortest paths respect the hierarchy (docs/qspn-core.md, "oracle").
 * Returns false if n does not fit the topology. */
bool sim_build_shape(sim *s, sim_shape shape, int n, uint64_t seed);
/* Start everything: create_net on every node and every link up. */
void sim_start_all(sim *s);
/* Node 0 creates the network; the others enter one by one (enter_net with
 * k = 0, hl = levels) in BFS order through their links to the nodes already
 * in, each after the previous one has settled. */
void sim_start_by_joining(sim *s);
/* Is every g-node (every level, alive members, links up) internally connected? */
bool sim_gnodes_connected(sim *s);
/* A link (up) whose removal keeps every g-node internally connected, or -1. */
int sim_pick_safe_link(sim *s, uint64_t *rng);
/* A node whose crash keeps every g-node internally connected, or -1. */
int sim_pick_safe_crash(sim *s, uint64_t *rng);
/* A new identity in the next free slot, linked (one or two links, costs growing tenfold
 * per level crossed) inside its smallest non-empty g-node, so that no g-node splits;
 * it then enters the network. Returns its node number, -1 when the topology is full. */
int sim_join_node(sim *s, uint64_t *rng);
uint64_t sim_rng_next(uint64_t *state);

#endif
