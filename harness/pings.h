/* pings.h -- the documented ping checks (expected/PINGS.txt) and the ping
 * runner of the harness. */
#ifndef QSPN_HARNESS_PINGS_H
#define QSPN_HARNESS_PINGS_H

#include <glib.h>

#include "config.h"

#define HN_PING_ATTEMPTS 3 /* a check expecting a reply passes at the first reply */

typedef struct {
  char *step, *src, *dest;
  gboolean expect_ok; /* documented outcome OK (FAIL: no reply expected) */
  int line;           /* line in PINGS.txt */
  int doc_line;       /* line of the original sequence script */
} HnDocPing;

typedef struct HnPingList HnPingList;

/* Parse PINGS.txt ("STEP SRC_SYSTEM DEST_IP line N OK|FAIL" per line): every
 * source must be a system of the world; errors "<file>:<line>: ...". */
HnPingList *hn_pings_load(const char *path, const HnWorld *w, GError **error);
/* The checks of one step, in file order (never NULL; not owning the entries). */
GPtrArray *hn_pings_for(HnPingList *l, const char *step);
guint hn_pings_total(HnPingList *l);
void hn_pings_free(HnPingList *l);

typedef struct {
  const char *src_real; /* netns of the source */
  const char *dest;
  gboolean expect_ok;
  /* results */
  gboolean passed;
  int attempts;
} HnPingJob;

/* Run the jobs, at most max_parallel at once: `ip netns exec SRC ping -n -q
 * -c 1 -W 1 DEST`; a job expecting a reply is retried until it gets one, at
 * most HN_PING_ATTEMPTS attempts; a job expecting none makes one attempt. */
void hn_ping_run(HnPingJob *jobs, guint n, guint max_parallel);

#endif
