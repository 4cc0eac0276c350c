/* control_testutil.h - helpers for the control server/client tests: a test
 * command table with counters, clients in threads while the test iterates the
 * server's main context, and raw clients that write bytes themselves. */
#ifndef QSPN_TESTS_CONTROL_TESTUTIL_H
#define QSPN_TESTS_CONTROL_TESTUTIL_H

#include <glib.h>
#include <stdbool.h>

#include "control.h"
#include "control_client.h"

typedef struct {
    gchar *tmp, *dir;
    control_server *srv;
    GString *log;                 /* "echo:<args>;" per executed echo, "quit;" ... */
    int echo_calls, quit_calls, slow_calls;
    control_request *held;        /* the last "slow" request, not yet completed */
    size_t big_size;              /* body bytes of "big" */
} tctx;

/* Temporary directory with a server running the test table:
 *   echo ARGS...   sync: body = the arguments, one per line
 *   boom           sync: fails with "boom\nfailed"
 *   quit           sync: stops the server, replies ok
 *   big            sync: body of big_size bytes ('x' lines)
 *   slow [ARG]     async: held in t->held until the test completes it
 *   now            async: completed inside the handler ("now") */
tctx *tctx_new(void);
/* Free the server (if any) and remove the directory; fails the test if
 * anything is left in it (a reply FIFO, cmd.fifo). */
void tctx_free(tctx *t);
const control_command *tctx_table(size_t *n);

/* A client call in a thread. */
typedef struct {
    gchar *dir, *line;
    double timeout;
    int status;                   /* -1 while running */
    GString *body, *reason;
    GThread *th;
    gint64 started, finished;     /* monotonic us */
} tcall;

tcall *tcall_start(const char *dir, const char *line, double timeout);
/* Iterate the default context until the call returns; then join it. */
void tcall_finish(tcall *c);
/* Join without iterating (the server looks stopped, as with SIGSTOP). */
void tcall_join(tcall *c);
void tcall_free(tcall *c);

/* Iterate the default context for ms milliseconds. */
void iterate_ms(int ms);

/* Raw client: its reply FIFO rsp-<id>.fifo opened for reading. */
typedef struct {
    gchar *path;
    char id[CONTROL_ID_MAX + 1];
    int rfd;
    GString *got;
} traw;

traw *traw_open(const char *dir, const char *id);
/* Write bytes (printf-formatted) to cmd.fifo in one write. */
void traw_write(const char *dir, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Iterate until the reply of r is complete (or max_ms): 1 ok, 0 error, -1 none.
 * body/reason (may be NULL) receive the parsed reply. */
int traw_reply(traw *r, int max_ms, GString *body, GString *reason);
/* Close and remove the FIFO (the client leaves). */
void traw_close(traw *r);

#endif
