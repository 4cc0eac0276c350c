/* qspn-harness -- netns testbed of qspnd.
 *
 *   qspn-harness run --world W --steps S --expected DIR (--qspnd P --qspnctl P |
 *                    --replay-documented SEQUENCE) [--only SPEC] ...
 *   qspn-harness sweep [-v]
 *   qspn-harness normalise [-s] [FILE]
 *   qspn-harness parse --world W [--steps S]
 *
 * See docs/harness.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include "config.h"
#include "netfilter.h"
#include "normalise.h"
#include "replay.h"
#include "testbed.h"

#define DOTS_COLUMN 34

typedef struct {
  char *world_path, *steps_path, *only, *expected, *qspnd, *qspnctl, *artifacts, *replay;
  double deadline, start_deadline, max_seconds;
  gboolean keep, verbose, strict;
} Opts;

typedef struct {
  Opts *o;
  HnBed *bed;
  HnSteps *steps;
  HnReplay *replay;
  char *art_dir;      /* created lazily */
  int passed, failed;
  gboolean any_daemon;
  GPtrArray *netns_before; /* /run/netns names before the run */
} Run;

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

/* drop a trailing "; " */
static const char *
tidy(GString *s)
{
  while (s->len >= 2 && s->str[s->len - 2] == ';' && s->str[s->len - 1] == ' ')
    g_string_truncate(s, s->len - 2);
  return s->str;
}

static void
report_line(const char *id, const char *slug, const char *status, const char *detail, double secs)
{
  char *head = g_strdup_printf("%s %s ", id, slug);
  int len = (int)strlen(head);
  GString *l = g_string_new(head);
  for (int i = len; i < DOTS_COLUMN; i++)
    g_string_append_c(l, '.');
  g_string_append_printf(l, " %s", status);
  if (detail && *detail)
    g_string_append_printf(l, " (%s)", detail);
  if (secs >= 0)
    g_string_append_printf(l, " %.1fs", secs);
  printf("%s\n", l->str);
  fflush(stdout);
  g_string_free(l, TRUE);
  g_free(head);
}

static const char *
art_dir(Run *r)
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

static void
save(const char *dir, const char *name, const char *content)
{
  g_mkdir_with_parents(dir, 0755);
  char *p = g_build_filename(dir, name, NULL);
  g_file_set_contents(p, content ? content : "", -1, NULL);
  g_free(p);
}

static void
save_diff(const char *dir, const char *ns)
{
  char *a = g_strdup_printf("%s/%s.expected.norm.txt", dir, ns);
  char *b = g_strdup_printf("%s/%s.norm.txt", dir, ns);
  char *argv[] = { "diff", "-u", a, b, NULL };
  char *out = NULL;
  hn_run(argv, NULL, &out);
  char *n = g_strdup_printf("%s.diff", ns);
  save(dir, n, out);
  g_free(n);
  g_free(out);
  g_free(a);
  g_free(b);
}

/* --------------------------------------------------------------- daemons */

static void
child_own_pgrp(gpointer data)
{
  (void)data;
  setpgid(0, 0);
}

