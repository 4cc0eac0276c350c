/* kernel_nl.h - shared by the netlink backend's files (not a public API). */
#pragma once

#include "kernel.h"

#include <netlink/netlink.h>
#include <nftables/libnftables.h>

#include <glib.h>

typedef struct {
    struct nl_sock *sk;
    struct nft_ctx *nft;
    /* Interface indexes of this handle's namespace (its sockets live there):
     * name -> index, emptied whenever ev_fd (a NETLINK_ROUTE socket in the same
     * namespace, subscribed to RTNLGRP_LINK) has received anything since the last
     * lookup; the kernel queues a link event before the change's request returns,
     * so a lookup after a change never sees a stale index.  ev_fd < 0: no cache. */
    GHashTable *ifindex;
    int ev_fd;
    unsigned long ifindex_hits, ifindex_misses;
    uint32_t batch_seq;            /* sequence numbers of kernel_batch.c's requests */
} nl_priv;

int set_err_nl(char *err, size_t errlen, const char *what, int rc);
/* Index of dev in the handle's namespace (cached, see nl_priv), or -1 with err. */
int ifindex_of(nl_priv *p, const char *dev, char *err, size_t errlen);
/* The same in two steps, for many lookups between which no link changes: empty
 * the cache if a link event came, then look up without checking again. */
void nl_ifindex_refresh(nl_priv *p);
int ifindex_cached(nl_priv *p, const char *dev, char *err, size_t errlen);
struct nl_addr *nl_ip4(uint32_t host, int prefix);

/* kernel_routes.c: route and rule kops as rtnetlink requests */
const char *nl_kop_what(const kop *op);   /* "route add", ... for messages */
/* The request of a route/rule kop in *msg (nlmsg_free), 0; or -1 with err.
 * drained: nl_ifindex_refresh() was just called (see ifindex_cached). */
int nl_kop_request(nl_priv *p, const kop *op, bool drained, struct nl_msg **msg, char *err,
                   size_t errlen);
/* The request of a route kop written straight into buf (no allocation: the
 * batch's hot path), the same bytes as nl_kop_request() (test_kernel_netns
 * compares them); sequence number and port left 0.  Returns its length, 0 when
 * it does not fit in cap, -1 with err. */
int nl_route_raw(nl_priv *p, const kop *op, bool drained, void *buf, size_t cap, char *err,
                 size_t errlen);
/* Send it and wait for its ACK (kernel_apply's one at a time). */
int nl_do_request(nl_priv *p, const kop *op, char *err, size_t errlen);
/* kernel_batch.c: the vtable's apply_batch */
void nl_apply_batch(kernel *k, const kop *ops, size_t n,
                    void (*result)(void *ctx, size_t i, const char *err), void *ctx);

/* kernel_links.c: links and namespaces (macvlans of identity namespaces) */
int do_link_del(nl_priv *p, const kop *op, char *err, size_t errlen);
int do_netns_del(const kop *op, char *err, size_t errlen);
int do_macvlan(nl_priv *p, const kop *op, char *err, size_t errlen);
