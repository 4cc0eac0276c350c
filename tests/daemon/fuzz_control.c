/* fuzz_control.c - libFuzzer target for what qspnd does with the bytes a
 * client writes into cmd.fifo (built with clang only, see `make fuzz`):
 * line framing (control_framer_feed, fed in chunks), the request id
 * (control_split_request), the tokenizer, the lookup in qspnd's own command
 * table, and the argument parsers of the prepare_* commands (qop_parse_args,
 * qop_parse_arc_list), of MACs and of bounded integers.  Handlers are not run:
 * they need a live system.  The same bytes also go through the client's reply
 * parser (control_parse_reply).
 * Input: byte 0 picks the read size (bits 0-5, 0 = all at once) and the
 * topology (bit 6: 4.2.2.2 of the storyline, else 16.8.4); the rest is what
 * the FIFO delivers.  Properties beyond "no fault, no leak": every accepted
 * line has 1..CONTROL_ARGS_MAX printable words of at most CONTROL_TOKEN_MAX
 * bytes, and a parsed prepare_* command has its values within the topology.
 * Run: build-fuzz/tests/daemon/fuzz_control -max_total_time=60 CORPUS_COPY */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "control.h"
#include "enter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLY_ID "f00d"

static void check_words(const control_args *a)
{
    if (a->argc < 1 || a->argc > CONTROL_ARGS_MAX || a->argv[a->argc] != NULL)
        abort();
    for (int i = 0; i < a->argc; i++) {
        size_t n = strlen(a->argv[i]);
        if (n == 0 || n > CONTROL_TOKEN_MAX)
            abort();
        for (size_t k = 0; k < n; k++) {
            unsigned char c = (unsigned char)a->argv[i][k];
            if (c < 0x20 || c == 0x7f)
                abort();
        }
    }
}

/* What cmd_prepare does before touching the system. */
static void parse_prepare(const ntk_topology *t, int argc, char **argv, bool migrate)
{
    qop_params p;
    memset(&p, 0, sizeof p);
    GString *err = g_string_new(NULL);
    if (qop_parse_args(t, argc, argv, &p, err)) {
        if (p.guest_level < 0 || p.guest_level >= p.host_level || p.host_level > t->levels)
            abort();
        if (p.pos2 < 0 || p.pos2 >= t->gsize[p.host_level - 1] || p.pos1 < t->gsize[p.host_level - 1])
            abort();
        if (!migrate && qop_parse_arc_list(argv[12], &p, err) &&
            (p.n_arcs < 0 || p.n_arcs > QOP_MAX_ARCS))
            abort();
    }
    g_string_free(err, TRUE);
}

static void parse_words(const control_args *a)
{
    GString *err = g_string_new(NULL);
    for (int i = 0; i < a->argc; i++) {
        nmsg_mac mac;
        long v;
        (void)nmsg_mac_parse(a->argv[i], &mac);
        (void)control_parse_long(a->argv[i], -1000, 0x7FFFFFFF, "word", &v, err);
    }
    g_string_free(err, TRUE);
}

static void on_line(const char *line, size_t len, bool overlong, void *user)
{
    const ntk_topology *t = user;
    char id[CONTROL_ID_MAX + 1];
    const char *cmd;
    size_t cmdlen;
    if (overlong || !control_split_request(line, len, id, &cmd, &cmdlen))
        return;
    control_args *a = g_new(control_args, 1);
    char e[128];
    if (control_tokenize(cmd, cmdlen, a, e, sizeof e)) {
        check_words(a);
        parse_words(a);
        size_t n;
        const control_command *table = qspnd_command_table(&n);
        GString *err = g_string_new(NULL);
        const control_command *c = control_lookup(table, n, a->argc, a->argv, err);
        if (c && strcmp(c->name, "prepare_enter_net_phase_1") == 0)
            parse_prepare(t, a->argc, a->argv, false);
        else if (c && strcmp(c->name, "prepare_migrate_phase_1") == 0)
            parse_prepare(t, a->argc, a->argv, true);
        g_string_free(err, TRUE);
    }
    g_free(a);
}

/* The client side: a stream of replies for REPLY_ID, stale ones skipped. */
static void parse_replies(const char *wire, size_t len)
{
    GString *body = g_string_new(NULL), *reason = g_string_new(NULL);
    size_t pos = 0;
    for (;;) {
        bool ok;
        size_t consumed = 0;
        int r = control_parse_reply(wire + pos, len - pos, REPLY_ID, &ok, body, reason, &consumed);
        if (r != 2)
            break;
        if (consumed == 0 || consumed > len - pos)
            abort();
        pos += consumed;
    }
    g_string_free(body, TRUE);
    g_string_free(reason, TRUE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4 * CONTROL_LINE_MAX)
        return 0;
    static const int storyline[] = {2, 2, 2, 4}, wide[] = {4, 8, 16};
    ntk_topology t;
    bool ok = (data[0] & 0x40) ? ntk_topology_init(&t, 4, storyline, NULL, 0)
                               : ntk_topology_init(&t, 3, wide, NULL, 0);
    if (!ok)
        abort();
    size_t chunk = data[0] & 0x3f;
    const char *bytes = (const char *)data + 1;
    size_t n = size - 1;
    control_framer f;
    control_framer_init(&f);
    for (size_t off = 0; off < n;) {
        size_t k = chunk && chunk < n - off ? chunk : n - off;
        control_framer_feed(&f, bytes + off, k, on_line, &t);
        off += k;
    }
    control_framer_clear(&f);
    parse_replies(bytes, n);
    return 0;
}
