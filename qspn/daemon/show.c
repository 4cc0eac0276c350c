/* show.c - `show` and `show --json`: the system as the model knows it (the
 * kernel is the authority; `ip`/`nft` dumps show what is really there). */
#include "show.h"

#include <string.h>

#include "jsonb.h"

/* Version of the JSON of `show --json` (docs/json-schema/show.json). */
#define QSPND_SHOW_SCHEMA_VERSION 1

static const char *kind_of(const qsys *s, const qid *q, uint32_t addr, int *level)
{
    const qspnd_config *c = &s->opt->cfg;
    *level = -1;
    if (addr == ntk_ip_localhost(&c->topo)) {
        *level = 0;
        return "internal";
    }
    if (nmsg_ll_valid(addr))
        return "linklocal";
    ntk_local_ip ips[NTK_MAX_LEVELS + 2];
    size_t n = q ? ntk_local_ips(&c->topo, &q->addr, true, ips, G_N_ELEMENTS(ips)) : 0;
    for (size_t i = 0; i < n; i++)
        if (ips[i].addr == addr) {
            if (ips[i].kind == NTK_IP_INTERNAL)
                *level = ips[i].k;
            return ntk_ip_kind_name(ips[i].kind);
        }
    return "other";
}

static void table_counts(const qns *ns, GString *s, JsonBuilder *b)
{
    GArray *seen = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    for (guint i = 0; i < ns->installed.routes->len; i++) {
        uint32_t t = g_array_index(ns->installed.routes, fib_route, i).table;
        bool have = t == FIB_TABLE_MAIN;
        for (guint j = 0; j < seen->len && !have; j++)
            have = g_array_index(seen, uint32_t, j) == t;
        if (!have)
            g_array_append_val(seen, t);
    }
    for (guint j = 0; j < seen->len; j++) {
        uint32_t t = g_array_index(seen, uint32_t, j);
        fib_table_count c = fib_count_table(&ns->installed, t);
        char name[TABLES_NAMELEN];
        qsys_table_name(ns->sys, t, name, sizeof name);
        if (s)
            g_string_append_printf(s, "  table %s id %u routes %d unreachable %d reachable %d blackhole %d\n",
                                   name, t, c.routes, c.unreachable, c.reachable, c.blackhole);
        if (b) {
            json_builder_begin_object(b);
            JSTR(b, "name", name);
            JINT(b, "id", t);
            JINT(b, "routes", c.routes);
            JINT(b, "unreachable", c.unreachable);
            JINT(b, "reachable", c.reachable);
            JINT(b, "blackhole", c.blackhole);
            json_builder_end_object(b);
        }
    }
    g_array_free(seen, TRUE);
}

static const char *iptables_form(const kop *op, char *buf, size_t len)
{
    kop_format(op, NULL, buf, len);
    const char *p = strstr(buf, "-A ");
    return p ? p : buf;
}

