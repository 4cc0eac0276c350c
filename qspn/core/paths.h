/* paths.h - map helpers shared by the manager files. Private to qspn/core. */
#ifndef QSPN_CORE_PATHS_H
#define QSPN_CORE_PATHS_H

#include "manager_internal.h"

typedef struct {
    int n, cap;
    ntk_hcoord *v;
} hc_set;

ntk_hcoord qspn_coord_of(const qspn_manager *m, const ntk_naddr *x);
arc_t *qspn_arc_by_handle(const qspn_manager *m, void *h);
arc_t *qspn_arc_by_id(const qspn_manager *m, uint32_t id);
uint32_t qspn_np_total(const qspn_manager *m, const nodepath *np);
/* Hop sequences: a stored path (qspn_spath) and a wire path (qspn_etp_path)
 * both have hops and n_hops, so these take either. */
bool qspn_hops_contain(const qspn_hop *hops, int n, ntk_hcoord h);
bool qspn_same_hops(const qspn_hop *a, int na, const qspn_hop *b, int nb);
#define qspn_path_contains(p, h) qspn_hops_contain((p)->hops, (p)->n_hops, (h))
#define qspn_same_path(a, b) qspn_same_hops((a)->hops, (a)->n_hops, (b)->hops, (b)->n_hops)
int qspn_np_cmp(const qspn_manager *m, const nodepath *a, const nodepath *b);
void qspn_sort_nps(const qspn_manager *m, nodepath *v, int n);
void qspn_np_list_push(np_list *l, nodepath np);
void qspn_np_list_free(qspn_manager *m, np_list *l);
void qspn_path_list_push(path_list *l, qspn_etp_path p);
void qspn_path_list_free(path_list *l);
void qspn_path_copy_or_die(qspn_etp_path *dst, const qspn_etp_path *src);
/* Stored paths: the wire form's hops, cost and nodes_inside, its
 * fingerprint interned in m; a copy shares the fingerprint; free releases it. */
void qspn_spath_from_wire(qspn_manager *m, qspn_spath *dst, const qspn_etp_path *src);
void qspn_spath_copy(qspn_spath *dst, const qspn_spath *src);
void qspn_spath_free(qspn_manager *m, qspn_spath *p);
/* Replace p's fingerprint by (an interned copy of) fp. */
void qspn_spath_set_fp(qspn_manager *m, qspn_spath *p, const qspn_fp *fp);

dest_t *qspn_find_dest(const qspn_manager *m, ntk_hcoord h);
/* Spare paths of h (NULL if none); take moves them out (caller frees). */
dest_t *qspn_spare_find(const qspn_manager *m, ntk_hcoord h);
np_list qspn_spare_take(qspn_manager *m, ntk_hcoord h);
void qspn_spare_add(qspn_manager *m, ntk_hcoord h, nodepath np);
/* Room for n more spare paths of h, allocated exactly. */
void qspn_spare_reserve(qspn_manager *m, ntk_hcoord h, int n);
/* Drop every spare path whose first arc is arc_id; returns how many. */
/* Forget the spare paths of levels >= from_level. */
void qspn_spare_clear(qspn_manager *m, int from_level);
int qspn_spare_drop_arc(qspn_manager *m, uint32_t arc_id, hc_set *dests);
dest_t *qspn_add_dest(qspn_manager *m, ntk_hcoord h);
void qspn_free_dest_paths(qspn_manager *m, dest_t *d);
void qspn_remove_dest(qspn_manager *m, ntk_hcoord h);
int qspn_eval_dest(const qspn_manager *m, const nodepath *v, int n, int lvl);
const qspn_fp *qspn_valid_fp(const nodepath *v, int n);
uint32_t qspn_dest_nodes_inside(const qspn_manager *m, ntk_hcoord h);

void qspn_hc_set_add(hc_set *s, ntk_hcoord h);
bool qspn_hc_set_has(const hc_set *s, ntk_hcoord h);
void qspn_hc_set_free(hc_set *s);
void qspn_compute_z(const qspn_manager *m, int i, hc_set *z);
void qspn_compute_z_from(const qspn_manager *m, int i, const hc_set *dests, hc_set *z);

bool qspn_disjoint(const qspn_manager *m, const qspn_spath *p, const qspn_spath *q,
                   ntk_hcoord d, bool d_known, double mch);
double qspn_mch_ratio(const qspn_manager *m, ntk_hcoord d, const dest_t *dd);

void qspn_prepare_step1(const qspn_manager *m, const nodepath *np, bool dead, qspn_etp_path *out);
void qspn_prepare_step2(const qspn_manager *m, qspn_etp_path *p);
bool qspn_update_clusters(qspn_manager *m, bool emit);

/* The user's view of a stored path (valid until the next mutating call). */
void qspn_view_of(const qspn_manager *m, const nodepath *np, qspn_path_view *out);

#endif
