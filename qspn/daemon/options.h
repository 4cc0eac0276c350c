/* options.h - qspnd's command line (docs/daemon.md). */
#ifndef QSPN_DAEMON_OPTIONS_H
#define QSPN_DAEMON_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "nauth.h"
#include "plan.h"

/* Largest start-up accepted by default: destinations = routes in table ntk
 * (each also changed once at start-up); --max-destinations raises it up to
 * QSPND_MAX_DESTINATIONS_LIMIT. */
#define QSPND_MAX_DESTINATIONS_DEFAULT 65536
#define QSPND_MAX_DESTINATIONS_LIMIT 16777216

typedef struct {
    qspnd_config cfg;
    size_t n_destinations;       /* of cfg (routes of table ntk at start-up) */
    size_t max_destinations;
    char *control_dir;
    char *netns;                 /* NULL: stay in the current namespace */
    char *rt_tables;
    char *log_file;              /* NULL: stderr */
    bool verbose;
    /* identity namespaces are named <identity_ns_prefix><name> (default
     * "<netns>-", or "qspnd-" without --netns) */
    char *identity_ns_prefix;
    uint32_t hello_ms;           /* HELLO interval (default 250) */
    uint32_t dead_ms;            /* a neighbour silent this long is dead (default 1500) */
    uint32_t arc_timeout_ms;     /* QSPN: an arc must be given on both sides within it (10000) */
    nauth_key *key;              /* --key-file: sign and verify every neighbour message; NULL: none */
} qspnd_options;

#define QSPND_HELLO_MS_DEFAULT 250
#define QSPND_DEAD_MS_DEFAULT 1500
#define QSPND_ARC_TIMEOUT_MS_DEFAULT 10000

/* Every option of the command line, each also a key of the [qspnd] group of
 * the configuration file (--config, itself command line only): one table,
 * qspnd_option_defs(), from which both are built. */
typedef enum {
    QSPND_OPTK_STRING,      /* text (UTF-8) */
    QSPND_OPTK_FILENAME,    /* a path, as the file system spells it */
    QSPND_OPTK_INT,         /* decimal integer (range checked by validation) */
    QSPND_OPTK_FLAG,        /* no argument; in the file true or false */
    QSPND_OPTK_LIST,        /* repeatable; in the file a list a;b;c */
} qspnd_option_kind;

enum {
    QSPND_OPT_TOPOLOGY, QSPND_OPT_ADDRESS, QSPND_OPT_INTERFACE, QSPND_OPT_LINKLOCAL,
    QSPND_OPT_SUBNET_LEVEL, QSPND_OPT_SERVE_ANONYMOUS, QSPND_OPT_NO_ANONYMIZE,
    QSPND_OPT_CONTROL_DIR, QSPND_OPT_NETNS, QSPND_OPT_RT_TABLES, QSPND_OPT_LOG_FILE,
    QSPND_OPT_MAX_DESTINATIONS, QSPND_OPT_IDENTITY_NS_PREFIX, QSPND_OPT_HELLO_INTERVAL,
    QSPND_OPT_DEAD_INTERVAL, QSPND_OPT_ARC_TIMEOUT, QSPND_OPT_KEY_FILE, QSPND_OPT_VERBOSE,
    QSPND_OPT_COUNT
};

typedef struct {
    const char *key;          /* --key on the command line, key in [qspnd] */
    char short_name;          /* 0: none */
    qspnd_option_kind kind;
    size_t offset;            /* of the field in the raw options (options.c) */
    const char *help, *arg;
} qspnd_option_def;

/* The table, QSPND_OPT_COUNT entries in the order of --help. */
const qspnd_option_def *qspnd_option_defs(size_t *n);

#define QSPND_CONFIG_GROUP "qspnd"
#define QSPND_CONFIG_MAX_BYTES 65536   /* a larger configuration file is refused */

/* Parse argv (not modified).  Returns 0 on success, -1 on a usage error (one
 * line in err, o cleared), including a topology/address with more destinations
 * than --max-destinations and a refused --key-file; --help prints the help and
 * exits 0 (GOption).  With --config FILE, the options the command line does
 * not give come from FILE's [qspnd] group (refused, with one line naming the
 * file, group and key: an unknown group or key, a value of the wrong type, a
 * file that is not a regular file of this user or root or that group or
 * others can write); every value, from either, is validated the same way and
 * an invalid one is named by its origin ("--topology", "FILE [qspnd] topology").
 * Link-locals not pinned with --linklocal are drawn at random: 169.254.X.Y,
 * X in 1..254, Y in 0..254. */
int qspnd_options_parse(int argc, char **argv, qspnd_options *o, char *err, size_t errlen);
void qspnd_options_clear(qspnd_options *o);

/* Validate a network namespace name (as accepted by `ip netns`). */
bool qspnd_netns_name_valid(const char *name);

#endif
