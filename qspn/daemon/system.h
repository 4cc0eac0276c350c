/* system.h - the running system: one state model that every command and
 * `show` read.
 *
 *   qsys    the system: NICs, neighbourhood, accepted arcs, identities,
 *           table numbers, namespaces, pending operations, counters
 *   qns     a network namespace qspnd manages (the default one and one per
 *           connectivity identity): its kernel handle and what is installed
 *   qid     an identity at run time (idm_identity->user): its QSPN manager,
 *           address, elderships, namespace
 *   qwarc   an identity-arc at run time (idm_idarc->user): qspn-arc flag and
 *           table; it is also the QSPN manager's arc handle
 *   qreal   a physical arc the operator accepted (add_real_arc) with its cost
 *
 * Files: system.c (start, stop, NICs, HELLOs), nsync.c (namespace state:
 * fib sync, rt_tables), identity.c (QSPN managers and their signals),
 * arcs.c (neighbourhood events, accepted arcs, Identities signals and
 * messages), rpc.c (requests over TCP), enter.c (entry into another
 * network), commands.c / show.c (the control commands). */
#ifndef QSPN_DAEMON_SYSTEM_H
#define QSPN_DAEMON_SYSTEM_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "control.h"
#include "fib.h"
#include "idm.h"
#include "kernel.h"
#include "nbr_table.h"
#include "options.h"
#include "qspn.h"
#include "tables.h"
#include "transport.h"

typedef struct qsys qsys;
typedef struct qns qns;
typedef struct qid qid;
typedef struct qwarc qwarc;
typedef struct qreal qreal;
typedef struct qop qop;
struct qmon;                           /* monitor.h: qspnctl monitor's subscribers */

/* Called before an adding kop is applied (added) and after a removing one:
 * the state file's write-ahead records (runtime.c). */
typedef void (*qsys_state_fn)(void *ctx, const kop *op, bool added);

struct qns {
    qsys *sys;
    char name[IDM_NSLEN];              /* "" = the system's own namespace */
    kernel *k;
    fib_state installed;
    qid *owner;                        /* the identity living there */
    guint sync_source;                 /* idle sync scheduled */
    uint64_t kernel_errors;
};

struct qid {
    qsys *sys;
    idm_identity *ident;
    qns *ns;
    qspn_manager *m;
    ntk_naddr addr;
    uint32_t eld[NTK_MAX_LEVELS];      /* elderships by level */
    uint64_t fp_id;
    int conn_from, conn_to;            /* 0, 0: not a connectivity identity */
    int guest_level;                   /* k of the operation that created it (0 for #0) */
    bool duplicating;                  /* phase B in progress: peer removals wait */
    uint32_t copy_of_conn;             /* NodeID of the connectivity identity this one was
                                          copied from (a migration of a connectivity
                                          identity): dismissed with it (UseCases19) */
    uint32_t origin_conn;              /* migration: NodeID of the connectivity identity it
                                          was copied from (its outer arcs go at presence) */
    /* an entry that waits for its PREV_OP_ID: qspn-arcs get their tables at once
     * but are given to QSPN only at phase 2 (the documented states S07c-S08i:
     * epsilon1 exchanges no ETP before enter_net_phase_2) */
    bool awaiting_phase2;
    GPtrArray *deferred;               /* qwarc* */
    GArray *deferred_removals;         /* uint32 peer NodeIDs paired with uint64 arcs */
    GHashTable *timers;                /* QSPN timer id -> glib source id */
    GPtrArray *handles;                /* every qwarc ever made for it (freed with it) */
    bool dismissing;
    GHashTable *mon_paths;             /* monitor: best paths last reported (monemit.c) */
};

struct qwarc {
    qid *owner;
    idm_idarc *w;                      /* NULL once the identity-arc is gone */
    bool qspn;                         /* given to owner's QSPN manager */
    int tid;                           /* 0: no forwarding table */
    nmsg_mac tmac;                     /* the MAC tid was acquired for */
    bool has_prev;                     /* duplication: the table of the old MAC */
    int prev_tid;
    nmsg_mac prev_mac;
};

struct qreal {
    uint64_t id;                       /* the neighbourhood arc's id */
    int nic;
    uint32_t peer_nnid;
    nmsg_mac peer_mac;
    uint32_t peer_ll;
    uint32_t cost;                     /* microseconds, chosen by the operator */
};

