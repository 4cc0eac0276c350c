/* control.h - qspnd's control protocol: request lines with a client-chosen id,
 * bounded tokenizer, command table (synchronous and asynchronous handlers),
 * reply framing, and the FIFO server (glib main-loop sources).  The client side
 * is in control_client.h.  Protocol: docs/control.md.
 *
 * Exchange (one request):
 *   client: mkfifo <dir>/rsp-<id>.fifo (0600), open it for reading, write
 *           "\n<id> <command words>\n" to <dir>/cmd.fifo in ONE write()
 *           (<= PIPE_BUF bytes, so it is atomic and never interleaved);
 *   daemon: opens rsp-<id>.fifo non-blocking for writing when it takes the
 *           request (not there / no reader: the client is gone and the command
 *           is NOT executed), runs the command, writes
 *           "<body lines>\n%ok <id>\n" or "%error <id> <reason>\n"
 *           without ever blocking its main loop. */
#ifndef QSPN_CONTROL_H
#define QSPN_CONTROL_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

/* One client write: "\n<id> <command>\n" is at most CONTROL_LINE_MAX bytes
 * (PIPE_BUF on Linux, so the write is atomic). */
#define CONTROL_LINE_MAX 4096
/* A request line, "<id> <command>", without its newlines. */
#define CONTROL_REQUEST_MAX (CONTROL_LINE_MAX - 2)
#define CONTROL_ID_MAX 32            /* id: 1..32 of [0-9A-Za-z_-] */
#define CONTROL_ARGS_MAX 32          /* words, command included (id excluded) */
#define CONTROL_TOKEN_MAX 256        /* bytes per word */
#define CONTROL_QUEUE_MAX 64         /* requests waiting behind an asynchronous one */
#define CONTROL_REPLY_MAX (1 << 20)  /* bytes of one framed reply */
#define CONTROL_OUT_MAX 32           /* replies being written at the same time */
#define CONTROL_REPLY_TIMEOUT_MS 5000 /* a reply not taken by then is dropped */

#define CONTROL_CMD_FIFO "cmd.fifo"
#define CONTROL_REPLY_PREFIX "rsp-"  /* reply FIFO: rsp-<id>.fifo, created by the client */
#define CONTROL_REPLY_SUFFIX ".fifo"
#define CONTROL_LOCK_FILE "qspnd.lock"
#define CONTROL_PID_FILE "qspnd.pid"
#define CONTROL_STATE_FILE "qspnd.state"
#define CONTROL_ENV_DIR "QSPN_CONTROL_DIR"

/* Terminator lines of a reply: "%ok <id>", "%error <id> <reason>"; body lines
 * starting with '%' are sent as "%%...". */
#define CONTROL_TERM_OK "%ok"
#define CONTROL_TERM_ERROR "%error"

typedef struct {
    int argc;
    char *argv[CONTROL_ARGS_MAX + 1];     /* point into buf; argv[argc] == NULL */
    char buf[CONTROL_REQUEST_MAX + 1];
} control_args;

/* Writing to a FIFO whose reader left raises SIGPIPE: the server and the
 * client set it to SIG_IGN (when it has its default disposition) and see EPIPE
 * instead.  Called by control_server_new() and control_client_call*(). */
void control_ignore_sigpipe(void);

/* true when id[0..len) is a valid request id (1..CONTROL_ID_MAX of [0-9A-Za-z_-]). */
bool control_id_valid(const char *id, size_t len);

/* Split a request line (without its '\n') into its id and the command text
 * after the blanks that follow the id.  false when the first word is not a
 * valid id (then nobody can be answered: the line is dropped). */
bool control_split_request(const char *line, size_t len, char id[CONTROL_ID_MAX + 1],
                           const char **cmd, size_t *cmdlen);

/* Reassembly of request lines from the bytes read from cmd.fifo, shared by
 * the server and the fuzz target: each '\n' ends a line, handed to on_line
 * without its '\n'.  A line is bounded: past CONTROL_REQUEST_MAX bytes the rest
 * is dropped and the line is flagged overlong (its first bytes are kept because
 * they carry the id to answer). */
typedef struct {
    GString *line;
    bool overlong;
} control_framer;
typedef void (*control_line_fn)(const char *line, size_t len, bool overlong, void *user);

void control_framer_init(control_framer *f);
void control_framer_clear(control_framer *f);
void control_framer_feed(control_framer *f, const char *buf, size_t n, control_line_fn on_line,
                         void *user);

/* "<dir>/rsp-<id>.fifo" (g_free). */
char *control_reply_path(const char *dir, const char *id);

/* Split one command (without its '\n'; a trailing '\r' is ignored) on spaces
 * and tabs.  Rejects, with a one-line reason in err: longer than
 * CONTROL_REQUEST_MAX bytes, embedded NUL, invalid UTF-8, other control
 * characters, empty line, more than CONTROL_ARGS_MAX words, a word longer than
 * CONTROL_TOKEN_MAX bytes. */
bool control_tokenize(const char *line, size_t len, control_args *out, char *err, size_t errlen);

/* Parse a whole word as a decimal integer in [min, max] (no sign for min >= 0,
 * no leading '+', no spaces, no leading zeros except "0").  On failure appends
 * "bad <what> '<word>' (expected min..max)" to err when err is not NULL. */
