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

/* Parse argv (not modified).  Returns 0 on success, -1 on a usage error (one
 * line in err, o cleared), including a topology/address with more destinations
 * than --max-destinations and a refused --key-file; --help prints the help and
 * exits 0 (GOption).
 * Link-locals not pinned with --linklocal are drawn at random: 169.254.X.Y,
 * X in 1..254, Y in 0..254. */
int qspnd_options_parse(int argc, char **argv, qspnd_options *o, char *err, size_t errlen);
void qspnd_options_clear(qspnd_options *o);

/* Validate a network namespace name (as accepted by `ip netns`). */
bool qspnd_netns_name_valid(const char *name);

#endif
