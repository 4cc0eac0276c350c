/* kernel_netlink.c - the real kernel backend: libnl-route-3, libnftables,
 * /proc/sys writes and the rt_tables file.  Works in the network namespace the
 * calling thread was in when kernel_netlink_new() was called. */
#define _GNU_SOURCE
#include "kernel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/route.h>
#include <nftables/libnftables.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel_nl.h"

int set_err_nl(char *err, size_t errlen, const char *what, int rc)
{
    snprintf(err, errlen, "%s: %s", what, nl_geterror(rc));
    return -1;
}

/* Anything on the link-event socket (or an overflow of it) empties the cache. */
void nl_ifindex_refresh(nl_priv *p)
{
    if (p->ev_fd < 0)
        return;
    char buf[8192];
    bool any = false;
    for (;;) {
        ssize_t r = recv(p->ev_fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r > 0 || (r < 0 && (errno == EINTR || errno == ENOBUFS))) {
            any = true;
            continue;
        }
        break;
    }
    if (any)
        g_hash_table_remove_all(p->ifindex);
}

static int ifindex_lookup(nl_priv *p, const char *dev, char *err, size_t errlen)
{
    struct rtnl_link *link = NULL;
    int rc = rtnl_link_get_kernel(p->sk, 0, dev, &link);
    if (rc < 0 || !link) {
        snprintf(err, errlen, "no such interface '%s': %s", dev, rc < 0 ? nl_geterror(rc) : "?");
        return -1;
    }
    int idx = rtnl_link_get_ifindex(link);
    rtnl_link_put(link);
    return idx;
}

int ifindex_of(nl_priv *p, const char *dev, char *err, size_t errlen)
{
    nl_ifindex_refresh(p);
    return ifindex_cached(p, dev, err, errlen);
}

int ifindex_cached(nl_priv *p, const char *dev, char *err, size_t errlen)
{
    if (p->ev_fd < 0)
        return ifindex_lookup(p, dev, err, errlen);
    gpointer v = g_hash_table_lookup(p->ifindex, dev);
    if (v) {
        p->ifindex_hits++;
        return GPOINTER_TO_INT(v);
    }
    p->ifindex_misses++;
    int idx = ifindex_lookup(p, dev, err, errlen);
    if (idx > 0)   /* failures are not cached */
        g_hash_table_insert(p->ifindex, g_strdup(dev), GINT_TO_POINTER(idx));
    return idx;
}

/* The link-event socket of the cache, in the calling thread's namespace; -1
 * when it cannot be opened (then every lookup asks the kernel). */
static int link_event_socket(void)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
    if (fd < 0)
        return -1;
    struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

static int do_sysctl(const kop *op, char *err, size_t errlen)
{
    char path[KOP_KEYLEN + 16];
    if (strstr(op->path, ".."))
        return snprintf(err, errlen, "bad sysctl path"), -1;
    snprintf(path, sizeof path, "/proc/sys/%s", op->path);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "open %s: %s", path, g_strerror(errno));
        return -1;
    }
    int rc = write_all(fd, op->value, strlen(op->value));
    int e = errno;
    close(fd);
    if (rc != 0) {
        snprintf(err, errlen, "write %s: %s", path, g_strerror(e));
        return -1;
    }
    return 0;
}

static int do_link_up(nl_priv *p, const kop *op, char *err, size_t errlen)
{
    struct rtnl_link *link = NULL, *change;
    int rc = rtnl_link_get_kernel(p->sk, 0, op->dev, &link);
    if (rc < 0)
        return set_err_nl(err, errlen, op->dev, rc);
    change = rtnl_link_alloc();
    rtnl_link_set_flags(change, IFF_UP);
    rc = rtnl_link_change(p->sk, link, change, 0);
    rtnl_link_put(change);
    rtnl_link_put(link);
    return rc < 0 ? set_err_nl(err, errlen, "link up", rc) : 0;
}

