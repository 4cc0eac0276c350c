/* manager_internal.h - state of one QSPN manager (spec §2.2). Private to qspn/core. */
#ifndef QSPN_CORE_MANAGER_INTERNAL_H
#define QSPN_CORE_MANAGER_INTERNAL_H

#include "codec.h"
#include "fpintern.h"
#include "grow.h"
#include "qspn.h"

/* Why a GET_FULL_ETP request was sent (replies come back in order per arc). */
typedef enum {
    REQ_ARC_ADD,       /* §3.7.1 */
    REQ_BOOTSTRAP,     /* §3.10 queue phase */
    REQ_GATHER,        /* §3.7.2, §3.7.3, exit_bootstrap_phase */
} req_kind;

typedef struct {
    req_kind kind;
    uint64_t gather_id;
} pending_req;

typedef struct {
    void *handle;
    uint32_t id;
    uint32_t cost;
    uint32_t seq;              /* order of arrival among my arcs: equal-cost tie-break */
    bool has_naddr;
    ntk_naddr naddr;
    bool gone;                 /* being removed: its paths cost DEAD in the selection */
    int n_req, cap_req;
    pending_req *req;
} arc_t;

/* The stored form of a path (spec §2.3): qspn_etp_path without
 * ignore_outside (computed when sending), with the fingerprint interned in
 * the manager's table (fpintern.h), and the two flags of a path in the map,
 * which fit in the padding (32 bytes in all). Freed by qspn_spath_free. */
typedef struct {
    qspn_hop *hops;            /* heap, n_hops entries */
    const qspn_fp *fp;         /* interned in qspn_manager.fpt */
    uint32_t cost;             /* gateway-relative */
    uint32_t nodes_inside;
    int n_hops;
    bool exposed;
    /* Advertised to the neighbours: kept by a mandatory rule (M1, M2, M3,
     * per-hop retention). Paths kept only for disjointness stay local
     * (docs/qspn-core.md, "Advertised set"). */
    bool adv;
} qspn_spath;

/* A stored NodePath (spec §2.3): hops[0].arc_id is my arc id. */
typedef struct {
    qspn_spath p;
} nodepath;

typedef struct {
    int pos;
    int n, cap;
    nodepath *paths;
} dest_t;

typedef struct {
    int n, cap;
    dest_t *d;
} level_map;

typedef struct {
    int n, cap;
    nodepath *v;
} np_list;

typedef struct {
    int n, cap;
    qspn_etp_path *v;
} path_list;

typedef enum {
    GATHER_ARC_CHANGED,
    GATHER_ARC_REMOVED,
    GATHER_EXIT_BOOTSTRAP,
} gather_kind;

typedef struct {
    uint64_t id;
    gather_kind kind;
    int pending;
    uint32_t a_changed;
    np_list q;
    path_list withdrawn;     /* arc_remove's DEAD copies, advertised with P_out */
} gather_t;

typedef enum {
    TIMER_BOOTSTRAP_SIGNAL,
    TIMER_BOOTSTRAP_GIVEUP,
    TIMER_PRESENCE,
    TIMER_REFRESH,
    TIMER_SPLIT_FLOOD,
    TIMER_SPLIT_CHECK,
    TIMER_CONNECTIVITY_NOTICE,
    TIMER_ARC_WAIT,
    TIMER_REMOVE_IDENTITY,
    TIMER_ADV_HOLD,
} timer_kind;

typedef struct {
    uint64_t id;
    timer_kind kind;
    /* payloads */
    ntk_hcoord d;
    qspn_fp fp_e, fp;
    int n_b;
    ntk_hcoord *b;           /* split flood destinations */
    int old_lvl, old_pos;    /* connectivity notice */
    void *arc;               /* arc wait */
    uint8_t *frame;
    size_t frame_len;
    uint64_t token;
    uint32_t waited_ms;
} timer_t_;

typedef struct {
    uint32_t arc_id;
    ntk_hcoord d;
    uint64_t fp_id;
} split_emitted;

struct qspn_manager {
    qspn_config cfg;
    qspn_env env;
    ntk_topology topo;
    int levels;
    ntk_naddr me;
    int n_arcs, cap_arcs;
    arc_t **arcs;
    uint32_t arc_seq;                /* last arc_t.seq given */
    qspn_fp *fps;                    /* levels + 1 entries (heap: qspn_fp has room for 16 levels) */
    uint32_t nn[QSPN_MAX_LEVELS + 1];
    int conn_from, conn_to;          /* 0,0 = main identity */
    bool bootstrap_complete;
    int hooking_level;               /* k while bootstrapping, levels afterwards */
    int guest_level;                 /* k, kept for the lifetime (spec §8.3) */
    int into_level;                  /* hl */
    bool is_enter;                   /* built by enter_net/migration: emits presence_notified */
    int n_queued;
    void **queued;                   /* bootstrap queue (arc handles) */
    bool bootstrap_querying;         /* one queued request outstanding */
    bool giveup_armed;
    level_map map[QSPN_MAX_LEVELS];
    /* Spare paths (docs/qspn-core.md, "retention"): the latest version of
     * every path a neighbour advertised that selection did not keep. Never
     * visible, never advertised; candidates of every later selection. */
    level_map spare[QSPN_MAX_LEVELS];
    /* The fingerprints of the stored paths (map, spare, lists in flight). */
    qspn_fp_table fpt;
    /* split detection */
    int n_pending_split, cap_pending_split;
    uint64_t (*pending_split)[2];
    int n_split_emitted, cap_split_emitted;
    split_emitted *split_emitted_v;
    /* async machinery */
    uint64_t next_id;
    int n_gathers, cap_gathers;
    gather_t **gathers;
    int n_timers, cap_timers;
    timer_t_ **timers;
    bool refresh_armed;
    bool stopped;
    /* prepare_destroy de-duplication (spec §8.4) */
    bool destroy_pending;
    uint64_t seen_wave[8];
    int n_seen_wave;
    /* scratch for get_paths_to views */
    int n_scratch;
    qspn_path_view *scratch;
    qspn_stats stats;
    /* advertisement (advert.c) */
    path_list adv_pending;
    bool adv_header_dirty;
    bool adv_holding;
};

#endif
