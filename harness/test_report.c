/* test_report.c -- the pure parts of the run report: the JSON document of
 * `run --json` (report.c) and the progress line (progress.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-glib/json-glib.h>
#include <string.h>

#include "progress.h"
#include "report.h"

static JsonObject *
parse(const char *text, JsonParser **p)
{
  *p = json_parser_new();
  assert_true(json_parser_load_from_data(*p, text, -1, NULL));
  return json_node_get_object(json_parser_get_root(*p));
}

static void
test_failures_split(void **state)
{
  (void)state;
  HnStepRecord *r = hn_record_new("S01a", "startup-alfa", 0);
  hn_record_failures(r, "alfa, beta differ after 20s; artifacts: /x/S01a; ");
  hn_record_failures(r, NULL);
  hn_record_failures(r, "");
  assert_int_equal(r->failures->len, 2);
  assert_string_equal(g_ptr_array_index(r->failures, 0), "alfa, beta differ after 20s");
  assert_string_equal(g_ptr_array_index(r->failures, 1), "artifacts: /x/S01a");
  hn_record_failures(NULL, "ignored");   /* no record: nothing */
  hn_record_free(r);
}

static void
test_json_document(void **state)
{
  (void)state;
  GPtrArray *recs = g_ptr_array_new_with_free_func(hn_record_free);
  HnStepRecord *a = hn_record_new("S02d", "beta0-dismissed", 0);
  a->checkpoint = "check";
  a->duration = 2.0004;
  a->settle = 1.2346;
  a->namespaces = 8;
  a->deviations = 3;
  a->pings_ok = 4;
  a->pings_total = 5;
  a->status = "failed";
  a->detail = g_strdup("compared: all 8 systems; pings 4/5: beta->10.0.0.22 (PINGS.txt line 1) no reply");
  g_ptr_array_add(a->failures, g_strdup("ping beta->10.0.0.22 (PINGS.txt line 1) no reply"));
  g_ptr_array_add(recs, a);
  HnStepRecord *t = hn_record_new("T2", "cleanup", 0);
  t->checkpoint = "final";
  g_ptr_array_add(recs, t);
  HnReportTotals tot = { "w.world", "s.steps", "qh1-", NULL, "2026-11-29T20:00:00Z", 61.5, 1, 1, 1, 0,
                         0, 1, 4, 5, -1, "/art", NULL, FALSE, FALSE };
  char *text = hn_report_json(recs, &tot);
  assert_true(g_str_has_suffix(text, "}\n"));
  JsonParser *p;
  JsonObject *o = parse(text, &p);
  assert_int_equal(json_object_get_int_member(o, "schema_version"), HN_REPORT_SCHEMA_VERSION);
  assert_string_equal(json_object_get_string_member(o, "mode"), "replay");   /* no qspnd */
  assert_true(json_object_get_null_member(o, "qspnd"));
  assert_int_equal(json_object_get_int_member(o, "duration_ms"), 61500);
  assert_int_equal(json_object_get_int_member(o, "exit_status"), 1);
  assert_string_equal(json_object_get_string_member(o, "artifacts"), "/art");
  assert_true(json_object_get_null_member(o, "stopped_at"));
  JsonArray *steps = json_object_get_array_member(o, "steps");
  assert_int_equal(json_array_get_length(steps), 2);
  JsonObject *s = json_array_get_object_element(steps, 0);
  assert_string_equal(json_object_get_string_member(s, "id"), "S02d");
  assert_string_equal(json_object_get_string_member(s, "status"), "failed");
  assert_string_equal(json_object_get_string_member(s, "checkpoint"), "check");
  assert_int_equal(json_object_get_int_member(s, "duration_ms"), 2000);
  assert_int_equal(json_object_get_int_member(s, "settle_ms"), 1235);
  JsonObject *ck = json_object_get_object_member(s, "checks");
  assert_int_equal(json_object_get_int_member(ck, "namespaces"), 8);
  assert_int_equal(json_object_get_int_member(ck, "deviations"), 3);
  JsonObject *pg = json_object_get_object_member(s, "pings");
  assert_int_equal(json_object_get_int_member(pg, "ok"), 4);
  assert_int_equal(json_object_get_int_member(pg, "total"), 5);
  JsonArray *f = json_object_get_array_member(s, "failures");
  assert_int_equal(json_array_get_length(f), 1);
  assert_string_equal(json_array_get_string_element(f, 0), "ping beta->10.0.0.22 (PINGS.txt line 1) no reply");
  s = json_array_get_object_element(steps, 1);
  assert_true(json_object_get_null_member(s, "settle_ms"));    /* T2: no checkpoint time */
  assert_string_equal(json_object_get_string_member(s, "status"), "passed");
  assert_string_equal(json_object_get_string_member(s, "detail"), "");
  JsonObject *to = json_object_get_object_member(o, "totals");
  assert_int_equal(json_object_get_int_member(to, "steps"), 2);
  assert_int_equal(json_object_get_int_member(to, "failed"), 1);
  assert_true(json_object_get_null_member(to, "pictures"));
  assert_int_equal(json_object_get_int_member(json_object_get_object_member(to, "pings"), "total"), 5);
  g_object_unref(p);
  g_free(text);
  g_ptr_array_free(recs, TRUE);
}

static void
test_progress_line(void **state)
{
  (void)state;
  GString *l = g_string_new(NULL);
  HnProgressView v = { 3, 71, "S01c", "beta-start", "settle: 8 namespaces unchanged for 0.1s of 0.3s (0s of 20s)",
                       1.25, 125.0 };
  hn_progress_format(l, &v, 200);
  assert_string_equal(l->str, "[ 3/71] S01c beta-start | settle: 8 namespaces unchanged for 0.1s of 0.3s "
                              "(0s of 20s) | 1.2s, run 2m05s");
  hn_progress_format(l, &v, 40);        /* cut to the terminal's width, never wrapped */
  assert_int_equal(g_utf8_strlen(l->str, -1), 40);
  assert_true(g_str_has_suffix(l->str, "…"));
  assert_true(g_str_has_prefix(l->str, "[ 3/71] S01c beta-start | settle"));
  HnProgressView t = { 0, 71, "T1", "quit-all", NULL, 0.0, 59.9 };
  hn_progress_format(l, &t, 5);         /* width below 20 counts as 20 */
  assert_int_equal(g_utf8_strlen(l->str, -1), 20);
  hn_progress_format(l, &t, 200);
  assert_string_equal(l->str, "[end] T1 quit-all | - | 0.0s, run 0m59s");
  g_string_free(l, TRUE);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_failures_split),
    cmocka_unit_test(test_json_document),
    cmocka_unit_test(test_progress_line),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
