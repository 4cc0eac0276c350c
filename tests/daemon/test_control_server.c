/* test_control_server.c - the FIFO server and the client library in a
 * temporary directory (no root): round trips, bounds, and the regressions of
 * the old shared-reply-FIFO protocol:
 *   - a timed-out request was still executed and its reply read by the next
 *     client (test_timed_out_request_not_executed);
 *   - a partial line left in cmd.fifo was glued to the next command
 *     (test_partial_line_not_glued);
 *   - the client waited forever for a reply that never ends
 *     (test_endless_reply_has_deadline);
 *   - a client that does not read blocked the daemon's main loop
 *     (test_slow_client_does_not_block);
 * and the control directory's ownership and mode (test_control_dir_secure). */
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

#include "control_testutil.h"

static control_stats stats(tctx *t)
{
    control_stats st;
    control_server_get_stats(t->srv, &st);
    return st;
}

static void test_roundtrip(void **state)
{
    gchar *tmp = g_dir_make_tmp("qt-ctl-XXXXXX", NULL);
    gchar *nodir = g_build_filename(tmp, "none", NULL);
    GString *body = g_string_new(NULL), *reason = g_string_new(NULL);
    /* no daemon: status 3 at once */
    assert_int_equal(control_client_call_line(nodir, "echo", 0.3, body, reason), CONTROL_CLIENT_NOANSWER);
    assert_string_equal(reason->str, "no qspnd control directory");
    g_mkdir(nodir, 0700);
    assert_int_equal(control_client_call_line(nodir, "echo", 0.3, body, reason), CONTROL_CLIENT_NOANSWER);
    g_rmdir(nodir);     /* the client removed its reply FIFO: the directory is empty */
    g_rmdir(tmp);
    g_free(nodir);
    g_free(tmp);

    tctx *t = tctx_new();
    struct stat st;
    assert_int_equal(stat(t->dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    gchar *cmdp = g_build_filename(t->dir, CONTROL_CMD_FIFO, NULL);
    assert_int_equal(stat(cmdp, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);

    tcall *c = tcall_start(t->dir, "echo hello world", 5);
    tcall_finish(c);
    assert_int_equal(c->status, CONTROL_CLIENT_OK);
    assert_string_equal(c->body->str, "hello\nworld\n");
    tcall_free(c);
    c = tcall_start(t->dir, "frobnicate 1 2", 5);
    tcall_finish(c);
    assert_int_equal(c->status, CONTROL_CLIENT_ERROR);
    assert_string_equal(c->reason->str, "unknown command 'frobnicate'");
    tcall_free(c);
    c = tcall_start(t->dir, "boom", 5);
    tcall_finish(c);
    assert_int_equal(c->status, CONTROL_CLIENT_ERROR);
    assert_string_equal(c->reason->str, "boom failed");
    tcall_free(c);

    /* concurrent clients: each gets exactly its own reply */
    tcall *cs[6];
    for (int i = 0; i < 6; i++) {
        gchar *line = g_strdup_printf("echo token%d", i);
        cs[i] = tcall_start(t->dir, line, 5);
        g_free(line);
    }
    for (int i = 0; i < 6; i++) {
        tcall_finish(cs[i]);
        gchar *want = g_strdup_printf("token%d\n", i);
        assert_int_equal(cs[i]->status, CONTROL_CLIENT_OK);
        assert_string_equal(cs[i]->body->str, want);
        g_free(want);
        tcall_free(cs[i]);
    }
    /* client-side bounds: the longest command is sent, one more byte is not */
    GString *lng = g_string_new("echo ");
    while (lng->len < CONTROL_CLIENT_COMMAND_MAX)
        g_string_append_c(lng, lng->len % 200 ? 'a' : ' ');
    c = tcall_start(t->dir, lng->str, 5);
    tcall_finish(c);
    assert_int_equal(c->status, CONTROL_CLIENT_OK);
    tcall_free(c);
    g_string_append_c(lng, 'a');
    assert_int_equal(control_client_call_line(t->dir, lng->str, 1, body, reason), CONTROL_CLIENT_USAGE);
    assert_int_equal(control_client_call_line(t->dir, "echo\nquit", 1, body, reason), CONTROL_CLIENT_USAGE);
    g_string_free(lng, TRUE);
    assert_int_equal(stats(t).requests, 10);
    assert_int_equal(stats(t).ok, 8);

    control_server_free(t->srv);
    t->srv = NULL;
    assert_int_equal(stat(cmdp, &st), -1);
    assert_int_equal(control_client_call_line(t->dir, "echo", 0.3, body, reason), CONTROL_CLIENT_NOANSWER);
    g_free(cmdp);
    g_string_free(body, TRUE);
    g_string_free(reason, TRUE);
    tctx_free(t);
}

/* SIGSTOPped daemon: a client times out, the next client must get its own
 * reply, and the timed-out command must not run. */
static void test_timed_out_request_not_executed(void **state)
{
    tctx *t = tctx_new();
    tcall *a = tcall_start(t->dir, "echo from-A", 0.3);
    tcall_join(a);                          /* the server is not iterated: "stopped" */
    assert_int_equal(a->status, CONTROL_CLIENT_NOANSWER);
    tcall *b = tcall_start(t->dir, "echo from-B", 5);
    tcall_finish(b);                        /* "SIGCONT" */
    assert_int_equal(b->status, CONTROL_CLIENT_OK);
    assert_string_equal(b->body->str, "from-B\n");
    assert_int_equal(t->echo_calls, 1);
    assert_string_equal(t->log->str, "echo:from-B;");
    assert_int_equal(stats(t).client_gone, 1);
    tcall_free(a);
    tcall_free(b);
    tctx_free(t);
}

/* "printf qu > cmd.fifo; qspnctl it" made the daemon quit. */
static void test_partial_line_not_glued(void **state)
{
    tctx *t = tctx_new();
    traw_write(t->dir, "qu");
    iterate_ms(20);
    assert_int_equal(stats(t).requests, 0);     /* an incomplete line is not a request */
    tcall *c = tcall_start(t->dir, "it", 5);
    tcall_finish(c);
    assert_int_equal(c->status, CONTROL_CLIENT_ERROR);
    assert_string_equal(c->reason->str, "unknown command 'it'");
    /* "qu" is a line of its own: a request of client "qu", who does not exist */
    assert_int_equal(t->quit_calls, 0);
    assert_int_equal(stats(t).client_gone, 1);
    tcall_free(c);

    /* a partial line that looks like a request of its own is never glued
     * either: it names a client that does not exist, so it is not executed */
    traw_write(t->dir, "abc12 ec");
    iterate_ms(20);
    c = tcall_start(t->dir, "echo x", 5);
    tcall_finish(c);
    assert_int_equal(c->status, CONTROL_CLIENT_OK);
    assert_string_equal(t->log->str, "echo:x;");
    assert_int_equal(stats(t).client_gone, 2);
    tcall_free(c);
    tctx_free(t);
}

/* A fake daemon answers with bytes that never end: the client gives up at its
 * deadline with status 3. */
typedef struct {
    gchar *dir;
    gint stop;
    const char *unit;             /* what is written over and over */
} flooder;

static gpointer flood_thread(gpointer data)
{
    flooder *f = data;
    gchar *cmd = g_build_filename(f->dir, CONTROL_CMD_FIFO, NULL);
    int cfd = open(cmd, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    GString *line = g_string_new(NULL);
    int rfd = -1;
    g_free(cmd);
    while (!g_atomic_int_get(&f->stop)) {
        char buf[256];
        ssize_t n = cfd >= 0 && rfd < 0 ? read(cfd, buf, sizeof buf) : 0;
        if (n > 0)
            g_string_append_len(line, buf, n);
        const char *p = line->str;
        while (*p == '\n')
            p++;
        const char *sp = strchr(p, ' ');
        if (rfd < 0 && sp && strchr(sp, '\n')) {
            gchar *id = g_strndup(p, (gsize)(sp - p));
            gchar *path = control_reply_path(f->dir, id);
            rfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
            g_free(path);
            g_free(id);
        }
        if (rfd >= 0 && write(rfd, f->unit, strlen(f->unit)) < 0 && errno != EAGAIN)
            break;
        if (rfd < 0 || errno == EAGAIN)
            g_usleep(200);
    }
    if (rfd >= 0)
        close(rfd);
    if (cfd >= 0)
        close(cfd);
    g_string_free(line, TRUE);
    return NULL;
}

static void flood_once(const char *unit)
{
    gchar *tmp = g_dir_make_tmp("qt-ctl-XXXXXX", NULL);
    gchar *cmd = g_build_filename(tmp, CONTROL_CMD_FIFO, NULL);
    assert_int_equal(mkfifo(cmd, 0600), 0);
    flooder f = { tmp, 0, unit };
    GThread *th = g_thread_new("flood", flood_thread, &f);
    g_usleep(50 * 1000);
    GString *body = g_string_new(NULL), *reason = g_string_new(NULL);
    gint64 t0 = g_get_monotonic_time();
    control_client_status st = control_client_call_line(tmp, "show", 0.5, body, reason);
    gint64 ms = (g_get_monotonic_time() - t0) / 1000;
    g_atomic_int_set(&f.stop, 1);
    g_thread_join(th);
    assert_int_equal(st, CONTROL_CLIENT_NOANSWER);
    assert_true(ms < 2000);
    assert_int_equal(body->len, 0);
    g_unlink(cmd);
    assert_int_equal(g_rmdir(tmp), 0);      /* the reply FIFO was removed too */
    g_string_free(body, TRUE);
    g_string_free(reason, TRUE);
    g_free(cmd);
    g_free(tmp);
}

static void test_endless_reply_has_deadline(void **state)
{
    flood_once("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n");
    flood_once("x");                          /* one endless line */
    flood_once("%ok 0000000000000000\n");     /* endless stale replies */
}

/* A client that never reads a big reply: other clients are still served at
 * once, and the stuck reply is dropped at its deadline. */
static void test_slow_client_does_not_block(void **state)
{
    tctx *t = tctx_new();
    control_server_set_reply_timeout(t->srv, 3000);
    traw *slow = traw_open(t->dir, "slow1");
    traw_write(t->dir, "\nslow1 big\n");
    for (int i = 0; i < 200 && stats(t).requests < 1; i++)
        iterate_ms(5);
    assert_int_equal(stats(t).requests, 1);
    tcall *c = tcall_start(t->dir, "echo fast", 5);
    tcall_finish(c);
    assert_int_equal(c->status, CONTROL_CLIENT_OK);
    assert_true(c->finished - c->started < 1500 * 1000);  /* not after the 3 s deadline */
    tcall_free(c);
    assert_int_equal(stats(t).replies_dropped, 0);
    for (int i = 0; i < 400 && stats(t).replies_dropped == 0; i++)
        iterate_ms(10);
    assert_int_equal(stats(t).replies_dropped, 1);
    traw_close(slow);

    /* a reply bigger than CONTROL_REPLY_MAX becomes an error */
    t->big_size = CONTROL_REPLY_MAX + 100;
    c = tcall_start(t->dir, "big", 5);
    tcall_finish(c);
    assert_int_equal(c->status, CONTROL_CLIENT_ERROR);
    assert_string_equal(c->reason->str, "reply too large");
    tcall_free(c);
    /* a big reply to a reading client arrives whole */
    t->big_size = 300 * 1024;
    c = tcall_start(t->dir, "big", 5);
    tcall_finish(c);
    assert_int_equal(c->status, CONTROL_CLIENT_OK);
    assert_true(c->body->len > 290 * 1024);
    tcall_free(c);
    tctx_free(t);
}

/* Lines that name nobody are counted and dropped; an over-long request with
 * an id is answered "line too long"; nothing is executed. */
static void test_malformed_lines(void **state)
{
    tctx *t = tctx_new();
    traw *r = traw_open(t->dir, "long1");
    GString *lng = g_string_new("\nlong1 echo ");
    while (lng->len < 3 * CONTROL_LINE_MAX)
        g_string_append_c(lng, 'a');
    g_string_append(lng, "\n   echo x\n%%ok\n/x echo\n");
    traw_write(t->dir, "%s", lng->str);
    GString *reason = g_string_new(NULL);
    assert_int_equal(traw_reply(r, 2000, NULL, reason), 0);
    assert_string_equal(reason->str, "line too long");
    iterate_ms(20);
    assert_int_equal(stats(t).malformed, 3);
    assert_int_equal(t->echo_calls, 0);
    traw_close(r);
    /* an over-long line without a valid id is only counted */
    g_string_assign(lng, "\n");
    while (lng->len < 2 * CONTROL_LINE_MAX)
        g_string_append_c(lng, '/');
    g_string_append_c(lng, '\n');
    traw_write(t->dir, "%s", lng->str);
    iterate_ms(20);
    assert_int_equal(stats(t).malformed, 4);
    g_string_free(lng, TRUE);
    g_string_free(reason, TRUE);
    tctx_free(t);
}

/* Issue 9 part 5: the control directory is ours alone or qspnd does not start;
 * nothing is changed in a directory it refuses. */
static void test_control_dir_secure(void **state)
{
    (void)state;
    char err[512];
    gchar *base = g_dir_make_tmp("qspn-ctldir-XXXXXX", NULL);
    assert_non_null(base);
    gchar *fresh = g_build_filename(base, "a", "b", NULL);
    assert_true(control_dir_secure(fresh, err, sizeof err));           /* created */
    struct stat st;
    assert_int_equal(lstat(fresh, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    gchar *loose = g_build_filename(base, "loose", NULL);
    assert_int_equal(g_mkdir(loose, 0700), 0);
    assert_int_equal(chmod(loose, 0750), 0);
    assert_false(control_dir_secure(loose, err, sizeof err));
    assert_non_null(strstr(err, "mode 0750 lets group or others in"));
    assert_int_equal(lstat(loose, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0750);                         /* untouched */
    gchar *link = g_build_filename(base, "link", NULL);
    assert_int_equal(symlink(fresh, link), 0);
    assert_false(control_dir_secure(link, err, sizeof err));
    assert_non_null(strstr(err, "not a directory"));
    gchar *file = g_build_filename(base, "file", NULL);
    assert_true(g_file_set_contents(file, "", 0, NULL));
    assert_false(control_dir_secure(file, err, sizeof err));
    if (geteuid() == 0) {                                               /* another owner */
        gchar *other = g_build_filename(base, "other", NULL);
        assert_int_equal(g_mkdir(other, 0700), 0);
        assert_int_equal(chown(other, 65534, 65534), 0);
        assert_false(control_dir_secure(other, err, sizeof err));
        assert_non_null(strstr(err, "owned by uid 65534"));
        g_rmdir(other);
        g_free(other);
    }
    g_unlink(file);
    g_unlink(link);
    g_rmdir(loose);
    g_rmdir(fresh);
    gchar *a = g_build_filename(base, "a", NULL);
    g_rmdir(a);
    g_rmdir(base);
    g_free(a);
    g_free(file);
    g_free(link);
    g_free(loose);
    g_free(fresh);
    g_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_timed_out_request_not_executed),
        cmocka_unit_test(test_partial_line_not_glued),
        cmocka_unit_test(test_endless_reply_has_deadline),
        cmocka_unit_test(test_slow_client_does_not_block),
        cmocka_unit_test(test_malformed_lines),
        cmocka_unit_test(test_control_dir_secure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