typedef struct {
    uint64_t tcp_frames_bad;           /* undecodable messages over TCP */
    uint64_t udp_bad;                  /* undecodable datagrams */
    uint64_t msg_no_arc;               /* from a peer with no arc */
    uint64_t msg_unexpected;           /* well formed but not acceptable now */
    uint64_t qspn_undeliverable;       /* QSPN frames dropped after waiting */
    uint64_t rpc_timeouts;
    uint64_t kernel_errors;
    /* --key-file: messages dropped before decoding (docs/neighbour-protocol.md) */
    uint64_t auth_missing;             /* no trailer (a sender without key) */
    uint64_t auth_bad;                 /* HMAC wrong: forged, tampered, another key */
    uint64_t auth_replay;              /* authentic, sequence number not new */
    uint64_t kernel_ops;               /* kernel operations asked for (kernel_errors of them failed) */
    qspn_stats retired;                /* the QSPN counters of identities already gone */
} qsys_counters;

struct qsys {
    int64_t started_us;                /* monotonic, for the uptime */
    qspnd_options *opt;
    GMainLoop *loop;
    qspn_config qcfg;
    uint32_t nnid;
    nbr_table *nbr;
    udp_nic *udp[QSPND_MAX_NICS];
    tl_hub *tcp;
    guint hello_source, tick_source;
    guint ruler_source;                /* print_time_ruler ON */
    idm *idm;
    tables tables;
    GArray *rt_installed;              /* tables_entry: the rt_tables lines written */
    GPtrArray *spaces;                 /* qns*, [0] = the system's namespace */
    GPtrArray *reals;                  /* qreal* */
    GPtrArray *ops;                    /* qop* */
    GHashTable *rpc;                   /* request id -> pending request */
    GHashTable *tokens;                /* QSPN request token -> incoming request */
    uint64_t next_token;
    GPtrArray *parked_qspn;            /* QSPN frames waiting for their identity-arc */
    GPtrArray *parked_match;           /* match_duplication answers waiting for "ready" */
    GHashTable *pins;                  /* op id -> pinned names and interfaces */
    int next_ns;                       /* for ntkv<N> names */
    qsys_counters c;
    uint64_t auth_seq;                 /* --key-file: our last sequence number */
    GHashTable *auth_windows;          /* --key-file: (sender NNID, path) -> anti-replay window */
    bool stopping;
    struct qmon *mon;                  /* NULL: no monitor (unit tests); not owned */
    qsys_state_fn state_fn;
    void *state_ctx;
    /* a kernel handle inside a named namespace (kernel_netlink_new_in, or a fake) */
    kernel *(*kernel_in)(const char *rt_tables, const char *netns, char *err, size_t errlen);
};

/* ---- system.c -------------------------------------------------------------------- */
/* Everything after the start-up plan: neighbourhood, sockets, identity #0. */
/* offline: no sockets (unit tests with the recording kernel fake). */
bool qsys_start(qsys *s, qspnd_options *opt, kernel *k, GMainLoop *loop, bool offline, char *err,
                size_t errlen);
/* Bye to the neighbours, dismiss connectivity identities, remove what the
 * namespace state added; then the caller runs plan_teardown. */
int qsys_stop(qsys *s);
void qsys_free(qsys *s);
int64_t qsys_now_us(void);
const char *qsys_nic_dev(const qsys *s, int nic);
uint32_t qsys_nic_ll(const qsys *s, int nic);

/* ---- nsync.c ----------------------------------------------------------------------- */
qns *qns_new(qsys *s, const char *name, kernel *k);
void qns_free(qns *ns);
void qns_schedule(qns *ns);                          /* an idle sync */
void qns_sync_now(qns *ns);
/* What is installed is what the model wants (after the start-up plan). */
void qns_adopt(qns *ns);
void qsys_schedule_all(qsys *s);
void qsys_sync_rt_tables(qsys *s);
/* Remove everything installed in ns (teardown of the system's namespace). */
int qns_clear(qns *ns);
const char *qsys_table_name(qsys *s, uint32_t table, char *buf, size_t len);

