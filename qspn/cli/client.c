/* client.c - qspnctl's control-FIFO client. */
#include "client.h"

#include <errno.h>
#include <stdbool.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "control_client.h"
#ifdef QSPNCTL_HAVE_GRAPH
#include "graph.h"
#endif

void qspnctl_client_usage(FILE *out)
{
    fprintf(out,
            "Usage: qspnctl [--control-dir DIR] [--timeout SECONDS] COMMAND [ARGS...]\n"
            "Send COMMAND to the qspnd whose control directory is DIR (default: $QSPN_CONTROL_DIR).\n"
            "Commands (`qspnctl help` asks the daemon for each one's usage; docs/commands.md):\n"
            "  show [--json]            the whole state: identities, addresses, tables, rules, NAT\n"
            "  show_handlednics         managed interfaces (MAC, link-local)\n"
            "  help                     the daemon's command list with usages\n"
            "  quit                     tear down (remove everything qspnd added) and exit\n"
            "  arcs:       show_neighborhood_arcs, add_real_arc, change_real_arc, remove_real_arc,\n"
            "              show_real_arcs, show_identity_arcs, add_qspn_arc\n"
            "  identities: show_local_identities, prepare_enter_net_phase_1, enter_net_phase_1,\n"
            "              enter_net_phase_2, prepare_migrate_phase_1, migrate_phase_1,\n"
            "              migrate_phase_2, check_connectivity, dismiss_identity, pin_operation\n"
            "  qspn:       show_qspn_data, update_all_routes, print_time_ruler\n"
            "  The show_* commands take --json (docs/json-schema/<command>.json).\n"
#ifdef QSPNCTL_HAVE_GRAPH
            "  graph [--svg FILE] [LOCAL_ID]  DOT (or SVG) of the network as the identity sees it\n"
#endif
            "Each request carries a random id and gets its reply in its own FIFO,\n"
            "DIR/rsp-<id>.fifo (removed afterwards).  --timeout bounds sending and the\n"
            "whole reply; a command whose client has given up before qspnd takes it is\n"
            "not executed.\n"
            "Exit status: 0 ok, 1 the daemon replied with an error, 2 usage error,\n"
            "3 no daemon answered within the timeout (default 5 s).\n");
}

static bool parse_timeout(const char *s, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = g_ascii_strtod(s, &end);
    if (errno || !end || *end || !(v > 0) || v > 3600)
        return false;
    *out = v;
    return true;
}

int qspnctl_client_main(int argc, char **argv)
{
    const char *dir = g_getenv("QSPN_CONTROL_DIR");
    double timeout = 5.0;
    int i = 1;

    while (i < argc && argv[i][0] == '-' && argv[i][1] == '-') {
        const char *a = argv[i];
        const char *val = NULL;
        const char *eq = strchr(a, '=');
        size_t nl = eq ? (size_t)(eq - a) : strlen(a);
        bool is_dir = nl == strlen("--control-dir") && strncmp(a, "--control-dir", nl) == 0;
        bool is_to = nl == strlen("--timeout") && strncmp(a, "--timeout", nl) == 0;
        if (strcmp(a, "--help") == 0) {
            qspnctl_client_usage(stdout);
            return 0;
        }
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (!is_dir && !is_to)
            break;                      /* e.g. "show --json" is handled below */
        if (eq)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else {
            fprintf(stderr, "qspnctl: %s needs a value\n", a);
            return 2;
        }
        if (is_dir)
            dir = val;
        else if (!parse_timeout(val, &timeout)) {
            fprintf(stderr, "qspnctl: bad --timeout '%s'\n", val);
            return 2;
        }
        i++;
    }
    if (i >= argc) {
        qspnctl_client_usage(stderr);
        return 2;
    }
    if (!dir || !*dir) {
        fprintf(stderr, "qspnctl: no control directory (--control-dir or $QSPN_CONTROL_DIR)\n");
        return 2;
    }
#ifdef QSPNCTL_HAVE_GRAPH
    if (strcmp(argv[i], "graph") == 0)
        return qspnctl_graph_main(dir, timeout, argc - i, argv + i);
#endif
    GString *body = g_string_new(NULL);
    GString *reason = g_string_new(NULL);
    control_client_status st = control_client_call(dir, argc - i, argv + i, timeout, body, reason);
    fwrite(body->str, 1, body->len, stdout);
    fflush(stdout);
    if (st != CONTROL_CLIENT_OK)
        fprintf(stderr, "qspnctl: %s\n", reason->len ? reason->str : "failed");
    g_string_free(body, TRUE);
    g_string_free(reason, TRUE);
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
