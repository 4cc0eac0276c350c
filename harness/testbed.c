/* testbed.c -- see testbed.h.
 *
 * Layout of a run with prefix P = "qh<harness pid>-":
 *   netns P"hub"      one bridge per medium (e.g. "ntkmedium"); ports named after
 *                     the systems; an nftables bridge table "qh_medium" drops
 *                     forwarding between ports unless an arc opened it (the
 *                     equivalent of sequence-netns.sh's ebtables FORWARD rules)
 *   netns P<system>   lo up, IPv6 disabled, eth1 = veth peer of the hub port,
 *                     documented MAC, down
 *   /etc/netns/P<system>/iproute2   copy of /etc/iproute2 (per-system rt_tables)
 *   /tmp/P"run"       control dirs and logs of the daemons
 * Creation is batched: one `ip -batch` for all namespaces, one in the hub for
 * bridges and veths, one `nft -f` for the medium filter.
 */
#define _GNU_SOURCE
#include "testbed.h"

#include "netfilter.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t hn_interrupted = 0;

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
  gboolean ok = g_spawn_sync(NULL, argv, NULL, fl, child_setns, path, out ? &o : NULL,
                             out ? &e : NULL, &status, &err);
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

gboolean
hn_run_in_system(const HnBed *bed, const char *real, const char *script, char **out)
{
  (void)bed;
  char *argv[] = { "ip", "netns", "exec", (char *)real, "sh", "-c", (char *)script, NULL };
  return hn_run(argv, NULL, out);
}

/* Run `ip [-n NS] -force -batch FILE` with the given lines. */
static gboolean
ip_batch(const HnBed *bed, const char *netns_real, const char *lines, gboolean force, char **out)
{
  char *file = g_build_filename(bed->run_dir, "batch.ip", NULL);
  GError *e = NULL;
  if (!g_file_set_contents(file, lines, -1, &e)) {
    if (out)
      *out = g_strdup(e->message);
    g_error_free(e);
    g_free(file);
    return FALSE;
  }
  char *argv[8];
  int i = 0;
  argv[i++] = "ip";
  if (netns_real) {
    argv[i++] = "-n";
    argv[i++] = (char *)netns_real;
  }
  if (force)
    argv[i++] = "-force";
  argv[i++] = "-batch";
  argv[i++] = file;
  argv[i] = NULL;
  gboolean ok = hn_run(argv, NULL, out);
  unlink(file);
  g_free(file);
  return ok;
}

static gboolean
nft_file(const HnBed *bed, const char *netns_real, const char *text, char **out)
{
  char *file = g_build_filename(bed->run_dir, "batch.nft", NULL);
  if (!g_file_set_contents(file, text, -1, NULL)) {
    g_free(file);
    return FALSE;
  }
  char *argv[] = { "nft", "-f", file, NULL };
  gboolean ok = hn_run(argv, netns_real, out);
  unlink(file);
  g_free(file);
  return ok;
}

HnBed *
hn_bed_new(HnWorld *w, gboolean verbose)
{
  HnBed *bed = g_new0(HnBed, 1);
  bed->world = w;
  bed->verbose = verbose;
  bed->prefix = g_strdup_printf("qh%d-", (int)getpid());
  bed->run_dir = g_strdup_printf("/tmp/%srun", bed->prefix);
  bed->hub = g_strdup_printf("%shub", bed->prefix);
  bed->nss = g_ptr_array_new();
  bed->created = g_ptr_array_new_with_free_func(g_free);
  bed->etc_dirs = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < w->systems->len; i++) {
    HnSystem *s = g_ptr_array_index(w->systems, i);
    HnNs *ns = g_new0(HnNs, 1);
    ns->name = g_strdup(s->name);
    ns->real = g_strconcat(bed->prefix, s->name, NULL);
    ns->sys = s;
    ns->sticky = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    ns->exit_status = -1;
    ns->control_dir = g_strdup_printf("%s/%s.ctl", bed->run_dir, s->name);
    ns->log_file = g_strdup_printf("%s/%s.log", bed->run_dir, s->name);
    ns->out_file = g_strdup_printf("%s/%s.out", bed->run_dir, s->name);
    g_ptr_array_add(bed->nss, ns);
  }
  return bed;
}

