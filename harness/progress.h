/* progress.h -- the progress line of `qspn-harness run` on a terminal: step
 * n of m, the step, what it is waiting for, elapsed times, rewritten in place
 * on one line.  Off (nothing written, the report unchanged) when stdout is not
 * a terminal. */
#ifndef QSPN_HARNESS_PROGRESS_H
#define QSPN_HARNESS_PROGRESS_H

#include <glib.h>

/* What the line shows (pure formatting: hn_progress_format). */
typedef struct {
  guint n, total;            /* step n (1-based) of total */
  const char *id, *slug;
  const char *phase;         /* "actions", "check: ...", "settle: ...", "pings: 12" */
  double step_secs, run_secs;
} HnProgressView;

/* "[ 3/12] S01c beta-start | settle: 8 namespaces unchanged 0.1s of 0.3s | 1.2s, run 0m14s"
 * cut to width columns (width >= 20; the cut ends with "…"). */
void hn_progress_format(GString *out, const HnProgressView *v, guint width);

/* Turn the line on iff stdout is a terminal (and TERM is not "dumb"). */
void hn_progress_start(guint total_steps);
void hn_progress_step(guint n, const char *id, const char *slug);
void hn_progress_phase(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Erase the line (before any other output); it comes back at the next update. */
void hn_progress_clear(void);
void hn_progress_stop(void);

#endif
