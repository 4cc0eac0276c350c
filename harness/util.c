/* util.c -- see util.h. */
#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t hn_interrupted = 0;
void (*hn_sleep_hook)(void) = NULL;

double
hn_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

gboolean
hn_sleep(double seconds)
{
  double end = hn_now() + seconds;
  while (!hn_interrupted) {
    double left = end - hn_now();
    if (left <= 0)
      return TRUE;
    if (left > 0.05)
      left = 0.05;
    struct timespec ts = { 0, (long)(left * 1e9) };
    nanosleep(&ts, NULL);
    if (hn_sleep_hook)
      hn_sleep_hook();
  }
  return FALSE;
}

static void
child_setns(gpointer data)
{
  const char *path = data;
  if (path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
      _exit(127);
    close(fd);
  }
}

gboolean
hn_run(char **argv, const char *netns_real, char **out)
{
  char *path = netns_real ? g_strdup_printf("/run/netns/%s", netns_real) : NULL;
  char *o = NULL, *e = NULL;
  int status = -1;
  GError *err = NULL;
  GSpawnFlags fl = G_SPAWN_SEARCH_PATH;
  if (!out)
    fl |= G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL;
  gboolean ok = g_spawn_sync(NULL, argv, NULL, fl, child_setns, path, out ? &o : NULL, out ? &e : NULL,
                             &status, &err);
  g_free(path);
  if (!ok) {
    if (out)
      *out = g_strdup_printf("cannot run %s: %s\n", argv[0], err->message);
    g_error_free(err);
    return FALSE;
  }
  if (out)
    *out = g_strconcat(o ? o : "", e ? e : "", NULL);
  g_free(o);
  g_free(e);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void
child_own_pgrp(gpointer data)
{
  (void)data;
  setpgid(0, 0);
}

GPid
hn_spawn(char **argv, const char *out_file, gboolean own_pgrp, GError **error)
{
  int outfd = open(out_file ? out_file : "/dev/null", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int infd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  GPid pid = 0;
  if (outfd < 0 || infd < 0) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot open %s: %s",
                out_file ? out_file : "/dev/null", g_strerror(errno));
  } else if (!g_spawn_async_with_fds(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH,
                                     own_pgrp ? child_own_pgrp : NULL, NULL, &pid, infd, outfd, outfd,
                                     error)) {
    pid = 0;
  }
  if (outfd >= 0)
    close(outfd);
  if (infd >= 0)
    close(infd);
  return pid;
}

int
hn_wait(GPid pid)
{
  int st = -1;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  return st;
}

gboolean
hn_reaped(GPid pid, int *status)
{
  int st;
  pid_t r = waitpid(pid, &st, WNOHANG);
  if (r == pid) {
    *status = st;
    return TRUE;
  }
  return FALSE;
}

const char *
hn_status_str(int status)
{
  static char buf[48];
  if (WIFEXITED(status))
    g_snprintf(buf, sizeof buf, "exit status %d", WEXITSTATUS(status));
  else if (WIFSIGNALED(status))
    g_snprintf(buf, sizeof buf, "signal %d", WTERMSIG(status));
  else
    g_snprintf(buf, sizeof buf, "wait status %d", status);
  return buf;
}

void
hn_save(const char *dir, const char *name, const char *content)
{
  g_mkdir_with_parents(dir, 0755);
  char *p = g_build_filename(dir, name, NULL);
  g_file_set_contents(p, content ? content : "", -1, NULL);
  g_free(p);
}

void
hn_rm_rf(const char *path)
{
  struct stat st;
  if (lstat(path, &st) < 0)
    return;
  if (S_ISDIR(st.st_mode)) {
    GDir *d = g_dir_open(path, 0, NULL);
    if (d) {
      const char *n;
      while ((n = g_dir_read_name(d))) {
        char *c = g_build_filename(path, n, NULL);
        hn_rm_rf(c);
        g_free(c);
      }
      g_dir_close(d);
    }
    rmdir(path);
  } else {
    unlink(path);
  }
}

static gint
cmp_str(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

GPtrArray *
hn_dir_names(const char *dir)
{
  GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
  GDir *d = g_dir_open(dir, 0, NULL);
  if (d) {
    const char *n;
    while ((n = g_dir_read_name(d)))
      g_ptr_array_add(a, g_strdup(n));
    g_dir_close(d);
  }
  g_ptr_array_sort(a, cmp_str);
  return a;
}

gboolean
hn_str_in(GPtrArray *a, const char *s)
{
  for (guint i = 0; a && i < a->len; i++)
    if (!strcmp(g_ptr_array_index(a, i), s))
      return TRUE;
  return FALSE;
}

const char *
hn_tidy(GString *s)
{
  while (s->len >= 2 && s->str[s->len - 2] == ';' && s->str[s->len - 1] == ' ')
    g_string_truncate(s, s->len - 2);
  return s->str;
}

const char *
hn_oneline(char **s)
{
  if (!s || !*s)
    return "";
  g_strchomp(*s);
  if (strchr(*s, '\n')) {
    char **parts = g_strsplit(*s, "\n", -1);
    g_free(*s);
    *s = g_strjoinv(" | ", parts);
    g_strfreev(parts);
  }
  return *s;
}

char *
hn_expand_run_dir(const char *s, const char *run_dir)
{
  char **parts = g_strsplit(s, HN_RUN_DIR_TOKEN, -1);
  char *out = g_strjoinv(run_dir, parts);
  g_strfreev(parts);
  return out;
}
