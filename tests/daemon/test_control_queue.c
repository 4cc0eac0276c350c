/* test_control_queue.c - the bounded line queue of a stream subscriber
 * (qspn/control/control_queue.c): bounds in lines and bytes, escaping,
 * partial writes, EAGAIN and EPIPE from an injected writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "control_queue.h"

/* A fake pipe: takes at most `room` bytes (then EAGAIN), or fails with EPIPE. */
typedef struct {
    GString *got;
    size_t room;
    size_t chunk;                  /* at most this much per write (0: no limit) */
    bool gone;
    int calls;
} fake_pipe;

static ssize_t fake_write(void *ctx, const char *buf, size_t len)
{
    fake_pipe *p = ctx;
    p->calls++;
    if (p->gone) {
        errno = EPIPE;
        return -1;
    }
    if (p->room == 0) {
        errno = EAGAIN;
        return -1;
    }
    size_t n = len < p->room ? len : p->room;
    if (p->chunk && n > p->chunk)
        n = p->chunk;
    g_string_append_len(p->got, buf, (gssize)n);
    p->room -= n;
    return (ssize_t)n;
}

static void test_lines_and_escaping(void **state)
{
    control_queue q;
    fake_pipe p = { g_string_new(NULL), 1 << 20, 0, false, 0 };
    control_queue_init(&q, 10, 1000);
    assert_int_equal(control_queue_push_line(&q, "a", 1), CQ_OK);
    assert_int_equal(control_queue_push_line(&q, "%ok x", 5), CQ_OK);    /* a body line, escaped */
    control_queue_push_raw(&q, "%ok x");                                   /* the terminator, as is */
    assert_int_equal(control_queue_lines(&q), 3);
    assert_int_equal(control_queue_bytes(&q), 2 + 7 + 6);
    assert_int_equal(control_queue_flush(&q, fake_write, &p), CQ_DONE);
    assert_string_equal(p.got->str, "a\n%%ok x\n%ok x\n");
    assert_int_equal(control_queue_lines(&q), 0);
    assert_int_equal(control_queue_bytes(&q), 0);
    /* refused: empty, embedded newline or NUL; nothing appended */
    assert_int_equal(control_queue_push_line(&q, "", 0), CQ_BAD);
    assert_int_equal(control_queue_push_line(&q, "a\nb", 3), CQ_BAD);
    assert_int_equal(control_queue_push_line(&q, "a\0b", 3), CQ_BAD);
    assert_int_equal(control_queue_bytes(&q), 0);
    control_queue_clear(&q);
    g_string_free(p.got, TRUE);
}

static void test_bounds(void **state)
{
    control_queue q;
    control_queue_init(&q, 3, 100);
    for (int i = 0; i < 3; i++)
        assert_int_equal(control_queue_push_line(&q, "line", 4), CQ_OK);
    assert_int_equal(control_queue_push_line(&q, "line", 4), CQ_FULL);   /* 4th line */
    assert_int_equal(control_queue_lines(&q), 3);
    control_queue_discard(&q);
    assert_int_equal(control_queue_lines(&q), 0);
    char big[100];
    memset(big, 'x', sizeof big);
    assert_int_equal(control_queue_push_line(&q, big, 99), CQ_OK);      /* 99 + '\n' = 100 */
    control_queue_discard(&q);
    assert_int_equal(control_queue_push_line(&q, big, 100), CQ_FULL);   /* 101 bytes */
    assert_int_equal(control_queue_push_line(&q, big, 60), CQ_OK);
    assert_int_equal(control_queue_push_line(&q, big, 38), CQ_OK);      /* 61 + 39: exactly 100 */
    assert_int_equal(control_queue_push_line(&q, "y", 1), CQ_FULL);
    /* the terminator goes past the bounds */
    control_queue_push_raw(&q, "%error x too slow");
    assert_int_equal(control_queue_lines(&q), 3);
    assert_int_equal(control_queue_bytes(&q), 100 + 18);
    control_queue_clear(&q);
}

