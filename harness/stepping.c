/* stepping.c -- the pings of a step: documented (expected/PINGS.txt, subject
 * to --pings) and explicit (ping, ping-all), run after the checkpoint. */
#include "run.h"

#include <json-glib/json-glib.h>
#include <string.h>

#define PING_PARALLEL 16

typedef struct {
  GArray *jobs;      /* HnPingJob */
  GPtrArray *labels; /* "beta->10.0.0.22 (PINGS.txt line 3)" per job */
  GString *errors;   /* ping-all problems */
  guint failed_setup;
} Plan;

static void
plan_add(Plan *pl, HnNs *src, const char *dest, gboolean expect_ok, char *label)
{
  HnPingJob j = { src->real, dest, expect_ok, FALSE, 0 };
  g_array_append_val(pl->jobs, j);
  g_ptr_array_add(pl->labels, label);
}

char *
hn_main_global_address(const char *json)
{
  JsonParser *p = json_parser_new();
  char *res = NULL;
  if (json && json_parser_load_from_data(p, json, -1, NULL) && JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
    JsonObject *o = json_node_get_object(json_parser_get_root(p));
    JsonArray *ids = json_object_has_member(o, "identities") ? json_object_get_array_member(o, "identities") : NULL;
    for (guint i = 0; ids && !res && i < json_array_get_length(ids); i++) {
      JsonObject *id = json_array_get_object_element(ids, i);
      if (!id || !json_object_has_member(id, "main") || !json_object_get_boolean_member(id, "main") ||
          !json_object_has_member(id, "addresses"))
        continue;
      JsonArray *as = json_object_get_array_member(id, "addresses");
      for (guint k = 0; as && !res && k < json_array_get_length(as); k++) {
        JsonObject *a = json_array_get_object_element(as, k);
        if (a && json_object_has_member(a, "kind") && json_object_has_member(a, "ip") &&
            !g_strcmp0(json_object_get_string_member(a, "kind"), "global"))
          res = g_strdup(json_object_get_string_member(a, "ip"));
      }
    }
  }
  g_object_unref(p);
  return res;
}

/* ping-all: every running daemon's system pings every other one's global address */
static void
plan_ping_all(HnRun *r, Plan *pl, GPtrArray *keep)
{
  GPtrArray *sys = g_ptr_array_new();
  GPtrArray *addr = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < r->bed->nss->len; i++) {
    HnNs *ns = g_ptr_array_index(r->bed->nss, i);
    if (!hn_ns_daemon_alive(ns))
      continue;
    char *out = NULL;
    char *a = hn_qspnctl(r, ns, "show --json", &out) ? hn_main_global_address(out) : NULL;
    if (!a) {
      g_string_append_printf(pl->errors, "ping-all: no global address of %s's main identity; ", ns->name);
      pl->failed_setup++;
    } else {
      g_ptr_array_add(sys, ns);
      g_ptr_array_add(addr, a);
    }
    g_free(out);
  }
  for (guint i = 0; i < sys->len; i++)
    for (guint k = 0; k < sys->len; k++) {
      if (i == k)
        continue;
      HnNs *s = g_ptr_array_index(sys, i);
      char *dest = g_strdup(g_ptr_array_index(addr, k));
      g_ptr_array_add(keep, dest);
      plan_add(pl, s, dest, TRUE,
               g_strdup_printf("%s->%s (%s, ping-all)", s->name, dest, ((HnNs *)g_ptr_array_index(sys, k))->name));
    }
  g_ptr_array_free(sys, TRUE);
  g_ptr_array_free(addr, TRUE);
}

static gboolean
doc_pings_wanted(HnRun *r, HnStep *st)
{
  return r->o->pings == HN_PINGS_ALL || (r->o->pings == HN_PINGS_QUIESCENT && !st->intermediate);
}

gboolean
hn_step_pings(HnRun *r, HnStep *st, GString *detail)
{
  Plan pl = { g_array_new(FALSE, TRUE, sizeof(HnPingJob)), g_ptr_array_new_with_free_func(g_free), g_string_new(NULL),
              0 };
  GPtrArray *keep = g_ptr_array_new_with_free_func(g_free);
  GPtrArray *doc = doc_pings_wanted(r, st) ? hn_pings_for(r->doc_pings, st->id) : NULL;
  for (guint i = 0; doc && i < doc->len; i++) {
    HnDocPing *d = g_ptr_array_index(doc, i);
    plan_add(&pl, hn_bed_ns(r->bed, d->src), d->dest, d->expect_ok,
             g_strdup_printf("%s->%s (PINGS.txt line %d)", d->src, d->dest, d->line));
  }
  for (guint i = 0; i < st->pings->len; i++) {
    HnPing *x = g_ptr_array_index(st->pings, i);
    if (x->all)
      plan_ping_all(r, &pl, keep);
    else
      plan_add(&pl, hn_bed_ns(r->bed, x->src), x->dest, x->expect_ok,
               g_strdup_printf("%s->%s %s (line %d)", x->src, x->dest, x->expect_ok ? "ok" : "fail", x->line));
  }
  guint n = pl.jobs->len, ok = 0;
  if (n)
    hn_progress_phase("pings: %u", n);
  hn_ping_run((HnPingJob *)(void *)pl.jobs->data, n, PING_PARALLEL);
  GString *bad = g_string_new(NULL);
  for (guint i = 0; i < n; i++) {
    HnPingJob *j = &g_array_index(pl.jobs, HnPingJob, i);
    if (j->passed) {
      ok++;
      continue;
    }
    g_string_append_printf(bad, "%s%s %s", bad->len ? ", " : "", (char *)g_ptr_array_index(pl.labels, i),
                           j->expect_ok ? "no reply" : "replied");
    if (r->cur)
      g_ptr_array_add(r->cur->failures, g_strdup_printf("ping %s %s", (char *)g_ptr_array_index(pl.labels, i),
                                                        j->expect_ok ? "no reply" : "replied"));
  }
  guint total = n + pl.failed_setup;
  if (r->cur) {
    r->cur->pings_ok += ok;
    r->cur->pings_total += total;
    hn_record_failures(r->cur, pl.errors->str);
  }
  r->pings_ok += ok;
  r->pings_total += total;
  if (total > 0)
    g_string_append_printf(detail, "; pings %u/%u", ok, total);
  if (bad->len || pl.errors->len)
    g_string_append_printf(detail, ": %s%s", pl.errors->str, bad->str);
  gboolean all = ok == total;
  g_string_free(bad, TRUE);
  g_array_free(pl.jobs, TRUE);
  g_ptr_array_free(pl.labels, TRUE);
  g_string_free(pl.errors, TRUE);
  g_ptr_array_free(keep, TRUE);
  return all;
}
