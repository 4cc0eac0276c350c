/* test_monevent.c - the printed forms of the monitor events
 * (qspn/daemon/monevent.c): exact text and JSON lines, escaping and
 * sanitising, bounds.  `test_daemon_monevent --examples` prints one JSON line
 * of every event type instead: tests/json validates them against
 * docs/json-schema/monitor-event.json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "monevent.h"

#define T0 1795984867123456LL          /* 2026-11-29T20:41:07.123456Z */

static void link_of(qmon_event *ev)
{
    g_strlcpy(ev->dev, "eth1", sizeof ev->dev);
    g_strlcpy(ev->mac, "02:00:00:00:07:0A", sizeof ev->mac);
    g_strlcpy(ev->peer_mac, "02:00:00:00:07:0B", sizeof ev->peer_mac);
    g_strlcpy(ev->peer_ll, "169.254.7.11", sizeof ev->peer_ll);
}

/* A realistic event of type t. */
static void example(qmon_type t, qmon_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->type = t;
    ev->time_us = T0;
    ev->seq = (uint64_t)t + 1;
    link_of(ev);
    ev->rtt_us = 596;
    ev->reason = "silent";
    ev->cost_us = 5000;
    ev->old_cost_us = 1000;
    ev->identity = 1;
    ev->nodeid = 425134952;
    ev->idarc = 2;
    ev->peer_nodeid = 51282938;
    ev->table = t == QMON_QSPN_ARC_ADDED || t == QMON_QSPN_ARC_REMOVED ? 250 : 0;
    g_strlcpy(ev->netns, t == QMON_KERNEL ? "" : "ntkv0", sizeof ev->netns);
    g_strlcpy(ev->address, "3.1.0.0", sizeof ev->address);
    g_strlcpy(ev->old_address, t == QMON_ADDRESS_CHANGED ? "3.0.1.0" : "", sizeof ev->old_address);
    ev->conn_from = 1;
    ev->conn_to = 4;
    ev->dest = (qmon_hop){ 1, 2 };
    ev->n_hops = 2;
    ev->hops[0] = (qmon_hop){ 0, 1 };
    ev->hops[1] = (qmon_hop){ 1, 2 };
    g_strlcpy(ev->ip, "10.0.0.26", sizeof ev->ip);
    ev->prefix = 32;
    g_strlcpy(ev->op, "ip route add unreachable 10.0.0.0/29 table ntk", sizeof ev->op);
    ev->result = QMON_KOP_OK;
}

static gchar *json_of(const qmon_event *ev)
{
    GString *s = g_string_new(NULL);
    qmon_format_json(ev, s);
    return g_string_free(s, FALSE);
}

static gchar *text_of(const qmon_event *ev)
{
    GString *s = g_string_new(NULL);
    qmon_format_text(ev, s);
    return g_string_free(s, FALSE);
}

static void test_time(void **state)
{
    char b[48];
    qmon_format_time(T0, b, sizeof b);
    assert_string_equal(b, "2026-11-29T20:41:07.123Z");
    qmon_format_time(0, b, sizeof b);
    assert_string_equal(b, "1970-01-01T00:00:00.000Z");
}

static void test_neighbour_and_arcs(void **state)
{
    qmon_event ev;
    example(QMON_NEIGHBOUR_UP, &ev);
    gchar *j = json_of(&ev), *t = text_of(&ev);
    assert_string_equal(j, "{\"time\":\"2026-11-29T20:41:07.123Z\",\"seq\":1,\"type\":\"neighbour_up\","
                           "\"dev\":\"eth1\",\"mac\":\"02:00:00:00:07:0A\",\"peer_mac\":\"02:00:00:00:07:0B\","
                           "\"peer_linklocal\":\"169.254.7.11\",\"rtt_us\":596}");
    assert_string_equal(t, "2026-11-29T20:41:07.123Z neighbour up eth1 02:00:00:00:07:0A-02:00:00:00:07:0B "
                           "peer 169.254.7.11 rtt 596us");
    g_free(j);
    g_free(t);
    example(QMON_ARC_CHANGED, &ev);
    t = text_of(&ev);
    assert_string_equal(t, "2026-11-29T20:41:07.123Z arc changed eth1 02:00:00:00:07:0A-02:00:00:00:07:0B "
                           "peer 169.254.7.11 cost 1000us -> 5000us");
    g_free(t);
    example(QMON_QSPN_ARC_ADDED, &ev);
    t = text_of(&ev);
    assert_string_equal(t, "2026-11-29T20:41:07.123Z qspn-arc added #2 of identity #1 to nodeid 51282938 "
                           "(02:00:00:00:07:0B 169.254.7.11) table 250");
    g_free(t);
}

static void test_paths(void **state)
{
    qmon_event ev;
    example(QMON_PATH_CHANGED, &ev);
    gchar *j = json_of(&ev), *t = text_of(&ev);
    assert_string_equal(j, "{\"time\":\"2026-11-29T20:41:07.123Z\",\"seq\":12,\"type\":\"path_changed\","
                           "\"identity\":1,\"destination\":{\"level\":1,\"pos\":2},\"cost_us\":5000,"
                           "\"gateway_nodeid\":51282938,\"gateway\":\"169.254.7.11\",\"dev\":\"eth1\","
                           "\"hops\":[{\"level\":0,\"pos\":1},{\"level\":1,\"pos\":2}],\"hops_truncated\":false}");
    assert_string_equal(t, "2026-11-29T20:41:07.123Z path changed identity #1 to (1,2) cost 5000us via nodeid "
                           "51282938 169.254.7.11 dev eth1 hops (0,1) (1,2)");
    g_free(j);
    g_free(t);
    example(QMON_PATH_REMOVED, &ev);
    j = json_of(&ev);
    assert_string_equal(j, "{\"time\":\"2026-11-29T20:41:07.123Z\",\"seq\":13,\"type\":\"path_removed\","
                           "\"identity\":1,\"destination\":{\"level\":1,\"pos\":2}}");
    g_free(j);
    /* more hops than printed: the bound holds and the cut is said */
    example(QMON_PATH_ADDED, &ev);
    ev.n_hops = 1000;
    ev.hops_truncated = true;
    t = text_of(&ev);
    assert_non_null(strstr(t, " ..."));
    g_free(t);
}

