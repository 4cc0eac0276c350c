/* test_control.c - control protocol: request ids, tokenizer bounds, reply
 * framing with ids, dispatch through qspnd's command table (kernel fake).  The
 * FIFO server and client are tested in test_control_server.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "control.h"
#include "control_client.h"
#include "kernel.h"
#include "commands.h"
#include "runtime.h"
#include "system.h"
#include "enter.h"

static void tok_ok(const char *line, int argc, const char *a0)
{
    control_args a;
    char err[128];
    if (!control_tokenize(line, strlen(line), &a, err, sizeof err))
        fail_msg("rejected '%s': %s", line, err);
    assert_int_equal(a.argc, argc);
    assert_string_equal(a.argv[0], a0);
    assert_null(a.argv[argc]);
}

static void tok_bad(const char *line, size_t len, const char *reason)
{
    control_args a;
    char err[128];
    assert_false(control_tokenize(line, len, &a, err, sizeof err));
    assert_string_equal(err, reason);
    assert_int_equal(a.argc, 0);
}

static void test_tokenize(void **state)
{
    tok_ok("show", 1, "show");
    tok_ok("  show\t--json  ", 2, "show");
    tok_ok("show\r", 1, "show");
    tok_ok("show_local_identities", 1, "show_local_identities");
    tok_ok("èé ü", 2, "èé");

    tok_bad("", 0, "empty command");
    tok_bad("   \t ", 5, "empty command");
    tok_bad("show\0quit", 9, "embedded NUL byte");
    tok_bad("show \xff\xfe", 7, "invalid UTF-8");
    tok_bad("show \xc3", 6, "invalid UTF-8");
    tok_bad("sh\x01ow", 5, "control character in command");
    tok_bad("show\x1b[2J", 8, "control character in command");
    tok_bad("show\x7f", 5, "control character in command");

    char *big = g_malloc(CONTROL_LINE_MAX + 10);
    memset(big, 'a', CONTROL_LINE_MAX + 10);
    tok_bad(big, CONTROL_LINE_MAX, "line too long");
    tok_bad(big, CONTROL_REQUEST_MAX + 1, "line too long");
    /* the longest acceptable line: CONTROL_REQUEST_MAX bytes, words <= 256 */
    for (size_t i = 0; i < CONTROL_REQUEST_MAX; i++)
        big[i] = (i % 101 == 100) ? ' ' : 'a';
    control_args *a = g_new(control_args, 1);
    char err[128];
    assert_false(control_tokenize(big, CONTROL_REQUEST_MAX, a, err, sizeof err));
    assert_string_equal(err, "too many words");
    memset(big, 'a', 300);
    tok_bad(big, 300, "word too long");
    memset(big, ' ', CONTROL_LINE_MAX);
    memcpy(big, "show", 4);
    assert_true(control_tokenize(big, CONTROL_REQUEST_MAX, a, err, sizeof err));
    assert_int_equal(a->argc, 1);
    g_free(a);
    g_free(big);

    GString *w = g_string_new(NULL);
    for (int i = 0; i < CONTROL_ARGS_MAX; i++)
        g_string_append(w, "x ");
    tok_ok(w->str, CONTROL_ARGS_MAX, "x");
    g_string_append(w, "y");
    tok_bad(w->str, w->len, "too many words");
    g_string_free(w, TRUE);
}

static void test_parse_long(void **state)
{
    long v = -1;
    GString *e = g_string_new(NULL);
    assert_true(control_parse_long("0", 0, 10, "cost", &v, e));
    assert_int_equal(v, 0);
    assert_true(control_parse_long("10", 0, 10, "cost", &v, e));
    assert_int_equal(v, 10);
    assert_true(control_parse_long("-5", -10, 10, "x", &v, e));
    assert_int_equal(v, -5);
    assert_int_equal(e->len, 0);
    const char *bad[] = { "", "11", "-1", "+1", "01", "1a", " 1", "1 ", "0x10", "-0",
                          "99999999999999999999999", "-", "1.5" };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_string_truncate(e, 0);
        v = 77;
        if (control_parse_long(bad[i], 0, 10, "cost", &v, e))
            fail_msg("accepted '%s'", bad[i]);
        assert_int_equal(v, 77);
        assert_true(g_str_has_prefix(e->str, "bad cost '"));
    }
    assert_false(control_parse_long("-11", -10, 10, "x", &v, NULL));
    g_string_free(e, TRUE);
}

