/* daemons.c -- qspnd processes of a run and the qspnctl client. */
#define _GNU_SOURCE
#include "run.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

gboolean
hn_qspnd_has_option(const char *qspnd, const char *option)
{
  char *argv[] = { (char *)qspnd, "--help", NULL };
  char *out = NULL;
  hn_run(argv, NULL, &out);
  gboolean has = out && strstr(out, option) != NULL;
  g_free(out);
  return has;
}

static GPtrArray *
daemon_argv(HnRun *r, HnNs *ns)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(argv, g_strdup(r->o->qspnd));
  for (char **a = ns->sys->qspnd_args; a && *a; a++)
    g_ptr_array_add(argv, hn_expand_run_dir(*a, r->bed->run_dir));
  for (guint i = 0; i < ns->sys->ifaces->len; i++) {
    HnIface *f = g_ptr_array_index(ns->sys->ifaces, i);
    g_ptr_array_add(argv, g_strdup("-i"));
    g_ptr_array_add(argv, g_strdup(f->name));
    if (f->linklocal) {
      g_ptr_array_add(argv, g_strdup("--linklocal"));
      g_ptr_array_add(argv, g_strdup_printf("%s=%s", f->name, f->linklocal));
    }
  }
  const char *fixed[] = { "--control-dir", ns->control_dir, "--netns", ns->real, NULL };
  for (int i = 0; fixed[i]; i++)
    g_ptr_array_add(argv, g_strdup(fixed[i]));
  g_ptr_array_add(argv, g_strdup("--rt-tables"));
  g_ptr_array_add(argv, g_strdup_printf("/etc/netns/%s/iproute2/rt_tables", ns->real));
  if (r->idns_option) {
    /* qspnd names its identity namespaces <prefix><system>-<NAME> */
    g_ptr_array_add(argv, g_strdup("--identity-ns-prefix"));
    g_ptr_array_add(argv, g_strdup_printf("%s%s-", r->bed->prefix, ns->name));
  }
  g_ptr_array_add(argv, g_strdup("--log-file"));
  g_ptr_array_add(argv, g_strdup(ns->log_file));
  g_ptr_array_add(argv, g_strdup("-v"));
  g_ptr_array_add(argv, NULL);
  return argv;
}

/* ready = the command FIFO exists (qspnd creates it last, docs/daemon.md);
 * checked first, then polled */
