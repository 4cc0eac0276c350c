/* final.c -- the two checks that end a run: T1 quit-all (every qspnd quits
 * and leaves nothing behind) and T2 cleanup (nothing of the run is left). */
#define _GNU_SOURCE
#include "normalise.h"
#include "run.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

/* systems whose last daemon was SIGKILLed by a kill directive: their state is
 * not checked (a killed daemon cleans nothing) */
static gboolean
killed_system(HnRun *r, const char *netns)
{
  for (guint i = 0; i < r->bed->nss->len; i++) {
    HnNs *ns = g_ptr_array_index(r->bed->nss, i);
    char *p = g_strdup_printf("%s-", ns->real);
    gboolean k = ns->killed && (!strcmp(netns, ns->real) || g_str_has_prefix(netns, p));
    g_free(p);
    if (k)
      return TRUE;
  }
  return FALSE;
}

/* quit every running daemon; the systems where one ran, except killed ones */
static GPtrArray *
quit_all(HnRun *r, GString *why, int *n, gboolean *ok)
{
  GPtrArray *quitted = g_ptr_array_new();
  for (guint i = 0; i < r->bed->nss->len; i++) {
    HnNs *ns = g_ptr_array_index(r->bed->nss, i);
    if (ns->pid <= 0 || ns->killed)
      continue;
    if (!hn_ns_daemon_alive(ns)) { /* exited earlier (quit action or crash) */
      if (!WIFEXITED(ns->exit_status) || WEXITSTATUS(ns->exit_status) != 0) {
        g_string_append_printf(why, "%s: qspnd had ended with %s; ", ns->name, hn_status_str(ns->exit_status));
        *ok = FALSE;
      }
    } else {
      (*n)++;
      if (!hn_daemon_quit(r, ns, why))
        *ok = FALSE;
    }
    g_ptr_array_add(quitted, ns);
  }
  return quitted;
}

/* every quitted system back to its pre-start state (link state apart) */
static gboolean
check_left_state(HnRun *r, GPtrArray *quitted, GString *why)
{
  if (quitted->len == 0)
    return TRUE;
  GString *left = g_string_new(NULL);
  char **raw = hn_bed_dump(r->bed, (HnNs **)quitted->pdata, quitted->len, FALSE);
  for (guint i = 0; i < quitted->len; i++) {
    HnNs *ns = g_ptr_array_index(quitted, i);
    char *norm = hn_normalise(raw[i], TRUE);
    char *a = hn_mask_link_state(norm), *b = hn_mask_link_state(ns->prestart);
    GString *rep = g_string_new(NULL);
    if (!hn_compare(b, a, HN_CMP_EXACT, rep, 20)) {
      g_string_append_printf(left, "%s%s", left->len ? ", " : "", ns->name);
      char *dir = g_build_filename(hn_art_dir(r), "after-quit", NULL);
      char *f = g_strdup_printf("%s.raw.txt", ns->name);
      hn_save(dir, f, raw[i]);
      g_free(f);
      f = g_strdup_printf("%s.leftovers.txt", ns->name);
      hn_save(dir, f, rep->str);
      g_free(f);
      g_free(dir);
      if (r->o->verbose)
        hn_progress_clear(), printf("  %s after quit:\n%s", ns->name, rep->str);
    }
    g_string_free(rep, TRUE);
    g_free(a);
    g_free(b);
    g_free(norm);
  }
  g_strfreev(raw);
  gboolean ok = left->len == 0;
  if (!ok)
    g_string_append_printf(why, "state left by qspnd in %s (artifacts: %s/after-quit); ", left->str, hn_art_dir(r));
  g_string_free(left, TRUE);
  return ok;
}

gboolean
hn_final_quit_all(HnRun *r)
{
  double t0 = hn_now();
  hn_record_begin(r, "T1", "quit-all")->checkpoint = "final";
  hn_progress_step(0, "T1", "quit-all");
  hn_progress_phase("quit every qspnd, check nothing is left");
  GString *why = g_string_new(NULL);
  int n = 0, killed = 0;
  gboolean ok = TRUE;
  GPtrArray *quitted = quit_all(r, why, &n, &ok);
  if (!check_left_state(r, quitted, why))
    ok = FALSE;
  /* identity namespaces of qspnd included */
  GPtrArray *now = hn_list_netns();
  for (guint i = 0; i < now->len; i++) {
    const char *nm = g_ptr_array_index(now, i);
    /* only the run's names: other runs (other prefixes) may come and go meanwhile */
    if (g_str_has_prefix(nm, r->bed->prefix) && !hn_str_in(r->bed->created, nm) && !killed_system(r, nm)) {
      g_string_append_printf(why, "namespace %s left; ", nm);
      ok = FALSE;
    }
  }
  for (guint i = 0; i < r->bed->nss->len; i++)
    killed += ((HnNs *)g_ptr_array_index(r->bed->nss, i))->killed;
  char *detail;
  if (ok)
    detail = g_strdup_printf("%d qspnd quit with status 0; no route, rule, address, netfilter rule, "
                             "rt_tables line or namespace left%s",
                             n, killed ? "; systems whose qspnd was killed not checked" : "");
  else
    detail = g_strdup(hn_tidy(why));
  if (!ok)
    hn_record_failures(r->cur, detail);
  hn_report_line(r, "T1", "quit-all", ok ? "ok" : "FAILED", detail, hn_now() - t0);
  g_free(detail);
  g_ptr_array_free(now, TRUE);
  g_string_free(why, TRUE);
  g_ptr_array_free(quitted, TRUE);
  return ok;
}

gboolean
hn_final_cleanup(HnRun *r)
{
  GString *why = g_string_new(NULL);
  hn_record_begin(r, "T2", "cleanup")->checkpoint = "final";
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
  hn_record_failures(r->cur, why->str);
  hn_report_line(r, "T2", "cleanup", ok ? "ok" : "FAILED",
                 ok ? "no namespace, /etc/netns dir, run dir or daemon of the run left" : hn_tidy(why), -1);
  g_string_free(why, TRUE);
  return ok;
}
