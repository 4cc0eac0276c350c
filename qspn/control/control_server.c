/* control_server.c - qspnd's command FIFO, read from a glib main context.
 *
 * cmd.fifo is opened O_RDONLY|O_NONBLOCK and also held open for writing by the
 * server itself, so that it never sees EOF when a client closes.  Lines are
 * "<id> <command>"; empty lines (the "\n" every client writes first, which ends
 * any partial line a dead writer left) are ignored; a line whose first word is
 * not a valid id cannot be answered and is dropped (counted).  Requests are
 * executed one at a time in arrival order; while an asynchronous one is
 * pending, later ones wait in a bounded queue.  A request is executed only if
 * its reply FIFO exists and has a reader at the moment it is taken. */
#include "control_internal.h"
#include "control_stream.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char id[CONTROL_ID_MAX + 1];
    char *cmd;
    size_t len;
    bool overlong;
} ctl_queued;

static void schedule_queue(control_server *s);

static void queued_free(ctl_queued *q)
{
    g_free(q->cmd);
    g_free(q);
}

/* Answer id at once (no execution): malformed, stopping, queue full. */
static void reply_now(control_server *s, const char *id, const char *reason)
{
    int fd = ctl_open_reply(s, id);
    s->st.errors++;
    CTL_LOG(G_LOG_LEVEL_MESSAGE, "request %s: error: %s", id, reason);
    if (fd < 0) {
        s->st.replies_dropped++;
        return;
    }
    GString *wire = g_string_new(NULL);
    control_frame_reply(wire, id, NULL, false, reason);
    ctl_out_send(s, fd, id, wire);
}

static void set_word(control_request *req)
{
    const char *w = req->args.argc > 0 ? req->args.argv[0] : "";
    size_t i = 0;
    for (; w[i] && i + 1 < sizeof req->word; i++) {
        unsigned char c = (unsigned char)w[i];
        req->word[i] = (c >= 0x21 && c < 0x7f) ? (char)c : '?';
    }
    req->word[i] = '\0';
}

void control_request_reply(control_request *req, bool ok, const char *body, const char *reason)
{
    control_server *s = req->srv;
    if (s) {
        GString *wire = g_string_new(NULL);
        control_frame_reply(wire, req->id, body, ok, reason);
        if (wire->len > CONTROL_REPLY_MAX) {
            g_string_truncate(wire, 0);
            ok = false;
            reason = "reply too large";
            control_frame_reply(wire, req->id, NULL, false, reason);
        }
        if (ok)
            s->st.ok++;
        else
            s->st.errors++;
        CTL_LOG(ok ? G_LOG_LEVEL_INFO : G_LOG_LEVEL_MESSAGE, "request %s '%s': %s%s", req->id,
                req->word, ok ? "ok" : "error: ", ok ? "" : (reason && *reason ? reason : "failed"));
        ctl_out_send(s, req->fd, req->id, wire);
        req->fd = -1;
        ctl_request_done(s, req);
        return;
    }
    if (req->fd >= 0)
        close(req->fd);
    g_free(req);
}

void ctl_request_done(control_server *s, control_request *req)
{
    if (s->pending == req) {
        s->pending = NULL;
        if (s->queue.length > 0 && !s->idle)
            schedule_queue(s);
    }
    g_free(req);
}

const char *control_request_id(const control_request *req)
{
    return req->id;
}

/* Execute one request now. */
static void execute(control_server *s, const char *id, const char *cmd, size_t len, bool overlong)
{
    int fd = ctl_open_reply(s, id);
    if (fd < 0) {
        s->st.client_gone++;
        CTL_LOG(G_LOG_LEVEL_MESSAGE, "request %s: the client is gone; not executed", id);
        return;
    }
    control_request *req = g_new0(control_request, 1);
    char e[128];
    req->srv = s;
    req->fd = fd;
    g_strlcpy(req->id, id, sizeof req->id);
    if (overlong) {
        control_request_reply(req, false, NULL, "line too long");
        return;
    }
    if (!control_tokenize(cmd, len, &req->args, e, sizeof e)) {
        control_request_reply(req, false, NULL, e);
        return;
    }
    set_word(req);
    GString *err = g_string_new(NULL);
    const control_command *c = control_lookup(s->table, s->n, req->args.argc, req->args.argv, err);
    if (!c) {
        control_request_reply(req, false, NULL, err->str);
    } else if (c->async_fn) {
        s->pending = req;
        c->async_fn(req->args.argc, req->args.argv, req, s->user);
    } else {
        GString *out = g_string_new(NULL);
        bool ok = c->fn(req->args.argc, req->args.argv, out, err, s->user);
        control_request_reply(req, ok, out->str, err->str);
        g_string_free(out, TRUE);
    }
    g_string_free(err, TRUE);
}

