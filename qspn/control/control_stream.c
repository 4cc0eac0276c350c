/* control_stream.c - requests turned into streams of lines (see control_stream.h).
 *
 * The reply FIFO of the request stays open, O_WRONLY|O_NONBLOCK.  Each stream
 * has a bounded queue (control_queue.c): a line is written at once when the
 * pipe takes it, otherwise it waits and the FIFO is watched for POLLOUT.  The
 * FIFO is always watched for POLLERR (the reader closed it): the stream ends
 * at once, even when nothing is waiting.  Nothing here ever blocks the main
 * loop; the only bounded wait is ctl_stream_flush_all() at exit. */
#include "control_stream.h"
#include "control_internal.h"
#include "control_queue.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <glib-unix.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct control_stream {
    control_server *srv;
    int fd;
    char id[CONTROL_ID_MAX + 1];
    control_queue q;
    GSource *src;
    bool src_out;                  /* src watches G_IO_OUT too */
    bool ending;                   /* the final line is queued: freed once written or at deadline */
    gint64 deadline;               /* monotonic, us (ending) */
    control_stream_gone_fn gone;   /* NULL once called */
    void *user;
};

static ssize_t fd_writer(void *ctx, const char *buf, size_t len)
{
    return write(*(const int *)ctx, buf, len);
}

static void stream_free(control_stream *st)
{
    g_ptr_array_remove_fast(st->srv->streams, st);
    if (st->src) {
        g_source_destroy(st->src);
        g_source_unref(st->src);
    }
    close(st->fd);
    control_queue_clear(&st->q);
    g_free(st);
}

static void tell_gone(control_stream *st, const char *why)
{
    control_stream_gone_fn fn = st->gone;
    st->gone = NULL;
    if (fn)
        fn(st, why, st->user);
}

static gboolean on_fd(gint fd, GIOCondition cond, gpointer data);

/* A client killed before it could remove its FIFO: the FIFO has no reader
 * left, we remove it (as ctl_open_reply does for a request). */
static void remove_if_orphan(const control_stream *st)
{
    gchar *path = control_reply_path(st->srv->dir, st->id);
    int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
    struct stat sb;
    if (fd >= 0)
        close(fd);
    else if (errno == ENXIO && lstat(path, &sb) == 0 && S_ISFIFO(sb.st_mode))
        (void)unlink(path);
    g_free(path);
}

/* Watch the FIFO for errors, and for room when lines wait. */
static void watch(control_stream *st, bool out)
{
    if (st->src && st->src_out == out) {
        if (st->ending)
            g_source_set_ready_time(st->src, st->deadline);
        return;
    }
    if (st->src) {
        g_source_destroy(st->src);
        g_source_unref(st->src);
    }
    st->src = g_unix_fd_source_new(st->fd, (out ? G_IO_OUT : 0) | G_IO_ERR | G_IO_HUP);
    st->src_out = out;
    g_source_set_callback(st->src, G_SOURCE_FUNC(on_fd), st, NULL);
    if (st->ending)
        g_source_set_ready_time(st->src, st->deadline);   /* wakes us at the deadline */
    g_source_attach(st->src, st->srv->ctx);
}

/* Write what the pipe takes and act on the outcome.  false: st was freed. */
static bool pump(control_stream *st, bool reader_gone, bool rewatch)
{
    control_queue_write r = reader_gone ? CQ_GONE : control_queue_flush(&st->q, fd_writer, &st->fd);
    if (r == CQ_GONE) {
        if (!st->ending)
            CTL_LOG(G_LOG_LEVEL_INFO, "stream %s: the reader is gone", st->id);
        remove_if_orphan(st);
        tell_gone(st, "the reader is gone");
        stream_free(st);
        return false;
    }
    if (st->ending && (r == CQ_DONE || g_get_monotonic_time() >= st->deadline)) {
        stream_free(st);
        return false;
    }
    if (rewatch)
        watch(st, r == CQ_AGAIN);
    return true;
}

static gboolean on_fd(gint fd, GIOCondition cond, gpointer data)
{
    control_stream *st = data;
    /* this source goes; pump() makes the one the state needs */
    g_source_unref(st->src);
    st->src = NULL;
    pump(st, (cond & (G_IO_ERR | G_IO_HUP)) != 0, true);
    return G_SOURCE_REMOVE;
}

