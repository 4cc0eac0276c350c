/* runtime.c - qspnd's running state: start-up, teardown, control commands. */
#include "runtime.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#define G_LOG_DOMAIN_D "qspnd"

bool qspnd_read_macs(qspnd *d, char *err, size_t errlen)
{
    for (size_t i = 0; i < d->opt.cfg.n_nics; i++) {
        qspnd_nic *n = &d->opt.cfg.nics[i];
        if (!kernel_link_mac(d->k, n->dev, n->mac, sizeof n->mac)) {
            snprintf(err, errlen, "no such interface '%s' (or it has no MAC address)", n->dev);
            return false;
        }
    }
    return true;
}

int qspnd_start(qspnd *d, char *err, size_t errlen)
{
    size_t done = 0;
    if (!d->startup)
        d->startup = plan_startup(&d->opt.cfg);
    int rc = kernel_apply_cancellable(d->k, (const kop *)d->startup->data, d->startup->len, &done,
                                      d->cancel, err, errlen);
    if (rc != 0) {
        GArray *rb = plan_rollback((const kop *)d->startup->data, done);
        char e2[256];
        g_log_structured(G_LOG_DOMAIN_D, G_LOG_LEVEL_WARNING, "MESSAGE",
                         "start-up %s after %zu of %u operations; rolling back",
                         rc == KERNEL_CANCELLED ? "interrupted by a signal" : "failed", done,
                         d->startup->len);
        (void)kernel_apply(d->k, (const kop *)rb->data, rb->len, NULL, e2, sizeof e2);
        g_array_free(rb, TRUE);
        return rc == KERNEL_CANCELLED ? KERNEL_CANCELLED : -1;
    }
    d->started = true;
    return 0;
}

static bool same_record(const state_record *a, const state_record *b)
{
    GString *x = g_string_new(NULL), *y = g_string_new(NULL);
    state_record_format(a, x);
    state_record_format(b, y);
    bool same = g_string_equal(x, y);
    g_string_free(x, TRUE);
    g_string_free(y, TRUE);
    return same;
}

bool qspnd_state_record(qspnd *d, const state_record *r, GError **error)
{
    if (!d->state)
        d->state = g_array_new(FALSE, TRUE, sizeof(state_record));
    g_array_append_val(d->state, *r);
    if (d->state_path && !state_file_write(d->state_path, d->state, error)) {
        g_array_remove_index(d->state, d->state->len - 1);
        return false;
    }
    return true;
}

bool qspnd_state_forget(qspnd *d, const state_record *r, GError **error)
{
    for (guint i = 0; d->state && i < d->state->len; i++)
        if (same_record(&g_array_index(d->state, state_record, i), r)) {
            g_array_remove_index(d->state, i);
            return !d->state_path || state_file_write(d->state_path, d->state, error);
        }
    return true;
}

int qspnd_teardown(qspnd *d)
{
    char err[256];
    if (!d->started)
        return 0;
    d->started = false;
    GArray *td = plan_teardown(&d->opt.cfg);
    int rc = kernel_apply(d->k, (const kop *)td->data, td->len, NULL, err, sizeof err);
    g_array_free(td, TRUE);
    if (rc != 0)
        g_log_structured(G_LOG_DOMAIN_D, G_LOG_LEVEL_WARNING, "MESSAGE", "teardown: %s", err);
    return rc;
}

/* ---- model for show ------------------------------------------------------- */

typedef struct {
    const char *dev;
    uint32_t addr;
    const char *kind;           /* "linklocal", "global", "anonymous", "internal" */
    int level;                  /* internal level, -1 otherwise */
} own_addr;

static GArray *own_addresses(const qspnd *d)
{
    const qspnd_config *c = &d->opt.cfg;
    GArray *a = g_array_new(FALSE, TRUE, sizeof(own_addr));
    own_addr x = { "lo", ntk_ip_localhost(&c->topo), "internal", 0 };
    ntk_local_ip ips[NTK_MAX_LEVELS + 2];
    size_t n = ntk_local_ips(&c->topo, &c->addr, c->serve_anonymous, ips, G_N_ELEMENTS(ips));

    g_array_append_val(a, x);
    for (size_t i = 0; i < c->n_nics; i++) {
        own_addr l = { c->nics[i].dev, c->nics[i].linklocal, "linklocal", -1 };
        g_array_append_val(a, l);
    }
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < c->n_nics; i++) {
            own_addr o = { c->nics[i].dev, ips[j].addr, ntk_ip_kind_name(ips[j].kind),
                           ips[j].kind == NTK_IP_INTERNAL ? ips[j].k : -1 };
            g_array_append_val(a, o);
        }
    return a;
}