static gboolean run_queue(gpointer data)
{
    control_server *s = data;
    g_source_unref(s->idle);
    s->idle = NULL;
    ctl_queued *q;
    while (!s->pending && !s->stopped && (q = g_queue_pop_head(&s->queue))) {
        execute(s, q->id, q->cmd, q->len, q->overlong);
        queued_free(q);
    }
    return G_SOURCE_REMOVE;
}

static void schedule_queue(control_server *s)
{
    s->idle = g_idle_source_new();
    g_source_set_callback(s->idle, run_queue, s, NULL);
    g_source_attach(s->idle, s->ctx);
}

static void handle_line(control_server *s, const char *line, size_t len, bool overlong)
{
    char id[CONTROL_ID_MAX + 1];
    const char *cmd;
    size_t cl;
    if (len == 0 && !overlong)
        return;                      /* the separator newline of a client */
    if (!control_split_request(line, len, id, &cmd, &cl)) {
        s->st.malformed++;
        CTL_LOG(G_LOG_LEVEL_WARNING, "dropped a line of %zu%s bytes without a valid request id",
                len, overlong ? "+" : "");
        return;
    }
    s->st.requests++;
    if (s->stopped) {
        reply_now(s, id, "qspnd is stopping");
    } else if (s->pending || s->queue.length > 0) {
        if (s->queue.length >= CONTROL_QUEUE_MAX) {
            s->st.queue_full++;
            gchar *why = g_strdup_printf("command queue full (%d requests waiting)", CONTROL_QUEUE_MAX);
            reply_now(s, id, why);
            g_free(why);
            return;
        }
        ctl_queued *q = g_new0(ctl_queued, 1);
        g_strlcpy(q->id, id, sizeof q->id);
        q->cmd = g_strndup(cmd, cl);
        q->len = cl;
        q->overlong = overlong;
        g_queue_push_tail(&s->queue, q);
    } else {
        execute(s, id, cmd, cl, overlong);
    }
}

static void on_line(const char *line, size_t len, bool overlong, void *user)
{
    handle_line(user, line, len, overlong);
}

static void drain(control_server *s)
{
    char buf[4096];
    for (;;) {
        ssize_t r = read(s->rfd, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        control_framer_feed(&s->framer, buf, (size_t)r, on_line, s);
    }
}

static gboolean on_readable(gint fd, GIOCondition cond, gpointer data)
{
    control_server *s = data;
    s->reading = true;
    drain(s);        /* after a stop (quit), the rest is answered "qspnd is stopping" */
    s->reading = false;
    return s->stopped ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
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

/* Reply FIFOs nobody reads any more (clients killed before they could remove
 * them): the daemon removes them when it starts. */
static void remove_stale_replies(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *name;
    if (!d)
        return;
    while ((name = g_dir_read_name(d))) {
        if (!g_str_has_prefix(name, CONTROL_REPLY_PREFIX) || !g_str_has_suffix(name, CONTROL_REPLY_SUFFIX))
            continue;
        gchar *path = g_build_filename(dir, name, NULL);
        struct stat st;
        int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0)
            close(fd);
        else if (errno == ENXIO && lstat(path, &st) == 0 && S_ISFIFO(st.st_mode))
            (void)unlink(path);
        g_free(path);
    }
    g_dir_close(d);
}

bool control_dir_secure(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(dir, &st) != 0 && errno == ENOENT && g_mkdir_with_parents(dir, 0700) != 0) {
        snprintf(err, errlen, "control dir %s: %s", dir, g_strerror(errno));
        return false;
    }
    if (lstat(dir, &st) != 0) {
        snprintf(err, errlen, "control dir %s: %s", dir, g_strerror(errno));
        return false;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "control dir %s: not a directory (symbolic links are refused)", dir);
        return false;
    }
    if (st.st_uid != geteuid()) {
        snprintf(err, errlen, "control dir %s: owned by uid %u, not by this user (uid %u)", dir,
                 (unsigned)st.st_uid, (unsigned)geteuid());
        return false;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        snprintf(err, errlen, "control dir %s: mode %04o lets group or others in (chmod 700 %s)", dir,
                 (unsigned)(st.st_mode & 07777), dir);
        return false;
    }
    return true;
}

