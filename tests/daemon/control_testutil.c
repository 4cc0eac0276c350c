/* control_testutil.c - see control_testutil.h. */
#include "control_testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool t_echo(int argc, char **argv, GString *out, GString *err, void *user)
{
    tctx *t = user;
    t->echo_calls++;
    g_string_append(t->log, "echo:");
    for (int i = 1; i < argc; i++) {
        g_string_append_printf(out, "%s\n", argv[i]);
        g_string_append_printf(t->log, "%s%s", i > 1 ? "," : "", argv[i]);
    }
    g_string_append_c(t->log, ';');
    return true;
}

static bool t_boom(int argc, char **argv, GString *out, GString *err, void *user)
{
    g_string_append(err, "boom\nfailed");
    return false;
}

static bool t_quit(int argc, char **argv, GString *out, GString *err, void *user)
{
    tctx *t = user;
    t->quit_calls++;
    g_string_append(t->log, "quit;");
    control_server_stop(t->srv);
    return true;
}

static bool t_big(int argc, char **argv, GString *out, GString *err, void *user)
{
    tctx *t = user;
    while (out->len + 64 <= t->big_size)
        g_string_append(out, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n");
    return true;
}

static void t_slow(int argc, char **argv, control_request *req, void *user)
{
    tctx *t = user;
    t->slow_calls++;
    g_string_append_printf(t->log, "slow:%s;", argc > 1 ? argv[1] : "");
    t->held = req;
}

static void t_now(int argc, char **argv, control_request *req, void *user)
{
    control_request_reply(req, true, "now\n", NULL);
}

static const control_command table[] = {
    { .name = "echo", .max_args = CONTROL_ARGS_MAX - 1, .fn = t_echo, .usage = "echo [WORD...]", .help = "echo" },
    { .name = "boom", .fn = t_boom, .usage = "boom", .help = "fails" },
    { .name = "quit", .fn = t_quit, .usage = "quit", .help = "stop" },
    { .name = "big", .fn = t_big, .usage = "big", .help = "a big reply" },
    { .name = "slow", .max_args = 1, .async_fn = t_slow, .usage = "slow [ARG]", .help = "async" },
    { .name = "now", .async_fn = t_now, .usage = "now", .help = "async, immediate" },
};

const control_command *tctx_table(size_t *n)
{
    *n = G_N_ELEMENTS(table);
    return table;
}

tctx *tctx_new(void)
{
    tctx *t = g_new0(tctx, 1);
    GError *ge = NULL;
    t->tmp = g_dir_make_tmp("qt-ctl-XXXXXX", NULL);
    t->dir = g_build_filename(t->tmp, "ctl", NULL);
    t->log = g_string_new(NULL);
    t->big_size = 300 * 1024;
    t->srv = control_server_new(t->dir, table, G_N_ELEMENTS(table), t, &ge);
    if (!t->srv)
        fail_msg("control_server_new: %s", ge->message);
    return t;
}

void tctx_free(tctx *t)
{
    if (t->srv)
        control_server_free(t->srv);
    GDir *d = g_dir_open(t->dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d)))
        fail_msg("%s left in the control directory", name);
    if (d)
        g_dir_close(d);
    g_rmdir(t->dir);
    g_rmdir(t->tmp);
    g_free(t->dir);
    g_free(t->tmp);
    g_string_free(t->log, TRUE);
    g_free(t);
}

static gpointer call_thread(gpointer data)
{
    tcall *c = data;
    int st = control_client_call_line(c->dir, c->line, c->timeout, c->body, c->reason);
    c->finished = g_get_monotonic_time();
    g_atomic_int_set(&c->status, st);
    return NULL;
}

tcall *tcall_start(const char *dir, const char *line, double timeout)
{
    tcall *c = g_new0(tcall, 1);
    c->dir = g_strdup(dir);
    c->line = g_strdup(line);
    c->timeout = timeout;
    c->status = -1;
    c->body = g_string_new(NULL);
    c->reason = g_string_new(NULL);
    c->started = g_get_monotonic_time();
    c->th = g_thread_new("client", call_thread, c);
    return c;
}

void tcall_finish(tcall *c)
{
    while (g_atomic_int_get(&c->status) == -1) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(500);
    }
    g_thread_join(c->th);
}

void tcall_join(tcall *c)
{
    g_thread_join(c->th);
}

void tcall_free(tcall *c)
{
    g_free(c->dir);
    g_free(c->line);
    g_string_free(c->body, TRUE);
    g_string_free(c->reason, TRUE);
    g_free(c);
}

void iterate_ms(int ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;
    while (g_get_monotonic_time() < end) {
        while (g_main_context_iteration(NULL, FALSE))
            ;
        g_usleep(500);
    }
}

traw *traw_open(const char *dir, const char *id)
{
    traw *r = g_new0(traw, 1);
    g_strlcpy(r->id, id, sizeof r->id);
    r->path = control_reply_path(dir, id);
    assert_int_equal(mkfifo(r->path, 0600), 0);
    r->rfd = open(r->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    assert_true(r->rfd >= 0);
    r->got = g_string_new(NULL);
    return r;
}

void traw_write(const char *dir, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gchar *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    gchar *cmd = g_build_filename(dir, CONTROL_CMD_FIFO, NULL);
    int fd = open(cmd, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    assert_true(fd >= 0);
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w > 0)
            off += (size_t)w;
        else
            g_main_context_iteration(NULL, FALSE);   /* the pipe is full: let the server read */
    }
    close(fd);
    g_free(cmd);
    g_free(text);
}

int traw_reply(traw *r, int max_ms, GString *body, GString *reason)
{
    gint64 end = g_get_monotonic_time() + (gint64)max_ms * 1000;
    GString *b = g_string_new(NULL), *why = g_string_new(NULL);
    int ret = -1;
    while (g_get_monotonic_time() < end) {
        char buf[4096];
        ssize_t n = read(r->rfd, buf, sizeof buf);
        if (n > 0)
            g_string_append_len(r->got, buf, n);
        bool ok = false;
        size_t used = 0;
        g_string_truncate(why, 0);
        int pr = control_parse_reply(r->got->str, r->got->len, r->id, &ok, b, why, &used);
        assert_true(pr == 0 || pr == 1);
        if (pr == 1) {
            ret = ok ? 1 : 0;
            break;
        }
        g_main_context_iteration(NULL, FALSE);
        if (n <= 0)
            g_usleep(500);
    }
    if (body)
        g_string_assign(body, b->str);
    if (reason)
        g_string_assign(reason, why->str);
    g_string_free(b, TRUE);
    g_string_free(why, TRUE);
    return ret;
}

void traw_close(traw *r)
{
    if (r->rfd >= 0)
        close(r->rfd);
    g_unlink(r->path);
    g_free(r->path);
    g_string_free(r->got, TRUE);
    g_free(r);
}
