/* udp.c - one UDP socket per managed NIC: HELLO broadcasts in and out. */
#define _GNU_SOURCE
#include "transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib-unix.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define UDP_RX_MAX 2048

struct udp_nic {
    int fd;
    int nic;
    int ifindex;
    uint16_t port;
    guint watch;
    udp_rx_fn fn;
    void *user;
};

static gboolean on_readable(gint fd, GIOCondition cond, gpointer data)
{
    udp_nic *u = data;
    uint8_t buf[UDP_RX_MAX];
    for (int i = 0; i < 64; i++) {            /* bounded work per wake-up */
        struct sockaddr_in src;
        socklen_t sl = sizeof src;
        /* MSG_TRUNC: the datagram's real length, to tell an oversized one */
        ssize_t r = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&src, &sl);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (sl < sizeof src || src.sin_family != AF_INET)
            continue;
        /* larger than any HELLO: handed over as empty, which no decoder accepts */
        size_t len = (size_t)r > sizeof buf ? 0 : (size_t)r;
        u->fn(u->user, u->nic, ntohl(src.sin_addr.s_addr), buf, len);
    }
    return G_SOURCE_CONTINUE;
}

udp_nic *udp_nic_open(const char *dev, int nic, uint16_t port, udp_rx_fn fn, void *user, char *err,
                      size_t errlen)
{
    int one = 1;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "udp socket: %s", g_strerror(errno));
        return NULL;
    }
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_ANY) };
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, (socklen_t)strlen(dev) + 1) != 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        snprintf(err, errlen, "udp %s port %u: %s", dev, port, g_strerror(errno));
        close(fd);
        return NULL;
    }
    udp_nic *u = g_new0(udp_nic, 1);
    u->fd = fd;
    u->nic = nic;
    u->ifindex = (int)if_nametoindex(dev);
    u->port = port;
    u->fn = fn;
    u->user = user;
    /* GLib blocks a non-recursive source while it dispatches it: it takes the
     * fd out of the poll set and puts it back, and each change wakes the loop
     * through its eventfd (two writes, an extra poll and a read per HELLO
     * received).  on_readable never iterates the loop, so it may "recurse". */
    GSource *src = g_unix_fd_source_new(fd, G_IO_IN);
    g_source_set_callback(src, G_SOURCE_FUNC(on_readable), u, NULL);
    g_source_set_can_recurse(src, TRUE);
    u->watch = g_source_attach(src, NULL);
    g_source_unref(src);
    return u;
}

bool udp_nic_broadcast(udp_nic *u, uint32_t src_ip, const uint8_t *data, size_t len)
{
    struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(u->port),
                               .sin_addr.s_addr = htonl(INADDR_BROADCAST) };
    char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
    memset(cbuf, 0, sizeof cbuf);
    struct iovec iov = { (void *)data, len };
    struct msghdr mh = { .msg_name = &dst, .msg_namelen = sizeof dst, .msg_iov = &iov,
                         .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
    struct in_pktinfo *pi = (struct in_pktinfo *)CMSG_DATA(c);
    pi->ipi_ifindex = u->ifindex;
    pi->ipi_spec_dst.s_addr = htonl(src_ip);
    return sendmsg(u->fd, &mh, MSG_DONTWAIT) == (ssize_t)len;
}

void udp_nic_close(udp_nic *u)
{
    if (!u)
        return;
    if (u->watch)
        g_source_remove(u->watch);
    close(u->fd);
    g_free(u);
}
