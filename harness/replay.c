/* replay.c -- see replay.h.  Understands the generated storyline format
 * (shared/scenarios/tools/runtime.sh):
 *   begin_step ID SLUG 'TITLE' FIRST LAST
 *   run_block SYS LINE <<'EOF' ... EOF      bash block run inside SYS
 *   sysrun SYS LINE CMD...                  one command inside SYS
 *   ns_add SYS NAME / ns_del SYS NAME       identity namespace <prefix>SYS-NAME
 *   arc_up A B                              recorded: the steps file opens arcs
 *   pingcheck, say, end_step, checkpoint    ignored (pings: expected/PINGS.txt)
 * Any other line inside a step is a load error.
 */
#include "replay.h"

#include "parse.h"

#include <string.h>

typedef enum { R_BLOCK, R_SYSRUN, R_NS_ADD, R_NS_DEL } RKind;

typedef struct {
  RKind kind;
  char *sys;
  char *arg;   /* block body, or identity namespace NAME */
  char **argv; /* sysrun */
  int line;
} RItem;

typedef struct {
  GPtrArray *items; /* RItem* */
  GPtrArray *arcs;  /* "a b" */
} RStep;

struct HnReplay {
  char *path;
  GHashTable *steps; /* id -> RStep* */
};

static void
item_free(gpointer p)
{
  RItem *i = p;
  g_free(i->sys);
  g_free(i->arg);
  g_strfreev(i->argv);
  g_free(i);
}

static void
rstep_free(gpointer p)
{
  RStep *s = p;
  g_ptr_array_free(s->items, TRUE);
  g_ptr_array_free(s->arcs, TRUE);
  g_free(s);
}

static const char *const IGNORED[] = { "say", "pingcheck", "end_step", "checkpoint", "finish", "setup_topology", NULL };

static gboolean
ignored(const char *w)
{
  for (int i = 0; IGNORED[i]; i++)
    if (!strcmp(w, IGNORED[i]))
      return TRUE;
  return FALSE;
}

/* One line inside a step; *i may advance past a block. */
static gboolean
load_line(HnReplay *r, HnText *t, int *i, RStep *cur, GError **error)
{
  const char *l = t->lines[*i];
  char **w = hn_words(l);
  gboolean ok = TRUE;
  if (!w || ignored(w[0])) {
    g_strfreev(w);
    return TRUE;
  }
  int nw = (int)g_strv_length(w);
  RItem *it = g_new0(RItem, 1);
  it->line = *i + 1;
  it->sys = g_strdup(nw > 1 ? w[1] : "");
  if (!strcmp(w[0], "run_block") && nw >= 4 && !strcmp(w[3], "<<'EOF'")) {
    GString *b = g_string_new(NULL);
    for ((*i)++; *i < t->n && strcmp(t->lines[*i], "EOF"); (*i)++)
      g_string_append_printf(b, "%s\n", t->lines[*i]);
    it->kind = R_BLOCK;
    it->arg = g_string_free(b, FALSE);
    if (*i >= t->n)
      ok = (hn_set_error_at(error, r->path, it->line, "run_block without its EOF line"), FALSE);
  } else if (!strcmp(w[0], "sysrun") && nw >= 4) {
    char *cmd = g_strdup(hn_rest_after(l, 3));
    char *hash = strstr(cmd, "   # ");
    if (hash)
      *hash = '\0';
    it->kind = R_SYSRUN;
    if (!g_shell_parse_argv(cmd, NULL, &it->argv, NULL))
      ok = (hn_set_error_at(error, r->path, it->line, "sysrun: cannot parse the command"), FALSE);
    g_free(cmd);
  } else if ((!strcmp(w[0], "ns_add") || !strcmp(w[0], "ns_del")) && nw >= 3 &&
             (nw == 3 || w[3][0] == '#')) {
    it->kind = !strcmp(w[0], "ns_add") ? R_NS_ADD : R_NS_DEL;
    it->arg = g_strdup(w[2]);
  } else if (!strcmp(w[0], "arc_up") && nw >= 3 && (nw == 3 || w[3][0] == '#')) {
    g_ptr_array_add(cur->arcs, strcmp(w[1], w[2]) < 0 ? g_strdup_printf("%s %s", w[1], w[2])
                                                      : g_strdup_printf("%s %s", w[2], w[1]));
    item_free(it);
    it = NULL;
  } else {
    ok = (hn_set_error_at(error, r->path, *i + 1, "cannot replay this line: %.80s", l), FALSE);
  }
  if (it && ok)
    g_ptr_array_add(cur->items, it);
  else if (it)
    item_free(it);
  g_strfreev(w);
  return ok;
}