static int do_addr(nl_priv *p, const kop *op, char *err, size_t errlen)
{
    int idx = ifindex_of(p, op->dev, err, errlen);
    if (idx < 0)
        return -1;
    struct rtnl_addr *a = rtnl_addr_alloc();
    struct nl_addr *local = nl_ip4(op->addr, op->prefix);
    int rc;
    rtnl_addr_set_ifindex(a, idx);
    rtnl_addr_set_family(a, AF_INET);
    rtnl_addr_set_local(a, local);
    rtnl_addr_set_prefixlen(a, op->prefix);
    if (op->type == KOP_ADDR_ADD) {
        rtnl_addr_set_scope(a, RT_SCOPE_UNIVERSE);
        rc = rtnl_addr_add(p->sk, a, NLM_F_EXCL);
    } else {
        rc = rtnl_addr_delete(p->sk, a, 0);
    }
    nl_addr_put(local);
    rtnl_addr_put(a);
    return rc < 0 ? set_err_nl(err, errlen, op->type == KOP_ADDR_ADD ? "address add" : "address del", rc) : 0;
}

typedef struct {
    GPtrArray *victims;
    uint32_t table_lo, table_hi;     /* delete routes of these tables */
    int proto;                       /* and routes of this protocol (-1: none) */
} route_filter;

static void collect_route(struct nl_object *obj, void *arg)
{
    route_filter *f = arg;
    struct rtnl_route *r = (struct rtnl_route *)obj;
    uint32_t t = rtnl_route_get_table(r);
    if ((t >= f->table_lo && t <= f->table_hi) ||
        (f->proto >= 0 && rtnl_route_get_protocol(r) == f->proto)) {
        nl_object_get(obj);
        g_ptr_array_add(f->victims, obj);
    }
}

static int delete_routes(nl_priv *p, uint32_t lo, uint32_t hi, int proto, char *err, size_t errlen)
{
    struct nl_cache *cache = NULL;
    int rc = rtnl_route_alloc_cache(p->sk, AF_INET, 0, &cache);
    if (rc < 0)
        return set_err_nl(err, errlen, "route dump", rc);
    route_filter f = { g_ptr_array_new(), lo, hi, proto };
    nl_cache_foreach(cache, collect_route, &f);
    int ret = 0;
    for (guint i = 0; i < f.victims->len; i++) {
        struct rtnl_route *r = g_ptr_array_index(f.victims, i);
        rc = rtnl_route_delete(p->sk, r, 0);
        if (rc < 0 && rc != -NLE_OBJ_NOTFOUND && ret == 0)
            ret = set_err_nl(err, errlen, "route flush", rc);
        rtnl_route_put(r);
    }
    g_ptr_array_free(f.victims, TRUE);
    nl_cache_free(cache);
    return ret;
}

static int nl_nft_run(kernel *k, const kop *ops, size_t n, const char *script, bool tolerant,
                      char *err, size_t errlen);

static int rt_tables_add(kernel *k, const kop *op, char *err, size_t errlen)
{
    char line[KOP_NAMELEN * 2 + 64];
    int fd = open(k->rt_tables, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "open %s: %s", k->rt_tables, g_strerror(errno));
        return -1;
    }
    snprintf(line, sizeof line, "\n%u %s # xxx_table_%s_xxx\n", op->table, op->table_name,
             op->table_name);
    int rc = write_all(fd, line, strlen(line));
    int e = errno;
    close(fd);
    if (rc != 0) {
        snprintf(err, errlen, "write %s: %s", k->rt_tables, g_strerror(e));
        return -1;
    }
    return 0;
}

