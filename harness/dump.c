/* dump.c -- the kernel state of namespaces, in the format of the documented
 * dumps (see testbed.h, docs/harness.md "Dump").
 *
 * Why not `ip netns exec NS sh -c '...'`: that is 8 processes per namespace
 * and dump (ip netns exec, sh, 3 ip, iptables-save, nft, grep), and the
 * harness dumps every namespace at every checkpoint: process creation was
 * most of a testbed's build and settle time (bench/PERFORMANCE.notes.md, "Part 5").  Here a
 * forked child of the harness enters the namespace itself, as `ip netns exec`
 * does (network namespace, private mount namespace, /etc/netns/NS entries
 * bound over /etc, so that ip names the system's routing tables), then runs
 * only 3 programs, by absolute path: one `ip -batch` for routes, rules and
 * addresses (split here: see hn_dump_split_ip), iptables-save and nft; rt_tables is
 * read here. */
#define _GNU_SOURCE
#include "netfilter.h"
#include "testbed.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

/* children dumping at once: bounds the open pipes and processes */
#define DUMP_WINDOW 32
#define DUMP_BINDS 32 /* /etc/netns entries bound, per namespace */

typedef struct {
  const char *title;   /* section header, "" for none */
  char *argv[6];
  gboolean quiet;      /* stderr to /dev/null */
  const char *input;   /* stdin of the program, or NULL */
} DumpCmd;

#define DUMP_CMDS 3
#define IP_BATCH "route show table all\nrule\naddr\n"

/* Everything the child needs, prepared before fork (no allocation after). */
typedef struct {
  int net_fd;          /* /run/netns/<ns> */
  char *src[DUMP_BINDS], *dst[DUMP_BINDS];
  int nbinds;
  DumpCmd cmd[DUMP_CMDS];
} DumpPlan;

static char *
program(const char *name)
{
  char *p = g_find_program_in_path(name);
  return p ? p : g_strdup(name); /* execve fails: its error is in the dump */
}

static void
plan_binds(DumpPlan *p, const char *real)
{
  char *dir = g_strdup_printf("/etc/netns/%s", real);
  GDir *d = g_dir_open(dir, 0, NULL);
  const char *n;
  while (d && p->nbinds < DUMP_BINDS && (n = g_dir_read_name(d))) {
    p->src[p->nbinds] = g_build_filename(dir, n, NULL);
    p->dst[p->nbinds] = g_build_filename("/etc", n, NULL);
    p->nbinds++;
  }
  if (d)
    g_dir_close(d);
  g_free(dir);
}

/* An identity namespace is entered from its system: the system's
 * /etc/netns bindings (rt_tables), then its own if any. */
static gboolean
plan_new(DumpPlan *p, HnNs *ns, char **failure)
{
  static char *ip, *ipt, *nft;
  if (!ip) {
    ip = program("ip");
    ipt = program("iptables-save");
    nft = program("nft");
  }
  memset(p, 0, sizeof *p);
  char *path = g_strdup_printf("/run/netns/%s", ns->real);
  p->net_fd = open(path, O_RDONLY | O_CLOEXEC);
  g_free(path);
  if (p->net_fd < 0) {
    *failure = g_strdup_printf("### dump failed: netns %s: %s\n", ns->real, g_strerror(errno));
    return FALSE;
  }
  if (ns->parent)
    plan_binds(p, ns->parent->real);
  plan_binds(p, ns->real);
  DumpCmd cmds[DUMP_CMDS] = {
    { "@@@ ip\n", { ip, "-force", "-batch", "-", NULL }, FALSE, IP_BATCH },
    { "@@@ iptables-save\n", { ipt, NULL }, TRUE, NULL },
    { "@@@ nft\n", { nft, "list", "table", "ip", "qspnd", NULL }, TRUE, NULL },
  };
  memcpy(p->cmd, cmds, sizeof cmds);
  return TRUE;
}

