/* pings.c -- see pings.h. */
#include "pings.h"

#include "parse.h"
#include "util.h"

#include <arpa/inet.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

struct HnPingList {
  GHashTable *by_step; /* id -> GPtrArray of HnDocPing* (owning) */
  GPtrArray *empty;
  guint total;
};

static void
doc_ping_free(gpointer p)
{
  HnDocPing *d = p;
  g_free(d->step);
  g_free(d->src);
  g_free(d->dest);
  g_free(d);
}

static gboolean
parse_ping_line(HnPingList *l, const HnWorld *w, const char *path, int ln, char **wd, GError **error)
{
  struct in_addr a;
  char *end = NULL;
  int nw = (int)g_strv_length(wd);
  long doc = nw == 6 ? strtol(wd[4], &end, 10) : 0;
  if (nw != 6 || strcmp(wd[3], "line") || (strcmp(wd[5], "OK") && strcmp(wd[5], "FAIL")) || !end || *end ||
      doc <= 0 || doc > 1000000) {
    hn_set_error_at(error, path, ln, "expected \"STEP SRC_SYSTEM DEST_IP line N OK|FAIL\"");
    return FALSE;
  }
  if (!hn_valid_name(wd[0], 16)) {
    hn_set_error_at(error, path, ln, "bad step id %s", wd[0]);
    return FALSE;
  }
  if (!hn_world_system(w, wd[1])) {
    hn_set_error_at(error, path, ln, "unknown source system %s (not in %s)", wd[1], w->path);
    return FALSE;
  }
  if (strspn(wd[2], "0123456789.") != strlen(wd[2]) || inet_pton(AF_INET, wd[2], &a) != 1) {
    hn_set_error_at(error, path, ln, "bad IPv4 address %s", wd[2]);
    return FALSE;
  }
  HnDocPing *d = g_new0(HnDocPing, 1);
  d->step = g_strdup(wd[0]);
  d->src = g_strdup(wd[1]);
  d->dest = g_strdup(wd[2]);
  d->expect_ok = !strcmp(wd[5], "OK");
  d->line = ln;
  d->doc_line = (int)doc;
  GPtrArray *a_step = g_hash_table_lookup(l->by_step, d->step);
  if (!a_step) {
    a_step = g_ptr_array_new_with_free_func(doc_ping_free);
    g_hash_table_insert(l->by_step, g_strdup(d->step), a_step);
  }
  g_ptr_array_add(a_step, d);
  l->total++;
  return TRUE;
}

HnPingList *
hn_pings_load(const char *path, const HnWorld *w, GError **error)
{
  HnText t;
  if (!hn_text_load(path, &t, error))
    return NULL;
  HnPingList *l = g_new0(HnPingList, 1);
  l->by_step = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
  l->empty = g_ptr_array_new();
  gboolean ok = TRUE;
  for (int i = 0; i < t.n && ok; i++) {
    char **wd = hn_words(t.lines[i]);
    if (wd)
      ok = parse_ping_line(l, w, path, i + 1, wd, error);
    g_strfreev(wd);
  }
  hn_text_clear(&t);
  if (!ok) {
    hn_pings_free(l);
    return NULL;
  }
  return l;
}

GPtrArray *
hn_pings_for(HnPingList *l, const char *step)
{
  GPtrArray *a = l ? g_hash_table_lookup(l->by_step, step) : NULL;
  return a ? a : (l ? l->empty : NULL);
}

guint
hn_pings_total(HnPingList *l)
{
  return l ? l->total : 0;
}

void
hn_pings_free(HnPingList *l)
{
  if (!l)
    return;
  g_hash_table_destroy(l->by_step);
  g_ptr_array_free(l->empty, TRUE);
  g_free(l);
}

static GPid
ping_start(const HnPingJob *j)
{
  char *argv[] = { "ip", "netns", "exec", (char *)j->src_real, "ping", "-n", "-q", "-c", "1", "-W", "1",
                   (char *)j->dest, NULL };
  return hn_spawn(argv, NULL, FALSE, NULL);
}

/* A finished attempt: TRUE when the job is done. */
static gboolean
ping_attempt_done(HnPingJob *j, int status)
{
  gboolean reply = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  j->attempts++;
  if (!j->expect_ok) {
    j->passed = !reply;
    return TRUE;
  }
  j->passed = reply;
  return reply || j->attempts >= HN_PING_ATTEMPTS;
}

void
hn_ping_run(HnPingJob *jobs, guint n, guint max_parallel)
{
  GPid *pid = g_new0(GPid, n + 1);
  gboolean *done = g_new0(gboolean, n + 1);
  guint left = n, running = 0;
  for (guint i = 0; i < n; i++) {
    jobs[i].passed = FALSE;
    jobs[i].attempts = 0;
  }
  while (left > 0) {
    for (guint i = 0; i < n && running < max_parallel && !hn_interrupted; i++) {
      if (done[i] || pid[i])
        continue;
      pid[i] = ping_start(&jobs[i]);
      if (pid[i] > 0)
        running++;
      else if (ping_attempt_done(&jobs[i], 127 << 8)) /* could not even start: a failed attempt */
        done[i] = TRUE, left--;
    }
    int st;
    for (guint i = 0; i < n; i++) {
      if (!pid[i] || (!hn_interrupted && !hn_reaped(pid[i], &st)))
        continue;
      if (hn_interrupted) {
        kill(pid[i], SIGKILL);
        st = hn_wait(pid[i]);
      }
      pid[i] = 0;
      running--;
      if (ping_attempt_done(&jobs[i], st) || hn_interrupted) {
        done[i] = TRUE;
        left--;
      }
    }
    if (hn_interrupted && running == 0) {
      for (guint i = 0; i < n; i++)
        if (!done[i])
          done[i] = TRUE, left--;
    }
    if (left > 0 && running > 0)
      g_usleep(5000); /* polling the children's exit */
  }
  g_free(pid);
  g_free(done);
}