static void test_identities_and_kernel(void **state)
{
    qmon_event ev;
    example(QMON_ADDRESS_CHANGED, &ev);
    gchar *t = text_of(&ev);
    assert_string_equal(t, "2026-11-29T20:41:07.123Z address changed #1 nodeid 425134952 namespace ntkv0 "
                           "3.0.1.0 -> 3.1.0.0 (connectivity 1..4)");
    g_free(t);
    ev.old_address[0] = '\0';
    gchar *j = json_of(&ev);
    assert_non_null(strstr(j, "\"old_address\":null,\"address\":\"3.1.0.0\""));
    g_free(j);
    example(QMON_KERNEL, &ev);
    ev.result = QMON_KOP_ERROR;
    g_strlcpy(ev.error, "route add: File exists", sizeof ev.error);
    j = json_of(&ev);
    t = text_of(&ev);
    assert_string_equal(j, "{\"time\":\"2026-11-29T20:41:07.123Z\",\"seq\":19,\"type\":\"kernel\","
                           "\"netns\":\"default\",\"op\":\"ip route add unreachable 10.0.0.0/29 table ntk\","
                           "\"result\":\"error\",\"error\":\"route add: File exists\"}");
    assert_string_equal(t, "2026-11-29T20:41:07.123Z kernel error: ip route add unreachable 10.0.0.0/29 table "
                           "ntk: route add: File exists");
    g_free(j);
    g_free(t);
    example(QMON_DAEMON_STOPPING, &ev);
    t = text_of(&ev);
    assert_string_equal(t, "2026-11-29T20:41:07.123Z qspnd stopping");
    g_free(t);
}

/* Quotes, backslashes, control characters and invalid UTF-8 in a field: the
 * JSON still parses and says the same; the text has no control character. */
static void test_escaping(void **state)
{
    qmon_event ev;
    example(QMON_KERNEL, &ev);
    ev.result = QMON_KOP_IGNORED;
    g_strlcpy(ev.op, "echo \"a\\b\"\t\x01 \xc3\xa9 \xff end", sizeof ev.op);
    g_strlcpy(ev.error, "line1\nline2", sizeof ev.error);
    gchar *j = json_of(&ev), *t = text_of(&ev);
    JsonParser *p = json_parser_new();
    assert_true(json_parser_load_from_data(p, j, -1, NULL));
    JsonObject *o = json_node_get_object(json_parser_get_root(p));
    assert_string_equal(json_object_get_string_member(o, "op"), "echo \"a\\b\"\t\x01 \xc3\xa9 ? end");
    assert_string_equal(json_object_get_string_member(o, "error"), "line1\nline2");
    assert_string_equal(json_object_get_string_member(o, "result"), "ignored");
    g_object_unref(p);
    assert_null(strchr(t, '\n'));
    assert_null(strchr(t, '\t'));
    assert_non_null(strstr(t, "echo \"a\\b\"?? \xc3\xa9 ? end: line1?line2"));
    assert_true(g_utf8_validate(t, -1, NULL));
    g_free(j);
    g_free(t);
    /* a field filled to its last byte, without NUL: the bound holds */
    example(QMON_KERNEL, &ev);
    memset(ev.op, 'x', sizeof ev.op);
    j = json_of(&ev);
    assert_non_null(strstr(j, "\"result\":\"ok\""));
    g_free(j);
}

static void test_every_type(void **state)
{
    for (int t = 0; t < QMON_N_TYPES; t++) {
        qmon_event ev;
        example((qmon_type)t, &ev);
        assert_non_null(qmon_type_name((qmon_type)t));
        gchar *j = json_of(&ev), *x = text_of(&ev);
        JsonParser *p = json_parser_new();
        assert_true(json_parser_load_from_data(p, j, -1, NULL));
        JsonObject *o = json_node_get_object(json_parser_get_root(p));
        assert_string_equal(json_object_get_string_member(o, "type"), qmon_type_name((qmon_type)t));
        g_object_unref(p);
        assert_true(strlen(x) > 25);
        assert_null(strchr(j, '\n'));
        assert_null(strchr(x, '\n'));
        g_free(j);
        g_free(x);
    }
    assert_null(qmon_type_name(QMON_N_TYPES));
    assert_null(qmon_type_name((qmon_type)-1));
}

static int print_examples(void)
{
    for (int t = 0; t < QMON_N_TYPES; t++) {
        qmon_event ev;
        example((qmon_type)t, &ev);
        if (t == QMON_KERNEL) {        /* both forms of a kernel event */
            gchar *j = json_of(&ev);
            printf("%s\n", j);
            g_free(j);
            ev.result = QMON_KOP_ERROR;
            g_strlcpy(ev.error, "route add: File exists", sizeof ev.error);
        }
        gchar *j = json_of(&ev);
        printf("%s\n", j);
        g_free(j);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--examples") == 0)
        return print_examples();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_neighbour_and_arcs),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_identities_and_kernel),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_every_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
