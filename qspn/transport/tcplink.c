/* tcplink.c - framed TCP streams between neighbour daemons.
 * One listener; per peer one outgoing stream (created on the first send) and
 * the incoming streams the peer opened.  Non-blocking sockets driven by the
 * glib main loop; a write queue per outgoing stream, bounded. */
#define _GNU_SOURCE
#include "transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib-unix.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nmsg.h"

#define TL_WQUEUE_MAX (64u * 1024u * 1024u)

typedef struct {
    tl_hub *hub;
    int fd;
    uint32_t peer_ip;
    uint32_t local_ip;                 /* incoming: the address the peer connected to */
    guint watch;
    bool outgoing;
    bool connecting;
    GByteArray *buf;                   /* outgoing: to write; incoming: read so far */
} tl_conn;

struct tl_hub {
    tl_callbacks cb;
    void *user;
    uint16_t port;
    int lfd;
    guint lwatch;
    GPtrArray *conns;                  /* tl_conn* */
    tl_stats stats;
};

static void conn_close(tl_conn *c)
{
    if (c->watch)
        g_source_remove(c->watch);
    c->watch = 0;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    g_ptr_array_remove(c->hub->conns, c);
    g_byte_array_free(c->buf, TRUE);
    g_free(c);
}

static void out_failed(tl_conn *c)
{
    tl_hub *h = c->hub;
    uint32_t peer = c->peer_ip;
    conn_close(c);
    if (h->cb.down)
        h->cb.down(h->user, peer);
}

static gboolean on_out_event(gint fd, GIOCondition cond, gpointer data);

static void arm(tl_conn *c)
{
    GIOCondition want = G_IO_IN;
    if (c->connecting || c->buf->len > 0)
        want |= G_IO_OUT;
    if (c->watch)
        g_source_remove(c->watch);
    c->watch = g_unix_fd_add(c->fd, want, on_out_event, c);
}

/* Write what is queued; false when the stream broke (c is then freed). */
static bool flush(tl_conn *c)
{
    while (c->buf->len > 0) {
        ssize_t w = send(c->fd, c->buf->data, c->buf->len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            c->hub->stats.bytes_out += (uint64_t)w;
            g_byte_array_remove_range(c->buf, 0, (guint)w);
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        out_failed(c);
        return false;
    }
    arm(c);
    return true;
}

static gboolean on_out_event(gint fd, GIOCondition cond, gpointer data)
{
    tl_conn *c = data;
    if (c->connecting) {
        int e = 0;
        socklen_t el = sizeof e;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0 || e != 0) {
            c->hub->stats.connect_failures++;
            c->watch = 0;
            out_failed(c);
            return G_SOURCE_REMOVE;
        }
        c->connecting = false;
    }
    if (cond & (G_IO_IN | G_IO_HUP | G_IO_ERR)) {
        /* the peer never writes on our stream: data or EOF means it is gone */
        char tmp[256];
        ssize_t r = recv(fd, tmp, sizeof tmp, MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR) || r > 0) {
            c->watch = 0;
            out_failed(c);
            return G_SOURCE_REMOVE;
        }
    }
    c->watch = 0;                      /* flush() re-arms */
    flush(c);
    return G_SOURCE_REMOVE;
}

static tl_conn *find_out(tl_hub *h, uint32_t peer)
{
    for (guint i = 0; i < h->conns->len; i++) {
        tl_conn *c = g_ptr_array_index(h->conns, i);
        if (c->outgoing && c->peer_ip == peer)
            return c;
    }
    return NULL;
}

static tl_conn *connect_to(tl_hub *h, uint32_t peer, uint32_t local, const char *dev)
{
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return NULL;
    struct sockaddr_in la = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(local) };
    struct sockaddr_in pa = { .sin_family = AF_INET, .sin_port = htons(h->port),
                              .sin_addr.s_addr = htonl(peer) };
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if ((dev && dev[0] && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, (socklen_t)strlen(dev) + 1) != 0) ||
        (local && bind(fd, (struct sockaddr *)&la, sizeof la) != 0) ||
        (connect(fd, (struct sockaddr *)&pa, sizeof pa) != 0 && errno != EINPROGRESS)) {
        close(fd);
        return NULL;
    }
    tl_conn *c = g_new0(tl_conn, 1);
    c->hub = h;
    c->fd = fd;
    c->peer_ip = peer;
    c->outgoing = true;
    c->connecting = true;
    c->buf = g_byte_array_new();
    g_ptr_array_add(h->conns, c);
    h->stats.connects++;
    return c;
}

void tl_send(tl_hub *h, uint32_t peer, uint32_t local, const char *dev, const uint8_t *msg, size_t len)
{
    tl_conn *c = find_out(h, peer);
    if (!c) {
        c = connect_to(h, peer, local, dev);
        if (!c) {
            h->stats.connect_failures++;
            if (h->cb.down)
                h->cb.down(h->user, peer);
            return;
        }
    }
    if (c->buf->len + len > TL_WQUEUE_MAX) {
        out_failed(c);                 /* the peer does not read: give up on it */
        return;
    }
    g_byte_array_append(c->buf, msg, (guint)len);
    h->stats.frames_out++;
    if (c->connecting)
        arm(c);
    else
        flush(c);
}

/* Take every whole message out of the read buffer (copies, in order); false
 * with *why when the stream is malformed. */
