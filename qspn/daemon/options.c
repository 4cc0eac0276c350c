/* options.c - qspnd's command line. */
#include "options.h"

#include <stdio.h>
#include <string.h>

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

/* --max-destinations and the size of the start-up it bounds. */
static bool check_size(qspnd_options *o, const char *maxdest, const char *topology,
                       const char *address, char *err, size_t errlen)
{
    guint64 max = QSPND_MAX_DESTINATIONS_DEFAULT;
    if (maxdest && !g_ascii_string_to_unsigned(maxdest, 10, 1, QSPND_MAX_DESTINATIONS_LIMIT,
                                               &max, NULL)) {
        snprintf(err, errlen, "bad --max-destinations '%.32s' (expected 1..%d)", maxdest,
                 QSPND_MAX_DESTINATIONS_LIMIT);
        return false;
    }
    o->max_destinations = (size_t)max;
    o->n_destinations = ntk_destinations(&o->cfg.topo, &o->cfg.addr, o->cfg.subnet_level, NULL, 0);
    if (o->n_destinations > o->max_destinations) {
        snprintf(err, errlen,
                 "--topology %.64s --address %.64s has %zu destinations (routes of table ntk), "
                 "more than --max-destinations %zu",
                 topology, address, o->n_destinations, o->max_destinations);
        return false;
    }
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
    "One qspnd per network namespace and per control directory: a second one\n"
    "exits 1 without touching anything.  SIGHUP reopens the log file, SIGUSR1\n"
    "writes `show` to the log, SIGUSR2 the control-protocol counters.\n"
    "\n"
    "Exit status: 0 clean quit (quit, SIGTERM, SIGINT), 1 runtime failure\n"
    "(another qspnd owns the namespace or directory, no such interface, a kernel\n"
    "operation failed), 2 usage error (including too many destinations).\n"
    "Example:\n"
    "  qspnd --topology 4.2.2.2 --address 3.0.1.0 -i eth1 -k \\\n"
    "        --linklocal eth1=169.254.69.30 --control-dir /run/qspnd/alfa\n";

int qspnd_options_parse(int argc, char **argv, qspnd_options *o, char *err, size_t errlen)
{
    gchar *topology = NULL, *address = NULL, *control_dir = NULL, *netns = NULL;
    gchar *rt_tables = NULL, *log_file = NULL;
    gchar **ifaces = NULL, **lls = NULL, *maxdest = NULL, *ns_prefix = NULL;
    gint subnet = 0, hello_ms = QSPND_HELLO_MS_DEFAULT, dead_ms = QSPND_DEAD_MS_DEFAULT;
    gint arc_timeout = QSPND_ARC_TIMEOUT_MS_DEFAULT;
    gboolean serve_anon = FALSE, no_anon = FALSE, verbose = FALSE;
    GOptionEntry entries[] = {
        { "topology", 't', 0, G_OPTION_ARG_STRING, &topology,
          "gsizes, highest level first (required)", "4.2.2.2" },
        { "address", 'a', 0, G_OPTION_ARG_STRING, &address,
          "initial Netsukuku address, highest level first, fully real (required)", "3.0.1.0" },
        { "interface", 'i', 0, G_OPTION_ARG_STRING_ARRAY, &ifaces,
          "managed interface (repeatable, order kept; at least one)", "IFACE" },
        { "linklocal", 'l', 0, G_OPTION_ARG_STRING_ARRAY, &lls,
          "pin the link-local address of IFACE (default: random 169.254.X.Y)", "IFACE=169.254.X.Y" },
        { "subnet-level", 's', 0, G_OPTION_ARG_INT, &subnet,
          "gateway of an autonomous subnet of this level (0 = none; 1..levels-1)", "N" },
        { "serve-anonymous", 'k', 0, G_OPTION_ARG_NONE, &serve_anon,
          "accept anonymous requests: assign the anonymising address (and NETMAP its range)", NULL },
        { "no-anonymize", 'j', 0, G_OPTION_ARG_NONE, &no_anon,
          "do not act as anonymising relay (no SNAT rule)", NULL },
        { "control-dir", 'c', 0, G_OPTION_ARG_FILENAME, &control_dir,
          "directory of cmd.fifo, rsp.fifo, lock, qspnd.pid, qspnd.state (required; created 0700)",
          "DIR" },
        { "netns", 'n', 0, G_OPTION_ARG_STRING, &netns,
          "setns() into /run/netns/NAME before doing anything", "NAME" },
        { "rt-tables", 0, 0, G_OPTION_ARG_FILENAME, &rt_tables,
          "rt_tables file to append table names to (default /etc/iproute2/rt_tables)", "PATH" },
        { "log-file", 0, 0, G_OPTION_ARG_FILENAME, &log_file,
          "append the log to PATH instead of stderr", "PATH" },
        { "max-destinations", 0, 0, G_OPTION_ARG_STRING, &maxdest,
          "refuse a topology/address with more destinations (routes of table ntk) "
          "than N (default 65536, at most 16777216)", "N" },
        { "identity-ns-prefix", 0, 0, G_OPTION_ARG_STRING, &ns_prefix,
          "name identity namespaces PREFIX<name> (default: '<netns>-', or 'qspnd-')", "PREFIX" },
        { "hello-interval", 0, 0, G_OPTION_ARG_INT, &hello_ms,
          "milliseconds between HELLOs on every interface (10..10000, default 250)", "MS" },
        { "dead-interval", 0, 0, G_OPTION_ARG_INT, &dead_ms,
          "a neighbour silent this long is dead and its arcs go (> hello interval, "
          "at most 60000; default 1500)", "MS" },
        { "arc-timeout", 0, 0, G_OPTION_ARG_INT, &arc_timeout,
          "QSPN: an arc given to QSPN on one side must be given on the other side within MS "
          "(1000..120000, default 10000 as the original)", "MS" },
        { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
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
        goto out;
    }
    if (g_strv_length(args) > 1) {
        snprintf(err, errlen, "unexpected argument '%.64s'", args[1]);
        goto out;
    }
    if (!topology || !address || !control_dir || !ifaces || !ifaces[0]) {
        snprintf(err, errlen, "--topology, --address, -i and --control-dir are required");
        goto out;
    }
    char e[NTK_ERRLEN];
    if (!ntk_topology_parse(topology, &o->cfg.topo, e, sizeof e)) {
        snprintf(err, errlen, "bad --topology: %s", e);
        goto out;
    }
    if (!ntk_naddr_parse(&o->cfg.topo, address, false, &o->cfg.addr, e, sizeof e)) {
        snprintf(err, errlen, "bad --address: %s", e);
        goto out;
    }
    if (!ntk_subnet_level_valid(&o->cfg.topo, subnet, e, sizeof e)) {
        snprintf(err, errlen, "bad --subnet-level: %s", e);
        goto out;
    }
    o->cfg.subnet_level = subnet;
    if (!check_size(o, maxdest, topology, address, err, errlen))
        goto out;
    o->cfg.serve_anonymous = serve_anon;
    o->cfg.anonymize = !no_anon;
    for (gchar **p = ifaces; *p; p++) {
        if (o->cfg.n_nics >= QSPND_MAX_NICS) {
            snprintf(err, errlen, "too many interfaces (at most %d)", QSPND_MAX_NICS);
            goto out;
        }
        if (!valid_ifname(*p)) {
            snprintf(err, errlen, "bad interface name '%.32s'", *p);
            goto out;
        }
        for (size_t i = 0; i < o->cfg.n_nics; i++)
            if (strcmp(o->cfg.nics[i].dev, *p) == 0) {
                snprintf(err, errlen, "interface %s given twice", *p);
                goto out;
            }
        g_strlcpy(o->cfg.nics[o->cfg.n_nics].dev, *p, KOP_DEVLEN);
        o->cfg.n_nics++;
    }
    for (gchar **p = lls; p && *p; p++) {
        const char *eq = strchr(*p, '=');
        ntk_cidr c;
        size_t i;
        if (!eq || strchr(eq + 1, '/') || !ntk_cidr_parse(eq + 1, &c) ||
            (c.addr & 0xffff0000u) != 0xa9fe0000u) {
            snprintf(err, errlen, "bad --linklocal '%.64s' (IFACE=169.254.X.Y)", *p);
            goto out;
        }
        for (i = 0; i < o->cfg.n_nics; i++)
            if (strlen(o->cfg.nics[i].dev) == (size_t)(eq - *p) &&
                strncmp(o->cfg.nics[i].dev, *p, (size_t)(eq - *p)) == 0)
                break;
        if (i == o->cfg.n_nics) {
            snprintf(err, errlen, "--linklocal for an interface not given with -i: '%.64s'", *p);
            goto out;
        }
        o->cfg.nics[i].linklocal = c.addr;
    }
    for (size_t i = 0; i < o->cfg.n_nics; i++)
        if (o->cfg.nics[i].linklocal == 0)
            o->cfg.nics[i].linklocal = 0xa9fe0000u | ((uint32_t)g_random_int_range(1, 255) << 8) |
                                       (uint32_t)g_random_int_range(0, 255);
    if (netns && !qspnd_netns_name_valid(netns)) {
        snprintf(err, errlen, "bad --netns name");
        goto out;
    }
    if (hello_ms < 10 || hello_ms > 10000 || dead_ms <= hello_ms || dead_ms > 60000) {
        snprintf(err, errlen, "bad --hello-interval %d / --dead-interval %d (10..10000, and "
                 "hello < dead <= 60000)", hello_ms, dead_ms);
        goto out;
    }
    if (arc_timeout < 1000 || arc_timeout > 120000) {
        snprintf(err, errlen, "bad --arc-timeout %d (1000..120000)", arc_timeout);
        goto out;
    }
    o->arc_timeout_ms = (uint32_t)arc_timeout;
    o->hello_ms = (uint32_t)hello_ms;
    o->dead_ms = (uint32_t)dead_ms;
    {
        gchar *pfx = ns_prefix ? g_strdup(ns_prefix)
                               : g_strdup_printf("%s-", netns ? netns : "qspnd");
        if (strlen(pfx) > 40 || (pfx[0] && !qspnd_netns_name_valid(pfx))) {
            snprintf(err, errlen, "bad --identity-ns-prefix '%.48s'", pfx);
            g_free(pfx);
            goto out;
        }
        o->identity_ns_prefix = pfx;
    }
    o->control_dir = g_strdup(control_dir);
    o->netns = g_strdup(netns);
    o->rt_tables = g_strdup(rt_tables ? rt_tables : "/etc/iproute2/rt_tables");
    o->log_file = g_strdup(log_file);
    o->verbose = verbose;
    ret = 0;
out:
    g_option_context_free(ctx);
    g_strfreev(args);
    g_free(topology);
    g_free(address);
    g_free(control_dir);
    g_free(netns);
    g_free(rt_tables);
    g_free(log_file);
    g_free(maxdest);
    g_free(ns_prefix);
    g_strfreev(ifaces);
    g_strfreev(lls);
    return ret;
}

void qspnd_options_clear(qspnd_options *o)
{
    g_free(o->control_dir);
    g_free(o->netns);
    g_free(o->rt_tables);
    g_free(o->log_file);
    g_free(o->identity_ns_prefix);
    memset(o, 0, sizeof *o);
}
