/* picture.h -- the live state at a checkpoint as a picture (graphviz dot):
 * one cluster per system, one node per identity (address, namespace),
 * coloured by its g-node of level l-2, identity-arcs as edges (dashed when
 * not a qspn-arc), and the path a packet takes from the first to the last
 * running system, followed through the kernels' tables, in red.
 */
#ifndef QSPN_HARNESS_PICTURE_H
#define QSPN_HARNESS_PICTURE_H

#include "run.h"

/* Writes DIR/<id>-<slug>.dot and .svg (dot -Tsvg), and each system's
 * `show --json` as DIR/<id>-<slug>/<system>.json.  TRUE and *svg (newly
 * allocated) on success; otherwise why says what went wrong. */
gboolean hn_picture(HnRun *r, HnStep *st, const char *dir, char **svg, GString *why);

#endif
