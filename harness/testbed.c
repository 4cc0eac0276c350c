/* testbed.c -- see testbed.h.
 *
 * Layout of a run with prefix P = "qh<harness pid>-":
 *   netns P"hub"      one bridge per medium (e.g. "ntkmedium"); ports named after
 *                     the systems; an nftables bridge table "qh_medium" drops
 *                     forwarding between ports unless an arc opened it (the
 *                     equivalent of sequence-netns.sh's ebtables FORWARD rules)
 *   netns P<system>   lo up, IPv6 disabled, eth1 = veth peer of the hub port,
 *                     documented MAC, down
 *   netns P<system>-<NAME>  identity namespaces (qspnd's, or the replay's ns_add)
 *   /etc/netns/P<system>/iproute2   copy of /etc/iproute2 (per-system rt_tables)
 *   /tmp/P"run"       control dirs and logs of the daemons
 * Creation is batched: one `ip -batch` for all namespaces, one in the hub for
 * bridges and veths, one `nft -f` for the medium filter.
 */
#define _GNU_SOURCE
#include "testbed.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

gboolean
hn_run_in_system(const char *real, const char *script, char **out)
{
  char *argv[] = { "ip", "netns", "exec", (char *)real, "sh", "-c", (char *)script, NULL };
  return hn_run(argv, NULL, out);
}

/* Write `text` to run_dir/name and run argv with "@FILE@" replaced by it. */
static gboolean
run_with_file(const HnBed *bed, const char *name, const char *text, char **argv, const char *netns, char **out)
{
  char *file = g_build_filename(bed->run_dir, name, NULL);
  GError *e = NULL;
  gboolean ok = g_file_set_contents(file, text, -1, &e);
  if (!ok) {
    *out = g_strdup(e->message);
    g_error_free(e);
  } else {
    for (char **a = argv; *a; a++)
      if (!strcmp(*a, "@FILE@"))
        *a = file;
    ok = hn_run(argv, netns, out);
    unlink(file);
  }
  g_free(file);
  return ok;
}

static gboolean
ip_batch(const HnBed *bed, const char *netns_real, const char *lines, char **out)
{
  char *in_ns[] = { "ip", "-n", (char *)netns_real, "-batch", "@FILE@", NULL };
  char *here[] = { "ip", "-batch", "@FILE@", NULL };
  return run_with_file(bed, "batch.ip", lines, netns_real ? in_ns : here, NULL, out);
}

static gboolean
nft_file(const HnBed *bed, const char *netns_real, const char *text, char **out)
{
  char *argv[] = { "nft", "-f", "@FILE@", NULL };
  return run_with_file(bed, "batch.nft", text, argv, netns_real, out);
}

static HnNs *
ns_new(HnBed *bed, const char *name, HnSystem *sys, HnNs *parent)
{
  HnNs *ns = g_new0(HnNs, 1);
  ns->name = g_strdup(name);
  ns->real = g_strconcat(bed->prefix, name, NULL);
  ns->sys = sys;
  ns->parent = parent;
  ns->sticky = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  ns->exit_status = -1;
  if (!parent) {
    ns->control_dir = g_strdup_printf("%s/%s.ctl", bed->run_dir, name);
    ns->log_file = g_strdup_printf("%s/%s.log", bed->run_dir, name);
    ns->out_file = g_strdup_printf("%s/%s.out", bed->run_dir, name);
  }
  return ns;
}

static void
ns_free(gpointer p)
{
  HnNs *ns = p;
  g_free(ns->name);
  g_free(ns->real);
  g_hash_table_destroy(ns->sticky);
  g_free(ns->control_dir);
  g_free(ns->log_file);
  g_free(ns->out_file);
  g_free(ns->prestart);
  g_free(ns);
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
  bed->nss = g_ptr_array_new_with_free_func(ns_free);
  bed->idns = g_ptr_array_new_with_free_func(ns_free);
  bed->created = g_ptr_array_new_with_free_func(g_free);
  bed->etc_dirs = g_ptr_array_new_with_free_func(g_free);
  bed->open = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  bed->cut = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < w->systems->len; i++) {
    HnSystem *s = g_ptr_array_index(w->systems, i);
    g_ptr_array_add(bed->nss, ns_new(bed, s->name, s, NULL));
  }
  return bed;
}

