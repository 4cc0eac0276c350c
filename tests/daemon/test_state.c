/* test_state.c - the state file: records of a start-up plan, bounded parsing
 * (malformed lines skipped and counted), the leftover sweep plan through the
 * recording kernel fake, atomic writing and bounded reading. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel.h"
#include "options.h"
#include "plan.h"
#include "runtime.h"
#include "state.h"

#define RT "/etc/iproute2/rt_tables"

static qspnd_config alfa(void)
{
    qspnd_options o;
    char err[256];
    gchar *argv[] = { "qspnd", "-t", "4.2.2.2", "-a", "3.0.1.0", "-i", "eth1", "-k",
                      "--linklocal", "eth1=169.254.69.30", "-c", "/nonexistent", NULL };
    assert_int_equal(qspnd_options_parse(12, argv, &o, err, sizeof err), 0);
    qspnd_config c = o.cfg;
    qspnd_options_clear(&o);
    return c;
}

static char *text_of(const GArray *recs)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < recs->len; i++)
        state_record_format(&g_array_index(recs, state_record, i), s);
    return g_string_free(s, FALSE);
}

static void test_records_from_plan(void **state)
{
    qspnd_config c = alfa();
    GArray *plan = plan_startup(&c);
    GArray *recs = state_records_from_plan((const kop *)plan->data, plan->len);
    char *t = text_of(recs);
    assert_string_equal(t, "addr lo 10.0.0.32/32\n"
                           "addr eth1 169.254.69.30/32\n"
                           "rt_tables 251 ntk\n"
                           "rule 251 0\n"
                           "addr eth1 10.0.0.26/32\n"
                           "addr eth1 10.0.0.90/32\n"
                           "addr eth1 10.0.0.58/32\n"
                           "addr eth1 10.0.0.50/32\n"
                           "addr eth1 10.0.0.40/32\n");
    g_free(t);
    g_array_free(recs, TRUE);
    g_array_free(plan, TRUE);
}

static void round_trip(const char *line)
{
    state_record r;
    char err[128];
    if (!state_record_parse(line, strlen(line), &r, err, sizeof err))
        fail_msg("rejected '%s': %s", line, err);
    GString *s = g_string_new(NULL);
    state_record_format(&r, s);
    gchar *want = g_strconcat(line, "\n", NULL);
    assert_string_equal(s->str, want);
    g_free(want);
    g_string_free(s, TRUE);
}

static void rejected(const char *line, size_t len)
{
    state_record r;
    char err[128] = "";
    if (state_record_parse(line, len, &r, err, sizeof err))
        fail_msg("accepted '%s'", line);
    assert_true(strlen(err) > 0);
}

static void test_record_bounds(void **state)
{
    round_trip("addr eth1 10.0.0.26/32");
    round_trip("addr lo 10.0.0.32/32");
    round_trip("addr eth1.100 169.254.69.30/16");
    round_trip("rule 251 0");
    round_trip("rule 248 248");
    round_trip("rule 1 4294967295");
    round_trip("rt_tables 251 ntk");
    round_trip("rt_tables 250 ntk_from_00:16:3E:5B:78:D5");
    round_trip("link - ntkv0_eth1");
    round_trip("link ntkv0 ntkv0_eth1");
    round_trip("netns ntkv0");
    round_trip("netns qt-1.a_b");

    const char *bad[] = {
        "", "addr", "addr eth1", "addr eth1 10.0.0.26/32 x", "addr  eth1 10.0.0.26/32",
        "addr eth1 10.0.0.26/32 ", " addr eth1 10.0.0.26/32", "addr eth1\t10.0.0.26/32",
        "addr ../x 10.0.0.1/32", "addr a/b 10.0.0.1/32", "addr eth1:0 10.0.0.1/32",
        "addr abcdefghijklmnop 10.0.0.1/32", "addr eth1 10.0.0.26", "addr eth1 10.0.0.256/32",
        "addr eth1 10.0.0.1/33", "addr eth1 nonsense", "addr . 10.0.0.1/32",
        "rule 0 0", "rule 253 0", "rule 254 0", "rule 255 0", "rule 256 0", "rule 0251 0",
        "rule 251 4294967296", "rule 251 -1", "rule 251 +1", "rule 251", "rule x 0",
        "rt_tables 254 main", "rt_tables 251", "rt_tables 251 a/b", "rt_tables 251 a#b",
        "rt_tables 251 ..", "link", "link - ", "link ../x eth1", "link - ../x", "link a/b eth1",
        "netns", "netns ..", "netns .", "netns a/b", "netns a b", "netns ../../etc",
        "netns aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "route 10.0.0.0/8", "rm -rf /", "ADDR eth1 10.0.0.26/32", "addr\r eth1 10.0.0.1/32",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        rejected(bad[i], strlen(bad[i]));
    rejected("netns a\0b", 9);
    gchar *lng = g_strnfill(STATE_LINE_MAX + 1, 'a');
    memcpy(lng, "netns ", 6);
    rejected(lng, strlen(lng));
    g_free(lng);
}

static void test_parse_text(void **state)
{
    const char *text = "# comment\n"
                       "addr lo 10.0.0.32/32\n"
                       "\n"
                       "bogus line\n"
                       "rule 254 0\n"
                       "netns ntkv0\n"
                       "rt_tables 251 ntk";          /* no final newline */
    guint bad = 0;
    GString *warn = g_string_new(NULL);
    GArray *recs = state_parse(text, strlen(text), &bad, warn);
    assert_int_equal(recs->len, 3);
    assert_int_equal(bad, 2);
    assert_non_null(strstr(warn->str, "line 4 skipped: unknown record kind"));
    assert_non_null(strstr(warn->str, "line 5 skipped: bad rule record"));
    char *t = text_of(recs);
    assert_string_equal(t, "addr lo 10.0.0.32/32\nnetns ntkv0\nrt_tables 251 ntk\n");
    g_free(t);
    g_array_free(recs, TRUE);

    /* many bad lines: counted, at most 20 described */
    GString *many = g_string_new(NULL);
    for (int i = 0; i < 100; i++)
        g_string_append(many, "x\n");
    g_string_truncate(warn, 0);
    recs = state_parse(many->str, many->len, &bad, warn);
    assert_int_equal(recs->len, 0);
    assert_int_equal(bad, 100);
    guint nl = 0;
    for (const char *p = warn->str; *p; p++)
        nl += *p == '\n';
    assert_int_equal(nl, 20);
    g_array_free(recs, TRUE);

    /* at most STATE_RECORDS_MAX records, at most STATE_FILE_MAX bytes */
    g_string_truncate(many, 0);
    for (int i = 0; i <= STATE_RECORDS_MAX; i++)
        g_string_append(many, "netns x\n");
    recs = state_parse(many->str, many->len, &bad, NULL);
    assert_int_equal(recs->len, STATE_RECORDS_MAX);
    assert_int_equal(bad, 1);
    g_array_free(recs, TRUE);
    g_string_truncate(many, 0);
    while (many->len <= STATE_FILE_MAX)
        g_string_append(many, "# padding padding padding padding padding padding padding\n");
    g_string_append(many, "netns beyond\n");
    recs = state_parse(many->str, many->len, &bad, NULL);
    assert_int_equal(recs->len, 0);
    assert_int_equal(bad, 1);
    g_array_free(recs, TRUE);
    g_string_free(many, TRUE);
    g_string_free(warn, TRUE);
}