bool control_parse_long(const char *word, long min, long max, const char *what, long *out,
                        GString *err);

/* ---- command table ---------------------------------------------------------- */

/* A synchronous handler: argv[0] is the command.  Appends its reply body (lines
 * ending in '\n') to out; on failure appends a one-line reason to err and
 * returns false. */
typedef bool (*control_fn)(int argc, char **argv, GString *out, GString *err, void *user);

/* An asynchronous (deferred) handler: takes the request and returns; the
 * request is completed later, from the main loop, with control_request_reply()
 * (exactly once; it may also be called before the handler returns).  argv
 * stays valid until then.  Until it completes, the server executes no other
 * command: later requests wait in a bounded queue (arrival order). */
typedef struct control_request control_request;
typedef void (*control_async_fn)(int argc, char **argv, control_request *req, void *user);

typedef struct {
    const char *name;
    int min_args;                  /* arguments after the command word */
    int max_args;
    control_fn fn;                 /* synchronous handler, or NULL ... */
    const char *usage;             /* "show [--json]" */
    const char *help;              /* one line */
    control_async_fn async_fn;     /* ... asynchronous handler (exactly one of the two) */
} control_command;

/* Complete req: frame and send the reply (body: lines; reason: one line, used
 * when !ok) unless the client is gone or the server was freed, then free req.
 * Exactly once per request. */
void control_request_reply(control_request *req, bool ok, const char *body, const char *reason);
/* The client's id of req (valid until control_request_reply). */
const char *control_request_id(const control_request *req);

/* Find argv[0] in table and check the argument count.  NULL with a reason in
 * err for an unknown command or a wrong argument count. */
const control_command *control_lookup(const control_command *table, size_t n, int argc,
                                      char **argv, GString *err);

/* control_lookup, then call the synchronous handler (an asynchronous command
 * is refused: it needs the server).  Returns true on ok. */
bool control_dispatch(const control_command *table, size_t n, int argc, char **argv,
                      GString *out, GString *err, void *user);

/* Whole synchronous processing of one command (no id): tokenize + dispatch. */
bool control_handle_line(const control_command *table, size_t n, const char *line, size_t len,
                         GString *out, GString *err, void *user);

/* ---- reply framing ------------------------------------------------------------ */

/* Append to wire the framed reply: body lines (escaped) then the terminator
 * "%ok <id>" or "%error <id> <reason>".  The reason is sanitised to one
 * printable line. */
void control_frame_reply(GString *wire, const char *id, const char *body, bool ok,
                         const char *reason);

/* Parse a framed reply for request id.  Returns
 *    1  the terminator of id has been seen (*ok, body, reason filled),
 *    0  more data is needed,
 *    2  a terminator of ANOTHER id ends a stale reply: *consumed bytes
 *       (through that terminator) are to be discarded, then parse again,
 *   -1  the text is not a reply. */
int control_parse_reply(const char *wire, size_t len, const char *id, bool *ok, GString *body,
                        GString *reason, size_t *consumed);

/* ---- server ---------------------------------------------------------------- */
typedef struct control_server control_server;

typedef struct {
    guint64 requests;          /* request lines with a valid id */
    guint64 ok;                /* replies %ok */
    guint64 errors;            /* replies %error (malformed command, unknown, failed) */
    guint64 malformed;         /* lines without a valid id: dropped, nobody to answer */
    guint64 client_gone;       /* not executed: the reply FIFO was gone or had no reader */
    guint64 queue_full;        /* refused at once: too many requests behind an async one */
    guint64 replies_dropped;   /* reply not delivered (client left, too slow, too many) */
    guint64 streams;           /* requests turned into streams (control_stream.h) */
    guint64 streams_dropped;   /* streams ended because their reader was too slow */
} control_stats;

/* The control directory must be ours alone: created (0700) when missing;
 * otherwise a real directory (not a symbolic link) owned by the effective user
 * and closed to group and others, or it is refused with the reason in err
 * (nothing is changed: a looser directory is the administrator's to fix). */
bool control_dir_secure(const char *dir, char *err, size_t errlen);

/* Check dir (control_dir_secure) and create the command FIFO (0600); watch it from
 * the thread-default main context of the caller.  An existing cmd.fifo is
 * replaced (the caller owns dir: see docs/daemon.md, ownership). */
control_server *control_server_new(const char *dir, const control_command *table, size_t n,
                                   void *user, GError **error);
/* Stop reading commands and unlink cmd.fifo.  Requests already read and not
 * yet executed (queued, or later in the same read) are answered
 * "%error <id> qspnd is stopping"; replies already being written, and the
 * reply of a pending asynchronous command, are still delivered. */
void control_server_stop(control_server *s);
/* Stop, deliver pending replies (waiting at most 1 s in all), answer a still
 * pending asynchronous request with an error and detach it (its later
 * control_request_reply() only frees it), free. */
void control_server_free(control_server *s);
void control_server_get_stats(const control_server *s, control_stats *out);
/* Deadline for delivering one reply (default CONTROL_REPLY_TIMEOUT_MS). */
void control_server_set_reply_timeout(control_server *s, guint ms);
/* true while an asynchronous command is pending. */
bool control_server_busy(const control_server *s);

#endif
