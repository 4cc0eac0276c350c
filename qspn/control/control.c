/* control.c - tokenizer, dispatch and reply framing of the control protocol. */
#include "control.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static void set_err(char *err, size_t errlen, const char *msg)
{
    if (errlen)
        g_strlcpy(err, msg, errlen);
}

void control_ignore_sigpipe(void)
{
    struct sigaction old, ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL)
        (void)sigaction(SIGPIPE, &ign, NULL);
}

bool control_id_valid(const char *id, size_t len)
{
    if (len == 0 || len > CONTROL_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!g_ascii_isalnum(id[i]) && id[i] != '_' && id[i] != '-')
            return false;
    return true;
}

bool control_split_request(const char *line, size_t len, char id[CONTROL_ID_MAX + 1],
                           const char **cmd, size_t *cmdlen)
{
    size_t i = 0;
    while (i < len && line[i] != ' ' && line[i] != '\t')
        i++;
    if (!control_id_valid(line, i))
        return false;
    memcpy(id, line, i);
    id[i] = '\0';
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    *cmd = line + i;
    *cmdlen = len - i;
    return true;
}

void control_framer_init(control_framer *f)
{
    f->line = g_string_new(NULL);
    f->overlong = false;
}

void control_framer_clear(control_framer *f)
{
    if (f->line)
        g_string_free(f->line, TRUE);
    f->line = NULL;
}

void control_framer_feed(control_framer *f, const char *buf, size_t n, control_line_fn on_line,
                         void *user)
{
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '\n') {
            /* a copy, and the framer reset before the call: on_line sees a
             * line of its own, and the framer is ready for the next one */
            gchar *line = g_strndup(f->line->str, f->line->len);
            size_t len = f->line->len;
            bool overlong = f->overlong;
            g_string_truncate(f->line, 0);
            f->overlong = false;
            on_line(line, len, overlong, user);
            g_free(line);
        } else if (f->line->len < CONTROL_REQUEST_MAX) {
            g_string_append_c(f->line, buf[i]);
        } else {
            f->overlong = true;
        }
    }
}

char *control_reply_path(const char *dir, const char *id)
{
    gchar *name = g_strconcat(CONTROL_REPLY_PREFIX, id, CONTROL_REPLY_SUFFIX, NULL);
    gchar *path = g_build_filename(dir, name, NULL);
    g_free(name);
    return path;
}

bool control_tokenize(const char *line, size_t len, control_args *out, char *err, size_t errlen)
{
    out->argc = 0;
    out->argv[0] = NULL;
    if (len > CONTROL_REQUEST_MAX) {
        set_err(err, errlen, "line too long");
        return false;
    }
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (memchr(line, '\0', len)) {
        set_err(err, errlen, "embedded NUL byte");
        return false;
    }
    if (!g_utf8_validate(line, (gssize)len, NULL)) {
        set_err(err, errlen, "invalid UTF-8");
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if ((c < 0x20 && c != ' ' && c != '\t') || c == 0x7f) {
            set_err(err, errlen, "control character in command");
            return false;
        }
    }
    memcpy(out->buf, line, len);
    out->buf[len] = '\0';
    char *p = out->buf;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            *p++ = '\0';
        if (!*p)
            break;
        if (out->argc >= CONTROL_ARGS_MAX) {
            set_err(err, errlen, "too many words");
            out->argc = 0;
            out->argv[0] = NULL;
            return false;
        }
        char *start = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if ((size_t)(p - start) > CONTROL_TOKEN_MAX) {
            set_err(err, errlen, "word too long");
            out->argc = 0;
            out->argv[0] = NULL;
            return false;
        }
        out->argv[out->argc++] = start;
    }
    out->argv[out->argc] = NULL;
    if (out->argc == 0) {
        set_err(err, errlen, "empty command");
        return false;
    }
    return true;
}

/* Quote a user word for an error message: at most 64 bytes (on a UTF-8
 * boundary); the tokenizer already guarantees printable UTF-8. */
static void append_word(GString *s, const char *w)
{
    const char *end = w;
    while (*end && end - w < 64)
        end = g_utf8_next_char(end);
    g_string_append_c(s, '\'');
    g_string_append_len(s, w, end - w);
    if (*end)
        g_string_append(s, "...");
    g_string_append_c(s, '\'');
}

bool control_parse_long(const char *word, long min, long max, const char *what, long *out,
                        GString *err)
{
    const char *p = word;
    bool neg = false;
    long v = 0;
    if (*p == '-' && min < 0) {
        neg = true;
        p++;
    }
    if (!g_ascii_isdigit(*p) || (p[0] == '0' && p[1] != '\0'))
        goto bad;
    for (; *p; p++) {
        if (!g_ascii_isdigit(*p))
            goto bad;
        int d = *p - '0';
        if (v > (G_MAXLONG - d) / 10)
            goto bad;
        v = v * 10 + d;
    }
    if (neg)
        v = -v;
    if (v < min || v > max || (neg && v == 0))
        goto bad;
    *out = v;
    return true;
bad:
    if (err) {
        g_string_append_printf(err, "bad %s ", what);
        append_word(err, word);
        g_string_append_printf(err, " (expected %ld..%ld)", min, max);
    }
    return false;
}

