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
} nl_priv;

int set_err_nl(char *err, size_t errlen, const char *what, int rc);
/* Index of dev in the handle's namespace (cached, see nl_priv), or -1 with err. */
int ifindex_of(nl_priv *p, const char *dev, char *err, size_t errlen);

/* kernel_links.c: links and namespaces (macvlans of identity namespaces) */
int do_link_del(nl_priv *p, const kop *op, char *err, size_t errlen);
int do_netns_del(const kop *op, char *err, size_t errlen);
int do_macvlan(nl_priv *p, const kop *op, char *err, size_t errlen);
