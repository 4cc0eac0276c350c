/* qspn-rogue - a hostile process on a medium (issue 9, part 3; topologies/hostile.steps).
 *
 * For a bounded time and at a set rate it sends qspnd what a stranger on the
 * link could: malformed, truncated, bit-flipped and oversized HELLOs, HELLOs
 * of ever new strangers, forged HELLOs (a victim's NNID, MAC and link-local,
 * even a goodbye), replays of the victims' own HELLOs (captured at start) and
 * the same with one bit of their end flipped (the HMAC of a keyed one);
 * and over TCP to each target's port: garbage streams, well framed requests
 * from a stranger, unfinished huge messages, idle streams held open (more
 * than qspnd keeps) and streams to a target's address that is not its
 * link-local.  None of it may crash a daemon, change a route or grow its
 * memory without bound; every message must be rejected and counted.
 *
 * Test tool, never installed.  Prints what it sent, one "kind count" per line.
 * Exit 0, or 2 on a usage error. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "nmsg.h"

#define MAX_TARGETS 8
#define MAX_CAPTURED 32
#define MAX_HELD 512

enum {
    K_RANDOM, K_TRUNCATED, K_FLIPPED, K_OVERSIZED, K_STRANGER_HELLO, K_FORGED, K_REPLAYED,
    K_TAMPERED, K_UDP_KINDS,
    K_TCP_GARBAGE = K_UDP_KINDS, K_TCP_STRANGER_REQUEST, K_TCP_UNFINISHED_HUGE, K_TCP_IDLE_HELD,
    K_TCP_NOT_LINKLOCAL, K_TCP_CONNECT_FAILED, K_COUNT
};
static const char *const kind_names[K_COUNT] = {
    "udp_random", "udp_truncated", "udp_bit_flipped", "udp_oversized", "udp_stranger_hello",
    "udp_forged", "udp_replayed", "udp_tampered", "tcp_garbage", "tcp_stranger_request", "tcp_unfinished_huge",
    "tcp_idle_held", "tcp_not_linklocal", "tcp_connect_failed",
};

typedef struct {
    const char *dev;
    uint32_t ll;
    nmsg_mac mac;
    double seconds;
    long rate;
    uint32_t targets[MAX_TARGETS];
    int n_targets;
    uint32_t global;                   /* a target's address that is not its link-local */
    long idle_streams;                 /* idle streams opened to each target at once */
    int udp;
    GByteArray *captured[MAX_CAPTURED];
    int n_captured;
    int held[MAX_HELD];
    int n_held, next_held;
    uint64_t sent[K_COUNT];
} rogue;

static void usage(FILE *f)
{
    fputs("usage: qspn-rogue --dev DEV --ll LINKLOCAL --mac MAC [--seconds S] [--rate N]\n"
          "                  [--target LINKLOCAL]... [--global IP] [--idle-streams N]\n"
          "  --seconds S   how long to send (0.1 .. 600, default 10)\n"
          "  --rate N      messages per second (1 .. 1000000, default 5000)\n"
          "  --target LL   a qspnd's link-local to open TCP streams to (at most 8)\n"
          "  --global IP   an address of a target that is not its link-local (TCP)\n"
          "  --idle-streams N  first open N idle streams to each target (0 .. 200, default 0)\n", f);
}

static uint32_t rnd(void)
{
    return g_random_int();
}

static bool parse_ip(const char *s, uint32_t *out)
{
    struct in_addr a;
    if (inet_pton(AF_INET, s, &a) != 1)
        return false;
    *out = ntohl(a.s_addr);
    return true;
}