/* Queue the final line and give it CONTROL_STREAM_CLOSE_MS (or budget). */
static void end_with(control_stream *st, const char *final, gint64 budget_us)
{
    st->ending = true;
    st->deadline = g_get_monotonic_time() + budget_us;
    control_queue_push_raw(&st->q, final);
}

static void drop(control_stream *st)
{
    control_server *s = st->srv;
    s->st.streams_dropped++;
    CTL_LOG(G_LOG_LEVEL_MESSAGE,
            "stream %s dropped: too slow (%zu lines, %zu bytes waiting besides the pipe's)", st->id,
            control_queue_lines(&st->q), control_queue_bytes(&st->q));
    gchar *why = g_strdup_printf("%s %s too slow: more than %zu lines or %zu bytes waiting; dropped",
                                 CONTROL_TERM_ERROR, st->id, st->q.max_lines, st->q.max_bytes);
    control_queue_discard(&st->q);
    end_with(st, why, (gint64)CONTROL_STREAM_CLOSE_MS * 1000);
    g_free(why);
    tell_gone(st, "too slow");
    pump(st, false, true);
}

bool control_stream_send(control_stream *st, const char *line)
{
    if (st->ending)
        return false;
    size_t len = strnlen(line, CONTROL_STREAM_LINE_MAX + 1);
    switch (len > CONTROL_STREAM_LINE_MAX ? CQ_BAD : control_queue_push_line(&st->q, line, len)) {
    case CQ_BAD:
        CTL_LOG(G_LOG_LEVEL_WARNING, "stream %s: a line empty, too long or with a newline: not sent",
                st->id);
        return true;
    case CQ_FULL:
        drop(st);
        return false;
    case CQ_OK:
        break;
    }
    return pump(st, false, true);
}

const char *control_stream_id(const control_stream *st)
{
    return st->id;
}

size_t control_server_n_streams(const control_server *s)
{
    return s->streams ? s->streams->len : 0;
}

control_stream *control_request_stream(control_request *req, size_t max_lines, size_t max_bytes,
                                       control_stream_gone_fn gone, void *user)
{
    control_server *s = req->srv;
    if (!s || req->fd < 0) {
        control_request_reply(req, false, NULL, "the server is gone");
        return NULL;
    }
    control_stream *st = g_new0(control_stream, 1);
    st->srv = s;
    st->fd = req->fd;
    req->fd = -1;
    g_strlcpy(st->id, req->id, sizeof st->id);
    control_queue_init(&st->q, max_lines ? max_lines : CONTROL_STREAM_MAX_LINES,
                       max_bytes ? max_bytes : CONTROL_STREAM_MAX_BYTES);
    s->st.ok++;
    s->st.streams++;
    CTL_LOG(G_LOG_LEVEL_INFO, "request %s '%s': ok (stream)", req->id, req->word);
    g_ptr_array_add(s->streams, st);
    ctl_request_done(s, req);
    gchar *ack = g_strdup_printf("%s %s", CONTROL_STREAM_ACK, st->id);
    control_queue_push_raw(&st->q, ack);
    g_free(ack);
    if (!pump(st, false, true))
        return NULL;
    st->gone = gone;
    st->user = user;
    return st;
}

static int stream_fd(gconstpointer st)
{
    return ((const control_stream *)st)->fd;
}

void ctl_stream_flush_all(control_server *s, gint64 budget_us)
{
    for (guint i = s->streams->len; i-- > 0;) {
        control_stream *st = g_ptr_array_index(s->streams, i);
        if (st->ending)
            continue;
        gchar *fin = g_strdup_printf("%s %s", CONTROL_TERM_OK, st->id);
        end_with(st, fin, budget_us);
        g_free(fin);
        tell_gone(st, "qspnd stopped");
    }
    gint64 end = g_get_monotonic_time() + budget_us;
    while (s->streams->len > 0) {
        int rc = ctl_poll_writable(s->streams, stream_fd, end);
        if (rc < 0 && errno == EINTR)
            continue;
        for (guint i = s->streams->len; i-- > 0;) {
            control_stream *st = g_ptr_array_index(s->streams, i);
            if (rc <= 0)
                st->deadline = 0;      /* the budget is spent: pump frees it */
            pump(st, false, false);
        }
    }
}
