/* show_json.c - `--json` of the original print-outs (printouts.c): the same
 * facts, one JSON object per reply, described by docs/json-schema/<command>.json
 * (schema_version 1; a new field keeps the version, a changed or removed one
 * raises it).  Addresses are written as in `show --json`: dotted, highest level
 * first; per-level arrays (elderships) have the index = the level. */
#include "show.h"

#include <string.h>

#include "jsonb.h"

#define QSPND_COMMANDS_SCHEMA_VERSION 1

static JsonBuilder *begin(const char *command)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    JINT(b, "schema_version", QSPND_COMMANDS_SCHEMA_VERSION);
    JSTR(b, "command", command);
    return b;
}

static char *finish(JsonBuilder *b)
{
    json_builder_end_object(b);
    JsonGenerator *g = json_generator_new();
    JsonNode *root = json_builder_get_root(b);
    json_generator_set_root(g, root);
    gchar *out = json_generator_to_data(g, NULL);
    json_node_unref(root);
    g_object_unref(g);
    g_object_unref(b);
    return out;
}

static void jmac(JsonBuilder *b, const char *k, const nmsg_mac *m)
{
    char mac[24];
    nmsg_mac_format(m, mac, sizeof mac);
    JSTR(b, k, mac);
}

static void jip(JsonBuilder *b, const char *k, uint32_t ip)
{
    char s[NTK_STRLEN];
    ntk_ip_format(ip, s, sizeof s);
    JSTR(b, k, s);
}

static void jlevels(JsonBuilder *b, const char *k, const uint32_t *v, int n)
{
    json_builder_set_member_name(b, k);
    json_builder_begin_array(b);
    for (int j = 0; j < n; j++)
        json_builder_add_int_value(b, v[j]);
    json_builder_end_array(b);
}

