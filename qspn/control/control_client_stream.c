/* control_client_stream.c - the client of a stream (qspnctl monitor).
 *
 * Like a request (control_client.c): our own reply FIFO, one atomic write to
 * cmd.fifo.  The daemon answers "%stream <id>" and keeps writing lines into the
 * FIFO.  Once the stream is accepted we close our own write end, so that the
 * end of the daemon's (it stopped, dropped us, or died) is seen as EOF.  Every
 * line is bounded (CONTROL_CLIENT_STREAM_LINE_MAX); the FIFO is removed on
 * every path. */
#define _GNU_SOURCE
#include "control_client.h"
#include "control_client_internal.h"
#include "control_stream.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct control_client_stream {
    ctlc_exchange x;
    GString *in;                   /* bytes read, not yet a whole line */
    bool eof;
};

static void say(GString *s, const char *msg)
{
    if (s) {
        g_string_truncate(s, 0);
        g_string_append(s, msg);
    }
}

/* "<word> <id>" exactly, or "<word> <id> <rest>" (rest returned). */
static bool is_term(const char *line, const char *word, const char *id, const char **rest)
{
    size_t wl = strlen(word), il = strlen(id);
    if (strncmp(line, word, wl) != 0 || line[wl] != ' ' || strncmp(line + wl + 1, id, il) != 0)
        return false;
    const char *p = line + wl + 1 + il;
    if (*p == '\0') {
        *rest = p;
        return true;
    }
    if (*p != ' ')
        return false;
    *rest = p + 1;
    return true;
}

/* Classify one whole line (without '\n'). */
static control_stream_event classify(const control_client_stream *cs, const char *l, GString *line)
{
    const char *rest;
    if (l[0] != '%') {
        say(line, l);
        return CONTROL_STREAM_LINE;
    }
    if (l[1] == '%') {
        say(line, l + 1);
        return CONTROL_STREAM_LINE;
    }
    if (is_term(l, CONTROL_TERM_OK, cs->x.id, &rest) && !*rest)
        return CONTROL_STREAM_END_OK;
    if (is_term(l, CONTROL_TERM_ERROR, cs->x.id, &rest)) {
        say(line, *rest ? rest : "failed");
        return CONTROL_STREAM_END_ERROR;
    }
    if (is_term(l, CONTROL_STREAM_ACK, cs->x.id, &rest) && !*rest) {
        say(line, "");
        return CONTROL_STREAM_TIMEOUT;          /* the acknowledgement: no event */
    }
    say(line, "malformed stream");
    return CONTROL_STREAM_LOST;
}

/* A whole line from the buffer, if there is one. */
static bool take_line(control_client_stream *cs, GString *line, control_stream_event *ev)
{
    char *nl = memchr(cs->in->str, '\n', cs->in->len);
    if (!nl) {
        if (cs->in->len > CONTROL_CLIENT_STREAM_LINE_MAX) {
            say(line, "malformed stream (line too long)");
            *ev = CONTROL_STREAM_LOST;
            return true;
        }
        return false;
    }
    *nl = '\0';
    *ev = classify(cs, cs->in->str, line);
    g_string_erase(cs->in, 0, nl - cs->in->str + 1);
    return true;
}

