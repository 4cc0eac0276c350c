/* test_config.c - qspnd --config FILE (docs/daemon.md, "Configuration file"):
 * one key per long option of --help and no other, the command line overriding
 * the file option by option (a list as a whole), lists, and every refusal one
 * line naming the file, the group and the key; the file's type and mode;
 * qspnd itself exits 2 on a bad file before creating anything.
 * usage: test_daemon_config QSPND EXAMPLE_CONF (contrib/qspnd.conf.example) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "options.h"

static const char *qspnd_path, *example_path;

typedef struct {
    gchar *dir, *path;
} fixture;

static int setup(void **state)
{
    fixture *f = g_new0(fixture, 1);
    f->dir = g_dir_make_tmp("qspn-config-XXXXXX", NULL);
    assert_non_null(f->dir);
    f->path = g_build_filename(f->dir, "qspnd.conf", NULL);
    *state = f;
    return 0;
}

static void rm_rf(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d))) {
        g_autofree gchar *p = g_build_filename(dir, n, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
            rm_rf(p);
        else
            g_unlink(p);
    }
    if (d)
        g_dir_close(d);
    g_rmdir(dir);
}

static int teardown(void **state)
{
    fixture *f = *state;
    rm_rf(f->dir);
    g_free(f->path);
    g_free(f->dir);
    g_free(f);
    return 0;
}

static void write_conf(const fixture *f, const char *text, mode_t mode)
{
    g_unlink(f->path);
    assert_true(g_file_set_contents(f->path, text, -1, NULL));
    assert_int_equal(g_chmod(f->path, mode), 0);
}

/* qspnd_options_parse of "qspnd --config PATH extra..." */
static int parse(const fixture *f, qspnd_options *o, char *err, size_t errlen, const char *extra)
{
    g_autofree gchar *cmd = g_strdup_printf("qspnd --config %s %s", f->path, extra ? extra : "");
    gchar **argv = NULL;
    assert_true(g_shell_parse_argv(cmd, NULL, &argv, NULL));
    err[0] = 0;
    int rc = qspnd_options_parse((int)g_strv_length(argv), argv, o, err, errlen);
    g_strfreev(argv);
    return rc;
}

static const char base[] = "# a system\n[qspnd]\ntopology = 4.2.2.2\naddress = 3.0.1.0\n"
                           "interface = eth1;eth2\ncontrol-dir = /run/qspnd/alfa\n";

/* Every long option of `qspnd --help` is a key of the table, and every key
 * an option of --help (--help itself and --config are command line only). */
static void test_help_and_keys(void **state)
{
    (void)state;
    gchar *out = NULL;
    gchar *argv[] = { (gchar *)qspnd_path, (gchar *)"--help", NULL };
    gint status = 0;
    assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
                             &status, NULL));
    GHashTable *help = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GRegex *re = g_regex_new("^  (?:-[a-z], )?--([a-z][a-z-]+)", G_REGEX_MULTILINE, 0, NULL);
    GMatchInfo *m = NULL;
    for (g_regex_match(re, out, 0, &m); g_match_info_matches(m); g_match_info_next(m, NULL))
        g_hash_table_add(help, g_match_info_fetch(m, 1));
    g_match_info_free(m);
    g_regex_unref(re);
    size_t n = 0;
    const qspnd_option_def *defs = qspnd_option_defs(&n);
    assert_int_equal(n, QSPND_OPT_COUNT);
    for (size_t i = 0; i < n; i++) {
        if (!g_hash_table_remove(help, defs[i].key))
            fail_msg("key %s is not an option of qspnd --help", defs[i].key);
    }
    assert_true(g_hash_table_remove(help, "help"));
    assert_true(g_hash_table_remove(help, "config"));
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, help);
    while (g_hash_table_iter_next(&it, &k, NULL))
        fail_msg("option --%s of qspnd --help has no key in the configuration file", (char *)k);
    assert_true(n >= 18);                   /* the help was really parsed */
    g_hash_table_destroy(help);
    g_free(out);
}