static gboolean
wait_ready(HnRun *r, HnNs *ns, GString *why)
{
  char *cmd = g_build_filename(ns->control_dir, "cmd.fifo", NULL);
  double end = hn_now() + r->o->start_deadline;
  gboolean ok = FALSE;
  while (!hn_interrupted) {
    if (g_file_test(cmd, G_FILE_TEST_EXISTS)) {
      ok = TRUE;
      break;
    }
    if (!hn_ns_daemon_alive(ns)) {
      g_string_append_printf(why, "qspnd of %s ended (%s) before being ready", ns->name,
                             hn_status_str(ns->exit_status));
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

gboolean
hn_daemon_start(HnRun *r, HnNs *ns, GString *why)
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
  GPtrArray *argv = daemon_argv(r, ns);
  char *cmdline = g_strjoinv(" ", (char **)argv->pdata);
  char *l = g_strdup_printf("# harness: %s\n", cmdline);
  FILE *f = fopen(ns->out_file, "a");
  if (f) {
    fputs(l, f);
    fclose(f);
  }
  if (r->o->verbose)
    hn_progress_clear(), printf("  start %s: %s\n", ns->name, cmdline);
  GError *e = NULL;
  GPid pid = hn_spawn((char **)argv->pdata, ns->out_file, TRUE, &e);
  g_ptr_array_free(argv, TRUE);
  g_free(cmdline);
  g_free(l);
  if (!pid) {
    g_string_append_printf(why, "cannot start qspnd: %s", e->message);
    g_error_free(e);
    return FALSE;
  }
  ns->pid = pid;
  ns->exit_status = -1;
  ns->killed = FALSE;
  r->any_daemon = TRUE;
  return wait_ready(r, ns, why);
}

static char **
qspnctl_argv(HnRun *r, HnNs *ns, const char *command)
{
  char *line = g_strdup_printf("'%s' --control-dir '%s' --timeout 5 %s", r->o->qspnctl, ns->control_dir, command);
  char **argv = NULL;
  if (!g_shell_parse_argv(line, NULL, &argv, NULL))
    argv = NULL;
  g_free(line);
  return argv;
}

gboolean
hn_qspnctl(HnRun *r, HnNs *ns, const char *command, char **out)
{
  if (!r->o->qspnctl) {
    *out = g_strdup("no --qspnctl given");
    return FALSE;
  }
  char **argv = qspnctl_argv(r, ns, command);
  if (!argv) {
    *out = g_strdup("bad qspnctl command line");
    return FALSE;
  }
  gboolean ok = hn_run(argv, NULL, out);
  g_strfreev(argv);
  return ok;
}

GPid
hn_qspnctl_bg(HnRun *r, HnNs *ns, const char *command, const char *out_file, GString *why)
{
  char **argv = r->o->qspnctl ? qspnctl_argv(r, ns, command) : NULL;
  if (!argv) {
    g_string_append_printf(why, "ctl& %s: no --qspnctl or bad command line; ", ns->name);
    return 0;
  }
  GError *e = NULL;
  GPid pid = hn_spawn(argv, out_file, FALSE, &e);
  if (!pid) {
    g_string_append_printf(why, "ctl& %s: %s; ", ns->name, e->message);
    g_error_free(e);
  }
  g_strfreev(argv);
  return pid;
}

/* Quit one daemon through its FIFOs; wait for its exit.  TRUE iff exit 0. */
gboolean
hn_daemon_quit(HnRun *r, HnNs *ns, GString *why)
{
  if (!hn_ns_daemon_alive(ns)) {
    g_string_append_printf(why, "%s: qspnd not running; ", ns->name);
    return FALSE;
  }
  char *out = NULL;
  gboolean sent = hn_qspnctl(r, ns, "quit", &out);
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
    g_string_append_printf(why, "%s: qspnd ended with %s; ", ns->name, hn_status_str(st));
    return FALSE;
  }
  return sent;
}

void
hn_daemon_kill9(HnRun *r, HnNs *ns)
{
  (void)r;
  hn_ns_daemon_kill(ns, 0);
  ns->killed = TRUE;
}

/* 'T' (stopped) or another state letter of /proc/PID/stat, 0 if unreadable */
static char
proc_state(GPid pid)
{
  char *path = g_strdup_printf("/proc/%d/stat", (int)pid), *stat = NULL;
  char state = 0;
  if (g_file_get_contents(path, &stat, NULL, NULL)) {
    const char *paren = strrchr(stat, ')'); /* the command name may hold blanks */
    if (paren && paren[1] == ' ')
      state = paren[2];
  }
  g_free(stat);
  g_free(path);
  return state;
}

gboolean
hn_daemon_freeze(HnRun *r, HnNs *ns, gboolean stop, GString *why)
{
  const char *what = stop ? "stop" : "cont";
  if (!hn_ns_daemon_alive(ns)) {
    g_string_append_printf(why, "%s %s: qspnd not running; ", what, ns->name);
    return FALSE;
  }
  if (kill(ns->pid, stop ? SIGSTOP : SIGCONT) < 0) {
    g_string_append_printf(why, "%s %s: kill(%d): %s; ", what, ns->name, (int)ns->pid, g_strerror(errno));
    return FALSE;
  }
  double end = hn_now() + r->o->deadline;
  while (!hn_interrupted && hn_now() < end) {
    char state = proc_state(ns->pid);
    if (stop ? state == 'T' : (state != 'T' && state != 0))
      return TRUE;
    hn_sleep(0.01);
  }
  g_string_append_printf(why, "%s %s: qspnd (pid %d) not %s after %.0fs; ", what, ns->name, (int)ns->pid,
                         stop ? "stopped" : "running again", r->o->deadline);
  return FALSE;
}

void
hn_save_daemon_state(HnRun *r, const char *dir)
{
  for (guint i = 0; i < r->bed->nss->len; i++) {
    HnNs *ns = g_ptr_array_index(r->bed->nss, i);
    if (!hn_ns_daemon_alive(ns))
      continue;
    char *out = NULL;
    hn_qspnctl(r, ns, "show", &out);
    char *n = g_strdup_printf("%s.show.txt", ns->name);
    hn_save(dir, n, out);
    g_free(n);
    g_free(out);
  }
}

void
hn_copy_logs(HnRun *r)
{
  char *dir = g_build_filename(hn_art_dir(r), "logs", NULL);
  for (guint i = 0; i < r->bed->nss->len; i++) {
    HnNs *ns = g_ptr_array_index(r->bed->nss, i);
    const char *files[] = { ns->log_file, ns->out_file };
    const char *suffix[] = { "log", "out" };
    for (int k = 0; k < 2; k++) {
      char *c = NULL;
      if (g_file_get_contents(files[k], &c, NULL, NULL)) {
        char *n = g_strdup_printf("%s.qspnd.%s", ns->name, suffix[k]);
        hn_save(dir, n, c);
        g_free(n);
      }
      g_free(c);
    }
  }
  g_free(dir);
}