HnReplay *
hn_replay_load(const char *path, GError **error)
{
  HnText t;
  if (!hn_text_load(path, &t, error))
    return NULL;
  HnReplay *r = g_new0(HnReplay, 1);
  r->path = g_strdup(path);
  r->steps = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, rstep_free);
  RStep *cur = NULL;
  gboolean ok = TRUE;
  for (int i = 0; i < t.n && ok; i++) {
    if (g_str_has_prefix(t.lines[i], "begin_step ")) {
      char **w = hn_words(t.lines[i]);
      cur = g_new0(RStep, 1);
      cur->items = g_ptr_array_new_with_free_func(item_free);
      cur->arcs = g_ptr_array_new_with_free_func(g_free);
      if (g_hash_table_contains(r->steps, w[1]))
        ok = (hn_set_error_at(error, path, i + 1, "step %s twice", w[1]), FALSE);
      g_hash_table_replace(r->steps, g_strdup(w[1]), cur);
      g_strfreev(w);
    } else if (cur) {
      ok = load_line(r, &t, &i, cur, error);
    }
  }
  hn_text_clear(&t);
  if (ok && g_hash_table_size(r->steps) == 0)
    ok = (hn_set_error_at(error, path, 0, "no begin_step line: not a generated storyline"), FALSE);
  if (!ok) {
    hn_replay_free(r);
    return NULL;
  }
  return r;
}

static char *
subst_prefix(const char *s, const char *prefix)
{
  char **parts = g_strsplit(s, "@NS@", -1);
  char *res = g_strjoinv(prefix, parts);
  g_strfreev(parts);
  return res;
}

static gboolean
run_item(RItem *it, HnNs *ns, HnBed *bed, GString *o)
{
  char *res = NULL;
  GError *e = NULL;
  gboolean ok;
  if (it->kind == R_NS_ADD || it->kind == R_NS_DEL) {
    ok = it->kind == R_NS_ADD ? hn_bed_idns_add(bed, it->sys, it->arg, &e) : hn_bed_idns_del(bed, it->sys, it->arg, &e);
    if (!ok) {
      g_string_append_printf(o, "line %d: %s; ", it->line, e->message);
      g_error_free(e);
    }
    return ok;
  }
  GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(a, g_strdup("ip"));
  g_ptr_array_add(a, g_strdup("netns"));
  g_ptr_array_add(a, g_strdup("exec"));
  g_ptr_array_add(a, g_strdup(ns->real));
  if (it->kind == R_BLOCK) {
    g_ptr_array_add(a, g_strdup("bash"));
    g_ptr_array_add(a, g_strdup("-c"));
    g_ptr_array_add(a, subst_prefix(it->arg, bed->prefix));
  } else {
    for (char **p = it->argv; *p; p++)
      g_ptr_array_add(a, subst_prefix(*p, bed->prefix));
  }
  g_ptr_array_add(a, NULL);
  ok = hn_run((char **)a->pdata, NULL, &res);
  if (!ok)
    g_string_append_printf(o, "%s line %d: %s; ", it->sys, it->line, res ? g_strchomp(res) : "");
  g_free(res);
  g_ptr_array_free(a, TRUE);
  return ok;
}

gboolean
hn_replay_step(HnReplay *r, const char *id, HnBed *bed, char **out)
{
  RStep *st = g_hash_table_lookup(r->steps, id);
  GString *o = g_string_new(NULL);
  gboolean ok = TRUE;
  for (guint k = 0; st && k < st->items->len && ok && !hn_interrupted; k++) {
    RItem *it = g_ptr_array_index(st->items, k);
    HnNs *ns = hn_bed_ns(bed, it->sys);
    if (!ns || ns->parent) {
      g_string_append_printf(o, "line %d: %s is not a system of the world; ", it->line, it->sys);
      ok = FALSE;
    } else {
      ok = run_item(it, ns, bed, o);
    }
  }
  *out = g_string_free(o, FALSE);
  return ok && !hn_interrupted;
}

GPtrArray *
hn_replay_arcs(HnReplay *r, const char *id)
{
  RStep *st = g_hash_table_lookup(r->steps, id);
  GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; st && i < st->arcs->len; i++)
    g_ptr_array_add(a, g_strdup(g_ptr_array_index(st->arcs, i)));
  return a;
}

gboolean
hn_replay_has_step(HnReplay *r, const char *id)
{
  return g_hash_table_contains(r->steps, id);
}

void
hn_replay_free(HnReplay *r)
{
  if (!r)
    return;
  g_hash_table_destroy(r->steps);
  g_free(r->path);
  g_free(r);
}