static void identity_text(const qsys *s, const qid *q, GString *out)
{
    char a[NTK_STRLEN], ip[NTK_STRLEN], line[KOP_STRLEN];
    const qns *ns = q->ns;
    ntk_naddr_format(&q->addr, ".", a, sizeof a);
    g_string_append_printf(out, "identity #%d %s nodeid %u address %s namespace %s", q->ident->index,
                           idm_is_main(s->idm, q->ident) ? "main" : "connectivity", q->ident->nodeid, a,
                           q->ident->ns[0] ? q->ident->ns : "default");
    if (q->conn_from)
        g_string_append_printf(out, " levels %d..%d", q->conn_from, q->conn_to);
    g_string_append_printf(out, " bootstrap %s\n", q->m && qspn_is_bootstrap_complete(q->m) ? "complete" : "in-progress");
    for (guint i = 0; ns && i < ns->installed.addrs->len; i++) {
        const fib_addr *x = &g_array_index(ns->installed.addrs, fib_addr, i);
        int level;
        const char *kind = kind_of(s, q, x->addr, &level);
        ntk_ip_format(x->addr, ip, sizeof ip);
        if (level >= 0)
            g_string_append_printf(out, "  address %s/32 dev %s kind %s level %d\n", ip, x->dev, kind, level);
        else
            g_string_append_printf(out, "  address %s/32 dev %s kind %s\n", ip, x->dev, kind);
    }
    if (ns)
        table_counts(ns, out, NULL);
    for (guint i = 0; ns && i < ns->installed.rules->len; i++) {
        const fib_rule *r = &g_array_index(ns->installed.rules, fib_rule, i);
        char name[TABLES_NAMELEN];
        qsys_table_name(ns->sys, r->table, name, sizeof name);
        if (r->fwmark)
            g_string_append_printf(out, "  rule fwmark %u table %s\n", r->fwmark, name);
        else
            g_string_append_printf(out, "  rule table %s\n", name);
    }
    for (guint i = 0; ns && i < ns->installed.nat->len; i++)
        g_string_append_printf(out, "  nat %s\n",
                               iptables_form(&g_array_index(ns->installed.nat, kop, i), line, sizeof line));
    for (guint i = 0; i < q->ident->arcs->len; i++) {
        idm_idarc *w = g_ptr_array_index(q->ident->arcs, i);
        qwarc *x = w->user;
        char mac[24];
        nmsg_mac_format(&w->peer_mac, mac, sizeof mac);
        ntk_ip_format(w->peer_ll, ip, sizeof ip);
        g_string_append_printf(out, "  identity_arc #%d to nodeid %u mac %s linklocal %s%s", w->index,
                               w->peer_nodeid, mac, ip, idm_idarc_is_main(s->idm, w) ? " main" : "");
        if (x && x->qspn)
            g_string_append_printf(out, " qspn table %d", x->tid);
        g_string_append_c(out, '\n');
    }
}

/* The QSPN counters of every identity, those already gone included. */
static qspn_stats qspn_totals(const qsys *s)
{
    qspn_stats t = s->c.retired;
    for (int i = 0; i < idm_n_identities(s->idm); i++) {
        const qid *q = idm_identity_at(s->idm, i)->user;
        if (!q || !q->m)
            continue;
        const qspn_stats *st = qspn_get_stats(q->m);
        t.etp_sent += st->etp_sent;
        t.etp_bytes += st->etp_bytes;
        t.etp_received += st->etp_received;
    }
    return t;
}