static size_t n_dests(const qspnd *d)
{
    const qspnd_config *c = &d->opt.cfg;
    size_t max = ntk_destinations_max(&c->topo);
    ntk_dest *v = g_new0(ntk_dest, max ? max : 1);
    size_t n = ntk_destinations(&c->topo, &c->addr, c->subnet_level, v, max);
    g_free(v);
    return n;
}

static const char *iptables_form(const kop *op, char *buf, size_t len)
{
    /* "iptables -t nat -A CHAIN ..." -> "-A CHAIN ..." */
    kop_format(op, NULL, buf, len);
    const char *p = strstr(buf, "-A ");
    return p ? p : buf;
}

char *qspnd_show_text(const qspnd *d)
{
    const qspnd_config *c = &d->opt.cfg;
    GString *s = g_string_new(NULL);
    char t[NTK_STRLEN], a[NTK_STRLEN], ip[NTK_STRLEN], line[KOP_STRLEN];

    ntk_topology_format(&c->topo, ".", t, sizeof t);
    ntk_naddr_format(&c->addr, ".", a, sizeof a);
    g_string_append_printf(s, "system netns %s topology %s subnet_level %d serve_anonymous %s "
                           "anonymize %s rt_tables %s\n",
                           d->opt.netns ? d->opt.netns : "-", t, c->subnet_level,
                           c->serve_anonymous ? "yes" : "no", c->anonymize ? "yes" : "no",
                           d->opt.rt_tables ? d->opt.rt_tables : "-");
    for (size_t i = 0; i < c->n_nics; i++) {
        ntk_ip_format(c->nics[i].linklocal, ip, sizeof ip);
        g_string_append_printf(s, "nic #%zu %s mac %s linklocal %s\n", i, c->nics[i].dev,
                               c->nics[i].mac[0] ? c->nics[i].mac : "-", ip);
    }
    g_string_append_printf(s, "identity #0 main nodeid %u address %s namespace default\n",
                           d->nodeid, a);
    GArray *own = own_addresses(d);
    for (guint i = 0; i < own->len; i++) {
        const own_addr *o = &g_array_index(own, own_addr, i);
        ntk_ip_format(o->addr, ip, sizeof ip);
        if (o->level >= 0)
            g_string_append_printf(s, "  address %s/32 dev %s kind %s level %d\n", ip, o->dev,
                                   o->kind, o->level);
        else
            g_string_append_printf(s, "  address %s/32 dev %s kind %s\n", ip, o->dev, o->kind);
    }
    g_array_free(own, TRUE);
    size_t nd = n_dests(d);
    g_string_append_printf(s, "  table %s id %d routes %zu unreachable %zu reachable 0 blackhole 0\n",
                           QSPND_TABLE_NTK_NAME, KERNEL_TABLE_NTK, nd, nd);
    g_string_append_printf(s, "  rule table %s\n", QSPND_TABLE_NTK_NAME);
    if (d->startup)
        for (guint i = 0; i < d->startup->len; i++) {
            const kop *op = &g_array_index(d->startup, kop, i);
            if (op->type == KOP_NAT_ADD)
                g_string_append_printf(s, "  nat %s\n", iptables_form(op, line, sizeof line));
        }
    g_string_append_printf(s, "state %s\n", d->started ? "running" : "stopped");
    return g_string_free(s, FALSE);
}

