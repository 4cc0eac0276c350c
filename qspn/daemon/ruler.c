/* ruler.c - print_time_ruler (behaviour.md 6.2): a debugging aid of the original
 * console, which printed a dot every 3 ms and the time every quarter second.  A
 * daemon has no console: the time line goes to the log every quarter second,
 * to line up log lines of several systems. */
#include "system.h"

#define RULER_MS 250

static gboolean on_ruler(gpointer data)
{
    GDateTime *now = g_date_time_new_now_local();
    gchar *t = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S");
    g_log_structured("qspnd", G_LOG_LEVEL_INFO, "MESSAGE", ". %s.%03d", t,
                     g_date_time_get_microsecond(now) / 1000);
    g_free(t);
    g_date_time_unref(now);
    return G_SOURCE_CONTINUE;
}

bool qsys_time_ruler(qsys *s, const char *arg, GString *err)
{
    bool on = g_ascii_strcasecmp(arg, "ON") == 0;
    if (!on && g_ascii_strcasecmp(arg, "OFF") != 0) {
        g_string_append_printf(err, "Bad argument %s.", arg);
        return false;
    }
    if (on && !s->ruler_source)
        s->ruler_source = g_timeout_add(RULER_MS, on_ruler, s);
    if (!on && s->ruler_source) {
        g_source_remove(s->ruler_source);
        s->ruler_source = 0;
    }
    return true;
}
