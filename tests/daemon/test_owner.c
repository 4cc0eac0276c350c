/* test_owner.c - ownership locks: the control-directory flock (also under a
 * race of simultaneous lockers) and the per-network-namespace abstract socket
 * (root only: in private namespaces made with unshare, so nothing of the host
 * is involved). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control.h"
#include "owner.h"

static void test_dir_lock(void **state)
{
    gchar *dir = g_dir_make_tmp("qt-owner-XXXXXX", NULL);
    gchar *path = g_build_filename(dir, CONTROL_LOCK_FILE, NULL);
    char err[256];
    int fd = owner_dir_lock(dir, err, sizeof err);
    assert_true(fd >= 0);
    gchar *text = NULL;
    assert_true(g_file_get_contents(path, &text, NULL, NULL));
    gchar *pid = g_strdup_printf("%ld\n", (long)getpid());
    assert_string_equal(text, pid);
    g_free(text);
    /* a second lock (another open file description) fails with the owner's pid */
    assert_int_equal(owner_dir_lock(dir, err, sizeof err), -1);
    gchar *want = g_strdup_printf("another qspnd (pid %ld) owns %s", (long)getpid(), dir);
    assert_string_equal(err, want);
    g_free(want);
    owner_dir_unlock(fd, dir);
    assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    fd = owner_dir_lock(dir, err, sizeof err);
    assert_true(fd >= 0);
    owner_dir_unlock(fd, dir);
    g_rmdir(dir);
    g_free(pid);
    g_free(path);
    g_free(dir);
}

/* N children released at the same instant: exactly one gets the lock.  Each
 * reports its result, then holds its lock until every child has reported. */
static int race(int n, int (*lock)(void *), void *arg)
{
    int go[2], res[2], hold[2];
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(res), 0);
    assert_int_equal(pipe(hold), 0);
    pid_t kids[16];
    for (int i = 0; i < n; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            char b;
            close(go[1]);
            close(hold[1]);
            if (read(go[0], &b, 1) < 0)
                _exit(3);
            b = lock(arg) ? 'y' : 'n';
            if (write(res[1], &b, 1) != 1 || read(hold[0], &b, 1) < 0)
                _exit(3);
            _exit(0);
        }
    }
    close(go[0]);
    close(hold[0]);
    close(res[1]);
    g_usleep(50 * 1000);
    close(go[1]);                       /* EOF for everyone at once */
    int winners = 0;
    for (int i = 0; i < n; i++) {
        char b = 0;
        assert_int_equal(read(res[0], &b, 1), 1);
        winners += b == 'y';
    }
    close(hold[1]);                     /* now they may release their locks */
    close(res[0]);
    for (int i = 0; i < n; i++) {
        int st = 0;
        assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    return winners;
}

static int lock_dir(void *arg)
{
    char err[256];
    return owner_dir_lock(arg, err, sizeof err) >= 0;
}

static void test_dir_lock_race(void **state)
{
    gchar *dir = g_dir_make_tmp("qt-owner-XXXXXX", NULL);
    for (int round = 0; round < 3; round++) {
        assert_int_equal(race(10, lock_dir, dir), 1);
        /* the winner exited without unlinking (as after SIGKILL): the file is
         * stale but unlocked, and the next round gets it */
    }
    gchar *path = g_build_filename(dir, CONTROL_LOCK_FILE, NULL);
    g_unlink(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
}

static int lock_netns(void *arg)
{
    char err[256];
    return owner_netns_lock(err, sizeof err) >= 0;
}

/* In a child with a private network namespace (exit status = result). */
static int netns_child(void)
{
    char err[256];
    if (unshare(CLONE_NEWNET) != 0)
        return 77;
    int fd = owner_netns_lock(err, sizeof err);
    if (fd < 0)
        return 1;
    if (owner_netns_lock(err, sizeof err) != -1)
        return 2;
    gchar *want = g_strdup_printf("another qspnd (pid %ld) runs in this network namespace",
                                  (long)getpid());
    bool same = strcmp(err, want) == 0;
    g_free(want);
    if (!same)
        return 3;
    owner_netns_drain(fd);
    close(fd);                          /* released: can be taken again */
    fd = owner_netns_lock(err, sizeof err);
    if (fd < 0)
        return 4;
    /* another namespace is independent */
    pid_t p = fork();
    if (p == 0)
        _exit(unshare(CLONE_NEWNET) == 0 && lock_netns(NULL) ? 0 : 1);
    int st = 0;
    waitpid(p, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return 5;
    close(fd);
    /* ten simultaneous lockers in one namespace: one wins */
    return race(10, lock_netns, NULL) == 1 ? 0 : 6;
}

static void test_netns_lock(void **state)
{
    if (getuid() != 0)
        skip();
    pid_t p = fork();
    assert_true(p >= 0);
    if (p == 0)
        _exit(netns_child());
    int st = 0;
    assert_int_equal(waitpid(p, &st, 0), p);
    assert_true(WIFEXITED(st));
    if (WEXITSTATUS(st) == 77)
        skip();
    assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dir_lock),
        cmocka_unit_test(test_dir_lock_race),
        cmocka_unit_test(test_netns_lock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
