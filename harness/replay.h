/* replay.h -- replay the documented commands of a step from
 * shared/scenarios/sequence-netns.sh instead of running qspnd: validates the
 * testbed, the dump, the comparator and the identity namespaces
 * independently of the daemon.
 */
#ifndef QSPN_HARNESS_REPLAY_H
#define QSPN_HARNESS_REPLAY_H

#include <glib.h>

#include "testbed.h"

typedef struct HnReplay HnReplay;

/* Parse the generated script: every line inside a step must be one the
 * replay understands (errors "<file>:<line>: ..."). */
HnReplay *hn_replay_load(const char *sequence_sh, GError **error);
/* Run the commands of step `id` in script order (run_block / sysrun inside
 * the systems, ns_add / ns_del of identity namespaces).  TRUE if all
 * succeeded (or the step has none); out: what failed. */
gboolean hn_replay_step(HnReplay *r, const char *id, HnBed *bed, char **out);
/* The arcs the script opens at step id ("a b" pairs, sorted, a < b); NULL-safe. */
GPtrArray *hn_replay_arcs(HnReplay *r, const char *id);
gboolean hn_replay_has_step(HnReplay *r, const char *id);
void hn_replay_free(HnReplay *r);

#endif
