/* replay.c -- see replay.h.  Understands the generated storyline format:
 *   begin_step ID SLUG 'TITLE' FIRST LAST
 *   run_block SYS LINE <<'EOF' ... EOF      (bash block run inside SYS)
 *   sysrun SYS LINE CMD...                  (one command inside SYS)
 *   ns_add / ns_del                         (identity namespaces: not yet supported)
 * Everything else (arc_up, pingcheck, say, checkpoint...) is ignored: arcs
 * come from the steps file.
 */
#include "replay.h"

#include <string.h>

typedef enum { R_BLOCK, R_SYSRUN, R_UNSUPPORTED } RKind;

typedef struct {
  RKind kind;
  char *sys;
  char *body;  /* block body, or the sysrun/unsupported line */
  char **argv; /* sysrun */
} RItem;

struct HnReplay {
  GHashTable *steps; /* id -> GPtrArray of RItem* */
};

static void
item_free(gpointer p)
{
  RItem *i = p;
  g_free(i->sys);
  g_free(i->body);
  g_strfreev(i->argv);
  g_free(i);
}

HnReplay *
hn_replay_load(const char *path, GError **error)
{
  char *text = NULL;
  if (!g_file_get_contents(path, &text, NULL, error))
    return NULL;
  HnReplay *r = g_new0(HnReplay, 1);
  r->steps = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
  char **lines = g_strsplit(text, "\n", -1);
  g_free(text);
  GPtrArray *cur = NULL;
  for (int i = 0; lines[i]; i++) {
    char *l = lines[i];
    if (g_str_has_prefix(l, "begin_step ")) {
      char **w = g_strsplit(l + 11, " ", 2);
      cur = g_ptr_array_new_with_free_func(item_free);
      g_hash_table_replace(r->steps, g_strdup(w[0]), cur);
      g_strfreev(w);
    } else if (!cur) {
      continue;
    } else if (g_str_has_prefix(l, "run_block ")) {
      char **w = g_strsplit(l + 10, " ", 3);
      RItem *it = g_new0(RItem, 1);
      it->kind = R_BLOCK;
      it->sys = g_strdup(w[0]);
      g_strfreev(w);
      GString *b = g_string_new(NULL);
      for (i++; lines[i] && strcmp(lines[i], "EOF"); i++)
        g_string_append_printf(b, "%s\n", lines[i]);
      it->body = g_string_free(b, FALSE);
      g_ptr_array_add(cur, it);
      if (!lines[i])
        break;
    } else if (g_str_has_prefix(l, "sysrun ")) {
      char **w = g_strsplit(l + 7, " ", 3);
      RItem *it = g_new0(RItem, 1);
      it->kind = R_SYSRUN;
      it->sys = g_strdup(w[0]);
      it->body = g_strdup(l);
      char *cmd = w[1] && w[2] ? w[2] : "";
      char *hash = strstr(cmd, "   # ");
      if (hash)
        *hash = '\0';
      if (!g_shell_parse_argv(cmd, NULL, &it->argv, NULL))
        it->kind = R_UNSUPPORTED;
      g_strfreev(w);
      g_ptr_array_add(cur, it);
    } else if (g_str_has_prefix(l, "ns_add ") || g_str_has_prefix(l, "ns_del ")) {
      RItem *it = g_new0(RItem, 1);
      it->kind = R_UNSUPPORTED;
      it->body = g_strdup(l);
      g_ptr_array_add(cur, it);
    }
  }
  g_strfreev(lines);
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

gboolean
hn_replay_step(HnReplay *r, const char *id, HnBed *bed, char **out)
{
  GPtrArray *items = g_hash_table_lookup(r->steps, id);
  GString *o = g_string_new(NULL);
  gboolean ok = TRUE;
  for (guint k = 0; items && k < items->len && ok; k++) {
    RItem *it = g_ptr_array_index(items, k);
    HnNs *ns = it->sys ? hn_bed_ns(bed, it->sys) : NULL;
    if (it->kind == R_UNSUPPORTED || !ns) {
      g_string_append_printf(o, "cannot replay: %s; ", it->body);
      ok = FALSE;
      break;
    }
    char *res = NULL;
    if (it->kind == R_BLOCK) {
      char *body = subst_prefix(it->body, bed->prefix);
      char *argv[] = { "ip", "netns", "exec", ns->real, "bash", "-c", body, NULL };
      ok = hn_run(argv, NULL, &res);
      g_free(body);
    } else {
      GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
      g_ptr_array_add(a, g_strdup("ip"));
      g_ptr_array_add(a, g_strdup("netns"));
      g_ptr_array_add(a, g_strdup("exec"));
      g_ptr_array_add(a, g_strdup(ns->real));
      for (char **p = it->argv; *p; p++)
        g_ptr_array_add(a, subst_prefix(*p, bed->prefix));
      g_ptr_array_add(a, NULL);
      ok = hn_run((char **)a->pdata, NULL, &res);
      g_ptr_array_free(a, TRUE);
    }
    if (!ok)
      g_string_append_printf(o, "%s: %s", it->sys, res ? res : "");
    g_free(res);
  }
  *out = g_string_free(o, FALSE);
  return ok;
}

void
hn_replay_free(HnReplay *r)
{
  if (!r)
    return;
  g_hash_table_destroy(r->steps);
  g_free(r);
}
