/* graph_json.c - the view of `qspnctl graph` from the daemon's JSON
 * (docs/json-schema/show_qspn_data.json, show_local_identities.json).  Every
 * value is checked against an explicit bound: the document comes from another
 * process. */
#include "graph.h"

#include <json-glib/json-glib.h>
#include <string.h>

#define QG_MAX_TEXT (4u * 1024u * 1024u)

static bool get_int(JsonObject *o, const char *k, gint64 min, gint64 max, gint64 *out, GString *err)
{
    JsonNode *n = o ? json_object_get_member(o, k) : NULL;
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64) {
        g_string_append_printf(err, "'%s' missing or not an integer", k);
        return false;
    }
    gint64 v = json_node_get_int(n);
    if (v < min || v > max) {
        g_string_append_printf(err, "'%s' out of range (%" G_GINT64_FORMAT ")", k, v);
        return false;
    }
    *out = v;
    return true;
}

static bool get_bool(JsonObject *o, const char *k, bool *out, GString *err)
{
    JsonNode *n = json_object_get_member(o, k);
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN) {
        g_string_append_printf(err, "'%s' missing or not a boolean", k);
        return false;
    }
    *out = json_node_get_boolean(n);
    return true;
}

/* A string member (NULL for null when nullable) of at most len-1 bytes. */
static bool get_str(JsonObject *o, const char *k, bool nullable, char *buf, size_t len, bool *null, GString *err)
{
    JsonNode *n = json_object_get_member(o, k);
    *null = n && JSON_NODE_HOLDS_NULL(n);
    if (*null && nullable) {
        buf[0] = 0;
        return true;
    }
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING ||
        strlen(json_node_get_string(n)) >= len) {
        g_string_append_printf(err, "'%s' missing, not a string or too long", k);
        return false;
    }
    g_strlcpy(buf, json_node_get_string(n), len);
    return true;
}

static JsonArray *get_array(JsonObject *o, const char *k, guint max, GString *err)
{
    JsonNode *n = json_object_get_member(o, k);
    if (!n || !JSON_NODE_HOLDS_ARRAY(n)) {
        g_string_append_printf(err, "'%s' missing or not an array", k);
        return NULL;
    }
    JsonArray *a = json_node_get_array(n);
    if (json_array_get_length(a) > max) {
        g_string_append_printf(err, "'%s' has more than %u elements", k, max);
        return NULL;
    }
    return a;
}

static JsonObject *element(JsonArray *a, guint i, const char *what, GString *err)
{
    JsonNode *n = json_array_get_element(a, i);
    if (!n || !JSON_NODE_HOLDS_OBJECT(n)) {
        g_string_append_printf(err, "%s #%u is not an object", what, i);
        return NULL;
    }
    return json_node_get_object(n);
}

/* "2.1.1.0" (highest level first) into v[level]; every value in [0, bound).
 * Returns the number of levels, or -1. */
static int parse_dotted(const char *s, int *v, int bound)
{
    gchar **parts = g_strsplit(s, ".", -1);
    int n = (int)g_strv_length(parts);
    bool ok = n >= 1 && n <= QG_MAX_LEVELS;
    for (int i = 0; ok && i < n; i++) {
        guint64 x;
        ok = g_ascii_string_to_unsigned(parts[i], 10, 0, (guint64)bound - 1, &x, NULL);
        if (ok)
            v[n - 1 - i] = (int)x;
    }
    g_strfreev(parts);
    return ok ? n : -1;
}

static JsonObject *parse_root(const char *text, const char *command, JsonParser **p, GString *err)
{
    GError *e = NULL;
    size_t len = text ? strnlen(text, QG_MAX_TEXT + 1) : 0;
    if (len == 0 || len > QG_MAX_TEXT) {
        g_string_append(err, len ? "reply too long" : "empty reply");
        return NULL;
    }
    *p = json_parser_new();
    if (!json_parser_load_from_data(*p, text, (gssize)len, &e)) {
        g_string_append_printf(err, "not JSON: %s", e->message);
        g_error_free(e);
        return NULL;
    }
    JsonNode *root = json_parser_get_root(*p);
    JsonObject *o = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
    char c[64];
    bool null;
    gint64 version;
    if (!o || !get_str(o, "command", false, c, sizeof c, &null, err) || strcmp(c, command) != 0) {
        g_string_truncate(err, 0);
        g_string_append_printf(err, "not the reply of %s", command);
        return NULL;
    }
    if (!get_int(o, "schema_version", 1, 1, &version, err))
        return NULL;
    return o;
}

static bool parse_arc(const qg_view *v, JsonObject *o, qg_arc *a, GString *err)
{
    gint64 x;
    bool null;
    char addr[QG_MAX_LEVELS * 8 + 1];
    if (!get_int(o, "arc_id", 0, G_MAXUINT32, &x, err))
        return false;
    a->arc_id = (uint32_t)x;
    if (!get_int(o, "cost_us", 0, G_MAXUINT32, &x, err))
        return false;
    a->cost = (uint32_t)x;
    if (!get_str(o, "dev", true, a->dev, sizeof a->dev, &null, err) ||
        !get_str(o, "peer_mac", true, a->peer_mac, sizeof a->peer_mac, &null, err) ||
        !get_str(o, "peer_address", true, addr, sizeof addr, &null, err))
        return false;
    a->known = !null;
    if (a->known && parse_dotted(addr, a->peer, QG_MAX_POS) != v->levels) {
        g_string_append_printf(err, "bad peer_address '%.64s'", addr);
        return false;
    }
    return true;
}

