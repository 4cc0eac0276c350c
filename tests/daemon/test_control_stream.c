/* test_control_stream.c - requests turned into streams (control_stream.c) and
 * their client (control_client_stream.c): lines in order with the '%'
 * escape, a reader that does not read is dropped without blocking the
 * server, a reader that leaves is noticed at once (its FIFO removed), the
 * end of the server ends every stream with "%ok <id>". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "control_stream.h"
#include "control_testutil.h"

typedef struct {
    int calls;
    char why[64];
} gone_rec;

static void on_gone(control_stream *st, const char *why, void *user)
{
    gone_rec *g = user;
    g->calls++;
    g_strlcpy(g->why, why, sizeof g->why);
}

static control_stats stats(tctx *t)
{
    control_stats st;
    control_server_get_stats(t->srv, &st);
    return st;
}

/* A raw client subscribes with "slow"; the test turns the request into a stream. */
static control_stream *subscribe(tctx *t, traw *r, size_t max_lines, size_t max_bytes, gone_rec *g)
{
    traw_write(t->dir, "\n%s slow\n", r->id);
    for (int i = 0; i < 400 && !t->held; i++)
        iterate_ms(5);
    assert_non_null(t->held);
    control_stream *st = control_request_stream(t->held, max_lines, max_bytes, on_gone, g);
    t->held = NULL;
    assert_non_null(st);
    assert_false(control_server_busy(t->srv));         /* the next commands run at once */
    return st;
}

/* Read what r's FIFO holds now. */
static void drain(traw *r)
{
    char buf[65536];
    ssize_t n;
    while ((n = read(r->rfd, buf, sizeof buf)) > 0)
        g_string_append_len(r->got, buf, n);
}

static void test_lines_then_end(void **state)
{
    tctx *t = tctx_new();
    traw *r = traw_open(t->dir, "s1");
    gone_rec g = { 0 };
    control_stream *st = subscribe(t, r, 0, 0, &g);
    assert_string_equal(control_stream_id(st), "s1");
    assert_true(control_stream_send(st, "one"));
    assert_true(control_stream_send(st, "%two"));
    gchar *huge = g_strnfill(CONTROL_STREAM_LINE_MAX + 1, 'h');
    assert_true(control_stream_send(st, huge));        /* not sent; the stream goes on */
    assert_true(control_stream_send(st, "a\nb"));
    g_free(huge);
    /* the server still answers other clients meanwhile */
    tcall *c = tcall_start(t->dir, "echo x", 5);
    tcall_finish(c);
    assert_int_equal(c->status, CONTROL_CLIENT_OK);
    tcall_free(c);
    assert_int_equal(control_server_n_streams(t->srv), 1);
    control_server_free(t->srv);                       /* qspnd stops */
    t->srv = NULL;
    assert_int_equal(g.calls, 1);
    assert_string_equal(g.why, "qspnd stopped");
    drain(r);
    assert_string_equal(r->got->str, "%stream s1\none\n%%two\n%ok s1\n");
    traw_close(r);
    tctx_free(t);
}

static void test_slow_reader_dropped(void **state)
{
    tctx *t = tctx_new();
    traw *r = traw_open(t->dir, "slow1");
    gone_rec g = { 0 };
    control_stream *st = subscribe(t, r, 50, 4096, &g);
    char line[200];
    memset(line, 'e', sizeof line - 1);
    line[sizeof line - 1] = '\0';
    int sent = 0;
    gint64 t0 = g_get_monotonic_time();
    while (control_stream_send(st, line))            /* nobody reads: the pipe fills, then the queue */
        sent++;
    assert_true(g_get_monotonic_time() - t0 < G_USEC_PER_SEC);   /* never blocked */
    assert_true(sent > 50);                          /* the pipe took some */
    assert_true(sent < 2000);
    assert_int_equal(g.calls, 1);
    assert_string_equal(g.why, "too slow");
    assert_int_equal(stats(t).streams_dropped, 1);
    /* the reader comes back: it gets what the pipe held, then the reason */
    for (int i = 0; i < 100 && !strstr(r->got->str, "%error slow1"); i++) {
        drain(r);
        iterate_ms(5);
    }
    const char *end = strstr(r->got->str, "%error slow1 too slow: more than 50 lines or 4096 bytes waiting; dropped\n");
    assert_non_null(end);
    assert_true(end > r->got->str && end[-1] == '\n');          /* after whole lines only */
    assert_int_equal(end[strlen("%error slow1 too slow: more than 50 lines or 4096 bytes waiting; dropped\n")], '\0');
    iterate_ms(20);
    assert_int_equal(control_server_n_streams(t->srv), 0);      /* closed after its last line */
    traw_close(r);
    tctx_free(t);
}