HnNs *
hn_bed_ns(HnBed *bed, const char *name)
{
  for (guint i = 0; i < bed->nss->len; i++) {
    HnNs *ns = g_ptr_array_index(bed->nss, i);
    if (!strcmp(ns->name, name))
      return ns;
  }
  return NULL;
}

static gboolean
write_file(const char *path, const char *value)
{
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return FALSE;
  ssize_t n = write(fd, value, strlen(value));
  close(fd);
  return n == (ssize_t)strlen(value);
}

/* Inside the namespace: IPv6 off (not part of the documented scenario),
 * optionally lo up, bridge-netfilter off. */
static gboolean
prepare_ns(const char *real, gboolean lo_up, gboolean hub, GError **error)
{
  int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  char *path = g_strdup_printf("/run/netns/%s", real);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  g_free(path);
  gboolean ok = TRUE;
  if (self < 0 || fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot enter netns %s: %s",
                real, g_strerror(errno));
    if (fd >= 0)
      close(fd);
    if (self >= 0)
      close(self);
    return FALSE;
  }
  close(fd);
  if (!write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1") ||
      !write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1")) {
    /* kernels without IPv6 have no such files: nothing to disable */
  }
  if (hub) {
    write_file("/proc/sys/net/bridge/bridge-nf-call-iptables", "0");
    write_file("/proc/sys/net/bridge/bridge-nf-call-arptables", "0");
    write_file("/proc/sys/net/bridge/bridge-nf-call-ip6tables", "0");
  }
  if (lo_up) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    g_strlcpy(ifr.ifr_name, "lo", sizeof ifr.ifr_name);
    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0 ||
        (ifr.ifr_flags |= IFF_UP, ioctl(s, SIOCSIFFLAGS, &ifr) < 0)) {
      g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "netns %s: lo up: %s", real,
                  g_strerror(errno));
      ok = FALSE;
    }
    if (s >= 0)
      close(s);
  }
  if (setns(self, CLONE_NEWNET) < 0) {
    /* cannot happen; never keep running in a test namespace */
    perror("qspn-harness: setns back to the initial netns");
    _exit(3);
  }
  close(self);
  return ok;
}

static gboolean
copy_tree(const char *src, const char *dst, GError **error)
{
  if (g_mkdir_with_parents(dst, 0755) < 0) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "mkdir %s: %s", dst,
                g_strerror(errno));
    return FALSE;
  }
  GDir *d = g_dir_open(src, 0, NULL);
  if (!d)
    return TRUE;
  const char *n;
  gboolean ok = TRUE;
  while (ok && (n = g_dir_read_name(d))) {
    char *s = g_build_filename(src, n, NULL), *t = g_build_filename(dst, n, NULL);
    if (g_file_test(s, G_FILE_TEST_IS_DIR)) {
      ok = copy_tree(s, t, error);
    } else if (g_file_test(s, G_FILE_TEST_IS_REGULAR)) {
      char *c = NULL;
      gsize len = 0;
      ok = g_file_get_contents(s, &c, &len, error) && g_file_set_contents(t, c, len, error);
      g_free(c);
    }
    g_free(s);
    g_free(t);
  }
  g_dir_close(d);
  return ok;
}