char *qspnd_show_json(const qspnd *d)
{
    const qspnd_config *c = &d->opt.cfg;
    char t[NTK_STRLEN], a[NTK_STRLEN], ip[NTK_STRLEN], line[KOP_STRLEN];
    JsonBuilder *b = json_builder_new();

    ntk_topology_format(&c->topo, ".", t, sizeof t);
    ntk_naddr_format(&c->addr, ".", a, sizeof a);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "netns");
    if (d->opt.netns)
        json_builder_add_string_value(b, d->opt.netns);
    else
        json_builder_add_null_value(b);
    json_builder_set_member_name(b, "topology");
    json_builder_add_string_value(b, t);
    json_builder_set_member_name(b, "subnet_level");
    json_builder_add_int_value(b, c->subnet_level);
    json_builder_set_member_name(b, "serve_anonymous");
    json_builder_add_boolean_value(b, c->serve_anonymous);
    json_builder_set_member_name(b, "anonymize");
    json_builder_add_boolean_value(b, c->anonymize);
    json_builder_set_member_name(b, "state");
    json_builder_add_string_value(b, d->started ? "running" : "stopped");

    json_builder_set_member_name(b, "nics");
    json_builder_begin_array(b);
    for (size_t i = 0; i < c->n_nics; i++) {
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "index");
        json_builder_add_int_value(b, (gint64)i);
        json_builder_set_member_name(b, "dev");
        json_builder_add_string_value(b, c->nics[i].dev);
        json_builder_set_member_name(b, "mac");
        json_builder_add_string_value(b, c->nics[i].mac);
        json_builder_set_member_name(b, "linklocal");
        ntk_ip_format(c->nics[i].linklocal, ip, sizeof ip);
        json_builder_add_string_value(b, ip);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);

    json_builder_set_member_name(b, "identities");
    json_builder_begin_array(b);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "index");
    json_builder_add_int_value(b, 0);
    json_builder_set_member_name(b, "main");
    json_builder_add_boolean_value(b, TRUE);
    json_builder_set_member_name(b, "nodeid");
    json_builder_add_int_value(b, d->nodeid);
    json_builder_set_member_name(b, "address");
    json_builder_add_string_value(b, a);
    json_builder_set_member_name(b, "namespace");
    json_builder_add_string_value(b, "default");
    json_builder_set_member_name(b, "addresses");
    json_builder_begin_array(b);
    GArray *own = own_addresses(d);
    for (guint i = 0; i < own->len; i++) {
        const own_addr *o = &g_array_index(own, own_addr, i);
        ntk_ip_format(o->addr, ip, sizeof ip);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "ip");
        json_builder_add_string_value(b, ip);
        json_builder_set_member_name(b, "prefix");
        json_builder_add_int_value(b, 32);
        json_builder_set_member_name(b, "dev");
        json_builder_add_string_value(b, o->dev);
        json_builder_set_member_name(b, "kind");
        json_builder_add_string_value(b, o->kind);
        json_builder_set_member_name(b, "level");
        if (o->level >= 0)
            json_builder_add_int_value(b, o->level);
        else
            json_builder_add_null_value(b);
        json_builder_end_object(b);
    }
    g_array_free(own, TRUE);
    json_builder_end_array(b);

    size_t nd = n_dests(d);
    json_builder_set_member_name(b, "tables");
    json_builder_begin_array(b);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, QSPND_TABLE_NTK_NAME);
    json_builder_set_member_name(b, "id");
    json_builder_add_int_value(b, KERNEL_TABLE_NTK);
    json_builder_set_member_name(b, "routes");
    json_builder_add_int_value(b, (gint64)nd);
    json_builder_set_member_name(b, "unreachable");
    json_builder_add_int_value(b, (gint64)nd);
    json_builder_set_member_name(b, "reachable");
    json_builder_add_int_value(b, 0);
    json_builder_set_member_name(b, "blackhole");
    json_builder_add_int_value(b, 0);
    json_builder_end_object(b);
    json_builder_end_array(b);

    json_builder_set_member_name(b, "rules");
    json_builder_begin_array(b);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "table");
    json_builder_add_string_value(b, QSPND_TABLE_NTK_NAME);
    json_builder_set_member_name(b, "fwmark");
    json_builder_add_null_value(b);
    json_builder_end_object(b);
    json_builder_end_array(b);
    json_builder_end_object(b);   /* identity */
    json_builder_end_array(b);    /* identities */

    json_builder_set_member_name(b, "nat");
    json_builder_begin_array(b);
    if (d->startup)
        for (guint i = 0; i < d->startup->len; i++) {
            const kop *op = &g_array_index(d->startup, kop, i);
            if (op->type == KOP_NAT_ADD)
                json_builder_add_string_value(b, iptables_form(op, line, sizeof line));
        }
    json_builder_end_array(b);
    json_builder_end_object(b);

    JsonGenerator *g = json_generator_new();
    JsonNode *root = json_builder_get_root(b);
    json_generator_set_root(g, root);
    json_generator_set_pretty(g, FALSE);
    gchar *out = json_generator_to_data(g, NULL);
    json_node_unref(root);
    g_object_unref(g);
    g_object_unref(b);
    return out;
}

