/* enter.h - operations that duplicate an identity: entry into another
 * network and migration (behaviour.md §5.8-§5.10), and the testbed's pins. */
#ifndef QSPN_DAEMON_ENTER_H
#define QSPN_DAEMON_ENTER_H

#include "system.h"

#define QOP_MAX_ARCS 64

/* The arguments of prepare_enter_net_phase_1 / prepare_migrate_phase_1. */
typedef struct {
    bool migrate;
    int old_index;
    int guest_level, host_level;       /* k < h <= l */
    int host_pos[NTK_MAX_LEVELS];      /* by level, for levels h .. l-1 */
    uint32_t host_eld[NTK_MAX_LEVELS];
    int pos1, pos2, cpos;              /* virtual at h-1, real at h-1, connectivity at k */
    uint32_t eld1, eld2, cpos_eld;
    int n_arcs;                        /* entry: identity-arc indices of old that become qspn-arcs */
    int arcs[QOP_MAX_ARCS];
    uint32_t op_id;
    bool has_prev;                     /* prev_op_id given: wait for phase 2 */
    uint32_t prev_op_id;
} qop_params;

/* Values a testbed pins for an operation (pin_operation): the identity
 * namespace's short name and, per real NIC, the pseudo-interface's MAC and
 * link-local.  Without a pin qspnd chooses them. */
typedef struct {
    char name[IDM_NSLEN];
    bool has_nic[QSPND_MAX_NICS];
    nmsg_mac mac[QSPND_MAX_NICS];
    uint32_t ll[QSPND_MAX_NICS];
} qpin;

struct qop {
    qsys *s;
    qop_params p;
    int old_index;
    uint32_t op_id;
    bool started, phase1_done, phase2_done;
    qid *old, *nw;
    GPtrArray *dups;
    int waiting;

    /* completion of phase 1 (the command's reply) */
    void (*done)(qop *op, bool ok, const char *reason);
    void *done_ctx;
};

/* NULL on success, else err (filled). */
/* opargs.c: argv[1..11] and the last two words (operation ids) of the prepare
 * commands; the identity-arc list "[0]", "[2,5]", "[]".  false with a reason. */
bool qop_parse_args(const ntk_topology *t, int argc, char **argv, qop_params *p, GString *err);
bool qop_parse_arc_list(const char *w, qop_params *p, GString *err);

const char *qop_prepare(qsys *s, const qop_params *p, char *err, size_t errlen);
qop *qop_find(qsys *s, int old_index, uint32_t op_id);
/* Starts phase 1; op->done is called when it completes (maybe later). */
bool qop_phase1(qop *op, char *err, size_t errlen);
bool qop_phase2(qop *op, char *err, size_t errlen);

#endif
