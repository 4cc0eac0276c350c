/* kernel_links.c - the netlink backend's operations on links across network
 * namespaces: the macvlans of identity namespaces, deleting virtual links and
 * namespaces (as `ip link add ... type macvlan`, `ip link del`, `ip netns del`). */
#define _GNU_SOURCE
#include "kernel_nl.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <netlink/route/link.h>
#include <netlink/route/link/macvlan.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* A name under /run/netns (as `ip netns` accepts it). */
static bool netns_name_ok(const char *name)
{
    size_t l = strlen(name);
    if (l == 0 || l >= KOP_NAMELEN || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return false;
    return strchr(name, '/') == NULL;
}

/* A NETLINK_ROUTE socket in namespace /run/netns/<name>: the thread enters it,
 * connects, and comes back. */
static struct nl_sock *socket_in_netns(const char *name, char *err, size_t errlen)
{
    gchar *path = g_build_filename("/run/netns", name, NULL);
    int tgt = open(path, O_RDONLY | O_CLOEXEC);
    int cur = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    struct nl_sock *sk = NULL;
    g_free(path);
    if (tgt < 0 || cur < 0 || setns(tgt, CLONE_NEWNET) != 0) {
        snprintf(err, errlen, "namespace %s: %s", name, g_strerror(errno));
    } else {
        sk = nl_socket_alloc();
        if (sk && nl_connect(sk, NETLINK_ROUTE) < 0) {
            nl_socket_free(sk);
            sk = NULL;
        }
        if (setns(cur, CLONE_NEWNET) != 0) {
            /* never go on in the wrong namespace */
            g_log_structured("qspn-kernel", G_LOG_LEVEL_CRITICAL, "MESSAGE",
                             "cannot return to the own network namespace: %s", g_strerror(errno));
            abort();
        }
        if (!sk)
            snprintf(err, errlen, "namespace %s: cannot open a netlink socket", name);
    }
    if (tgt >= 0)
        close(tgt);
    if (cur >= 0)
        close(cur);
    return sk;
}

int do_link_del(nl_priv *p, const kop *op, char *err, size_t errlen)
{
    struct nl_sock *own = NULL, *sk = p->sk;
    struct rtnl_link *link = NULL;
    int ret = -1;
    if (op->netns[0]) {
        if (!netns_name_ok(op->netns))
            return snprintf(err, errlen, "bad namespace name"), -1;
        if (!(own = socket_in_netns(op->netns, err, errlen)))
            return -1;
        sk = own;
    }
    int rc = rtnl_link_get_kernel(sk, 0, op->dev, &link);
    if (rc < 0 || !link) {
        snprintf(err, errlen, "no such link '%s'", op->dev);
    } else if (!rtnl_link_get_type(link)) {
        /* only virtual links (macvlan, veth, dummy...) carry a kind */
        snprintf(err, errlen, "refusing to delete '%s': not a virtual link", op->dev);
    } else if ((rc = rtnl_link_delete(sk, link)) < 0) {
        set_err_nl(err, errlen, "link del", rc);
    } else {
        ret = 0;
    }
    if (link)
        rtnl_link_put(link);
    if (own)
        nl_socket_free(own);
    return ret;
}

/* As `ip netns del`: lazy unmount, then unlink.  Never the namespace the
 * calling thread is in. */
int do_netns_del(const kop *op, char *err, size_t errlen)
{
    struct stat ns, self;
    if (!netns_name_ok(op->netns))
        return snprintf(err, errlen, "bad namespace name"), -1;
    gchar *path = g_build_filename("/run/netns", op->netns, NULL);
    int ret = -1;
    if (stat(path, &ns) != 0) {
        snprintf(err, errlen, "%s: %s", path, g_strerror(errno));
    } else if (stat("/proc/thread-self/ns/net", &self) == 0 && ns.st_dev == self.st_dev &&
               ns.st_ino == self.st_ino) {
        snprintf(err, errlen, "refusing to delete the own network namespace %s", op->netns);
    } else {
        (void)umount2(path, MNT_DETACH);       /* EINVAL when not mounted: unlink anyway */
        if (unlink(path) != 0)
            snprintf(err, errlen, "unlink %s: %s", path, g_strerror(errno));
        else
            ret = 0;
    }
    g_free(path);
    return ret;
}

/* ip link add dev D link L [address M] type macvlan; ip link set dev D netns N */
int do_macvlan(nl_priv *p, const kop *op, char *err, size_t errlen)
{
    int lower = ifindex_of(p, op->link, err, errlen);
    if (lower < 0)
        return -1;
    struct rtnl_link *l = rtnl_link_macvlan_alloc();
    if (!l) {
        snprintf(err, errlen, "macvlan: out of memory");
        return -1;
    }
    rtnl_link_set_link(l, lower);
    rtnl_link_set_name(l, op->dev);
    if (op->mac[0]) {
        struct nl_addr *mac = NULL;
        if (nl_addr_parse(op->mac, AF_LLC, &mac) < 0) {
            rtnl_link_put(l);
            snprintf(err, errlen, "bad MAC '%s'", op->mac);
            return -1;
        }
        rtnl_link_set_addr(l, mac);
        nl_addr_put(mac);
    }
    int rc = rtnl_link_add(p->sk, l, NLM_F_CREATE | NLM_F_EXCL);
    rtnl_link_put(l);
    if (rc < 0)
        return set_err_nl(err, errlen, "macvlan add", rc);
    if (!op->netns[0])
        return 0;
    gchar *path = g_build_filename("/run/netns", op->netns, NULL);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    g_free(path);
    if (fd < 0) {
        snprintf(err, errlen, "open namespace %s: %s", op->netns, g_strerror(errno));
        return -1;
    }
    struct rtnl_link *cur = NULL, *change = rtnl_link_alloc();
    rc = rtnl_link_get_kernel(p->sk, 0, op->dev, &cur);
    if (rc >= 0) {
        rtnl_link_set_ns_fd(change, fd);
        rc = rtnl_link_change(p->sk, cur, change, 0);
    }
    rtnl_link_put(change);
    if (cur)
        rtnl_link_put(cur);
    close(fd);
    return rc < 0 ? set_err_nl(err, errlen, "macvlan set netns", rc) : 0;
}

