/* normalise.h -- checkpoint dump normaliser (C re-implementation of
 * shared/scenarios/normalise.sh) and dump comparison.
 */
#ifndef QSPN_HARNESS_NORMALISE_H
#define QSPN_HARNESS_NORMALISE_H

#include <glib.h>

/* Normalise a whole dump.  semantic = FALSE: strict mode of normalise.sh;
 * TRUE: "-s" mode.  Both modes also drop " proto 15" / " proto ntk" (the
 * protocol of qspnd's routes, 15 = RTPROT_NTK, which iproute2 prints by
 * name), which never occurs in documented dumps.
 * Every output line ends with '\n'.  Returns a newly allocated string. */
char *hn_normalise(const char *text, gboolean semantic);

/* Mask the link state of interface header lines of the "ip addr" section
 * ("eth1: <BROADCAST,...,UP> mtu ... state UP ..." -> "eth1: <link>"),
 * used to compare a system after its daemon quit with its pre-start
 * state (the daemon brings eth1 up and leaves it up).  Newly allocated. */
char *hn_mask_link_state(const char *normalised);

typedef enum {
  HN_CMP_EXACT = 0,   /* normalised texts equal */
  HN_CMP_CONTAINS,    /* every expected line present in actual (multiset) */
} HnCompareMode;

/* Compare two normalised dumps.  On mismatch returns FALSE and, if
 * report != NULL, appends a short description (missing/unexpected lines,
 * at most max_lines of each). */
gboolean hn_compare(const char *expected, const char *actual, HnCompareMode mode,
                    GString *report, guint max_lines);

#endif
