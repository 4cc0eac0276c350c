/* graph.c - DOT of what one identity's QSPN knows (graph.h).  Pure: a view in,
 * text out.  Node names: "me", "g<level>_<pos>" for the g-node (level, pos)
 * relative to me (inside my g-node of level+1), "u<arc id>" for the peer of a
 * qspn-arc whose address is not known yet. */
#include "graph.h"

#include <string.h>

#define BEST_COLOUR "#cc0000"

static const char *const level_fill[] = { "#cfe2f3", "#d9ead3", "#fff2cc", "#f4cccc",
                                          "#d9d2e9", "#fce5cd", "#d0e0e3", "#ead1dc" };

void qg_view_init(qg_view *v)
{
    memset(v, 0, sizeof *v);
    v->arcs = g_array_new(FALSE, TRUE, sizeof(qg_arc));
    v->dests = g_array_new(FALSE, TRUE, sizeof(qg_dest));
}

void qg_view_clear(qg_view *v)
{
    for (guint i = 0; v->dests && i < v->dests->len; i++)
        g_array_free(g_array_index(v->dests, qg_dest, i).paths, TRUE);
    if (v->dests)
        g_array_free(v->dests, TRUE);
    if (v->arcs)
        g_array_free(v->arcs, TRUE);
    memset(v, 0, sizeof *v);
}

void qg_dot_escape(const char *s, GString *out)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_c(out, '\\');
        if (*p < 0x20 || *p == 0x7F)
            g_string_append_c(out, '?');
        else
            g_string_append_c(out, (char)*p);
    }
}

/* ---- names and labels ------------------------------------------------------------------ */

static void node_name(int lvl, int pos, char *buf, size_t len)
{
    g_snprintf(buf, len, "g%d_%d", lvl, pos);
}

/* The g-node (lvl, pos) as an address: my positions above lvl, then pos. */
static void gnode_address(const qg_view *v, int lvl, int pos, GString *out)
{
    for (int j = v->levels - 1; j > lvl; j--)
        g_string_append_printf(out, "%d.", v->pos[j]);
    g_string_append_printf(out, "%d", pos);
}

/* The g-node of a qspn-arc's peer: at the highest level where its address
 * and mine differ; false when they do not (or it is unknown). */
static bool arc_gateway(const qg_view *v, const qg_arc *a, int *lvl, int *pos)
{
    for (int j = v->levels - 1; a->known && j >= 0; j--)
        if (a->peer[j] != v->pos[j]) {
            *lvl = j;
            *pos = a->peer[j];
            return true;
        }
    return false;
}

static const qg_dest *find_dest(const qg_view *v, int lvl, int pos)
{
    for (guint i = 0; i < v->dests->len; i++) {
        const qg_dest *d = &g_array_index(v->dests, qg_dest, i);
        if (d->lvl == lvl && d->pos == pos)
            return d;
    }
    return NULL;
}

/* ---- edges --------------------------------------------------------------------------------- */

typedef struct {
    char from[32], to[32];
    uint32_t arc_id;
    const qg_arc *arc;            /* my qspn-arc, or NULL for a hop between g-nodes */
    bool best;                    /* on the best path to some destination */
} qg_edge;

typedef struct {
    GArray *edges;                /* qg_edge, first use order */
    GHashTable *index;            /* "from>to#arc" -> position + 1 */
    GHashTable *nodes;            /* lvl * QG_MAX_POS + pos + 1 of every g-node drawn */
} qg_draw;

static qg_edge *edge(qg_draw *d, const char *from, const char *to, uint32_t arc_id)
{
    char *key = g_strdup_printf("%s>%s#%u", from, to, arc_id);
    guint at = GPOINTER_TO_UINT(g_hash_table_lookup(d->index, key));
    if (at) {
        g_free(key);
        return &g_array_index(d->edges, qg_edge, at - 1);
    }
    qg_edge e;
    memset(&e, 0, sizeof e);
    g_strlcpy(e.from, from, sizeof e.from);
    g_strlcpy(e.to, to, sizeof e.to);
    e.arc_id = arc_id;
    g_array_append_val(d->edges, e);
    g_hash_table_insert(d->index, key, GUINT_TO_POINTER(d->edges->len));
    return &g_array_index(d->edges, qg_edge, d->edges->len - 1);
}