static gboolean
start_daemon(Run *r, HnNs *ns, GString *why)
{
  if (!r->o->qspnd) {
    g_string_append(why, "no --qspnd given");
    return FALSE;
  }
  if (hn_ns_daemon_alive(ns)) {
    g_string_append_printf(why, "qspnd of %s already running", ns->name);
    return FALSE;
  }
  g_mkdir_with_parents(ns->control_dir, 0700);
  GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(argv, g_strdup(r->o->qspnd));
  for (char **a = ns->sys->qspnd_args; a && *a; a++)
    g_ptr_array_add(argv, g_strdup(*a));
  for (guint i = 0; i < ns->sys->ifaces->len; i++) {
    HnIface *f = g_ptr_array_index(ns->sys->ifaces, i);
    g_ptr_array_add(argv, g_strdup("-i"));
    g_ptr_array_add(argv, g_strdup(f->name));
    if (f->linklocal) {
      g_ptr_array_add(argv, g_strdup("--linklocal"));
      g_ptr_array_add(argv, g_strdup_printf("%s=%s", f->name, f->linklocal));
    }
  }
  g_ptr_array_add(argv, g_strdup("--control-dir"));
  g_ptr_array_add(argv, g_strdup(ns->control_dir));
  g_ptr_array_add(argv, g_strdup("--netns"));
  g_ptr_array_add(argv, g_strdup(ns->real));
  g_ptr_array_add(argv, g_strdup("--rt-tables"));
  g_ptr_array_add(argv, g_strdup_printf("/etc/netns/%s/iproute2/rt_tables", ns->real));
  g_ptr_array_add(argv, g_strdup("--log-file"));
  g_ptr_array_add(argv, g_strdup(ns->log_file));
  g_ptr_array_add(argv, g_strdup("-v"));
  g_ptr_array_add(argv, NULL);

  int outfd = open(ns->out_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int infd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  char *cmdline = g_strjoinv(" ", (char **)argv->pdata);
  if (outfd >= 0) {
    char *l = g_strdup_printf("# harness: %s\n", cmdline);
    if (write(outfd, l, strlen(l)) < 0) {
      /* best effort */
    }
    g_free(l);
  }
  if (r->o->verbose)
    printf("  start %s: %s\n", ns->name, cmdline);
  GError *e = NULL;
  GPid pid = 0;
  gboolean ok = g_spawn_async_with_fds(NULL, (char **)argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                       child_own_pgrp, NULL, &pid, infd, outfd, outfd, &e);
  if (outfd >= 0)
    close(outfd);
  if (infd >= 0)
    close(infd);
  g_ptr_array_free(argv, TRUE);
  g_free(cmdline);
  if (!ok) {
    g_string_append_printf(why, "cannot start qspnd: %s", e->message);
    g_error_free(e);
    return FALSE;
  }
  ns->pid = pid;
  ns->exit_status = -1;
  r->any_daemon = TRUE;
  /* ready = the command FIFO exists (qspnd creates it last, docs/daemon.md) */
  char *cmd = g_build_filename(ns->control_dir, "cmd.fifo", NULL);
  double end = hn_now() + r->o->start_deadline;
  ok = FALSE;
  while (!hn_interrupted) {
    if (g_file_test(cmd, G_FILE_TEST_EXISTS)) {
      ok = TRUE;
      break;
    }
    if (!hn_ns_daemon_alive(ns)) {
      int st = ns->exit_status;
      if (WIFEXITED(st))
        g_string_append_printf(why, "qspnd of %s exited with status %d before being ready", ns->name,
                               WEXITSTATUS(st));
      else
        g_string_append_printf(why, "qspnd of %s killed by signal %d before being ready", ns->name,
                               WTERMSIG(st));
      break;
    }
    if (hn_now() > end) {
      g_string_append_printf(why, "qspnd of %s not ready (no cmd.fifo) after %.0fs", ns->name,
                             r->o->start_deadline);
      break;
    }
    hn_sleep(0.02);
  }
  g_free(cmd);
  return ok;
}

static gboolean
qspnctl(Run *r, HnNs *ns, const char *command, char **out)
{
  if (!r->o->qspnctl) {
    if (out)
      *out = g_strdup("no --qspnctl given");
    return FALSE;
  }
  char *line = g_strdup_printf("'%s' --control-dir '%s' --timeout 5 %s", r->o->qspnctl, ns->control_dir,
                               command);
  char **argv = NULL;
  gboolean ok = FALSE;
  if (g_shell_parse_argv(line, NULL, &argv, NULL)) {
    ok = hn_run(argv, NULL, out);
    g_strfreev(argv);
  } else if (out) {
    *out = g_strdup("bad qspnctl command line");
  }
  g_free(line);
  return ok;
}

/* Quit one daemon through its FIFOs; wait for its exit.  TRUE iff exit 0. */
static gboolean
quit_daemon(Run *r, HnNs *ns, GString *why)
{
  if (!hn_ns_daemon_alive(ns)) {
    g_string_append_printf(why, "%s: qspnd not running; ", ns->name);
    return FALSE;
  }
  char *out = NULL;
  gboolean sent = qspnctl(r, ns, "quit", &out);
  if (!sent)
    g_string_append_printf(why, "%s: qspnctl quit failed: %s; ", ns->name, out ? g_strchomp(out) : "");
  g_free(out);
  double end = hn_now() + 10.0;
  while (hn_ns_daemon_alive(ns) && hn_now() < end && !hn_interrupted)
    hn_sleep(0.02);
  if (hn_ns_daemon_alive(ns)) {
    g_string_append_printf(why, "%s: qspnd still running 10s after quit (killed); ", ns->name);
    hn_ns_daemon_kill(ns, 2.0);
    return FALSE;
  }
  int st = ns->exit_status;
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    if (WIFEXITED(st))
      g_string_append_printf(why, "%s: qspnd exit status %d; ", ns->name, WEXITSTATUS(st));
    else
      g_string_append_printf(why, "%s: qspnd killed by signal %d; ", ns->name, WTERMSIG(st));
    return FALSE;
  }
  return sent;
}

/* -------------------------------------------------------------- actions */

static gboolean
run_admin(Run *r, HnNs *ns, const char *script, GString *why)
{
  char *full = g_strdup_printf("set -e\n%s\n", script);
  char *out = NULL;
  gboolean ok = hn_run_in_system(r->bed, ns->real, full, &out);
  if (!ok)
    g_string_append_printf(why, "admin command on %s failed: %s", ns->name, out ? g_strchomp(out) : "");
  else if (r->o->verbose && out && *out)
    printf("  %s: %s", ns->name, out);
  g_free(out);
  g_free(full);
  return ok;
}

