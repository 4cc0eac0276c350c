/* options.c - qspnd's command line (and the table it shares with the
 * configuration file, config.c), validation. */
#include "options.h"

#include <stdio.h>
#include <string.h>

#include "keyfile.h"
#include "optraw.h"

bool qspnd_netns_name_valid(const char *name)
{
    size_t l = strlen(name);
    if (l == 0 || l > 64 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return false;
    for (const char *p = name; *p; p++)
        if (!(g_ascii_isalnum(*p) || *p == '-' || *p == '_' || *p == '.'))
            return false;
    return true;
}

static bool valid_ifname(const char *dev)
{
    size_t l = strlen(dev);
    if (l == 0 || l >= KOP_DEVLEN || strcmp(dev, ".") == 0 || strcmp(dev, "..") == 0)
        return false;
    for (const char *p = dev; *p; p++)
        if (*p == '/' || *p == '=' || (unsigned char)*p <= ' ' || *p == 0x7f || *p == ':')
            return false;
    return true;
}

#define F(field) offsetof(qspnd_raw_options, field)
static const qspnd_option_def defs[QSPND_OPT_COUNT] = {
    [QSPND_OPT_TOPOLOGY] = { "topology", 't', QSPND_OPTK_STRING, F(topology),
      "gsizes, highest level first (required)", "4.2.2.2" },
    [QSPND_OPT_ADDRESS] = { "address", 'a', QSPND_OPTK_STRING, F(address),
      "initial Netsukuku address, highest level first, fully real (required)", "3.0.1.0" },
    [QSPND_OPT_INTERFACE] = { "interface", 'i', QSPND_OPTK_LIST, F(ifaces),
      "managed interface (repeatable, order kept; at least one)", "IFACE" },
    [QSPND_OPT_LINKLOCAL] = { "linklocal", 'l', QSPND_OPTK_LIST, F(lls),
      "pin the link-local address of IFACE (default: random 169.254.X.Y)", "IFACE=169.254.X.Y" },
    [QSPND_OPT_SUBNET_LEVEL] = { "subnet-level", 's', QSPND_OPTK_INT, F(subnet),
      "gateway of an autonomous subnet of this level (0 = none; 1..levels-1)", "N" },
    [QSPND_OPT_SERVE_ANONYMOUS] = { "serve-anonymous", 'k', QSPND_OPTK_FLAG, F(serve_anon),
      "accept anonymous requests: assign the anonymising address (and NETMAP its range)", NULL },
    [QSPND_OPT_NO_ANONYMIZE] = { "no-anonymize", 'j', QSPND_OPTK_FLAG, F(no_anon),
      "do not act as anonymising relay (no SNAT rule)", NULL },
    [QSPND_OPT_CONTROL_DIR] = { "control-dir", 'c', QSPND_OPTK_FILENAME, F(control_dir),
      "directory of cmd.fifo, the clients' rsp-<id>.fifo, qspnd.lock, qspnd.pid, qspnd.state "
      "(required; created 0700)", "DIR" },
    [QSPND_OPT_NETNS] = { "netns", 'n', QSPND_OPTK_STRING, F(netns),
      "setns() into /run/netns/NAME before doing anything", "NAME" },
    [QSPND_OPT_RT_TABLES] = { "rt-tables", 0, QSPND_OPTK_FILENAME, F(rt_tables),
      "rt_tables file to append table names to (default /etc/iproute2/rt_tables)", "PATH" },
    [QSPND_OPT_LOG_FILE] = { "log-file", 0, QSPND_OPTK_FILENAME, F(log_file),
      "append the log to PATH instead of stderr (reopened on SIGHUP)", "PATH" },
    [QSPND_OPT_MAX_DESTINATIONS] = { "max-destinations", 0, QSPND_OPTK_STRING, F(maxdest),
      "refuse a topology/address with more destinations (routes of table ntk) "
      "than N (default 65536, at most 16777216)", "N" },
    [QSPND_OPT_IDENTITY_NS_PREFIX] = { "identity-ns-prefix", 0, QSPND_OPTK_STRING, F(ns_prefix),
      "name identity namespaces PREFIX<name> (default: '<netns>-', or 'qspnd-')", "PREFIX" },
    [QSPND_OPT_HELLO_INTERVAL] = { "hello-interval", 0, QSPND_OPTK_INT, F(hello_ms),
      "milliseconds between HELLOs on every interface (10..10000, default 250)", "MS" },
    [QSPND_OPT_DEAD_INTERVAL] = { "dead-interval", 0, QSPND_OPTK_INT, F(dead_ms),
      "a neighbour silent this long is dead and its arcs go (> hello interval, "
      "at most 60000; default 1500)", "MS" },
    [QSPND_OPT_ARC_TIMEOUT] = { "arc-timeout", 0, QSPND_OPTK_INT, F(arc_timeout),
      "QSPN: an arc given to QSPN on one side must be given on the other side within MS "
      "(1000..120000, default 10000 as the original)", "MS" },
    [QSPND_OPT_KEY_FILE] = { "key-file", 0, QSPND_OPTK_FILENAME, F(key_file),
      "authenticate every message to and from neighbours with the pre-shared key in PATH "
      "(raw bytes, 16..1024; mode 0600 or 0400, owned by this user)", "PATH" },
    [QSPND_OPT_VERBOSE] = { "verbose", 'v', QSPND_OPTK_FLAG, F(verbose),
      "debug level: one line per kernel operation", NULL },
};
#undef F

const qspnd_option_def *qspnd_option_defs(size_t *n)
{
    *n = QSPND_OPT_COUNT;
    return defs;
}

void qspnd_raw_init(qspnd_raw_options *r)
{
    memset(r, 0, sizeof *r);
    r->hello_ms = QSPND_HELLO_MS_DEFAULT;
    r->dead_ms = QSPND_DEAD_MS_DEFAULT;
    r->arc_timeout = QSPND_ARC_TIMEOUT_MS_DEFAULT;
    for (size_t i = 0; i < QSPND_OPT_COUNT; i++)
        r->origin[i] = g_strdup_printf("--%s", defs[i].key);
}

void qspnd_raw_clear(qspnd_raw_options *r)
{
    for (size_t i = 0; i < QSPND_OPT_COUNT; i++) {
        void *field = (char *)r + defs[i].offset;
        if (defs[i].kind == QSPND_OPTK_LIST)
            g_strfreev(*(gchar ***)field);
        else if (defs[i].kind == QSPND_OPTK_STRING || defs[i].kind == QSPND_OPTK_FILENAME)
            g_free(*(gchar **)field);
        g_free(r->origin[i]);
    }
    g_free(r->config);
    memset(r, 0, sizeof *r);
}

#define QSPND_VALUE_MAX 4096        /* bytes of one value */
#define QSPND_LIST_MAX 256          /* items of one list */

static bool set_list_item(gchar ***list, const char *value, const char *origin, char *err, size_t errlen)
{
    guint n = *list ? g_strv_length(*list) : 0;
    if (n >= QSPND_LIST_MAX) {
        snprintf(err, errlen, "%s: more than %d values", origin, QSPND_LIST_MAX);
        return false;
    }
    *list = g_renew(gchar *, *list, n + 2);
    (*list)[n] = g_strdup(value);
    (*list)[n + 1] = NULL;
    return true;
}

bool qspnd_raw_set(qspnd_raw_options *r, size_t idx, const char *value, char *err, size_t errlen)
{
    const qspnd_option_def *d = &defs[idx];
    void *field = (char *)r + d->offset;
    const char *origin = r->origin[idx];
    gint64 v = 0;
    if (value && strlen(value) > QSPND_VALUE_MAX) {
        snprintf(err, errlen, "%s: value longer than %d bytes", origin, QSPND_VALUE_MAX);
        return false;
    }
    switch (d->kind) {
    case QSPND_OPTK_STRING:
    case QSPND_OPTK_FILENAME:
        g_free(*(gchar **)field);
        *(gchar **)field = g_strdup(value);
        break;
    case QSPND_OPTK_INT:
        if (!g_ascii_string_to_signed(value, 10, G_MININT, G_MAXINT, &v, NULL)) {
            snprintf(err, errlen, "%s: '%.32s' is not an integer", origin, value);
            return false;
        }
        *(gint *)field = (gint)v;
        break;
    case QSPND_OPTK_FLAG:
        if (value && strcmp(value, "true") != 0 && strcmp(value, "false") != 0) {
            snprintf(err, errlen, "%s: '%.32s' is not true or false", origin, value);
            return false;
        }
        *(gboolean *)field = !value || strcmp(value, "true") == 0;
        break;
    case QSPND_OPTK_LIST:
        if (!set_list_item((gchar ***)field, value, origin, err, errlen))
            return false;
        break;
    }
    r->given[idx] = true;
    return true;
}

/* How messages name option X: "--x", or "FILE [qspnd] x" when it came from there. */
#define ON(X) (r->origin[QSPND_OPT_##X])

/* --max-destinations and the size of the start-up it bounds. */
static bool check_size(qspnd_options *o, const qspnd_raw_options *r, char *err, size_t errlen)
{
    guint64 max = QSPND_MAX_DESTINATIONS_DEFAULT;
    if (r->maxdest && !g_ascii_string_to_unsigned(r->maxdest, 10, 1, QSPND_MAX_DESTINATIONS_LIMIT,
                                                  &max, NULL)) {
        snprintf(err, errlen, "bad %s '%.32s' (expected 1..%d)", ON(MAX_DESTINATIONS), r->maxdest,
                 QSPND_MAX_DESTINATIONS_LIMIT);
        return false;
    }
    o->max_destinations = (size_t)max;
    o->n_destinations = ntk_destinations(&o->cfg.topo, &o->cfg.addr, o->cfg.subnet_level, NULL, 0);
    if (o->n_destinations > o->max_destinations) {
        snprintf(err, errlen,
                 "%s %.64s %s %.64s has %zu destinations (routes of table ntk), more than %s %zu",
                 ON(TOPOLOGY), r->topology, ON(ADDRESS), r->address, o->n_destinations,
                 ON(MAX_DESTINATIONS), o->max_destinations);
        return false;
    }
    return true;
}

static bool parse_nics(qspnd_options *o, const qspnd_raw_options *r, char *err, size_t errlen)
{
    for (gchar **p = r->ifaces; *p; p++) {
        if (o->cfg.n_nics >= QSPND_MAX_NICS) {
            snprintf(err, errlen, "%s: too many interfaces (at most %d)", ON(INTERFACE), QSPND_MAX_NICS);
            return false;
        }
        if (!valid_ifname(*p)) {
            snprintf(err, errlen, "%s: bad interface name '%.32s'", ON(INTERFACE), *p);
            return false;
        }
        for (size_t i = 0; i < o->cfg.n_nics; i++)
            if (strcmp(o->cfg.nics[i].dev, *p) == 0) {
                snprintf(err, errlen, "%s: interface %s given twice", ON(INTERFACE), *p);
                return false;
            }
        g_strlcpy(o->cfg.nics[o->cfg.n_nics].dev, *p, KOP_DEVLEN);
        o->cfg.n_nics++;
    }
    return true;
}

/* --linklocal IFACE=169.254.X.Y, then random link-locals for the others. */
static bool parse_linklocals(qspnd_options *o, const qspnd_raw_options *r, char *err, size_t errlen)
{
    for (gchar **p = r->lls; p && *p; p++) {
        const char *eq = strchr(*p, '=');
        ntk_cidr c;
        size_t i;
        if (!eq || strchr(eq + 1, '/') || !ntk_cidr_parse(eq + 1, &c) ||
            (c.addr & 0xffff0000u) != 0xa9fe0000u) {
            snprintf(err, errlen, "bad %s '%.64s' (IFACE=169.254.X.Y)", ON(LINKLOCAL), *p);
            return false;
        }
        for (i = 0; i < o->cfg.n_nics; i++)
            if (strlen(o->cfg.nics[i].dev) == (size_t)(eq - *p) &&
                strncmp(o->cfg.nics[i].dev, *p, (size_t)(eq - *p)) == 0)
                break;
        if (i == o->cfg.n_nics) {
            snprintf(err, errlen, "%s for an interface not managed (interface): '%.64s'", ON(LINKLOCAL), *p);
            return false;
        }
        o->cfg.nics[i].linklocal = c.addr;
    }
    for (size_t i = 0; i < o->cfg.n_nics; i++)
        if (o->cfg.nics[i].linklocal == 0)
            o->cfg.nics[i].linklocal = 0xa9fe0000u | ((uint32_t)g_random_int_range(1, 255) << 8) |
                                       (uint32_t)g_random_int_range(0, 255);
    return true;
}

/* The neighbour and QSPN timers, and the names of identity namespaces. */
static bool validate_timers_and_prefix(qspnd_options *o, const qspnd_raw_options *r, char *err,
                                       size_t errlen)
{
    if (r->hello_ms < 10 || r->hello_ms > 10000 || r->dead_ms <= r->hello_ms ||
        r->dead_ms > 60000) {
        snprintf(err, errlen, "bad %s %d / %s %d (10..10000, and hello < dead <= 60000)",
                 ON(HELLO_INTERVAL), r->hello_ms, ON(DEAD_INTERVAL), r->dead_ms);
        return false;
    }
    if (r->arc_timeout < 1000 || r->arc_timeout > 120000) {
        snprintf(err, errlen, "bad %s %d (1000..120000)", ON(ARC_TIMEOUT), r->arc_timeout);
        return false;
    }
    o->arc_timeout_ms = (uint32_t)r->arc_timeout;
    o->hello_ms = (uint32_t)r->hello_ms;
    o->dead_ms = (uint32_t)r->dead_ms;
    gchar *pfx = r->ns_prefix ? g_strdup(r->ns_prefix)
                              : g_strdup_printf("%s-", r->netns ? r->netns : "qspnd");
    if (strlen(pfx) > 40 || (pfx[0] && !qspnd_netns_name_valid(pfx))) {
        snprintf(err, errlen, "bad %s '%.48s'", ON(IDENTITY_NS_PREFIX), pfx);
        g_free(pfx);
        return false;
    }
    o->identity_ns_prefix = pfx;
    return true;
}

static bool validate(qspnd_options *o, const qspnd_raw_options *r, char *err, size_t errlen)
{
    char e[NTK_ERRLEN];
    if (!r->topology || !r->address || !r->control_dir || !r->ifaces || !r->ifaces[0]) {
        snprintf(err, errlen, "--topology, --address, -i and --control-dir are required%s",
                 r->config ? " (on the command line or in the configuration file)" : "");
        return false;
    }
    if (!ntk_topology_parse(r->topology, &o->cfg.topo, e, sizeof e)) {
        snprintf(err, errlen, "bad %s: %s", ON(TOPOLOGY), e);
        return false;
    }
    if (!ntk_naddr_parse(&o->cfg.topo, r->address, false, &o->cfg.addr, e, sizeof e)) {
        snprintf(err, errlen, "bad %s: %s", ON(ADDRESS), e);
        return false;
    }
    if (!ntk_subnet_level_valid(&o->cfg.topo, r->subnet, e, sizeof e)) {
        snprintf(err, errlen, "bad %s: %s", ON(SUBNET_LEVEL), e);
        return false;
    }
    o->cfg.subnet_level = r->subnet;
    o->cfg.serve_anonymous = r->serve_anon;
    o->cfg.anonymize = !r->no_anon;
    if (!check_size(o, r, err, errlen) || !parse_nics(o, r, err, errlen) ||
        !parse_linklocals(o, r, err, errlen))
        return false;
    if (r->netns && !qspnd_netns_name_valid(r->netns)) {
        snprintf(err, errlen, "bad %s name", ON(NETNS));
        return false;
    }
    if (r->key_file) {
        o->key = g_new0(nauth_key, 1);
        char ke[400];
        if (!qspnd_key_file_load(r->key_file, o->key, ke, sizeof ke)) {
            /* from the configuration file: say which key named it */
            snprintf(err, errlen, "%s%s%s", ON(KEY_FILE)[0] == '-' ? "" : ON(KEY_FILE),
                     ON(KEY_FILE)[0] == '-' ? "" : ": ", ke);
            return false;
        }
    }
    if (!validate_timers_and_prefix(o, r, err, errlen))
        return false;
    o->control_dir = g_strdup(r->control_dir);
    o->netns = g_strdup(r->netns);
    o->rt_tables = g_strdup(r->rt_tables ? r->rt_tables : "/etc/iproute2/rt_tables");
    o->log_file = g_strdup(r->log_file);
    o->verbose = r->verbose;
    return true;
}

static const char description[] =
    "qspnd runs one system of a Netsukuku QSPN network (proof-of-concept).\n"
    "At start-up it programs the kernel as the original qspnclient (sysctls,\n"
    "10.0.0.x internal address on lo, link-locals, table ntk (251) and its rule,\n"
    "own addresses, unreachable routes, SNAT/NETMAP in nft table 'ip qspnd'),\n"
    "then serves commands on <control-dir>/cmd.fifo (see qspnctl).  quit,\n"
    "SIGTERM and SIGINT remove everything it added, at any time (a start-up in\n"
    "progress is rolled back).  Routes use protocol 15 (ntk).\n"
    "Neighbour daemons find each other by HELLOs on every interface; an arc is\n"
    "used once the operator accepts it (add_real_arc), and QSPN, identities and\n"
    "migrations then run over TCP between link-locals (docs/neighbour-protocol.md).\n"
    "One qspnd per network namespace and per control directory: a second one\n"
    "exits 1 without touching anything.  After a SIGKILL, the next start removes\n"
    "what <control-dir>/qspnd.state recorded, the routes of protocol 15 and the\n"
    "nft table, nothing else.  SIGHUP reopens the log file, SIGUSR1 writes `show`\n"
    "to the log, SIGUSR2 the control-protocol counters.\n"
    "\n"
    "Exit status: 0 clean quit (quit, SIGTERM, SIGINT), 1 runtime failure\n"
    "(another qspnd owns the namespace or directory, no such interface, a kernel\n"
    "operation failed), 2 usage error (including too many destinations).\n"
    "Configuration file (--config FILE): group [qspnd], one key per long option\n"
    "(topology = 4.2.2.2, interface = eth1;eth2, serve-anonymous = true); the\n"
    "command line overrides the file, option by option (a list as a whole).\n"
    "Example:\n"
    "  qspnd --topology 4.2.2.2 --address 3.0.1.0 -i eth1 -k \\\n"
    "        --linklocal eth1=169.254.69.30 --control-dir /run/qspnd/alfa\n"
    "  qspnd --config /etc/qspnd/alfa.conf --control-dir /run/qspnd/alfa\n";

static gboolean on_option(const gchar *name, const gchar *value, gpointer data, GError **error)
{
    qspnd_raw_options *r = data;
    char err[512];
    for (size_t i = 0; i < QSPND_OPT_COUNT; i++) {
        bool is_short = name[1] != '-' && name[1] == defs[i].short_name && name[2] == 0;
        if (!is_short && !(name[1] == '-' && strcmp(name + 2, defs[i].key) == 0))
            continue;
        if (qspnd_raw_set(r, i, value, err, sizeof err))
            return TRUE;
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s", err);
        return FALSE;
    }
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION, "unknown option %s", name);
    return FALSE;
}

