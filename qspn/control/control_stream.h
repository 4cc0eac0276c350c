/* control_stream.h - a request turned into a stream of lines (qspnctl
 * monitor): the client's reply FIFO stays open after the request and the
 * daemon writes lines into it, without ever blocking, until the stream ends.
 *
 * On the wire (docs/monitor.md):
 *     %stream <id>                  the subscription is accepted
 *     <line>                        any number of lines ('%' escaped as in replies)
 *     %ok <id>                      the daemon stopped (the end)
 *     %error <id> <reason>          the daemon ended the stream (too slow)
 * A stream that is not read fast enough (more than max_lines lines or
 * max_bytes bytes waiting besides what the pipe holds) is DROPPED: what waits
 * is discarded, "%error <id> too slow: ..." is written if the pipe takes it
 * within CONTROL_STREAM_CLOSE_MS, and the FIFO is closed.  A reader that
 * closes its FIFO (EPIPE, POLLERR) ends the stream at once. */
#ifndef QSPN_CONTROL_STREAM_H
#define QSPN_CONTROL_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "control.h"

#define CONTROL_STREAM_MAX_LINES 1000          /* default bounds of one subscriber's queue */
#define CONTROL_STREAM_MAX_BYTES (256 * 1024)
#define CONTROL_STREAM_CLOSE_MS 5000           /* to deliver the final line, then closed */
#define CONTROL_STREAM_LINE_MAX (16 * 1024)    /* bytes of one line (a longer one is not sent) */
#define CONTROL_STREAM_ACK "%stream"

typedef struct control_stream control_stream;

/* The stream ended by itself: the reader left, or it was dropped (too slow),
 * or the server is being freed.  Called once; st must not be used after it
 * (it may still deliver its final line internally). */
typedef void (*control_stream_gone_fn)(control_stream *st, const char *why, void *user);

/* Turn an asynchronous request into a stream: "%stream <id>" is written and
 * the server runs the next commands at once (as after a reply).  Returns NULL
 * when the client is already gone or the server was freed (req is consumed in
 * every case). max_lines/max_bytes 0: the defaults above. */
control_stream *control_request_stream(control_request *req, size_t max_lines, size_t max_bytes,
                                       control_stream_gone_fn gone, void *user);

/* Queue one line (no '\n' inside, at most CONTROL_STREAM_LINE_MAX bytes; an
 * empty, longer or multi-line one is logged and not sent) and write what the
 * pipe takes now.  false
 * when the stream ended (then gone() has been called, inside this call). */
bool control_stream_send(control_stream *st, const char *line);

const char *control_stream_id(const control_stream *st);

/* Streams alive (and ending) of the server. */
size_t control_server_n_streams(const control_server *s);

/* ---- internal (control_server.c) ---- */
/* Each stream is ended with "%ok <id>" (gone(): "qspnd stopped") and what waits
 * is written within budget_us in all; then they are closed and freed. */
void ctl_stream_flush_all(control_server *s, gint64 budget_us);

#endif