static gboolean
run_actions(Run *r, HnStep *st, GString *why)
{
  gboolean ok = TRUE;
  GPtrArray *acts = st->actions;
  for (guint i = 0; i < acts->len && ok && !hn_interrupted; i++) {
    HnAction *a = g_ptr_array_index(acts, i);
    HnNs *ns = hn_bed_ns(r->bed, a->a);
    GError *e = NULL;
    switch (a->kind) {
    case HN_ACT_ARC:
      if (!hn_bed_arc(r->bed, a->a, a->b, &e)) {
        g_string_append(why, e->message);
        g_error_free(e);
        ok = FALSE;
      }
      break;
    case HN_ACT_START:
    case HN_ACT_ADMIN:
    case HN_ACT_CTL:
    case HN_ACT_QUIT:
      if (r->replay)
        break; /* replaced by the documented commands */
      if (a->kind == HN_ACT_START) {
        ok = start_daemon(r, ns, why);
      } else if (a->kind == HN_ACT_ADMIN) {
        /* consecutive admin lines of one system: one shell */
        GString *script = g_string_new(a->b);
        while (i + 1 < acts->len) {
          HnAction *n = g_ptr_array_index(acts, i + 1);
          if (n->kind != HN_ACT_ADMIN || strcmp(n->a, a->a))
            break;
          g_string_append_printf(script, "\n%s", n->b);
          i++;
        }
        ok = run_admin(r, ns, script->str, why);
        g_string_free(script, TRUE);
      } else if (a->kind == HN_ACT_CTL) {
        char *out = NULL;
        ok = qspnctl(r, ns, a->b, &out);
        if (!ok)
          g_string_append_printf(why, "qspnctl %s on %s failed: %s", a->b, ns->name, out ? g_strchomp(out) : "");
        g_free(out);
      } else {
        ok = quit_daemon(r, ns, why);
      }
      break;
    }
  }
  if (ok && r->replay) {
    char *out = NULL;
    ok = hn_replay_step(r->replay, st->id, r->bed, &out);
    if (!ok)
      g_string_append_printf(why, "documented commands failed: %s", out ? g_strchomp(out) : "");
    g_free(out);
  }
  return ok;
}

/* ------------------------------------------------------------ checkpoint */

typedef struct {
  HnNs *ns;
  char *name;
  gboolean contains;
  char *expected; /* normalised */
} Cmp;

static char *
load_expected(Run *r, const char *stepdir, const char *name, gboolean semantic, GString *why)
{
  char *p = g_strdup_printf("%s/%s/%s.txt", r->o->expected, stepdir, name);
  char *text = NULL;
  char *res = NULL;
  if (!g_file_get_contents(p, &text, NULL, NULL))
    g_string_append_printf(why, "no expected dump %s; ", p);
  else
    res = hn_normalise(text, semantic);
  g_free(text);
  g_free(p);
  return res;
}

static void
save_daemon_state(Run *r, const char *dir)
{
  for (guint i = 0; i < r->bed->nss->len; i++) {
    HnNs *ns = g_ptr_array_index(r->bed->nss, i);
    if (!hn_ns_daemon_alive(ns))
      continue;
    char *out = NULL;
    qspnctl(r, ns, "show", &out);
    char *n = g_strdup_printf("%s.show.txt", ns->name);
    save(dir, n, out);
    g_free(n);
    g_free(out);
  }
}