HnNs *
hn_bed_ns(HnBed *bed, const char *name)
{
  GPtrArray *lists[] = { bed->nss, bed->idns };
  for (int k = 0; k < 2; k++)
    for (guint i = 0; i < lists[k]->len; i++) {
      HnNs *ns = g_ptr_array_index(lists[k], i);
      if (!strcmp(ns->name, name))
        return ns;
    }
  return NULL;
}

GPtrArray *
hn_bed_all(HnBed *bed)
{
  GPtrArray *a = g_ptr_array_new();
  for (guint i = 0; i < bed->nss->len; i++)
    g_ptr_array_add(a, g_ptr_array_index(bed->nss, i));
  for (guint i = 0; i < bed->idns->len; i++)
    g_ptr_array_add(a, g_ptr_array_index(bed->idns, i));
  return a;
}

static gint
cmp_ns(gconstpointer a, gconstpointer b)
{
  return strcmp((*(HnNs *const *)a)->name, (*(HnNs *const *)b)->name);
}

void
hn_bed_refresh_identities(HnBed *bed)
{
  GPtrArray *names = hn_list_netns();
  /* drop the vanished */
  for (guint i = bed->idns->len; i-- > 0;) {
    HnNs *ns = g_ptr_array_index(bed->idns, i);
    if (!hn_str_in(names, ns->real))
      g_ptr_array_remove_index(bed->idns, i);
  }
  size_t pl = strlen(bed->prefix);
  for (guint i = 0; i < names->len; i++) {
    const char *real = g_ptr_array_index(names, i);
    if (strncmp(real, bed->prefix, pl) || hn_bed_ns(bed, real + pl) || !strcmp(real, bed->hub))
      continue;
    HnSystem *s = hn_world_identity_system(bed->world, real + pl);
    if (s)
      g_ptr_array_add(bed->idns, ns_new(bed, real + pl, s, hn_bed_ns(bed, s->name)));
  }
  g_ptr_array_sort(bed->idns, cmp_ns);
  g_ptr_array_free(names, TRUE);
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

static gboolean
lo_up(const char *real, GError **error)
{
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  g_strlcpy(ifr.ifr_name, "lo", sizeof ifr.ifr_name);
  gboolean ok = s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0 &&
                (ifr.ifr_flags |= IFF_UP, ioctl(s, SIOCSIFFLAGS, &ifr) == 0);
  if (!ok)
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "netns %s: lo up: %s", real, g_strerror(errno));
  if (s >= 0)
    close(s);
  return ok;
}

/* Inside the namespace: IPv6 off (not part of the documented scenario),
 * optionally lo up, bridge-netfilter off (hub). */
static gboolean
prepare_ns(const char *real, gboolean want_lo_up, gboolean hub, GError **error)
{
  int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  char *path = g_strdup_printf("/run/netns/%s", real);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  g_free(path);
  if (self < 0 || fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot enter netns %s: %s", real,
                g_strerror(errno));
    if (fd >= 0)
      close(fd);
    if (self >= 0)
      close(self);
    return FALSE;
  }
  close(fd);
  /* kernels without IPv6 have no such files: nothing to disable */
  write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
  write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
  if (hub) {
    write_file("/proc/sys/net/bridge/bridge-nf-call-iptables", "0");
    write_file("/proc/sys/net/bridge/bridge-nf-call-arptables", "0");
    write_file("/proc/sys/net/bridge/bridge-nf-call-ip6tables", "0");
  }
  gboolean ok = !want_lo_up || lo_up(real, error);
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
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "mkdir %s: %s", dst, g_strerror(errno));
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

static gboolean
fail_out(GError **error, const char *what, char *out)
{
  g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: %s", what, out ? g_strchomp(out) : "");
  g_free(out);
  return FALSE;
}