gboolean
hn_bed_build(HnBed *bed, GError **error)
{
  HnWorld *w = bed->world;
  char *out = NULL;
  if (g_mkdir_with_parents(bed->run_dir, 0700) < 0) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "mkdir %s: %s", bed->run_dir,
                g_strerror(errno));
    return FALSE;
  }
  if (!g_file_test("/etc/netns", G_FILE_TEST_IS_DIR)) {
    if (mkdir("/etc/netns", 0755) == 0)
      bed->created_etc_root = TRUE;
  }

  /* 1. namespaces, one ip process */
  GString *b = g_string_new(NULL);
  g_ptr_array_add(bed->created, g_strdup(bed->hub));
  g_string_append_printf(b, "netns add %s\n", bed->hub);
  for (guint i = 0; i < bed->nss->len; i++) {
    HnNs *ns = g_ptr_array_index(bed->nss, i);
    g_ptr_array_add(bed->created, g_strdup(ns->real));
    g_string_append_printf(b, "netns add %s\n", ns->real);
  }
  gboolean ok = ip_batch(bed, NULL, b->str, FALSE, &out);
  g_string_free(b, TRUE);
  if (!ok) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "ip netns add: %s", out);
    g_free(out);
    return FALSE;
  }
  g_free(out);

  /* 2. per-namespace settings (in process: setns + /proc/sys + ioctl) */
  if (!prepare_ns(bed->hub, FALSE, TRUE, error))
    return FALSE;
  for (guint i = 0; i < bed->nss->len; i++) {
    HnNs *ns = g_ptr_array_index(bed->nss, i);
    if (!prepare_ns(ns->real, ns->sys->lo_up, FALSE, error))
      return FALSE;
    char *dir = g_strdup_printf("/etc/netns/%s", ns->real);
    char *ipr = g_build_filename(dir, "iproute2", NULL);
    g_ptr_array_add(bed->etc_dirs, dir);
    if (!copy_tree("/etc/iproute2", ipr, error)) {
      g_free(ipr);
      return FALSE;
    }
    char *rt = g_build_filename(ipr, "rt_tables", NULL);
    if (!g_file_test(rt, G_FILE_TEST_EXISTS))
      g_file_set_contents(rt, "255\tlocal\n254\tmain\n253\tdefault\n0\tunspec\n", -1, NULL);
    g_free(rt);
    g_free(ipr);
  }

  /* 3. hub: bridges and veths (system end: name, MAC, moved into the system) */
  b = g_string_new(NULL);
  for (guint i = 0; i < w->media->len; i++) {
    HnMedium *m = g_ptr_array_index(w->media, i);
    g_string_append_printf(b, "link add name %s type bridge stp_state 0 forward_delay 0\n", m->name);
    g_string_append_printf(b, "link set dev %s up\n", m->name);
  }
  for (guint i = 0; i < bed->nss->len; i++) {
    HnNs *ns = g_ptr_array_index(bed->nss, i);
    for (guint j = 0; j < ns->sys->ifaces->len; j++) {
      HnIface *f = g_ptr_array_index(ns->sys->ifaces, j);
      g_string_append_printf(b, "link add name %s type veth peer name %s address %s netns %s\n",
                             f->port, f->name, f->mac, ns->real);
      g_string_append_printf(b, "link set dev %s master %s up\n", f->port, f->medium);
    }
  }
  ok = ip_batch(bed, bed->hub, b->str, FALSE, &out);
  g_string_free(b, TRUE);
  if (!ok) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "hub links: %s", out);
    g_free(out);
    return FALSE;
  }
  g_free(out);

  /* 4. medium filter: forward only between ports joined by an arc */
  b = g_string_new("table bridge qh_medium {\n  chain forward {\n"
                   "    type filter hook forward priority 0; policy drop;\n");
  for (guint i = 0; i < w->media->len; i++) {
    HnMedium *m = g_ptr_array_index(w->media, i);
    if (m->filter)
      continue;
    /* flat medium: every pair of its ports */
    for (guint x = 0; x < bed->nss->len; x++) {
      HnNs *nx = g_ptr_array_index(bed->nss, x);
      for (guint xi = 0; xi < nx->sys->ifaces->len; xi++) {
        HnIface *fx = g_ptr_array_index(nx->sys->ifaces, xi);
        if (strcmp(fx->medium, m->name))
          continue;
        g_string_append_printf(b, "    iifname \"%s\" accept\n", fx->port);
      }
    }
  }
  g_string_append(b, "  }\n}\n");
  ok = nft_file(bed, bed->hub, b->str, &out);
  g_string_free(b, TRUE);
  if (!ok) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "hub nft filter: %s", out);
    g_free(out);
    return FALSE;
  }
  g_free(out);
  return TRUE;
}