static bool parse_args(rogue *r, int argc, char **argv)
{
    bool have_ll = false, have_mac = false;
    r->seconds = 10;
    r->rate = 5000;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (!v)
            return false;
        i++;
        if (!strcmp(o, "--dev") && strlen(v) < 16)
            r->dev = v;
        else if (!strcmp(o, "--ll"))
            have_ll = parse_ip(v, &r->ll);
        else if (!strcmp(o, "--mac"))
            have_mac = nmsg_mac_parse(v, &r->mac);
        else if (!strcmp(o, "--seconds")) {
            r->seconds = strtod(v, &end);
            if (*end || !(r->seconds >= 0.1 && r->seconds <= 600))
                return false;
        } else if (!strcmp(o, "--rate")) {
            r->rate = strtol(v, &end, 10);
            if (*end || r->rate < 1 || r->rate > 1000000)
                return false;
        } else if (!strcmp(o, "--target") && r->n_targets < MAX_TARGETS) {
            if (!parse_ip(v, &r->targets[r->n_targets++]))
                return false;
        } else if (!strcmp(o, "--idle-streams")) {
            r->idle_streams = strtol(v, &end, 10);
            if (*end || r->idle_streams < 0 || r->idle_streams > 200)
                return false;
        } else if (!strcmp(o, "--global")) {
            if (!parse_ip(v, &r->global))
                return false;
        } else
            return false;
    }
    return r->dev && have_ll && have_mac;
}

/* ---- UDP ------------------------------------------------------------------------------ */

static int open_udp(const rogue *r)
{
    int one = 1;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(NMSG_PORT) };
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, r->dev, (socklen_t)strlen(r->dev) + 1) != 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        fprintf(stderr, "qspn-rogue: udp on %s: %s\n", r->dev, strerror(errno));
        exit(1);
    }
    return fd;
}

/* The victims' HELLOs heard in the first `ms` milliseconds, to forge and replay. */
static void capture(rogue *r, int ms)
{
    int64_t end = g_get_monotonic_time() + ms * 1000;
    uint8_t buf[2048];
    while (r->n_captured < MAX_CAPTURED && g_get_monotonic_time() < end) {
        struct pollfd p = { r->udp, POLLIN, 0 };
        if (poll(&p, 1, 50) <= 0)
            continue;
        struct sockaddr_in src;
        socklen_t sl = sizeof src;
        ssize_t n = recvfrom(r->udp, buf, sizeof buf, 0, (struct sockaddr *)&src, &sl);
        if (n > 0 && ntohl(src.sin_addr.s_addr) != r->ll)
            r->captured[r->n_captured++] = g_byte_array_append(g_byte_array_new(), buf, (guint)n);
    }
}

static void broadcast(rogue *r, const uint8_t *d, size_t len)
{
    struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(NMSG_PORT),
                               .sin_addr.s_addr = htonl(INADDR_BROADCAST) };
    (void)sendto(r->udp, d, len, MSG_DONTWAIT, (struct sockaddr *)&dst, sizeof dst);
}

static void my_hello(const rogue *r, uint32_t nnid, nmsg_buf *b)
{
    nmsg_hello h = { .mac = r->mac, .ll = r->ll, .ts_us = rnd(), .hello_ms = 250, .dead_ms = 1500 };
    nmsg_encode_hello(b, nnid, &h);
}