static void test_file_alone(void **state)
{
    fixture *f = *state;
    qspnd_options o;
    char err[512];
    g_autofree gchar *t = g_strconcat(base, "serve-anonymous = true\nno-anonymize = false\n"
                                      "hello-interval = 300\ndead-interval = 2000\nnetns = alfa\n"
                                      "linklocal = eth2=169.254.3.4\nsubnet-level = 1\n", NULL);
    write_conf(f, t, 0644);               /* readable by others is fine: not a secret */
    assert_int_equal(parse(f, &o, err, sizeof err, NULL), 0);
    assert_int_equal(o.cfg.topo.levels, 4);
    assert_int_equal(o.cfg.addr.pos[3], 3);
    assert_int_equal(o.cfg.n_nics, 2);
    assert_string_equal(o.cfg.nics[0].dev, "eth1");       /* order kept */
    assert_string_equal(o.cfg.nics[1].dev, "eth2");
    assert_int_equal(o.cfg.nics[1].linklocal, 0xa9fe0304u);
    assert_true(o.cfg.serve_anonymous);
    assert_true(o.cfg.anonymize);
    assert_int_equal(o.cfg.subnet_level, 1);
    assert_int_equal(o.hello_ms, 300);
    assert_int_equal(o.dead_ms, 2000);
    assert_int_equal(o.arc_timeout_ms, QSPND_ARC_TIMEOUT_MS_DEFAULT);   /* not given: default */
    assert_string_equal(o.control_dir, "/run/qspnd/alfa");
    assert_string_equal(o.netns, "alfa");
    assert_string_equal(o.identity_ns_prefix, "alfa-");
    assert_string_equal(o.rt_tables, "/etc/iproute2/rt_tables");
    qspnd_options_clear(&o);
}

/* The command line wins, option by option; a list as a whole. */
static void test_precedence(void **state)
{
    fixture *f = *state;
    qspnd_options o;
    char err[512];
    g_autofree gchar *t = g_strconcat(base, "hello-interval = 300\nverbose = false\n", NULL);
    write_conf(f, t, 0600);
    assert_int_equal(parse(f, &o, err, sizeof err,
                           "-a 1.1.0.1 --hello-interval 400 -i eth9 -i eth8 -v -c /tmp/other"), 0);
    assert_int_equal(o.cfg.addr.pos[3], 1);
    assert_int_equal(o.cfg.addr.pos[0], 1);
    assert_int_equal(o.hello_ms, 400);
    assert_int_equal(o.cfg.n_nics, 2);
    assert_string_equal(o.cfg.nics[0].dev, "eth9");
    assert_string_equal(o.cfg.nics[1].dev, "eth8");
    assert_true(o.verbose);
    assert_string_equal(o.control_dir, "/tmp/other");
    assert_int_equal(o.cfg.topo.levels, 4);                /* from the file */
    qspnd_options_clear(&o);
    /* a bad value overridden on the command line is still refused: the file is checked whole */
    t = (g_free(t), g_strconcat(base, "hello-interval = abc\n", NULL));
    write_conf(f, t, 0600);
    assert_int_equal(parse(f, &o, err, sizeof err, "--hello-interval 400"), -1);
    assert_non_null(strstr(err, "hello-interval"));
}

/* One refusal: err names the file, [qspnd] and the key (and says why). */
static void refused(const fixture *f, const char *text, const char *want1, const char *want2)
{
    qspnd_options o;
    char err[512];
    write_conf(f, text, 0600);
    assert_int_equal(parse(f, &o, err, sizeof err, NULL), -1);
    if (!strstr(err, f->path) || !strstr(err, want1) || (want2 && !strstr(err, want2)))
        fail_msg("for\n%s\nerror '%s' lacks the file, '%s' or '%s'", text, err, want1, want2 ? want2 : "");
    assert_null(strchr(err, '\n'));
}

