/* test_ipcalc.c - `qspnctl ipcalc` as a user runs it: output checked against the
 * lists of the documents, bad input rejected with exit status 2 and one line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-glib/json-glib.h>

#include "testutil.h"

static const char *qspnctl(void)
{
    const char *p = getenv("QSPNCTL");
    if (!p)
        fail_msg("QSPNCTL is not set (run through meson)");
    return p;
}

static int run(char **out, char **err, const char *a1, const char *a2, const char *a3,
               const char *a4, const char *a5)
{
    char *argv[] = { (char *)qspnctl(), "ipcalc", (char *)a1, (char *)a2, (char *)a3,
                     (char *)a4, (char *)a5, NULL };
    return run_capture(argv, out, err);
}

/* Lines of doc (a Proof/ file) first..last that match one of the prefixes, blanks squeezed. */
static char *doc_commands(const char *file, long first, long last)
{
    char rel[256];
    snprintf(rel, sizeof rel, "reference/netsukuku-docs/Proof/%s", file);
    char *path = test_path("QSPN_SHARED_DIR", rel);
    strlist *lines = read_lines(path, first, last);
    free(path);
    assert_non_null(lines);
    strlist keep = { 0 };
    for (size_t i = 0; i < lines->n; i++) {
        char *s = lines->items[i];
        squeeze_blanks(s);
        if (!strncmp(s, "ip address add 10.", 18) || !strncmp(s, "ip route add unreachable ", 25) ||
            !strncmp(s, "iptables -t nat -A ", 19))
            strlist_add(&keep, s);
    }
    char *joined = strlist_join(&keep);
    strlist_clear(&keep);
    strlist_clear(lines);
    free(lines);
    return joined;
}

/* The exact form: alfa's 5 addresses and 18 destinations as Eventi.md lists them. */
static void test_alfa_exact_form(void **state)
{
    char *out, *err;
    char *argv[] = { (char *)qspnctl(), "ipcalc", "--topology", "4.2.2.2", "3.0.1.0", NULL };
    assert_int_equal(run_capture(argv, &out, &err), 0);
    assert_string_equal(err, "");
    /* Eventi.md:70-74 (addresses) and :97-114 (destinations), in order. */
    char *path = test_path("QSPN_SHARED_DIR", "reference/netsukuku-docs/Proof/Eventi.md");
    strlist *addrs = read_lines(path, 70, 74), *dests = read_lines(path, 97, 114);
    free(path);
    assert_non_null(addrs);
    assert_non_null(dests);
    assert_non_null(strstr(out, "addresses    5\n"));
    assert_non_null(strstr(out, "destinations 18\n"));
    const char *cursor = strstr(out, "addresses    5\n");
    for (size_t i = 0; i < addrs->n; i++) {
        char ip[64];
        assert_int_equal(sscanf(addrs->items[i], "ip address add %63s", ip), 1);
        const char *at = strstr(cursor, ip);
        if (!at)
            fail_msg("address %s (Eventi.md:%zu) missing or out of order in:\n%s", ip, 70 + i, out);
        cursor = at;
    }
    cursor = strstr(out, "destinations 18\n");
    for (size_t i = 0; i < dests->n; i++) {
        char cidr[64];
        assert_int_equal(sscanf(dests->items[i], "ip route add unreachable %63s", cidr), 1);
        char needle[80];
        snprintf(needle, sizeof needle, "  %s ", cidr);
        const char *at = strstr(cursor, needle);
        if (!at)
            fail_msg("destination %s (Eventi.md:%zu) missing or out of order in:\n%s", cidr,
                     97 + i, out);
        cursor = at;
    }
    assert_non_null(strstr(out, "-d 10.0.0.64/27 -j SNAT --to 10.0.0.26"));
    strlist_clear(addrs);
    strlist_clear(dests);
    free(addrs);
    free(dests);
    free(out);
    free(err);
}