static gboolean
checkpoint(Run *r, HnStep *st, double t0, const char *action_error)
{
  char *stepdir = g_strdup_printf("%s-%s", st->id, st->slug);
  gboolean semantic = !r->o->strict;
  GString *why = g_string_new(NULL);
  if (action_error && *action_error)
    g_string_append_printf(why, "%s; ", action_error);
  GPtrArray *cmps = g_ptr_array_new();
  GString *names = g_string_new(NULL);

  if (st->check_all) {
    for (guint i = 0; i < r->bed->nss->len; i++) {
      HnNs *ns = g_ptr_array_index(r->bed->nss, i);
      Cmp *c = g_new0(Cmp, 1);
      c->ns = ns;
      c->name = ns->name;
      g_ptr_array_add(cmps, c);
    }
    /* every namespace of the documented state must exist in the run */
    char *d = g_strdup_printf("%s/%s", r->o->expected, stepdir);
    GDir *dir = g_dir_open(d, 0, NULL);
    if (!dir) {
      g_string_append_printf(why, "no expected directory %s; ", d);
    } else {
      const char *n;
      while ((n = g_dir_read_name(dir))) {
        if (!g_str_has_suffix(n, ".txt"))
          continue;
        char *base = g_strndup(n, strlen(n) - 4);
        if (!hn_bed_ns(r->bed, base))
          g_string_append_printf(why, "documented namespace %s not in the run; ", base);
        g_free(base);
      }
      g_dir_close(dir);
    }
    g_free(d);
  } else {
    for (guint i = 0; i < st->checks->len; i++) {
      HnCheck *hc = g_ptr_array_index(st->checks, i);
      HnNs *ns = hn_bed_ns(r->bed, hc->ns);
      if (!ns) {
        g_string_append_printf(why, "check of unknown namespace %s; ", hc->ns);
        continue;
      }
      Cmp *c = g_new0(Cmp, 1);
      c->ns = ns;
      c->name = ns->name;
      c->contains = hc->contains;
      g_ptr_array_add(cmps, c);
    }
  }
  g_string_append(names, "compared: ");
  for (guint i = 0; i < cmps->len; i++) {
    Cmp *c = g_ptr_array_index(cmps, i);
    g_string_append_printf(names, "%s%s%s", i ? ", " : "", c->name, c->contains ? " [contains]" : "");
    c->expected = load_expected(r, stepdir, c->name, semantic, why);
  }

  gboolean prefail = why->len > 0; /* action failed or files missing: dump once for the artifacts */
  gboolean ok = TRUE;
  double deadline = st->deadline > 0 ? st->deadline : r->o->deadline;
  double start = hn_now();
  HnNs **nss = g_new0(HnNs *, cmps->len + 1);
  for (guint i = 0; i < cmps->len; i++)
    nss[i] = ((Cmp *)g_ptr_array_index(cmps, i))->ns;
  char **raw = NULL, **norm = NULL;
  gboolean *good = g_new0(gboolean, cmps->len + 1);
  for (;;) {
    g_strfreev(raw);
    g_strfreev(norm);
    raw = hn_bed_dump(r->bed, nss, cmps->len, TRUE);
    norm = g_new0(char *, cmps->len + 1);
    gboolean all = TRUE;
    for (guint i = 0; i < cmps->len; i++) {
      Cmp *c = g_ptr_array_index(cmps, i);
      norm[i] = hn_normalise(raw[i], semantic);
      good[i] = c->expected &&
                hn_compare(c->expected, norm[i], c->contains ? HN_CMP_CONTAINS : HN_CMP_EXACT, NULL, 0);
      all = all && good[i];
    }
    if (prefail) {
      ok = FALSE;
      break;
    }
    if (all)
      break;
    if (hn_interrupted) {
      g_string_append(why, "interrupted; ");
      ok = FALSE;
      break;
    }
    if (hn_now() - start > deadline) {
      GString *bad = g_string_new(NULL);
      for (guint i = 0; i < cmps->len; i++)
        if (!good[i])
          g_string_append_printf(bad, "%s%s", bad->len ? ", " : "", ((Cmp *)g_ptr_array_index(cmps, i))->name);
      g_string_append_printf(why, "%s differ after %.0fs; ", bad->str, deadline);
      g_string_free(bad, TRUE);
      ok = FALSE;
      break;
    }
    hn_sleep(0.1);
  }
  /* detail on failure: dead daemons, artifacts */
  if (!ok) {
    for (guint i = 0; i < r->bed->nss->len; i++) {
      HnNs *ns = g_ptr_array_index(r->bed->nss, i);
      char *tag = g_strdup_printf("qspnd of %s ", ns->name);
      gboolean told = strstr(why->str, tag) != NULL;
      g_free(tag);
      if (ns->pid > 0 && !hn_ns_daemon_alive(ns) && !told) {
        int xs = ns->exit_status;
        if (WIFEXITED(xs))
          g_string_append_printf(why, "qspnd of %s exited with status %d; ", ns->name, WEXITSTATUS(xs));
        else
          g_string_append_printf(why, "qspnd of %s killed by signal %d; ", ns->name, WTERMSIG(xs));
      }
    }
    char *dir = g_build_filename(art_dir(r), stepdir, NULL);
    g_mkdir_with_parents(dir, 0755);
    for (guint i = 0; raw && i < cmps->len; i++) {
      Cmp *c = g_ptr_array_index(cmps, i);
      char *n;
      n = g_strdup_printf("%s.raw.txt", c->name);
      save(dir, n, raw[i]);
      g_free(n);
      n = g_strdup_printf("%s.norm.txt", c->name);
      save(dir, n, norm[i]);
      g_free(n);
      if (c->expected) {
        n = g_strdup_printf("%s.expected.norm.txt", c->name);
        save(dir, n, c->expected);
        g_free(n);
        if (!good[i])
          save_diff(dir, c->name);
      }
      if (!good[i] && c->expected) {
        GString *rep = g_string_new(NULL);
        hn_compare(c->expected, norm[i], c->contains ? HN_CMP_CONTAINS : HN_CMP_EXACT, rep, 8);
        if (r->o->verbose)
          printf("  %s:\n%s", c->name, rep->str);
        g_string_free(rep, TRUE);
      }
    }
    save_daemon_state(r, dir);
    g_string_append_printf(why, "artifacts: %s", dir);
    g_free(dir);
  }
  if (ok)
    report_line(st->id, st->slug, "ok", names->str, hn_now() - t0);
  else {
    g_string_prepend(why, "; ");
    g_string_prepend(why, names->str);
    report_line(st->id, st->slug, "FAILED", tidy(why), hn_now() - t0);
  }
  g_strfreev(raw);
  g_strfreev(norm);
  g_free(good);
  g_free(nss);
  for (guint i = 0; i < cmps->len; i++) {
    Cmp *c = g_ptr_array_index(cmps, i);
    g_free(c->expected);
    g_free(c);
  }
  g_ptr_array_free(cmps, TRUE);
  g_string_free(names, TRUE);
  g_string_free(why, TRUE);
  g_free(stepdir);
  return ok;
}