char *qsys_show_text(const qsys *s)
{
    const qspnd_options *o = s->opt;
    const qspnd_config *c = &o->cfg;
    GString *out = g_string_new(NULL);
    char t[NTK_STRLEN], ip[NTK_STRLEN];
    ntk_topology_format(&c->topo, ".", t, sizeof t);
    g_string_append_printf(out, "system netns %s topology %s subnet_level %d serve_anonymous %s "
                           "anonymize %s rt_tables %s nnid %u\n",
                           o->netns ? o->netns : "-", t, c->subnet_level, c->serve_anonymous ? "yes" : "no",
                           c->anonymize ? "yes" : "no", o->rt_tables ? o->rt_tables : "-", s->nnid);
    for (size_t i = 0; i < c->n_nics; i++) {
        ntk_ip_format(c->nics[i].linklocal, ip, sizeof ip);
        g_string_append_printf(out, "nic #%zu %s mac %s linklocal %s\n", i, c->nics[i].dev,
                               c->nics[i].mac[0] ? c->nics[i].mac : "-", ip);
    }
    const nbr_arc *arcs[256];
    int n = nbr_arcs(s->nbr, arcs, G_N_ELEMENTS(arcs));
    for (int i = 0; i < n && i < (int)G_N_ELEMENTS(arcs); i++) {
        char mac[24];
        nmsg_mac_format(&arcs[i]->peer_mac, mac, sizeof mac);
        ntk_ip_format(arcs[i]->peer_ll, ip, sizeof ip);
        qreal *r = qsys_real((qsys *)s, arcs[i]->id);
        g_string_append_printf(out, "neighbour on %s nnid %u mac %s linklocal %s rtt %lldus%s", qsys_nic_dev(s, arcs[i]->nic),
                               arcs[i]->peer_nnid, mac, ip, (long long)(arcs[i]->rtt_us < 0 ? 0 : arcs[i]->rtt_us),
                               r ? "" : " (not accepted)\n");
        if (r)
            g_string_append_printf(out, " accepted cost %uus\n", r->cost);
    }
    for (int i = 0; i < idm_n_identities(s->idm); i++) {
        idm_identity *id = idm_identity_at(s->idm, i);
        if (id->user)
            identity_text(s, id->user, out);
    }
    const nbr_stats *ns = nbr_get_stats(s->nbr);
    const tl_stats *tcp = s->tcp ? tl_get_stats(s->tcp) : NULL;
    g_string_append_printf(out,
                           "counters hello_received %" G_GUINT64_FORMAT " hello_ignored %" G_GUINT64_FORMAT
                           " udp_bad %" G_GUINT64_FORMAT " tcp_bad %" G_GUINT64_FORMAT " no_arc %" G_GUINT64_FORMAT
                           " unexpected %" G_GUINT64_FORMAT " qspn_undeliverable %" G_GUINT64_FORMAT
                           " rpc_timeouts %" G_GUINT64_FORMAT " kernel_errors %" G_GUINT64_FORMAT
                           " auth_missing %" G_GUINT64_FORMAT " auth_bad %" G_GUINT64_FORMAT
                           " auth_replay %" G_GUINT64_FORMAT " tcp_refused %" G_GUINT64_FORMAT
                           " tcp_evicted %" G_GUINT64_FORMAT " tcp_overflow %" G_GUINT64_FORMAT "\n",
                           ns->received, ns->ignored_conflict + ns->ignored_full, s->c.udp_bad, s->c.tcp_frames_bad,
                           s->c.msg_no_arc, s->c.msg_unexpected, s->c.qspn_undeliverable, s->c.rpc_timeouts,
                           s->c.kernel_errors, s->c.auth_missing, s->c.auth_bad, s->c.auth_replay,
                           tcp ? tcp->refused : 0, tcp ? tcp->evicted : 0, tcp ? tcp->stranger_overflow : 0);
    qspn_stats q = qspn_totals(s);
    g_string_append_printf(out,
                           "traffic uptime_s %" G_GINT64_FORMAT " etp_sent %" G_GUINT64_FORMAT " etp_bytes %" G_GUINT64_FORMAT
                           " etp_received %" G_GUINT64_FORMAT " tcp_frames_in %" G_GUINT64_FORMAT
                           " tcp_frames_out %" G_GUINT64_FORMAT " tcp_bytes_in %" G_GUINT64_FORMAT
                           " tcp_bytes_out %" G_GUINT64_FORMAT " kernel_ops %" G_GUINT64_FORMAT "\n",
                           (qsys_now_us() - s->started_us) / 1000000, q.etp_sent, q.etp_bytes, q.etp_received,
                           tcp ? tcp->frames_in : 0, tcp ? tcp->frames_out : 0, tcp ? tcp->bytes_in : 0,
                           tcp ? tcp->bytes_out : 0, s->c.kernel_ops);
    g_string_append_printf(out, "authentication %s\n", s->opt->key ? "hmac-sha256" : "none");
    g_string_append(out, "state running\n");
    return g_string_free(out, FALSE);
}

