/* kernel_batch.c - route and rule kops many per system call (the netlink
 * backend's apply_batch, used by kernel_apply_all).
 *
 * Up to BATCH_MSGS requests, each with NLM_F_ACK and its own sequence number,
 * go in one sendmsg; rtnetlink handles them one after the other (a failed one
 * does not stop the next) and queues one ACK per request, which one recvmmsg
 * reads back; ACKs are matched to kops by sequence number, so every kop gets
 * its own exact outcome.  Two system calls per BATCH_MSGS kops instead of two
 * per kop: that per-message cost was most of the time (bench/PERFORMANCE.notes.md). */
#define _GNU_SOURCE
#include "kernel.h"

#include <errno.h>
#include <linux/netlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "kernel_nl.h"

/* Requests in flight at most (all acknowledged before the next send).  Every
 * queued ACK is one skb charged to the socket's receive buffer (its truesize, a
 * few hundred bytes; an error ACK also carries the request back): were the
 * buffer full, the kernel would drop ACKs (ENOBUFS) and outcomes would be lost.
 * 64 ACKs stay under ~64 KiB, far below the 4 MiB the socket asks for (and the
 * 208 KiB rmem_max default if it does not get it). */
#define BATCH_MSGS 64
#define BATCH_BYTES (64 << 10)     /* one send buffer */
#define ACK_SLOT 1024              /* one ACK: header, error, the request back, extack */

typedef struct {
    char *out;                     /* the requests, back to back */
    size_t len;
    size_t nmsg;
    size_t kop_of[BATCH_MSGS];     /* message m is the request of kop kop_of[m] (in the run) */
    uint32_t seq0;                 /* message m has sequence number seq0 + m */
    char *err;                     /* per kop of the chunk: "" ok, else the reason */
    size_t errsz;
    bool *acked;
    char *in;                      /* BATCH_MSGS receive slots */
} batch;

static char *err_of(batch *b, size_t i)
{
    return b->err + i * b->errsz;
}

/* Make the request just written at b->out + b->len (sz bytes) the next one of
 * the batch, the request of kop i. */
static void queue(nl_priv *p, batch *b, size_t i, size_t sz)
{
    struct nlmsghdr *h = (struct nlmsghdr *)(b->out + b->len);
    h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    /* a counter of our own: libnl checks each reply against a count of the
     * replies it has read, nl_socket_use_seq() would put the two out of step */
    h->nlmsg_seq = p->batch_seq++;
    if (b->nmsg == 0)
        b->seq0 = h->nlmsg_seq;
    h->nlmsg_pid = nl_socket_get_local_port(p->sk);
    memset(b->out + b->len + h->nlmsg_len, 0, NLMSG_ALIGN(h->nlmsg_len) - h->nlmsg_len);
    b->len += NLMSG_ALIGN(sz);
    b->kop_of[b->nmsg++] = i;
}

/* Write the request of kop i after the queued ones: 1, 0 when the send buffer
 * is full, -1 (with e) when it cannot be built.  Routes are written in place
 * (no allocation); rules, rare, go through libnl. */
static int build(nl_priv *p, batch *b, const kop *op, size_t i, char *e)
{
    size_t room = BATCH_BYTES - b->len;
    if (op->type != KOP_RULE_ADD && op->type != KOP_RULE_DEL) {
        int sz = nl_route_raw(p, op, true, b->out + b->len, room, e, b->errsz);
        if (sz > 0)
            queue(p, b, i, (size_t)sz);
        return sz > 0 ? 1 : sz;
    }
    struct nl_msg *msg = NULL;
    if (nl_kop_request(p, op, true, &msg, e, b->errsz) != 0)
        return -1;
    struct nlmsghdr *h = nlmsg_hdr(msg);
    bool fits = NLMSG_ALIGN(h->nlmsg_len) <= room;
    if (fits) {
        memcpy(b->out + b->len, h, h->nlmsg_len);
        queue(p, b, i, h->nlmsg_len);
    }
    nlmsg_free(msg);
    return fits ? 1 : 0;
}

/* One ACK (or any message) read back: the outcome of the request it answers;
 * returns the number of requests it acknowledged. */
static size_t ack(batch *b, const kop *ops, const struct nlmsghdr *h, size_t len)
{
    size_t n = 0;
    for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
        uint32_t m = h->nlmsg_seq - b->seq0;
        if (h->nlmsg_type != NLMSG_ERROR || m >= b->nmsg || b->acked[m] ||
            h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
            continue;   /* not ours (cannot happen on this unsubscribed socket) */
        b->acked[m] = true;
        n++;
        const struct nlmsgerr *e = NLMSG_DATA(h);
        size_t i = b->kop_of[m];
        if (e->error != 0)
            set_err_nl(err_of(b, i), b->errsz, nl_kop_what(&ops[i]), -nl_syserr2nlerr(-e->error));
    }
    return n;
}