/* ---- commands ------------------------------------------------------------- */

static bool cmd_quit(int argc, char **argv, GString *out, GString *err, void *user)
{
    qspnd *d = user;
    if (d->srv)
        control_server_stop(d->srv);       /* no more commands; cmd.fifo unlinked */
    int rc = qspnd_teardown(d);
    d->exit_code = rc == 0 ? 0 : 1;
    if (d->loop)
        g_main_loop_quit(d->loop);
    if (rc != 0) {
        g_string_append(err, "teardown incomplete (see the log)");
        return false;
    }
    return true;
}

static bool cmd_show(int argc, char **argv, GString *out, GString *err, void *user)
{
    qspnd *d = user;
    gchar *s;
    if (argc == 2) {
        if (strcmp(argv[1], "--json") != 0) {
            g_string_append(err, "unknown option for show (usage: show [--json])");
            return false;
        }
        s = qspnd_show_json(d);
        g_string_append(out, s);
        g_string_append_c(out, '\n');
    } else {
        s = qspnd_show_text(d);
        g_string_append(out, s);
    }
    g_free(s);
    return true;
}

static bool cmd_show_handlednics(int argc, char **argv, GString *out, GString *err, void *user)
{
    qspnd *d = user;
    char ip[NTK_STRLEN];
    for (size_t i = 0; i < d->opt.cfg.n_nics; i++) {
        const qspnd_nic *n = &d->opt.cfg.nics[i];
        ntk_ip_format(n->linklocal, ip, sizeof ip);
        g_string_append_printf(out, "handlednics: #%zu: %s = %s (has %s).\n", i, n->dev,
                               n->mac[0] ? n->mac : "-", ip);
    }
    return true;
}

static bool cmd_show_local_identities(int argc, char **argv, GString *out, GString *err,
                                      void *user)
{
    qspnd *d = user;
    const qspnd_config *c = &d->opt.cfg;
    char a[NTK_STRLEN];
    GString *eld = g_string_new(NULL);
    ntk_naddr_format(&c->addr, ":", a, sizeof a);
    for (int i = 0; i < c->topo.levels; i++)
        g_string_append(eld, i ? ":0" : "0");
    g_string_append_printf(out,
                           "local_identity #0 (nodeid %u):\n"
                           "    main,\n"
                           "    address %s, elderships %s, namespace default,\n",
                           d->nodeid, a, eld->str);
    g_string_free(eld, TRUE);
    return true;
}

static bool cmd_help(int argc, char **argv, GString *out, GString *err, void *user);

static const control_command commands[] = {
    { .name = "quit", .fn = cmd_quit, .usage = "quit",
      .help = "remove everything qspnd added to the kernel and exit" },
    { .name = "show", .max_args = 1, .fn = cmd_show, .usage = "show [--json]",
      .help = "the whole state (identities, addresses, tables, rules, NAT)" },
    { .name = "show_handlednics", .fn = cmd_show_handlednics, .usage = "show_handlednics",
      .help = "managed interfaces" },
    { .name = "show_local_identities", .fn = cmd_show_local_identities,
      .usage = "show_local_identities", .help = "local identities" },
    { .name = "help", .fn = cmd_help, .usage = "help", .help = "this list" },
};

static bool cmd_help(int argc, char **argv, GString *out, GString *err, void *user)
{
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
        g_string_append_printf(out, "%-24s %s\n", commands[i].usage, commands[i].help);
    return true;
}

const control_command *qspnd_command_table(size_t *n)
{
    *n = G_N_ELEMENTS(commands);
    return commands;
}
