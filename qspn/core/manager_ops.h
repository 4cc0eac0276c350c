/* manager_ops.h - functions shared by the manager's files. Private to qspn/core.
 *
 *   construct.c  create_net / enter_net / migration, destroy_manager, refresh_now
 *   timers.c     one-shot timers and qspn_on_timer's dispatch
 *   transmit.c   building, encoding and sending frames (one send_to_arcs)
 *   arcs.c       arc records, arc_add / arc_is_changed / arc_remove (spec §3.7)
 *   revise.c     ETP revision (§3.4), merge-and-advertise (process_q)
 *   advert.c     paced, coalesced advertisement of changed paths
 *   bootstrap.c  bootstrap phase (§3.10), gathers of parallel get_full_etp
 *   receive.c    incoming frames and replies, one handler per message kind
 *   split.c      split detection timers and split floods (§3.9)
 *   signals.c    delivery of the signals of spec §4.1 to the user
 *   queries.c    read-only queries (§4.2)
 *   lifecycle.c  identity lifecycle (§4.3)
 *   merge.c      update_map (§3.5)
 */
#ifndef QSPN_CORE_MANAGER_OPS_H
#define QSPN_CORE_MANAGER_OPS_H

#include "merge.h"
#include "paths.h"

/* construct.c */
void qspn_logf(qspn_manager *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* timers.c */
timer_t_ *qspn_timer_new(qspn_manager *m, timer_kind kind, uint32_t delay_ms);
void qspn_timer_free(timer_t_ *t);

/* transmit.c */
typedef bool (*qspn_arc_filter)(const qspn_manager *m, const arc_t *a, const void *ctx);
/* Encode msg once and send it to every arc that `keep` accepts (NULL = all).
 * SEND_ETP frames are counted in the statistics. */
void qspn_send_to_arcs(qspn_manager *m, const qspn_msg *msg, qspn_arc_filter keep, const void *ctx);
/* A SEND_ETP with my header, the given route and paths. */
void qspn_etp_msg(const qspn_manager *m, qspn_msg *msg, const ntk_hcoord *route, int n_route,
                  const path_list *paths, bool is_full);
/* SEND_ETP to every arc except `except` (NULL = all). */
void qspn_tx_etp(qspn_manager *m, const ntk_hcoord *route, int n_route, const path_list *paths,
                 bool is_full, const arc_t *except);
/* Every stored path, prepared for sending (levels >= min_lvl, not containing avoid). */
void qspn_collect_full(qspn_manager *m, int min_lvl, const ntk_hcoord *avoid, path_list *out);
/* Full ETP to `only`, or to every arc when only is NULL. */
void qspn_tx_full_etp(qspn_manager *m, arc_t *only);
void qspn_tx_request(qspn_manager *m, arc_t *a, req_kind kind, uint64_t gather_id);
void qspn_tx_reply_etp(qspn_manager *m, arc_t *a, uint64_t token, const path_list *paths);
void qspn_tx_error(qspn_manager *m, void *handle, uint64_t token, uint8_t code);
void qspn_tx_prepare_destroy(qspn_manager *m, uint64_t wave);
void qspn_tx_destroy(qspn_manager *m);
void qspn_tx_connectivity_notice(qspn_manager *m, int old_lvl, int old_pos);

/* arcs.c */
uint32_t qspn_fresh_arc_id(qspn_manager *m);
arc_t *qspn_arc_insert(qspn_manager *m, void *handle, uint32_t cost, uint32_t id);
void qspn_arc_forget(qspn_manager *m, arc_t *a, path_list *withdrawn, bool emit);
/* The module itself drops an arc (spec §3.12) and tells the user. */
void qspn_arc_drop(qspn_manager *m, arc_t *a, bool bad_link);

/* revise.c */
bool qspn_revise(qspn_manager *m, qspn_etp *e, arc_t *a, bool is_full, np_list *q);
bool qspn_etp_acceptable(const qspn_manager *m, const qspn_etp *e);
void qspn_process_q(qspn_manager *m, np_list *q, uint32_t a_changed, const path_list *extra,
                    bool advertise);
void qspn_after_merge(qspn_manager *m, merge_result *res, bool advertise);

/* advert.c */
/* Queue the changed paths (moved out of p_out) and flush unless holding. */
void qspn_advertise(qspn_manager *m, path_list *p_out, bool header_changed);
void qspn_adv_hold_fire(qspn_manager *m);

/* bootstrap.c */
void qspn_arm_refresh(qspn_manager *m);
gather_t *qspn_gather_new(qspn_manager *m, gather_kind kind);
gather_t *qspn_gather_find(qspn_manager *m, uint64_t id);
void qspn_gather_start(qspn_manager *m, gather_t *g);
void qspn_gather_settle(qspn_manager *m, uint64_t gid);
void qspn_exit_bootstrap_phase(qspn_manager *m);
void qspn_bootstrap_next(qspn_manager *m);
void qspn_queue_push(qspn_manager *m, void *handle);

/* receive.c */
void qspn_dispatch_message(qspn_manager *m, arc_t *a, const uint8_t *frame, size_t len,
                           uint64_t token);
void qspn_remember_wave(qspn_manager *m, uint64_t wave);

/* split.c */
void qspn_split_after_merge(qspn_manager *m, const hc_set *merged, const hc_set *split);
void qspn_arm_split_flood(qspn_manager *m, const hc_set *b);
void qspn_split_flood_fire(qspn_manager *m, const timer_t_ *t);
void qspn_split_check(qspn_manager *m, timer_t_ *t);
void qspn_split_emitted_clear(qspn_manager *m, ntk_hcoord d, const nodepath *v, int n);

/* signals.c */
void qspn_emit_simple(qspn_manager *m, int kind);
void qspn_emit_arc_removed(qspn_manager *m, void *arc, bool bad_link);
void qspn_emit_dest(qspn_manager *m, int kind, ntk_hcoord d);
void qspn_emit_path(qspn_manager *m, int kind, const nodepath *np);
void qspn_emit_level(qspn_manager *m, int kind, int level);
void qspn_emit_split(qspn_manager *m, void *arc, ntk_hcoord d, const qspn_fp *fp);

#endif