/* 1. namespaces (one ip process) and their settings, /etc/netns copies */
static gboolean
build_namespaces(HnBed *bed, GError **error)
{
  char *out = NULL;
  GString *b = g_string_new(NULL);
  g_ptr_array_add(bed->created, g_strdup(bed->hub));
  g_string_append_printf(b, "netns add %s\n", bed->hub);
  for (guint i = 0; i < bed->nss->len; i++) {
    HnNs *ns = g_ptr_array_index(bed->nss, i);
    g_ptr_array_add(bed->created, g_strdup(ns->real));
    g_string_append_printf(b, "netns add %s\n", ns->real);
  }
  gboolean ok = ip_batch(bed, NULL, b->str, &out);
  g_string_free(b, TRUE);
  if (!ok)
    return fail_out(error, "ip netns add", out);
  g_free(out);
  if (!prepare_ns(bed->hub, FALSE, TRUE, error))
    return FALSE;
  for (guint i = 0; i < bed->nss->len; i++) {
    HnNs *ns = g_ptr_array_index(bed->nss, i);
    if (!prepare_ns(ns->real, ns->sys->lo_up, FALSE, error))
      return FALSE;
    char *dir = g_strdup_printf("/etc/netns/%s", ns->real);
    char *ipr = g_build_filename(dir, "iproute2", NULL);
    char *rt = g_build_filename(ipr, "rt_tables", NULL);
    g_ptr_array_add(bed->etc_dirs, dir);
    /* rt_tables: the reserved values only, as in the documented initial state,
     * whatever another program may have appended to the host's file */
    ok = copy_tree("/etc/iproute2", ipr, error);
    /* a new file, not a replaced one: glib fsyncs only what it replaces */
    unlink(rt);
    ok = ok && g_file_set_contents(rt, "#\n# reserved values\n#\n255\tlocal\n254\tmain\n253\tdefault\n0\tunspec\n",
                                   -1, error);
    g_free(rt);
    g_free(ipr);
    if (!ok)
      return FALSE;
  }
  return TRUE;
}

/* 2. hub: bridges, veths (system end: name, MAC, moved into the system), and
 * the medium filter: arcs (filter media) and cuts (flat media) are sets of
 * "input port . output port" pairs. */
static gboolean
build_hub(HnBed *bed, GError **error)
{
  HnWorld *w = bed->world;
  char *out = NULL;
  GString *b = g_string_new(NULL);
  GString *flat = g_string_new(NULL);
  for (guint i = 0; i < w->media->len; i++) {
    HnMedium *m = g_ptr_array_index(w->media, i);
    g_string_append_printf(b, "link add name %s type bridge stp_state 0 forward_delay 0\n", m->name);
    g_string_append_printf(b, "link set dev %s up\n", m->name);
  }
  for (guint i = 0; i < bed->nss->len; i++) {
    HnNs *ns = g_ptr_array_index(bed->nss, i);
    for (guint j = 0; j < ns->sys->ifaces->len; j++) {
      HnIface *f = g_ptr_array_index(ns->sys->ifaces, j);
      g_string_append_printf(b, "link add name %s type veth peer name %s address %s netns %s\n", f->port,
                             f->name, f->mac, ns->real);
      g_string_append_printf(b, "link set dev %s master %s up\n", f->port, f->medium);
      if (!hn_world_medium(w, f->medium)->filter)
        g_string_append_printf(flat, "    iifname \"%s\" accept\n", f->port);
    }
  }
  gboolean ok = ip_batch(bed, bed->hub, b->str, &out);
  g_string_free(b, TRUE);
  if (!ok) {
    g_string_free(flat, TRUE);
    return fail_out(error, "hub links", out);
  }
  g_free(out);
  char *t = g_strdup_printf("table bridge qh_medium {\n"
                            "  set arcs { type ifname . ifname; }\n"
                            "  set cuts { type ifname . ifname; }\n"
                            "  chain forward {\n"
                            "    type filter hook forward priority 0; policy drop;\n"
                            "    iifname . oifname @cuts drop\n"
                            "    iifname . oifname @arcs accept\n%s  }\n}\n",
                            flat->str);
  g_string_free(flat, TRUE);
  ok = nft_file(bed, bed->hub, t, &out);
  g_free(t);
  if (!ok)
    return fail_out(error, "hub nft filter", out);
  g_free(out);
  return TRUE;
}

gboolean
hn_bed_build(HnBed *bed, GError **error)
{
  if (g_mkdir_with_parents(bed->run_dir, 0700) < 0) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "mkdir %s: %s", bed->run_dir,
                g_strerror(errno));
    return FALSE;
  }
  if (!g_file_test("/etc/netns", G_FILE_TEST_IS_DIR) && mkdir("/etc/netns", 0755) == 0)
    bed->created_etc_root = TRUE;
  return build_namespaces(bed, error) && build_hub(bed, error);
}

