/* bench_util.c - see bench_util.h. */
#define _GNU_SOURCE
#include "bench_util.h"

#include <errno.h>
#include <sched.h>

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

bench_stat bench_stats(double *v, size_t n)
{
    bench_stat s = { 0, 0, 0 };
    if (n == 0)
        return s;
    qsort(v, n, sizeof *v, cmp_double);
    s.min = v[0];
    s.max = v[n - 1];
    s.med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    return s;
}

int bench_run(const char *const *argv, char **out)
{
    GError *ge = NULL;
    gint status = 0;
    GSpawnFlags fl = G_SPAWN_SEARCH_PATH | G_SPAWN_STDIN_FROM_DEV_NULL;
    if (!out)
        fl |= G_SPAWN_STDOUT_TO_DEV_NULL;
    if (!g_spawn_sync(NULL, (gchar **)argv, NULL, fl, NULL, NULL,
                      out, NULL, &status, &ge)) {
        fprintf(stderr, "cannot run %s: %s\n", argv[0], ge->message);
        g_error_free(ge);
        return -1;
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return -1;
}

size_t bench_count_lines(const char *text, const char *needle)
{
    size_t n = 0;
    const char *p = text;
    while (p && *p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (!*needle || g_strstr_len(p, (gssize)len, needle))
            n++;
        p = e ? e + 1 : NULL;
    }
    return n;
}

int bench_private_namespace(const char *prog, const char *dev)
{
    if (unshare(CLONE_NEWNET) != 0) {
        fprintf(stderr, "%s: cannot create a network namespace (%s): needs root\n", prog, g_strerror(errno));
        return errno == EPERM ? 77 : 1;
    }
    const char *const cmds[][10] = {
        { "ip", "link", "set", "lo", "up", NULL },
        { "ip", "link", "add", dev, "type", "veth", "peer", "name", "bq1", NULL },
        { "ip", "link", "set", "bq1", "up", NULL },
        { "ip", "address", "add", "169.254.0.1/16", "dev", dev, NULL },
        { "ip", "link", "set", dev, "up", NULL },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cmds); i++)
        if (bench_run(cmds[i], NULL) != 0) {
            fprintf(stderr, "%s: setup step %zu failed\n", prog, i);
            return 1;
        }
    return 0;
}

bool bench_parse_options(const char *prog, const char *summary, const char *description,
                         const void *entries, int *argc, char ***argv)
{
    GOptionContext *ctx = g_option_context_new(summary);
    g_option_context_set_description(ctx, description);
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *ge = NULL;
    bool ok = g_option_context_parse(ctx, argc, argv, &ge);
    if (!ok) {
        fprintf(stderr, "%s: %s\n", prog, ge->message);
        g_error_free(ge);
    }
    g_option_context_free(ctx);
    return ok;
}
