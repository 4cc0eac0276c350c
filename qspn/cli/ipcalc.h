/* ipcalc.h - `qspnctl ipcalc`, the offline address calculator. */
#ifndef QSPN_CLI_IPCALC_H
#define QSPN_CLI_IPCALC_H

#include <stdio.h>

/* argv[0] is "ipcalc"; returns the process exit status (0 ok, 2 bad input). */
int qspnctl_ipcalc_main(int argc, char **argv);
void qspnctl_ipcalc_usage(FILE *out);

#endif
