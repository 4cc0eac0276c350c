/* run.h -- one `qspn-harness run`: options, state, and the parts of the run
 * (run.c: steps and report; daemons.c; actions.c; checkpoint.c; stepping.c:
 * pings of a step; final.c: T1/T2). */
#ifndef QSPN_HARNESS_RUN_H
#define QSPN_HARNESS_RUN_H

#include <glib.h>

#include "config.h"
#include "pings.h"
#include "progress.h"
#include "replay.h"
#include "report.h"
#include "testbed.h"

typedef enum { HN_PINGS_ALL = 0, HN_PINGS_QUIESCENT, HN_PINGS_NONE } HnPingsMode;

typedef struct {
  const char *world_path, *steps_path, *only, *expected, *qspnd, *qspnctl, *artifacts, *replay;
  const char *dump_dir, *stop_at, *pictures, *picture_path;
  const char *json;       /* --json FILE: the machine-readable report */
  double deadline, start_deadline, max_seconds;
  gboolean keep, verbose, strict;
  HnPingsMode pings;
} HnOpts;

typedef struct {
  GPid pid;
  char *sys, *command, *out_file;
  int line;
} HnBg;

typedef struct HnNetem HnNetem;

typedef struct {
  HnOpts *o;
  HnWorld *world;
  HnSteps *steps;
  HnBed *bed;
  HnReplay *replay;
  HnPingList *doc_pings;  /* expected/PINGS.txt, NULL if absent */
  char *art_dir;          /* created lazily */
  int passed, failed, skipped;  /* skipped: steps the kernel cannot play (netem) */
  guint pings_ok, pings_total;
  gboolean any_daemon;
  gboolean idns_option;   /* qspnd --help mentions --identity-ns-prefix */
  GPtrArray *bg;          /* HnBg*: background ctls of the current step */
  guint bg_seq;
  guint pictures;         /* SVGs written */
  guint quiescent_ok, quiescent_total;   /* selected non-intermediate checkpoints */
  HnNetem *netem;         /* netem.c state, NULL until a netem directive */
  GPtrArray *records;     /* HnStepRecord*: one per report line (--json) */
  HnStepRecord *cur;      /* the step being run (checkpoint, pings fill it in) */
  double t0;              /* hn_now() at the start of the run */
  char *started_at;       /* UTC, ISO 8601 */
} HnRun;

/* run.c */
const char *hn_art_dir(HnRun *r);
/* One report line (the progress line erased first), and its record: r->cur
 * (begun with hn_record_begin) gets status, detail and duration and joins
 * r->records. */
void hn_report_line(HnRun *r, const char *id, const char *slug, const char *status, const char *detail, double secs);
/* Begin the record of a report line (replaces an unreported one). */
HnStepRecord *hn_record_begin(HnRun *r, const char *id, const char *slug);
/* Load and check every input of a run (world, steps, --only, --stop-at,
 * replay script, PINGS.txt, expected directories, deviations) before anything
 * is created.  Used by `run` (for_run: --expected needed by compared steps)
 * and `parse`. */
gboolean hn_inputs_load(HnOpts *o, HnRun *r, gboolean **selected, int *last, gboolean for_run, GError **error);
void hn_inputs_free(HnRun *r);
int hn_cmd_run(HnOpts *o);

/* daemons.c */
gboolean hn_daemon_start(HnRun *r, HnNs *ns, GString *why);
gboolean hn_daemon_quit(HnRun *r, HnNs *ns, GString *why);
void hn_daemon_kill9(HnRun *r, HnNs *ns);
/* SIGSTOP (stop) or SIGCONT (!stop) to the daemon's recorded PID, then wait
 * until /proc says it is stopped / running again. */
gboolean hn_daemon_freeze(HnRun *r, HnNs *ns, gboolean stop, GString *why);
/* qspnctl --control-dir DIR --timeout 5 COMMAND (shell words). */
gboolean hn_qspnctl(HnRun *r, HnNs *ns, const char *command, char **out);
/* The same in the background, output to out_file. */
GPid hn_qspnctl_bg(HnRun *r, HnNs *ns, const char *command, const char *out_file, GString *why);
gboolean hn_qspnd_has_option(const char *qspnd, const char *option);
void hn_save_daemon_state(HnRun *r, const char *dir);
void hn_copy_logs(HnRun *r);

/* actions.c: the actions of a step in order (and, in replay mode, the
 * documented commands); why gets what failed. */
gboolean hn_actions_run(HnRun *r, HnStep *st, GString *why);
void hn_bg_clear(HnRun *r);

/* checkpoint.c: compare with expected/ (check) or await quiescence (settle).
 * detail gets "compared: ..." / "settled ..." and failures; *secs the time
 * the network took. */
gboolean hn_checkpoint(HnRun *r, HnStep *st, const char *action_error, GString *detail, double *secs);
/* --dump-dir: raw and normalised state of every namespace after step st. */
void hn_dump_dir_write(HnRun *r, HnStep *st, HnNs **nss, guint n, char **raw);

/* stepping.c: documented and explicit pings of a step (after its checkpoint). */
gboolean hn_step_pings(HnRun *r, HnStep *st, GString *detail);
/* Global address of the main identity from `qspnctl show --json` (NULL if none). */
char *hn_main_global_address(const char *json);

/* netem.c: loss/delay between two systems (params NULL = off), on the hub
 * ports of their interfaces; docs/harness.md. */
gboolean hn_netem_available(HnRun *r, const char **why);
gboolean hn_netem_apply(HnRun *r, const char *a, const char *b, const char *params, GString *why);
/* Does step st use netem on a kernel without it?  (*why: the reason) */
gboolean hn_netem_step_unavailable(HnRun *r, const HnStep *st, const char **why);
void hn_netem_free(HnNetem *n);

/* final.c */
gboolean hn_final_quit_all(HnRun *r);
gboolean hn_final_cleanup(HnRun *r);

#endif
