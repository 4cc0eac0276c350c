/* picture.c -- see picture.h.
 *
 * The graph comes from every running qspnd's `show --json` (identities,
 * addresses, namespaces, identity-arcs).  The highlighted path is what the
 * kernels do, not what a daemon says: from the source system's namespace,
 * `ip route get DST [mark M]` gives the next link-local; the namespace that
 * owns it is the next hop, and the mark there is the fwmark of the rule whose
 * table is named after the MAC the packet came from (ntk_from_<MAC>).
 */
#include "picture.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#define MAX_HOPS 16

typedef struct {
  char *ns_real;   /* namespace of the identity */
  char *sys;       /* system name */
  guint nodeid;
  char *label;
  char *gnode;     /* colour key: the address at levels l-1, l-2 */
} PicNode;

static void
pic_node_free(gpointer p)
{
  PicNode *n = p;
  g_free(n->ns_real);
  g_free(n->sys);
  g_free(n->label);
  g_free(n->gnode);
  g_free(n);
}

typedef struct {
  GPtrArray *nodes;  /* PicNode* */
  GString *edges;    /* dot lines */
  GHashTable *seen;  /* "a-b" identity-arc pairs already drawn */
  GHashTable *path;  /* "a-b" pairs on the path */
} Pic;

static const char *const palette[] = { "#cfe2f3", "#d9ead3", "#fff2cc", "#f4cccc",
                                       "#d9d2e9", "#fce5cd", "#d0e0e3", "#ead1dc" };

/* Colours by order of first appearance in the picture (alfa's g-node first). */
static const char *
colour_of(GPtrArray *gnodes, const char *gnode)
{
  guint i = 0;
  while (i < gnodes->len && strcmp(g_ptr_array_index(gnodes, i), gnode))
    i++;
  if (i == gnodes->len)
    g_ptr_array_add(gnodes, g_strdup(gnode));
  return palette[i % G_N_ELEMENTS(palette)];
}

/* "2.1.1.0" -> "2.1" (the g-node of level l-2) */
static char *
gnode_of(const char *address)
{
  char **p = g_strsplit(address, ".", -1);
  char *g = p[0] && p[1] ? g_strdup_printf("%s.%s", p[0], p[1]) : g_strdup(address);
  g_strfreev(p);
  return g;
}

static char *
ns_real_of(HnRun *r, HnNs *sys, const char *namespace)
{
  if (!namespace || !strcmp(namespace, "default"))
    return g_strdup(sys->real);
  (void)r;
  return g_strdup(namespace);
}

static void
collect_identities(HnRun *r, HnNs *sys, JsonObject *o, Pic *p, GPtrArray *arcs)
{
  JsonArray *ids = json_object_has_member(o, "identities") ? json_object_get_array_member(o, "identities") : NULL;
  for (guint i = 0; ids && i < json_array_get_length(ids); i++) {
    JsonObject *id = json_array_get_object_element(ids, i);
    if (!id || !json_object_has_member(id, "nodeid") || !json_object_has_member(id, "address"))
      continue;
    PicNode *n = g_new0(PicNode, 1);
    const char *addr = json_object_get_string_member(id, "address");
    const char *nsn = json_object_has_member(id, "namespace") ? json_object_get_string_member(id, "namespace") : NULL;
    gboolean main_id = json_object_has_member(id, "main") && json_object_get_boolean_member(id, "main");
    n->ns_real = ns_real_of(r, sys, nsn);
    n->sys = g_strdup(sys->name);
    n->nodeid = (guint)json_object_get_int_member(id, "nodeid");
    n->gnode = gnode_of(addr ? addr : "?");
    n->label = g_strdup_printf("%s%" G_GINT64_FORMAT "\\n%s\\n%s", sys->name,
                               json_object_has_member(id, "index") ? json_object_get_int_member(id, "index") : 0,
                               addr ? addr : "?",
                               main_id                                         ? "main"
                               : nsn && g_str_has_prefix(nsn, r->bed->prefix) ? nsn + strlen(r->bed->prefix)
                                                                               : (nsn ? nsn : ""));
    g_ptr_array_add(p->nodes, n);
    JsonArray *as = json_object_has_member(id, "identity_arcs") ? json_object_get_array_member(id, "identity_arcs")
                                                                : NULL;
    for (guint k = 0; as && k < json_array_get_length(as); k++) {
      JsonObject *a = json_array_get_object_element(as, k);
      if (!a || !json_object_has_member(a, "peer_nodeid"))
        continue;
      gboolean qspn = json_object_has_member(a, "qspn") && json_object_get_boolean_member(a, "qspn");
      g_ptr_array_add(arcs, g_strdup_printf("%u %u %d", n->nodeid,
                                            (guint)json_object_get_int_member(a, "peer_nodeid"), qspn));
    }
  }
}