static void test_bad_values(void **state)
{
    fixture *f = *state;
    static const struct { const char *line, *want1, *want2; } cases[] = {
        { "hello-interval = abc", "[qspnd] hello-interval", "not an integer" },
        { "hello-interval = 5", "[qspnd] hello-interval 5", "10..10000" },
        { "dead-interval = 100", "[qspnd] dead-interval 100", "hello < dead" },
        { "arc-timeout = 999999", "[qspnd] arc-timeout 999999", "1000..120000" },
        { "subnet-level = 99999999999", "[qspnd] subnet-level", "not an integer" },
        { "subnet-level = 7", "[qspnd] subnet-level", "out of range" },
        { "max-destinations = 0", "[qspnd] max-destinations", "1..16777216" },
        { "max-destinations = 10", "[qspnd] max-destinations", "more than" },
        { "verbose = yes", "[qspnd] verbose", "true or false" },
        { "serve-anonymous = 1 2", "[qspnd] serve-anonymous", "true or false" },
        { "netns = a/b", "[qspnd] netns", "bad" },
        { "identity-ns-prefix = x/y", "[qspnd] identity-ns-prefix", "bad" },
        { "linklocal = eth7=169.254.1.1", "[qspnd] linklocal", "not managed" },
        { "linklocal = eth1=10.0.0.1", "[qspnd] linklocal", "169.254" },
        { "key-file = /nonexistent/key", "[qspnd] key-file", "No such file" },
        { "unknown = 1", "[qspnd] unknown", "unknown key" },
        { "config = /etc/other.conf", "[qspnd] config", "unknown key" },
        { "topology[it] = 4.2.2.2", "topology[it]", "localized" },
        { "topology = 4.2.2.2", "[qspnd] topology", "twice" },
        { "[other]\nx = 1", "[other]", "unknown group" },
        { "not a key value pair", "not a key-value pair", NULL },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree gchar *t = g_strconcat(base, cases[i].line, "\n", NULL);
        refused(f, t, cases[i].want1, cases[i].want2);
    }
    /* the topology itself, and a list with a duplicate, from the file */
    refused(f, "[qspnd]\ntopology = 4.3\naddress = 0.0\ninterface = e\ncontrol-dir = /x\n",
            "[qspnd] topology", NULL);
    refused(f, "[qspnd]\ntopology = 4.2.2.2\naddress = 3.0.1.0\ninterface = e1;e1\ncontrol-dir = /x\n",
            "[qspnd] interface", "twice");
}

static void test_required_and_empty_list(void **state)
{
    fixture *f = *state;
    qspnd_options o;
    char err[512];
    write_conf(f, "[qspnd]\ntopology = 4.2.2.2\naddress = 3.0.1.0\ninterface =\ncontrol-dir = /x\n", 0600);
    assert_int_equal(parse(f, &o, err, sizeof err, NULL), -1);
    assert_non_null(strstr(err, "required (on the command line or in the configuration file)"));
    write_conf(f, "", 0600);               /* an empty file gives nothing */
    assert_int_equal(parse(f, &o, err, sizeof err, "-t 4.2.2.2 -a 3.0.1.0 -i e -c /x"), 0);
    assert_int_equal(o.cfg.n_nics, 1);
    qspnd_options_clear(&o);
}

