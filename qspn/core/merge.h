/* merge.h - update_map (spec §3.5). Private to qspn/core. */
#ifndef QSPN_CORE_MERGE_H
#define QSPN_CORE_MERGE_H

#include "paths.h"

/* What a merge leaves for the caller besides the map and the signals. */
typedef struct {
    path_list p_out;     /* changed paths to advertise (step1-prepared; DEAD = withdrawn) */
    hc_set flood;        /* destinations with a new fingerprint among several (split flood) */
    hc_set split;        /* destinations with more than one fingerprint (split timers) */
    hc_set merged;       /* level >= 1 destinations merged and still known */
    hc_set added;        /* destinations that became known (spare re-selection) */
} merge_result;

/* Merge the revised paths q (consumed) into the map; a_changed is the arc
 * whose cost changed (0 = none). Signals are emitted per destination once
 * its list is stored. */
void qspn_merge(qspn_manager *m, np_list *q, uint32_t a_changed, merge_result *out);
/* Select again the destinations `dests` from their stored and spare paths
 * (no new path): after an arc cost change or removal. */
void qspn_merge_dests(qspn_manager *m, const hc_set *dests, uint32_t a_changed, merge_result *out);
void qspn_merge_result_free(merge_result *r);

/* merge.c: steps 4-10 of §3.5 for one destination (qd consumed). */
void qspn_merge_dest(qspn_manager *m, ntk_hcoord d, np_list *qd, uint32_t a_changed,
                     const hc_set *z, merge_result *out);
/* reselect.c */
void qspn_reselect_spare(qspn_manager *m, uint32_t a_changed, const hc_set *z, merge_result *out);
void qspn_reselect_if_z_changed(qspn_manager *m, uint32_t a_changed, hc_set *z, merge_result *out);

#endif