/* The command line into r (the values of the table go through on_option). */
static bool parse_command_line(int argc, char **argv, qspnd_raw_options *r, char *err, size_t errlen)
{
    GOptionEntry entries[QSPND_OPT_COUNT + 2];
    for (size_t i = 0; i < QSPND_OPT_COUNT; i++) {
        const qspnd_option_def *d = &defs[i];
        gint flags = d->kind == QSPND_OPTK_FLAG ? G_OPTION_FLAG_NO_ARG
                     : d->kind == QSPND_OPTK_FILENAME ? G_OPTION_FLAG_FILENAME : 0;
        entries[i] = (GOptionEntry){ d->key, d->short_name, flags, G_OPTION_ARG_CALLBACK,
                                     (gpointer)on_option, d->help, d->arg };
    }
    entries[QSPND_OPT_COUNT] = (GOptionEntry){ "config", 0, 0, G_OPTION_ARG_FILENAME, &r->config,
        "read the options the command line does not give from the [qspnd] group of FILE "
        "(keys: the long options; a regular file of this user or root, not writable by "
        "group or others)", "FILE" };
    entries[QSPND_OPT_COUNT + 1] = (GOptionEntry){ NULL, 0, 0, 0, NULL, NULL, NULL };
    GOptionContext *ctx = g_option_context_new("- QSPN proof-of-concept daemon");
    GOptionGroup *main_group = g_option_group_new(NULL, NULL, NULL, r, NULL);
    GError *ge = NULL;
    bool ok = false;
    gchar **args = g_new0(gchar *, (gsize)argc + 1);
    for (int i = 0; i < argc; i++)
        args[i] = g_strdup(argv[i]);
    g_option_group_add_entries(main_group, entries);
    g_option_context_set_main_group(ctx, main_group);
    g_option_context_set_description(ctx, description);
    g_option_context_set_strict_posix(ctx, FALSE);
    if (!g_option_context_parse_strv(ctx, &args, &ge)) {
        snprintf(err, errlen, "%s", ge->message);
        g_error_free(ge);
    } else if (g_strv_length(args) > 1) {
        snprintf(err, errlen, "unexpected argument '%.64s'", args[1]);
    } else {
        ok = true;
    }
    g_option_context_free(ctx);
    g_strfreev(args);
    return ok;
}

int qspnd_options_parse(int argc, char **argv, qspnd_options *o, char *err, size_t errlen)
{
    qspnd_raw_options r;
    int ret = -1;
    qspnd_raw_init(&r);
    memset(o, 0, sizeof *o);
    o->cfg.anonymize = true;
    if (parse_command_line(argc, argv, &r, err, errlen) &&
        (!r.config || qspnd_config_load(r.config, &r, err, errlen))) {
        if (validate(o, &r, err, errlen))
            ret = 0;
        else
            qspnd_options_clear(o);        /* what validation filled in before it failed */
    }
    qspnd_raw_clear(&r);
    return ret;
}

void qspnd_options_clear(qspnd_options *o)
{
    g_free(o->control_dir);
    g_free(o->netns);
    g_free(o->rt_tables);
    g_free(o->log_file);
    g_free(o->identity_ns_prefix);
    if (o->key)
        explicit_bzero(o->key, sizeof *o->key);
    g_free(o->key);
    memset(o, 0, sizeof *o);
}