static void rules_json(const qns *ns, JsonBuilder *b)
{
    char name[TABLES_NAMELEN];
    json_builder_set_member_name(b, "rules");
    json_builder_begin_array(b);
    for (guint i = 0; ns && i < ns->installed.rules->len; i++) {
        const fib_rule *r = &g_array_index(ns->installed.rules, fib_rule, i);
        qsys_table_name(ns->sys, r->table, name, sizeof name);
        json_builder_begin_object(b);
        JSTR(b, "table", name);
        json_builder_set_member_name(b, "fwmark");
        if (r->fwmark)
            json_builder_add_int_value(b, r->fwmark);
        else
            json_builder_add_null_value(b);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

static void identity_json(const qsys *s, const qid *q, JsonBuilder *b)
{
    char a[NTK_STRLEN], ip[NTK_STRLEN];
    json_builder_begin_object(b);
    JINT(b, "index", q->ident->index);
    JBOOL(b, "main", idm_is_main(s->idm, q->ident));
    JINT(b, "nodeid", q->ident->nodeid);
    ntk_naddr_format(&q->addr, ".", a, sizeof a);
    JSTR(b, "address", a);
    JSTR(b, "namespace", q->ident->ns[0] ? q->ident->ns : "default");
    JINT(b, "connectivity_from", q->conn_from);
    JINT(b, "connectivity_to", q->conn_to);
    JBOOL(b, "bootstrap_complete", q->m && qspn_is_bootstrap_complete(q->m));
    json_builder_set_member_name(b, "addresses");
    json_builder_begin_array(b);
    for (guint i = 0; q->ns && i < q->ns->installed.addrs->len; i++) {
        const fib_addr *x = &g_array_index(q->ns->installed.addrs, fib_addr, i);
        int level;
        const char *kind = kind_of(s, q, x->addr, &level);
        ntk_ip_format(x->addr, ip, sizeof ip);
        json_builder_begin_object(b);
        JSTR(b, "ip", ip);
        JINT(b, "prefix", 32);
        JSTR(b, "dev", x->dev);
        JSTR(b, "kind", kind);
        json_builder_set_member_name(b, "level");
        if (level >= 0)
            json_builder_add_int_value(b, level);
        else
            json_builder_add_null_value(b);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "tables");
    json_builder_begin_array(b);
    if (q->ns)
        table_counts(q->ns, NULL, b);
    json_builder_end_array(b);
    rules_json(q->ns, b);
    json_builder_set_member_name(b, "identity_arcs");
    json_builder_begin_array(b);
    for (guint i = 0; i < q->ident->arcs->len; i++) {
        idm_idarc *w = g_ptr_array_index(q->ident->arcs, i);
        qwarc *x = w->user;
        char mac[24];
        nmsg_mac_format(&w->peer_mac, mac, sizeof mac);
        ntk_ip_format(w->peer_ll, ip, sizeof ip);
        json_builder_begin_object(b);
        JINT(b, "index", w->index);
        JINT(b, "peer_nodeid", w->peer_nodeid);
        JSTR(b, "peer_mac", mac);
        JSTR(b, "peer_linklocal", ip);
        JBOOL(b, "main", idm_idarc_is_main(s->idm, w));
        JBOOL(b, "qspn", x && x->qspn);
        JINT(b, "table", x ? x->tid : 0);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
}

static void neighbours_json(const qsys *s, JsonBuilder *b)
{
    char ip[NTK_STRLEN];
    json_builder_set_member_name(b, "neighbours");
    json_builder_begin_array(b);
    const nbr_arc *arcs[256];
    int n = nbr_arcs(s->nbr, arcs, G_N_ELEMENTS(arcs));
    for (int i = 0; i < n && i < (int)G_N_ELEMENTS(arcs); i++) {
        char mac[24];
        qreal *r = qsys_real((qsys *)s, arcs[i]->id);
        nmsg_mac_format(&arcs[i]->peer_mac, mac, sizeof mac);
        ntk_ip_format(arcs[i]->peer_ll, ip, sizeof ip);
        json_builder_begin_object(b);
        JSTR(b, "dev", qsys_nic_dev(s, arcs[i]->nic));
        JINT(b, "nnid", arcs[i]->peer_nnid);
        JSTR(b, "mac", mac);
        JSTR(b, "linklocal", ip);
        JINT(b, "rtt_us", arcs[i]->rtt_us < 0 ? 0 : arcs[i]->rtt_us);
        JBOOL(b, "accepted", r != NULL);
        JINT(b, "cost_us", r ? r->cost : 0);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

static void counters_json(const qsys *s, JsonBuilder *b)
{
    json_builder_set_member_name(b, "counters");
    json_builder_begin_object(b);
    const nbr_stats *st = nbr_get_stats(s->nbr);
    JINT(b, "hello_received", (gint64)st->received);
    JINT(b, "hello_ignored", (gint64)(st->ignored_conflict + st->ignored_full));
    JINT(b, "udp_bad", (gint64)s->c.udp_bad);
    JINT(b, "tcp_bad", (gint64)s->c.tcp_frames_bad);
    JINT(b, "no_arc", (gint64)s->c.msg_no_arc);
    JINT(b, "unexpected", (gint64)s->c.msg_unexpected);
    JINT(b, "qspn_undeliverable", (gint64)s->c.qspn_undeliverable);
    JINT(b, "rpc_timeouts", (gint64)s->c.rpc_timeouts);
    JINT(b, "kernel_errors", (gint64)s->c.kernel_errors);
    JINT(b, "auth_missing", (gint64)s->c.auth_missing);
    JINT(b, "auth_bad", (gint64)s->c.auth_bad);
    JINT(b, "auth_replay", (gint64)s->c.auth_replay);
    const tl_stats *tcp = s->tcp ? tl_get_stats(s->tcp) : NULL;
    JINT(b, "tcp_refused", tcp ? (gint64)tcp->refused : 0);
    JINT(b, "tcp_evicted", tcp ? (gint64)tcp->evicted : 0);
    JINT(b, "tcp_overflow", tcp ? (gint64)tcp->stranger_overflow : 0);
    qspn_stats q = qspn_totals(s);
    JINT(b, "uptime_s", (qsys_now_us() - s->started_us) / 1000000);
    JINT(b, "etp_sent", (gint64)q.etp_sent);
    JINT(b, "etp_bytes", (gint64)q.etp_bytes);
    JINT(b, "etp_received", (gint64)q.etp_received);
    JINT(b, "tcp_frames_in", tcp ? (gint64)tcp->frames_in : 0);
    JINT(b, "tcp_frames_out", tcp ? (gint64)tcp->frames_out : 0);
    JINT(b, "tcp_bytes_in", tcp ? (gint64)tcp->bytes_in : 0);
    JINT(b, "tcp_bytes_out", tcp ? (gint64)tcp->bytes_out : 0);
    JINT(b, "kernel_ops", (gint64)s->c.kernel_ops);
    json_builder_end_object(b);
    JBOOL(b, "authentication", s->opt->key != NULL);
}

char *qsys_show_json(const qsys *s)
{
    const qspnd_options *o = s->opt;
    const qspnd_config *c = &o->cfg;
    char t[NTK_STRLEN], ip[NTK_STRLEN], line[KOP_STRLEN];
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    /* docs/json-schema/show.json; a new field keeps the version, a changed or
     * removed one raises it */
    JINT(b, "schema_version", QSPND_SHOW_SCHEMA_VERSION);
    json_builder_set_member_name(b, "netns");
    if (o->netns)
        json_builder_add_string_value(b, o->netns);
    else
        json_builder_add_null_value(b);
    ntk_topology_format(&c->topo, ".", t, sizeof t);
    JSTR(b, "topology", t);
    JINT(b, "subnet_level", c->subnet_level);
    JBOOL(b, "serve_anonymous", c->serve_anonymous);
    JBOOL(b, "anonymize", c->anonymize);
    JSTR(b, "state", "running");
    JINT(b, "nnid", s->nnid);
    json_builder_set_member_name(b, "nics");
    json_builder_begin_array(b);
    for (size_t i = 0; i < c->n_nics; i++) {
        json_builder_begin_object(b);
        JINT(b, "index", (gint64)i);
        JSTR(b, "dev", c->nics[i].dev);
        JSTR(b, "mac", c->nics[i].mac);
        ntk_ip_format(c->nics[i].linklocal, ip, sizeof ip);
        JSTR(b, "linklocal", ip);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    neighbours_json(s, b);
    json_builder_set_member_name(b, "identities");
    json_builder_begin_array(b);
    for (int i = 0; i < idm_n_identities(s->idm); i++) {
        idm_identity *id = idm_identity_at(s->idm, i);
        if (id->user)
            identity_json(s, id->user, b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "nat");
    json_builder_begin_array(b);
    const qns *sys_ns = g_ptr_array_index(s->spaces, 0);
    for (guint i = 0; i < sys_ns->installed.nat->len; i++)
        json_builder_add_string_value(b, iptables_form(&g_array_index(sys_ns->installed.nat, kop, i), line,
                                                       sizeof line));
    json_builder_end_array(b);
    counters_json(s, b);
    return jsonb_finish(b);
}