/* ---- identity.c ------------------------------------------------------------------- */
qid *qid_new(qsys *s, idm_identity *ident);
void qid_free(qid *q);
qspn_env qid_env(qid *q);
qwarc *qwarc_of(idm_idarc *w);
/* Give w to the owner's QSPN manager with a forwarding table. */
bool qid_add_qspn_arc(qid *q, qwarc *a, uint32_t cost, bool take_table);
void qid_remove_qspn_arc(qid *q, qwarc *a);
/* Entry done / connectivity dismissed: tell peers, delete the namespace. */
void qid_dismiss(qid *q);

/* print_time_ruler ON|OFF (ruler.c); false with "Bad argument X." otherwise. */
bool qsys_time_ruler(qsys *s, const char *arg, GString *err);
void qid_fp0(const qid *q, qspn_fp *out);
uint32_t qsys_arc_cost(qsys *s, uint64_t arc);
/* A QSPN frame from peer identity src (on arc) for local identity dst. */
void qsys_deliver_qspn(qsys *s, uint64_t arc, uint32_t peer_ll, uint32_t src, uint32_t dst,
                       uint32_t request_id, const uint8_t *frame, size_t len);
void qsys_retry_parked(qsys *s);

/* ---- arcs.c ------------------------------------------------------------------------- */
void qsys_on_nbr_event(void *user, nbr_event ev, const nbr_arc *a, nbr_down_reason why);
qreal *qsys_real(qsys *s, uint64_t id);
qreal *qsys_real_by_macs(qsys *s, const nmsg_mac *mine, const nmsg_mac *peer);
void qsys_forget_real(qsys *s, qreal *r);
extern const idm_signals qsys_idm_signals;
/* A request from a neighbour over TCP (already decoded and matched to its arc). */
void qsys_on_request(qsys *s, const nbr_arc *a, const nmsg *m);
/* mig just became ready: answer the match_duplication calls waiting for it. */
void qsys_release_parked_matches(qsys *s, idm_migration *mig);

/* ---- peerids.c -------------------------------------------------------------------- */
/* Answer GET_PEER_IDENTITIES on arc a. */
void qsys_answer_identities(qsys *s, const nbr_arc *a, const nmsg *m);
typedef void (*qsys_peerids_done)(qsys *s, void *user);
/* Ask the neighbour of an accepted arc for its identities and make the
 * identity-arcs both ends are willing to form (UseCases18); then done. */
void qsys_ask_peer_identities(qsys *s, uint64_t arc, qsys_peerids_done done, void *user);

/* ---- rpc.c ------------------------------------------------------------------------ */
typedef void (*rpc_done_fn)(qsys *s, void *user, const nmsg *reply);   /* reply NULL: failed */
/* A fresh request id (non-zero, unused). */
uint32_t rpc_new_id(qsys *s);
/* Send msg (encoded with request id `id`) on arc and wait for the reply. */
void rpc_call(qsys *s, const nbr_arc *a, uint32_t id, const nmsg_buf *msg, uint32_t timeout_ms,
              rpc_done_fn fn, void *user);
/* One-way message or reply on arc. */
void rpc_send(qsys *s, const nbr_arc *a, const nmsg_buf *msg);
void rpc_fail_peer(qsys *s, uint32_t peer_ll);
void rpc_fail_all(qsys *s);
/* TCP callbacks of the hub. */
extern const tl_callbacks qsys_tl_callbacks;

/* ---- msgauth.c (--key-file) -------------------------------------------------------- */
void qsys_auth_init(qsys *s);
void qsys_auth_free(qsys *s);
/* With a key: append the trailer to msg (one whole message); else nothing. */
void qsys_auth_seal(qsys *s, nmsg_buf *msg);
/* Decode a received message.  With a key: verify its trailer, decode it
 * without the trailer, check its sequence number in the window of its sender
 * on this path (udp: the receiving NIC; TCP: the sender's link-local).  false:
 * dropped by authentication (counted here); true: *r is the decoder's result
 * (the caller counts a malformed one as before). */
bool qsys_auth_decode(qsys *s, const uint8_t *data, size_t len, bool udp, uint32_t path, nmsg *m,
                      nmsg_result *r);

/* ---- enter.c ------------------------------------------------------------------------- */
void qop_free(qop *op);

/* ---- state file (write-ahead records of what qspnd adds) ---------------------------- */
void qsys_state_note(qsys *s, const kop *op, bool added);

#endif