char *qspnd_json_handlednics(const qspnd_config *c)
{
    JsonBuilder *b = begin("show_handlednics");
    json_builder_set_member_name(b, "nics");
    json_builder_begin_array(b);
    for (size_t i = 0; i < c->n_nics; i++) {
        json_builder_begin_object(b);
        JINT(b, "index", (gint64)i);
        JSTR(b, "dev", c->nics[i].dev);
        JSTR(b, "mac", c->nics[i].mac);
        jip(b, "linklocal", c->nics[i].linklocal);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    return finish(b);
}

static void arc_object(const qsys *s, JsonBuilder *b, int nic, const nmsg_mac *peer, uint32_t ll, gint64 cost)
{
    json_builder_begin_object(b);
    JSTR(b, "dev", qsys_nic_dev(s, nic));
    jmac(b, "my_mac", &nbr_nic_at(s->nbr, nic)->mac);
    jmac(b, "peer_mac", peer);
    jip(b, "peer_linklocal", ll);
    JINT(b, "cost_us", cost);
    json_builder_end_object(b);
}

char *qsys_json_neighborhood_arcs(const qsys *s)
{
    JsonBuilder *b = begin("show_neighborhood_arcs");
    const nbr_arc *arcs[256];
    int n = nbr_arcs(s->nbr, arcs, G_N_ELEMENTS(arcs));
    json_builder_set_member_name(b, "arcs");
    json_builder_begin_array(b);
    for (int i = 0; i < n && i < (int)G_N_ELEMENTS(arcs); i++)
        arc_object(s, b, arcs[i]->nic, &arcs[i]->peer_mac, arcs[i]->peer_ll,
                   arcs[i]->rtt_us < 0 ? 0 : arcs[i]->rtt_us);
    json_builder_end_array(b);
    return finish(b);
}

char *qsys_json_real_arcs(const qsys *s)
{
    JsonBuilder *b = begin("show_real_arcs");
    json_builder_set_member_name(b, "arcs");
    json_builder_begin_array(b);
    for (guint i = 0; i < s->reals->len; i++) {
        const qreal *r = g_ptr_array_index(s->reals, i);
        arc_object(s, b, r->nic, &r->peer_mac, r->peer_ll, r->cost);
    }
    json_builder_end_array(b);
    return finish(b);
}

/* One level of show_local_identities: fingerprint and nodes inside, or nulls
 * while the bootstrap is in progress. */
static void level_json(const qid *q, int j, JsonBuilder *b)
{
    int l = q->addr.levels;
    qspn_fp fp;
    uint32_t nn = 0;
    bool known = q->m && qspn_get_fingerprint(q->m, j, &fp) == QSPN_OK &&
                 qspn_get_nodes_inside(q->m, j, &nn) == QSPN_OK;
    json_builder_begin_object(b);
    JINT(b, "level", j);
    JBOOL(b, "bootstrap_in_progress", !known);
    if (known) {
        char id[24];
        g_snprintf(id, sizeof id, "%" G_GUINT64_FORMAT, (guint64)fp.id);
        JSTR(b, "fingerprint", id);
        int ne = l - fp.level, ns = fp.level;
        jlevels(b, "elderships", fp.eld, CLAMP(ne, 0, QSPN_MAX_LEVELS));
        jlevels(b, "elderships_seed", fp.seed, CLAMP(ns, 0, QSPN_MAX_LEVELS));
        JINT(b, "nodes_inside", nn);
    } else {
        JNULL(b, "fingerprint");
        JNULL(b, "elderships");
        JNULL(b, "elderships_seed");
        JNULL(b, "nodes_inside");
    }
    json_builder_end_object(b);
}

static void local_identity_json(const qsys *s, const qid *q, JsonBuilder *b)
{
    char a[NTK_STRLEN];
    json_builder_begin_object(b);
    JINT(b, "index", q->ident->index);
    JINT(b, "nodeid", q->ident->nodeid);
    JBOOL(b, "main", idm_is_main(s->idm, q->ident));
    JINT(b, "connectivity_from", q->conn_from);
    JINT(b, "connectivity_to", q->conn_to);
    ntk_naddr_format(&q->addr, ".", a, sizeof a);
    JSTR(b, "address", a);
    jlevels(b, "elderships", q->eld, CLAMP(q->addr.levels, 0, NTK_MAX_LEVELS));
    JSTR(b, "namespace", q->ident->ns[0] ? q->ident->ns : "default");
    json_builder_set_member_name(b, "levels");
    json_builder_begin_array(b);
    for (int j = 0; j <= q->addr.levels; j++)
        level_json(q, j, b);
    json_builder_end_array(b);
    json_builder_end_object(b);
}

char *qsys_json_local_identities(const qsys *s)
{
    JsonBuilder *b = begin("show_local_identities");
    json_builder_set_member_name(b, "identities");
    json_builder_begin_array(b);
    for (int i = 0; i < idm_n_identities(s->idm); i++) {
        idm_identity *id = idm_identity_at(s->idm, i);
        if (id->user)
            local_identity_json(s, id->user, b);
    }
    json_builder_end_array(b);
    return finish(b);
}

static void identity_arc_json(const idm_idarc *w, JsonBuilder *b)
{
    const qwarc *a = w->user;
    char name[TABLES_NAMELEN];
    json_builder_begin_object(b);
    JINT(b, "index", w->index);
    JINT(b, "from_nodeid", w->owner->nodeid);
    JINT(b, "to_nodeid", w->peer_nodeid);
    jmac(b, "peer_mac", &w->peer_mac);
    jip(b, "peer_linklocal", w->peer_ll);
    bool qspn = a && a->qspn;
    JBOOL(b, "qspn_arc", qspn);
    if (a && a->tid > 0) {
        ntk_naddr peer;
        bool known = qspn && a->owner && a->owner->m && qspn_get_naddr_for_arc(a->owner->m, (void *)a, &peer);
        tables_name(&a->tmac, name, sizeof name);
        JSTR(b, "tablename", name);
        JINT(b, "tid", a->tid);
        JBOOL(b, "rule_added", known);
    } else {
        JNULL(b, "tablename");
        JNULL(b, "tid");
        JNULL(b, "rule_added");
    }
    if (a && a->has_prev) {
        jmac(b, "prev_peer_mac", &a->prev_mac);
        tables_name(&a->prev_mac, name, sizeof name);
        JSTR(b, "prev_tablename", name);
        JINT(b, "prev_tid", a->prev_tid);
    } else {
        JNULL(b, "prev_peer_mac");
        JNULL(b, "prev_tablename");
        JNULL(b, "prev_tid");
    }
    json_builder_end_object(b);
}

char *qsys_json_identity_arcs(const qsys *s, const qid *q)
{
    JsonBuilder *b = begin("show_identity_arcs");
    JINT(b, "local_identity", q->ident->index);
    json_builder_set_member_name(b, "identity_arcs");
    json_builder_begin_array(b);
    for (guint i = 0; i < q->ident->arcs->len; i++)
        identity_arc_json(g_ptr_array_index(q->ident->arcs, i), b);
    json_builder_end_array(b);
    return finish(b);
}

static void qspn_arcs_json(const qsys *s, const qid *q, JsonBuilder *b)
{
    char a[NTK_STRLEN];
    void *arcs[256];
    int n = q->m ? qspn_current_arcs(q->m, arcs, G_N_ELEMENTS(arcs)) : 0;
    json_builder_set_member_name(b, "qspn_arcs");
    json_builder_begin_array(b);
    for (int i = 0; i < n && i < (int)G_N_ELEMENTS(arcs); i++) {
        ntk_naddr peer;
        qwarc *x = arcs[i];
        const qreal *r = x && x->w ? qsys_real((qsys *)s, x->w->arc) : NULL;
        json_builder_begin_object(b);
        JINT(b, "arc_id", qspn_arc_id(q->m, arcs[i]));
        if (qspn_get_naddr_for_arc(q->m, arcs[i], &peer)) {
            ntk_naddr_format(&peer, ".", a, sizeof a);
            JSTR(b, "peer_address", a);
        } else {
            JNULL(b, "peer_address");
        }
        JINT(b, "cost_us", x && x->w ? qsys_arc_cost((qsys *)s, x->w->arc) : 0);
        if (r) {
            JSTR(b, "dev", qsys_nic_dev(s, r->nic));
            jmac(b, "peer_mac", &x->w->peer_mac);
        } else {
            JNULL(b, "dev");
            JNULL(b, "peer_mac");
        }
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

static void paths_json(const qid *q, ntk_hcoord d, JsonBuilder *b)
{
    qspn_path_view v[16];
    int np = qspn_get_paths_to(q->m, d, v, G_N_ELEMENTS(v));
    json_builder_begin_object(b);
    JINT(b, "level", d.lvl);
    JINT(b, "pos", d.pos);
    json_builder_set_member_name(b, "paths");
    json_builder_begin_array(b);
    for (int p = 0; p < np && p < (int)G_N_ELEMENTS(v); p++) {
        json_builder_begin_object(b);
        JINT(b, "cost_us", v[p].cost);
        JINT(b, "arc_id", qspn_arc_id(q->m, v[p].arc));
        json_builder_set_member_name(b, "hops");
        json_builder_begin_array(b);
        for (int h = 0; h < v[p].n_hops; h++) {
            json_builder_begin_object(b);
            JINT(b, "level", v[p].hops[h].lvl);
            JINT(b, "pos", v[p].hops[h].pos);
            JINT(b, "arc_id", v[p].hops[h].arc_id);
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
}

char *qsys_json_qspn_data(const qsys *s, const qid *q)
{
    char a[NTK_STRLEN];
    JsonBuilder *b = begin("show_qspn_data");
    JINT(b, "local_identity", q->ident->index);
    JINT(b, "nodeid", q->ident->nodeid);
    JBOOL(b, "main", idm_is_main(s->idm, q->ident));
    ntk_naddr_format(&q->addr, ".", a, sizeof a);
    JSTR(b, "address", a);
    ntk_topology_format(&s->opt->cfg.topo, ".", a, sizeof a);
    JSTR(b, "topology", a);
    JSTR(b, "namespace", q->ident->ns[0] ? q->ident->ns : "default");
    JBOOL(b, "bootstrap_complete", q->m && qspn_is_bootstrap_complete(q->m));
    qspn_arcs_json(s, q, b);
    json_builder_set_member_name(b, "destinations");
    json_builder_begin_array(b);
    for (int lvl = 0; q->m && lvl < q->addr.levels; lvl++) {
        ntk_hcoord d[512];
        int nd = qspn_get_known_destinations(q->m, lvl, d, G_N_ELEMENTS(d));
        for (int i = 0; i < nd && i < (int)G_N_ELEMENTS(d); i++)
            paths_json(q, d[i], b);
    }
    json_builder_end_array(b);
    return finish(b);
}
