/* printouts.c - the original program's print-outs (behaviour.md §7.3): the
 * replies of show_local_identities, show_identity_arcs, show_neighborhood_arcs,
 * show_real_arcs and show_qspn_data. */
#include "show.h"

#include <string.h>

static void join_levels(GString *out, const uint32_t *v, int from, int to)
{
    for (int j = to; j >= from; j--)
        g_string_append_printf(out, "%s%u", j == to ? "" : ":", v[j]);
}

void print_local_identity(const qsys *s, const qid *q, GString *out)
{
    char a[NTK_STRLEN];
    int l = q->addr.levels;
    g_string_append_printf(out, "local_identity #%d (nodeid %u):\n", q->ident->index, q->ident->nodeid);
    if (idm_is_main(s->idm, q->ident))
        g_string_append(out, "    main,\n");
    else
        g_string_append_printf(out, "    connectivity from level %d to level %d,\n", q->conn_from, q->conn_to);
    ntk_naddr_format(&q->addr, ":", a, sizeof a);
    g_string_append_printf(out, "    address %s, elderships ", a);
    join_levels(out, q->eld, 0, l - 1);
    g_string_append_printf(out, ", namespace %s,\n", q->ident->ns[0] ? q->ident->ns : "default");
    for (int j = 0; j <= l; j++) {
        qspn_fp fp;
        uint32_t nn = 0;
        if (!q->m || qspn_get_fingerprint(q->m, j, &fp) != QSPN_OK ||
            qspn_get_nodes_inside(q->m, j, &nn) != QSPN_OK) {
            g_string_append_printf(out, "    Level %d: <BootstrapInProgress>\n", j);
            continue;
        }
        if (j == 0) {
            g_string_append_printf(out, "    Level 0: Fingerprint %" G_GUINT64_FORMAT ". Nodes inside #%u.\n",
                                   (guint64)fp.id, nn);
            continue;
        }
        g_string_append_printf(out, "    Level %d: Fingerprint %" G_GUINT64_FORMAT ", elderships ", j,
                               (guint64)fp.id);
        join_levels(out, fp.eld, 0, l - fp.level - 1);
        g_string_append(out, ", elderships-seed ");
        if (fp.level > 0)
            join_levels(out, fp.seed, 0, fp.level - 1);
        g_string_append_printf(out, ". Nodes inside #%u.\n", nn);
    }
}

void print_identity_arc(const qsys *s, const idm_idarc *w, GString *out)
{
    const qwarc *a = w->user;
    char mac[24], ll[NTK_STRLEN];
    nmsg_mac_format(&w->peer_mac, mac, sizeof mac);
    ntk_ip_format(w->peer_ll, ll, sizeof ll);
    g_string_append_printf(out,
                           "identity_arc #%d of local_identity #%d:\n"
                           "    from nodeid %u to nodeid %u\n"
                           "    id_arc.get_peer_mac() = %s\n"
                           "    id_arc.get_peer_linklocal() = %s\n"
                           "    peer_mac = %s\n"
                           "    peer_linklocal = %s\n",
                           w->index, w->owner->index, w->owner->nodeid, w->peer_nodeid, mac, ll, mac, ll);
    bool qspn = a && a->qspn;
    g_string_append_printf(out, "    qspn_arc = %s\n", qspn ? "present" : "null");
    if (a && a->tid > 0) {
        char name[TABLES_NAMELEN];
        tables_name(&a->tmac, name, sizeof name);
        ntk_naddr peer;
        bool known = qspn && a->owner && a->owner->m && qspn_get_naddr_for_arc(a->owner->m, (void *)a, &peer);
        g_string_append_printf(out, "    tablename = %s\n    tid = %d\n    rule_added = %s\n", name, a->tid,
                               known ? "true" : "false");
    } else {
        g_string_append(out, "    tablename = null\n    tid = null\n    rule_added = null\n");
    }
    if (a && a->has_prev) {
        char pm[24], name[TABLES_NAMELEN];
        nmsg_mac_format(&a->prev_mac, pm, sizeof pm);
        tables_name(&a->prev_mac, name, sizeof name);
        g_string_append_printf(out, "    prev_peer_mac = %s\n    prev_peer_linklocal = null\n"
                               "    prev_tablename = %s\n    prev_tid = %d\n    prev_rule_added = null\n",
                               pm, name, a->prev_tid);
    } else {
        g_string_append(out, "    prev_peer_mac = null\n    prev_peer_linklocal = null\n"
                             "    prev_tablename = null\n    prev_tid = null\n    prev_rule_added = null\n");
    }
}

