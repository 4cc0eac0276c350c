/* control.h - qspnd's control protocol: bounded tokenizer, command table and
 * dispatch, reply framing, and the FIFO-pair server (a glib main-loop source).
 * The client side is in control_client.h.  Protocol: docs/control.md. */
#ifndef QSPN_CONTROL_H
#define QSPN_CONTROL_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

/* A command line is at most CONTROL_LINE_MAX bytes including its '\n'. */
#define CONTROL_LINE_MAX 4096
#define CONTROL_ARGS_MAX 32          /* words, command included */
#define CONTROL_TOKEN_MAX 256        /* bytes per word */

#define CONTROL_CMD_FIFO "cmd.fifo"
#define CONTROL_RSP_FIFO "rsp.fifo"
#define CONTROL_LOCK_FILE "lock"
#define CONTROL_PID_FILE "qspnd.pid"
#define CONTROL_ENV_DIR "QSPN_CONTROL_DIR"

/* Terminator lines of a reply; body lines starting with '%' are sent as "%%...". */
#define CONTROL_TERM_OK "%ok"
#define CONTROL_TERM_ERROR "%error"

typedef struct {
    int argc;
    char *argv[CONTROL_ARGS_MAX + 1];     /* point into buf; argv[argc] == NULL */
    char buf[CONTROL_LINE_MAX + 1];
} control_args;

/* Split one command line (without its '\n'; a trailing '\r' is ignored) on
 * spaces and tabs.  Rejects, with a one-line reason in err: longer than
 * CONTROL_LINE_MAX-1 bytes, embedded NUL, invalid UTF-8, other control
 * characters, empty line, more than CONTROL_ARGS_MAX words, a word longer than
 * CONTROL_TOKEN_MAX bytes. */
bool control_tokenize(const char *line, size_t len, control_args *out, char *err, size_t errlen);

/* Parse a whole word as a decimal integer in [min, max] (no sign for min >= 0,
 * no leading '+', no spaces, no leading zeros except "0").  On failure appends
 * "bad <what> '<word>' (expected min..max)" to err when err is not NULL. */
bool control_parse_long(const char *word, long min, long max, const char *what, long *out,
                        GString *err);

/* A command handler: argv[0] is the command.  Appends its reply body (lines
 * ending in '\n') to out; on failure appends a one-line reason to err and
 * returns false. */
typedef bool (*control_fn)(int argc, char **argv, GString *out, GString *err, void *user);

typedef struct {
    const char *name;
    int min_args;                  /* arguments after the command word */
    int max_args;
    control_fn fn;
    const char *usage;             /* "show [--json]" */
    const char *help;              /* one line */
} control_command;

/* Find argv[0] in table and check the argument count, then call the handler.
 * Unknown command / wrong argument count: false with a reason in err, and the
 * handler is not called. */
bool control_dispatch(const control_command *table, size_t n, int argc, char **argv,
                      GString *out, GString *err, void *user);

/* Whole processing of one raw line: tokenize + dispatch.  Returns true on ok. */
bool control_handle_line(const control_command *table, size_t n, const char *line, size_t len,
                         GString *out, GString *err, void *user);

/* Append to wire the framed reply: body lines (escaped) then the terminator
 * "%ok" or "%error <reason>".  The reason is sanitised to one printable line. */
void control_frame_reply(GString *wire, const char *body, bool ok, const char *reason);

/* Parse a framed reply.  Returns 1 when the terminator has been seen (then
 * *ok, body and reason are filled), 0 when more data is needed, -1 when the
 * text is not a reply. */
int control_parse_reply(const char *wire, size_t len, bool *ok, GString *body, GString *reason);

/* ---- server ---------------------------------------------------------------- */
typedef struct control_server control_server;

/* Create dir (mode 0700) if missing, its lock file, and the FIFO pair (0600);
 * watch the command FIFO from the default main context.  Any existing
 * cmd.fifo/rsp.fifo are replaced (the caller has made sure no other daemon
 * owns dir). */
control_server *control_server_new(const char *dir, const control_command *table, size_t n,
                                   void *user, GError **error);
/* Stop reading commands and unlink cmd.fifo (replies can still be written). */
void control_server_stop(control_server *s);
/* Stop, unlink both FIFOs and free. */
void control_server_free(control_server *s);

#endif