/* --------------------------------------------------------- final checks */

static GPtrArray *
list_netns(void)
{
  GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
  GDir *d = g_dir_open("/run/netns", 0, NULL);
  if (d) {
    const char *n;
    while ((n = g_dir_read_name(d)))
      g_ptr_array_add(a, g_strdup(n));
    g_dir_close(d);
  }
  return a;
}

static gboolean
str_in(GPtrArray *a, const char *s)
{
  for (guint i = 0; i < a->len; i++)
    if (!strcmp(g_ptr_array_index(a, i), s))
      return TRUE;
  return FALSE;
}

/* Quit every daemon; each system must be back to its pre-start state
 * (eth1 may stay up); no new namespace may be left. */
static gboolean
quit_all_and_verify(Run *r)
{
  double t0 = hn_now();
  GString *why = g_string_new(NULL);
  GPtrArray *quitted = g_ptr_array_new();
  int n = 0;
  gboolean ok = TRUE;
  for (guint i = 0; i < r->bed->nss->len; i++) {
    HnNs *ns = g_ptr_array_index(r->bed->nss, i);
    if (ns->pid <= 0)
      continue;
    if (!hn_ns_daemon_alive(ns) && ns->exit_status != -1) {
      /* exited earlier (quit action or crash) */
      int xs = ns->exit_status;
      if (!WIFEXITED(xs) || WEXITSTATUS(xs) != 0) {
        g_string_append_printf(why, "%s: qspnd had exited with %s %d; ", ns->name,
                               WIFEXITED(xs) ? "status" : "signal", WIFEXITED(xs) ? WEXITSTATUS(xs) : WTERMSIG(xs));
        ok = FALSE;
      }
      g_ptr_array_add(quitted, ns);
      continue;
    }
    n++;
    if (!quit_daemon(r, ns, why))
      ok = FALSE;
    g_ptr_array_add(quitted, ns);
  }
  /* state left behind */
  GString *left = g_string_new(NULL);
  if (quitted->len > 0) {
    char **raw = hn_bed_dump(r->bed, (HnNs **)quitted->pdata, quitted->len, FALSE);
    for (guint i = 0; i < quitted->len; i++) {
      HnNs *ns = g_ptr_array_index(quitted, i);
      char *norm = hn_normalise(raw[i], TRUE);
      char *a = hn_mask_link_state(norm), *b = hn_mask_link_state(ns->prestart);
      GString *rep = g_string_new(NULL);
      if (!hn_compare(b, a, HN_CMP_EXACT, rep, 20)) {
        ok = FALSE;
        g_string_append_printf(left, "%s%s", left->len ? ", " : "", ns->name);
        char *dir = g_build_filename(art_dir(r), "after-quit", NULL);
        char *f = g_strdup_printf("%s.raw.txt", ns->name);
        save(dir, f, raw[i]);
        g_free(f);
        f = g_strdup_printf("%s.leftovers.txt", ns->name);
        save(dir, f, rep->str);
        g_free(f);
        g_free(dir);
        if (r->o->verbose)
          printf("  %s after quit:\n%s", ns->name, rep->str);
      }
      g_string_free(rep, TRUE);
      g_free(a);
      g_free(b);
      g_free(norm);
    }
    g_strfreev(raw);
  }
  if (left->len)
    g_string_append_printf(why, "state left by qspnd in %s (artifacts: %s/after-quit); ", left->str, art_dir(r));
  GPtrArray *now = list_netns();
  for (guint i = 0; i < now->len; i++) {
    const char *nm = g_ptr_array_index(now, i);
    if (!str_in(r->netns_before, nm) && !str_in(r->bed->created, nm)) {
      g_string_append_printf(why, "namespace %s left; ", nm);
      ok = FALSE;
    }
  }
  g_ptr_array_free(now, TRUE);
  char *detail;
  if (ok)
    detail = g_strdup_printf("%d qspnd quit with status 0; no route, rule, address, netfilter rule, "
                             "rt_tables line or namespace left",
                             n);
  else
    detail = g_strdup(tidy(why));
  report_line("T1", "quit-all", ok ? "ok" : "FAILED", detail, hn_now() - t0);
  g_free(detail);
  g_string_free(left, TRUE);
  g_string_free(why, TRUE);
  g_ptr_array_free(quitted, TRUE);
  return ok;
}