static void test_request_split(void **state)
{
    char id[CONTROL_ID_MAX + 1];
    const char *cmd = NULL;
    size_t cl = 0;
    assert_true(control_split_request("0123abcdEF_- show --json", 24, id, &cmd, &cl));
    assert_string_equal(id, "0123abcdEF_-");
    assert_int_equal(cl, 11);
    assert_memory_equal(cmd, "show --json", 11);
    assert_true(control_split_request("a\t \tquit", 8, id, &cmd, &cl));
    assert_string_equal(id, "a");
    assert_int_equal(cl, 4);
    assert_true(control_split_request("abc", 3, id, &cmd, &cl));     /* empty command */
    assert_int_equal(cl, 0);
    /* ids: 1..32 of [0-9A-Za-z_-]; anything else cannot be answered */
    const char *bad[] = { "", " show", "a/b show", "a.b show", "../x show", "é show", "a\x01 show",
                          "%ok show", "qu\nit", "123456789012345678901234567890123 show" };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        if (control_split_request(bad[i], strlen(bad[i]), id, &cmd, &cl))
            fail_msg("accepted id in '%s'", bad[i]);
    assert_true(control_split_request("12345678901234567890123456789012 x", 34, id, &cmd, &cl));
    gchar *p = control_reply_path("/run/q", "abc");
    assert_string_equal(p, "/run/q/rsp-abc.fifo");
    g_free(p);
}

static void test_framing(void **state)
{
    GString *wire = g_string_new(NULL);
    control_frame_reply(wire, "id1", "a\n%b\nc", true, NULL);
    assert_string_equal(wire->str, "a\n%%b\nc\n%ok id1\n");
    GString *body = g_string_new(NULL), *reason = g_string_new(NULL);
    bool ok = false;
    size_t used = 0;
    assert_int_equal(control_parse_reply(wire->str, wire->len, "id1", &ok, body, reason, &used), 1);
    assert_true(ok);
    assert_string_equal(body->str, "a\n%b\nc\n");
    assert_int_equal(control_parse_reply(wire->str, 4, "id1", &ok, body, reason, &used), 0);
    /* a body line "%ok id1" cannot end the reply: it is escaped */
    g_string_truncate(wire, 0);
    control_frame_reply(wire, "id1", "%ok id1\n%error id1 x", true, NULL);
    assert_string_equal(wire->str, "%%ok id1\n%%error id1 x\n%ok id1\n");
    assert_int_equal(control_parse_reply(wire->str, wire->len, "id1", &ok, body, reason, &used), 1);
    assert_string_equal(body->str, "%ok id1\n%error id1 x\n");

    g_string_truncate(wire, 0);
    control_frame_reply(wire, "id2", "", false, "bad\nthing");
    assert_string_equal(wire->str, "%error id2 bad thing\n");
    assert_int_equal(control_parse_reply(wire->str, wire->len, "id2", &ok, body, reason, &used), 1);
    assert_false(ok);
    assert_string_equal(reason->str, "bad thing");

    /* the reply of another request is stale: reported with its length, to discard */
    g_string_truncate(wire, 0);
    control_frame_reply(wire, "old", "stale body", true, NULL);
    size_t stale_len = wire->len;
    control_frame_reply(wire, "new", "fresh", true, NULL);
    assert_int_equal(control_parse_reply(wire->str, wire->len, "new", &ok, body, reason, &used), 2);
    assert_int_equal(used, stale_len);
    assert_string_equal(body->str, "");
    assert_int_equal(control_parse_reply(wire->str + used, wire->len - used, "new", &ok, body, reason,
                                         &used), 1);
    assert_string_equal(body->str, "fresh\n");

    const char *bad[] = { "%what\n", "%ok\n", "%ok \n", "%ok a b\n", "%error\n", "%ok a/b\n",
                          "%error \n" };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        if (control_parse_reply(bad[i], strlen(bad[i]), "a", &ok, body, reason, &used) != -1)
            fail_msg("accepted terminator '%s'", bad[i]);
    g_string_truncate(reason, 0);
    assert_int_equal(control_parse_reply("%error a\n", 9, "a", &ok, body, reason, &used), 1);
    assert_false(ok);
    assert_string_equal(reason->str, "");
    g_string_free(wire, TRUE);
    g_string_free(body, TRUE);
    g_string_free(reason, TRUE);
}

