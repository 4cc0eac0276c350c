/* state.c - qspnd's state file: records, bounded parsing, the leftover sweep
 * plan, atomic file writing. */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define WARNINGS_MAX 20

static const char *const kind_names[] = { "addr", "rule", "rt_tables", "link", "netns" };

/* Decimal, no sign, no leading zeros, within [min, max]. */
static bool parse_u32(const char *w, uint32_t min, uint32_t max, uint32_t *out)
{
    uint64_t v = 0;
    if (!g_ascii_isdigit(w[0]) || (w[0] == '0' && w[1]) || strlen(w) > 10)
        return false;
    for (const char *p = w; *p; p++) {
        if (!g_ascii_isdigit(*p))
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v < min || v > max)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* As the kernel's dev_valid_name(). */
static bool valid_ifname(const char *dev)
{
    size_t l = strlen(dev);
    if (l == 0 || l >= KOP_DEVLEN || strcmp(dev, ".") == 0 || strcmp(dev, "..") == 0)
        return false;
    for (const char *p = dev; *p; p++)
        if (*p == '/' || *p == ':' || (unsigned char)*p <= ' ' || *p == 0x7f)
            return false;
    return true;
}

/* [A-Za-z0-9_.-]{1,63} but not . or .. (netns names); extra also allows ':'
 * (table names such as ntk_from_00:16:3E:5B:78:D5). */
static bool valid_name(const char *s, bool colon)
{
    size_t l = strlen(s);
    if (l == 0 || l >= KOP_NAMELEN || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return false;
    for (const char *p = s; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '_' && *p != '.' && *p != '-' && !(colon && *p == ':'))
            return false;
    return true;
}

static bool parse_words(state_record *r, gchar **w, char *err, size_t errlen)
{
    uint32_t u;
    switch (r->kind) {
    case STATE_ADDR:
        if (!valid_ifname(w[1]) || !strchr(w[2], '/') || !ntk_cidr_parse(w[2], &r->cidr))
            return snprintf(err, errlen, "bad addr record (addr <dev> <a.b.c.d>/<prefix>)"), false;
        g_strlcpy(r->dev, w[1], sizeof r->dev);
        return true;
    case STATE_RULE:
        if (!parse_u32(w[1], STATE_TABLE_MIN, STATE_TABLE_MAX, &r->table) ||
            !parse_u32(w[2], 0, G_MAXUINT32, &r->fwmark))
            return snprintf(err, errlen, "bad rule record (rule <table %d..%d> <fwmark>)",
                            STATE_TABLE_MIN, STATE_TABLE_MAX), false;
        return true;
    case STATE_RT_TABLES:
        if (!parse_u32(w[1], STATE_TABLE_MIN, STATE_TABLE_MAX, &u) || !valid_name(w[2], true))
            return snprintf(err, errlen, "bad rt_tables record (rt_tables <number %d..%d> <name>)",
                            STATE_TABLE_MIN, STATE_TABLE_MAX), false;
        r->table = u;
        g_strlcpy(r->name, w[2], sizeof r->name);
        return true;
    case STATE_LINK:
        if ((strcmp(w[1], "-") != 0 && !valid_name(w[1], false)) || !valid_ifname(w[2]))
            return snprintf(err, errlen, "bad link record (link <netns|-> <dev>)"), false;
        g_strlcpy(r->netns, strcmp(w[1], "-") == 0 ? "" : w[1], sizeof r->netns);
        g_strlcpy(r->dev, w[2], sizeof r->dev);
        return true;
    case STATE_NETNS:
        if (!valid_name(w[1], false))
            return snprintf(err, errlen, "bad netns record (netns <name>)"), false;
        g_strlcpy(r->netns, w[1], sizeof r->netns);
        return true;
    }
    return false;
}

bool state_record_parse(const char *line, size_t len, state_record *r, char *err, size_t errlen)
{
    static const int nwords[] = { 3, 3, 3, 3, 2 };
    memset(r, 0, sizeof *r);
    if (len > STATE_LINE_MAX)
        return snprintf(err, errlen, "line too long"), false;
    if (memchr(line, '\0', len))
        return snprintf(err, errlen, "embedded NUL byte"), false;
    gchar *text = g_strndup(line, len);
    gchar **w = g_strsplit(text, " ", 5);
    guint n = g_strv_length(w);
    bool ok = false;
    size_t k = 0;
    for (; k < G_N_ELEMENTS(kind_names); k++)
        if (n > 0 && strcmp(w[0], kind_names[k]) == 0)
            break;
    if (k == G_N_ELEMENTS(kind_names)) {
        snprintf(err, errlen, "unknown record kind (left alone)");
    } else if ((int)n != nwords[k]) {
        snprintf(err, errlen, "%s record with %u words (want %d)", kind_names[k], n, nwords[k]);
    } else {
        r->kind = (state_kind)k;
        ok = parse_words(r, w, err, errlen);
    }
    g_strfreev(w);
    g_free(text);
    return ok;
}

void state_record_format(const state_record *r, GString *out)
{
    char ip[NTK_STRLEN];
    switch (r->kind) {
    case STATE_ADDR:
        ntk_ip_format(r->cidr.addr, ip, sizeof ip);
        g_string_append_printf(out, "addr %s %s/%d\n", r->dev, ip, r->cidr.prefix);
        break;
    case STATE_RULE:
        g_string_append_printf(out, "rule %u %u\n", r->table, r->fwmark);
        break;
    case STATE_RT_TABLES:
        g_string_append_printf(out, "rt_tables %u %s\n", r->table, r->name);
        break;
    case STATE_LINK:
        g_string_append_printf(out, "link %s %s\n", r->netns[0] ? r->netns : "-", r->dev);
        break;
    case STATE_NETNS:
        g_string_append_printf(out, "netns %s\n", r->netns);
        break;
    }
}

GArray *state_records_from_plan(const kop *ops, size_t n)
{
    GArray *a = g_array_new(FALSE, TRUE, sizeof(state_record));
    for (size_t i = 0; i < n; i++) {
        state_record r;
        memset(&r, 0, sizeof r);
        if (ops[i].type == KOP_ADDR_ADD) {
            r.kind = STATE_ADDR;
            g_strlcpy(r.dev, ops[i].dev, sizeof r.dev);
            r.cidr.addr = ops[i].addr;
            r.cidr.prefix = ops[i].prefix;
        } else if (ops[i].type == KOP_RULE_ADD) {
            r.kind = STATE_RULE;
            r.table = ops[i].table;
            r.fwmark = ops[i].fwmark;
        } else if (ops[i].type == KOP_RT_TABLES_ADD) {
            r.kind = STATE_RT_TABLES;
            r.table = ops[i].table;
            g_strlcpy(r.name, ops[i].table_name, sizeof r.name);
        } else {
            continue;
        }
        g_array_append_val(a, r);
    }
    return a;
}

GArray *state_parse(const char *text, size_t len, guint *bad, GString *warnings)
{
    GArray *a = g_array_new(FALSE, TRUE, sizeof(state_record));
    size_t pos = 0;
    guint lineno = 0;
    *bad = 0;
    if (len > STATE_FILE_MAX) {
        len = STATE_FILE_MAX;
        (*bad)++;
        if (warnings)
            g_string_append_printf(warnings, "state file longer than %d bytes: the rest is ignored\n",
                                   STATE_FILE_MAX);
    }
    while (pos < len) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - line) : len - pos;
        pos += l + (nl ? 1 : 0);
        lineno++;
        if (l == 0 || line[0] == '#')
            continue;
        state_record r;
        char err[128];
        if (a->len < STATE_RECORDS_MAX && state_record_parse(line, l, &r, err, sizeof err)) {
            g_array_append_val(a, r);
            continue;
        }
        if (a->len >= STATE_RECORDS_MAX)
            g_strlcpy(err, "too many records", sizeof err);
        if (warnings && *bad < WARNINGS_MAX)
            g_string_append_printf(warnings, "state file line %u skipped: %s\n", lineno, err);
        (*bad)++;
    }
    return a;
}