static gboolean
verify_cleanup(Run *r)
{
  GString *why = g_string_new(NULL);
  GPtrArray *l = hn_leftovers(r->bed->prefix);
  for (guint i = 0; i < l->len; i++)
    g_string_append_printf(why, "%s left; ", (char *)g_ptr_array_index(l, i));
  g_ptr_array_free(l, TRUE);
  for (guint i = 0; i < r->bed->nss->len; i++) {
    HnNs *ns = g_ptr_array_index(r->bed->nss, i);
    if (ns->pid > 0 && kill(ns->pid, 0) == 0)
      g_string_append_printf(why, "process %d (qspnd of %s) alive; ", (int)ns->pid, ns->name);
  }
  gboolean ok = why->len == 0;
  report_line("T2", "cleanup", ok ? "ok" : "FAILED",
              ok ? "no namespace, /etc/netns dir, run dir or daemon of the run left" : tidy(why), -1);
  g_string_free(why, TRUE);
  return ok;
}

/* ------------------------------------------------------------------ run */

static void
copy_logs(Run *r)
{
  char *dir = g_build_filename(art_dir(r), "logs", NULL);
  for (guint i = 0; i < r->bed->nss->len; i++) {
    HnNs *ns = g_ptr_array_index(r->bed->nss, i);
    const char *files[] = { ns->log_file, ns->out_file, NULL };
    const char *suffix[] = { "log", "out" };
    for (int k = 0; files[k]; k++) {
      char *c = NULL;
      gsize len = 0;
      if (g_file_get_contents(files[k], &c, &len, NULL)) {
        char *n = g_strdup_printf("%s.qspnd.%s", ns->name, suffix[k]);
        save(dir, n, c);
        g_free(n);
      }
      g_free(c);
    }
  }
  g_free(dir);
}

