/* runtime.h - qspnd's running state and its control commands. */
#ifndef QSPN_DAEMON_RUNTIME_H
#define QSPN_DAEMON_RUNTIME_H

#include <glib.h>

#include "control.h"
#include "kernel.h"
#include "options.h"
#include "plan.h"

typedef struct {
    qspnd_options opt;
    kernel *k;
    guint32 nodeid;              /* random id of identity #0 */
    GMainLoop *loop;             /* NULL in unit tests */
    control_server *srv;         /* NULL in unit tests */
    GArray *startup;             /* the applied start-up plan (kop) */
    bool started;                /* start-up completed, teardown pending */
    int exit_code;
} qspnd;

/* The command table (quit, show, show_handlednics, show_local_identities, help). */
const control_command *qspnd_command_table(size_t *n);

/* Fill nic MACs from the kernel; false (message in err) if a NIC is missing. */
bool qspnd_read_macs(qspnd *d, char *err, size_t errlen);

/* Apply the start-up plan (rolling back on failure).  0 on success. */
int qspnd_start(qspnd *d, char *err, size_t errlen);

/* Apply the teardown plan once (later calls do nothing).  0 on success. */
int qspnd_teardown(qspnd *d);

/* Text and JSON forms of `show` (g_free). */
char *qspnd_show_text(const qspnd *d);
char *qspnd_show_json(const qspnd *d);

#endif
