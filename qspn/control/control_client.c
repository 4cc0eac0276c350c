/* control_client.c - send one command to qspnd and read its framed reply. */
#include "control_client.h"
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static gint64 ms_left(gint64 deadline)
{
    gint64 l = (deadline - g_get_monotonic_time()) / 1000;
    return l < 0 ? 0 : l;
}

static void say(GString *s, const char *msg)
{
    if (s) {
        g_string_truncate(s, 0);
        g_string_append(s, msg);
    }
}

control_client_status control_client_call_line(const char *dir, const char *line,
                                               double timeout_s, GString *body, GString *reason)
{
    size_t len = strlen(line);
    control_client_status st = CONTROL_CLIENT_NOANSWER;
    int lfd = -1, rfd = -1, rwfd = -1, cfd = -1;
    gchar *lock = NULL, *rsp = NULL, *cmd = NULL;
    GString *wire = NULL;
    gint64 deadline;

    if (body)
        g_string_truncate(body, 0);
    if (len > CONTROL_LINE_MAX - 1) {
        say(reason, "command too long");
        return CONTROL_CLIENT_USAGE;
    }
    if (strchr(line, '\n')) {
        say(reason, "command contains a newline");
        return CONTROL_CLIENT_USAGE;
    }
    if (timeout_s <= 0)
        timeout_s = 5;
    deadline = g_get_monotonic_time() + (gint64)(timeout_s * G_USEC_PER_SEC);
    lock = g_build_filename(dir, CONTROL_LOCK_FILE, NULL);
    rsp = g_build_filename(dir, CONTROL_RSP_FIFO, NULL);
    cmd = g_build_filename(dir, CONTROL_CMD_FIFO, NULL);

    lfd = open(lock, O_RDWR | O_CLOEXEC);
    if (lfd < 0) {
        say(reason, "no qspnd control directory (no lock file)");
        goto out;
    }
    /* serialize clients */
    while (flock(lfd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            say(reason, "cannot lock the control directory");
            goto out;
        }
        if (ms_left(deadline) == 0) {
            say(reason, "timeout waiting for another client");
            goto out;
        }
        g_usleep(5000);
    }
    rfd = open(rsp, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (rfd < 0) {
        say(reason, "no qspnd answering (no response FIFO)");
        goto out;
    }
    /* a writer of our own: reads never see EOF, we wait for the terminator */
    rwfd = open(rsp, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    /* drop anything left by a client that gave up */
    {
        char junk[4096];
        while (read(rfd, junk, sizeof junk) > 0)
            ;
    }
    cfd = open(cmd, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (cfd < 0) {
        say(reason, "no qspnd answering (command FIFO has no reader)");
        goto out;
    }
    {
        gchar *msg = g_strconcat(line, "\n", NULL);
        size_t ml = len + 1, off = 0;
        while (off < ml) {
            ssize_t w = write(cfd, msg + off, ml - off);
            if (w > 0) {
                off += (size_t)w;
                continue;
            }
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0 && errno == EAGAIN && ms_left(deadline) > 0) {
                struct pollfd p = { .fd = cfd, .events = POLLOUT };
                (void)poll(&p, 1, (int)ms_left(deadline));
                continue;
            }
            break;
        }
        g_free(msg);
        if (off < ml) {
            say(reason, "cannot send the command");
            goto out;
        }
    }
    wire = g_string_new(NULL);
    for (;;) {
        bool ok = false;
        GString *why = g_string_new(NULL);
        int pr = control_parse_reply(wire->str, wire->len, &ok, body, why);
        if (pr == 1) {
            st = ok ? CONTROL_CLIENT_OK : CONTROL_CLIENT_ERROR;
            if (reason) {
                g_string_truncate(reason, 0);
                g_string_append(reason, why->str);
            }
            g_string_free(why, TRUE);
            goto out;
        }
        g_string_free(why, TRUE);
        if (pr < 0) {
            say(reason, "malformed reply");
            goto out;
        }
        gint64 left = ms_left(deadline);
        if (left == 0) {
            say(reason, "timeout waiting for the reply");
            goto out;
        }
        struct pollfd p = { .fd = rfd, .events = POLLIN };
        int n = poll(&p, 1, (int)left);
        if (n < 0 && errno != EINTR) {
            say(reason, "poll failed");
            goto out;
        }
        if (n <= 0)
            continue;
        char buf[8192];
        ssize_t r = read(rfd, buf, sizeof buf);
        if (r > 0)
            g_string_append_len(wire, buf, r);
        else if (r == 0)
            g_usleep(2000);      /* no writer at all: only possible if rwfd failed */
    }
out:
    if (st == CONTROL_CLIENT_NOANSWER && body)
        g_string_truncate(body, 0);
    if (wire)
        g_string_free(wire, TRUE);
    if (cfd >= 0)
        close(cfd);
    if (rwfd >= 0)
        close(rwfd);
    if (rfd >= 0)
        close(rfd);
    if (lfd >= 0)
        close(lfd);          /* releases the flock */
    g_free(lock);
    g_free(rsp);
    g_free(cmd);
    return st;
}

control_client_status control_client_call(const char *dir, int argc, char **argv,
                                          double timeout_s, GString *body, GString *reason)
{
    GString *line = g_string_new(NULL);
    for (int i = 0; i < argc; i++) {
        if (i)
            g_string_append_c(line, ' ');
        g_string_append(line, argv[i]);
    }
    control_client_status st = control_client_call_line(dir, line->str, timeout_s, body, reason);
    g_string_free(line, TRUE);
    return st;
}