static bool parse_path(const qg_view *v, JsonObject *o, qg_path *p, GString *err)
{
    gint64 x, lvl, pos;
    JsonArray *hops;
    if (!get_int(o, "cost_us", 0, G_MAXUINT32, &x, err))
        return false;
    p->cost = (uint32_t)x;
    if (!get_int(o, "arc_id", 0, G_MAXUINT32, &x, err))
        return false;
    p->arc_id = (uint32_t)x;
    if (!(hops = get_array(o, "hops", QG_MAX_HOPS, err)))
        return false;
    p->n_hops = (int)json_array_get_length(hops);
    for (int h = 0; h < p->n_hops; h++) {
        JsonObject *ho = element(hops, (guint)h, "hop", err);
        if (!ho || !get_int(ho, "level", 0, v->levels - 1, &lvl, err) ||
            !get_int(ho, "pos", 0, QG_MAX_POS - 1, &pos, err) || !get_int(ho, "arc_id", 0, G_MAXUINT32, &x, err))
            return false;
        p->hops[h] = (qg_hop){ (int)lvl, (int)pos, (uint32_t)x };
    }
    return true;
}

static bool parse_dest(const qg_view *v, JsonObject *o, qg_dest *d, GString *err)
{
    gint64 lvl, pos;
    JsonArray *paths;
    if (!get_int(o, "level", 0, v->levels - 1, &lvl, err) || !get_int(o, "pos", 0, QG_MAX_POS - 1, &pos, err) ||
        !(paths = get_array(o, "paths", QG_MAX_PATHS, err)))
        return false;
    d->lvl = (int)lvl;
    d->pos = (int)pos;
    for (guint i = 0; i < json_array_get_length(paths); i++) {
        qg_path p;
        memset(&p, 0, sizeof p);
        JsonObject *po = element(paths, i, "path", err);
        if (!po || !parse_path(v, po, &p, err))
            return false;
        g_array_append_val(d->paths, p);
    }
    return true;
}

static bool parse_identity(JsonObject *o, qg_view *v, GString *err)
{
    gint64 x;
    bool null;
    char addr[QG_MAX_LEVELS * 8 + 1], topo[QG_MAX_LEVELS * 8 + 1];
    if (!get_int(o, "local_identity", 0, 1000000, &x, err))
        return false;
    v->local_identity = (int)x;
    if (!get_int(o, "nodeid", 0, G_MAXUINT32, &x, err))
        return false;
    v->nodeid = (uint32_t)x;
    if (!get_bool(o, "main", &v->main, err) || !get_bool(o, "bootstrap_complete", &v->bootstrap_complete, err) ||
        !get_str(o, "namespace", false, v->ns, sizeof v->ns, &null, err) ||
        !get_str(o, "address", false, addr, sizeof addr, &null, err) ||
        !get_str(o, "topology", false, topo, sizeof topo, &null, err))
        return false;
    v->levels = parse_dotted(topo, v->gsize, QG_MAX_POS + 1);
    for (int j = 0; j < v->levels; j++)
        if (v->gsize[j] < 2)
            v->levels = -1;
    if (v->levels < 1 || parse_dotted(addr, v->pos, QG_MAX_POS) != v->levels) {
        g_string_append_printf(err, "bad address '%.64s' or topology '%.64s'", addr, topo);
        return false;
    }
    return true;
}

bool qg_view_from_json(const char *text, qg_view *v, GString *err)
{
    JsonParser *p = NULL;
    JsonObject *o = parse_root(text, "show_qspn_data", &p, err);
    JsonArray *arcs = NULL, *dests = NULL;
    bool ok = o && parse_identity(o, v, err) && (arcs = get_array(o, "qspn_arcs", QG_MAX_ARCS, err)) &&
              (dests = get_array(o, "destinations", QG_MAX_DESTS, err));
    for (guint i = 0; ok && i < json_array_get_length(arcs); i++) {
        qg_arc a;
        memset(&a, 0, sizeof a);
        JsonObject *ao = element(arcs, i, "qspn_arc", err);
        ok = ao && parse_arc(v, ao, &a, err);
        if (ok)
            g_array_append_val(v->arcs, a);
    }
    for (guint i = 0; ok && i < json_array_get_length(dests); i++) {
        qg_dest d = { 0, 0, g_array_new(FALSE, TRUE, sizeof(qg_path)) };
        g_array_append_val(v->dests, d);   /* owned by the view from now on */
        JsonObject *dobj = element(dests, i, "destination", err);
        ok = dobj && parse_dest(v, dobj, &g_array_index(v->dests, qg_dest, v->dests->len - 1), err);
    }
    if (p)
        g_object_unref(p);
    return ok;
}

bool qg_main_identity(const char *text, int *index, GString *err)
{
    JsonParser *p = NULL;
    JsonObject *o = parse_root(text, "show_local_identities", &p, err);
    JsonArray *ids = o ? get_array(o, "identities", 100000, err) : NULL;
    bool found = false;
    for (guint i = 0; ids && !found && i < json_array_get_length(ids); i++) {
        JsonObject *io = element(ids, i, "identity", err);
        bool main_id = false;
        gint64 x;
        if (!io || !get_bool(io, "main", &main_id, err) || !get_int(io, "index", 0, 1000000, &x, err))
            break;
        if (main_id) {
            *index = (int)x;
            found = true;
        }
    }
    if (ids && !found && !err->len)
        g_string_append(err, "no main identity");
    if (p)
        g_object_unref(p);
    return found;
}