static int
cmd_run(Opts *o)
{
  if (geteuid() != 0) {
    printf("SKIP: qspn-harness run needs root (network namespaces)\n");
    return 77;
  }
  if (!o->world_path || !o->steps_path || !o->expected) {
    fprintf(stderr, "run: --world, --steps and --expected are required\n");
    return 2;
  }
  if (!o->replay && (!o->qspnd || !o->qspnctl)) {
    fprintf(stderr, "run: --qspnd and --qspnctl are required (or --replay-documented SEQUENCE)\n");
    return 2;
  }
  if (o->qspnd && !o->replay && !g_file_test(o->qspnd, G_FILE_TEST_IS_EXECUTABLE)) {
    printf("qspnd not found or not executable: %s\n", o->qspnd);
    printf("0 passed, 1 failed\n");
    return 1;
  }
  GError *e = NULL;
  HnWorld *w = hn_world_load(o->world_path, &e);
  HnSteps *steps = w ? hn_steps_load(o->steps_path, w, &e) : NULL;
  if (!steps) {
    fprintf(stderr, "qspn-harness: %s\n", e->message);
    g_error_free(e);
    hn_world_free(w);
    return 2;
  }
  guint nsteps = steps->steps->len;
  gboolean *sel = g_new0(gboolean, nsteps + 1);
  if (!hn_steps_select(steps, o->only, sel, &e)) {
    fprintf(stderr, "qspn-harness: %s\n", e->message);
    g_error_free(e);
    return 2;
  }
  int last = -1;
  for (guint i = 0; i < nsteps; i++)
    if (sel[i])
      last = (int)i;

  Run r = { 0 };
  r.o = o;
  r.steps = steps;
  if (o->replay) {
    r.replay = hn_replay_load(o->replay, &e);
    if (!r.replay) {
      fprintf(stderr, "qspn-harness: %s\n", e->message);
      g_error_free(e);
      return 2;
    }
  }
  install_signals();
  if (o->max_seconds > 0)
    alarm((unsigned)o->max_seconds);

  int swept = hn_sweep(o->verbose);
  if (swept > 0)
    printf("orphan sweep: removed %d object(s) left by dead harness runs\n", swept);
  r.netns_before = list_netns();

  double t0 = hn_now();
  r.bed = hn_bed_new(w, o->verbose);
  printf("qspn-harness: world %s, steps %s, prefix %s, %s\n", o->world_path, o->steps_path, r.bed->prefix,
         o->replay ? "replaying the documented commands (no qspnd)" : o->qspnd);
  gboolean built = hn_bed_build(r.bed, &e);
  if (!built) {
    printf("testbed: FAILED (%s)\n", e->message);
    g_error_free(e);
    r.failed++;
  } else {
    /* pre-start state of every system (for the after-quit check) */
    char **raw = hn_bed_dump(r.bed, (HnNs **)r.bed->nss->pdata, r.bed->nss->len, FALSE);
    for (guint i = 0; i < r.bed->nss->len; i++)
      ((HnNs *)g_ptr_array_index(r.bed->nss, i))->prestart = hn_normalise(raw[i], TRUE);
    g_strfreev(raw);
    printf("testbed: %u systems, hub %s, built in %.2fs\n", r.bed->nss->len, r.bed->hub, hn_now() - t0);
    fflush(stdout);
    for (int i = 0; i <= last && !hn_interrupted; i++) {
      HnStep *st = g_ptr_array_index(steps->steps, i);
      double ts = hn_now();
      GString *why = g_string_new(NULL);
      gboolean acted = run_actions(&r, st, why);
      if (sel[i]) {
        if (checkpoint(&r, st, ts, acted ? NULL : why->str))
          r.passed++;
        else
          r.failed++;
      } else if (!acted) {
        report_line(st->id, st->slug, "FAILED", tidy(why), hn_now() - ts);
        r.failed++;
      }
      g_string_free(why, TRUE);
    }
    if (!hn_interrupted && r.any_daemon) {
      if (quit_all_and_verify(&r))
        r.passed++;
      else
        r.failed++;
    }
  }
  if (r.failed > 0 || hn_interrupted)
    copy_logs(&r);
  hn_bed_teardown(r.bed, o->keep);
  if (!o->keep && built) {
    if (verify_cleanup(&r))
      r.passed++;
    else
      r.failed++;
  }
  if (r.art_dir)
    printf("artifacts: %s\n", r.art_dir);
  if (watchdog_fired)
    printf("watchdog: --max-seconds %.0f elapsed; cleaned up\n", o->max_seconds);
  else if (hn_interrupted)
    printf("interrupted: cleaned up\n");
  printf("%d passed, %d failed\n", r.passed, r.failed);
  int rc = hn_interrupted ? 130 : (r.failed == 0 ? 0 : 1);
  hn_bed_free(r.bed);
  hn_replay_free(r.replay);
  g_ptr_array_free(r.netns_before, TRUE);
  hn_steps_free(steps);
  hn_world_free(w);
  g_free(sel);
  g_free(r.art_dir);
  return rc;
}

static int
cmd_sweep(Opts *o)
{
  if (geteuid() != 0) {
    fprintf(stderr, "sweep needs root\n");
    return 77;
  }
  int n = hn_sweep(TRUE);
  printf("sweep: %d object(s) removed\n", n);
  (void)o;
  return 0;
}

static int
cmd_normalise(gboolean semantic, const char *file)
{
  char *text = NULL;
  if (file) {
    GError *e = NULL;
    if (!g_file_get_contents(file, &text, NULL, &e)) {
      fprintf(stderr, "%s\n", e->message);
      g_error_free(e);
      return 2;
    }
  } else {
    GString *s = g_string_new(NULL);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
      g_string_append_len(s, buf, n);
    text = g_string_free(s, FALSE);
  }
  char *out = hn_normalise(text, semantic);
  fputs(out, stdout);
  g_free(out);
  g_free(text);
  return 0;
}

