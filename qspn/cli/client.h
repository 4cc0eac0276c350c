/* client.h - the control-FIFO client part of qspnctl (every subcommand but
 * `ipcalc`).  See docs/control.md. */
#ifndef QSPN_CLI_CLIENT_H
#define QSPN_CLI_CLIENT_H

#include <stdio.h>

/* argv[0] is "qspnctl"; options (--control-dir DIR, --timeout SECONDS) come
 * before the command, then the command words.  Prints the reply body on
 * stdout, errors on stderr.  Returns the exit status: 0 ok, 1 the daemon
 * replied with an error, 2 usage error, 3 no daemon answered in time. */
int qspnctl_client_main(int argc, char **argv);

/* qspnctl's exit status for a status of the control client (see above). */
#include "control_client.h"
int qspnctl_exit_status(control_client_status st);

/* `monitor [--json] [--count N] [--for SECONDS]` (qspn/cli/monitor.c): argv[0] is
 * "monitor".  Prints the daemon's events until interrupted, N events, SECONDS,
 * or the end of the stream.  Returns the exit status (docs/monitor.md). */
int qspnctl_monitor_main(const char *dir, double timeout, int argc, char **argv);

/* Usage text of the client subcommands (printed by qspnctl --help). */
void qspnctl_client_usage(FILE *out);

#endif
