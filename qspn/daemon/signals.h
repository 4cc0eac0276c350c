/* signals.h - qspnd's signal handling, usable before and inside the main loop.
 *
 * SIGTERM, SIGINT: stop (teardown, exit 0).  Also a sticky flag checked between
 *                  kernel operations, so that a long start-up stops promptly
 *                  and is rolled back.
 * SIGHUP:          reopen the log file (log rotation).
 * SIGUSR1:         write the `show` text to the log.
 * SIGUSR2:         write the control-protocol counters to the log.
 * SIGPIPE:         ignored (a client that left is detected by EPIPE).
 * Handlers only set flags and write the signal number to a self-pipe whose
 * read end the main loop watches. */
#ifndef QSPN_DAEMON_SIGNALS_H
#define QSPN_DAEMON_SIGNALS_H

#include <signal.h>

#define QSIG_STOP 1u
#define QSIG_HUP 2u
#define QSIG_USR1 4u
#define QSIG_USR2 8u

/* Non-zero once SIGTERM or SIGINT arrived (never cleared). */
extern volatile sig_atomic_t qspnd_stop_requested;

/* Install the handlers; 0 on success. */
int qspnd_signals_install(void);
/* Read end of the self-pipe (non-blocking). */
int qspnd_signals_fd(void);
/* The QSIG_* bits of the signals that arrived since the last call. */
unsigned qspnd_signals_take(void);
/* Ignore those signals from now on (exiting) and close the pipe. */
void qspnd_signals_uninstall(void);

#endif
