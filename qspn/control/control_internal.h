/* control_internal.h - shared by control_server.c (requests) and control_out.c
 * (non-blocking reply delivery).  Not part of the public API. */
#ifndef QSPN_CONTROL_INTERNAL_H
#define QSPN_CONTROL_INTERNAL_H

#include "control.h"

#define CTL_DOMAIN "qspn-control"
#define CTL_LOG(level, ...) g_log_structured(CTL_DOMAIN, level, "MESSAGE", __VA_ARGS__)

struct control_server {
    GMainContext *ctx;
    char *dir;
    char *cmd_path;
    int rfd;                       /* cmd.fifo, read end (non-blocking) */
    int wfd;                       /* our own write end: reads never see EOF */
    GSource *in_src;
    const control_command *table;
    size_t n;
    void *user;
    control_framer framer;         /* the current line (bounded) */
    bool stopped;
    bool reading;                  /* inside the cmd.fifo callback */
    GQueue queue;                  /* ctl_queued*, behind a pending async request */
    control_request *pending;      /* the asynchronous request being executed */
    GSource *idle;                 /* runs the queue after an async completion */
    GPtrArray *outs;               /* ctl_out*, replies being written */
    GPtrArray *streams;            /* control_stream*, requests turned into streams */
    guint reply_timeout_ms;
    control_stats st;
};

struct control_request {
    control_server *srv;           /* NULL once detached (server freed) */
    char id[CONTROL_ID_MAX + 1];
    char word[48];                 /* command word, printable, for the log */
    int fd;                        /* write end of the client's reply FIFO */
    control_args args;
};

/* Open the reply FIFO of id for writing, non-blocking.  -1 when it does not
 * exist, has no reader (then the stale FIFO is removed) or is not a FIFO. */
int ctl_open_reply(const control_server *s, const char *id);

/* Deliver wire (a framed reply) on fd without blocking: what cannot be written
 * now is written from the main loop until the reply deadline.  Takes fd and
 * wire. */
void ctl_out_send(control_server *s, int fd, const char *id, GString *wire);

/* req has been answered (or turned into a stream): the next queued
 * request may run; req is freed. */
void ctl_request_done(control_server *s, control_request *req);

/* Block at most budget_us delivering the replies still being written; drop
 * the rest. */
void ctl_out_flush(control_server *s, gint64 budget_us);
/* poll() the write ends of items (fd_of gives each one's) for POLLOUT until
 * end (monotonic µs): poll's result, 0 once end has passed; -1 and errno as
 * poll left it (EINTR: call again).  For the flushes at stop. */
int ctl_poll_writable(GPtrArray *items, int (*fd_of)(gconstpointer item), gint64 end);

#endif
