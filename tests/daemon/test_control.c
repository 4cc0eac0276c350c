/* test_control.c - control protocol: tokenizer bounds, dispatch through qspnd's
 * command table (kernel fake), reply framing, and a FIFO server/client round
 * trip in a temporary directory (no root needed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "control.h"
#include "control_client.h"
#include "kernel.h"
#include "runtime.h"

static void tok_ok(const char *line, int argc, const char *a0)
{
    control_args a;
    char err[128];
    if (!control_tokenize(line, strlen(line), &a, err, sizeof err))
        fail_msg("rejected '%s': %s", line, err);
    assert_int_equal(a.argc, argc);
    assert_string_equal(a.argv[0], a0);
    assert_null(a.argv[argc]);
}

static void tok_bad(const char *line, size_t len, const char *reason)
{
    control_args a;
    char err[128];
    assert_false(control_tokenize(line, len, &a, err, sizeof err));
    assert_string_equal(err, reason);
    assert_int_equal(a.argc, 0);
}

static void test_tokenize(void **state)
{
    tok_ok("show", 1, "show");
    tok_ok("  show\t--json  ", 2, "show");
    tok_ok("show\r", 1, "show");
    tok_ok("show_local_identities", 1, "show_local_identities");
    tok_ok("èé ü", 2, "èé");

    tok_bad("", 0, "empty command");
    tok_bad("   \t ", 5, "empty command");
    tok_bad("show\0quit", 9, "embedded NUL byte");
    tok_bad("show \xff\xfe", 7, "invalid UTF-8");
    tok_bad("show \xc3", 6, "invalid UTF-8");
    tok_bad("sh\x01ow", 5, "control character in command");
    tok_bad("show\x1b[2J", 8, "control character in command");
    tok_bad("show\x7f", 5, "control character in command");

    char *big = g_malloc(CONTROL_LINE_MAX + 10);
    memset(big, 'a', CONTROL_LINE_MAX + 10);
    tok_bad(big, CONTROL_LINE_MAX, "line too long");
    /* the longest acceptable line: CONTROL_LINE_MAX - 1 bytes, words <= 256 */
    for (size_t i = 0; i < CONTROL_LINE_MAX - 1; i++)
        big[i] = (i % 101 == 100) ? ' ' : 'a';
    control_args *a = g_new(control_args, 1);
    char err[128];
    assert_false(control_tokenize(big, CONTROL_LINE_MAX - 1, a, err, sizeof err));
    assert_string_equal(err, "too many words");
    memset(big, 'a', 300);
    tok_bad(big, 300, "word too long");
    memset(big, ' ', CONTROL_LINE_MAX);
    memcpy(big, "show", 4);
    assert_true(control_tokenize(big, CONTROL_LINE_MAX - 1, a, err, sizeof err));
    assert_int_equal(a->argc, 1);
    g_free(a);
    g_free(big);

    GString *w = g_string_new(NULL);
    for (int i = 0; i < CONTROL_ARGS_MAX; i++)
        g_string_append(w, "x ");
    tok_ok(w->str, CONTROL_ARGS_MAX, "x");
    g_string_append(w, "y");
    tok_bad(w->str, w->len, "too many words");
    g_string_free(w, TRUE);
}

static void test_parse_long(void **state)
{
    long v = -1;
    GString *e = g_string_new(NULL);
    assert_true(control_parse_long("0", 0, 10, "cost", &v, e));
    assert_int_equal(v, 0);
    assert_true(control_parse_long("10", 0, 10, "cost", &v, e));
    assert_int_equal(v, 10);
    assert_true(control_parse_long("-5", -10, 10, "x", &v, e));
    assert_int_equal(v, -5);
    assert_int_equal(e->len, 0);
    const char *bad[] = { "", "11", "-1", "+1", "01", "1a", " 1", "1 ", "0x10", "-0",
                          "99999999999999999999999", "-", "1.5" };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_string_truncate(e, 0);
        v = 77;
        if (control_parse_long(bad[i], 0, 10, "cost", &v, e))
            fail_msg("accepted '%s'", bad[i]);
        assert_int_equal(v, 77);
        assert_true(g_str_has_prefix(e->str, "bad cost '"));
    }
    assert_false(control_parse_long("-11", -10, 10, "x", &v, NULL));
    g_string_free(e, TRUE);
}