static void send_udp(rogue *r, int kind)
{
    uint8_t junk[65000];
    nmsg_buf b = { 0 };
    size_t len;
    switch (kind) {
    case K_RANDOM:
        len = rnd() % 1401;
        for (size_t i = 0; i < len; i++)
            junk[i] = (uint8_t)rnd();
        broadcast(r, junk, len);
        break;
    case K_TRUNCATED:
        my_hello(r, 1 + rnd() % NMSG_ID_MAX, &b);
        broadcast(r, b.data, rnd() % b.len);
        break;
    case K_FLIPPED:
        my_hello(r, 1 + rnd() % NMSG_ID_MAX, &b);
        for (int i = 0, n = 1 + (int)(rnd() % 4); i < n; i++)
            b.data[rnd() % b.len] ^= (uint8_t)(1u << (rnd() % 8));
        broadcast(r, b.data, b.len);
        break;
    case K_OVERSIZED:
        my_hello(r, 1 + rnd() % NMSG_ID_MAX, &b);
        len = NMSG_UDP_MAX + 1 + rnd() % (sizeof junk - NMSG_UDP_MAX - 1);
        memset(junk, 0xA5, len);
        memcpy(junk, b.data, b.len);
        broadcast(r, junk, len);
        break;
    case K_STRANGER_HELLO: {
        /* a new stranger each time: a well formed HELLO with a fresh NNID and MAC */
        nmsg_hello h = { .ll = r->ll, .ts_us = rnd(), .hello_ms = 250, .dead_ms = 1500 };
        h.mac = r->mac;
        h.mac.b[3] = (uint8_t)rnd();
        h.mac.b[4] = (uint8_t)rnd();
        h.mac.b[5] = (uint8_t)rnd();
        nmsg_encode_hello(&b, 1 + rnd() % NMSG_ID_MAX, &h);
        broadcast(r, b.data, b.len);
        break;
    }
    case K_FORGED: {
        /* a victim's HELLO (its NNID, MAC, link-local) saying goodbye, from our address */
        if (r->n_captured == 0) {
            send_udp(r, K_RANDOM);
            return;
        }
        GByteArray *c = r->captured[rnd() % (unsigned)r->n_captured];
        nmsg m;
        if (nmsg_decode_sealed(c->data, c->len, true, 0, &m) == NMSG_OK ||
            nmsg_decode_sealed(c->data, c->len, true, 40, &m) == NMSG_OK) {
            m.u.hello.bye = true;
            m.u.hello.n_heard = 0;
            nmsg_encode_hello(&b, m.sender_nnid, &m.u.hello);
            broadcast(r, b.data, b.len);
        } else
            broadcast(r, c->data, c->len);
        break;
    }
    case K_REPLAYED:
    case K_TAMPERED: {
        /* a victim's HELLO again, as it was or with one bit of its end flipped (its HMAC, if keyed) */
        if (r->n_captured == 0) {
            send_udp(r, K_RANDOM);
            return;
        }
        GByteArray *c = r->captured[rnd() % (unsigned)r->n_captured];
        memcpy(junk, c->data, c->len);
        if (kind == K_TAMPERED)
            junk[c->len - 1] ^= (uint8_t)(1u << (rnd() % 8));
        broadcast(r, junk, c->len);
        break;
    }
    }
    r->sent[kind]++;
    nmsg_buf_free(&b);
}

/* ---- TCP ------------------------------------------------------------------------------- */

static int tcp_connect(rogue *r, uint32_t dst)
{
    struct timeval tv = { 0, 200000 };
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in la = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(r->ll) };
    struct sockaddr_in pa = { .sin_family = AF_INET, .sin_port = htons(NMSG_PORT),
                              .sin_addr.s_addr = htonl(dst) };
    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, r->dev, (socklen_t)strlen(r->dev) + 1) != 0 ||
        bind(fd, (struct sockaddr *)&la, sizeof la) != 0 || connect(fd, (struct sockaddr *)&pa, sizeof pa) != 0) {
        close(fd);
        r->sent[K_TCP_CONNECT_FAILED]++;
        return -1;
    }
    return fd;
}

static void hold(rogue *r, int fd)
{
    if (r->n_held == MAX_HELD) {
        close(r->held[r->next_held]);
        r->held[r->next_held] = fd;
        r->next_held = (r->next_held + 1) % MAX_HELD;
    } else
        r->held[r->n_held++] = fd;
}