static PicNode *
node_by_ns(Pic *p, const char *ns_real)
{
  for (guint i = 0; i < p->nodes->len; i++) {
    PicNode *n = g_ptr_array_index(p->nodes, i);
    if (!strcmp(n->ns_real, ns_real))
      return n;
  }
  return NULL;
}

static char *
pair_key(guint a, guint b)
{
  return a < b ? g_strdup_printf("%u-%u", a, b) : g_strdup_printf("%u-%u", b, a);
}

/* The namespace (of the testbed) that has address ip. */
static const char *
owner_of(HnRun *r, const char *ip)
{
  char *needle = g_strdup_printf(" %s/", ip);
  const char *found = NULL;
  GPtrArray *all[] = { r->bed->nss, r->bed->idns };
  for (guint t = 0; t < G_N_ELEMENTS(all) && !found; t++)
    for (guint i = 0; i < all[t]->len && !found; i++) {
      HnNs *ns = g_ptr_array_index(all[t], i);
      char *out = NULL;
      char *argv[] = { "ip", "-4", "-o", "addr", "show", NULL };
      if (hn_run(argv, ns->real, &out) && out && strstr(out, needle))
        found = ns->real;
      g_free(out);
    }
  g_free(needle);
  return found;
}

/* The word after key in a line of ip output, or NULL. */
static char *
word_after(const char *line, const char *key)
{
  char **w = g_strsplit_set(line, " \n", -1);
  char *res = NULL;
  for (int i = 0; w[i] && !res; i++)
    if (!strcmp(w[i], key) && w[i + 1])
      res = g_strdup(w[i + 1]);
  g_strfreev(w);
  return res;
}

/* fwmark (as text, "0xf9") of the rule of table ntk_from_<mac> in ns, or NULL. */
static char *
mark_for(const char *ns_real, const char *mac)
{
  char *out = NULL, *res = NULL;
  char *argv[] = { "ip", "rule", "show", NULL };
  if (hn_run(argv, ns_real, &out) && out) {
    char *table = g_strdup_printf("ntk_from_%s", mac);
    char **lines = g_strsplit(out, "\n", -1);
    for (int i = 0; lines[i] && !res; i++)
      if (strstr(lines[i], table))
        res = word_after(lines[i], "fwmark");
    g_strfreev(lines);
    g_free(table);
  }
  g_free(out);
  return res;
}

static char *
mac_of(const char *ns_real, const char *dev)
{
  char *out = NULL, *res = NULL;
  char *argv[] = { "ip", "-o", "link", "show", "dev", (char *)dev, NULL };
  if (hn_run(argv, ns_real, &out) && out)
    res = word_after(out, "link/ether");
  g_free(out);
  if (res)
    for (char *c = res; *c; c++)
      *c = g_ascii_toupper(*c);
  return res;
}

/* Follow dst from src's namespace; edges on the way go into p->path.
 * Returns a sentence for the picture's caption. */