static void test_framing(void **state)
{
    GString *wire = g_string_new(NULL);
    control_frame_reply(wire, "a\n%b\nc", true, NULL);
    assert_string_equal(wire->str, "a\n%%b\nc\n%ok\n");
    GString *body = g_string_new(NULL), *reason = g_string_new(NULL);
    bool ok = false;
    assert_int_equal(control_parse_reply(wire->str, wire->len, &ok, body, reason), 1);
    assert_true(ok);
    assert_string_equal(body->str, "a\n%b\nc\n");
    assert_int_equal(control_parse_reply(wire->str, 4, &ok, body, reason), 0);

    g_string_truncate(wire, 0);
    control_frame_reply(wire, "", false, "bad\nthing");
    assert_string_equal(wire->str, "%error bad thing\n");
    assert_int_equal(control_parse_reply(wire->str, wire->len, &ok, body, reason), 1);
    assert_false(ok);
    assert_string_equal(reason->str, "bad thing");
    assert_int_equal(control_parse_reply("%what\n", 6, &ok, body, reason), -1);
    g_string_free(wire, TRUE);
    g_string_free(body, TRUE);
    g_string_free(reason, TRUE);
}

static qspnd *make_daemon(void)
{
    qspnd *d = g_new0(qspnd, 1);
    char err[256];
    gchar *argv[] = { "qspnd", "--topology", "4.2.2.2", "--address", "3.0.1.0", "-i", "eth1", "-k",
                      "--linklocal", "eth1=169.254.69.30", "--control-dir", "/nonexistent", NULL };
    assert_int_equal(qspnd_options_parse(12, argv, &d->opt, err, sizeof err), 0);
    d->k = kernel_fake_new(NULL);
    kernel_fake_add_link(d->k, "eth1", "00:16:3E:FD:E2:AA");
    assert_true(qspnd_read_macs(d, err, sizeof err));
    assert_int_equal(qspnd_start(d, err, sizeof err), 0);
    d->nodeid = 42;
    return d;
}

static void free_daemon(qspnd *d)
{
    kernel_free(d->k);
    if (d->startup)
        g_array_free(d->startup, TRUE);
    qspnd_options_clear(&d->opt);
    g_free(d);
}

static bool run_cmd(qspnd *d, const char *line, size_t len, GString *out, GString *err)
{
    size_t n;
    const control_command *t = qspnd_command_table(&n);
    g_string_truncate(out, 0);
    g_string_truncate(err, 0);
    return control_handle_line(t, n, line, len, out, err, d);
}