static int rt_tables_strip(kernel *k, uint32_t table, const char *name, char *err, size_t errlen)
{
    gchar *text = NULL;
    gsize len = 0;
    GError *ge = NULL;
    if (!g_file_get_contents(k->rt_tables, &text, &len, &ge)) {
        snprintf(err, errlen, "%s", ge->message);
        g_error_free(ge);
        return -1;
    }
    int removed = 0;
    char *out = kernel_rt_tables_strip(text, table, name, &removed);
    int ret = 0;
    if (removed > 0) {
        /* rewrite in place: the file may be a bind mount target (ip netns exec) */
        int fd = open(k->rt_tables, O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (fd < 0 || write_all(fd, out, strlen(out)) != 0) {
            snprintf(err, errlen, "rewrite %s: %s", k->rt_tables, g_strerror(errno));
            ret = -1;
        }
        if (fd >= 0)
            close(fd);
    } else {
        snprintf(err, errlen, "no line for table %u %s in %s", table, name, k->rt_tables);
        ret = -1;
    }
    g_free(out);
    g_free(text);
    return ret;
}

static int nl_apply_one(kernel *k, const kop *op, char *err, size_t errlen)
{
    nl_priv *p = k->priv;
    switch (op->type) {
    case KOP_SYSCTL:
        return do_sysctl(op, err, errlen);
    case KOP_LINK_UP:
        return do_link_up(p, op, err, errlen);
    case KOP_ADDR_ADD:
    case KOP_ADDR_DEL:
        return do_addr(p, op, err, errlen);
    case KOP_RT_TABLES_ADD:
        return rt_tables_add(k, op, err, errlen);
    case KOP_RT_TABLES_DEL:
        return rt_tables_strip(k, op->table, op->table_name, err, errlen);
    case KOP_RULE_ADD:
    case KOP_RULE_DEL:
        return nl_do_request(p, op, err, errlen);
    case KOP_ROUTE_ADD:
    case KOP_ROUTE_CHANGE:
    case KOP_ROUTE_DEL:
        return nl_do_request(p, op, err, errlen);
    case KOP_ROUTE_FLUSH:
        return delete_routes(p, op->table, op->table, -1, err, errlen);
    case KOP_SWEEP: {
        /* no table range (1 > 0): only the protocol selects */
        int r1 = delete_routes(p, 1, 0, KERNEL_RTPROT_QSPN, err, errlen);
        char nbuf[256];
        kop del = kop_simple(KOP_NFT_TABLE_DEL);
        del.tolerant = true;
        int r2 = nl_nft_run(k, &del, 1, kop_format_nft(&del, nbuf, sizeof nbuf), true, err, errlen);
        return (r1 || r2) ? -1 : 0;
    }
    case KOP_NETNS_ADD:
        return kernel_netns_create(op->netns, err, errlen);
    case KOP_MACVLAN_ADD:
        return do_macvlan(p, op, err, errlen);
    case KOP_LINK_DEL:
        return do_link_del(p, op, err, errlen);
    case KOP_NETNS_DEL:
        return do_netns_del(op, err, errlen);
    case KOP_NFT_TABLE_ADD:
    case KOP_NAT_ADD:
    case KOP_NFT_TABLE_DEL:
    case KOP_MARK_ADD:
    case KOP_NFT_CHAIN_FLUSH:
        break;
    }
    snprintf(err, errlen, "unexpected operation %d", (int)op->type);
    return -1;
}

static int nl_nft_run(kernel *k, const kop *ops, size_t n, const char *script, bool tolerant,
                      char *err, size_t errlen)
{
    nl_priv *p = k->priv;
    if (!p->nft) {
        p->nft = nft_ctx_new(NFT_CTX_DEFAULT);
        if (!p->nft) {
            snprintf(err, errlen, "nft_ctx_new failed");
            return -1;
        }
        nft_ctx_buffer_output(p->nft);
        nft_ctx_buffer_error(p->nft);
    }
    int rc = nft_run_cmd_from_buffer(p->nft, script);
    if (rc != 0) {
        const char *e = nft_ctx_get_error_buffer(p->nft);
        snprintf(err, errlen, "nft: %s", e && *e ? e : "failed");
        /* strip trailing newline */
        size_t l = strlen(err);
        while (l > 0 && err[l - 1] == '\n')
            err[--l] = '\0';
        return -1;
    }
    return 0;
}

static bool nl_link_mac(kernel *k, const char *dev, char *mac, size_t len)
{
    nl_priv *p = k->priv;
    struct rtnl_link *link = NULL;
    if (rtnl_link_get_kernel(p->sk, 0, dev, &link) < 0 || !link)
        return false;
    struct nl_addr *a = rtnl_link_get_addr(link);
    bool ok = false;
    if (a && nl_addr_get_len(a) == 6) {
        const unsigned char *b = nl_addr_get_binary_addr(a);
        snprintf(mac, len, "%02X:%02X:%02X:%02X:%02X:%02X", b[0], b[1], b[2], b[3], b[4], b[5]);
        ok = true;
    }
    rtnl_link_put(link);
    return ok;
}

static int nl_enter(kernel *k, char *err, size_t errlen)
{
    if (k->netns_fd < 0)
        return 0;
    int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (home < 0 || setns(k->netns_fd, CLONE_NEWNET) != 0) {
        snprintf(err, errlen, "enter namespace %s: %s", k->label, g_strerror(errno));
        if (home >= 0)
            close(home);
        return -1;
    }
    return home;
}

static void nl_leave(kernel *k, int home)
{
    if (k->netns_fd < 0 || home < 0)
        return;
    if (setns(home, CLONE_NEWNET) != 0)
        g_error("cannot return to qspnd's namespace: %s", g_strerror(errno));
    close(home);
}

static void nl_free_priv(nl_priv *p)
{
    if (p->nft)
        nft_ctx_free(p->nft);
    if (p->ev_fd >= 0)
        close(p->ev_fd);
    if (p->ifindex)
        g_hash_table_destroy(p->ifindex);
    if (p->sk)
        nl_socket_free(p->sk);
    g_free(p);
}

static void nl_free(kernel *k)
{
    if (k->netns_fd >= 0)
        close(k->netns_fd);
    nl_free_priv(k->priv);
    g_free(k);
}

static const kernel_vtable nl_vt = {
    .apply_one = nl_apply_one,
    .nft_run = nl_nft_run,
    .link_mac = nl_link_mac,
    .free = nl_free,
    .enter = nl_enter,
    .leave = nl_leave,
    .apply_batch = nl_apply_batch,
};

kernel *kernel_netlink_new(const char *rt_tables, char *err, size_t errlen)
{
    nl_priv *p = g_new0(nl_priv, 1);
    p->ev_fd = link_event_socket();
    p->ifindex = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    p->sk = nl_socket_alloc();
    if (!p->sk) {
        snprintf(err, errlen, "nl_socket_alloc failed");
        nl_free_priv(p);
        return NULL;
    }
    int rc = nl_connect(p->sk, NETLINK_ROUTE);
    if (rc < 0) {
        snprintf(err, errlen, "nl_connect: %s", nl_geterror(rc));
        nl_free_priv(p);
        return NULL;
    }
    /* nl_connect shrinks the buffers to 32 KiB; dumps of big tables need more */
    int sz = 4 << 20;
    int fd = nl_socket_get_fd(p->sk);
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) < 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof sz) < 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    /* one recvmsg per reply instead of two (MSG_PEEK for the size, then the read):
     * the kernel never puts more than 32 KiB in one dump message, and a reply
     * that does not fit fails with NLE_MSG_TRUNC instead of being lost */
    nl_socket_set_msg_buf_size(p->sk, 64 << 10);
    nl_socket_disable_msg_peek(p->sk);
    kernel *k = g_new0(kernel, 1);
    k->vt = &nl_vt;
    k->priv = p;
    k->netns_fd = -1;
    g_strlcpy(k->rt_tables, rt_tables ? rt_tables : "/etc/iproute2/rt_tables", sizeof k->rt_tables);
    return k;
}

