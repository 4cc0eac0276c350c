/* runtime.h - qspnd's running state and its control commands. */
#ifndef QSPN_DAEMON_RUNTIME_H
#define QSPN_DAEMON_RUNTIME_H

#include <glib.h>
#include <signal.h>

#include "control.h"
#include "kernel.h"
#include "options.h"
#include "plan.h"
#include "state.h"

struct qsys;
struct qmon;

typedef struct {
    qspnd_options opt;
    struct qsys *sys;            /* the running system (system.h); NULL before start */
    kernel *k;
    guint32 nodeid;              /* random id of identity #0 */
    GMainLoop *loop;             /* NULL in unit tests */
    control_server *srv;         /* NULL in unit tests */
    struct qmon *mon;            /* qspnctl monitor's subscribers (monitor.h); NULL in unit tests */
    GArray *startup;             /* the applied start-up plan (kop) */
    bool started;                /* start-up completed, teardown pending */
    int exit_code;
    /* checked between start-up kernel operations (SIGTERM/SIGINT); NULL: never */
    const volatile sig_atomic_t *cancel;
    char *state_path;            /* <control-dir>/qspnd.state; NULL in unit tests */
    GArray *state;               /* state_record: what this run recorded (write-ahead) */
    int netns_lock;              /* owner.h; -1 when not held */
    int dir_lock;
} qspnd;

/* After the start-up plan: the running system (neighbourhood, sockets,
 * identity #0).  offline: no sockets (unit tests).  0 on success. */
int qspnd_run_system(qspnd *d, bool offline, char *err, size_t errlen);
void qspnd_free_system(qspnd *d);

/* Fill nic MACs from the kernel; false (message in err) if a NIC is missing. */
bool qspnd_read_macs(qspnd *d, char *err, size_t errlen);

/* Apply the start-up plan (rolling back on failure).  0 on success, -1 on a
 * failure, KERNEL_CANCELLED when *d->cancel was set (rolled back too). */
int qspnd_start(qspnd *d, char *err, size_t errlen);

/* Write-ahead record of something this run is about to add that is not
 * self-evidently qspnd's (a namespace, a macvlan, an rt_tables line...): the
 * state file is rewritten (durably) before this returns true; call it BEFORE
 * the kernel change.  qspnd_state_forget() after removing it again.  Without a
 * state file (unit tests) both only update d->state. */
bool qspnd_state_record(qspnd *d, const state_record *r, GError **error);
bool qspnd_state_forget(qspnd *d, const state_record *r, GError **error);

/* Apply the teardown plan once (later calls do nothing).  0 on success. */
int qspnd_teardown(qspnd *d);

/* Text form of `show` (g_free). */
char *qspnd_show_text(const qspnd *d);

#endif