static char *
trace(HnRun *r, Pic *p, HnNs *src, const char *dst)
{
  char *ns = g_strdup(src->real), *mark = NULL;
  GString *how = g_string_new(NULL);
  for (int hop = 0; hop < MAX_HOPS; hop++) {
    char *out = NULL;
    char *argv[] = { "ip", "-4", "route", "get", (char *)dst, mark ? "mark" : NULL, mark, NULL };
    gboolean ok = hn_run(argv, ns, &out);
    char *gw = ok && out ? word_after(out, "via") : NULL, *dev = ok && out ? word_after(out, "dev") : NULL;
    gboolean local = ok && out && g_str_has_prefix(out, "local ");
    g_free(out);
    const char *next = gw ? owner_of(r, gw) : NULL;
    PicNode *a = node_by_ns(p, ns), *b = next ? node_by_ns(p, next) : NULL;
    if (local || !gw || !next || !a || !b) {
      g_string_append(how, local ? "delivered" : !ok ? "no route" : !gw ? "delivered on the link" : "next hop unknown");
      g_free(gw);
      g_free(dev);
      break;
    }
    g_hash_table_add(p->path, pair_key(a->nodeid, b->nodeid));
    char *mac = mac_of(ns, dev);
    g_free(mark);
    mark = mac ? mark_for(next, mac) : NULL;
    g_free(mac);
    g_free(ns);
    ns = g_strdup(next);
    g_free(gw);
    g_free(dev);
  }
  g_free(ns);
  g_free(mark);
  return g_string_free(how, FALSE);
}

static gboolean
write_dot(const char *dot_path, const char *svg_path, const char *text, GString *why)
{
  GError *e = NULL;
  if (!g_file_set_contents(dot_path, text, -1, &e)) {
    g_string_append_printf(why, "picture: %s", e->message);
    g_error_free(e);
    return FALSE;
  }
  char *out = NULL;
  char *argv[] = { "dot", "-Tsvg", "-o", (char *)svg_path, (char *)dot_path, NULL };
  gboolean ok = hn_run(argv, NULL, &out);
  if (!ok)
    g_string_append_printf(why, "picture: dot failed (%s)", out ? hn_oneline(&out) : "");
  g_free(out);
  char *svg = NULL;
  if (ok && (!g_file_get_contents(svg_path, &svg, NULL, NULL) || !strstr(svg, "<svg") || !strstr(svg, "</svg>"))) {
    g_string_append_printf(why, "picture: %s is not an SVG document", svg_path);
    ok = FALSE;
  }
  g_free(svg);
  return ok;
}

static GString *
render(Pic *p, GPtrArray *arcs, const char *title)
{
  GString *d = g_string_new("graph storyline {\n  graph [fontname=\"Helvetica\" labelloc=t");
  g_string_append_printf(d, " label=\"%s\"];\n  node [shape=box style=\"rounded,filled\" fontname=\"Helvetica\""
                            " fontsize=10];\n  edge [fontname=\"Helvetica\"];\n", title);
  GPtrArray *gnodes = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < p->nodes->len; i++) {
    PicNode *n = g_ptr_array_index(p->nodes, i);
    if (i == 0 || strcmp(n->sys, ((PicNode *)g_ptr_array_index(p->nodes, i - 1))->sys))
      g_string_append_printf(d, "%s  subgraph cluster_%s {\n    label=\"%s\"; style=dashed;\n", i ? "  }\n" : "",
                             n->sys, n->sys);
    g_string_append_printf(d, "    n%u [label=\"%s\" fillcolor=\"%s\"];\n", n->nodeid, n->label,
                           colour_of(gnodes, n->gnode));
  }
  g_ptr_array_free(gnodes, TRUE);
  if (p->nodes->len)
    g_string_append(d, "  }\n");
  for (guint i = 0; i < arcs->len; i++) {
    guint a, b;
    int qspn;
    if (sscanf(g_ptr_array_index(arcs, i), "%u %u %d", &a, &b, &qspn) != 3)
      continue;
    char *k = pair_key(a, b);
    gboolean known = FALSE;
    for (guint j = 0; j < p->nodes->len; j++)
      known |= ((PicNode *)g_ptr_array_index(p->nodes, j))->nodeid == b;
    if (known && g_hash_table_add(p->seen, k)) {
      gboolean on_path = g_hash_table_contains(p->path, k);
      g_string_append_printf(d, "  n%u -- n%u [style=%s%s];\n", a, b, qspn ? "solid" : "dashed",
                             on_path ? " color=\"#cc0000\" penwidth=3" : "");
    } else if (!known) {
      g_free(k);
    }
  }
  g_string_append(d, "}\n");
  return d;
}