typedef struct {
  GHashTable *set; /* bed->open (filter medium) or bed->cut (flat medium) */
  gboolean add;
  char *k1, *k2;   /* "A>B", "B>A" */
} PairOp;

static void
pair_op_free(gpointer p)
{
  PairOp *o = p;
  g_free(o->k1);
  g_free(o->k2);
  g_free(o);
}

/* The nft set operations that open (arc) or close (cut) every interface pair
 * of a and b on a common medium: on a filter medium an arc adds the pair to
 * @arcs and a cut deletes it; on a flat medium a cut adds it to @cuts and an
 * arc deletes it.  FALSE when there is no common medium or a cut finds the
 * medium already closed. */
static gboolean
pair_ops(HnBed *bed, const char *a, const char *b, gboolean open, GPtrArray *ops, GString *nft, GError **error)
{
  HnSystem *sa = hn_world_system(bed->world, a), *sb = hn_world_system(bed->world, b);
  gboolean common = FALSE;
  for (guint i = 0; sa && sb && i < sa->ifaces->len; i++) {
    HnIface *fa = g_ptr_array_index(sa->ifaces, i);
    for (guint j = 0; j < sb->ifaces->len; j++) {
      HnIface *fb = g_ptr_array_index(sb->ifaces, j);
      if (strcmp(fa->medium, fb->medium))
        continue;
      common = TRUE;
      gboolean filter = hn_world_medium(bed->world, fa->medium)->filter;
      PairOp *o = g_new0(PairOp, 1);
      o->set = filter ? bed->open : bed->cut;
      o->add = filter == open;
      o->k1 = g_strdup_printf("%s>%s", fa->port, fb->port);
      o->k2 = g_strdup_printf("%s>%s", fb->port, fa->port);
      gboolean present = g_hash_table_contains(o->set, o->k1);
      gboolean is_open = filter ? present : !present;
      if (!open && !is_open) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cut %s %s: medium %s is not open between them",
                    a, b, fa->medium);
        pair_op_free(o);
        return FALSE;
      }
      if (!o->add && !present) { /* arc on an open flat medium: nothing to do */
        pair_op_free(o);
        continue;
      }
      g_string_append_printf(nft, "%s element bridge qh_medium %s { \"%s\" . \"%s\", \"%s\" . \"%s\" }\n",
                             o->add ? "add" : "delete", filter ? "arcs" : "cuts", fa->port, fb->port, fb->port,
                             fa->port);
      g_ptr_array_add(ops, o);
    }
  }
  if (!common)
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s %s %s: no common medium", open ? "arc" : "cut", a, b);
  return common;
}

static gboolean
medium_between(HnBed *bed, const char *a, const char *b, gboolean open, GError **error)
{
  GPtrArray *ops = g_ptr_array_new_with_free_func(pair_op_free);
  GString *nft = g_string_new(NULL);
  char *out = NULL;
  gboolean ok = pair_ops(bed, a, b, open, ops, nft, error);
  if (ok && nft->len > 0 && !nft_file(bed, bed->hub, nft->str, &out)) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s %s %s: %s", open ? "arc" : "cut", a, b,
                out ? g_strchomp(out) : "");
    ok = FALSE;
  }
  for (guint i = 0; ok && i < ops->len; i++) {
    PairOp *o = g_ptr_array_index(ops, i);
    if (o->add) {
      g_hash_table_add(o->set, g_strdup(o->k1));
      g_hash_table_add(o->set, g_strdup(o->k2));
    } else {
      g_hash_table_remove(o->set, o->k1);
      g_hash_table_remove(o->set, o->k2);
    }
  }
  g_free(out);
  g_string_free(nft, TRUE);
  g_ptr_array_free(ops, TRUE);
  return ok;
}

gboolean
hn_bed_arc(HnBed *bed, const char *a, const char *b, GError **error)
{
  return medium_between(bed, a, b, TRUE, error);
}

gboolean
hn_bed_cut(HnBed *bed, const char *a, const char *b, GError **error)
{
  return medium_between(bed, a, b, FALSE, error);
}

