/* monitor.h - `qspnctl monitor`: the daemon's subscribers and the events the
 * running system reports to them (docs/monitor.md).
 *
 * A subscriber is a control stream (qspn/control/control_stream.h): the
 * `monitor [--json]` command turns its request into a stream; each event is
 * formatted once per form (monevent.c) and queued on every stream, which
 * never blocks the daemon (a subscriber that falls more than 1000 lines or
 * 256 KiB behind is dropped).  At most QMON_MAX_SUBSCRIBERS at a time.  The
 * emitters below cost nothing when nobody listens. */
#ifndef QSPN_DAEMON_MONITOR_H
#define QSPN_DAEMON_MONITOR_H

#include <stdbool.h>
#include <stddef.h>

#include "control.h"
#include "kernel.h"
#include "monevent.h"
#include "system.h"

#define QMON_MAX_SUBSCRIBERS 16

typedef struct qmon qmon;

qmon *qmon_new(void);
/* After control_server_free() (which ends the streams). */
void qmon_free(qmon *m);
/* The running system whose identities' paths are followed (NULL: none). */
void qmon_attach(qmon *m, qsys *s);
size_t qmon_subscribers(const qmon *m);
/* Stamp (time, seq), format and queue ev on every subscriber. */
void qmon_emit(qmon *m, qmon_event *ev);

/* `monitor [--json]` (asynchronous handler; user is the qspnd). */
void qspnd_cmd_monitor(int argc, char **argv, control_request *req, void *user);

/* kernel_observer (ctx: the qmon): a `kernel` event per kop; an address
 * added or removed also gives ip_address_added / ip_address_removed. */
void qmon_kernel_observer(void *ctx, const kernel *k, const kop *op, const char *line,
                          kernel_op_result result, const char *err);

/* ---- emitters of the running system (s->mon NULL or no subscriber: nothing) ---- */
void qmon_neighbour(qsys *s, bool up, const nbr_arc *a, const char *reason);
/* QMON_ARC_ADDED / _CHANGED (old_cost) / _REMOVED */
void qmon_real_arc(qsys *s, qmon_type t, const qreal *r, uint32_t old_cost);
/* QMON_IDARC_* and QMON_QSPN_ARC_* (table: the forwarding table, 0 none) */
void qmon_idarc(qsys *s, qmon_type t, const idm_idarc *w, int table);
/* QMON_IDENTITY_CREATED / _DISMISSED */
void qmon_identity(qsys *s, qmon_type t, const qid *q);
/* q->addr has just changed from *old (NULL: it had none). */
void qmon_address(qsys *s, const qid *q, const ntk_naddr *old);
/* After a sync of q's namespace: best paths compared with the last ones seen
 * (path_added / path_changed / path_removed). */
void qmon_paths(qid *q);
/* Take q's current best paths as the reference, without events (a new audience). */
void qmon_paths_prime(qid *q);
void qmon_stopping(qmon *m);

#endif
