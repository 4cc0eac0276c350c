/* report.h -- the machine-readable report of a run (`run --json FILE`,
 * docs/harness.md, docs/json-schema/harness-report.json): one record per
 * report line (the steps that are reported, T1, T2) and the totals. */
#ifndef QSPN_HARNESS_REPORT_H
#define QSPN_HARNESS_REPORT_H

#include <glib.h>

#define HN_REPORT_SCHEMA_VERSION 1

typedef struct {
  char *id, *slug;
  const char *status;        /* "passed", "failed", "skipped" */
  const char *checkpoint;    /* "check", "settle", "final" (T1, T2), "none" */
  gboolean intermediate;
  char *detail;              /* the text in parentheses of the report line */
  double t0;                 /* hn_now() when the step began */
  double duration;           /* seconds, actions + checkpoint + pings (JSON: duration_ms) */
  double settle;             /* seconds the network took (the report line's figure); < 0: none
                              * (JSON: settle_ms, null) */
  guint namespaces, differing, deviations;  /* of the checkpoint */
  guint pings_total, pings_ok;
  GPtrArray *failures;       /* char*: one message each */
} HnStepRecord;

/* What the report says about the whole run. */
typedef struct {
  const char *world, *steps, *prefix, *qspnd;   /* qspnd NULL: replay mode */
  char *started_at;                             /* UTC, ISO 8601 */
  double duration;
  int exit_status;
  int passed, failed, skipped;
  guint quiescent_ok, quiescent_total, pings_ok, pings_total;
  int pictures;                                 /* -1: no --pictures */
  const char *artifacts;                        /* NULL: none written */
  const char *stopped_at;                       /* --stop-at STEP, NULL */
  gboolean interrupted, watchdog;
} HnReportTotals;

HnStepRecord *hn_record_new(const char *id, const char *slug, double t0);
void hn_record_free(gpointer rec);
/* Add the "; "-separated parts of text (NULL or "" adds nothing) as failures. */
void hn_record_failures(HnStepRecord *rec, const char *text);

/* The JSON document (pretty-printed, ends with a newline). */
char *hn_report_json(const GPtrArray *records, const HnReportTotals *t);
/* Write it to path (atomically); FALSE with *error. */
gboolean hn_report_write(const char *path, const GPtrArray *records, const HnReportTotals *t, GError **error);

#endif