static void send_tcp(rogue *r, int kind)
{
    static uint8_t big[96 * 1024];
    uint32_t dst = kind == K_TCP_NOT_LINKLOCAL ? r->global : r->targets[rnd() % (unsigned)r->n_targets];
    if (!dst)
        return;
    int fd = tcp_connect(r, dst);
    if (fd < 0)
        return;
    nmsg_buf b = { 0 };
    switch (kind) {
    case K_TCP_GARBAGE:
        for (size_t i = 0; i < 4096; i++)
            big[i] = (uint8_t)rnd();
        (void)send(fd, big, 1 + rnd() % 4096, MSG_NOSIGNAL);
        close(fd);
        break;
    case K_TCP_STRANGER_REQUEST:
    case K_TCP_NOT_LINKLOCAL:
        nmsg_encode_get_peer_identities(&b, 1 + rnd() % NMSG_ID_MAX, 1 + rnd() % 1000);
        (void)send(fd, b.data, b.len, MSG_NOSIGNAL);
        close(fd);
        break;
    case K_TCP_UNFINISHED_HUGE:
        /* a QSPN frame announced at the largest body, 96 KiB of it sent, then silence */
        nmsg_encode_qspn(&b, 1 + rnd() % NMSG_ID_MAX, 0, 1, 1, big, sizeof big);
        b.data[16] = (uint8_t)(NMSG_MAX_BODY >> 24);      /* body length: the largest */
        b.data[17] = (uint8_t)(NMSG_MAX_BODY >> 16);
        b.data[18] = (uint8_t)(NMSG_MAX_BODY >> 8);
        b.data[19] = (uint8_t)NMSG_MAX_BODY;
        (void)fcntl(fd, F_SETFL, O_NONBLOCK);
        (void)send(fd, b.data, b.len, MSG_NOSIGNAL);
        hold(r, fd);
        break;
    case K_TCP_IDLE_HELD:
        (void)send(fd, "\0", 1, MSG_NOSIGNAL);
        hold(r, fd);
        break;
    }
    r->sent[kind]++;
    nmsg_buf_free(&b);
}

/* ---- the loop ---------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    static rogue r;
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    if (!parse_args(&r, argc, argv)) {
        usage(stderr);
        return 2;
    }
    r.udp = open_udp(&r);
    capture(&r, 1000);
    /* more idle streams than qspnd keeps (TL_IN_MAX), whatever the rate */
    for (int t = 0; t < r.n_targets; t++)
        for (long i = 0; i < r.idle_streams; i++) {
            int fd = tcp_connect(&r, r.targets[t]);
            if (fd >= 0) {
                (void)send(fd, "\0", 1, MSG_NOSIGNAL);
                hold(&r, fd);
                r.sent[K_TCP_IDLE_HELD]++;
            }
        }
    int64_t start = g_get_monotonic_time(), end = start + (int64_t)(r.seconds * 1e6);
    uint64_t n = 0;
    for (int64_t now = start; now < end; now = g_get_monotonic_time()) {
        uint64_t due = (uint64_t)((double)(now - start) * (double)r.rate / 1e6);
        if (n >= due) {
            struct timespec ts = { 0, 200000 };
            nanosleep(&ts, NULL);
            continue;
        }
        for (; n < due; n++) {
            /* one message in 50 is a TCP stream, if there are targets */
            if (r.n_targets > 0 && n % 50 == 49)
                send_tcp(&r, K_TCP_GARBAGE + (int)((n / 50) % (K_TCP_CONNECT_FAILED - K_TCP_GARBAGE)));
            else
                send_udp(&r, (int)(n % K_UDP_KINDS));
        }
    }
    uint64_t total = 0;
    for (int k = 0; k < K_COUNT; k++) {
        printf("%s %" G_GUINT64_FORMAT "\n", kind_names[k], r.sent[k]);
        if (k != K_TCP_CONNECT_FAILED)
            total += r.sent[k];
    }
    printf("captured %d\ntotal %" G_GUINT64_FORMAT "\n", r.n_captured, total);
    for (int i = 0; i < r.n_held; i++)
        close(r.held[i]);
    for (int i = 0; i < r.n_captured; i++)
        g_byte_array_free(r.captured[i], TRUE);
    close(r.udp);
    return 0;
}