/* Read what is there (after poll said so). */
static void fill(control_client_stream *cs)
{
    char buf[8192];
    for (;;) {
        ssize_t r = read(cs->x.rfd, buf, sizeof buf);
        if (r > 0) {
            g_string_append_len(cs->in, buf, r);
            if (cs->in->len > CONTROL_CLIENT_STREAM_LINE_MAX)
                return;                /* let take_line decide */
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            cs->eof = true;
        return;                        /* EAGAIN: all read */
    }
}

control_stream_event control_client_stream_next(control_client_stream *cs, int timeout_ms,
                                                const sigset_t *sigmask, GString *line)
{
    control_stream_event ev;
    gint64 deadline = timeout_ms < 0 ? -1 : g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    for (;;) {
        while (take_line(cs, line, &ev))
            if (ev != CONTROL_STREAM_TIMEOUT)
                return ev;
        if (cs->eof) {
            say(line, "the connection to qspnd was lost");
            return CONTROL_STREAM_LOST;
        }
        struct pollfd p = { .fd = cs->x.rfd, .events = POLLIN };
        struct timespec ts, *tsp = NULL;
        if (deadline >= 0) {
            gint64 left = deadline - g_get_monotonic_time();
            if (left < 0)
                left = 0;
            ts.tv_sec = (time_t)(left / G_USEC_PER_SEC);
            ts.tv_nsec = (long)(left % G_USEC_PER_SEC) * 1000;
            tsp = &ts;
        }
        int rc = ppoll(&p, 1, tsp, sigmask);
        if (rc < 0 && errno == EINTR)
            return CONTROL_STREAM_INTERRUPTED;
        if (rc == 0)
            return CONTROL_STREAM_TIMEOUT;
        if (rc > 0)
            fill(cs);
    }
}

/* Wait for "%stream <id>" (or the refusal) until the exchange's deadline. */
static control_client_status await_ack(control_client_stream *cs, GString *reason)
{
    GString *l = g_string_new(NULL);
    control_client_status st = CONTROL_CLIENT_NOANSWER;
    for (;;) {
        char *nl = memchr(cs->in->str, '\n', cs->in->len);
        if (nl) {
            *nl = '\0';
            const char *rest;
            if (is_term(cs->in->str, CONTROL_STREAM_ACK, cs->x.id, &rest) && !*rest)
                st = CONTROL_CLIENT_OK;
            else if (classify(cs, cs->in->str, l) == CONTROL_STREAM_END_ERROR) {
                say(reason, l->str);
                st = CONTROL_CLIENT_ERROR;
            } else
                say(reason, "malformed reply");
            g_string_erase(cs->in, 0, nl - cs->in->str + 1);
            break;
        }
        gint64 left = ctlc_ms_left(cs->x.deadline);
        if (left == 0 || cs->in->len > CONTROL_CLIENT_STREAM_LINE_MAX) {
            say(reason, left == 0 ? "timeout waiting for the reply" : "malformed reply");
            break;
        }
        struct pollfd p = { .fd = cs->x.rfd, .events = POLLIN };
        if (poll(&p, 1, (int)left) > 0)
            fill(cs);
    }
    g_string_free(l, TRUE);
    return st;
}

control_client_status control_client_stream_open(const char *dir, const char *line,
                                                 double timeout_s, control_client_stream **out,
                                                 GString *reason)
{
    control_ignore_sigpipe();
    control_client_status st;
    const char *why = ctlc_check_line(line, &st);
    *out = NULL;
    if (why) {
        say(reason, why);
        return st;
    }
    control_client_stream *cs = g_new0(control_client_stream, 1);
    cs->x.rfd = cs->x.rwfd = -1;
    cs->in = g_string_new(NULL);
    cs->x.deadline = g_get_monotonic_time() + (gint64)((timeout_s > 0 ? timeout_s : 5) * G_USEC_PER_SEC);
    why = ctlc_make_reply_fifo(dir, &cs->x);
    if (!why)
        why = ctlc_send_request(dir, &cs->x, line);
    st = CONTROL_CLIENT_NOANSWER;
    if (why)
        say(reason, why);
    else
        st = await_ack(cs, reason);
    if (st != CONTROL_CLIENT_OK) {
        control_client_stream_close(cs);
        return st;
    }
    /* from now on the daemon's end is the only writer: its close is our EOF */
    close(cs->x.rwfd);
    cs->x.rwfd = -1;
    *out = cs;
    return CONTROL_CLIENT_OK;
}

void control_client_stream_close(control_client_stream *cs)
{
    if (!cs)
        return;
    ctlc_exchange_close(&cs->x);
    g_string_free(cs->in, TRUE);
    g_free(cs);
}