/* --commands reproduces the documented start-up commands line for line. */
static void test_commands_match_documents(void **state)
{
    static const struct {
        const char *address, *subnet, *file;
        long first, last;
    } cases[] = {
        { "3.0.1.0", "0", "commands/sequence", 10, 65 },   /* alfa */
        { "3.1.0.1", "0", "commands/sequence", 184, 239 }, /* delta */
        { "1.1.0.0", "1", "Eventi11.md", 83, 130 },         /* lambda, subnet gateway */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out, *err;
        assert_int_equal(run(&out, &err, "-t", "4.2.2.2", "-s", cases[i].subnet, "--commands"),
                         2); /* ADDRESS missing: usage error */
        free(out);
        free(err);
        char *argv[] = { (char *)qspnctl(), "ipcalc", "-t", "4.2.2.2", "-s",
                         (char *)cases[i].subnet, "--commands", (char *)cases[i].address, NULL };
        assert_int_equal(run_capture(argv, &out, &err), 0);
        char *body = out - 1; /* compared whole, the lo line included */
        char *doc = doc_commands(cases[i].file, cases[i].first, cases[i].last);
        if (strcmp(body + 1, doc) != 0)
            fail_msg("%s (%s:%ld-%ld):\n--- document\n%s--- qspnctl\n%s", cases[i].address,
                     cases[i].file, cases[i].first, cases[i].last, doc, body + 1);
        free(doc);
        free(out);
        free(err);
    }
}

static void test_json(void **state)
{
    char *out, *err;
    assert_int_equal(run(&out, &err, "--json", "-t", "4.2.2.2", "-V", "2.1.1.2"), 0);
    JsonParser *p = json_parser_new();
    GError *e = NULL;
    if (!json_parser_load_from_data(p, out, -1, &e))
        fail_msg("invalid JSON: %s\n%s", e->message, out);
    JsonObject *o = json_node_get_object(json_parser_get_root(p));
    assert_string_equal(json_object_get_string_member(o, "address"), "2.1.1.2");
    assert_false(json_object_get_boolean_member(o, "real"));
    /* beta1 while virtual at level 0 has no address at all (catalogue.md §1). */
    assert_int_equal(json_array_get_length(json_object_get_array_member(o, "addresses")), 0);
    /* sequence:436-458 lists 23 destinations for it */
    JsonArray *d = json_object_get_array_member(o, "destinations");
    assert_int_equal(json_array_get_length(d), 23);
    JsonObject *last = json_array_get_object_element(d, 22);
    assert_string_equal(json_object_get_string_member(last, "cidr"), "10.0.0.41/32");
    assert_int_equal(json_object_get_int_member(last, "level"), 1);
    assert_true(json_object_get_null_member(o, "snat"));
    g_object_unref(p);
    free(out);
    free(err);
}

/* Bad input: exit status 2, one line on stderr naming the problem, nothing on stdout. */
static void test_bad_input(void **state)
{
    static const struct {
        const char *a1, *a2, *a3, *a4, *needle;
    } bad[] = {
        { "--topology", "4.2.2.2", "3.0.1", NULL, "3 positions" },
        { "--topology", "4.2.2.2", "3.0.2.0", NULL, "out of range" },
        { "--topology", "4.2.2.2", "3.0.x.0", NULL, "malformed" },
        { "--topology", "4.2.2.3", "3.0.1.0", NULL, "power of two" },
        { "--topology", "2.2.2.2", "1.0.1.0", NULL, "top level" },
        { "--topology", "4.256.256.256", "1.0.1.0", NULL, "22 bits" },
        { "3.0.1.0", NULL, NULL, NULL, "--topology is required" },
        { "--topology", "4.2.2.2", NULL, NULL, "ADDRESS" },
        { "--bogus", "-t", "4.2.2.2", "3.0.1.0", "unknown" },
        { "-s", "4", "-t", "4.2.2.2", "subnet level 4 out of range" },
        { "-s", "x", "-t", "4.2.2.2", "bad subnet level" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out, *err;
        const char *addr = NULL;
        /* the subnet cases need an address after the options */
        if (!strncmp(bad[i].needle, "subnet", 6) || !strncmp(bad[i].needle, "bad subnet", 10))
            addr = "1.1.0.0";
        int rc = run(&out, &err, bad[i].a1, bad[i].a2, bad[i].a3, bad[i].a4, addr);
        if (rc != 2 || !strstr(err, bad[i].needle) || strchr(err, '\n') != err + strlen(err) - 1 ||
            *out)
            fail_msg("case %zu: rc=%d stdout='%s' stderr='%s' (want 2, one line with '%s')", i,
                     rc, out, err, bad[i].needle);
        free(out);
        free(err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alfa_exact_form),
        cmocka_unit_test(test_commands_match_documents),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
