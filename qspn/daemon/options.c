/* options.c - qspnd's command line. */
#include "options.h"

#include <stdio.h>
#include <string.h>

#include "keyfile.h"

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

/* The command line as GOption leaves it, before validation. */
typedef struct {
    gchar *topology, *address, *control_dir, *netns, *rt_tables, *log_file, *maxdest, *ns_prefix;
    gchar *key_file;
    gchar **ifaces, **lls;
    gint subnet, hello_ms, dead_ms, arc_timeout;
    gboolean serve_anon, no_anon, verbose;
} raw_options;

static void raw_clear(raw_options *r)
{
    g_free(r->topology);
    g_free(r->address);
    g_free(r->control_dir);
    g_free(r->netns);
    g_free(r->rt_tables);
    g_free(r->log_file);
    g_free(r->maxdest);
    g_free(r->ns_prefix);
    g_free(r->key_file);
    g_strfreev(r->ifaces);
    g_strfreev(r->lls);
}

/* --max-destinations and the size of the start-up it bounds. */
static bool check_size(qspnd_options *o, const raw_options *r, char *err, size_t errlen)
{
    guint64 max = QSPND_MAX_DESTINATIONS_DEFAULT;
    if (r->maxdest && !g_ascii_string_to_unsigned(r->maxdest, 10, 1, QSPND_MAX_DESTINATIONS_LIMIT,
                                                  &max, NULL)) {
        snprintf(err, errlen, "bad --max-destinations '%.32s' (expected 1..%d)", r->maxdest,
                 QSPND_MAX_DESTINATIONS_LIMIT);
        return false;
    }
    o->max_destinations = (size_t)max;
    o->n_destinations = ntk_destinations(&o->cfg.topo, &o->cfg.addr, o->cfg.subnet_level, NULL, 0);
    if (o->n_destinations > o->max_destinations) {
        snprintf(err, errlen,
                 "--topology %.64s --address %.64s has %zu destinations (routes of table ntk), "
                 "more than --max-destinations %zu",
                 r->topology, r->address, o->n_destinations, o->max_destinations);
        return false;
    }
    return true;
}

static bool parse_nics(qspnd_options *o, gchar **ifaces, char *err, size_t errlen)
{
    for (gchar **p = ifaces; *p; p++) {
        if (o->cfg.n_nics >= QSPND_MAX_NICS) {
            snprintf(err, errlen, "too many interfaces (at most %d)", QSPND_MAX_NICS);
            return false;
        }
        if (!valid_ifname(*p)) {
            snprintf(err, errlen, "bad interface name '%.32s'", *p);
            return false;
        }
        for (size_t i = 0; i < o->cfg.n_nics; i++)
            if (strcmp(o->cfg.nics[i].dev, *p) == 0) {
                snprintf(err, errlen, "interface %s given twice", *p);
                return false;
            }
        g_strlcpy(o->cfg.nics[o->cfg.n_nics].dev, *p, KOP_DEVLEN);
        o->cfg.n_nics++;
    }
    return true;
}