gboolean
hn_picture(HnRun *r, HnStep *st, const char *dir, char **svg_out, GString *why)
{
  Pic p = { g_ptr_array_new_with_free_func(pic_node_free), NULL,
            g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
            g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL) };
  GPtrArray *arcs = g_ptr_array_new_with_free_func(g_free);
  HnNs *src = NULL, *dst = NULL;
  char *dst_ip = NULL;
  char **ends = r->o->picture_path ? g_strsplit(r->o->picture_path, ":", 2) : NULL;
  for (guint i = 0; i < r->bed->nss->len; i++) {
    HnNs *ns = g_ptr_array_index(r->bed->nss, i);
    char *out = NULL;
    if (!hn_ns_daemon_alive(ns) || !hn_qspnctl(r, ns, "show --json", &out)) {
      g_free(out);
      continue;
    }
    /* the state behind the picture, for jq and for the schema tests */
    char *jdir = g_strdup_printf("%s/%s-%s", dir, st->id, st->slug), *jname = g_strdup_printf("%s.json", ns->name);
    hn_save(jdir, jname, out);
    g_free(jdir);
    g_free(jname);
    JsonParser *jp = json_parser_new();
    if (json_parser_load_from_data(jp, out, -1, NULL) && JSON_NODE_HOLDS_OBJECT(json_parser_get_root(jp))) {
      collect_identities(r, ns, json_node_get_object(json_parser_get_root(jp)), &p, arcs);
      char *ip = hn_main_global_address(out);
      gboolean is_src = ends ? !strcmp(ns->name, ends[0]) : !src;
      gboolean is_dst = ends ? ends[1] && !strcmp(ns->name, ends[1]) : src != NULL;
      if (is_src)
        src = ns;
      else if (is_dst && ip) {
        dst = ns;
        g_free(dst_ip);
        dst_ip = g_strdup(ip);
      }
      g_free(ip);
    }
    g_object_unref(jp);
    g_free(out);
  }
  char *how = src && dst ? trace(r, &p, src, dst_ip) : NULL;
  if (!how && ends && src)
    how = g_strdup_printf("%s has no global address (yet)", ends[1]);
  char *title = src && dst ? g_strdup_printf("%s %s: %s to %s (%s), %s", st->id, st->slug, src->name, dst->name, dst_ip, how)
                : how      ? g_strdup_printf("%s %s: %s", st->id, st->slug, how)
                           : g_strdup_printf("%s %s", st->id, st->slug);
  GString *d = render(&p, arcs, title);
  g_mkdir_with_parents(dir, 0755);
  char *base = g_strdup_printf("%s/%s-%s", dir, st->id, st->slug);
  char *dot_path = g_strdup_printf("%s.dot", base), *svg = g_strdup_printf("%s.svg", base);
  gboolean ok = write_dot(dot_path, svg, d->str, why);
  *svg_out = ok ? g_steal_pointer(&svg) : NULL;
  g_free(svg);
  g_free(dot_path);
  g_free(base);
  g_string_free(d, TRUE);
  g_free(title);
  g_free(how);
  g_free(dst_ip);
  g_strfreev(ends);
  g_ptr_array_free(arcs, TRUE);
  g_ptr_array_free(p.nodes, TRUE);
  g_hash_table_destroy(p.seen);
  g_hash_table_destroy(p.path);
  return ok;
}