gboolean
hn_bed_arc(HnBed *bed, const char *a, const char *b, GError **error)
{
  HnSystem *sa = hn_world_system(bed->world, a), *sb = hn_world_system(bed->world, b);
  GString *t = g_string_new(NULL);
  for (guint i = 0; sa && sb && i < sa->ifaces->len; i++) {
    HnIface *fa = g_ptr_array_index(sa->ifaces, i);
    for (guint j = 0; j < sb->ifaces->len; j++) {
      HnIface *fb = g_ptr_array_index(sb->ifaces, j);
      if (strcmp(fa->medium, fb->medium))
        continue;
      g_string_append_printf(t, "add rule bridge qh_medium forward iifname \"%s\" oifname \"%s\" accept\n",
                             fa->port, fb->port);
      g_string_append_printf(t, "add rule bridge qh_medium forward iifname \"%s\" oifname \"%s\" accept\n",
                             fb->port, fa->port);
    }
  }
  if (t->len == 0) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "arc %s %s: no common medium", a, b);
    g_string_free(t, TRUE);
    return FALSE;
  }
  char *out = NULL;
  gboolean ok = nft_file(bed, bed->hub, t->str, &out);
  if (!ok)
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "arc %s %s: %s", a, b, out);
  g_free(out);
  g_string_free(t, TRUE);
  return ok;
}

gboolean
hn_ns_daemon_alive(HnNs *ns)
{
  if (ns->pid <= 0)
    return FALSE;
  if (ns->exit_status != -1)
    return FALSE;
  int st;
  pid_t r = waitpid(ns->pid, &st, WNOHANG);
  if (r == ns->pid) {
    ns->exit_status = st;
    return FALSE;
  }
  return TRUE;
}

void
hn_ns_daemon_kill(HnNs *ns, double grace)
{
  if (!hn_ns_daemon_alive(ns))
    return;
  kill(ns->pid, SIGTERM);
  double end = hn_now() + grace;
  while (hn_now() < end) {
    if (!hn_ns_daemon_alive(ns))
      return;
    struct timespec ts = { 0, 20 * 1000 * 1000 };
    nanosleep(&ts, NULL);
  }
  if (hn_ns_daemon_alive(ns)) {
    kill(ns->pid, SIGKILL);
    int st;
    if (waitpid(ns->pid, &st, 0) == ns->pid)
      ns->exit_status = st;
  }
}

static void
rm_rf(const char *path)
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
        rm_rf(c);
        g_free(c);
      }
      g_dir_close(d);
    }
    rmdir(path);
  } else {
    unlink(path);
  }
}

/* Delete namespaces by name: one `ip -force -batch`, then unmount/unlink
 * whatever is still there. */