static qspnd *make_daemon(void)
{
    qspnd *d = g_new0(qspnd, 1);
    char err[256];
    gchar *argv[] = { "qspnd", "--topology", "4.2.2.2", "--address", "3.0.1.0", "-i", "eth1", "-k",
                      "--linklocal", "eth1=169.254.69.30", "--control-dir", "/nonexistent", NULL };
    assert_int_equal(qspnd_options_parse(12, argv, &d->opt, err, sizeof err), 0);
    d->k = kernel_fake_new(NULL);
    kernel_fake_add_link(d->k, "eth1", "00:16:3E:FD:E2:AA");
    assert_true(qspnd_read_macs(d, err, sizeof err));
    assert_int_equal(qspnd_start(d, err, sizeof err), 0);
    assert_int_equal(qspnd_run_system(d, true, err, sizeof err), 0);
    d->nodeid = idm_main(d->sys->idm)->nodeid;
    return d;
}

static void collect_line(const char *line, size_t len, bool overlong, void *user)
{
    GString *seen = user;
    g_string_append_printf(seen, "[%.*s%s]", (int)len, line, overlong ? "+" : "");
}

/* cmd.fifo's bytes, in arbitrary pieces: one call per '\n', lines bounded. */
static void test_line_framer(void **state)
{
    control_framer f;
    GString *seen = g_string_new(NULL);
    control_framer_init(&f);
    const char *glued = "\n1 show\n\nqu";
    for (size_t i = 0; glued[i]; i++)
        control_framer_feed(&f, glued + i, 1, collect_line, seen);
    control_framer_feed(&f, "it\n", 3, collect_line, seen);
    assert_string_equal(seen->str, "[][1 show][][quit]");
    g_string_truncate(seen, 0);
    char *big = g_strnfill(CONTROL_REQUEST_MAX + 10, 'x');
    control_framer_feed(&f, big, strlen(big), collect_line, seen);
    control_framer_feed(&f, "\n2 quit\n", 8, collect_line, seen);
    assert_int_equal(seen->len, CONTROL_REQUEST_MAX + 3 + 8);   /* kept bytes, "+", next line */
    assert_true(g_str_has_suffix(seen->str, "x+][2 quit]"));
    g_free(big);
    control_framer_clear(&f);
    g_string_free(seen, TRUE);
}

static void free_daemon(qspnd *d)
{
    qspnd_free_system(d);
    kernel_free(d->k);
    if (d->startup)
        g_array_free(d->startup, TRUE);
    qspnd_options_clear(&d->opt);
    g_free(d);
}

static bool run_cmd(qspnd *d, const char *line, size_t len, GString *out, GString *err)
{
    size_t n;
    const control_command *t = qspnd_command_table(&n);
    g_string_truncate(out, 0);
    g_string_truncate(err, 0);
    return control_handle_line(t, n, line, len, out, err, d);
}

/* Malformed and refused commands: each its own message, no reply text, nothing
 * reaches the kernel. */