static void test_file_checks(void **state)
{
    fixture *f = *state;
    qspnd_options o;
    char err[512];
    write_conf(f, base, 0664);
    assert_int_equal(parse(f, &o, err, sizeof err, NULL), -1);
    assert_non_null(strstr(err, "mode 0664"));
    assert_non_null(strstr(err, "chmod go-w"));
    write_conf(f, base, 0602);
    assert_int_equal(parse(f, &o, err, sizeof err, NULL), -1);
    assert_non_null(strstr(err, "mode 0602"));
    /* a symbolic link is not followed, a directory or a FIFO is not a regular file */
    g_autofree gchar *real = g_build_filename(f->dir, "real.conf", NULL);
    write_conf(f, base, 0600);
    assert_int_equal(g_rename(f->path, real), 0);
    assert_int_equal(symlink(real, f->path), 0);
    assert_int_equal(parse(f, &o, err, sizeof err, NULL), -1);
    assert_non_null(strstr(err, f->path));
    g_unlink(f->path);
    assert_int_equal(g_mkdir(f->path, 0700), 0);
    assert_int_equal(parse(f, &o, err, sizeof err, NULL), -1);
    assert_non_null(strstr(err, "not a regular file"));
    g_rmdir(f->path);
    assert_int_equal(mkfifo(f->path, 0600), 0);
    assert_int_equal(parse(f, &o, err, sizeof err, NULL), -1);   /* and does not hang */
    assert_non_null(strstr(err, "not a regular file"));
    g_unlink(f->path);
    assert_int_equal(parse(f, &o, err, sizeof err, NULL), -1);
    assert_non_null(strstr(err, "No such file"));
    /* too large: more than QSPND_CONFIG_MAX_BYTES */
    GString *big = g_string_new(base);
    while (big->len <= QSPND_CONFIG_MAX_BYTES)
        g_string_append(big, "# padding padding padding padding padding padding padding\n");
    write_conf(f, big->str, 0600);
    g_string_free(big, TRUE);
    assert_int_equal(parse(f, &o, err, sizeof err, NULL), -1);
    assert_non_null(strstr(err, "larger than"));
}

/* The program: exit 2, one line on stderr naming file, group and key, and
 * nothing created (the control directory of the file is not made). */
static void test_qspnd_exit_status(void **state)
{
    fixture *f = *state;
    g_autofree gchar *ctl = g_build_filename(f->dir, "ctl", NULL);
    g_autofree gchar *t = g_strdup_printf("[qspnd]\ntopology = 4.2.2.2\naddress = 3.0.1.0\n"
                                          "interface = eth1\ncontrol-dir = %s\narc-timeout = 5\n", ctl);
    write_conf(f, t, 0600);
    gchar *argv[] = { (gchar *)qspnd_path, (gchar *)"--config", f->path, NULL };
    gchar *out = NULL, *errout = NULL;
    gint status = 0;
    assert_true(g_spawn_sync(NULL, argv, NULL, 0, NULL, NULL, &out, &errout, &status, NULL));
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 2);
    assert_string_equal(out, "");
    g_autofree gchar *want = g_strdup_printf("qspnd: bad %s [qspnd] arc-timeout 5", f->path);
    assert_true(g_str_has_prefix(errout, want));
    assert_int_equal(strchr(errout, '\n') - errout, (long)strlen(errout) - 1);    /* one line */
    assert_false(g_file_test(ctl, G_FILE_TEST_EXISTS));
    g_free(out);
    g_free(errout);
}

/* contrib/qspnd.conf.example: accepted as it is (with a control directory on
 * the command line, as the systemd unit gives it), and it mentions every key. */
static void test_example(void **state)
{
    fixture *f = *state;
    qspnd_options o;
    char err[512];
    gchar *text = NULL;
    assert_true(g_file_get_contents(example_path, &text, NULL, NULL));
    write_conf(f, text, 0644);
    assert_int_equal(parse(f, &o, err, sizeof err, "--control-dir /run/qspnd/alfa"), 0);
    assert_int_equal(o.cfg.n_nics, 1);
    assert_true(o.cfg.serve_anonymous);
    qspnd_options_clear(&o);
    size_t n = 0;
    const qspnd_option_def *defs = qspnd_option_defs(&n);
    for (size_t i = 0; i < n; i++) {
        g_autofree gchar *set = g_strdup_printf("\n%s = ", defs[i].key);
        g_autofree gchar *commented = g_strdup_printf("\n#%s = ", defs[i].key);
        if (!strstr(text, set) && !strstr(text, commented))
            fail_msg("%s does not show the key %s", example_path, defs[i].key);
    }
    g_free(text);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s QSPND EXAMPLE_CONF\n", argv[0]);
        return 2;
    }
    qspnd_path = argv[1];
    example_path = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_and_keys),
        cmocka_unit_test_setup_teardown(test_file_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_required_and_empty_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_qspnd_exit_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_example, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
