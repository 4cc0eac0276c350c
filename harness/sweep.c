/* sweep.c -- removal of namespaces, the orphan sweep and leftover checks
 * (docs/harness.md "End of the run"). */
#include "testbed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

GPtrArray *
hn_list_netns(void)
{
  return hn_dir_names("/run/netns");
}

/* Delete namespaces by name, in the given order: one `ip -force -batch`,
 * then unmount/unlink whatever is still there. */
void
hn_delete_netns(const char *run_dir, GPtrArray *names)
{
  if (names->len == 0)
    return;
  GString *b = g_string_new(NULL);
  for (guint i = 0; i < names->len; i++)
    g_string_append_printf(b, "netns del %s\n", (char *)g_ptr_array_index(names, i));
  const char *dir = run_dir && g_file_test(run_dir, G_FILE_TEST_IS_DIR) ? run_dir : "/tmp";
  char *file = g_strdup_printf("%s/teardown-%d.ip", dir, (int)getpid());
  if (g_file_set_contents(file, b->str, -1, NULL)) {
    char *argv[] = { "ip", "-force", "-batch", file, NULL };
    hn_run(argv, NULL, NULL);
    unlink(file);
  }
  g_free(file);
  g_string_free(b, TRUE);
  for (guint i = 0; i < names->len; i++) {
    char *p = g_strdup_printf("/run/netns/%s", (char *)g_ptr_array_index(names, i));
    if (g_file_test(p, G_FILE_TEST_EXISTS)) {
      umount2(p, MNT_DETACH);
      unlink(p);
    }
    g_free(p);
  }
}


/* Is pid a live qspn-harness process? */
static gboolean
harness_alive(long pid)
{
  if (pid <= 0 || kill((pid_t)pid, 0) < 0)
    return errno == EPERM;
  char *p = g_strdup_printf("/proc/%ld/comm", pid), *c = NULL;
  gboolean alive = TRUE;
  if (g_file_get_contents(p, &c, NULL, NULL))
    alive = g_str_has_prefix(c, "qspn-harness");
  g_free(p);
  g_free(c);
  return alive;
}

/* "qh<digits>-..." -> pid, else -1 */
static long
prefix_pid(const char *name)
{
  if (!g_str_has_prefix(name, "qh"))
    return -1;
  char *end = NULL;
  long pid = strtol(name + 2, &end, 10);
  if (end == name + 2 || *end != '-')
    return -1;
  return pid;
}

/* Kill (by PID) every process whose netns is the file at path, or whose
 * command line mentions needle. */
static int
kill_processes_of(const char *nspath, const char *needle, gboolean verbose)
{
  struct stat nst;
  gboolean have_ns = nspath && stat(nspath, &nst) == 0;
  int killed = 0;
  GDir *d = g_dir_open("/proc", 0, NULL);
  if (!d)
    return 0;
  const char *n;
  pid_t self = getpid();
  while ((n = g_dir_read_name(d))) {
    char *end;
    long pid = strtol(n, &end, 10);
    if (*end || pid <= 1 || pid == self)
      continue;
    gboolean match = FALSE;
    if (have_ns) {
      char *p = g_strdup_printf("/proc/%ld/ns/net", pid);
      struct stat st;
      if (stat(p, &st) == 0 && st.st_ino == nst.st_ino && st.st_dev == nst.st_dev)
        match = TRUE;
      g_free(p);
    }
    if (!match && needle) {
      char *p = g_strdup_printf("/proc/%ld/cmdline", pid), *c = NULL;
      gsize len = 0;
      if (g_file_get_contents(p, &c, &len, NULL)) {
        for (gsize i = 0; i + 1 < len; i++)
          if (c[i] == '\0')
            c[i] = ' ';
        match = strstr(c, needle) != NULL;
      }
      g_free(p);
      g_free(c);
    }
    if (match) {
      if (verbose)
        printf("sweep: killing process %ld (left by a dead harness run)\n", pid);
      kill((pid_t)pid, SIGTERM);
      for (int i = 0; i < 50 && kill((pid_t)pid, 0) == 0; i++)
        g_usleep(20000);
      kill((pid_t)pid, SIGKILL);
      killed++;
    }
  }
  g_dir_close(d);
  return killed;
}

int
hn_sweep(gboolean verbose)
{
  int removed = 0;
  GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
  GHashTable *dead = g_hash_table_new(g_direct_hash, g_direct_equal);
  const char *dirs[] = { "/run/netns", "/etc/netns", "/tmp", NULL };
  for (int k = 0; dirs[k]; k++) {
    GDir *d = g_dir_open(dirs[k], 0, NULL);
    if (!d)
      continue;
    const char *n;
    while ((n = g_dir_read_name(d))) {
      long pid = prefix_pid(n);
      if (pid < 0 || harness_alive(pid))
        continue;
      if (k == 2 && !g_str_has_suffix(n, "-run"))
        continue;
      g_hash_table_add(dead, GINT_TO_POINTER((int)pid));
      if (k == 0) {
        char *p = g_strdup_printf("/run/netns/%s", n), *needle = g_strdup_printf("/tmp/qh%ld-run", pid);
        removed += kill_processes_of(p, needle, verbose);
        g_free(p);
        g_free(needle);
        g_ptr_array_add(names, g_strdup(n));
      } else {
        char *p = g_build_filename(dirs[k], n, NULL);
        if (verbose)
          printf("sweep: removing %s\n", p);
        hn_rm_rf(p);
        removed++;
        g_free(p);
      }
    }
    g_dir_close(d);
  }
  if (names->len > 0) {
    for (guint i = 0; i < names->len; i++)
      if (verbose)
        printf("sweep: removing netns %s\n", (char *)g_ptr_array_index(names, i));
    hn_delete_netns(NULL, names);
    removed += names->len;
  }
  /* daemons of dead runs whose namespace is already gone */
  GHashTableIter it;
  gpointer k;
  g_hash_table_iter_init(&it, dead);
  while (g_hash_table_iter_next(&it, &k, NULL)) {
    char *needle = g_strdup_printf("/tmp/qh%d-run", GPOINTER_TO_INT(k));
    removed += kill_processes_of(NULL, needle, verbose);
    g_free(needle);
  }
  g_hash_table_destroy(dead);
  g_ptr_array_free(names, TRUE);
  return removed;
}

GPtrArray *
hn_leftovers(const char *prefix)
{
  GPtrArray *res = g_ptr_array_new_with_free_func(g_free);
  const char *dirs[] = { "/run/netns", "/etc/netns", "/tmp", NULL };
  for (int k = 0; dirs[k]; k++) {
    GDir *d = g_dir_open(dirs[k], 0, NULL);
    if (!d)
      continue;
    const char *n;
    while ((n = g_dir_read_name(d)))
      if (g_str_has_prefix(n, prefix))
        g_ptr_array_add(res, g_build_filename(dirs[k], n, NULL));
    g_dir_close(d);
  }
  return res;
}
