/* control_client.h - client side of qspnd's control FIFOs (used by qspnctl and
 * by the test harness). */
#ifndef QSPN_CONTROL_CLIENT_H
#define QSPN_CONTROL_CLIENT_H

#include <glib.h>
#include <signal.h>

#include "control.h"

/* The client's ids are 16 hex digits: a command may have up to
 * CONTROL_REQUEST_MAX - 17 bytes (4077). */
#define CONTROL_CLIENT_ID_LEN 16
#define CONTROL_CLIENT_COMMAND_MAX (CONTROL_REQUEST_MAX - CONTROL_CLIENT_ID_LEN - 1)

typedef enum {
    CONTROL_CLIENT_OK = 0,          /* reply "%ok <id>" */
    CONTROL_CLIENT_ERROR = 1,       /* reply "%error <id> <reason>" */
    CONTROL_CLIENT_USAGE = 2,       /* the command cannot be sent (too long, bad bytes) */
    CONTROL_CLIENT_NOANSWER = 3,    /* no daemon, or no complete reply before the timeout
                                       (also: malformed or over-large reply) */
} control_client_status;

/* Send one command (the words of argv joined by single spaces) to the qspnd
 * whose control directory is dir, and wait at most timeout_s seconds (for the
 * send and the whole reply; <= 0 means 5).  body receives the reply body, reason
 * the error reason (daemon's or local).  Either GString may be NULL. */
control_client_status control_client_call(const char *dir, int argc, char **argv,
                                          double timeout_s, GString *body, GString *reason);

/* Same with a ready-made line (without '\n'); sent as is (at most
 * CONTROL_CLIENT_COMMAND_MAX bytes). */
control_client_status control_client_call_line(const char *dir, const char *line,
                                               double timeout_s, GString *body, GString *reason);

/* ---- streams (qspnctl monitor; docs/monitor.md) ----------------------------------------- */

/* A line of a stream is at most this long (a longer one is a malformed stream). */
#define CONTROL_CLIENT_STREAM_LINE_MAX (64 * 1024)

typedef struct control_client_stream control_client_stream;

typedef enum {
    CONTROL_STREAM_LINE = 0,        /* one line in *line (unescaped, without '\n') */
    CONTROL_STREAM_TIMEOUT,         /* nothing within the wait */
    CONTROL_STREAM_INTERRUPTED,     /* a signal arrived (ppoll returned EINTR) */
    CONTROL_STREAM_END_OK,          /* "%ok <id>": the daemon stopped */
    CONTROL_STREAM_END_ERROR,       /* "%error <id> <reason>": the daemon ended it (*line: reason) */
    CONTROL_STREAM_LOST,            /* EOF without an end line, or a malformed stream */
} control_stream_event;

/* Send line and wait at most timeout_s (<= 0: 5) for "%stream <id>".  OK: *out
 * is the open stream; ERROR: the daemon refused (reason); USAGE / NOANSWER as
 * control_client_call_line().  The FIFO is removed on every failure. */
control_client_status control_client_stream_open(const char *dir, const char *line,
                                                 double timeout_s, control_client_stream **out,
                                                 GString *reason);
/* The next event, waiting at most timeout_ms (< 0: no limit) with ppoll and
 * the signal mask sigmask (NULL: the current one). */
control_stream_event control_client_stream_next(control_client_stream *cs, int timeout_ms,
                                                const sigset_t *sigmask, GString *line);
/* Close the stream and remove its FIFO (NULL: nothing). */
void control_client_stream_close(control_client_stream *cs);

#endif