static GPtrArray *run(GArray *plan)
{
    kernel *k = kernel_fake_new(RT);
    char err[128];
    assert_int_equal(kernel_apply(k, (const kop *)plan->data, plan->len, NULL, err, sizeof err), 0);
    size_t n;
    const char *const *l = kernel_fake_lines(k, &n);
    GPtrArray *got = g_ptr_array_new_with_free_func(g_free);
    for (size_t i = 0; i < n; i++)
        g_ptr_array_add(got, g_strdup(l[i]));
    kernel_free(k);
    return got;
}

static void test_sweep_plan(void **state)
{
    const char *text = "addr eth1 10.0.0.26/32\n"
                       "netns qt-own\n"
                       "rt_tables 251 ntk\n"
                       "link ntkv0 ntkv0_eth1\n"
                       "netns ntkv0\n"
                       "rule 251 0\n"
                       "link - macv0\n"
                       "rule 250 250\n"
                       "addr lo 10.0.0.32/32\n";
    guint bad = 0;
    GArray *recs = state_parse(text, strlen(text), &bad, NULL);
    assert_int_equal(bad, 0);
    GArray *plan = state_sweep_plan(recs, "qt-own");
    for (guint i = 0; i < plan->len; i++)
        assert_true(g_array_index(plan, kop, i).tolerant);
    GPtrArray *got = run(plan);
    const char *want[] = {
        "ip rule del table 251",
        "ip rule del fwmark 250 table 250",
        "# sweep leftovers: routes of proto 15 in every table, nft table ip qspnd",
        "ip address del 10.0.0.26/32 dev eth1",
        "ip address del 10.0.0.32/32 dev lo",
        "ip -n ntkv0 link del dev ntkv0_eth1",
        "ip link del dev macv0",
        "ip netns del ntkv0",                   /* never the own namespace qt-own */
        "sed -i '/xxx_table_ntk_xxx/d' " RT,
    };
    assert_int_equal(got->len, G_N_ELEMENTS(want));
    for (guint i = 0; i < got->len; i++)
        assert_string_equal(g_ptr_array_index(got, i), want[i]);
    assert_int_equal(g_array_index(plan, kop, 8).table, 251);    /* exact line: 251 ntk */
    g_ptr_array_free(got, TRUE);
    g_array_free(plan, TRUE);
    g_array_free(recs, TRUE);

    /* no state file: only what is self-evidently qspnd's */
    plan = state_sweep_plan(NULL, NULL);
    got = run(plan);
    assert_int_equal(got->len, 1);
    assert_true(g_str_has_prefix(g_ptr_array_index(got, 0), "# sweep leftovers"));
    g_ptr_array_free(got, TRUE);
    g_array_free(plan, TRUE);
}