/* Read the ACKs of the b->nmsg requests just sent; NULL, or why some never came. */
static const char *read_acks(int fd, batch *b, const kop *ops)
{
    struct mmsghdr mm[BATCH_MSGS];
    struct iovec in[BATCH_MSGS];
    const char *why = NULL;
    size_t got = 0;
    while (got < b->nmsg) {
        size_t want = b->nmsg - got;
        for (size_t x = 0; x < want; x++) {
            in[x] = (struct iovec){ b->in + x * ACK_SLOT, ACK_SLOT };
            mm[x] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &in[x], .msg_iovlen = 1 } };
        }
        /* rtnetlink has handled every request before sendmsg returned, so the
         * ACKs are all queued already: never wait for one that was lost */
        int r = recvmmsg(fd, mm, (unsigned)want, MSG_DONTWAIT, NULL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && errno == ENOBUFS) {
            /* some were dropped: read on, so none is left for the next request */
            why = "acknowledgement lost (receive buffer full)";
            continue;
        }
        if (r <= 0)
            return why ? why : r < 0 && errno != EAGAIN ? g_strerror(errno) : "no acknowledgement";
        for (int x = 0; x < r; x++)
            got += ack(b, ops, (const struct nlmsghdr *)in[x].iov_base, MIN(mm[x].msg_len, ACK_SLOT));
    }
    return why;
}

/* Send the queued requests and read their ACKs; a request whose ACK never comes
 * fails with the reason. */
static void flush(nl_priv *p, batch *b, const kop *ops)
{
    int fd = nl_socket_get_fd(p->sk);
    struct sockaddr_nl kernel_sa = { .nl_family = AF_NETLINK };
    struct iovec iov = { b->out, b->len };
    struct msghdr mh = { .msg_name = &kernel_sa, .msg_namelen = sizeof kernel_sa,
                         .msg_iov = &iov, .msg_iovlen = 1 };
    const char *why;
    ssize_t s;
    while ((s = sendmsg(fd, &mh, 0)) < 0 && errno == EINTR)
        ;
    why = s < 0 ? g_strerror(errno) : read_acks(fd, b, ops);
    for (size_t m = 0; m < b->nmsg; m++)
        if (!b->acked[m])
            snprintf(err_of(b, b->kop_of[m]), b->errsz, "%s: %s", nl_kop_what(&ops[b->kop_of[m]]),
                     why ? why : "no acknowledgement");
}

/* Build and queue the requests of up to BATCH_MSGS kops from ops[0]; returns
 * how many kops the chunk took (a kop whose request cannot be built is in it,
 * failed already). */
static size_t fill(nl_priv *p, batch *b, const kop *ops, size_t n)
{
    size_t c = 0;
    b->len = b->nmsg = 0;
    memset(b->acked, 0, BATCH_MSGS * sizeof *b->acked);
    /* the chunk changes no link: one look at the link events serves it all */
    nl_ifindex_refresh(p);
    for (; c < n && c < BATCH_MSGS; c++) {
        char *e = err_of(b, c);
        e[0] = '\0';
        if (build(p, b, &ops[c], c, e) == 0)
            break;   /* the send buffer is full: this kop starts the next chunk */
    }
    return c;
}

void nl_apply_batch(kernel *k, const kop *ops, size_t n,
                    void (*result)(void *ctx, size_t i, const char *err), void *ctx)
{
    nl_priv *p = k->priv;
    batch b = { .errsz = 256 };
    b.out = g_malloc(BATCH_BYTES);
    b.in = g_malloc(BATCH_MSGS * ACK_SLOT);
    b.err = g_malloc(BATCH_MSGS * b.errsz);
    b.acked = g_new(bool, BATCH_MSGS);
    for (size_t i = 0; i < n;) {
        size_t c = fill(p, &b, ops + i, n - i);
        if (b.nmsg > 0)
            flush(p, &b, ops + i);
        for (size_t x = 0; x < c; x++)
            result(ctx, i + x, err_of(&b, x)[0] ? err_of(&b, x) : NULL);
        i += c;
    }
    g_free(b.out);
    g_free(b.in);
    g_free(b.err);
    g_free(b.acked);
}
