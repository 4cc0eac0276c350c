/* bench_util.h - small helpers shared by the benchmark programs of bench/:
 * a monotonic clock, min/median/max of repeated runs, running a program by
 * argv (never through a shell) and counting lines of its output. */
#ifndef QSPN_BENCH_UTIL_H
#define QSPN_BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/* Seconds on CLOCK_MONOTONIC. */
double bench_now(void);

/* min, median and max of v[0..n) (v is sorted in place); zeros when n == 0. */
typedef struct {
    double min, med, max;
} bench_stat;
bench_stat bench_stats(double *v, size_t n);

/* Run argv (argv[0] looked up in PATH), stdin from /dev/null; stdout captured
 * into *out (g_free) when out is not NULL, else discarded; stderr is passed
 * through.  Returns the exit status, or -1 when the program could not run. */
int bench_run(const char *const *argv, char **out);

/* Move this process into a network namespace of its own (gone with it) with
 * lo up and a veth pair dev <-> bq1, dev up with 169.254.0.1/16.  0, 77 when
 * not permitted (not root), 1 on another failure; prog names the program in
 * the messages. */
int bench_private_namespace(const char *prog, const char *dev);

/* Parse the command line with entries (a GOptionEntry array ending in a zero
 * entry; void * so that this header needs no glib), summary after the program's
 * name in --help, description below the options.  false (message on stderr,
 * prefixed with prog) on a usage error: exit 2. */
bool bench_parse_options(const char *prog, const char *summary, const char *description,
                         const void *entries, int *argc, char ***argv);

/* Number of lines of text that contain needle ("" counts every line). */
size_t bench_count_lines(const char *text, const char *needle);

#endif
