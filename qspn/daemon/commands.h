/* commands.h - qspnd's control commands (commands.c; quit, show and
 * show_handlednics in runtime.c).  docs/control.md lists them. */
#ifndef QSPN_DAEMON_COMMANDS_H
#define QSPN_DAEMON_COMMANDS_H

#include "control.h"
#include "runtime.h"

const control_command *qspnd_command_table(size_t *n);

bool qspnd_cmd_quit(int argc, char **argv, GString *out, GString *err, void *user);
bool qspnd_cmd_show(int argc, char **argv, GString *out, GString *err, void *user);
bool qspnd_cmd_show_handlednics(int argc, char **argv, GString *out, GString *err, void *user);

#endif