control_server *control_server_new(const char *dir, const control_command *table, size_t n,
                                   void *user, GError **error)
{
    control_ignore_sigpipe();
    char why[512];
    if (!control_dir_secure(dir, why, sizeof why)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM, "%s", why);
        return NULL;
    }
    control_server *s = g_new0(control_server, 1);
    s->ctx = g_main_context_ref_thread_default();
    s->dir = g_strdup(dir);
    s->cmd_path = g_build_filename(dir, CONTROL_CMD_FIFO, NULL);
    s->rfd = s->wfd = -1;
    s->table = table;
    s->n = n;
    s->user = user;
    control_framer_init(&s->framer);
    s->outs = g_ptr_array_new();
    s->streams = g_ptr_array_new();
    s->reply_timeout_ms = CONTROL_REPLY_TIMEOUT_MS;
    g_queue_init(&s->queue);
    remove_stale_replies(dir);
    if (!make_fifo(s->cmd_path, error))
        goto fail;
    s->rfd = open(s->cmd_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (s->rfd >= 0)
        s->wfd = open(s->cmd_path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (s->rfd < 0 || s->wfd < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "open %s: %s",
                    s->cmd_path, g_strerror(errno));
        goto fail;
    }
    s->in_src = g_unix_fd_source_new(s->rfd, G_IO_IN);
    g_source_set_callback(s->in_src, G_SOURCE_FUNC(on_readable), s, NULL);
    g_source_attach(s->in_src, s->ctx);
    return s;
fail:
    control_server_free(s);
    return NULL;
}

void control_server_stop(control_server *s)
{
    if (!s || s->stopped)
        return;
    s->stopped = true;
    if (s->in_src) {
        g_source_destroy(s->in_src);
        g_source_unref(s->in_src);
        s->in_src = NULL;
    }
    if (s->cmd_path)
        (void)unlink(s->cmd_path);
    ctl_queued *q;
    while ((q = g_queue_pop_head(&s->queue))) {
        reply_now(s, q->id, "qspnd is stopping");
        queued_free(q);
    }
    if (!s->reading && s->rfd >= 0)
        drain(s);
}

void control_server_free(control_server *s)
{
    if (!s)
        return;
    control_server_stop(s);
    if (s->idle) {
        g_source_destroy(s->idle);
        g_source_unref(s->idle);
        s->idle = NULL;
    }
    if (s->pending) {
        control_request *req = s->pending;
        GString *wire = g_string_new(NULL);
        s->pending = NULL;
        control_frame_reply(wire, req->id, NULL, false, "qspnd stopped before the command completed");
        s->st.errors++;
        ctl_out_send(s, req->fd, req->id, wire);
        req->fd = -1;
        req->srv = NULL;           /* detached: its control_request_reply() only frees it */
    }
    ctl_out_flush(s, G_USEC_PER_SEC);
    ctl_stream_flush_all(s, G_USEC_PER_SEC / 2);
    if (s->rfd >= 0)
        close(s->rfd);
    if (s->wfd >= 0)
        close(s->wfd);
    g_main_context_unref(s->ctx);
    g_free(s->dir);
    g_free(s->cmd_path);
    control_framer_clear(&s->framer);
    g_ptr_array_free(s->outs, TRUE);
    g_ptr_array_free(s->streams, TRUE);
    g_free(s);
}

void control_server_get_stats(const control_server *s, control_stats *out)
{
    *out = s->st;
}

void control_server_set_reply_timeout(control_server *s, guint ms)
{
    s->reply_timeout_ms = ms;
}

bool control_server_busy(const control_server *s)
{
    return s->pending != NULL;
}
