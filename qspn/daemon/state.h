/* state.h - qspnd's state file (<control-dir>/qspnd.state): the single record
 * of everything a run added to the system that is not self-evidently qspnd's,
 * written BEFORE the change (write-ahead) and removed at clean exit, so that
 * the next start can remove what a qspnd killed with SIGKILL left behind.
 *
 * One record per line, words separated by one space; '#' lines are comments:
 *   addr <dev> <a.b.c.d>/<prefix>   an address on a link of the own namespace
 *   rule <table> <fwmark>           an IPv4 rule "[fwmark M] lookup T" (0 = no fwmark)
 *   rt_tables <number> <name>       a marker line "<number> <name> # xxx_table_<name>_xxx"
 *   link <netns|-> <dev>            a virtual link (macvlan...) created by qspnd
 *   netns <name>                    a namespace /run/netns/<name> created by qspnd
 * Self-evidently qspnd's, never recorded: routes of protocol 15 (any table) and
 * the nft table ip qspnd.  docs/daemon.md, "State file and leftover sweep". */
#ifndef QSPN_DAEMON_STATE_H
#define QSPN_DAEMON_STATE_H

#include <glib.h>
#include <stdbool.h>

#include "kernel.h"

#define STATE_LINE_MAX 256           /* bytes of one record line */
#define STATE_FILE_MAX (1 << 20)     /* bytes read from a state file */
#define STATE_RECORDS_MAX 65536
#define STATE_TABLE_MIN 1            /* rule/rt_tables numbers: never 0, 253..255 */
#define STATE_TABLE_MAX 252

typedef enum {
    STATE_ADDR = 0,
    STATE_RULE,
    STATE_RT_TABLES,
    STATE_LINK,
    STATE_NETNS,
} state_kind;

typedef struct {
    state_kind kind;
    char dev[KOP_DEVLEN];            /* addr, link */
    char netns[KOP_NAMELEN];         /* link ("" = own namespace, written "-"), netns */
    ntk_cidr cidr;                   /* addr */
    uint32_t table;                  /* rule, rt_tables */
    uint32_t fwmark;                 /* rule (0 = none) */
    char name[KOP_NAMELEN];          /* rt_tables */
} state_record;

/* Parse one record line (without '\n').  false with a one-line reason in err
 * for anything but a well-formed record within the bounds above. */
bool state_record_parse(const char *line, size_t len, state_record *r, char *err, size_t errlen);
/* Append the record's line (with '\n') to out. */
void state_record_format(const state_record *r, GString *out);

/* Records of what a start-up plan adds: addr, rule and rt_tables for each
 * KOP_ADDR_ADD, KOP_RULE_ADD and KOP_RT_TABLES_ADD, in order. */
GArray *state_records_from_plan(const kop *ops, size_t n);

/* Parse a whole state file text (at most STATE_FILE_MAX bytes, at most
 * STATE_RECORDS_MAX records): malformed or unknown lines are skipped, counted
 * in *bad and described (one line each, at most 20) in warnings. */
GArray *state_parse(const char *text, size_t len, guint *bad, GString *warnings);

/* The leftover sweep: every kop tolerant, in this order: rules, KOP_SWEEP
 * (routes of protocol 15, nft table), addresses, links, namespaces (never
 * own_netns), rt_tables lines.  records may be NULL. */
GArray *state_sweep_plan(const GArray *records, const char *own_netns);

/* Read path: NULL (and no error) when it does not exist; at most
 * STATE_FILE_MAX bytes are considered (the rest counts as one bad line). */
GArray *state_file_read(const char *path, guint *bad, GString *warnings, GError **error);
/* Write every record (atomically: temporary file, fsync, rename; mode 0600). */
bool state_file_write(const char *path, const GArray *records, GError **error);

#endif
