/* run.c -- `qspn-harness run`: load and check the inputs, build the testbed,
 * run the steps, report one line per step, end with T1/T2 and the totals. */
#define _GNU_SOURCE
#include "run.h"
#include "picture.h"

#include "normalise.h"
#include "parse.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DOTS_COLUMN 34

static volatile sig_atomic_t watchdog_fired = 0;

static void
on_signal(int sig)
{
  if (sig == SIGALRM)
    watchdog_fired = 1;
  hn_interrupted = 1;
}

static void
install_signals(void)
{
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  sigaction(SIGALRM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
}

HnStepRecord *
hn_record_begin(HnRun *r, const char *id, const char *slug)
{
  hn_record_free(r->cur);
  r->cur = hn_record_new(id, slug, hn_now());
  return r->cur;
}

void
hn_report_line(HnRun *r, const char *id, const char *slug, const char *status, const char *detail, double secs)
{
  HnStepRecord *rec = r->cur ? r->cur : hn_record_new(id, slug, hn_now());
  rec->status = !strcmp(status, "ok") ? "passed" : !strcmp(status, "SKIPPED") ? "skipped" : "failed";
  g_free(rec->detail);
  rec->detail = g_strdup(detail ? detail : "");
  rec->duration = hn_now() - rec->t0;
  if (!r->records)
    r->records = g_ptr_array_new_with_free_func(hn_record_free);
  g_ptr_array_add(r->records, rec);
  r->cur = NULL;
  hn_progress_clear();
  GString *l = g_string_new(NULL);
  g_string_printf(l, "%s %s ", id, slug);
  while (l->len < DOTS_COLUMN)
    g_string_append_c(l, '.');
  g_string_append_printf(l, " %s", status);
  if (detail && *detail)
    g_string_append_printf(l, " (%s)", detail);
  if (secs >= 0)
    g_string_append_printf(l, " %.1fs", secs);
  printf("%s\n", l->str);
  fflush(stdout);
  g_string_free(l, TRUE);
}

const char *
hn_art_dir(HnRun *r)
{
  if (!r->art_dir) {
    GDateTime *now = g_date_time_new_now_utc();
    char *stamp = g_date_time_format(now, "%Y%m%dT%H%M%SZ");
    r->art_dir = g_strdup_printf("%s/run-%s-%d", r->o->artifacts, stamp, (int)getpid());
    g_mkdir_with_parents(r->art_dir, 0755);
    g_free(stamp);
    g_date_time_unref(now);
  }
  return r->art_dir;
}

/* expected/<id>-<slug>/ of every checked step exists, so do the files of
 * the listed namespaces, and every deviation matches its documented line */
static gboolean
check_expected(HnOpts *o, HnRun *r, const gboolean *sel, int last, GError **error)
{
  for (int i = 0; i <= last; i++) {
    HnStep *st = g_ptr_array_index(r->steps->steps, i);
    if (!sel[i] || st->settle)
      continue;
    char *dir = g_strdup_printf("%s/%s-%s", o->expected, st->id, st->slug);
    gboolean ok = g_file_test(dir, G_FILE_TEST_IS_DIR);
    if (!ok)
      hn_set_error_at(error, r->steps->path, st->line, "step %s: no expected directory %s", st->id, dir);
    for (guint k = 0; ok && k < st->checks->len + st->deviations->len; k++) {
      const char *ns = k < st->checks->len ? ((HnCheck *)g_ptr_array_index(st->checks, k))->ns
                                           : ((HnDeviation *)g_ptr_array_index(st->deviations, k - st->checks->len))->ns;
      char *path = g_strdup_printf("%s/%s.txt", dir, ns), *text = NULL, *dev = NULL;
      guint n = 0;
      GError *e = NULL;
      if (!g_file_get_contents(path, &text, NULL, NULL))
        hn_set_error_at(error, r->steps->path, st->line, "step %s: no expected dump %s", st->id, path), ok = FALSE;
      else if (!(dev = hn_apply_deviations(st, ns, text, path, &n, &e))) {
        g_propagate_error(error, e);
        ok = FALSE;
      }
      g_free(dev);
      g_free(text);
      g_free(path);
    }
    g_free(dir);
    if (!ok)
      return FALSE;
  }
  return TRUE;
}

gboolean
hn_inputs_load(HnOpts *o, HnRun *r, gboolean **selected, int *last, gboolean for_run, GError **error)
{
  r->o = o;
  if (!(r->world = hn_world_load(o->world_path, error)) || !(r->steps = hn_steps_load(o->steps_path, r->world, error)))
    return FALSE;
  guint n = r->steps->steps->len;
  *selected = g_new0(gboolean, n + 1);
  if (!hn_steps_select(r->steps, o->only, *selected, error))
    return FALSE;
  *last = -1;
  for (guint i = 0; i < n; i++)
    if ((*selected)[i])
      *last = (int)i;
  if (o->stop_at) {
    int s = hn_steps_index(r->steps, o->stop_at);
    if (s < 0) {
      g_set_error(error, HN_ERR, 1, "--stop-at: unknown step %s (steps of %s)", o->stop_at, r->steps->path);
      return FALSE;
    }
    *last = MIN(*last, s);
  }
  if (o->picture_path) {
    char **e = g_strsplit(o->picture_path, ":", -1);
    gboolean good = g_strv_length(e) == 2 && strcmp(e[0], e[1]) && hn_world_system(r->world, e[0]) &&
                    hn_world_system(r->world, e[1]);
    g_strfreev(e);
    if (!good || !o->pictures) {
      g_set_error(error, HN_ERR, 1, "--picture-path: %s", !o->pictures ? "needs --pictures DIR"
                  : "give two different systems of the world as SRC:DST");
      return FALSE;
    }
  }
  if (o->replay && !(r->replay = hn_replay_load(o->replay, error)))
    return FALSE;
  if (!o->expected) {
    for (int i = 0; for_run && i <= *last; i++) {
      HnStep *st = g_ptr_array_index(r->steps->steps, i);
      if ((*selected)[i] && !st->settle)
        return hn_set_error_at(error, r->steps->path, st->line, "step %s compares: --expected DIR needed", st->id);
    }
    return TRUE;
  }
  char *pings = g_build_filename(o->expected, "PINGS.txt", NULL);
  gboolean ok = !g_file_test(pings, G_FILE_TEST_EXISTS) || (r->doc_pings = hn_pings_load(pings, r->world, error));
  g_free(pings);
  return ok && check_expected(o, r, *selected, *last, error);
}

void
hn_inputs_free(HnRun *r)
{
  hn_pings_free(r->doc_pings);
  hn_replay_free(r->replay);
  hn_steps_free(r->steps);
  hn_world_free(r->world);
  r->doc_pings = NULL;
  r->replay = NULL;
  r->steps = NULL;
  r->world = NULL;
}

#define HN_UNSELECTED_QUIET 0.3   /* seconds without change: quiescent */

static gboolean
has_pings(HnRun *r, HnStep *st)
{
  return st->pings->len > 0 || (r->o->pings != HN_PINGS_NONE && hn_pings_for(r->doc_pings, st->id) &&
                                hn_pings_for(r->doc_pings, st->id)->len > 0);
}

static void
draw(HnRun *r, HnStep *st, GString *detail)
{
  GString *why = g_string_new(NULL);
  char *svg = NULL;
  if (hn_picture(r, st, r->o->pictures, &svg, why)) {
    g_string_append_printf(detail, "; picture %s", svg);
    r->pictures++;
  } else {
    g_string_append_printf(detail, "; %s", why->str);   /* a missing picture fails nothing */
  }
  g_free(svg);
  g_string_free(why, TRUE);
}

static void
run_step(HnRun *r, HnStep *st, gboolean selected)
{
  const char *unplayable = NULL;
  hn_record_begin(r, st->id, st->slug);
  if (hn_netem_step_unavailable(r, st, &unplayable)) {
    /* a visible skip, never a silent pass: the run exits 77 unless something failed */
    char *d = g_strdup_printf("netem unavailable: %s", unplayable);
    hn_record_failures(r->cur, d);
    hn_report_line(r, st->id, st->slug, "SKIPPED", d, -1);
    g_free(d);
    r->skipped++;
    return;
  }
  GString *why = g_string_new(NULL), *detail = g_string_new(NULL);
  double ts = hn_now(), secs = 0;
  gboolean ok = hn_actions_run(r, st, why);
  hn_progress_phase("checkpoint");
  if (selected) {
    ok = hn_checkpoint(r, st, ok ? NULL : why->str, detail, &secs);
    gboolean quiescent = !st->intermediate && (st->check_all || st->checks->len > 0);
    r->quiescent_total += quiescent;
    r->quiescent_ok += quiescent && ok;
    if (ok && quiescent && r->o->pictures)
      draw(r, st, detail);
    if (ok)
      ok = hn_step_pings(r, st, detail);
    else if (has_pings(r, st))
      g_string_append(detail, "; pings not run");
    if (!ok && r->cur->failures->len == 0)
      hn_record_failures(r->cur, detail->str);
  } else if (!ok) {
    g_string_append(detail, hn_tidy(why));
    hn_record_failures(r->cur, detail->str);
    secs = hn_now() - ts;
  } else {
    /* not selected: the next steps need the state this one leads to, so
     * await quiescence (whatever its checkpoint would say); no pings */
    if (st->settle || st->check_all || st->checks->len > 0) {
      HnStep quiet = *st;
      quiet.settle = TRUE;
      quiet.settle_quiet = st->settle ? st->settle_quiet : HN_UNSELECTED_QUIET;
      hn_checkpoint(r, &quiet, NULL, detail, &secs);
    }
    g_string_free(why, TRUE);
    g_string_free(detail, TRUE);
    hn_record_free(r->cur);
    r->cur = NULL;
    return; /* nothing to report */
  }
  if (st->intermediate && ok && !st->settle)
    g_string_append(detail, "; intermediate");
  r->cur->intermediate = st->intermediate;
  hn_report_line(r, st->id, st->slug, ok ? "ok" : "FAILED", detail->str, secs);
  if (ok)
    r->passed++;
  else
    r->failed++;
  g_string_free(why, TRUE);
  g_string_free(detail, TRUE);
}

/* Does a start or restart action of the steps name this system?  Only those
 * systems need their pre-start state: a dump of every namespace costs
 * processes, and a big testbed may start few daemons or none. */
static gboolean
started_by_steps(const HnSteps *st, const char *sys)
{
  for (guint i = 0; i < st->steps->len; i++) {
    const HnStep *step = g_ptr_array_index(st->steps, i);
    for (guint j = 0; j < step->actions->len; j++) {
      const HnAction *a = g_ptr_array_index(step->actions, j);
      if ((a->kind == HN_ACT_START || a->kind == HN_ACT_RESTART) && !strcmp(a->a, sys))
        return TRUE;
    }
  }
  return FALSE;
}

static gboolean
build(HnRun *r)
{
  GError *e = NULL;
  double t0 = hn_now();
  if (!hn_bed_build(r->bed, &e)) {
    printf("testbed: FAILED (%s)\n", e->message);
    g_error_free(e);
    r->failed++;
    return FALSE;
  }
  /* pre-start state of every system whose daemon the steps start (for the
   * after-quit check) */
  GPtrArray *todo = g_ptr_array_new();
  for (guint i = 0; i < r->bed->nss->len; i++) {
    HnNs *ns = g_ptr_array_index(r->bed->nss, i);
    if (started_by_steps(r->steps, ns->name))
      g_ptr_array_add(todo, ns);
  }
  char **raw = hn_bed_dump(r->bed, (HnNs **)todo->pdata, todo->len, FALSE);
  for (guint i = 0; i < todo->len; i++)
    ((HnNs *)g_ptr_array_index(todo, i))->prestart = hn_normalise(raw[i], TRUE);
  g_strfreev(raw);
  g_ptr_array_free(todo, TRUE);
  printf("testbed: %u systems, %u media, hub %s, built in %.2fs\n", r->bed->nss->len, r->world->media->len,
         r->bed->hub, hn_now() - t0);
  return TRUE;
}

/* --json FILE: the report lines' records and the totals */
static void
write_json(HnRun *r, int rc, gboolean stopped)
{
  HnOpts *o = r->o;
  HnReportTotals t = { o->world_path, o->steps_path, r->bed ? r->bed->prefix : NULL, o->replay ? NULL : o->qspnd,
                       r->started_at, hn_now() - r->t0, rc, r->passed, r->failed, r->skipped,
                       r->quiescent_ok, r->quiescent_total, r->pings_ok, r->pings_total,
                       o->pictures ? (int)r->pictures : -1, r->art_dir, stopped ? o->stop_at : NULL,
                       hn_interrupted && !watchdog_fired, watchdog_fired };
  GError *e = NULL;
  if (!hn_report_write(o->json, r->records, &t, &e)) {
    printf("json report: %s\n", e->message);
    g_error_free(e);
  } else {
    printf("json report: %s\n", o->json);
  }
}

static int
finish(HnRun *r, gboolean built, gboolean stopped)
{
  HnOpts *o = r->o;
  hn_progress_clear();
  if (!hn_interrupted && !stopped && r->any_daemon)
    (hn_final_quit_all(r) ? r->passed++ : r->failed++);
  if (r->failed > 0 || hn_interrupted)
    hn_copy_logs(r);
  if (stopped)
    printf("--stop-at %s: testbed and daemons left running for inspection\n", o->stop_at);
  hn_bg_clear(r);
  hn_bed_teardown(r->bed, o->keep || stopped);
  if (!o->keep && !stopped && built)
    (hn_final_cleanup(r) ? r->passed++ : r->failed++);
  if (r->art_dir)
    printf("artifacts: %s\n", r->art_dir);
  if (watchdog_fired)
    printf("watchdog: --max-seconds %.0f elapsed; cleaned up\n", o->max_seconds);
  else if (hn_interrupted)
    printf("interrupted: cleaned up\n");
  if (r->quiescent_total)
    printf("quiescent checkpoints: %u/%u equal to the documented state\n", r->quiescent_ok, r->quiescent_total);
  if (o->pictures)
    printf("pictures: %u in %s\n", r->pictures, o->pictures);
  printf("pings: %u/%u ok\n", r->pings_ok, r->pings_total);
  int rc = hn_interrupted ? 130 : r->failed ? 1 : r->skipped ? 77 : 0;
  if (o->json)
    write_json(r, rc, stopped);
  if (r->skipped)
    printf("%d passed, %d failed, %d skipped\n", r->passed, r->failed, r->skipped);
  else
    printf("%d passed, %d failed\n", r->passed, r->failed);
  return rc;
}

int
hn_cmd_run(HnOpts *o)
{
  if (geteuid() != 0) {
    printf("SKIP: qspn-harness run needs root (network namespaces)\n");
    return 77;
  }
  if (!o->world_path || !o->steps_path) {
    fprintf(stderr, "run: --world and --steps are required\n");
    return 2;
  }
  if (!o->replay && (!o->qspnd || !o->qspnctl)) {
    fprintf(stderr, "run: --qspnd and --qspnctl are required (or --replay-documented SEQUENCE)\n");
    return 2;
  }
  if (o->qspnd && !o->replay && !g_file_test(o->qspnd, G_FILE_TEST_IS_EXECUTABLE)) {
    printf("qspnd not found or not executable: %s\n0 passed, 1 failed\n", o->qspnd);
    return 1;
  }
  HnRun r = { 0 };
  gboolean *sel = NULL;
  int last = -1;
  GError *e = NULL;
  if (!hn_inputs_load(o, &r, &sel, &last, TRUE, &e)) {
    fprintf(stderr, "qspn-harness: %s\n", e->message);
    g_error_free(e);
    hn_inputs_free(&r);
    g_free(sel);
    return 2;
  }
  r.t0 = hn_now();
  GDateTime *now = g_date_time_new_now_utc();
  r.started_at = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
  g_date_time_unref(now);
  install_signals();
  if (o->max_seconds > 0)
    alarm((unsigned)o->max_seconds);
  int swept = hn_sweep(o->verbose);
  if (swept > 0)
    printf("orphan sweep: removed %d object(s) left by dead harness runs\n", swept);
  r.bed = hn_bed_new(r.world, o->verbose);
  r.idns_option = !o->replay && hn_qspnd_has_option(o->qspnd, "--identity-ns-prefix");
  printf("qspn-harness: world %s, steps %s, prefix %s, %s\n", o->world_path, o->steps_path, r.bed->prefix,
         o->replay ? "replaying the documented commands (no qspnd)" : o->qspnd);
  gboolean built = build(&r);
  hn_progress_start((guint)(last + 1));
  for (int i = 0; built && i <= last && !hn_interrupted; i++) {
    HnStep *st = g_ptr_array_index(r.steps->steps, i);
    hn_progress_step((guint)i + 1, st->id, st->slug);
    run_step(&r, st, sel[i]);
  }
  gboolean stopped = built && o->stop_at && !hn_interrupted;
  int rc = finish(&r, built, stopped);
  hn_progress_stop();
  if (r.records)
    g_ptr_array_free(r.records, TRUE);
  hn_record_free(r.cur);
  g_free(r.started_at);
  if (r.bg)
    g_ptr_array_free(r.bg, TRUE);
  hn_bed_free(r.bed);
  hn_netem_free(r.netem);
  hn_inputs_free(&r);
  g_free(sel);
  g_free(r.art_dir);
  return rc;
}
