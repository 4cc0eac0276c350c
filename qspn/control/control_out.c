/* control_out.c - reply delivery that never blocks the main loop.
 *
 * Each reply goes to the FIFO its client created (rsp-<id>.fifo), opened
 * O_WRONLY|O_NONBLOCK.  What the pipe does not take at once is kept (at most
 * CONTROL_REPLY_MAX bytes per reply, CONTROL_OUT_MAX replies) and written when
 * the FIFO becomes writable, until the reply deadline; then it is dropped. */
#include "control_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    control_server *s;
    int fd;
    GString *wire;
    size_t off;
    gint64 deadline;               /* monotonic, us */
    GSource *src;
    char id[CONTROL_ID_MAX + 1];
} ctl_out;

int ctl_open_reply(const control_server *s, const char *id)
{
    gchar *path = control_reply_path(s->dir, id);
    int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0) {
        /* ENXIO: a FIFO without reader, left by a client that was killed */
        if (errno == ENXIO && lstat(path, &st) == 0 && S_ISFIFO(st.st_mode))
            (void)unlink(path);
        g_free(path);
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode)) {
        CTL_LOG(G_LOG_LEVEL_WARNING, "%s is not a FIFO: request %s not answered", path, id);
        close(fd);
        fd = -1;
    }
    g_free(path);
    return fd;
}

/* 1 all written, 0 the pipe is full, -1 the reader is gone (EPIPE) or error. */
static int write_some(int fd, const GString *wire, size_t *off)
{
    while (*off < wire->len) {
        ssize_t w = write(fd, wire->str + *off, wire->len - *off);
        if (w > 0) {
            *off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN)
            return 0;
        return -1;
    }
    return 1;
}

static void dropped(control_server *s, const char *id, const char *why)
{
    s->st.replies_dropped++;
    CTL_LOG(G_LOG_LEVEL_MESSAGE, "reply to request %s dropped: %s", id, why);
}

static void out_free(ctl_out *o, bool destroy_source)
{
    g_ptr_array_remove_fast(o->s->outs, o);
    if (o->src) {
        if (destroy_source)
            g_source_destroy(o->src);
        g_source_unref(o->src);
    }
    close(o->fd);
    g_string_free(o->wire, TRUE);
    g_free(o);
}

static gboolean on_writable(gint fd, GIOCondition cond, gpointer data)
{
    ctl_out *o = data;
    int r = write_some(fd, o->wire, &o->off);
    if (r == 0 && g_get_monotonic_time() < o->deadline)
        return G_SOURCE_CONTINUE;
    if (r < 0)
        dropped(o->s, o->id, "the client is gone");
    else if (r == 0)
        dropped(o->s, o->id, "the client did not read it in time");
    out_free(o, false);
    return G_SOURCE_REMOVE;
}

void ctl_out_send(control_server *s, int fd, const char *id, GString *wire)
{
    size_t off = 0;
    int r = write_some(fd, wire, &off);
    if (r != 0 || s->outs->len >= CONTROL_OUT_MAX) {
        if (r < 0)
            dropped(s, id, "the client is gone");
        else if (r == 0)
            dropped(s, id, "too many replies being written");
        close(fd);
        g_string_free(wire, TRUE);
        return;
    }
    ctl_out *o = g_new0(ctl_out, 1);
    o->s = s;
    o->fd = fd;
    o->wire = wire;
    o->off = off;
    o->deadline = g_get_monotonic_time() + (gint64)s->reply_timeout_ms * 1000;
    g_strlcpy(o->id, id, sizeof o->id);
    o->src = g_unix_fd_source_new(fd, G_IO_OUT);
    g_source_set_callback(o->src, G_SOURCE_FUNC(on_writable), o, NULL);
    g_source_set_ready_time(o->src, o->deadline);   /* wakes us at the deadline */
    g_source_attach(o->src, s->ctx);
    g_ptr_array_add(s->outs, o);
}

int ctl_poll_writable(GPtrArray *items, int (*fd_of)(gconstpointer item), gint64 end)
{
    guint n = items->len;
    struct pollfd *p = g_new0(struct pollfd, n);
    for (guint i = 0; i < n; i++) {
        p[i].fd = fd_of(g_ptr_array_index(items, i));
        p[i].events = POLLOUT;
    }
    gint64 left = (end - g_get_monotonic_time()) / 1000;
    int rc = left > 0 ? poll(p, n, (int)left) : 0;
    int e = errno;
    g_free(p);
    errno = e;
    return rc;
}

static int out_fd(gconstpointer o)
{
    return ((const ctl_out *)o)->fd;
}

void ctl_out_flush(control_server *s, gint64 budget_us)
{
    gint64 end = g_get_monotonic_time() + budget_us;
    while (s->outs->len > 0) {
        int rc = ctl_poll_writable(s->outs, out_fd, end);
        if (rc < 0 && errno == EINTR)
            continue;
        for (guint i = s->outs->len; i-- > 0;) {
            ctl_out *o = g_ptr_array_index(s->outs, i);
            int r = write_some(o->fd, o->wire, &o->off);
            if (r == 0 && rc > 0)
                continue;
            if (r != 1)
                dropped(s, o->id, r < 0 ? "the client is gone" : "the client did not read it in time");
            out_free(o, true);
        }
    }
}
