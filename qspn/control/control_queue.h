/* control_queue.h - the bounded queue of lines waiting for one stream
 * subscriber (a `monitor` client): pure, no file descriptor, no main loop.
 *
 * Lines are appended whole (a line that begins with '%' gets one more '%',
 * as reply bodies do, and a '\n'); the queue refuses a line that would take it
 * past max_lines lines or max_bytes bytes not yet written.  The writer is
 * injected (write(2) on a non-blocking FIFO in the daemon, a fake in tests).
 * Docs: docs/monitor.md. */
#ifndef QSPN_CONTROL_QUEUE_H
#define QSPN_CONTROL_QUEUE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct {
    GString *buf;                  /* lines, buf->str[off..len) not yet written */
    size_t off;
    size_t lines;                  /* complete lines (or their tails) not yet written */
    bool mid_line;                 /* the writer has taken part of a line, not its end */
    size_t max_lines, max_bytes;
} control_queue;

typedef enum {
    CQ_OK = 0,                     /* appended */
    CQ_FULL,                       /* refused: the bound would be exceeded (nothing appended) */
    CQ_BAD,                        /* refused: the line contains '\n' or NUL, or is empty */
} control_queue_push;

typedef enum {
    CQ_DONE = 0,                   /* everything written */
    CQ_AGAIN,                      /* the writer would block (EAGAIN): bytes remain */
    CQ_GONE,                       /* the writer failed (EPIPE: the reader left) */
} control_queue_write;

/* Like write(2): >= 0 bytes written, -1 with errno (EAGAIN: would block). */
typedef ssize_t (*control_queue_writer)(void *ctx, const char *buf, size_t len);

void control_queue_init(control_queue *q, size_t max_lines, size_t max_bytes);
void control_queue_clear(control_queue *q);     /* frees; init again to reuse */
/* Append one line (len bytes, without '\n'); escaped and terminated here. */
control_queue_push control_queue_push_line(control_queue *q, const char *line, size_t len);
/* Append a protocol line ("%ok <id>") verbatim, ignoring the bounds (one
 * terminator after the bounded lines). */
void control_queue_push_raw(control_queue *q, const char *line);
/* Drop every line not yet written; the tail of a line the writer has begun
 * to take is kept (the reader never sees half a line glued to the next). */
void control_queue_discard(control_queue *q);
/* Write as much as the writer takes. */
control_queue_write control_queue_flush(control_queue *q, control_queue_writer w, void *ctx);
size_t control_queue_bytes(const control_queue *q);   /* not yet written */
size_t control_queue_lines(const control_queue *q);

#endif