/* --linklocal IFACE=169.254.X.Y, then random link-locals for the others. */
static bool parse_linklocals(qspnd_options *o, gchar **lls, char *err, size_t errlen)
{
    for (gchar **p = lls; p && *p; p++) {
        const char *eq = strchr(*p, '=');
        ntk_cidr c;
        size_t i;
        if (!eq || strchr(eq + 1, '/') || !ntk_cidr_parse(eq + 1, &c) ||
            (c.addr & 0xffff0000u) != 0xa9fe0000u) {
            snprintf(err, errlen, "bad --linklocal '%.64s' (IFACE=169.254.X.Y)", *p);
            return false;
        }
        for (i = 0; i < o->cfg.n_nics; i++)
            if (strlen(o->cfg.nics[i].dev) == (size_t)(eq - *p) &&
                strncmp(o->cfg.nics[i].dev, *p, (size_t)(eq - *p)) == 0)
                break;
        if (i == o->cfg.n_nics) {
            snprintf(err, errlen, "--linklocal for an interface not given with -i: '%.64s'", *p);
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
static bool validate_timers_and_prefix(qspnd_options *o, const raw_options *r, char *err,
                                       size_t errlen)
{
    if (r->hello_ms < 10 || r->hello_ms > 10000 || r->dead_ms <= r->hello_ms ||
        r->dead_ms > 60000) {
        snprintf(err, errlen, "bad --hello-interval %d / --dead-interval %d (10..10000, and "
                 "hello < dead <= 60000)", r->hello_ms, r->dead_ms);
        return false;
    }
    if (r->arc_timeout < 1000 || r->arc_timeout > 120000) {
        snprintf(err, errlen, "bad --arc-timeout %d (1000..120000)", r->arc_timeout);
        return false;
    }
    o->arc_timeout_ms = (uint32_t)r->arc_timeout;
    o->hello_ms = (uint32_t)r->hello_ms;
    o->dead_ms = (uint32_t)r->dead_ms;
    gchar *pfx = r->ns_prefix ? g_strdup(r->ns_prefix)
                              : g_strdup_printf("%s-", r->netns ? r->netns : "qspnd");
    if (strlen(pfx) > 40 || (pfx[0] && !qspnd_netns_name_valid(pfx))) {
        snprintf(err, errlen, "bad --identity-ns-prefix '%.48s'", pfx);
        g_free(pfx);
        return false;
    }
    o->identity_ns_prefix = pfx;
    return true;
}

static bool validate(qspnd_options *o, const raw_options *r, char *err, size_t errlen)
{
    char e[NTK_ERRLEN];
    if (!r->topology || !r->address || !r->control_dir || !r->ifaces || !r->ifaces[0]) {
        snprintf(err, errlen, "--topology, --address, -i and --control-dir are required");
        return false;
    }
    if (!ntk_topology_parse(r->topology, &o->cfg.topo, e, sizeof e)) {
        snprintf(err, errlen, "bad --topology: %s", e);
        return false;
    }
    if (!ntk_naddr_parse(&o->cfg.topo, r->address, false, &o->cfg.addr, e, sizeof e)) {
        snprintf(err, errlen, "bad --address: %s", e);
        return false;
    }
    if (!ntk_subnet_level_valid(&o->cfg.topo, r->subnet, e, sizeof e)) {
        snprintf(err, errlen, "bad --subnet-level: %s", e);
        return false;
    }
    o->cfg.subnet_level = r->subnet;
    o->cfg.serve_anonymous = r->serve_anon;
    o->cfg.anonymize = !r->no_anon;
    if (!check_size(o, r, err, errlen) || !parse_nics(o, r->ifaces, err, errlen) ||
        !parse_linklocals(o, r->lls, err, errlen))
        return false;
    if (r->netns && !qspnd_netns_name_valid(r->netns)) {
        snprintf(err, errlen, "bad --netns name");
        return false;
    }
    if (r->key_file) {
        o->key = g_new0(nauth_key, 1);
        if (!qspnd_key_file_load(r->key_file, o->key, err, errlen))
            return false;
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
    "Example:\n"
    "  qspnd --topology 4.2.2.2 --address 3.0.1.0 -i eth1 -k \\\n"
    "        --linklocal eth1=169.254.69.30 --control-dir /run/qspnd/alfa\n";

int qspnd_options_parse(int argc, char **argv, qspnd_options *o, char *err, size_t errlen)
{
    raw_options r;
    memset(&r, 0, sizeof r);
    r.hello_ms = QSPND_HELLO_MS_DEFAULT;
    r.dead_ms = QSPND_DEAD_MS_DEFAULT;
    r.arc_timeout = QSPND_ARC_TIMEOUT_MS_DEFAULT;
    GOptionEntry entries[] = {
        { "topology", 't', 0, G_OPTION_ARG_STRING, &r.topology,
          "gsizes, highest level first (required)", "4.2.2.2" },
        { "address", 'a', 0, G_OPTION_ARG_STRING, &r.address,
          "initial Netsukuku address, highest level first, fully real (required)", "3.0.1.0" },
        { "interface", 'i', 0, G_OPTION_ARG_STRING_ARRAY, &r.ifaces,
          "managed interface (repeatable, order kept; at least one)", "IFACE" },
        { "linklocal", 'l', 0, G_OPTION_ARG_STRING_ARRAY, &r.lls,
          "pin the link-local address of IFACE (default: random 169.254.X.Y)", "IFACE=169.254.X.Y" },
        { "subnet-level", 's', 0, G_OPTION_ARG_INT, &r.subnet,
          "gateway of an autonomous subnet of this level (0 = none; 1..levels-1)", "N" },
        { "serve-anonymous", 'k', 0, G_OPTION_ARG_NONE, &r.serve_anon,
          "accept anonymous requests: assign the anonymising address (and NETMAP its range)", NULL },
        { "no-anonymize", 'j', 0, G_OPTION_ARG_NONE, &r.no_anon,
          "do not act as anonymising relay (no SNAT rule)", NULL },
        { "control-dir", 'c', 0, G_OPTION_ARG_FILENAME, &r.control_dir,
          "directory of cmd.fifo, the clients' rsp-<id>.fifo, qspnd.lock, qspnd.pid, qspnd.state "
          "(required; created 0700)", "DIR" },
        { "netns", 'n', 0, G_OPTION_ARG_STRING, &r.netns,
          "setns() into /run/netns/NAME before doing anything", "NAME" },
        { "rt-tables", 0, 0, G_OPTION_ARG_FILENAME, &r.rt_tables,
          "rt_tables file to append table names to (default /etc/iproute2/rt_tables)", "PATH" },
        { "log-file", 0, 0, G_OPTION_ARG_FILENAME, &r.log_file,
          "append the log to PATH instead of stderr (reopened on SIGHUP)", "PATH" },
        { "max-destinations", 0, 0, G_OPTION_ARG_STRING, &r.maxdest,
          "refuse a topology/address with more destinations (routes of table ntk) "
          "than N (default 65536, at most 16777216)", "N" },
        { "identity-ns-prefix", 0, 0, G_OPTION_ARG_STRING, &r.ns_prefix,
          "name identity namespaces PREFIX<name> (default: '<netns>-', or 'qspnd-')", "PREFIX" },
        { "hello-interval", 0, 0, G_OPTION_ARG_INT, &r.hello_ms,
          "milliseconds between HELLOs on every interface (10..10000, default 250)", "MS" },
        { "dead-interval", 0, 0, G_OPTION_ARG_INT, &r.dead_ms,
          "a neighbour silent this long is dead and its arcs go (> hello interval, "
          "at most 60000; default 1500)", "MS" },
        { "arc-timeout", 0, 0, G_OPTION_ARG_INT, &r.arc_timeout,
          "QSPN: an arc given to QSPN on one side must be given on the other side within MS "
          "(1000..120000, default 10000 as the original)", "MS" },
        { "key-file", 0, 0, G_OPTION_ARG_FILENAME, &r.key_file,
          "authenticate every message to and from neighbours with the pre-shared key in PATH "
          "(raw bytes, 16..1024; mode 0600 or 0400, owned by this user)", "PATH" },
        { "verbose", 'v', 0, G_OPTION_ARG_NONE, &r.verbose,
          "debug level: one line per kernel operation", NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    GOptionContext *ctx = g_option_context_new("- QSPN proof-of-concept daemon");
    GError *ge = NULL;
    int ret = -1;
    gchar **args = g_new0(gchar *, (gsize)argc + 1);
    for (int i = 0; i < argc; i++)
        args[i] = g_strdup(argv[i]);

    memset(o, 0, sizeof *o);
    o->cfg.anonymize = true;
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(ctx, description);
    g_option_context_set_strict_posix(ctx, FALSE);
    if (!g_option_context_parse_strv(ctx, &args, &ge)) {
        snprintf(err, errlen, "%s", ge->message);
        g_error_free(ge);
    } else if (g_strv_length(args) > 1) {
        snprintf(err, errlen, "unexpected argument '%.64s'", args[1]);
    } else if (validate(o, &r, err, errlen)) {
        ret = 0;
    } else {
        qspnd_options_clear(o);            /* what validation filled in before it failed */
    }
    g_option_context_free(ctx);
    g_strfreev(args);
    raw_clear(&r);
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
