/* control_queue.c - bounded line queue of a stream subscriber (see control_queue.h). */
#include "control_queue.h"

#include <errno.h>
#include <string.h>

#define COMPACT_MIN 4096               /* erase the written prefix past this size */

void control_queue_init(control_queue *q, size_t max_lines, size_t max_bytes)
{
    q->buf = g_string_new(NULL);
    q->off = 0;
    q->lines = 0;
    q->mid_line = false;
    q->max_lines = max_lines;
    q->max_bytes = max_bytes;
}

void control_queue_clear(control_queue *q)
{
    if (q->buf)
        g_string_free(q->buf, TRUE);
    q->buf = NULL;
    q->off = 0;
    q->lines = 0;
}

size_t control_queue_bytes(const control_queue *q)
{
    return q->buf ? q->buf->len - q->off : 0;
}

size_t control_queue_lines(const control_queue *q)
{
    return q->lines;
}

control_queue_push control_queue_push_line(control_queue *q, const char *line, size_t len)
{
    if (len == 0 || memchr(line, '\n', len) || memchr(line, '\0', len))
        return CQ_BAD;
    size_t need = len + 1 + (line[0] == '%');
    if (q->lines + 1 > q->max_lines || need > q->max_bytes ||
        control_queue_bytes(q) > q->max_bytes - need)
        return CQ_FULL;
    if (line[0] == '%')
        g_string_append_c(q->buf, '%');
    g_string_append_len(q->buf, line, (gssize)len);
    g_string_append_c(q->buf, '\n');
    q->lines++;
    return CQ_OK;
}

void control_queue_push_raw(control_queue *q, const char *line)
{
    g_string_append(q->buf, line);
    g_string_append_c(q->buf, '\n');
    q->lines++;
}

void control_queue_discard(control_queue *q)
{
    const char *nl = q->mid_line ? memchr(q->buf->str + q->off, '\n', control_queue_bytes(q)) : NULL;
    if (nl) {
        g_string_truncate(q->buf, (gsize)(nl - q->buf->str) + 1);
        q->lines = 1;
        return;
    }
    g_string_truncate(q->buf, 0);
    q->off = 0;
    q->lines = 0;
}

static void consumed(control_queue *q, size_t n)
{
    const char *p = q->buf->str + q->off, *end = p + n;
    if (n > 0)
        q->mid_line = end[-1] != '\n';
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) {
        q->lines--;
        p++;
    }
    q->off += n;
    if (q->off == q->buf->len) {
        g_string_truncate(q->buf, 0);
        q->off = 0;
    } else if (q->off >= COMPACT_MIN && q->off * 2 >= q->buf->len) {
        g_string_erase(q->buf, 0, (gssize)q->off);
        q->off = 0;
    }
}

control_queue_write control_queue_flush(control_queue *q, control_queue_writer w, void *ctx)
{
    while (control_queue_bytes(q) > 0) {
        ssize_t r = w(ctx, q->buf->str + q->off, control_queue_bytes(q));
        if (r > 0) {
            consumed(q, (size_t)r > control_queue_bytes(q) ? control_queue_bytes(q) : (size_t)r);
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && errno == EAGAIN)
            return CQ_AGAIN;
        return CQ_GONE;                /* EPIPE, another error, or a writer that took nothing */
    }
    return CQ_DONE;
}