typedef struct {
    const char *rt_tables;
    kernel *k;
} new_in_ctx;

static int new_here(void *ctx, char *err, size_t errlen)
{
    new_in_ctx *c = ctx;
    c->k = kernel_netlink_new(c->rt_tables, err, errlen);
    if (!c->k)
        return -1;
    /* the nftables context (and its socket) belongs to this namespace too */
    nl_priv *p = c->k->priv;
    p->nft = nft_ctx_new(NFT_CTX_DEFAULT);
    if (p->nft) {
        nft_ctx_buffer_output(p->nft);
        nft_ctx_buffer_error(p->nft);
    }
    return 0;
}

kernel *kernel_netlink_new_in(const char *rt_tables, const char *netns, char *err, size_t errlen)
{
    new_in_ctx c = { rt_tables, NULL };
    if (kernel_netns_run(netns, new_here, &c, err, errlen) != 0) {
        kernel_free(c.k);
        return NULL;
    }
    gchar *path = g_build_filename("/run/netns", netns, NULL);
    c.k->netns_fd = open(path, O_RDONLY | O_CLOEXEC);
    g_free(path);
    if (c.k->netns_fd < 0) {
        snprintf(err, errlen, "open namespace %s: %s", netns, g_strerror(errno));
        kernel_free(c.k);
        return NULL;
    }
    g_strlcpy(c.k->label, netns, sizeof c.k->label);
    return c.k;
}
