/* actions.c -- the actions of a step, in file order (topologies/README.md). */
#define _GNU_SOURCE
#include "run.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

static void
bg_free(gpointer p)
{
  HnBg *b = p;
  if (b->pid > 0) { /* never joined (a failed step): do not leave it behind */
    kill(b->pid, SIGKILL);
    hn_wait(b->pid);
  }
  g_free(b->sys);
  g_free(b->command);
  g_free(b->out_file);
  g_free(b);
}

void
hn_bg_clear(HnRun *r)
{
  if (r->bg)
    g_ptr_array_set_size(r->bg, 0);
  else
    r->bg = g_ptr_array_new_with_free_func(bg_free);
}

/* The directive of an action, as the steps file spells it (the progress line). */
static const char *
action_word(HnActionKind k)
{
  static const char *const words[] = { "arc", "cut", "start", "restart", "kill", "quit", "admin", "ctl", "ctl&",
                                       "ctl!", "wait", "await", "stop", "cont", "netem" };
  G_STATIC_ASSERT(G_N_ELEMENTS(words) == HN_ACT_NETEM + 1);
  return (guint)k < G_N_ELEMENTS(words) ? words[k] : "?";
}

static char *
file_text(const char *path)
{
  char *c = NULL;
  if (!g_file_get_contents(path, &c, NULL, NULL))
    c = g_strdup("");
  return g_strchomp(c);
}

/* wait: join every background ctl of the step; all must exit 0 */
static gboolean
join_bg(HnRun *r, GString *why)
{
  gboolean ok = TRUE;
  for (guint i = 0; i < r->bg->len; i++) {
    HnBg *b = g_ptr_array_index(r->bg, i);
    int st = hn_wait(b->pid);
    b->pid = 0;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      char *out = file_text(b->out_file);
      g_string_append_printf(why, "ctl& %s %s (line %d) failed (%s): %s; ", b->sys, b->command, b->line,
                             hn_status_str(st), hn_oneline(&out));
      g_free(out);
      ok = FALSE;
    } else if (r->o->verbose) {
      char *out = file_text(b->out_file);
      hn_progress_clear();
      printf("  ctl& %s %s: %s\n", b->sys, b->command, out);
      g_free(out);
    }
  }
  g_ptr_array_set_size(r->bg, 0);
  return ok;
}

static gboolean
act_ctl(HnRun *r, HnAction *a, HnNs *ns, GString *why)
{
  char *out = NULL;
  gboolean ok = hn_qspnctl(r, ns, a->b, &out);
  if (!ok)
    g_string_append_printf(why, "qspnctl %s on %s (line %d) failed: %s", a->b, ns->name, a->line,
                           hn_oneline(&out));
  else if (a->text && !strstr(out ? out : "", a->text)) {
    g_string_append_printf(why, "qspnctl %s on %s (line %d): output does not contain \"%s\": %s", a->b, ns->name,
                           a->line, a->text, hn_oneline(&out));
    ok = FALSE;
  }
  g_free(out);
  return ok;
}

/* ctl!: the command must be refused (non-zero exit) with TEXT in its output */
static gboolean
act_ctl_refused(HnRun *r, HnAction *a, HnNs *ns, GString *why)
{
  char *out = NULL;
  gboolean ok = FALSE;
  if (hn_qspnctl(r, ns, a->b, &out))
    g_string_append_printf(why, "qspnctl %s on %s (line %d) was accepted, a refusal was expected: %s", a->b,
                           ns->name, a->line, hn_oneline(&out));
  else if (!strstr(out ? out : "", a->text))
    g_string_append_printf(why, "qspnctl %s on %s (line %d): refusal does not contain \"%s\": %s", a->b,
                           ns->name, a->line, a->text, hn_oneline(&out));
  else
    ok = TRUE;
  g_free(out);
  return ok;
}

