/* util.h -- process, time and file helpers of the harness. */
#ifndef QSPN_HARNESS_UTIL_H
#define QSPN_HARNESS_UTIL_H

#include <glib.h>
#include <signal.h>
#include <sys/types.h>

/* Set by SIGINT/SIGTERM/SIGHUP/SIGALRM: every wait of the harness gives up. */
extern volatile sig_atomic_t hn_interrupted;

/* Current monotonic time in seconds. */
double hn_now(void);
/* Sleep up to `seconds`, returning early (FALSE) if interrupted; calls
 * hn_sleep_hook (when set: the progress line) every 50 ms. */
gboolean hn_sleep(double seconds);
extern void (*hn_sleep_hook)(void);

/* Run argv (optionally inside netns `netns_real`, entered with setns(), no
 * mount namespace change), capturing stdout+stderr into *out (may be NULL).
 * Returns TRUE iff it exited 0. */
gboolean hn_run(char **argv, const char *netns_real, char **out);

/* Start argv in the background, stdin from /dev/null, stdout+stderr appended
 * to out_file (or /dev/null when NULL), in its own process group when
 * own_pgrp.  Returns the pid, 0 on failure (*error set). */
GPid hn_spawn(char **argv, const char *out_file, gboolean own_pgrp, GError **error);
/* Wait for a child started by hn_spawn; returns its wait status. */
int hn_wait(GPid pid);
/* Reap pid if it exited: TRUE and *status set; FALSE while it runs. */
gboolean hn_reaped(GPid pid, int *status);
/* "exit status N" / "signal N" of a wait status (static buffer). */
const char *hn_status_str(int status);

/* Write content (NULL = empty) to dir/name, creating dir. */
void hn_save(const char *dir, const char *name, const char *content);
/* rm -rf (no symlink following). */
void hn_rm_rf(const char *path);
/* Names in a directory (NULL-safe, sorted). */
GPtrArray *hn_dir_names(const char *dir);
gboolean hn_str_in(GPtrArray *a, const char *s);
/* Command output on one report line: trailing blanks dropped, newlines
 * become " | " (in place, s may be NULL); returns s or "". */
const char *hn_oneline(char **s);
/* s with every "@RUN@" replaced by run_dir (newly allocated): lets a world's
 * qspnd arguments and a steps file's admin commands name files of the run
 * directory (e.g. a key file), whose name depends on the harness's pid. */
#define HN_RUN_DIR_TOKEN "@RUN@"
char *hn_expand_run_dir(const char *s, const char *run_dir);
/* Drop a trailing "; " from s; returns s->str. */
const char *hn_tidy(GString *s);

#endif
