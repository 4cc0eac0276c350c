/* report.c -- see report.h. */
#include "report.h"

#include <json-glib/json-glib.h>
#include <string.h>

HnStepRecord *
hn_record_new(const char *id, const char *slug, double t0)
{
  HnStepRecord *r = g_new0(HnStepRecord, 1);
  r->id = g_strdup(id);
  r->slug = g_strdup(slug);
  r->status = "passed";
  r->checkpoint = "none";
  r->t0 = t0;
  r->settle = -1;
  r->failures = g_ptr_array_new_with_free_func(g_free);
  return r;
}

void
hn_record_free(gpointer p)
{
  HnStepRecord *r = p;
  if (!r)
    return;
  g_free(r->id);
  g_free(r->slug);
  g_free(r->detail);
  g_ptr_array_free(r->failures, TRUE);
  g_free(r);
}

void
hn_record_failures(HnStepRecord *rec, const char *text)
{
  if (!rec || !text)
    return;
  char **parts = g_strsplit(text, "; ", -1);
  for (char **p = parts; *p; p++) {
    g_strstrip(*p);
    if (**p)
      g_ptr_array_add(rec->failures, g_strdup(*p));
  }
  g_strfreev(parts);
}

/* seconds as whole milliseconds (JSON integers: no binary fractions in the report) */
static gint64
ms(double s)
{
  return s <= 0 ? 0 : (gint64)(s * 1000.0 + 0.5);
}

static void
add_string_or_null(JsonBuilder *b, const char *name, const char *v)
{
  json_builder_set_member_name(b, name);
  if (v)
    json_builder_add_string_value(b, v);
  else
    json_builder_add_null_value(b);
}

static void
add_int(JsonBuilder *b, const char *name, gint64 v)
{
  json_builder_set_member_name(b, name);
  json_builder_add_int_value(b, v);
}

static void
add_step(JsonBuilder *b, const HnStepRecord *r)
{
  json_builder_begin_object(b);
  add_string_or_null(b, "id", r->id);
  add_string_or_null(b, "slug", r->slug);
  add_string_or_null(b, "status", r->status);
  add_string_or_null(b, "checkpoint", r->checkpoint);
  json_builder_set_member_name(b, "intermediate");
  json_builder_add_boolean_value(b, r->intermediate);
  add_int(b, "duration_ms", ms(r->duration));
  json_builder_set_member_name(b, "settle_ms");
  if (r->settle >= 0)
    json_builder_add_int_value(b, ms(r->settle));
  else
    json_builder_add_null_value(b);
  json_builder_set_member_name(b, "checks");
  json_builder_begin_object(b);
  add_int(b, "namespaces", r->namespaces);
  add_int(b, "differing", r->differing);
  add_int(b, "deviations", r->deviations);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "pings");
  json_builder_begin_object(b);
  add_int(b, "ok", r->pings_ok);
  add_int(b, "total", r->pings_total);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "failures");
  json_builder_begin_array(b);
  for (guint i = 0; i < r->failures->len; i++)
    json_builder_add_string_value(b, g_ptr_array_index(r->failures, i));
  json_builder_end_array(b);
  add_string_or_null(b, "detail", r->detail ? r->detail : "");
  json_builder_end_object(b);
}

static void
add_totals(JsonBuilder *b, const HnReportTotals *t, guint steps)
{
  json_builder_set_member_name(b, "totals");
  json_builder_begin_object(b);
  add_int(b, "steps", steps);
  add_int(b, "passed", t->passed);
  add_int(b, "failed", t->failed);
  add_int(b, "skipped", t->skipped);
  json_builder_set_member_name(b, "quiescent_checkpoints");
  json_builder_begin_object(b);
  add_int(b, "ok", t->quiescent_ok);
  add_int(b, "total", t->quiescent_total);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "pings");
  json_builder_begin_object(b);
  add_int(b, "ok", t->pings_ok);
  add_int(b, "total", t->pings_total);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "pictures");
  if (t->pictures >= 0)
    json_builder_add_int_value(b, t->pictures);
  else
    json_builder_add_null_value(b);
  json_builder_end_object(b);
}

char *
hn_report_json(const GPtrArray *records, const HnReportTotals *t)
{
  JsonBuilder *b = json_builder_new();
  json_builder_begin_object(b);
  add_int(b, "schema_version", HN_REPORT_SCHEMA_VERSION);
  add_string_or_null(b, "world", t->world);
  add_string_or_null(b, "steps_file", t->steps);
  add_string_or_null(b, "prefix", t->prefix);
  add_string_or_null(b, "mode", t->qspnd ? "qspnd" : "replay");
  add_string_or_null(b, "qspnd", t->qspnd);
  add_string_or_null(b, "started_at", t->started_at);
  add_int(b, "duration_ms", ms(t->duration));
  add_int(b, "exit_status", t->exit_status);
  json_builder_set_member_name(b, "interrupted");
  json_builder_add_boolean_value(b, t->interrupted);
  json_builder_set_member_name(b, "watchdog");
  json_builder_add_boolean_value(b, t->watchdog);
  add_string_or_null(b, "stopped_at", t->stopped_at);
  add_string_or_null(b, "artifacts", t->artifacts);
  json_builder_set_member_name(b, "steps");
  json_builder_begin_array(b);
  for (guint i = 0; records && i < records->len; i++)
    add_step(b, g_ptr_array_index(records, i));
  json_builder_end_array(b);
  add_totals(b, t, records ? records->len : 0);
  json_builder_end_object(b);
  JsonGenerator *g = json_generator_new();
  JsonNode *root = json_builder_get_root(b);
  json_generator_set_root(g, root);
  json_generator_set_pretty(g, TRUE);
  char *text = json_generator_to_data(g, NULL);
  char *out = g_strconcat(text, "\n", NULL);
  g_free(text);
  json_node_unref(root);
  g_object_unref(g);
  g_object_unref(b);
  return out;
}

gboolean
hn_report_write(const char *path, const GPtrArray *records, const HnReportTotals *t, GError **error)
{
  char *text = hn_report_json(records, t);
  gboolean ok = g_file_set_contents(path, text, -1, error);
  g_free(text);
  return ok;
}
