/* control_client_internal.h - shared by control_client.c (one request, one
 * reply) and control_client_stream.c (a request turned into a stream).  Not
 * part of the public API. */
#ifndef QSPN_CONTROL_CLIENT_INTERNAL_H
#define QSPN_CONTROL_CLIENT_INTERNAL_H

#include <glib.h>

#include "control.h"
#include "control_client.h"

typedef struct {
    gint64 deadline;
    char id[CONTROL_ID_MAX + 1];
    gchar *rsp;                  /* reply FIFO path, NULL until created */
    int rfd, rwfd;               /* read end; our own write end (reads never see EOF) */
} ctlc_exchange;

/* Milliseconds until deadline (monotonic us), 0 when past. */
gint64 ctlc_ms_left(gint64 deadline);
/* NULL, or why line cannot be sent (*st: CONTROL_CLIENT_USAGE). */
const char *ctlc_check_line(const char *line, control_client_status *st);
/* Create and open rsp-<id>.fifo with a fresh random id; NULL or why not. */
const char *ctlc_make_reply_fifo(const char *dir, ctlc_exchange *x);
/* "\n<id> <line>\n" to cmd.fifo in one write, within x->deadline; NULL or why not. */
const char *ctlc_send_request(const char *dir, const ctlc_exchange *x, const char *line);
/* Close both ends and remove the FIFO (idempotent). */
void ctlc_exchange_close(ctlc_exchange *x);

#endif
