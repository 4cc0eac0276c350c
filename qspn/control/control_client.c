/* control_client.c - send one request to qspnd and read its reply.
 *
 * The client creates its own reply FIFO, rsp-<id>.fifo (random 16-hex-digit
 * id), opens it for reading (and for writing, so that it never reads EOF),
 * writes "\n<id> <command>\n" to cmd.fifo in one atomic write, and reads until
 * the terminator carrying its id.  Every wait is bounded by the deadline; the
 * FIFO is removed on every path. */
#include "control_client.h"
#include "control_client_internal.h"
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

gint64 ctlc_ms_left(gint64 deadline)
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

const char *ctlc_make_reply_fifo(const char *dir, ctlc_exchange *x)
{
    for (int attempt = 0; attempt < 8; attempt++) {
        g_snprintf(x->id, sizeof x->id, "%08x%08x", g_random_int(), g_random_int());
        gchar *path = control_reply_path(dir, x->id);
        if (mkfifo(path, 0600) == 0) {
            x->rsp = path;
            x->rfd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
            /* a writer of our own: reads never see EOF, we wait for the terminator */
            x->rwfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
            return x->rfd >= 0 && x->rwfd >= 0 ? NULL : "cannot open the reply FIFO";
        }
        int e = errno;
        g_free(path);
        if (e == ENOENT || e == ENOTDIR)
            return "no qspnd control directory";
        if (e != EEXIST)
            return "cannot create the reply FIFO in the control directory";
    }
    return "cannot choose a free request id";
}

const char *ctlc_send_request(const char *dir, const ctlc_exchange *x, const char *line)
{
    gchar *cmd = g_build_filename(dir, CONTROL_CMD_FIFO, NULL);
    int cfd = open(cmd, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    g_free(cmd);
    if (cfd < 0)
        return "no qspnd answering (no command FIFO, or nobody reads it)";
    /* the leading newline ends any partial line a dead writer left behind */
    gchar *msg = g_strdup_printf("\n%s %s\n", x->id, line);
    size_t ml = strlen(msg);
    const char *why = NULL;
    for (;;) {
        ssize_t w = write(cfd, msg, ml);          /* <= PIPE_BUF: all or nothing */
        if (w == (ssize_t)ml)
            break;
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN && ctlc_ms_left(x->deadline) > 0) {
            struct pollfd p = { .fd = cfd, .events = POLLOUT };
            (void)poll(&p, 1, (int)ctlc_ms_left(x->deadline));
            continue;
        }
        why = w < 0 && errno == EAGAIN ? "timeout sending the command (qspnd is not reading)"
                                       : "cannot send the command";
        break;
    }
    g_free(msg);
    close(cfd);
    return why;
}

/* Read the reply of x until its terminator.  Returns OK/ERROR or NOANSWER. */
static control_client_status read_reply(ctlc_exchange *x, GString *body, GString *reason)
{
    GString *wire = g_string_new(NULL);
    GString *why = g_string_new(NULL);
    control_client_status st = CONTROL_CLIENT_NOANSWER;
    for (;;) {
        bool ok = false;
        size_t consumed = 0;
        g_string_truncate(why, 0);
        int pr = control_parse_reply(wire->str, wire->len, x->id, &ok, body, why, &consumed);
        if (pr == 1) {
            st = ok ? CONTROL_CLIENT_OK : CONTROL_CLIENT_ERROR;
            say(reason, why->str);
            break;
        }
        if (pr == 2) {              /* someone else's reply: discard it */
            g_string_erase(wire, 0, (gssize)consumed);
            continue;
        }
        if (pr < 0) {
            say(reason, "malformed reply");
            break;
        }
        if (wire->len > (size_t)CONTROL_REPLY_MAX) {
            say(reason, "reply too large");
            break;
        }
        gint64 left = ctlc_ms_left(x->deadline);
        if (left == 0) {
            say(reason, "timeout waiting for the reply");
            break;
        }
        struct pollfd p = { .fd = x->rfd, .events = POLLIN };
        if (poll(&p, 1, (int)left) <= 0)
            continue;                /* EINTR or timeout: the deadline decides */
        char buf[8192];
        ssize_t r = read(x->rfd, buf, sizeof buf);
        if (r > 0)
            g_string_append_len(wire, buf, r);
    }
    g_string_free(why, TRUE);
    g_string_free(wire, TRUE);
    return st;
}

void ctlc_exchange_close(ctlc_exchange *x)
{
    if (x->rwfd >= 0)
        close(x->rwfd);
    if (x->rfd >= 0)
        close(x->rfd);
    if (x->rsp)
        (void)unlink(x->rsp);
    g_free(x->rsp);
    x->rwfd = x->rfd = -1;
    x->rsp = NULL;
}

const char *ctlc_check_line(const char *line, control_client_status *st)
{
    *st = CONTROL_CLIENT_USAGE;
    if (strlen(line) > CONTROL_CLIENT_COMMAND_MAX)
        return "command too long";
    if (strchr(line, '\n'))
        return "command contains a newline";
    *st = CONTROL_CLIENT_OK;
    return NULL;
}

control_client_status control_client_call_line(const char *dir, const char *line,
                                               double timeout_s, GString *body, GString *reason)
{
    control_ignore_sigpipe();
    ctlc_exchange x = { .rfd = -1, .rwfd = -1 };
    control_client_status st = CONTROL_CLIENT_NOANSWER;
    const char *why;

    if (body)
        g_string_truncate(body, 0);
    if ((why = ctlc_check_line(line, &st))) {
        say(reason, why);
        return st;
    }
    st = CONTROL_CLIENT_NOANSWER;
    if (!(timeout_s > 0))
        timeout_s = 5;
    x.deadline = g_get_monotonic_time() + (gint64)(timeout_s * G_USEC_PER_SEC);
    why = ctlc_make_reply_fifo(dir, &x);
    if (!why)
        why = ctlc_send_request(dir, &x, line);
    if (why)
        say(reason, why);
    else
        st = read_reply(&x, body, reason);
    if (st == CONTROL_CLIENT_NOANSWER && body)
        g_string_truncate(body, 0);
    ctlc_exchange_close(&x);
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