/* await: poll `qspnctl CMD` until its output contains TEXT (check first) */
static gboolean
act_await(HnRun *r, HnStep *st, HnAction *a, HnNs *ns, GString *why)
{
  double deadline = st->deadline > 0 ? st->deadline : r->o->deadline;
  double end = hn_now() + deadline;
  char *out = NULL;
  for (;;) {
    g_free(out);
    out = NULL;
    if (hn_qspnctl(r, ns, a->b, &out) && strstr(out, a->text))
      break;
    hn_progress_phase("await %s %s -- %s (%.0fs of %.0fs)", ns->name, a->b, a->text, hn_now() - (end - deadline),
                      deadline);
    if (hn_interrupted || hn_now() > end) {
      g_string_append_printf(why, "await %s %s (line %d): no \"%s\" after %.0fs; last output: %s", ns->name, a->b,
                             a->line, a->text, deadline, hn_oneline(&out));
      g_free(out);
      return FALSE;
    }
    hn_sleep(0.1);
  }
  g_free(out);
  return TRUE;
}

/* One admin line of the script.  `sh -e` does not stop at a failing `! cmd`
 * (a negated pipeline never triggers -e), so such a line becomes an explicit
 * test: the check fails when cmd succeeds. */
static void
append_admin_line(GString *script, const char *line)
{
  const char *p = line;
  while (*p == ' ' || *p == '\t')
    p++;
  if (p[0] == '!' && (p[1] == ' ' || p[1] == '\t'))
    g_string_append_printf(script, "if %s\nthen echo 'admin: expected to fail: %s' >&2; exit 1; fi\n", p + 2,
                           "negated check");
  else
    g_string_append_printf(script, "%s\n", line);
}

/* consecutive admin lines of one system run in one `sh -e` */
static gboolean
act_admin(HnRun *r, GPtrArray *acts, guint *i, HnNs *ns, GString *why)
{
  HnAction *a = g_ptr_array_index(acts, *i);
  GString *script = g_string_new("set -e\n");
  append_admin_line(script, a->b);
  while (*i + 1 < acts->len) {
    HnAction *n = g_ptr_array_index(acts, *i + 1);
    if (n->kind != HN_ACT_ADMIN || strcmp(n->a, a->a))
      break;
    append_admin_line(script, n->b);
    (*i)++;
  }
  char *out = NULL;
  char *expanded = hn_expand_run_dir(script->str, r->bed->run_dir);
  gboolean ok = hn_run_in_system(ns->real, expanded, &out);
  g_free(expanded);
  if (!ok)
    g_string_append_printf(why, "admin command on %s (line %d) failed: %s", ns->name, a->line,
                           hn_oneline(&out));
  else if (r->o->verbose && out && *out)
    hn_progress_clear(), printf("  %s: %s", ns->name, out);
  g_free(out);
  g_string_free(script, TRUE);
  return ok;
}

static gboolean
act_daemon(HnRun *r, HnStep *st, GPtrArray *acts, guint *i, GString *why)
{
  HnAction *a = g_ptr_array_index(acts, *i);
  HnNs *ns = a->a ? hn_bed_ns(r->bed, a->a) : NULL;
  switch (a->kind) {
  case HN_ACT_START:
    return hn_daemon_start(r, ns, why);
  case HN_ACT_RESTART:
    if (hn_ns_daemon_alive(ns)) {
      g_string_append_printf(why, "restart %s (line %d): qspnd still running (kill or quit it first)", a->a, a->line);
      return FALSE;
    }
    return hn_daemon_start(r, ns, why);
  case HN_ACT_KILL:
    if (!hn_ns_daemon_alive(ns)) {
      g_string_append_printf(why, "kill %s (line %d): qspnd not running", a->a, a->line);
      return FALSE;
    }
    hn_daemon_kill9(r, ns);
    return TRUE;
  case HN_ACT_QUIT:
    return hn_daemon_quit(r, ns, why);
  case HN_ACT_STOP:
  case HN_ACT_CONT:
    return hn_daemon_freeze(r, ns, a->kind == HN_ACT_STOP, why);
  case HN_ACT_ADMIN:
    return act_admin(r, acts, i, ns, why);
  case HN_ACT_CTL:
    return act_ctl(r, a, ns, why);
  case HN_ACT_CTL_REFUSED:
    return act_ctl_refused(r, a, ns, why);
  case HN_ACT_CTL_BG: {
    HnBg *b = g_new0(HnBg, 1);
    b->sys = g_strdup(a->a);
    b->command = g_strdup(a->b);
    b->line = a->line;
    b->out_file = g_strdup_printf("%s/bg-%u.out", r->bed->run_dir, ++r->bg_seq);
    g_ptr_array_add(r->bg, b);
    b->pid = hn_qspnctl_bg(r, ns, a->b, b->out_file, why);
    return b->pid > 0;
  }
  case HN_ACT_WAIT:
    return join_bg(r, why);
  case HN_ACT_AWAIT:
    return act_await(r, st, a, ns, why);
  default:
    return FALSE;
  }
}