static void test_dispatch(void **state)
{
    qspnd *d = make_daemon();
    GString *out = g_string_new(NULL), *err = g_string_new(NULL);
    size_t before = 0, after = 0;
    kernel_fake_lines(d->k, &before);

    struct { const char *line; size_t len; const char *reason; } bad[] = {
        { "bogus", 5, "unknown command 'bogus'" },
        { "quit now", 8, "wrong number of arguments for quit (usage: quit)" },
        { "show --json extra", 17, "wrong number of arguments for show (usage: show [--json])" },
        { "show --yaml", 11, "unknown option for show (usage: show [--json])" },
        { "show_handlednics 1", 18, "wrong number of arguments for show_handlednics (usage: show_handlednics)" },
        { "show_local_identities x", 23, "wrong number of arguments for show_local_identities (usage: show_local_identities)" },
        { "QUIT", 4, "unknown command 'QUIT'" },
        { "quit\0", 5, "embedded NUL byte" },
        { "qu\xffit", 5, "invalid UTF-8" },
        { "", 0, "empty command" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        assert_false(run_cmd(d, bad[i].line, bad[i].len, out, err));
        assert_string_equal(err->str, bad[i].reason);
        assert_string_equal(out->str, "");
    }
    /* a very long unknown command is quoted with a bound */
    GString *lng = g_string_new(NULL);
    for (int i = 0; i < 200; i++)
        g_string_append_c(lng, 'z');
    assert_false(run_cmd(d, lng->str, lng->len, out, err));
    assert_true(err->len < 100);
    g_string_free(lng, TRUE);

    /* nothing reached the kernel */
    kernel_fake_lines(d->k, &after);
    assert_int_equal(before, after);

    assert_true(run_cmd(d, "show_handlednics", 16, out, err));
    assert_string_equal(out->str, "handlednics: #0: eth1 = 00:16:3E:FD:E2:AA (has 169.254.69.30).\n");
    assert_true(run_cmd(d, "show_local_identities", 21, out, err));
    assert_string_equal(out->str, "local_identity #0 (nodeid 42):\n    main,\n"
                                  "    address 3:0:1:0, elderships 0:0:0:0, namespace default,\n");
    assert_true(run_cmd(d, "show", 4, out, err));
    assert_non_null(strstr(out->str, "  table ntk id 251 routes 18 unreachable 18"));
    assert_non_null(strstr(out->str, "  address 10.0.0.90/32 dev eth1 kind anonymous\n"));
    assert_non_null(strstr(out->str, "  nat -A POSTROUTING -d 10.0.0.64/27 -j SNAT --to 10.0.0.26\n"));
    assert_true(run_cmd(d, "show --json", 11, out, err));
    assert_true(g_str_has_prefix(out->str, "{\"netns\":null,\"topology\":\"4.2.2.2\""));
    assert_non_null(strstr(out->str, "\"routes\":18"));
    {
        GError *je = NULL;
        JsonNode *root = json_from_string(out->str, &je);
        assert_non_null(root);
        JsonObject *o = json_node_get_object(root);
        assert_string_equal(json_object_get_string_member(o, "topology"), "4.2.2.2");
        JsonObject *nic = json_array_get_object_element(json_object_get_array_member(o, "nics"), 0);
        assert_string_equal(json_object_get_string_member(nic, "mac"), "00:16:3E:FD:E2:AA");
        JsonObject *id = json_array_get_object_element(json_object_get_array_member(o, "identities"), 0);
        assert_int_equal(json_array_get_length(json_object_get_array_member(id, "addresses")), 7);
        JsonObject *tab = json_array_get_object_element(json_object_get_array_member(id, "tables"), 0);
        assert_int_equal(json_object_get_int_member(tab, "id"), 251);
        assert_int_equal(json_array_get_length(json_object_get_array_member(o, "nat")), 1);
        json_node_unref(root);
    }
    kernel_fake_lines(d->k, &after);
    assert_int_equal(before, after);

    /* quit tears down through the kernel, once */
    assert_true(run_cmd(d, "quit", 4, out, err));
    const char *const *l = kernel_fake_lines(d->k, &after);
    assert_int_equal(after, before + 11);
    assert_string_equal(l[before], "ip address del 169.254.69.30/32 dev eth1");
    assert_string_equal(l[after - 1], "ip address del 10.0.0.32/32 dev lo");
    assert_int_equal(d->exit_code, 0);
    assert_true(run_cmd(d, "quit", 4, out, err));
    kernel_fake_lines(d->k, &before);
    assert_int_equal(before, after);

    g_string_free(out, TRUE);
    g_string_free(err, TRUE);
    free_daemon(d);
}

/* ---- FIFO round trip ------------------------------------------------------- */

typedef struct {
    char *dir;
    const char *line;
    int status;
    GString *body;
    GString *reason;
} call;

static gpointer client_thread(gpointer data)
{
    call *c = data;
    int st = control_client_call_line(c->dir, c->line, 5.0, c->body, c->reason);
    g_atomic_int_set(&c->status, st);
    return NULL;
}

static call *start_call(char *dir, const char *line, GThread **t)
{
    call *c = g_new0(call, 1);
    c->dir = dir;
    c->line = line;
    c->status = -1;
    c->body = g_string_new(NULL);
    c->reason = g_string_new(NULL);
    *t = g_thread_new("client", client_thread, c);
    return c;
}

static void finish_call(call *c, GThread *t)
{
    while (g_atomic_int_get(&c->status) == -1 || g_main_context_pending(NULL))
        g_main_context_iteration(NULL, FALSE), g_usleep(1000);
    g_thread_join(t);
}

static void free_call(call *c)
{
    g_string_free(c->body, TRUE);
    g_string_free(c->reason, TRUE);
    g_free(c);
}

static void test_fifo_roundtrip(void **state)
{
    gchar *tmp = g_dir_make_tmp("qt-ctl-XXXXXX", NULL);
    gchar *dir = g_build_filename(tmp, "ctl", NULL);
    qspnd *d = make_daemon();
    size_t n;
    const control_command *t = qspnd_command_table(&n);
    GError *ge = NULL;

    /* no daemon yet: exit status 3 quickly */
    GString *body = g_string_new(NULL), *reason = g_string_new(NULL);
    assert_int_equal(control_client_call_line(dir, "show", 0.3, body, reason), CONTROL_CLIENT_NOANSWER);

    control_server *s = control_server_new(dir, t, n, d, &ge);
    assert_non_null(s);
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    gchar *cmdp = g_build_filename(dir, CONTROL_CMD_FIFO, NULL);
    assert_int_equal(stat(cmdp, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);

    GThread *th;
    call *c = start_call(dir, "show_handlednics", &th);
    finish_call(c, th);
    assert_int_equal(c->status, CONTROL_CLIENT_OK);
    assert_string_equal(c->body->str, "handlednics: #0: eth1 = 00:16:3E:FD:E2:AA (has 169.254.69.30).\n");
    free_call(c);

    c = start_call(dir, "frobnicate 1 2", &th);
    finish_call(c, th);
    assert_int_equal(c->status, CONTROL_CLIENT_ERROR);
    assert_string_equal(c->reason->str, "unknown command 'frobnicate'");
    free_call(c);

    /* a big reply (show --json) and concurrent clients are serialized */
    GThread *ths[4];
    call *cs[4];
    for (int i = 0; i < 4; i++)
        cs[i] = start_call(dir, i % 2 ? "show --json" : "show", &ths[i]);
    for (int i = 0; i < 4; i++) {
        finish_call(cs[i], ths[i]);
        assert_int_equal(cs[i]->status, CONTROL_CLIENT_OK);
        assert_true(g_str_has_prefix(cs[i]->body->str, i % 2 ? "{" : "system "));
        free_call(cs[i]);
    }

    /* an over-long line written raw gets "line too long", and the next command works */
    {
        gchar *lock = g_build_filename(dir, CONTROL_LOCK_FILE, NULL);
        gchar *rsp = g_build_filename(dir, CONTROL_RSP_FIFO, NULL);
        int rfd = open(rsp, O_RDONLY | O_NONBLOCK);
        int wfd = open(cmdp, O_WRONLY | O_NONBLOCK);
        assert_true(rfd >= 0 && wfd >= 0);
        GString *lng = g_string_new(NULL);
        for (int i = 0; i < 3 * CONTROL_LINE_MAX; i++)
            g_string_append_c(lng, 'q');
        g_string_append_c(lng, '\n');
        size_t off = 0;
        while (off < lng->len) {
            ssize_t w = write(wfd, lng->str + off, lng->len - off);
            if (w > 0)
                off += (size_t)w;
            g_main_context_iteration(NULL, FALSE);
        }
        GString *got = g_string_new(NULL);
        bool ok = true;
        GString *b2 = g_string_new(NULL), *r2 = g_string_new(NULL);
        for (int spins = 0; spins < 5000; spins++) {
            g_main_context_iteration(NULL, FALSE);
            char buf[256];
            ssize_t r = read(rfd, buf, sizeof buf);
            if (r > 0)
                g_string_append_len(got, buf, r);
            if (control_parse_reply(got->str, got->len, &ok, b2, r2) == 1)
                break;
            g_usleep(1000);
        }
        assert_false(ok);
        assert_string_equal(r2->str, "line too long");
        close(wfd);
        close(rfd);
        g_string_free(lng, TRUE);
        g_string_free(got, TRUE);
        g_string_free(b2, TRUE);
        g_string_free(r2, TRUE);
        g_free(lock);
        g_free(rsp);
    }
    c = start_call(dir, "show_local_identities", &th);
    finish_call(c, th);
    assert_int_equal(c->status, CONTROL_CLIENT_OK);
    free_call(c);

    /* client-side bounds */
    GString *lng = g_string_new(NULL);
    for (int i = 0; i < CONTROL_LINE_MAX; i++)
        g_string_append_c(lng, 'a');
    assert_int_equal(control_client_call_line(dir, lng->str, 1, body, reason), CONTROL_CLIENT_USAGE);
    assert_int_equal(control_client_call_line(dir, "show\nquit", 1, body, reason), CONTROL_CLIENT_USAGE);
    g_string_free(lng, TRUE);

    control_server_free(s);
    assert_int_equal(stat(cmdp, &st), -1);
    /* daemon gone, FIFOs removed: status 3 */
    assert_int_equal(control_client_call_line(dir, "show", 0.3, body, reason), CONTROL_CLIENT_NOANSWER);

    gchar *lockp = g_build_filename(dir, CONTROL_LOCK_FILE, NULL);
    g_unlink(lockp);
    g_free(lockp);
    g_rmdir(dir);
    g_rmdir(tmp);
    g_free(cmdp);
    g_string_free(body, TRUE);
    g_string_free(reason, TRUE);
    free_daemon(d);
    g_free(dir);
    g_free(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokenize),
        cmocka_unit_test(test_parse_long),
        cmocka_unit_test(test_framing),
        cmocka_unit_test(test_dispatch),
        cmocka_unit_test(test_fifo_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
