/* test_control_async.c - asynchronous (deferred) commands: a handler takes the
 * request and completes it later from the main loop; meanwhile later requests
 * wait in a bounded queue and run, in arrival order, after it completes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "control_testutil.h"

static control_stats stats(tctx *t)
{
    control_stats st;
    control_server_get_stats(t->srv, &st);
    return st;
}

static void wait_requests(tctx *t, guint64 n)
{
    for (int i = 0; i < 400 && stats(t).requests < n; i++)
        iterate_ms(5);
    assert_int_equal(stats(t).requests, n);
}

static void test_deferred_reply_and_queue(void **state)
{
    tctx *t = tctx_new();
    tcall *a = tcall_start(t->dir, "slow A", 5);
    wait_requests(t, 1);
    assert_non_null(t->held);
    assert_true(control_server_busy(t->srv));
    assert_int_equal(strlen(control_request_id(t->held)), CONTROL_CLIENT_ID_LEN);
    tcall *b = tcall_start(t->dir, "echo b", 5);
    wait_requests(t, 2);
    tcall *c = tcall_start(t->dir, "echo c", 5);
    wait_requests(t, 3);
    iterate_ms(50);
    assert_int_equal(t->echo_calls, 0);            /* queued behind A */
    assert_int_equal(g_atomic_int_get(&a->status), -1);

    control_request_reply(t->held, true, "done\n", NULL);
    t->held = NULL;
    tcall_finish(a);
    tcall_finish(b);
    tcall_finish(c);
    assert_int_equal(a->status, CONTROL_CLIENT_OK);
    assert_string_equal(a->body->str, "done\n");
    assert_string_equal(b->body->str, "b\n");
    assert_string_equal(c->body->str, "c\n");
    assert_string_equal(t->log->str, "slow:A;echo:b;echo:c;");
    assert_false(control_server_busy(t->srv));
    tcall_free(a);
    tcall_free(b);
    tcall_free(c);

    /* an async failure, and an async command completed inside its handler */
    a = tcall_start(t->dir, "slow B", 5);
    wait_requests(t, 4);
    control_request_reply(t->held, false, NULL, "neighbour did not answer");
    t->held = NULL;
    tcall_finish(a);
    assert_int_equal(a->status, CONTROL_CLIENT_ERROR);
    assert_string_equal(a->reason->str, "neighbour did not answer");
    tcall_free(a);
    a = tcall_start(t->dir, "now", 5);
    tcall_finish(a);
    assert_int_equal(a->status, CONTROL_CLIENT_OK);
    assert_string_equal(a->body->str, "now\n");
    tcall_free(a);
    /* without the server an async command is refused */
    size_t n;
    const control_command *tab = tctx_table(&n);
    GString *out = g_string_new(NULL), *err = g_string_new(NULL);
    char *argv[] = { "now", NULL };
    assert_false(control_dispatch(tab, n, 1, argv, out, err, t));
    assert_string_equal(err->str, "now is asynchronous (needs the server)");
    g_string_free(out, TRUE);
    g_string_free(err, TRUE);
    tctx_free(t);
}

static void test_queue_bound(void **state)
{
    tctx *t = tctx_new();
    traw *a = traw_open(t->dir, "A");
    traw_write(t->dir, "\nA slow\n");
    wait_requests(t, 1);
    traw *q[CONTROL_QUEUE_MAX + 1];
    GString *burst = g_string_new(NULL);
    for (int i = 0; i <= CONTROL_QUEUE_MAX; i++) {
        char id[16];
        g_snprintf(id, sizeof id, "q%d", i);
        q[i] = traw_open(t->dir, id);
        g_string_append_printf(burst, "\nq%d echo %d\n", i, i);
    }
    traw_write(t->dir, "%s", burst->str);
    g_string_free(burst, TRUE);
    /* the one beyond the bound is refused at once, the others wait */
    GString *reason = g_string_new(NULL);
    assert_int_equal(traw_reply(q[CONTROL_QUEUE_MAX], 2000, NULL, reason), 0);
    assert_string_equal(reason->str, "command queue full (64 requests waiting)");
    assert_int_equal(stats(t).queue_full, 1);
    assert_int_equal(t->echo_calls, 0);
    control_request_reply(t->held, true, NULL, NULL);
    t->held = NULL;
    assert_int_equal(traw_reply(a, 2000, NULL, NULL), 1);
    GString *body = g_string_new(NULL);
    for (int i = 0; i < CONTROL_QUEUE_MAX; i++) {
        gchar *want = g_strdup_printf("%d\n", i);
        assert_int_equal(traw_reply(q[i], 2000, body, NULL), 1);
        assert_string_equal(body->str, want);
        g_free(want);
    }
    assert_int_equal(t->echo_calls, CONTROL_QUEUE_MAX);
    for (int i = 0; i <= CONTROL_QUEUE_MAX; i++)
        traw_close(q[i]);
    traw_close(a);
    g_string_free(body, TRUE);
    g_string_free(reason, TRUE);
    tctx_free(t);
}

