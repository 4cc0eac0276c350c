/* control_server.c - the FIFO pair of qspnd, read from the glib main loop.
 *
 * cmd.fifo is opened O_RDONLY|O_NONBLOCK and also held open for writing by the
 * server itself, so that it never sees EOF when a client closes.  Commands are
 * processed one at a time in arrival order; each reply is written to rsp.fifo
 * (opened per reply, O_WRONLY|O_NONBLOCK: no reader means the client is gone
 * and the reply is dropped). */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define G_LOG_DOMAIN_CTL "qspn-control"
#define REPLY_WRITE_TIMEOUT_MS 5000

struct control_server {
    char *dir;
    char *cmd_path;
    char *rsp_path;
    int rfd;
    int wfd;
    guint watch;
    const control_command *table;
    size_t n;
    void *user;
    GString *pending;             /* bytes of the current line */
    bool overlong;                /* current line exceeded CONTROL_LINE_MAX: discard to '\n' */
    gint64 last_byte;             /* monotonic time of the last byte of a partial line */
};

/* A partial line older than this is a dead writer's: dropped, not glued to the
 * next command. */
#define PARTIAL_LINE_TIMEOUT_US (2 * G_USEC_PER_SEC)

static void write_reply(control_server *s, const GString *wire)
{
    int fd = open(s->rsp_path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        g_log_structured(G_LOG_DOMAIN_CTL, G_LOG_LEVEL_WARNING, "MESSAGE",
                         "reply dropped: %s: %s", s->rsp_path, g_strerror(errno));
        return;
    }
    size_t off = 0;
    gint64 deadline = g_get_monotonic_time() + REPLY_WRITE_TIMEOUT_MS * 1000;
    while (off < wire->len) {
        ssize_t w = write(fd, wire->str + off, wire->len - off);
        if (w > 0) {
            off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            gint64 left = (deadline - g_get_monotonic_time()) / 1000;
            if (left <= 0)
                break;
            struct pollfd p = { .fd = fd, .events = POLLOUT };
            (void)poll(&p, 1, (int)left);
            continue;
        }
        break;
    }
    if (off < wire->len)
        g_log_structured(G_LOG_DOMAIN_CTL, G_LOG_LEVEL_WARNING, "MESSAGE",
                         "reply truncated after %zu of %zu bytes", off, wire->len);
    close(fd);
}

static void process_line(control_server *s, const char *line, size_t len, bool overlong)
{
    GString *out = g_string_new(NULL);
    GString *err = g_string_new(NULL);
    GString *wire = g_string_new(NULL);
    bool ok;

    if (overlong) {
        g_string_append(err, "line too long");
        ok = false;
    } else {
        ok = control_handle_line(s->table, s->n, line, len, out, err, s->user);
    }
    {
        /* log the command word only (bounded, printable) */
        char word[40];
        size_t wl = 0;
        for (size_t i = 0; i < len && wl + 1 < sizeof word && !overlong; i++) {
            unsigned char ch = (unsigned char)line[i];
            if (ch == ' ' || ch == '\t')
                break;
            word[wl++] = (ch >= 0x21 && ch < 0x7f) ? (char)ch : '?';
        }
        word[wl] = '\0';
        g_log_structured(G_LOG_DOMAIN_CTL, ok ? G_LOG_LEVEL_INFO : G_LOG_LEVEL_MESSAGE, "MESSAGE",
                         "command '%s': %s%s", word, ok ? "ok" : "error: ", ok ? "" : err->str);
    }
    control_frame_reply(wire, out->str, ok, err->str);
    write_reply(s, wire);
    g_string_free(out, TRUE);
    g_string_free(err, TRUE);
    g_string_free(wire, TRUE);
}

static gboolean on_readable(gint fd, GIOCondition cond, gpointer data)
{
    control_server *s = data;
    char buf[4096];

    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        gint64 now = g_get_monotonic_time();
        if ((s->pending->len > 0 || s->overlong) && now - s->last_byte > PARTIAL_LINE_TIMEOUT_US) {
            g_log_structured(G_LOG_DOMAIN_CTL, G_LOG_LEVEL_WARNING, "MESSAGE",
                             "dropping a stale partial command line (%zu bytes)", s->pending->len);
            g_string_truncate(s->pending, 0);
            s->overlong = false;
        }
        s->last_byte = now;
        for (ssize_t i = 0; i < r; i++) {
            if (buf[i] == '\n') {
                process_line(s, s->pending->str, s->pending->len, s->overlong);
                g_string_truncate(s->pending, 0);
                s->overlong = false;
                if (s->watch == 0)          /* stopped by the handler (quit) */
                    return G_SOURCE_REMOVE;
                continue;
            }
            if (s->overlong)
                continue;
            if (s->pending->len >= CONTROL_LINE_MAX - 1) {
                s->overlong = true;
                g_string_truncate(s->pending, 0);
                continue;
            }
            g_string_append_c(s->pending, buf[i]);
        }
    }
    return G_SOURCE_CONTINUE;
}

static bool make_fifo(const char *path, GError **error)
{
    if (unlink(path) != 0 && errno != ENOENT) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "unlink %s: %s", path,
                    g_strerror(errno));
        return false;
    }
    if (mkfifo(path, 0600) != 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "mkfifo %s: %s", path,
                    g_strerror(errno));
        return false;
    }
    (void)chmod(path, 0600);
    return true;
}

control_server *control_server_new(const char *dir, const control_command *table, size_t n,
                                   void *user, GError **error)
{
    if (g_mkdir_with_parents(dir, 0700) != 0 || chmod(dir, 0700) != 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "control dir %s: %s",
                    dir, g_strerror(errno));
        return NULL;
    }
    control_server *s = g_new0(control_server, 1);
    s->dir = g_strdup(dir);
    s->cmd_path = g_build_filename(dir, CONTROL_CMD_FIFO, NULL);
    s->rsp_path = g_build_filename(dir, CONTROL_RSP_FIFO, NULL);
    s->rfd = s->wfd = -1;
    s->table = table;
    s->n = n;
    s->user = user;
    s->pending = g_string_new(NULL);

    gchar *lock = g_build_filename(dir, CONTROL_LOCK_FILE, NULL);
    int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    g_free(lock);
    if (lfd < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "lock file: %s",
                    g_strerror(errno));
        goto fail;
    }
    close(lfd);
    /* the response FIFO first: the command FIFO appearing means "ready" */
    if (!make_fifo(s->rsp_path, error) || !make_fifo(s->cmd_path, error))
        goto fail;
    s->rfd = open(s->cmd_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (s->rfd >= 0)
        s->wfd = open(s->cmd_path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (s->rfd < 0 || s->wfd < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "open %s: %s",
                    s->cmd_path, g_strerror(errno));
        goto fail;
    }
    s->watch = g_unix_fd_add(s->rfd, G_IO_IN, on_readable, s);
    return s;
fail:
    control_server_free(s);
    return NULL;
}

void control_server_stop(control_server *s)
{
    if (!s)
        return;
    if (s->watch) {
        g_source_remove(s->watch);
        s->watch = 0;
    }
    if (s->cmd_path)
        (void)unlink(s->cmd_path);
}

void control_server_free(control_server *s)
{
    if (!s)
        return;
    control_server_stop(s);
    if (s->rfd >= 0)
        close(s->rfd);
    if (s->wfd >= 0)
        close(s->wfd);
    if (s->rsp_path)
        (void)unlink(s->rsp_path);
    g_free(s->dir);
    g_free(s->cmd_path);
    g_free(s->rsp_path);
    g_string_free(s->pending, TRUE);
    g_free(s);
}
