/* kernel_routes.c - route and rule kops as rtnetlink requests: built once here,
 * sent one at a time with their ACK awaited (kernel_apply) or many per system
 * call (kernel_batch.c, kernel_apply_all). */
#include "kernel.h"

#include <arpa/inet.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>
#include <stdio.h>
#include <string.h>

#include "kernel_nl.h"

struct nl_addr *nl_ip4(uint32_t host, int prefix)
{
    uint32_t be = htonl(host);
    struct nl_addr *a = nl_addr_build(AF_INET, &be, 4);
    if (a)
        nl_addr_set_prefixlen(a, prefix);
    return a;
}

const char *nl_kop_what(const kop *op)
{
    switch (op->type) {
    case KOP_ROUTE_ADD:
        return "route add";
    case KOP_ROUTE_DEL:
        return "route del";
    case KOP_ROUTE_CHANGE:
        return "route change";
    case KOP_RULE_ADD:
        return "rule add";
    default:
        return "rule del";
    }
}

/* Next hop, scope and type of a unicast route to add or change. */
static int route_nexthop(nl_priv *p, struct rtnl_route *r, const kop *op, bool drained, char *err,
                         size_t errlen)
{
    int idx = 0;
    if (op->dev[0])
        idx = drained ? ifindex_cached(p, op->dev, err, errlen) : ifindex_of(p, op->dev, err, errlen);
    if (idx < 0)
        return -1;
    struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
    if (idx > 0)
        rtnl_route_nh_set_ifindex(nh, idx);
    if (op->gw) {
        struct nl_addr *gw = nl_ip4(op->gw, 32);
        rtnl_route_nh_set_gateway(nh, gw);
        nl_addr_put(gw);
    }
    rtnl_route_add_nexthop(r, nh);
    rtnl_route_set_scope(r, op->gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
    return 0;
}

static struct rtnl_route *route_object(nl_priv *p, const kop *op, bool drained, char *err,
                                       size_t errlen)
{
    static const uint8_t types[] = { [KROUTE_UNREACHABLE] = RTN_UNREACHABLE,
                                     [KROUTE_UNICAST] = RTN_UNICAST,
                                     [KROUTE_BLACKHOLE] = RTN_BLACKHOLE };
    struct rtnl_route *r = rtnl_route_alloc();
    struct nl_addr *dst = nl_ip4(op->dst.addr, op->dst.prefix);
    rtnl_route_set_family(r, AF_INET);
    rtnl_route_set_table(r, op->table);
    rtnl_route_set_dst(r, dst);
    nl_addr_put(dst);
    rtnl_route_set_protocol(r, KERNEL_RTPROT_QSPN);
    rtnl_route_set_type(r, types[op->rtype]);
    if (op->type == KOP_ROUTE_DEL) {
        rtnl_route_set_scope(r, RT_SCOPE_NOWHERE);
    } else if (op->rtype == KROUTE_UNICAST) {
        if (route_nexthop(p, r, op, drained, err, errlen) != 0) {
            rtnl_route_put(r);
            return NULL;
        }
    } else {
        /* like `ip`: unreachable/blackhole routes have universe scope */
        rtnl_route_set_scope(r, RT_SCOPE_UNIVERSE);
    }
    if (op->src && op->type != KOP_ROUTE_DEL) {
        struct nl_addr *src = nl_ip4(op->src, 32);
        rtnl_route_set_pref_src(r, src);
        nl_addr_put(src);
    }
    return r;
}

static int route_request(nl_priv *p, const kop *op, bool drained, struct nl_msg **msg, char *err,
                         size_t errlen)
{
    struct rtnl_route *r = route_object(p, op, drained, err, errlen);
    if (!r)
        return -1;
    int rc;
    if (op->type == KOP_ROUTE_ADD) {
        rc = rtnl_route_build_add_request(r, NLM_F_EXCL, msg);
    } else if (op->type == KOP_ROUTE_DEL) {
        rc = rtnl_route_build_del_request(r, 0, msg);
    } else {
        /* `ip route change`: NLM_F_REPLACE without NLM_F_CREATE (ENOENT when missing) */
        rc = rtnl_route_build_add_request(r, NLM_F_REPLACE, msg);
        if (rc >= 0)
            nlmsg_hdr(*msg)->nlmsg_flags &= ~(unsigned)NLM_F_CREATE;
    }
    rtnl_route_put(r);
    return rc < 0 ? set_err_nl(err, errlen, nl_kop_what(op), rc) : 0;
}

static int rule_request(const kop *op, struct nl_msg **msg, char *err, size_t errlen)
{
    struct rtnl_rule *r = rtnl_rule_alloc();
    rtnl_rule_set_family(r, AF_INET);
    rtnl_rule_set_table(r, op->table);
    rtnl_rule_set_action(r, FR_ACT_TO_TBL);
    if (op->fwmark)
        rtnl_rule_set_mark(r, op->fwmark);
    int rc = op->type == KOP_RULE_ADD ? rtnl_rule_build_add_request(r, NLM_F_EXCL, msg)
                                      : rtnl_rule_build_delete_request(r, 0, msg);
    rtnl_rule_put(r);
    return rc < 0 ? set_err_nl(err, errlen, nl_kop_what(op), rc) : 0;
}

int nl_kop_request(nl_priv *p, const kop *op, bool drained, struct nl_msg **msg, char *err,
                   size_t errlen)
{
    *msg = NULL;
    if (op->type == KOP_RULE_ADD || op->type == KOP_RULE_DEL)
        return rule_request(op, msg, err, errlen);
    return route_request(p, op, drained, msg, err, errlen);
}

int nl_do_request(nl_priv *p, const kop *op, char *err, size_t errlen)
{
    struct nl_msg *msg = NULL;
    if (nl_kop_request(p, op, false, &msg, err, errlen) != 0)
        return -1;
    int rc = nl_send_sync(p->sk, msg);   /* frees msg */
    return rc < 0 ? set_err_nl(err, errlen, nl_kop_what(op), rc) : 0;
}

static size_t put_u32(char *buf, size_t off, unsigned short type, uint32_t v)
{
    struct rtattr *a = (struct rtattr *)(buf + off);
    a->rta_type = type;
    a->rta_len = RTA_LENGTH(sizeof v);
    memcpy(RTA_DATA(a), &v, sizeof v);
    return off + RTA_SPACE(sizeof v);
}

int nl_route_raw(nl_priv *p, const kop *op, bool drained, void *buf, size_t cap, char *err,
                 size_t errlen)
{
    static const uint8_t types[] = { [KROUTE_UNREACHABLE] = RTN_UNREACHABLE,
                                     [KROUTE_UNICAST] = RTN_UNICAST,
                                     [KROUTE_BLACKHOLE] = RTN_BLACKHOLE };
    bool del = op->type == KOP_ROUTE_DEL, nh = !del && op->rtype == KROUTE_UNICAST;
    int idx = 0;
    if (nh && op->dev[0])
        idx = drained ? ifindex_cached(p, op->dev, err, errlen) : ifindex_of(p, op->dev, err, errlen);
    if (idx < 0)
        return -1;
    if (cap < NLMSG_SPACE(sizeof(struct rtmsg)) + 5 * RTA_SPACE(4))
        return 0;
    char *b = buf;
    struct nlmsghdr *h = (struct nlmsghdr *)b;
    *h = (struct nlmsghdr){ .nlmsg_type = del ? RTM_DELROUTE : RTM_NEWROUTE };
    h->nlmsg_flags = op->type == KOP_ROUTE_ADD ? NLM_F_CREATE | NLM_F_EXCL
                   : op->type == KOP_ROUTE_CHANGE ? NLM_F_REPLACE : 0;
    struct rtmsg *rt = NLMSG_DATA(h);
    *rt = (struct rtmsg){ .rtm_family = AF_INET, .rtm_dst_len = (uint8_t)op->dst.prefix,
                          .rtm_table = (uint8_t)op->table, .rtm_protocol = KERNEL_RTPROT_QSPN,
                          .rtm_type = types[op->rtype] };
    rt->rtm_scope = del ? RT_SCOPE_NOWHERE : nh && !op->gw ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
    /* attributes in libnl's order, so both paths send the very same request */
    size_t off = NLMSG_SPACE(sizeof *rt);
    off = put_u32(b, off, RTA_TABLE, op->table);
    off = put_u32(b, off, RTA_DST, htonl(op->dst.addr));
    if (op->src && !del)
        off = put_u32(b, off, RTA_PREFSRC, htonl(op->src));
    if (nh && op->gw)
        off = put_u32(b, off, RTA_GATEWAY, htonl(op->gw));
    if (idx > 0)
        off = put_u32(b, off, RTA_OIF, (uint32_t)idx);
    h->nlmsg_len = (uint32_t)off;
    return (int)off;
}