static void add_node(qg_draw *d, int lvl, int pos)
{
    g_hash_table_add(d->nodes, GINT_TO_POINTER(lvl * QG_MAX_POS + pos + 1));
}

static void collect(const qg_view *v, qg_draw *d)
{
    char from[32], to[32];
    for (guint i = 0; i < v->arcs->len; i++) {
        const qg_arc *a = &g_array_index(v->arcs, qg_arc, i);
        int lvl, pos;
        if (arc_gateway(v, a, &lvl, &pos)) {
            node_name(lvl, pos, to, sizeof to);
            add_node(d, lvl, pos);
        } else {
            g_snprintf(to, sizeof to, "u%u", a->arc_id);
        }
        edge(d, "me", to, a->arc_id)->arc = a;
    }
    for (guint i = 0; i < v->dests->len; i++) {
        const qg_dest *ds = &g_array_index(v->dests, qg_dest, i);
        add_node(d, ds->lvl, ds->pos);
        for (guint p = 0; p < ds->paths->len; p++) {
            const qg_path *path = &g_array_index(ds->paths, qg_path, p);
            g_strlcpy(from, "me", sizeof from);
            for (int h = 0; h < path->n_hops; h++) {
                const qg_hop *x = &path->hops[h];
                add_node(d, x->lvl, x->pos);
                node_name(x->lvl, x->pos, to, sizeof to);
                qg_edge *e = edge(d, from, to, h == 0 ? path->arc_id : x->arc_id);
                e->best |= p == 0;
                g_strlcpy(from, to, sizeof from);
            }
        }
    }
}

/* ---- output -------------------------------------------------------------------------------- */

static void indent(GString *out, int depth)
{
    for (int i = 0; i < depth; i++)
        g_string_append(out, "  ");
}

static void gnode_line(const qg_view *v, int lvl, int pos, int depth, GString *out)
{
    char name[32];
    const qg_dest *d = find_dest(v, lvl, pos);
    node_name(lvl, pos, name, sizeof name);
    indent(out, depth);
    g_string_append_printf(out, "%s [label=\"(%d, %d)\\n", name, lvl, pos);
    gnode_address(v, lvl, pos, out);
    if (pos >= v->gsize[lvl])
        g_string_append(out, " virtual");
    if (d && d->paths->len > 0) {
        const qg_path *best = &g_array_index(d->paths, qg_path, 0);
        g_string_append_printf(out, "\\nbest %uus via arc %u\\n%u path%s\"", best->cost, best->arc_id,
                               d->paths->len, d->paths->len == 1 ? "" : "s");
    } else {
        g_string_append_printf(out, "\\n%s\"", d ? "no path" : "not a known destination");
    }
    g_string_append_printf(out, " fillcolor=\"%s\"%s];\n", level_fill[lvl % G_N_ELEMENTS(level_fill)],
                           d ? "" : " style=\"rounded,dashed\"");
}

static void me_line(const qg_view *v, int depth, GString *out)
{
    indent(out, depth);
    g_string_append_printf(out, "me [label=\"identity #%d%s\\n", v->local_identity, v->main ? " (main)" : "");
    gnode_address(v, 0, v->pos[0], out);
    g_string_append_printf(out, "\\nnodeid %u\\nnamespace ", v->nodeid);
    qg_dot_escape(v->ns, out);
    g_string_append_printf(out, "%s\" shape=doubleoctagon fillcolor=\"#ffffff\" penwidth=2];\n",
                           v->bootstrap_complete ? "" : "\\nbootstrap in progress");
}

static gint cmp_int(gconstpointer a, gconstpointer b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return x < y ? -1 : x > y;
}

/* The positions of the g-nodes of level lvl that are drawn, sorted. */
static GArray *positions(qg_draw *d, int lvl)
{
    GArray *p = g_array_new(FALSE, FALSE, sizeof(int));
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, d->nodes);
    while (g_hash_table_iter_next(&it, &k, NULL)) {
        int code = GPOINTER_TO_INT(k) - 1;
        if (code / QG_MAX_POS == lvl) {
            int pos = code % QG_MAX_POS;
            g_array_append_val(p, pos);
        }
    }
    g_array_sort(p, cmp_int);
    return p;
}