static void test_dispatch_refused(void **state)
{
    qspnd *d = make_daemon();
    GString *out = g_string_new(NULL), *err = g_string_new(NULL);
    size_t before = 0, after = 0;
    kernel_fake_lines(d->k, &before);

    struct { const char *line; size_t len; const char *reason; } bad[] = {
        { "bogus", 5, "unknown command 'bogus'" },
        { "quit now", 8, "wrong number of arguments for quit (usage: quit)" },
        { "show --json extra", 17, "wrong number of arguments for show (usage: show [--json])" },
        { "show --yaml", 11, "unknown option for show (usage: show [--json])" },
        { "show_handlednics 1", 18, "wrong number of arguments for show_handlednics (usage: show_handlednics [--json])" },
        { "show_local_identities x", 23, "wrong number of arguments for show_local_identities (usage: show_local_identities [--json])" },
        { "show_real_arcs --yaml", 21, "unknown option '--yaml' for show_real_arcs (usage: show_real_arcs [--json])" },
        { "show_qspn_data --json", 21, "wrong number of arguments for show_qspn_data (usage: show_qspn_data LOCAL_ID [--json])" },
        { "show_identity_arcs 0 --json --json", 34, "wrong number of arguments for show_identity_arcs (usage: show_identity_arcs LOCAL_ID [--json])" },
        { "show_identity_arcs --json --json", 32, "unknown option '--json' for show_identity_arcs (usage: show_identity_arcs LOCAL_ID [--json])" },
        { "show_qspn_data 9 --json", 23, "wrong local_identity_index '9'" },
        { "QUIT", 4, "unknown command 'QUIT'" },
        { "quit\0", 5, "embedded NUL byte" },
        { "qu\xffit", 5, "invalid UTF-8" },
        { "", 0, "empty command" },
        { "print_time_ruler maybe", 22, "Bad argument maybe." },
        { "dismiss_identity 0", 18, "identity #0 is the main identity" },
        { "dismiss_identity 7", 18, "wrong local_identity_index '7'" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        assert_false(run_cmd(d, bad[i].line, bad[i].len, out, err));
        assert_string_equal(err->str, bad[i].reason);
        assert_string_equal(out->str, "");
    }
    /* the debugging ruler, case-insensitive as the original */
    assert_true(run_cmd(d, "print_time_ruler on", 19, out, err));
    assert_true(run_cmd(d, "print_time_ruler OFF", 20, out, err));
    /* a very long unknown command is quoted with a bound */
    GString *lng = g_string_new(NULL);
    for (int i = 0; i < 200; i++)
        g_string_append_c(lng, 'z');
    assert_false(run_cmd(d, lng->str, lng->len, out, err));
    assert_true(err->len < 100);
    g_string_free(lng, TRUE);

    /* nothing reached the kernel */
    kernel_fake_lines(d->k, &after);
    assert_int_equal(before, after);

    g_string_free(out, TRUE);
    g_string_free(err, TRUE);
    free_daemon(d);
}

/* The show commands, text and --json; nothing reaches the kernel. */
static void test_dispatch_show(void **state)
{
    qspnd *d = make_daemon();
    GString *out = g_string_new(NULL), *err = g_string_new(NULL);
    size_t before = 0, after = 0;
    kernel_fake_lines(d->k, &before);

    /* --json of the original print-outs (docs/json-schema/<command>.json), the
     * text unchanged; --json may come before LOCAL_ID */
    struct { const char *line; const char *reply; } good[] = {
        { "show_handlednics", "handlednics: #0: eth1 = 00:16:3E:FD:E2:AA (has 169.254.69.30).\n" },
        { "show_handlednics --json", "{\"schema_version\":1,\"command\":\"show_handlednics\",\"nics\":[{\"index\":0,"
          "\"dev\":\"eth1\",\"mac\":\"00:16:3E:FD:E2:AA\",\"linklocal\":\"169.254.69.30\"}]}\n" },
        { "show_real_arcs --json", "{\"schema_version\":1,\"command\":\"show_real_arcs\",\"arcs\":[]}\n" },
        { "show_neighborhood_arcs --json", "{\"schema_version\":1,\"command\":\"show_neighborhood_arcs\",\"arcs\":[]}\n" },
        { "show_identity_arcs --json 0",
          "{\"schema_version\":1,\"command\":\"show_identity_arcs\",\"local_identity\":0,\"identity_arcs\":[]}\n" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
        g_string_truncate(out, 0);
        assert_true(run_cmd(d, good[i].line, strlen(good[i].line), out, err));
        assert_string_equal(out->str, good[i].reply);
    }
    g_string_truncate(out, 0);
    assert_true(run_cmd(d, "show_qspn_data 0 --json", 23, out, err));
    assert_true(g_str_has_prefix(out->str, "{\"schema_version\":1,\"command\":\"show_qspn_data\",\"local_identity\":0,"));
    assert_non_null(strstr(out->str, "\"address\":\"3.0.1.0\",\"topology\":\"4.2.2.2\""));
    g_string_truncate(out, 0);

    assert_true(run_cmd(d, "show_handlednics", 16, out, err));
    assert_string_equal(out->str, "handlednics: #0: eth1 = 00:16:3E:FD:E2:AA (has 169.254.69.30).\n");
    assert_true(run_cmd(d, "show_local_identities", 21, out, err));
    gchar *head = g_strdup_printf("local_identity #0 (nodeid %u):\n    main,\n"
                                  "    address 3:0:1:0, elderships 0:0:0:0, namespace default,\n",
                                  d->nodeid);
    assert_true(g_str_has_prefix(out->str, head));
    g_free(head);
    assert_true(run_cmd(d, "show", 4, out, err));
    assert_non_null(strstr(out->str, "  table ntk id 251 routes 18 unreachable 18"));
    assert_non_null(strstr(out->str, "  address 10.0.0.90/32 dev eth1 kind anonymous\n"));
    assert_non_null(strstr(out->str, "  nat -A POSTROUTING -d 10.0.0.64/27 -j SNAT --to 10.0.0.26\n"));
    assert_true(run_cmd(d, "show --json", 11, out, err));
    assert_true(g_str_has_prefix(out->str, "{\"schema_version\":1,\"netns\":null,\"topology\":\"4.2.2.2\""));
    assert_non_null(strstr(out->str, "\"routes\":18"));
    {
        GError *je = NULL;
        JsonNode *root = json_from_string(out->str, &je);
        assert_non_null(root);
        JsonObject *o = json_node_get_object(root);
        assert_string_equal(json_object_get_string_member(o, "topology"), "4.2.2.2");
        JsonObject *nic = json_array_get_object_element(json_object_get_array_member(o, "nics"), 0);
        assert_string_equal(json_object_get_string_member(nic, "mac"), "00:16:3E:FD:E2:AA");
        JsonObject *id = json_array_get_object_element(json_object_get_array_member(o, "identities"), 0);
        assert_int_equal(json_array_get_length(json_object_get_array_member(id, "addresses")), 7);
        JsonObject *tab = json_array_get_object_element(json_object_get_array_member(id, "tables"), 0);
        assert_int_equal(json_object_get_int_member(tab, "id"), 251);
        assert_int_equal(json_array_get_length(json_object_get_array_member(o, "nat")), 1);
        json_node_unref(root);
    }
    kernel_fake_lines(d->k, &after);
    assert_int_equal(before, after);

    g_string_free(out, TRUE);
    g_string_free(err, TRUE);
    free_daemon(d);
}

/* quit tears down through the kernel once; a second quit does nothing. */
static void test_dispatch_quit(void **state)
{
    qspnd *d = make_daemon();
    GString *out = g_string_new(NULL), *err = g_string_new(NULL);
    size_t before = 0, after = 0;
    kernel_fake_lines(d->k, &before);

    /* quit tears down through the kernel, once: every address, the rule of ntk,
     * the nft table and the rt_tables line of ntk go */
    assert_true(run_cmd(d, "quit", 4, out, err));
    const char *const *l = kernel_fake_lines(d->k, &after);
    const char *must[] = { "ip address del 169.254.69.30/32 dev eth1", "ip address del 10.0.0.32/32 dev lo",
                           "ip address del 10.0.0.26/32 dev eth1", "ip address del 10.0.0.40/32 dev eth1",
                           "ip rule del table ntk", "nft delete table ip qspnd",
                           "sed -i '/xxx_table_ntk_xxx/d' /etc/iproute2/rt_tables" };
    for (size_t m = 0; m < G_N_ELEMENTS(must); m++) {
        bool found = false;
        for (size_t i = before; i < after && !found; i++)
            found = strcmp(l[i], must[m]) == 0;
        if (!found)
            fail_msg("teardown without '%s'", must[m]);
    }
    assert_int_equal(d->exit_code, 0);
    assert_true(run_cmd(d, "quit", 4, out, err));
    kernel_fake_lines(d->k, &before);
    assert_int_equal(before, after);

    g_string_free(out, TRUE);
    g_string_free(err, TRUE);
    free_daemon(d);
}

/* The prepare commands' arguments: beta's migration at S08a and epsilon's entry
 * at S07a as the sequence writes them (Proof/commands/sequence), then bounds. */
static void test_operation_args(void **state)
{
    (void)state;
    ntk_topology t;
    char e[NTK_ERRLEN];
    assert_true(ntk_topology_parse("4.2.2.2", &t, e, sizeof e));
    GString *err = g_string_new(NULL);
    qop_params p;
    memset(&p, 0, sizeof p);
    char *mig[] = { "prepare_migrate_phase_1", "1", "0", "1", "2.0.1", "0.2.0", "2", "3", "1", "4",
                    "3", "3", "262359", "null" };
    assert_true(qop_parse_args(&t, 14, mig, &p, err));
    assert_int_equal(p.old_index, 1);
    assert_int_equal(p.host_level, 1);
    assert_int_equal(p.host_pos[3], 2);
    assert_int_equal(p.host_pos[2], 0);
    assert_int_equal(p.host_pos[1], 1);
    assert_int_equal(p.host_eld[2], 2);
    assert_int_equal(p.pos1, 2);
    assert_int_equal(p.pos2, 1);
    assert_int_equal(p.eld2, 4);
    assert_int_equal(p.cpos, 3);
    assert_int_equal(p.op_id, 262359);
    assert_false(p.has_prev);
    assert_true(qop_parse_arc_list("[2,5]", &p, err));
    assert_int_equal(p.n_arcs, 2);
    assert_int_equal(p.arcs[1], 5);
    assert_true(qop_parse_arc_list("[]", &p, err));
    assert_int_equal(p.n_arcs, 0);
    static const struct { int i; const char *w; const char *why; } bad[] = {
        { 4, "2.0", "bad host g-node address" },      /* 2 positions for host level 1 */
        { 4, "2.0.2", "bad host g-node address" },    /* gsize(1) = 2 */
        { 6, "1", "virtual position" },               /* pos1 must be >= gsize(0) */
        { 8, "2", "real position" },                  /* pos2 must be < gsize(0) */
        { 3, "0", "host level" },                     /* host level > guest level */
        { 13, "nul", "previous operation id" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        char *v[14];
        memcpy(v, mig, sizeof v);
        v[bad[i].i] = (char *)bad[i].w;
        g_string_truncate(err, 0);
        assert_false(qop_parse_args(&t, 14, v, &p, err));
        if (!strstr(err->str, bad[i].why))
            fail_msg("'%s' at %d: \"%s\" lacks \"%s\"", bad[i].w, bad[i].i, err->str, bad[i].why);
    }
    g_string_truncate(err, 0);
    assert_false(qop_parse_arc_list("[0,x]", &p, err));
    assert_false(qop_parse_arc_list("0", &p, err));
    g_string_free(err, TRUE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokenize),
        cmocka_unit_test(test_parse_long),
        cmocka_unit_test(test_request_split),
        cmocka_unit_test(test_framing),
        cmocka_unit_test(test_line_framer),
        cmocka_unit_test(test_dispatch_refused),
        cmocka_unit_test(test_dispatch_show),
        cmocka_unit_test(test_dispatch_quit),
        cmocka_unit_test(test_operation_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