static void push(GArray *a, kop op)
{
    op.tolerant = true;
    g_array_append_val(a, op);
}

GArray *state_sweep_plan(const GArray *records, const char *own_netns)
{
    GArray *a = g_array_new(FALSE, TRUE, sizeof(kop));
    guint n = records ? records->len : 0;
    static const state_kind order[] = { STATE_RULE, STATE_ADDR, STATE_LINK, STATE_NETNS,
                                        STATE_RT_TABLES };
    for (size_t o = 0; o < G_N_ELEMENTS(order); o++) {
        if (order[o] == STATE_ADDR)          /* after the rules: the self-evident leftovers */
            push(a, kop_simple(KOP_SWEEP));
        for (guint i = 0; i < n; i++) {
            const state_record *r = &g_array_index(records, state_record, i);
            if (r->kind != order[o])
                continue;
            char num[16];
            switch (r->kind) {
            case STATE_RULE:
                g_snprintf(num, sizeof num, "%u", r->table);
                push(a, kop_rule(KOP_RULE_DEL, r->fwmark, r->table, num));
                break;
            case STATE_ADDR:
                push(a, kop_addr(KOP_ADDR_DEL, r->dev, r->cidr.addr, r->cidr.prefix));
                break;
            case STATE_LINK:
                push(a, kop_link_del(r->netns, r->dev));
                break;
            case STATE_NETNS:
                if (!own_netns || strcmp(own_netns, r->netns) != 0)
                    push(a, kop_netns_del(r->netns));
                break;
            case STATE_RT_TABLES:
                push(a, kop_rt_tables(KOP_RT_TABLES_DEL, r->table, r->name));
                break;
            }
        }
    }
    return a;
}

GArray *state_file_read(const char *path, guint *bad, GString *warnings, GError **error)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    *bad = 0;
    if (fd < 0) {
        if (errno != ENOENT)
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path,
                        g_strerror(errno));
        return NULL;
    }
    /* one byte more than the bound tells state_parse() that there was more */
    gchar *buf = g_malloc(STATE_FILE_MAX + 1);
    size_t len = 0;
    while (len < STATE_FILE_MAX + 1) {
        ssize_t r = read(fd, buf + len, STATE_FILE_MAX + 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    GArray *a = state_parse(buf, len, bad, warnings);
    g_free(buf);
    return a;
}

bool state_file_write(const char *path, const GArray *records, GError **error)
{
    GString *s = g_string_new("# qspnd state: what this run added that is not self-evidently "
                              "qspnd's (docs/daemon.md); removed at clean exit\n");
    for (guint i = 0; records && i < records->len; i++)
        state_record_format(&g_array_index(records, state_record, i), s);
    bool ok = g_file_set_contents_full(path, s->str, (gssize)s->len,
                                       G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                       0600, error);
    g_string_free(s, TRUE);
    return ok;
}
