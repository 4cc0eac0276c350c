/* ping_share.c - issue 12 part 3: the share of sampled pairs that ping, against
 * time, measured the way meshnet-lab does, but from one process: one raw ICMP
 * socket per source namespace (a socket stays in the namespace it was created
 * in), one echo request per pair every round, and a round counts a pair when
 * its reply comes back within the timeout.  One process instead of one `ping`
 * per pair and round: on this guest a process costs ~30 ms, which would be the
 * resolution of the measurement.
 *
 *   bench-ping-share --pairs FILE [--interval MS] [--timeout MS] [--for S]
 *                    [--until-stable ROUNDS]
 *
 * FILE: one pair per line, "NETNS IPV4" (the source namespace /run/netns/NETNS
 * and the destination address).  Output: one line per round,
 * "EPOCH_SECONDS REPLIED PAIRS" (the round's send time, CLOCK_REALTIME, so the
 * caller can subtract the time of its event).  With --until-stable R it stops
 * after R consecutive rounds in which every pair replied.  Exit 0, 2 usage or
 * bad pairs file, 1 other failure (message on stderr). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PAIRS 4096
#define MAX_ROUNDS 100000
#define NS_NAME_MAX 64

typedef struct {
    char ns[NS_NAME_MAX];
    struct in_addr dst;
    int sock;         /* shared by the pairs of one namespace */
} pair;

typedef struct {
    double sent_at;   /* CLOCK_REALTIME seconds */
    int replied;
} round_rec;

static pair pairs[MAX_PAIRS];
static int n_pairs;
static uint8_t *got;  /* got[round * n_pairs + pair] */
static round_rec rounds[MAX_ROUNDS];
static uint16_t echo_id; /* this process's id, in every request */

static double now_real(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint16_t csum(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        sum += (uint32_t)(p[len - 1] << 8);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return htons((uint16_t)~sum);
}

/* A raw ICMP socket created inside /run/netns/ns; this thread comes back. */
static int socket_in(const char *ns, int home)
{
    char path[sizeof "/run/netns/" + NS_NAME_MAX];
    snprintf(path, sizeof path, "/run/netns/%.*s", NS_NAME_MAX - 1, ns);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
        fprintf(stderr, "bench-ping-share: namespace %s: %s\n", ns, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    int s = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
    int e = errno;
    if (setns(home, CLONE_NEWNET) != 0) {
        perror("bench-ping-share: back to the first namespace");
        exit(1);
    }
    if (s < 0)
        fprintf(stderr, "bench-ping-share: raw socket in %s: %s\n", ns, strerror(e));
    return s;
}

static int read_pairs(const char *file)
{
    FILE *f = fopen(file, "r");
    if (!f) {
        fprintf(stderr, "bench-ping-share: %s: %s\n", file, strerror(errno));
        return 2;
    }
    char line[256], ns[NS_NAME_MAX + 1], ip[64];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (n_pairs == MAX_PAIRS || sscanf(line, "%64s %63s", ns, ip) != 2 ||
            strlen(ns) >= NS_NAME_MAX || strchr(ns, '/') ||
            inet_pton(AF_INET, ip, &pairs[n_pairs].dst) != 1) {
            fprintf(stderr, "bench-ping-share: %s:%d: want \"NETNS IPV4\" (at most %d pairs)\n",
                    file, lineno, MAX_PAIRS);
            fclose(f);
            return 2;
        }
        snprintf(pairs[n_pairs].ns, NS_NAME_MAX, "%s", ns);
        n_pairs++;
    }
    fclose(f);
    return n_pairs ? 0 : 2;
}

static int open_sockets(void)
{
    int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (home < 0)
        return 1;
    for (int i = 0; i < n_pairs; i++) {
        pairs[i].sock = -1;
        for (int j = 0; j < i; j++)
            if (!strcmp(pairs[j].ns, pairs[i].ns))
                pairs[i].sock = pairs[j].sock;
        if (pairs[i].sock < 0 && (pairs[i].sock = socket_in(pairs[i].ns, home)) < 0) {
            close(home);
            return 1;
        }
    }
    close(home);
    return 0;
}

/* Echo id: this process; sequence: the pair, so a reply names its pair; the
 * payload carries the round. */
static void send_round(int r)
{
    for (int i = 0; i < n_pairs; i++) {
        struct {
            struct icmphdr h;
            uint32_t round;
        } m = { 0 };
        m.h.type = ICMP_ECHO;
        m.h.un.echo.id = htons(echo_id);
        m.h.un.echo.sequence = htons((uint16_t)i);
        m.round = htonl((uint32_t)r);
        m.h.checksum = csum(&m, sizeof m);
        struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = pairs[i].dst };
        /* an unreachable destination is the measurement, not an error */
        (void)sendto(pairs[i].sock, &m, sizeof m, 0, (struct sockaddr *)&to, sizeof to);
    }
}