static void test_file(void **state)
{
    gchar *dir = g_dir_make_tmp("qt-state-XXXXXX", NULL);
    gchar *path = g_build_filename(dir, "qspnd.state", NULL);
    guint bad = 7;
    GError *ge = NULL;
    assert_null(state_file_read(path, &bad, NULL, &ge));
    assert_null(ge);
    assert_int_equal(bad, 0);

    const char *text = "addr eth1 10.0.0.26/32\nnetns ntkv0\n";
    GArray *recs = state_parse(text, strlen(text), &bad, NULL);
    assert_true(state_file_write(path, recs, &ge));
    struct stat st;
    assert_int_equal(g_stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    gchar *got = NULL;
    assert_true(g_file_get_contents(path, &got, NULL, NULL));
    assert_true(g_str_has_prefix(got, "# qspnd state"));
    assert_non_null(strstr(got, "\naddr eth1 10.0.0.26/32\nnetns ntkv0\n"));
    g_free(got);
    GArray *back = state_file_read(path, &bad, NULL, &ge);
    assert_non_null(back);
    assert_int_equal(back->len, 2);
    assert_int_equal(bad, 0);
    g_array_free(back, TRUE);

    /* a huge file: only the first STATE_FILE_MAX bytes are read */
    GString *big = g_string_new(NULL);
    while (big->len <= STATE_FILE_MAX + 100)
        g_string_append(big, "netns xxxxxxxxxxxxxxxxxxxxxxxxx\n");     /* 32 bytes */
    assert_true(g_file_set_contents(path, big->str, (gssize)big->len, NULL));
    back = state_file_read(path, &bad, NULL, &ge);
    assert_int_equal(back->len, STATE_FILE_MAX / 32);
    assert_int_equal(bad, 1);
    g_array_free(back, TRUE);
    g_string_free(big, TRUE);

    g_array_free(recs, TRUE);
    g_unlink(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
}

/* The write-ahead API for objects created at run time. */
static void test_record_forget(void **state)
{
    gchar *dir = g_dir_make_tmp("qt-state-XXXXXX", NULL);
    qspnd d;
    memset(&d, 0, sizeof d);
    d.state_path = g_build_filename(dir, "qspnd.state", NULL);
    state_record a, b;
    char err[64];
    assert_true(state_record_parse("netns ntkv0", 11, &a, err, sizeof err));
    assert_true(state_record_parse("link ntkv0 ntkv0_eth1", 21, &b, err, sizeof err));
    GError *ge = NULL;
    assert_true(qspnd_state_record(&d, &a, &ge));
    assert_true(qspnd_state_record(&d, &b, &ge));
    guint bad;
    GArray *got = state_file_read(d.state_path, &bad, NULL, &ge);
    char *t = text_of(got);
    assert_string_equal(t, "netns ntkv0\nlink ntkv0 ntkv0_eth1\n");
    g_free(t);
    g_array_free(got, TRUE);
    assert_true(qspnd_state_forget(&d, &a, &ge));
    assert_true(qspnd_state_forget(&d, &a, &ge));          /* already gone: fine */
    got = state_file_read(d.state_path, &bad, NULL, &ge);
    t = text_of(got);
    assert_string_equal(t, "link ntkv0 ntkv0_eth1\n");
    g_free(t);
    g_array_free(got, TRUE);
    /* the file cannot be written: the record is not kept either */
    g_free(d.state_path);
    d.state_path = g_build_filename(dir, "no", "such", "dir", NULL);
    assert_false(qspnd_state_record(&d, &a, &ge));
    assert_non_null(ge);
    g_clear_error(&ge);
    assert_int_equal(d.state->len, 1);
    g_array_free(d.state, TRUE);
    gchar *f = g_build_filename(dir, "qspnd.state", NULL);
    g_unlink(f);
    g_free(f);
    g_rmdir(dir);
    g_free(d.state_path);
    g_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_from_plan),
        cmocka_unit_test(test_record_bounds),
        cmocka_unit_test(test_parse_text),
        cmocka_unit_test(test_sweep_plan),
        cmocka_unit_test(test_file),
        cmocka_unit_test(test_record_forget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
