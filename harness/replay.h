/* replay.h -- replay the documented commands of a step from
 * shared/scenarios/sequence-netns.sh instead of running qspnd: validates the
 * testbed, the dump and the comparator independently of the daemon.
 */
#ifndef QSPN_HARNESS_REPLAY_H
#define QSPN_HARNESS_REPLAY_H

#include <glib.h>

#include "testbed.h"

typedef struct HnReplay HnReplay;

HnReplay *hn_replay_load(const char *sequence_sh, GError **error);
/* Run the run_block/sysrun commands of step `id` inside the systems of bed.
 * TRUE if all succeeded (or the step has none); out: output of failures. */
gboolean hn_replay_step(HnReplay *r, const char *id, HnBed *bed, char **out);
void hn_replay_free(HnReplay *r);

#endif