gboolean
hn_bed_idns_add(HnBed *bed, const char *sys, const char *name, GError **error)
{
  char *real = g_strdup_printf("%s%s-%s", bed->prefix, sys, name);
  char *argv[] = { "ip", "netns", "add", real, NULL };
  char *out = NULL;
  gboolean ok = hn_run(argv, NULL, &out);
  if (!ok) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "ip netns add %s: %s", real, out ? g_strchomp(out) : "");
  } else {
    g_ptr_array_add(bed->created, g_strdup(real));
    /* as sequence-netns.sh's ns_add: IPv6 off, lo left down */
    ok = prepare_ns(real, FALSE, FALSE, error);
  }
  hn_bed_refresh_identities(bed);
  g_free(out);
  g_free(real);
  return ok;
}

gboolean
hn_bed_idns_del(HnBed *bed, const char *sys, const char *name, GError **error)
{
  char *real = g_strdup_printf("%s%s-%s", bed->prefix, sys, name);
  char *argv[] = { "ip", "netns", "del", real, NULL };
  char *out = NULL;
  gboolean ok = hn_run(argv, NULL, &out);
  if (!ok)
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "ip netns del %s: %s", real, out ? g_strchomp(out) : "");
  hn_bed_refresh_identities(bed);
  g_free(out);
  g_free(real);
  return ok;
}

gboolean
hn_ns_daemon_alive(HnNs *ns)
{
  if (ns->pid <= 0 || ns->exit_status != -1)
    return FALSE;
  return !hn_reaped(ns->pid, &ns->exit_status);
}

void
hn_ns_daemon_kill(HnNs *ns, double grace)
{
  if (!hn_ns_daemon_alive(ns))
    return;
  if (grace > 0) {
    kill(ns->pid, SIGTERM);
    kill(ns->pid, SIGCONT); /* a daemon left stopped (stop directive) must see it */
    double end = hn_now() + grace;
    while (hn_now() < end && hn_ns_daemon_alive(ns)) {
      struct timespec ts = { 0, 20 * 1000 * 1000 };
      nanosleep(&ts, NULL);
    }
  }
  if (hn_ns_daemon_alive(ns)) {
    kill(ns->pid, SIGKILL);
    ns->exit_status = hn_wait(ns->pid);
  }
}

void
hn_bed_teardown(HnBed *bed, gboolean keep)
{
  if (keep) {
    printf("namespaces %s*, /etc/netns/%s*, %s and the daemons of the run left in place; inspect with\n"
           "  ip netns exec %s%s ip route show table all   (etc.)\n"
           "and remove everything with: qspn-harness sweep   (it kills the daemons of the run by PID)\n",
           bed->prefix, bed->prefix, bed->run_dir, bed->prefix,
           ((HnNs *)g_ptr_array_index(bed->nss, 0))->name);
    return;
  }
  /* daemons first: a process keeps its namespace alive */
  for (guint i = 0; i < bed->nss->len; i++)
    hn_ns_daemon_kill(g_ptr_array_index(bed->nss, i), 5.0);
  /* every namespace of the run: identity namespaces (ours or qspnd's) first */
  GPtrArray *all = hn_list_netns();
  GPtrArray *del = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < all->len; i++) {
    const char *n = g_ptr_array_index(all, i);
    if (g_str_has_prefix(n, bed->prefix) && !hn_str_in(bed->created, n))
      g_ptr_array_add(del, g_strdup(n));
  }
  for (guint i = bed->created->len; i-- > 0;)
    g_ptr_array_add(del, g_strdup(g_ptr_array_index(bed->created, i)));
  hn_delete_netns(bed->run_dir, del);
  g_ptr_array_free(del, TRUE);
  g_ptr_array_free(all, TRUE);
  for (guint i = 0; i < bed->etc_dirs->len; i++)
    hn_rm_rf(g_ptr_array_index(bed->etc_dirs, i));
  if (bed->created_etc_root)
    rmdir("/etc/netns");
  hn_rm_rf(bed->run_dir);
}

void
hn_bed_free(HnBed *bed)
{
  if (!bed)
    return;
  g_ptr_array_free(bed->nss, TRUE);
  g_ptr_array_free(bed->idns, TRUE);
  g_ptr_array_free(bed->created, TRUE);
  g_ptr_array_free(bed->etc_dirs, TRUE);
  g_hash_table_destroy(bed->open);
  g_hash_table_destroy(bed->cut);
  g_free(bed->prefix);
  g_free(bed->run_dir);
  g_free(bed->hub);
  g_free(bed);
}
