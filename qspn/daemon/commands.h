/* commands.h - qspnd's control commands (commands.c; quit, show and
 * show_handlednics in runtime.c).  docs/control.md lists them. */
#ifndef QSPN_DAEMON_COMMANDS_H
#define QSPN_DAEMON_COMMANDS_H

#include "control.h"
#include "runtime.h"
#include "system.h"

const control_command *qspnd_command_table(size_t *n);

bool qspnd_cmd_quit(int argc, char **argv, GString *out, GString *err, void *user);
bool qspnd_cmd_show(int argc, char **argv, GString *out, GString *err, void *user);
/* The arguments of a show_* command: exactly `want` positional ones (into
 * pos) and an optional --json anywhere after the name (docs/commands.md). */
bool qspnd_show_args(int argc, char **argv, const char *usage, int want, const char **pos, bool *json,
                     GString *err);
bool qspnd_cmd_show_handlednics(int argc, char **argv, GString *out, GString *err, void *user);
/* showcmds.c */
bool qspnd_cmd_show_local_identities(int argc, char **argv, GString *out, GString *err, void *user);
bool qspnd_cmd_show_identity_arcs(int argc, char **argv, GString *out, GString *err, void *user);
bool qspnd_cmd_show_neighborhood_arcs(int argc, char **argv, GString *out, GString *err, void *user);
bool qspnd_cmd_show_real_arcs(int argc, char **argv, GString *out, GString *err, void *user);
bool qspnd_cmd_show_qspn_data(int argc, char **argv, GString *out, GString *err, void *user);
/* LOCAL_ID of a command: the identity, NULL with the reason in err */
qid *qspnd_identity_arg(qsys *s, const char *w, GString *err);

#endif
