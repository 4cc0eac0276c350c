/* test_log.c - the rate limit of log lines caused by strangers (log.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "log.h"

/* QSPND_LOG_BURST lines a second, the rest counted and told with the next allowed line */
static void test_burst_then_silence_then_count(void **state)
{
    (void)state;
    qspnd_ratelimit rl = { 0 };
    uint64_t left = 99;
    for (int i = 0; i < 5; i++) {
        assert_true(qspnd_ratelimit_allow(&rl, 1000000 + i, &left));
        assert_int_equal(left, 0);
    }
    for (int i = 0; i < 1000; i++)
        assert_false(qspnd_ratelimit_allow(&rl, 1500000 + i, &left));
    assert_int_equal(left, 0);
    /* one second after the window began: allowed again, 1000 left out */
    assert_true(qspnd_ratelimit_allow(&rl, 2000000, &left));
    assert_int_equal(left, 1000);
    assert_true(qspnd_ratelimit_allow(&rl, 2000001, &left));
    assert_int_equal(left, 0);
}

/* the window is one second long, not "one second of silence" */
static void test_window_edges(void **state)
{
    (void)state;
    qspnd_ratelimit rl = { 0 };
    uint64_t left;
    for (int i = 0; i < 5; i++)
        assert_true(qspnd_ratelimit_allow(&rl, 0, &left));
    assert_false(qspnd_ratelimit_allow(&rl, 999999, &left));
    assert_true(qspnd_ratelimit_allow(&rl, 1000000, &left));
    assert_int_equal(left, 1);
}

/* a clock that goes back (another caller's time base) starts a new window */
static void test_time_going_back(void **state)
{
    (void)state;
    qspnd_ratelimit rl = { 0 };
    uint64_t left;
    for (int i = 0; i < 6; i++)
        qspnd_ratelimit_allow(&rl, 5000000, &left);
    assert_true(qspnd_ratelimit_allow(&rl, 10, &left));
    assert_int_equal(left, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_silence_then_count),
        cmocka_unit_test(test_window_edges),
        cmocka_unit_test(test_time_going_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