static void clusters(const qg_view *v, qg_draw *d, GString *out)
{
    for (int k = v->levels; k >= 1; k--) {
        int depth = v->levels - k + 1;
        indent(out, depth);
        g_string_append_printf(out, "subgraph cluster_level%d {\n", k);
        indent(out, depth + 1);
        if (k == v->levels) {
            g_string_append_printf(out, "label=\"network (level %d)\";", k);
        } else {
            g_string_append(out, "label=\"g-node ");
            gnode_address(v, k, v->pos[k], out);
            g_string_append_printf(out, " (level %d)\";", k);
        }
        g_string_append_printf(out, " style=\"rounded,filled\"; fillcolor=\"%s40\";\n",
                               level_fill[k % G_N_ELEMENTS(level_fill)]);
        GArray *p = positions(d, k - 1);
        for (guint i = 0; i < p->len; i++)
            gnode_line(v, k - 1, g_array_index(p, int, i), depth + 1, out);
        g_array_free(p, TRUE);
        if (k == 1)
            me_line(v, depth + 1, out);
    }
    for (int k = 1; k <= v->levels; k++) {
        indent(out, v->levels - k + 1);
        g_string_append(out, "}\n");
    }
}

static void edge_line(const qg_edge *e, GString *out)
{
    g_string_append_printf(out, "  %s -> %s [", e->from, e->to);
    if (e->arc) {
        g_string_append_printf(out, "label=\"arc %u\\n", e->arc_id);
        if (e->arc->dev[0] || e->arc->peer_mac[0]) {
            qg_dot_escape(e->arc->dev, out);
            g_string_append_c(out, ' ');
            qg_dot_escape(e->arc->peer_mac, out);
            g_string_append(out, "\\n");
        }
        g_string_append_printf(out, "%uus\" style=solid", e->arc->cost);
    } else {
        g_string_append_printf(out, "label=\"arc %u\" style=%s", e->arc_id, e->best ? "solid" : "dashed");
    }
    if (e->best)
        g_string_append(out, " color=\"" BEST_COLOUR "\" fontcolor=\"" BEST_COLOUR "\" penwidth=3");
    else if (!e->arc)
        g_string_append(out, " color=\"#808080\" fontcolor=\"#808080\"");
    g_string_append(out, "];\n");
}

void qg_render_dot(const qg_view *v, GString *out)
{
    qg_draw d = { g_array_new(FALSE, TRUE, sizeof(qg_edge)),
                  g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
                  g_hash_table_new(g_direct_hash, g_direct_equal) };
    collect(v, &d);
    g_string_append(out, "digraph qspn {\n  graph [fontname=\"Helvetica\" labelloc=t label=\"QSPN of identity #");
    g_string_append_printf(out, "%d, address ", v->local_identity);
    gnode_address(v, 0, v->pos[0], out);
    g_string_append(out, ", topology ");
    for (int j = v->levels - 1; j >= 0; j--)
        g_string_append_printf(out, "%d%s", v->gsize[j], j ? "." : "");
    g_string_append(out, " (best paths in red)\"];\n"
                         "  node [shape=box style=\"rounded,filled\" fontname=\"Helvetica\"];\n"
                         "  edge [fontname=\"Helvetica\" fontsize=10];\n");
    clusters(v, &d, out);
    for (guint i = 0; i < d.edges->len; i++) {
        const qg_edge *e = &g_array_index(d.edges, qg_edge, i);
        if (e->to[0] == 'u')
            g_string_append_printf(out, "  %s [label=\"peer of arc %u\\naddress unknown\" shape=ellipse];\n",
                                   e->to, e->arc_id);
        edge_line(e, out);
    }
    g_string_append(out, "}\n");
    g_array_free(d.edges, TRUE);
    g_hash_table_destroy(d.index);
    g_hash_table_destroy(d.nodes);
}