/* replay: the documented commands of the step, whose arcs must be the steps file's */
static gboolean
replay_step(HnRun *r, HnStep *st, GString *why)
{
  if (hn_replay_has_step(r->replay, st->id)) {
    GPtrArray *doc = hn_replay_arcs(r->replay, st->id);
    GString *mine = g_string_new(NULL), *theirs = g_string_new(NULL);
    for (guint i = 0; i < st->actions->len; i++) {
      HnAction *a = g_ptr_array_index(st->actions, i);
      if (a->kind == HN_ACT_ARC)
        g_string_append_printf(mine, "%s[%s %s]", mine->len ? " " : "", strcmp(a->a, a->b) < 0 ? a->a : a->b,
                               strcmp(a->a, a->b) < 0 ? a->b : a->a);
    }
    for (guint i = 0; i < doc->len; i++)
      g_string_append_printf(theirs, "%s[%s]", theirs->len ? " " : "", (char *)g_ptr_array_index(doc, i));
    gboolean same = !strcmp(mine->str, theirs->str);
    if (!same)
      g_string_append_printf(why, "the steps file opens arcs {%s}, the documented commands {%s}; ", mine->str,
                             theirs->str);
    g_string_free(mine, TRUE);
    g_string_free(theirs, TRUE);
    g_ptr_array_free(doc, TRUE);
    if (!same)
      return FALSE;
  }
  char *out = NULL;
  gboolean ok = hn_replay_step(r->replay, st->id, r->bed, &out);
  if (!ok)
    g_string_append_printf(why, "documented commands failed: %s", out ? out : "");
  g_free(out);
  return ok;
}

gboolean
hn_actions_run(HnRun *r, HnStep *st, GString *why)
{
  gboolean ok = TRUE;
  GPtrArray *acts = st->actions;
  hn_bg_clear(r);
  for (guint i = 0; i < acts->len && ok && !hn_interrupted; i++) {
    HnAction *a = g_ptr_array_index(acts, i);
    GError *e = NULL;
    hn_progress_phase("line %d: %s%s%s%s%s", a->line, action_word(a->kind), a->a ? " " : "", a->a ? a->a : "",
                      a->b ? " " : "", a->b ? a->b : "");
    if (a->kind == HN_ACT_ARC || a->kind == HN_ACT_CUT) {
      ok = a->kind == HN_ACT_ARC ? hn_bed_arc(r->bed, a->a, a->b, &e) : hn_bed_cut(r->bed, a->a, a->b, &e);
      if (!ok) {
        g_string_append_printf(why, "line %d: %s", a->line, e->message);
        g_error_free(e);
      }
    } else if (a->kind == HN_ACT_NETEM) { /* the medium, like arc/cut: also in replay mode */
      ok = hn_netem_apply(r, a->a, a->b, a->text, why);
      if (!ok)
        g_string_append_printf(why, "(line %d)", a->line);
    } else if (!r->replay) {
      ok = act_daemon(r, st, acts, &i, why);
    } /* replay: daemon and administrator actions are replaced by the documented commands */
  }
  hn_bg_clear(r); /* a failed step never leaves a ctl& behind */
  if (ok && r->replay)
    ok = replay_step(r, st, why);
  if (hn_interrupted && ok) {
    g_string_append(why, "interrupted");
    ok = FALSE;
  }
  return ok;
}