static void drain(int s, int n_rounds, double timeout)
{
    uint8_t buf[1500];
    ssize_t len;
    while ((len = recv(s, buf, sizeof buf, 0)) > 0) {
        const struct iphdr *ip = (const struct iphdr *)buf;
        size_t hl = (size_t)ip->ihl * 4;
        if ((size_t)len < hl + sizeof(struct icmphdr) + 4)
            continue;
        const struct icmphdr *h = (const struct icmphdr *)(buf + hl);
        if (h->type != ICMP_ECHOREPLY || ntohs(h->un.echo.id) != echo_id)
            continue;
        uint32_t r;
        memcpy(&r, buf + hl + sizeof *h, 4);
        r = ntohl(r);
        int p = ntohs(h->un.echo.sequence);
        if ((int)r >= n_rounds || p >= n_pairs || got[(size_t)r * n_pairs + p])
            continue;
        if (now_real() - rounds[r].sent_at > timeout)
            continue; /* too late for its round */
        got[(size_t)r * n_pairs + p] = 1;
        rounds[r].replied++;
    }
}

static void poll_until(double until, int n_rounds, double timeout)
{
    struct pollfd pf[MAX_PAIRS];
    int n = 0;
    for (int i = 0; i < n_pairs; i++) {
        bool seen = false;
        for (int j = 0; j < i && !seen; j++)
            seen = pairs[j].sock == pairs[i].sock;
        if (!seen)
            pf[n++] = (struct pollfd){ .fd = pairs[i].sock, .events = POLLIN };
    }
    /* at least one look, even when sending a round took longer than the interval */
    double left = until - now_real();
    do {
        if (poll(pf, (nfds_t)n, left > 0 ? (int)(left * 1000) + 1 : 0) > 0)
            for (int i = 0; i < n; i++)
                if (pf[i].revents & POLLIN)
                    drain(pf[i].fd, n_rounds, timeout);
    } while ((left = until - now_real()) > 0);
}

static double arg_num(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "bench-ping-share: %s needs a value\n", argv[*i]);
        exit(2);
    }
    char *end;
    double v = strtod(argv[++*i], &end);
    if (*end || v <= 0) {
        fprintf(stderr, "bench-ping-share: %s: bad value '%s'\n", argv[*i - 1], argv[*i]);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    const char *file = NULL;
    double interval = 0.1, timeout = 1.0, duration = 60;
    int stable = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--pairs") && i + 1 < argc)
            file = argv[++i];
        else if (!strcmp(argv[i], "--interval"))
            interval = arg_num(argc, argv, &i) / 1000;
        else if (!strcmp(argv[i], "--timeout"))
            timeout = arg_num(argc, argv, &i) / 1000;
        else if (!strcmp(argv[i], "--for"))
            duration = arg_num(argc, argv, &i);
        else if (!strcmp(argv[i], "--until-stable"))
            stable = (int)arg_num(argc, argv, &i);
        else {
            fprintf(stderr, "usage: bench-ping-share --pairs FILE [--interval MS] [--timeout MS] "
                            "[--for S] [--until-stable ROUNDS]\n");
            return 2;
        }
    }
    if (!file)
        return fprintf(stderr, "bench-ping-share: --pairs FILE is required\n"), 2;
    int rc = read_pairs(file);
    if (rc)
        return rc;
    if (open_sockets())
        return 1;
    echo_id = (uint16_t)getpid();
    int max_rounds = (int)(duration / interval) + 1;
    if (max_rounds > MAX_ROUNDS)
        max_rounds = MAX_ROUNDS;
    got = calloc((size_t)max_rounds * (size_t)n_pairs, 1);
    if (!got)
        return 1;
    double end = now_real() + duration;
    int r = 0, full = 0, reported = 0;
    for (; r < max_rounds && now_real() < end; r++) {
        rounds[r].sent_at = now_real();
        send_round(r);
        /* the next round one interval after this one was sent: a round that took
         * longer to send (many pairs, a loaded machine) delays the next, rounds
         * never pile up */
        poll_until(rounds[r].sent_at + interval, r + 1, timeout);
        /* a round is final once its timeout has passed */
        while (reported <= r && now_real() - rounds[reported].sent_at > timeout) {
            printf("%.3f %d %d\n", rounds[reported].sent_at, rounds[reported].replied, n_pairs);
            full = rounds[reported].replied == n_pairs ? full + 1 : 0;
            reported++;
        }
        fflush(stdout);
        if (stable && full >= stable)
            break;
    }
    if (!(stable && full >= stable) && reported < r) {
        poll_until(rounds[r - 1].sent_at + timeout, r, timeout);
        for (; reported < r; reported++)
            printf("%.3f %d %d\n", rounds[reported].sent_at, rounds[reported].replied, n_pairs);
    }
    free(got);
    return 0;
}