static void
delete_netns(const char *run_dir, GPtrArray *names)
{
  if (names->len == 0)
    return;
  GString *b = g_string_new(NULL);
  for (guint i = names->len; i-- > 0;)
    g_string_append_printf(b, "netns del %s\n", (char *)g_ptr_array_index(names, i));
  char *file = g_strdup_printf("%s/teardown-%d.ip", run_dir && g_file_test(run_dir, G_FILE_TEST_IS_DIR) ? run_dir : "/tmp", (int)getpid());
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

void
hn_bed_teardown(HnBed *bed, gboolean keep)
{
  /* daemons first: a process keeps its namespace alive */
  for (guint i = 0; i < bed->nss->len; i++)
    hn_ns_daemon_kill(g_ptr_array_index(bed->nss, i), 5.0);
  if (keep) {
    printf("--keep: namespaces %s*, /etc/netns/%s* and %s left in place; inspect with\n"
           "  ip netns exec %salfa ip route show table all   (etc.)\n"
           "and remove them with: qspn-harness sweep   (once this run has exited)\n",
           bed->prefix, bed->prefix, bed->run_dir, bed->prefix);
    return;
  }
  delete_netns(bed->run_dir, bed->created);
  for (guint i = 0; i < bed->etc_dirs->len; i++)
    rm_rf(g_ptr_array_index(bed->etc_dirs, i));
  if (bed->created_etc_root)
    rmdir("/etc/netns");
  rm_rf(bed->run_dir);
}

void
hn_bed_free(HnBed *bed)
{
  if (!bed)
    return;
  for (guint i = 0; i < bed->nss->len; i++) {
    HnNs *ns = g_ptr_array_index(bed->nss, i);
    g_free(ns->name);
    g_free(ns->real);
    g_hash_table_destroy(ns->sticky);
    g_free(ns->control_dir);
    g_free(ns->log_file);
    g_free(ns->out_file);
    g_free(ns->prestart);
    g_free(ns);
  }
  g_ptr_array_free(bed->nss, TRUE);
  g_ptr_array_free(bed->created, TRUE);
  g_ptr_array_free(bed->etc_dirs, TRUE);
  g_free(bed->prefix);
  g_free(bed->run_dir);
  g_free(bed->hub);
  g_free(bed);
}

/* ------------------------------------------------------------------ dump */

static const char DUMP_SCRIPT[] =
  "exec 2>&1\n"
  "echo '### ip route show table all'; ip route show table all\n"
  "echo '### ip rule'; ip rule\n"
  "echo '### ip addr'; ip addr\n"
  "echo '@@@ iptables-save'; iptables-save 2>/dev/null\n"
  "echo '@@@ nft'; nft list table ip qspnd 2>/dev/null\n"
  "echo '@@@ end'\n";
static const char DUMP_RT[] =
  "echo '### rt_tables (non-comment lines)'; "
  "grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' /etc/iproute2/rt_tables\n";

static char *
assemble(const char *raw, GHashTable *sticky)
{
  const char *ipt = strstr(raw, "@@@ iptables-save\n");
  const char *nft = ipt ? strstr(ipt, "@@@ nft\n") : NULL;
  const char *end = nft ? strstr(nft, "@@@ end\n") : NULL;
  if (!ipt || !nft || !end)
    return g_strconcat(raw, "### (dump incomplete)\n", NULL);
  char *ipt_text = g_strndup(ipt + strlen("@@@ iptables-save\n"), nft - ipt - strlen("@@@ iptables-save\n"));
  char *nft_text = g_strndup(nft + strlen("@@@ nft\n"), end - nft - strlen("@@@ nft\n"));
  char *canon = hn_netfilter_canonical(ipt_text, nft_text, sticky);
  GString *o = g_string_new_len(raw, ipt - raw);
  g_string_append(o, "### iptables-save\n");
  g_string_append(o, canon);
  g_string_append(o, end + strlen("@@@ end\n"));
  g_free(canon);
  g_free(ipt_text);
  g_free(nft_text);
  return g_string_free(o, FALSE);
}

char **
hn_bed_dump(HnBed *bed, HnNs **nss, guint n, gboolean use_sticky)
{
  (void)bed;
  GPid *pids = g_new0(GPid, n);
  int *fds = g_new0(int, n);
  char **res = g_new0(char *, n + 1);
  for (guint i = 0; i < n; i++) {
    char *script = g_strconcat(DUMP_SCRIPT, nss[i]->sys ? DUMP_RT : "", NULL);
    char *argv[] = { "ip", "netns", "exec", nss[i]->real, "sh", "-c", script, NULL };
    GError *e = NULL;
    fds[i] = -1;
    if (!g_spawn_async_with_pipes(NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                                  NULL, NULL, &pids[i], NULL, &fds[i], NULL, &e)) {
      res[i] = g_strdup_printf("### dump failed: %s\n", e->message);
      g_error_free(e);
      pids[i] = 0;
    }
    g_free(script);
  }
  for (guint i = 0; i < n; i++) {
    if (fds[i] < 0)
      continue;
    GString *s = g_string_new(NULL);
    char buf[8192];
    ssize_t r;
    while ((r = read(fds[i], buf, sizeof buf)) != 0) {
      if (r < 0) {
        if (errno == EINTR)
          continue;
        break;
      }
      g_string_append_len(s, buf, r);
    }
    close(fds[i]);
    int st;
    while (waitpid(pids[i], &st, 0) < 0 && errno == EINTR)
      ;
    res[i] = assemble(s->str, use_sticky ? nss[i]->sticky : NULL);
    g_string_free(s, TRUE);
  }
  g_free(pids);
  g_free(fds);
  return res;
}

/* ----------------------------------------------------------------- sweep */

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
        rm_rf(p);
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
    delete_netns(NULL, names);
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