/* Clients that leave: the pending command still completes (reply dropped);
 * a queued command whose client left is not executed. */
static void test_clients_that_leave(void **state)
{
    tctx *t = tctx_new();
    tcall *a = tcall_start(t->dir, "slow A", 0.3);
    wait_requests(t, 1);
    traw *b = traw_open(t->dir, "B");
    traw_write(t->dir, "\nB echo b\n");
    wait_requests(t, 2);
    tcall_finish(a);
    assert_int_equal(a->status, CONTROL_CLIENT_NOANSWER);
    traw_close(b);                                 /* B leaves too */
    control_request_reply(t->held, true, "late\n", NULL);
    t->held = NULL;
    iterate_ms(50);
    assert_int_equal(stats(t).replies_dropped, 1);
    assert_int_equal(stats(t).client_gone, 1);
    assert_int_equal(t->echo_calls, 0);
    tcall_free(a);
    a = tcall_start(t->dir, "echo again", 5);
    tcall_finish(a);
    assert_int_equal(a->status, CONTROL_CLIENT_OK);
    tcall_free(a);
    tctx_free(t);
}

/* Stop (quit): requests already read get "qspnd is stopping"; freeing the
 * server answers a pending async request and detaches it. */
static void test_stop_and_free(void **state)
{
    tctx *t = tctx_new();
    traw *q = traw_open(t->dir, "q1");
    traw *e = traw_open(t->dir, "e1");
    traw_write(t->dir, "\nq1 quit\n\ne1 echo x\n");     /* one read: quit, then echo */
    assert_int_equal(traw_reply(q, 2000, NULL, NULL), 1);
    GString *reason = g_string_new(NULL);
    assert_int_equal(traw_reply(e, 2000, NULL, reason), 0);
    assert_string_equal(reason->str, "qspnd is stopping");
    assert_int_equal(t->echo_calls, 0);
    gchar *cmdp = g_build_filename(t->dir, CONTROL_CMD_FIFO, NULL);
    assert_false(g_file_test(cmdp, G_FILE_TEST_EXISTS));
    g_free(cmdp);
    traw_close(q);
    traw_close(e);
    tctx_free(t);

    t = tctx_new();
    traw *a = traw_open(t->dir, "A");
    traw *b = traw_open(t->dir, "B");
    traw_write(t->dir, "\nA slow\n");
    wait_requests(t, 1);
    traw_write(t->dir, "\nB echo b\n");
    wait_requests(t, 2);
    control_server_stop(t->srv);
    assert_int_equal(traw_reply(b, 2000, NULL, reason), 0);
    assert_string_equal(reason->str, "qspnd is stopping");
    control_server_free(t->srv);
    t->srv = NULL;
    assert_int_equal(traw_reply(a, 2000, NULL, reason), 0);
    assert_string_equal(reason->str, "qspnd stopped before the command completed");
    /* the owner completes it later: only freed (ASan checks) */
    control_request_reply(t->held, true, "too late\n", NULL);
    t->held = NULL;
    traw_close(a);
    traw_close(b);
    g_string_free(reason, TRUE);
    tctx_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deferred_reply_and_queue),
        cmocka_unit_test(test_queue_bound),
        cmocka_unit_test(test_clients_that_leave),
        cmocka_unit_test(test_stop_and_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