/* Dropped, and the reader never reads again: closed at the deadline all the same. */
static void test_dropped_reader_never_reads(void **state)
{
    tctx *t = tctx_new();
    traw *r = traw_open(t->dir, "stuck1");
    gone_rec g = { 0 };
    control_stream *st = subscribe(t, r, 10, 2048, &g);
    while (control_stream_send(st, "a line of an event that nobody reads"))
        ;
    assert_string_equal(g.why, "too slow");
    gint64 t0 = g_get_monotonic_time();
    for (int i = 0; i < 1400 && control_server_n_streams(t->srv) > 0; i++)
        iterate_ms(5);
    gint64 waited = g_get_monotonic_time() - t0;
    assert_int_equal(control_server_n_streams(t->srv), 0);
    assert_true(waited >= (CONTROL_STREAM_CLOSE_MS - 100) * 1000);
    /* what the pipe held is there, then EOF: the daemon's end is closed */
    drain(r);
    assert_true(r->got->len > 1000);
    assert_null(strstr(r->got->str, "%error"));
    char c;
    assert_int_equal(read(r->rfd, &c, 1), 0);
    traw_close(r);
    tctx_free(t);
}

static void test_reader_leaves(void **state)
{
    tctx *t = tctx_new();
    traw *r = traw_open(t->dir, "gone1");
    gone_rec g = { 0 };
    control_stream *st = subscribe(t, r, 0, 0, &g);
    assert_true(control_stream_send(st, "hello"));
    /* the reader is killed: its FIFO stays, with no reader; nothing is sent */
    close(r->rfd);
    r->rfd = -1;
    for (int i = 0; i < 200 && g.calls == 0; i++)
        iterate_ms(5);
    assert_int_equal(g.calls, 1);                    /* seen without any write (POLLERR) */
    assert_string_equal(g.why, "the reader is gone");
    assert_int_equal(control_server_n_streams(t->srv), 0);
    assert_int_equal(access(r->path, F_OK), -1);     /* its orphan FIFO was removed */
    g_free(r->path);
    g_string_free(r->got, TRUE);
    g_free(r);
    tctx_free(t);
}

/* The client library: a thread subscribes and reads until the end. */
typedef struct {
    gchar *dir;
    int open_status;
    GPtrArray *lines;
    int end;                       /* control_stream_event that ended it */
    GString *reason;
} reader;

static gpointer reader_thread(gpointer data)
{
    reader *rd = data;
    control_client_stream *cs = NULL;
    rd->open_status = control_client_stream_open(rd->dir, "slow", 5, &cs, rd->reason);
    if (rd->open_status != CONTROL_CLIENT_OK) {
        g_atomic_int_set(&rd->end, -2);
        return NULL;
    }
    GString *l = g_string_new(NULL);
    for (;;) {
        control_stream_event ev = control_client_stream_next(cs, 5000, NULL, l);
        if (ev == CONTROL_STREAM_LINE) {
            g_ptr_array_add(rd->lines, g_strdup(l->str));
            continue;
        }
        g_string_assign(rd->reason, l->str);
        g_atomic_int_set(&rd->end, (int)ev);
        break;
    }
    g_string_free(l, TRUE);
    control_client_stream_close(cs);
    return NULL;
}

static void test_client_library(void **state)
{
    tctx *t = tctx_new();
    reader rd = { g_strdup(t->dir), -1, g_ptr_array_new_with_free_func(g_free), -1, g_string_new(NULL) };
    GThread *th = g_thread_new("reader", reader_thread, &rd);
    for (int i = 0; i < 400 && !t->held; i++)
        iterate_ms(5);
    assert_non_null(t->held);
    gone_rec g = { 0 };
    control_stream *st = control_request_stream(t->held, 0, 0, on_gone, &g);
    t->held = NULL;
    assert_non_null(st);
    assert_true(control_stream_send(st, "a"));
    assert_true(control_stream_send(st, "%b"));
    iterate_ms(100);
    control_server_free(t->srv);
    t->srv = NULL;
    for (int i = 0; i < 400 && g_atomic_int_get(&rd.end) == -1; i++)
        g_usleep(5000);
    g_thread_join(th);
    assert_int_equal(rd.open_status, CONTROL_CLIENT_OK);
    assert_int_equal(rd.end, CONTROL_STREAM_END_OK);
    assert_int_equal(rd.lines->len, 2);
    assert_string_equal(g_ptr_array_index(rd.lines, 0), "a");
    assert_string_equal(g_ptr_array_index(rd.lines, 1), "%b");
    g_ptr_array_free(rd.lines, TRUE);
    g_string_free(rd.reason, TRUE);
    g_free(rd.dir);
    tctx_free(t);                                    /* and no FIFO left behind */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_then_end),
        cmocka_unit_test(test_slow_reader_dropped),
        cmocka_unit_test(test_dropped_reader_never_reads),
        cmocka_unit_test(test_reader_leaves),
        cmocka_unit_test(test_client_library),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
