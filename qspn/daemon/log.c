/* log.c - the log writer of qspnd (see log.h). */
#include "log.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

static FILE *log_out;
static char *log_path;
static bool log_verbose;

static const char *level_name(GLogLevelFlags level)
{
    if (level & G_LOG_LEVEL_ERROR)
        return "error";
    if (level & G_LOG_LEVEL_CRITICAL)
        return "critical";
    if (level & G_LOG_LEVEL_WARNING)
        return "warning";
    if (level & G_LOG_LEVEL_MESSAGE)
        return "message";
    if (level & G_LOG_LEVEL_INFO)
        return "info";
    return "debug";
}

static GLogWriterOutput log_writer(GLogLevelFlags level, const GLogField *fields, gsize n,
                                   gpointer user)
{
    const char *msg = "", *domain = "qspnd";
    if ((level & G_LOG_LEVEL_DEBUG) && !log_verbose)
        return G_LOG_WRITER_HANDLED;
    for (gsize i = 0; i < n; i++) {
        if (strcmp(fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
            msg = fields[i].value;
        else if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0 && fields[i].length < 0)
            domain = fields[i].value;
    }
    GDateTime *now = g_date_time_new_now_utc();
    gchar *ts = g_date_time_format(now, "%H:%M:%S");
    FILE *out = log_out ? log_out : stderr;
    fprintf(out, "%s.%03d %s %s: %s\n", ts, g_date_time_get_microsecond(now) / 1000,
            level_name(level), domain, msg);
    fflush(out);
    g_free(ts);
    g_date_time_unref(now);
    return G_LOG_WRITER_HANDLED;
}

bool qspnd_log_init(const char *path, bool verbose, char *err, size_t errlen)
{
    log_verbose = verbose;
    if (path) {
        log_out = fopen(path, "ae");
        if (!log_out) {
            snprintf(err, errlen, "cannot open log file %s: %s", path, g_strerror(errno));
            return false;
        }
        log_path = g_strdup(path);
    }
    g_log_set_writer_func(log_writer, NULL, NULL);
    return true;
}

bool qspnd_log_reopen(void)
{
    if (!log_path)
        return true;
    FILE *f = fopen(log_path, "ae");
    if (!f)
        return false;
    fclose(log_out);
    log_out = f;
    return true;
}

void qspnd_log_close(void)
{
    if (log_out)
        fclose(log_out);
    log_out = NULL;
    g_free(log_path);
    log_path = NULL;
}

bool qspnd_ratelimit_allow(qspnd_ratelimit *rl, int64_t now_us, uint64_t *left_out)
{
    *left_out = 0;
    if (rl->in_window == 0 || now_us - rl->window_us >= 1000000 || now_us < rl->window_us) {
        rl->window_us = now_us;
        rl->in_window = 0;
    }
    if (rl->in_window >= QSPND_LOG_BURST) {
        rl->suppressed++;
        return false;
    }
    rl->in_window++;
    *left_out = rl->suppressed;
    rl->suppressed = 0;
    return true;
}