void print_neighborhood_arcs(const qsys *s, GString *out)
{
    const nbr_arc *arcs[256];
    int n = nbr_arcs(s->nbr, arcs, G_N_ELEMENTS(arcs));
    for (int i = 0; i < n && i < (int)G_N_ELEMENTS(arcs); i++) {
        char mine[24], peer[24], ll[NTK_STRLEN];
        nmsg_mac_format(&nbr_nic_at(s->nbr, arcs[i]->nic)->mac, mine, sizeof mine);
        nmsg_mac_format(&arcs[i]->peer_mac, peer, sizeof peer);
        ntk_ip_format(arcs[i]->peer_ll, ll, sizeof ll);
        g_string_append_printf(out, "neighborhood_arc '%s-%s': peer_linklocal %s, cost %lldus\n", mine, peer, ll,
                               (long long)(arcs[i]->rtt_us < 0 ? 0 : arcs[i]->rtt_us));
    }
}

void print_real_arcs(const qsys *s, GString *out)
{
    for (guint i = 0; i < s->reals->len; i++) {
        const qreal *r = g_ptr_array_index(s->reals, i);
        char mine[24], peer[24], ll[NTK_STRLEN];
        nmsg_mac_format(&nbr_nic_at(s->nbr, r->nic)->mac, mine, sizeof mine);
        nmsg_mac_format(&r->peer_mac, peer, sizeof peer);
        ntk_ip_format(r->peer_ll, ll, sizeof ll);
        g_string_append_printf(out, "real_arc '%s-%s': peer_linklocal %s, cost %uus\n", mine, peer, ll, r->cost);
    }
}

void print_qspn_data(const qsys *s, const qid *q, GString *out)
{
    char a[NTK_STRLEN];
    if (!q->m)
        return;
    void *arcs[256];
    int n = qspn_current_arcs(q->m, arcs, G_N_ELEMENTS(arcs));
    for (int i = 0; i < n && i < (int)G_N_ELEMENTS(arcs); i++) {
        ntk_naddr peer;
        qwarc *x = arcs[i];
        uint32_t cost = x && x->w ? qsys_arc_cost((qsys *)s, x->w->arc) : 0;
        if (qspn_get_naddr_for_arc(q->m, arcs[i], &peer)) {
            ntk_naddr_format(&peer, ":", a, sizeof a);
            g_string_append_printf(out, "QspnArc to %s, cost %u\n", a, cost);
        } else {
            g_string_append_printf(out, "QspnArc to null, cost %u\n", cost);
        }
    }
    for (int lvl = 0; lvl < q->addr.levels; lvl++) {
        ntk_hcoord d[512];
        int nd = qspn_get_known_destinations(q->m, lvl, d, G_N_ELEMENTS(d));
        for (int i = 0; i < nd && i < (int)G_N_ELEMENTS(d); i++) {
            qspn_path_view v[16];
            int np = qspn_get_paths_to((qspn_manager *)q->m, d[i], v, G_N_ELEMENTS(v));
            g_string_append_printf(out, "Destination (%d, %d):\n We've got %d paths.\n", d[i].lvl, d[i].pos,
                                   np < 0 ? 0 : np);
            for (int p = 0; p < np && p < (int)G_N_ELEMENTS(v); p++) {
                g_string_append_printf(out, " Path cost %u with %d hops:\n", v[p].cost, v[p].n_hops);
                for (int h = 0; h < v[p].n_hops; h++)
                    g_string_append_printf(out, "  Hop to (%d, %d) via arc %u\n", v[p].hops[h].lvl,
                                           v[p].hops[h].pos, v[p].hops[h].arc_id);
            }
        }
    }
}
