/* kernel_nl.h - shared by the netlink backend's files (not a public API). */
#pragma once

#include "kernel.h"

#include <netlink/netlink.h>
#include <nftables/libnftables.h>

typedef struct {
    struct nl_sock *sk;
    struct nft_ctx *nft;
} nl_priv;

int set_err_nl(char *err, size_t errlen, const char *what, int rc);
int ifindex_of(nl_priv *p, const char *dev, char *err, size_t errlen);

/* kernel_links.c: links and namespaces (macvlans of identity namespaces) */
int do_link_del(nl_priv *p, const kop *op, char *err, size_t errlen);
int do_netns_del(const kop *op, char *err, size_t errlen);
int do_macvlan(nl_priv *p, const kop *op, char *err, size_t errlen);
