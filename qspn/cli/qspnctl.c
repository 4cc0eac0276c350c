/* qspnctl - the operator's command-line tool for qspn.
 * `qspnctl ipcalc ...` computes addresses offline; every other command is sent
 * to a running qspnd through its control FIFO (qspn/cli/client.c). */
#include <stdio.h>
#include <string.h>

#include "ipcalc.h"
#ifdef QSPNCTL_HAVE_CLIENT
#include "client.h"
#endif

static void usage(FILE *out)
{
    fputs("usage: qspnctl ipcalc --topology T [options] ADDRESS\n", out);
#ifdef QSPNCTL_HAVE_CLIENT
    fputs("       qspnctl [--control-dir DIR] [--timeout S] COMMAND [ARGS...]\n", out);
#endif
    fputs("       qspnctl --help | --version\n\n"
          "Offline:\n"
          "  ipcalc      IPv4 addresses, destinations and NAT rules of a Netsukuku address\n"
          "              (qspnctl ipcalc --help for its options)\n", out);
#ifdef QSPNCTL_HAVE_CLIENT
    fputs("\n", out);
    qspnctl_client_usage(out);
#endif
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("qspnctl %s\n", QSPN_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "ipcalc"))
        return qspnctl_ipcalc_main(argc - 1, argv + 1);
#ifdef QSPNCTL_HAVE_CLIENT
    return qspnctl_client_main(argc, argv);
#else
    fprintf(stderr, "qspnctl: unknown command '%s' (see qspnctl --help)\n", argv[1]);
    return 2;
#endif
}
