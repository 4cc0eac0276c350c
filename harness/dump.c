/* dump.c -- the kernel state of namespaces, in the format of the documented
 * dumps (see testbed.h, docs/harness.md "Dump"). */
#include "netfilter.h"
#include "testbed.h"

#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char DUMP_SCRIPT[] = "exec 2>&1\n"
                                  "echo '### ip route show table all'; ip route show table all\n"
                                  "echo '### ip rule'; ip rule\n"
                                  "echo '### ip addr'; ip addr\n"
                                  "echo '@@@ iptables-save'; iptables-save 2>/dev/null\n"
                                  "echo '@@@ nft'; nft list table ip qspnd 2>/dev/null\n"
                                  "echo '@@@ end'\n";
static const char DUMP_RT[] = "echo '### rt_tables (non-comment lines)'; "
                              "grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' /etc/iproute2/rt_tables\n";

static char *
assemble(const char *raw, GHashTable *sticky)
{
  static const char IPT[] = "@@@ iptables-save\n", NFT[] = "@@@ nft\n", END[] = "@@@ end\n";
  const char *ipt = strstr(raw, IPT);
  const char *nft = ipt ? strstr(ipt, NFT) : NULL;
  const char *end = nft ? strstr(nft, END) : NULL;
  if (!ipt || !nft || !end)
    return g_strconcat(raw, "### (dump incomplete)\n", NULL);
  char *ipt_text = g_strndup(ipt + strlen(IPT), nft - ipt - strlen(IPT));
  char *nft_text = g_strndup(nft + strlen(NFT), end - nft - strlen(NFT));
  char *canon = hn_netfilter_canonical(ipt_text, nft_text, sticky);
  GString *o = g_string_new_len(raw, ipt - raw);
  g_string_append(o, "### iptables-save\n");
  g_string_append(o, canon);
  g_string_append(o, end + strlen(END));
  g_free(canon);
  g_free(ipt_text);
  g_free(nft_text);
  return g_string_free(o, FALSE);
}

static GPid
spawn_dump(HnNs *ns, int *fd, char **failure)
{
  char *script = g_strconcat(DUMP_SCRIPT, ns->parent ? "" : DUMP_RT, NULL);
  /* an identity namespace is entered from its system, whose /etc/netns
   * bind mount (rt_tables) the inner `ip netns exec` keeps */
  char *argv_sys[] = { "ip", "netns", "exec", ns->real, "sh", "-c", script, NULL };
  char *argv_id[] = { "ip", "netns", "exec", ns->parent ? ns->parent->real : "", "ip", "netns", "exec",
                      ns->real, "sh", "-c", script, NULL };
  GError *e = NULL;
  GPid pid = 0;
  *fd = -1;
  if (!g_spawn_async_with_pipes(NULL, ns->parent ? argv_id : argv_sys, NULL,
                                G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, NULL, fd,
                                NULL, &e)) {
    *failure = g_strdup_printf("### dump failed: %s\n", e->message);
    g_error_free(e);
    pid = 0;
  }
  g_free(script);
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

char **
hn_bed_dump(HnBed *bed, HnNs **nss, guint n, gboolean use_sticky)
{
  (void)bed;
  GPid *pids = g_new0(GPid, n + 1);
  int *fds = g_new0(int, n + 1);
  char **res = g_new0(char *, n + 1);
  for (guint i = 0; i < n; i++)
    pids[i] = spawn_dump(nss[i], &fds[i], &res[i]);
  for (guint i = 0; i < n; i++) {
    if (fds[i] < 0)
      continue;
    char *raw = read_all(fds[i]);
    hn_wait(pids[i]);
    res[i] = assemble(raw, use_sticky ? nss[i]->sticky : NULL);
    g_free(raw);
  }
  g_free(pids);
  g_free(fds);
  return res;
}