static const char USAGE[] =
  "Usage:\n"
  "  qspn-harness run --world FILE --steps FILE --expected DIR\n"
  "                   (--qspnd PATH --qspnctl PATH | --replay-documented SEQUENCE_SH)\n"
  "                   [--only SPEC] [--artifacts DIR] [--deadline S] [--start-deadline S]\n"
  "                   [--max-seconds S] [--strict] [--keep] [-v]\n"
  "  qspn-harness sweep            remove what dead harness runs left (netns qh<pid>-*, ...)\n"
  "  qspn-harness normalise [-s] [FILE]   normalise a dump like normalise.sh [-s]\n"
  "  qspn-harness parse --world FILE [--steps FILE]   check the files and print a summary\n"
  "\n"
  "run builds the world (namespaces, hub bridge, veths, MACs) with a unique prefix qh<pid>-,\n"
  "executes the steps in order (start qspnd, administrator commands, arcs), and at each\n"
  "selected step polls the kernel state of the checked namespaces until it equals\n"
  "EXPECTED/<id>-<slug>/<ns>.txt (semantic normalisation) or the deadline passes.  Then it\n"
  "quits every qspnd, verifies nothing of theirs is left, removes everything it created and\n"
  "prints \"N passed, N failed\".  Exit 0 iff all passed; 77 if not root.\n"
  "\n"
  "Options of run:\n"
  "  --only SPEC            steps to check, e.g. S01a-S01f,S10a-S10c or S01 (default: all);\n"
  "                         the actions of every earlier step are executed anyway\n"
  "  --artifacts DIR        where failure artifacts go (default ./harness-artifacts)\n"
  "  --deadline S           per-checkpoint deadline (default 20)\n"
  "  --start-deadline S     time for a qspnd to create its FIFOs (default 20)\n"
  "  --max-seconds S        watchdog for the whole run (default 600)\n"
  "  --replay-documented F  run the documented commands of each step from F\n"
  "                         (shared/scenarios/sequence-netns.sh) instead of qspnd: checks the\n"
  "                         testbed, the dump and the comparator independently of qspnd\n"
  "  --strict               strict normalisation instead of semantic (replay only)\n"
  "  --keep                 leave the namespaces in place (remove later with sweep)\n"
  "  -v, --verbose          more output\n";

int
main(int argc, char **argv)
{
  Opts o = { 0 };
  o.deadline = 20;
  o.start_deadline = 20;
  o.max_seconds = 600;
  o.artifacts = "harness-artifacts";
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    fputs(USAGE, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const char *cmd = argv[1];
  gboolean semantic = FALSE;
  const char *file = NULL;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
#define ARG(name, field)                                                                          \
  if (!strcmp(a, name)) {                                                                         \
    if (i + 1 >= argc) {                                                                          \
      fprintf(stderr, "%s needs a value\n", name);                                                \
      return 2;                                                                                   \
    }                                                                                             \
    field = argv[++i];                                                                            \
    continue;                                                                                     \
  }
#define NUM(name, field)                                                                          \
  if (!strcmp(a, name)) {                                                                         \
    if (i + 1 >= argc || (field = g_ascii_strtod(argv[i + 1], NULL)) <= 0) {                      \
      fprintf(stderr, "%s needs a positive number\n", name);                                      \
      return 2;                                                                                   \
    }                                                                                             \
    i++;                                                                                          \
    continue;                                                                                     \
  }
    ARG("--world", o.world_path)
    ARG("--steps", o.steps_path)
    ARG("--only", o.only)
    ARG("--expected", o.expected)
    ARG("--qspnd", o.qspnd)
    ARG("--qspnctl", o.qspnctl)
    ARG("--artifacts", o.artifacts)
    ARG("--replay-documented", o.replay)
    NUM("--deadline", o.deadline)
    NUM("--start-deadline", o.start_deadline)
    NUM("--max-seconds", o.max_seconds)
#undef ARG
#undef NUM
    if (!strcmp(a, "--keep"))
      o.keep = TRUE;
    else if (!strcmp(a, "--strict"))
      o.strict = TRUE;
    else if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
      o.verbose = TRUE;
    else if (!strcmp(a, "-s"))
      semantic = TRUE;
    else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      fputs(USAGE, stdout);
      return 0;
    } else if (a[0] != '-' && !file)
      file = a;
    else {
      fprintf(stderr, "unknown argument %s\n%s", a, USAGE);
      return 2;
    }
  }
  /* environment fallbacks (meson / make) */
  if (!o.qspnd)
    o.qspnd = getenv("QSPND");
  if (!o.qspnctl)
    o.qspnctl = getenv("QSPNCTL");

  if (!strcmp(cmd, "run"))
    return cmd_run(&o);
  if (!strcmp(cmd, "sweep"))
    return cmd_sweep(&o);
  if (!strcmp(cmd, "normalise") || !strcmp(cmd, "normalize"))
    return cmd_normalise(semantic, file);
  if (!strcmp(cmd, "parse")) {
    GError *e = NULL;
    HnWorld *w = o.world_path ? hn_world_load(o.world_path, &e) : NULL;
    if (!w) {
      fprintf(stderr, "%s\n", e ? e->message : "--world required");
      return 2;
    }
    printf("world %s: %u media, %u systems\n", o.world_path, w->media->len, w->systems->len);
    if (o.steps_path) {
      HnSteps *s = hn_steps_load(o.steps_path, w, &e);
      if (!s) {
        fprintf(stderr, "%s\n", e->message);
        return 2;
      }
      printf("steps %s: %u steps\n", o.steps_path, s->steps->len);
      hn_steps_free(s);
    }
    hn_world_free(w);
    return 0;
  }
  fprintf(stderr, "unknown command %s\n%s", cmd, USAGE);
  return 2;
}
