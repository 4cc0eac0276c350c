/* graph_cmd.c - `qspnctl graph [--svg FILE] [LOCAL_ID]`: asks the daemon for
 * `show_qspn_data LOCAL_ID --json` (LOCAL_ID: the main identity, found with
 * `show_local_identities --json`, when not given), prints DOT (graph.c) or
 * writes SVG with graphviz's dot, run here (never by the daemon) with an
 * argument vector, no shell. */
#include "graph.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "control_client.h"

#if GLIB_CHECK_VERSION(2, 70, 0)
#define CHECK_STATUS g_spawn_check_wait_status
#else
#define CHECK_STATUS g_spawn_check_exit_status
#endif

#define GRAPH_USAGE "qspnctl graph [--svg FILE] [LOCAL_ID]"

void qspnctl_graph_usage(FILE *out)
{
    fprintf(out, "usage: " GRAPH_USAGE "\n");
}

/* Exit status of qspnctl for a status of the control client. */
static int exit_of(control_client_status st)
{
    switch (st) {
    case CONTROL_CLIENT_OK:
        return 0;
    case CONTROL_CLIENT_ERROR:
        return 1;
    case CONTROL_CLIENT_USAGE:
        return 2;
    case CONTROL_CLIENT_NOANSWER:
        break;
    }
    return 3;
}

static int ask(const char *dir, double timeout, int argc, char **argv, GString *body)
{
    GString *reason = g_string_new(NULL);
    control_client_status st = control_client_call(dir, argc, argv, timeout, body, reason);
    if (st != CONTROL_CLIENT_OK)
        fprintf(stderr, "qspnctl: %s: %s\n", argv[0], reason->len ? reason->str : "failed");
    g_string_free(reason, TRUE);
    return exit_of(st);
}

/* DOT of identity `id` (NULL: the main identity) into dot; an exit status. */
static int fetch_dot(const char *dir, double timeout, const char *id, GString *dot)
{
    GString *body = g_string_new(NULL), *err = g_string_new(NULL);
    char idx[16];
    int rc = 0;
    if (!id) {
        char *a[] = { "show_local_identities", "--json" };
        int main_id;
        rc = ask(dir, timeout, 2, a, body);
        if (rc == 0 && !qg_main_identity(body->str, &main_id, err)) {
            fprintf(stderr, "qspnctl: graph: show_local_identities: %s\n", err->str);
            rc = 1;
        }
        g_snprintf(idx, sizeof idx, "%d", rc == 0 ? main_id : 0);
        id = idx;
        g_string_truncate(body, 0);
    }
    if (rc == 0) {
        char *a[] = { "show_qspn_data", (char *)id, "--json" };
        rc = ask(dir, timeout, 3, a, body);
    }
    qg_view v;
    qg_view_init(&v);
    if (rc == 0 && !qg_view_from_json(body->str, &v, err)) {
        fprintf(stderr, "qspnctl: graph: show_qspn_data: %s\n", err->str);
        rc = 1;
    }
    if (rc == 0)
        qg_render_dot(&v, dot);
    qg_view_clear(&v);
    g_string_free(body, TRUE);
    g_string_free(err, TRUE);
    return rc;
}

/* dot -Tsvg -oFILE TMP.dot */
static int write_svg(const char *dot_prog, const char *file, const GString *dot)
{
    GError *e = NULL;
    gchar *tmp = NULL, *err_out = NULL;
    gint status = 0;
    int fd = g_file_open_tmp("qspnctl-graph-XXXXXX.dot", &tmp, &e);
    int rc = 1;
    if (fd < 0) {
        fprintf(stderr, "qspnctl: graph: temporary file: %s\n", e->message);
        g_error_free(e);
        return 1;
    }
    bool written = write(fd, dot->str, dot->len) == (ssize_t)dot->len;
    written = close(fd) == 0 && written;
    gchar *out_arg = g_strconcat("-o", file, NULL);   /* one word: FILE may start with '-' */
    char *argv[] = { (char *)dot_prog, "-Tsvg", out_arg, tmp, NULL };
    if (!written) {
        fprintf(stderr, "qspnctl: graph: cannot write %s: %s\n", tmp, g_strerror(errno));
    } else if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err_out, &status, &e)) {
        fprintf(stderr, "qspnctl: graph: cannot run %s: %s\n", dot_prog, e->message);
        g_error_free(e);
    } else if (!CHECK_STATUS(status, &e)) {
        fprintf(stderr, "qspnctl: graph: %s -Tsvg failed (%s): %s\n", dot_prog, e->message,
                err_out && *err_out ? g_strchomp(err_out) : "no message");
        g_error_free(e);
    } else {
        rc = 0;
    }
    g_unlink(tmp);
    g_free(tmp);
    g_free(out_arg);
    g_free(err_out);
    return rc;
}

int qspnctl_graph_main(const char *dir, double timeout, int argc, char **argv)
{
    const char *svg = NULL, *id = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--svg") == 0 && !svg && i + 1 < argc && argv[i + 1][0]) {
            svg = argv[++i];
        } else if (argv[i][0] == '-' || id) {
            fprintf(stderr, "qspnctl: graph: %s '%s'\n",
                    argv[i][0] == '-' ? "bad option or missing value" : "unexpected argument", argv[i]);
            qspnctl_graph_usage(stderr);
            return 2;
        } else {
            guint64 x;
            if (!g_ascii_string_to_unsigned(argv[i], 10, 0, 1000000, &x, NULL)) {
                fprintf(stderr, "qspnctl: graph: bad LOCAL_ID '%s'\n", argv[i]);
                qspnctl_graph_usage(stderr);
                return 2;
            }
            id = argv[i];
        }
    }
    gchar *dot_prog = svg ? g_find_program_in_path("dot") : NULL;
    if (svg && !dot_prog) {
        fprintf(stderr, "qspnctl: graph --svg needs graphviz's dot, not found in PATH "
                        "(install graphviz, or leave out --svg for DOT on stdout)\n");
        return 1;
    }
    GString *dot = g_string_new(NULL);
    int rc = fetch_dot(dir, timeout, id, dot);
    if (rc == 0 && svg)
        rc = write_svg(dot_prog, svg, dot);
    else if (rc == 0)
        fwrite(dot->str, 1, dot->len, stdout);
    g_string_free(dot, TRUE);
    g_free(dot_prog);
    return rc;
}
