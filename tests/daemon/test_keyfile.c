/* test_keyfile.c - --key-file (docs/daemon.md): the key is the whole file,
 * 16..1024 raw bytes, in a regular file of the effective user that group and
 * others cannot access; every refusal is one line naming the file, and the
 * command line is refused before anything happens (exit 2). */
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

#include "keyfile.h"
#include "options.h"

typedef struct {
    gchar *dir;
    gchar *path;
} fixture;

static int setup(void **state)
{
    fixture *f = g_new0(fixture, 1);
    f->dir = g_dir_make_tmp("qspn-keyfile-XXXXXX", NULL);
    assert_non_null(f->dir);
    f->path = g_build_filename(f->dir, "key", NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    g_autofree gchar *link = g_build_filename(f->dir, "link", NULL);
    g_unlink(link);
    g_chmod(f->path, 0600);
    g_unlink(f->path);
    g_rmdir(f->path);                  /* the directory case */
    g_rmdir(f->dir);
    g_free(f->path);
    g_free(f->dir);
    g_free(f);
    return 0;
}

/* n bytes 0, 1, 2, ... (a NUL and a newline included: the key is raw) */
static void write_key(const fixture *f, size_t n, mode_t mode)
{
    guint8 buf[2048];
    for (size_t i = 0; i < n; i++)
        buf[i] = (guint8)i;
    g_unlink(f->path);
    assert_true(g_file_set_contents(f->path, (const gchar *)buf, (gssize)n, NULL));
    assert_int_equal(g_chmod(f->path, mode), 0);
}

static void accepted(void **state)
{
    fixture *f = *state;
    nauth_key k;
    char err[512];
    size_t sizes[] = { NAUTH_KEY_MIN, 32, NAUTH_KEY_MAX };
    for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
        write_key(f, sizes[i], i == 1 ? 0400 : 0600);
        memset(&k, 0, sizeof k);
        assert_true(qspnd_key_file_load(f->path, &k, err, sizeof err));
        assert_int_equal(k.len, sizes[i]);
        assert_int_equal(k.bytes[10], 10);
        assert_int_equal(k.bytes[sizes[i] - 1], (uint8_t)(sizes[i] - 1));
    }
}

static void refused_expect(const fixture *f, const char *path, const char *want)
{
    nauth_key k;
    char err[512] = "";
    assert_false(qspnd_key_file_load(path, &k, err, sizeof err));
    if (!strstr(err, want) || !strstr(err, path))
        fail_msg("error '%s' should name %s and say '%s'", err, path, want);
    assert_null(strchr(err, '\n'));
}

static void refused(void **state)
{
    fixture *f = *state;
    refused_expect(f, f->path, "No such file");                      /* missing */
    write_key(f, NAUTH_KEY_MIN - 1, 0600);
    refused_expect(f, f->path, "has 15 bytes");                      /* too short */
    write_key(f, 0, 0600);
    refused_expect(f, f->path, "has 0 bytes");
    write_key(f, NAUTH_KEY_MAX + 1, 0600);
    refused_expect(f, f->path, "more than 1024 bytes");              /* too long */
    write_key(f, 32, 0640);
    refused_expect(f, f->path, "mode 0640");                         /* group can read */
    write_key(f, 32, 0604);
    refused_expect(f, f->path, "mode 0604");                         /* others can read */
    write_key(f, 32, 0620);
    refused_expect(f, f->path, "mode 0620");                         /* group can write */
    write_key(f, 32, 0600);
    g_autofree gchar *link = g_build_filename(f->dir, "link", NULL);
    assert_int_equal(symlink(f->path, link), 0);
    refused_expect(f, link, "symbolic links");                       /* not followed */
    if (geteuid() != 0) {                                            /* root reads anything */
        write_key(f, 32, 0200);
        refused_expect(f, f->path, "Permission denied");             /* unreadable */
    }
    g_unlink(f->path);
    assert_int_equal(g_mkdir(f->path, 0700), 0);
    refused_expect(f, f->path, "not a regular file");
}

static int parse(const char *extra, qspnd_options *o, char *err, size_t errlen)
{
    g_autofree gchar *cmd = g_strdup_printf("qspnd -t 4.2.2.2 -a 3.0.1.0 -i eth1 -c /tmp/x %s", extra);
    gchar **argv = NULL;
    g_assert(g_shell_parse_argv(cmd, NULL, &argv, NULL));
    int rc = qspnd_options_parse((int)g_strv_length(argv), argv, o, err, errlen);
    g_strfreev(argv);
    return rc;
}

static void option(void **state)
{
    fixture *f = *state;
    qspnd_options o;
    char err[512];
    assert_int_equal(parse("", &o, err, sizeof err), 0);
    assert_null(o.key);                                              /* no key: as before */
    qspnd_options_clear(&o);
    write_key(f, 32, 0600);
    g_autofree gchar *opt = g_strdup_printf("--key-file %s", f->path);
    assert_int_equal(parse(opt, &o, err, sizeof err), 0);
    assert_non_null(o.key);
    assert_int_equal(o.key->len, 32);
    qspnd_options_clear(&o);
    assert_null(o.key);
    write_key(f, 32, 0644);
    assert_int_equal(parse(opt, &o, err, sizeof err), -1);
    assert_non_null(strstr(err, "mode 0644"));
    assert_null(o.key);
    qspnd_options_clear(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(accepted, setup, teardown),
        cmocka_unit_test_setup_teardown(refused, setup, teardown),
        cmocka_unit_test_setup_teardown(option, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
