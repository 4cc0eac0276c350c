/* monitor.c - `qspnctl monitor [--json] [--count N] [--for SECONDS]`: the
 * daemon's event stream on stdout, one line per event (docs/monitor.md).
 *
 * SIGINT, SIGTERM and SIGHUP are blocked except inside ppoll(), so a signal
 * is never lost between two waits; every exit path closes the stream and
 * removes its FIFO. */
#define _GNU_SOURCE
#include "client.h"

#include <errno.h>
#include <glib.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "control_client.h"

#define MON_MAX_COUNT 1000000000L
#define MON_MAX_SECONDS (30.0 * 24 * 3600)

typedef struct {
    bool json;
    long count;                    /* 0: no limit */
    double seconds;                /* 0: no limit */
} mon_opts;

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
}

static bool parse_count(const char *s, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || !end || *end || end == s || v < 1 || v > MON_MAX_COUNT || s[0] == '+' || s[0] == '-')
        return false;
    *out = v;
    return true;
}

static bool parse_seconds(const char *s, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = g_ascii_strtod(s, &end);
    if (errno || !end || *end || end == s || !(v > 0) || v > MON_MAX_SECONDS)
        return false;
    *out = v;
    return true;
}

/* argv[0] is "monitor".  false (message printed) on a usage error. */
static bool parse_opts(int argc, char **argv, mon_opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) {
            o->json = true;
            continue;
        }
        bool is_count = strcmp(a, "--count") == 0, is_for = strcmp(a, "--for") == 0;
        if ((!is_count && !is_for) || i + 1 >= argc) {
            fprintf(stderr, "qspnctl: monitor: %s '%s' (usage: monitor [--json] [--count N] [--for SECONDS])\n",
                    is_count || is_for ? "missing value for" : "unknown option", a);
            return false;
        }
        const char *v = argv[++i];
        if (is_count ? !parse_count(v, &o->count) : !parse_seconds(v, &o->seconds)) {
            fprintf(stderr, "qspnctl: monitor: bad %s '%s'\n", a, v);
            return false;
        }
    }
    return true;
}

static void catch_signals(sigset_t *wait_mask)
{
    sigset_t block;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, wait_mask);   /* wait_mask: the mask before, used in ppoll */
    sigdelset(wait_mask, SIGINT);
    sigdelset(wait_mask, SIGTERM);
    sigdelset(wait_mask, SIGHUP);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* Milliseconds left until end (monotonic us), -1 without an end. */
static int wait_ms(gint64 end)
{
    if (end < 0)
        return -1;
    gint64 left = (end - g_get_monotonic_time()) / 1000;
    return left < 0 ? 0 : left > G_MAXINT ? G_MAXINT : (int)left;
}

/* Read the stream until an end; returns the exit status. */
static int run(control_client_stream *cs, const mon_opts *o, const sigset_t *mask)
{
    GString *line = g_string_new(NULL);
    gint64 end = o->seconds > 0 ? g_get_monotonic_time() + (gint64)(o->seconds * G_USEC_PER_SEC) : -1;
    long seen = 0;
    int rc = -1;
    while (rc < 0) {
        if (got_signal || (end >= 0 && g_get_monotonic_time() >= end)) {
            rc = 0;
            break;
        }
        switch (control_client_stream_next(cs, wait_ms(end), mask, line)) {
        case CONTROL_STREAM_LINE:
            fwrite(line->str, 1, line->len, stdout);
            fputc('\n', stdout);
            if (fflush(stdout) != 0 || ferror(stdout))
                rc = 0;                /* nobody reads our output any more (EPIPE) */
            else if (o->count > 0 && ++seen >= o->count)
                rc = 0;
            break;
        case CONTROL_STREAM_TIMEOUT:
        case CONTROL_STREAM_INTERRUPTED:
            break;                     /* the loop's checks decide */
        case CONTROL_STREAM_END_OK:
            fprintf(stderr, "qspnctl: monitor: qspnd stopped\n");
            rc = 0;
            break;
        case CONTROL_STREAM_END_ERROR:
            fprintf(stderr, "qspnctl: monitor: %s\n", line->str);
            rc = 1;
            break;
        case CONTROL_STREAM_LOST:
            fprintf(stderr, "qspnctl: monitor: %s\n", line->str);
            rc = 3;
            break;
        }
    }
    g_string_free(line, TRUE);
    return rc;
}

int qspnctl_monitor_main(const char *dir, double timeout, int argc, char **argv)
{
    mon_opts o;
    sigset_t mask;
    if (!parse_opts(argc, argv, &o))
        return 2;
    catch_signals(&mask);
    GString *reason = g_string_new(NULL);
    control_client_stream *cs = NULL;
    control_client_status st = control_client_stream_open(dir, o.json ? "monitor --json" : "monitor",
                                                          timeout, &cs, reason);
    int rc;
    if (st != CONTROL_CLIENT_OK) {
        fprintf(stderr, "qspnctl: %s\n", reason->len ? reason->str : "failed");
        rc = qspnctl_exit_status(st);
    } else {
        rc = run(cs, &o, &mask);
    }
    control_client_stream_close(cs);
    g_string_free(reason, TRUE);
    return rc;
}