static void test_partial_writes(void **state)
{
    control_queue q;
    fake_pipe p = { g_string_new(NULL), 5, 0, false, 0 };
    control_queue_init(&q, 100, 10000);
    assert_int_equal(control_queue_push_line(&q, "first", 5), CQ_OK);
    assert_int_equal(control_queue_push_line(&q, "second", 6), CQ_OK);
    assert_int_equal(control_queue_flush(&q, fake_write, &p), CQ_AGAIN);   /* "first" without '\n' */
    assert_string_equal(p.got->str, "first");
    assert_int_equal(control_queue_lines(&q), 2);                          /* its tail still waits */
    assert_int_equal(control_queue_bytes(&q), 1 + 7);
    p.room = 3;
    assert_int_equal(control_queue_flush(&q, fake_write, &p), CQ_AGAIN);
    assert_int_equal(control_queue_lines(&q), 1);
    /* room again, in small chunks: everything arrives, in order, once */
    p.room = 1 << 20;
    p.chunk = 2;
    for (int i = 0; i < 1000; i++) {
        char l[32];
        int n = g_snprintf(l, sizeof l, "event %d", i);
        assert_int_equal(control_queue_push_line(&q, l, (size_t)n), i < 99 ? CQ_OK : CQ_FULL);
        if (i == 98) {
            assert_int_equal(control_queue_flush(&q, fake_write, &p), CQ_DONE);
            break;
        }
    }
    GString *want = g_string_new("first\nsecond\n");
    for (int i = 0; i <= 98; i++)
        g_string_append_printf(want, "event %d\n", i);
    assert_string_equal(p.got->str, want->str);
    assert_int_equal(control_queue_lines(&q), 0);
    g_string_free(want, TRUE);
    control_queue_clear(&q);
    g_string_free(p.got, TRUE);
}

/* Many pushes and partial flushes (the written prefix is compacted away):
 * what arrives is exactly what was pushed, and the counts stay right. */
static void test_long_run(void **state)
{
    control_queue q;
    fake_pipe p = { g_string_new(NULL), 0, 0, false, 0 };
    GString *want = g_string_new(NULL);
    control_queue_init(&q, 1000, 256 * 1024);
    for (int i = 0; i < 20000; i++) {
        char l[64];
        int n = g_snprintf(l, sizeof l, "%s%d the quick brown fox", i % 7 ? "" : "%", i);
        assert_int_equal(control_queue_push_line(&q, l, (size_t)n), CQ_OK);
        g_string_append_printf(want, "%s%s\n", l[0] == '%' ? "%" : "", l);
        p.room += 23 + (size_t)(i % 50);
        control_queue_write r = control_queue_flush(&q, fake_write, &p);
        assert_true(r == CQ_DONE || r == CQ_AGAIN);
        assert_true(control_queue_lines(&q) <= 1000);
    }
    p.room = 1 << 24;
    assert_int_equal(control_queue_flush(&q, fake_write, &p), CQ_DONE);
    assert_int_equal(p.got->len, want->len);
    assert_memory_equal(p.got->str, want->str, want->len);
    assert_int_equal(control_queue_lines(&q), 0);
    g_string_free(want, TRUE);
    g_string_free(p.got, TRUE);
    control_queue_clear(&q);
}

/* A reader that fell behind in the middle of a line: discarding what waits
 * keeps that line's tail, so the final line never glues to half a line. */
static void test_discard_mid_line(void **state)
{
    control_queue q;
    fake_pipe p = { g_string_new(NULL), 4, 0, false, 0 };
    control_queue_init(&q, 100, 10000);
    assert_int_equal(control_queue_push_line(&q, "first", 5), CQ_OK);
    assert_int_equal(control_queue_push_line(&q, "second", 6), CQ_OK);
    assert_int_equal(control_queue_flush(&q, fake_write, &p), CQ_AGAIN);    /* "firs" */
    control_queue_discard(&q);
    assert_int_equal(control_queue_lines(&q), 1);
    control_queue_push_raw(&q, "%error x too slow");
    p.room = 1000;
    assert_int_equal(control_queue_flush(&q, fake_write, &p), CQ_DONE);
    assert_string_equal(p.got->str, "first\n%error x too slow\n");
    /* at a line boundary everything waiting goes */
    assert_int_equal(control_queue_push_line(&q, "third", 5), CQ_OK);
    control_queue_discard(&q);
    assert_int_equal(control_queue_bytes(&q), 0);
    assert_int_equal(control_queue_lines(&q), 0);
    control_queue_clear(&q);
    g_string_free(p.got, TRUE);
}

static void test_reader_gone(void **state)
{
    control_queue q;
    fake_pipe p = { g_string_new(NULL), 100, 0, true, 0 };
    control_queue_init(&q, 10, 1000);
    assert_int_equal(control_queue_flush(&q, fake_write, &p), CQ_DONE);   /* nothing to write */
    assert_int_equal(p.calls, 0);
    assert_int_equal(control_queue_push_line(&q, "x", 1), CQ_OK);
    assert_int_equal(control_queue_flush(&q, fake_write, &p), CQ_GONE);
    assert_int_equal(control_queue_lines(&q), 1);
    control_queue_clear(&q);
    control_queue_clear(&q);                                  /* twice is harmless */
    g_string_free(p.got, TRUE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_and_escaping),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_partial_writes),
        cmocka_unit_test(test_long_run),
        cmocka_unit_test(test_discard_mid_line),
        cmocka_unit_test(test_reader_gone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