static bool extract(tl_conn *c, GPtrArray *msgs, const char **why)
{
    for (;;) {
        if (c->buf->len < NMSG_HDR_LEN)
            return true;
        uint8_t type;
        uint32_t body;
        nmsg_result r = nmsg_decode_header(c->buf->data, c->buf->len, &type, &body);
        if (r != NMSG_OK) {
            *why = nmsg_result_name(r);
            return false;
        }
        size_t whole = NMSG_HDR_LEN + (size_t)body;
        if (c->buf->len < whole)
            return true;
        g_ptr_array_add(msgs, g_bytes_new(c->buf->data, whole));
        g_byte_array_remove_range(c->buf, 0, (guint)whole);
    }
}

static tl_admission admission(tl_hub *h, const tl_conn *c)
{
    return h->cb.admit ? h->cb.admit(h->user, c->peer_ip, c->local_ip) : TL_NEIGHBOUR;
}

static gboolean on_in_event(gint fd, GIOCondition cond, gpointer data)
{
    tl_conn *c = data;
    tl_hub *h = c->hub;
    uint8_t tmp[65536];
    ssize_t r;
    do
        r = recv(fd, tmp, sizeof tmp, MSG_DONTWAIT);
    while (r < 0 && errno == EINTR);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return G_SOURCE_CONTINUE;
    if (r <= 0) {
        c->watch = 0;
        conn_close(c);
        return G_SOURCE_REMOVE;
    }
    h->stats.bytes_in += (uint64_t)r;
    g_byte_array_append(c->buf, tmp, (guint)r);
    GPtrArray *msgs = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    const char *why = NULL;
    uint32_t peer = c->peer_ip;
    bool ok = extract(c, msgs, &why);
    if (!ok)
        h->stats.streams_closed_bad++;
    else if (c->buf->len > TL_STRANGER_BUF && admission(h, c) != TL_NEIGHBOUR) {
        /* an unfinished message this large: only a neighbour's QSPN frame may be */
        ok = false;
        why = "unfinished message too large for a stranger";
        h->stats.stranger_overflow++;
    }
    if (!ok) {
        c->watch = 0;
        conn_close(c);
        if (h->cb.bad)
            h->cb.bad(h->user, peer, why);
        g_ptr_array_free(msgs, TRUE);
        return G_SOURCE_REMOVE;
    }
    /* c may be closed by a callback (tl_forget): it is not touched any more */
    for (guint i = 0; i < msgs->len; i++) {
        gsize len;
        const uint8_t *m = g_bytes_get_data(g_ptr_array_index(msgs, i), &len);
        h->stats.frames_in++;
        h->cb.frame(h->user, peer, m, len);
    }
    g_ptr_array_free(msgs, TRUE);
    return G_SOURCE_CONTINUE;
}

/* Make room for one more incoming stream: false when every one is a neighbour's. */
static bool room_for_one(tl_hub *h)
{
    guint n = 0;
    tl_conn *oldest_stranger = NULL;
    for (guint i = 0; i < h->conns->len; i++) {
        tl_conn *c = g_ptr_array_index(h->conns, i);
        if (c->outgoing)
            continue;
        n++;
        if (!oldest_stranger && admission(h, c) != TL_NEIGHBOUR)
            oldest_stranger = c;
    }
    if (n < TL_IN_MAX)
        return true;
    if (!oldest_stranger)
        return false;
    h->stats.evicted++;
    conn_close(oldest_stranger);
    return true;
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer data)
{
    tl_hub *h = data;
    for (int i = 0; i < 16; i++) {
        struct sockaddr_in pa, la;
        socklen_t pl = sizeof pa, ll = sizeof la;
        int cfd = accept4(fd, (struct sockaddr *)&pa, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0)
            break;
        tl_conn probe = { .peer_ip = ntohl(pa.sin_addr.s_addr) };
        if (getsockname(cfd, (struct sockaddr *)&la, &ll) == 0 && la.sin_family == AF_INET)
            probe.local_ip = ntohl(la.sin_addr.s_addr);
        if (pa.sin_family != AF_INET || admission(h, &probe) == TL_REFUSE || !room_for_one(h)) {
            h->stats.refused++;
            close(cfd);
            continue;
        }
        tl_conn *c = g_new0(tl_conn, 1);
        c->hub = h;
        c->fd = cfd;
        c->peer_ip = probe.peer_ip;
        c->local_ip = probe.local_ip;
        c->buf = g_byte_array_new();
        g_ptr_array_add(h->conns, c);
        c->watch = g_unix_fd_add(cfd, G_IO_IN, on_in_event, c);
        h->stats.accepted++;
    }
    return G_SOURCE_CONTINUE;
}

tl_hub *tl_hub_new(uint16_t port, const tl_callbacks *cb, void *user, char *err, size_t errlen)
{
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_ANY) };
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 64) != 0) {
        snprintf(err, errlen, "tcp port %u: %s", port, g_strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    tl_hub *h = g_new0(tl_hub, 1);
    h->cb = *cb;
    h->user = user;
    h->port = port;
    h->lfd = fd;
    h->conns = g_ptr_array_new();
    h->lwatch = g_unix_fd_add(fd, G_IO_IN, on_accept, h);
    return h;
}

void tl_forget(tl_hub *h, uint32_t peer)
{
    for (guint i = 0; i < h->conns->len;) {
        tl_conn *c = g_ptr_array_index(h->conns, i);
        if (c->peer_ip == peer)
            conn_close(c);
        else
            i++;
    }
}

void tl_hub_free(tl_hub *h)
{
    if (!h)
        return;
    while (h->conns->len > 0)
        conn_close(g_ptr_array_index(h->conns, 0));
    g_ptr_array_free(h->conns, TRUE);
    if (h->lwatch)
        g_source_remove(h->lwatch);
    close(h->lfd);
    g_free(h);
}

const tl_stats *tl_get_stats(const tl_hub *h)
{
    return &h->stats;
}