static void
plan_clear(DumpPlan *p)
{
  if (p->net_fd >= 0)
    close(p->net_fd);
  for (int i = 0; i < p->nbinds; i++) {
    g_free(p->src[i]);
    g_free(p->dst[i]);
  }
}

static void
say(const char *s)
{
  size_t n = strlen(s);
  while (n > 0) {
    ssize_t w = write(1, s, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return;
    s += w;
    n -= (size_t)w;
  }
}

/* In the forked child: async-signal-safe calls only. */
static void
child_run(const DumpPlan *p)
{
  if (setns(p->net_fd, CLONE_NEWNET) < 0 || unshare(CLONE_NEWNS) < 0 ||
      mount("", "/", "none", MS_SLAVE | MS_REC, NULL) < 0) {
    say("### dump failed: cannot enter the namespace\n");
    _exit(1);
  }
  for (int i = 0; i < p->nbinds; i++)
    if (mount(p->src[i], p->dst[i], "none", MS_BIND, NULL) < 0)
      say("### dump: cannot bind /etc/netns entry\n");
  for (int i = 0; i < DUMP_CMDS; i++) {
    say(p->cmd[i].title);
    pid_t c = fork();
    if (c == 0) {
      if (p->cmd[i].quiet) {
        int nul = open("/dev/null", O_WRONLY);
        if (nul >= 0)
          dup2(nul, 2);
      }
      int in[2];
      /* a few bytes: they fit in the pipe before anyone reads */
      if (p->cmd[i].input && pipe(in) == 0) {
        if (write(in[1], p->cmd[i].input, strlen(p->cmd[i].input)) < 0)
          _exit(126);
        close(in[1]);
        dup2(in[0], 0);
      }
      execv(p->cmd[i].argv[0], p->cmd[i].argv);
      say("### dump: cannot execute a dump program\n");
      _exit(127);
    }
    int st;
    while (c > 0 && waitpid(c, &st, 0) < 0 && errno == EINTR)
      ;
  }
  say("@@@ end\n");
  _exit(0);
}

static GPid
spawn_dump(HnNs *ns, int *fd, char **failure)
{
  DumpPlan p;
  int pfd[2];
  *fd = -1;
  if (!plan_new(&p, ns, failure))
    return 0;
  if (pipe2(pfd, O_CLOEXEC) < 0) {
    *failure = g_strdup_printf("### dump failed: pipe: %s\n", g_strerror(errno));
    plan_clear(&p);
    return 0;
  }
  pid_t pid = fork();
  if (pid == 0) {
    /* dup2 clears FD_CLOEXEC on the copies: the programs inherit them */
    dup2(pfd[1], 1);
    dup2(pfd[1], 2);
    child_run(&p);
  }
  close(pfd[1]);
  if (pid < 0) {
    *failure = g_strdup_printf("### dump failed: fork: %s\n", g_strerror(errno));
    close(pfd[0]);
    pid = 0;
  } else {
    *fd = pfd[0];
  }
  plan_clear(&p);
  return pid;
}

static char *
read_all(int fd)
{
  GString *s = g_string_new(NULL);
  char buf[8192];
  ssize_t r;
  while ((r = read(fd, buf, sizeof buf)) != 0) {
    if (r < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    g_string_append_len(s, buf, r);
  }
  close(fd);
  return g_string_free(s, FALSE);
}

/* The system's rt_tables without comment and blank lines (what
 * `grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$'` printed). */
static void
append_rt_tables(GString *o, const HnNs *ns)
{
  char *path = g_strdup_printf("/etc/netns/%s/iproute2/rt_tables", ns->real);
  char *text = NULL;
  g_string_append(o, "### rt_tables (non-comment lines)\n");
  if (!g_file_get_contents(path, &text, NULL, NULL) &&
      !g_file_get_contents("/etc/iproute2/rt_tables", &text, NULL, NULL)) {
    g_string_append_printf(o, "grep: %s: No such file or directory\n", path);
    g_free(path);
    return;
  }
  char **lines = g_strsplit(text, "\n", -1);
  guint n = g_strv_length(lines);
  if (n > 0 && lines[n - 1][0] == '\0')
    n--; /* the final newline ends the last line */
  for (guint i = 0; i < n; i++) {
    const char *p = lines[i];
    while (g_ascii_isspace(*p))
      p++;
    if (*p != '#' && *p != '\0')
      g_string_append_printf(o, "%s\n", lines[i]);
  }
  g_strfreev(lines);
  g_free(text);
  g_free(path);
}

/* "N:" followed by c at the start of line l (ip rule: "0:\tfrom all ...";
 * ip addr: "1: lo: <...>"; no IPv4 or IPv6 route line starts so). */
static gboolean
numbered(const char *l, char c)
{
  const char *p = l;
  while (g_ascii_isdigit(*p))
    p++;
  return p > l && p[0] == ':' && p[1] == c;
}

void
hn_dump_split_ip(GString *o, const char *ip, size_t len)
{
  static const char *const head[] = { "### ip route show table all\n", "### ip rule\n", "### ip addr\n" };
  int section = 0;
  const char *l = ip, *end = ip + len;
  g_string_append(o, head[0]);
  while (l < end) {
    const char *nl = memchr(l, '\n', end - l);
    const char *next = nl ? nl + 1 : end;
    int want = numbered(l, ' ') ? 2 : numbered(l, '\t') ? 1 : section;
    while (section < want)
      g_string_append(o, head[++section]);
    g_string_append_len(o, l, next - l);
    l = next;
  }
  while (section < 2)
    g_string_append(o, head[++section]);
}

static char *
assemble(const char *raw, const HnNs *ns, GHashTable *sticky)
{
  static const char IP[] = "@@@ ip\n", IPT[] = "@@@ iptables-save\n", NFT[] = "@@@ nft\n", END[] = "@@@ end\n";
  const char *ip = strstr(raw, IP);
  const char *ipt = ip ? strstr(ip, IPT) : NULL;
  const char *nft = ipt ? strstr(ipt, NFT) : NULL;
  const char *end = nft ? strstr(nft, END) : NULL;
  if (!ipt || !nft || !end)
    return g_strconcat(raw, "### (dump incomplete)\n", NULL);
  char *ipt_text = g_strndup(ipt + strlen(IPT), nft - ipt - strlen(IPT));
  char *nft_text = g_strndup(nft + strlen(NFT), end - nft - strlen(NFT));
  char *canon = hn_netfilter_canonical(ipt_text, nft_text, sticky);
  GString *o = g_string_new_len(raw, ip - raw);
  hn_dump_split_ip(o, ip + strlen(IP), ipt - ip - strlen(IP));
  g_string_append(o, "### iptables-save\n");
  g_string_append(o, canon);
  g_string_append(o, end + strlen(END));
  if (!ns->parent)
    append_rt_tables(o, ns);
  g_free(canon);
  g_free(ipt_text);
  g_free(nft_text);
  return g_string_free(o, FALSE);
}

char **
hn_bed_dump(HnBed *bed, HnNs **nss, guint n, gboolean use_sticky)
{
  (void)bed;
  GPid *pids = g_new0(GPid, n + 1);
  int *fds = g_new0(int, n + 1);
  char **res = g_new0(char *, n + 1);
  guint started = 0;
  for (guint i = 0; i < n; i++) {
    /* keep at most DUMP_WINDOW children running */
    for (; started < n && started < i + DUMP_WINDOW; started++)
      pids[started] = spawn_dump(nss[started], &fds[started], &res[started]);
    if (fds[i] < 0)
      continue;
    char *raw = read_all(fds[i]);
    hn_wait(pids[i]);
    res[i] = assemble(raw, nss[i], use_sticky ? nss[i]->sticky : NULL);
    g_free(raw);
  }
  g_free(pids);
  g_free(fds);
  return res;
}
