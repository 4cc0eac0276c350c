/* optraw.h - qspnd's options before validation, shared by the command line
 * (options.c) and the configuration file (config.c).  Private to qspnd. */
#ifndef QSPN_DAEMON_OPTRAW_H
#define QSPN_DAEMON_OPTRAW_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

#include "options.h"

/* The options as given, before validation.  given[i]: option i of
 * qspnd_option_defs() was given on the command line or in the file (else its
 * default applies); origin[i]: how error messages name it, "--topology" or
 * "FILE [qspnd] topology". */
typedef struct {
    gchar *topology, *address, *control_dir, *netns, *rt_tables, *log_file, *maxdest, *ns_prefix;
    gchar *key_file;
    gchar **ifaces, **lls;
    gint subnet, hello_ms, dead_ms, arc_timeout;
    gboolean serve_anon, no_anon, verbose;
    gchar *config;                     /* --config FILE (command line only) */
    bool given[QSPND_OPT_COUNT];
    gchar *origin[QSPND_OPT_COUNT];
} qspnd_raw_options;

void qspnd_raw_init(qspnd_raw_options *r);
void qspnd_raw_clear(qspnd_raw_options *r);

/* Parse one value of option def (the command line's text, or a file value)
 * into r: integers in G_MININT..G_MAXINT, lists appended to (the command line:
 * each -i adds one) or replaced (a file's whole list: replace).  false with one
 * line in err ("<origin>: ..."). */
bool qspnd_raw_set(qspnd_raw_options *r, size_t idx, const char *value, char *err, size_t errlen);

/* The configuration file (config.c): every key of its [qspnd] group that the
 * command line did not give (given[] still false) is set from the file; the
 * others are parsed and checked all the same, then ignored.  false with one
 * line in err naming the file, the group and the key. */
bool qspnd_config_load(const char *path, qspnd_raw_options *r, char *err, size_t errlen);

#endif
