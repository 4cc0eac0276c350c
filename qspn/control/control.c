/* control.c - tokenizer, dispatch and reply framing of the control protocol. */
#include "control.h"

#include <stdio.h>
#include <string.h>

static void set_err(char *err, size_t errlen, const char *msg)
{
    if (errlen)
        g_strlcpy(err, msg, errlen);
}

bool control_tokenize(const char *line, size_t len, control_args *out, char *err, size_t errlen)
{
    out->argc = 0;
    out->argv[0] = NULL;
    if (len > CONTROL_LINE_MAX - 1) {
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

bool control_dispatch(const control_command *table, size_t n, int argc, char **argv,
                      GString *out, GString *err, void *user)
{
    if (argc < 1) {
        g_string_append(err, "empty command");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(table[i].name, argv[0]) != 0)
            continue;
        int nargs = argc - 1;
        if (nargs < table[i].min_args || nargs > table[i].max_args) {
            g_string_append_printf(err, "wrong number of arguments for %s (usage: %s)",
                                   table[i].name, table[i].usage);
            return false;
        }
        return table[i].fn(argc, argv, out, err, user);
    }
    g_string_append(err, "unknown command ");
    append_word(err, argv[0]);
    return false;
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

void control_frame_reply(GString *wire, const char *body, bool ok, const char *reason)
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
    if (ok) {
        g_string_append(wire, CONTROL_TERM_OK "\n");
        return;
    }
    g_string_append(wire, CONTROL_TERM_ERROR " ");
    const char *r = reason && *reason ? reason : "failed";
    for (; *r; r++) {
        unsigned char c = (unsigned char)*r;
        g_string_append_c(wire, (c < 0x20 || c == 0x7f) ? ' ' : (char)c);
    }
    g_string_append_c(wire, '\n');
}

int control_parse_reply(const char *wire, size_t len, bool *ok, GString *body, GString *reason)
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
        if (l >= 2 && line[0] == '%' && line[1] == '%') {
            if (body) {
                g_string_append_len(body, line + 1, (gssize)(l - 1));
                g_string_append_c(body, '\n');
            }
        } else if (l > 0 && line[0] == '%') {
            size_t tl = strlen(CONTROL_TERM_ERROR);
            if (l == strlen(CONTROL_TERM_OK) && memcmp(line, CONTROL_TERM_OK, l) == 0) {
                *ok = true;
                return 1;
            }
            if (l >= tl && memcmp(line, CONTROL_TERM_ERROR, tl) == 0) {
                *ok = false;
                if (reason) {
                    const char *r = line + tl;
                    size_t rl = l - tl;
                    if (rl > 0 && *r == ' ') {
                        r++;
                        rl--;
                    }
                    g_string_append_len(reason, r, (gssize)rl);
                }
                return 1;
            }
            return -1;
        } else if (body) {
            g_string_append_len(body, line, (gssize)l);
            g_string_append_c(body, '\n');
        }
        pos += l + 1;
    }
    return 0;
}