const control_command *control_lookup(const control_command *table, size_t n, int argc,
                                      char **argv, GString *err)
{
    if (argc < 1) {
        g_string_append(err, "empty command");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(table[i].name, argv[0]) != 0)
            continue;
        int nargs = argc - 1;
        if (nargs < table[i].min_args || nargs > table[i].max_args) {
            g_string_append_printf(err, "wrong number of arguments for %s (usage: %s)",
                                   table[i].name, table[i].usage);
            return NULL;
        }
        return &table[i];
    }
    g_string_append(err, "unknown command ");
    append_word(err, argv[0]);
    return NULL;
}

bool control_dispatch(const control_command *table, size_t n, int argc, char **argv,
                      GString *out, GString *err, void *user)
{
    const control_command *c = control_lookup(table, n, argc, argv, err);
    if (!c)
        return false;
    if (!c->fn) {
        g_string_append_printf(err, "%s is asynchronous (needs the server)", c->name);
        return false;
    }
    return c->fn(argc, argv, out, err, user);
}

bool control_handle_line(const control_command *table, size_t n, const char *line, size_t len,
                         GString *out, GString *err, void *user)
{
    control_args *a = g_new(control_args, 1);
    char e[128];
    bool ok;
    if (!control_tokenize(line, len, a, e, sizeof e)) {
        g_string_append(err, e);
        ok = false;
    } else {
        ok = control_dispatch(table, n, a->argc, a->argv, out, err, user);
    }
    g_free(a);
    return ok;
}

void control_frame_reply(GString *wire, const char *id, const char *body, bool ok,
                         const char *reason)
{
    const char *p = body ? body : "";
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        if (*p == '%')
            g_string_append_c(wire, '%');
        g_string_append_len(wire, p, (gssize)l);
        g_string_append_c(wire, '\n');
        p += l;
        if (*p == '\n')
            p++;
    }
    g_string_append(wire, ok ? CONTROL_TERM_OK " " : CONTROL_TERM_ERROR " ");
    g_string_append(wire, id);
    if (ok) {
        g_string_append_c(wire, '\n');
        return;
    }
    g_string_append_c(wire, ' ');
    const char *r = reason && *reason ? reason : "failed";
    for (; *r; r++) {
        unsigned char c = (unsigned char)*r;
        g_string_append_c(wire, (c < 0x20 || c == 0x7f) ? ' ' : (char)c);
    }
    g_string_append_c(wire, '\n');
}

/* "%ok <id>" / "%error <id> <reason>": 1 (fills *ok, *tid, reason span), 0 not a terminator. */
static int parse_terminator(const char *line, size_t l, bool *ok, const char **tid, size_t *tidlen,
                            const char **r, size_t *rl)
{
    size_t k;
    if (l > 4 && memcmp(line, CONTROL_TERM_OK " ", 4) == 0) {
        *ok = true;
        k = 4;
    } else if (l > 7 && memcmp(line, CONTROL_TERM_ERROR " ", 7) == 0) {
        *ok = false;
        k = 7;
    } else {
        return 0;
    }
    *tid = line + k;
    while (k < l && line[k] != ' ')
        k++;
    *tidlen = (size_t)(line + k - *tid);
    if (*ok && k != l)
        return 0;
    if (k < l)
        k++;
    *r = line + k;
    *rl = l - k;
    return control_id_valid(*tid, *tidlen) ? 1 : 0;
}

int control_parse_reply(const char *wire, size_t len, const char *id, bool *ok, GString *body,
                        GString *reason, size_t *consumed)
{
    size_t pos = 0;
    if (body)
        g_string_truncate(body, 0);
    while (pos < len) {
        const char *nl = memchr(wire + pos, '\n', len - pos);
        if (!nl)
            return 0;
        size_t l = (size_t)(nl - (wire + pos));
        const char *line = wire + pos;
        pos += l + 1;
        if (l >= 2 && line[0] == '%' && line[1] == '%') {
            line++;
            l--;
        } else if (l > 0 && line[0] == '%') {
            const char *tid, *r;
            size_t tl, rl;
            bool tok;
            if (!parse_terminator(line, l, &tok, &tid, &tl, &r, &rl))
                return -1;
            if (tl != strlen(id) || memcmp(tid, id, tl) != 0) {
                if (consumed)
                    *consumed = pos;
                if (body)
                    g_string_truncate(body, 0);
                return 2;
            }
            *ok = tok;
            if (reason && !tok)
                g_string_append_len(reason, r, (gssize)rl);
            return 1;
        }
        if (body) {
            g_string_append_len(body, line, (gssize)l);
            g_string_append_c(body, '\n');
        }
    }
    return 0;
}
