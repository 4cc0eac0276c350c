/* idm.h - the Identities module as pure bookkeeping (no syscalls, no RPC).
 *
 * Spec: shared/spec/identities-neighborhood.md §4.  One idm per system.  It
 * keeps the identities (main and connectivity), which namespace each one
 * owns, the interface each one uses on every real NIC ("handled NIC"), the
 * physical arcs the operator accepted, the identity-arcs on them, and the
 * pending migrations.  The daemon drives it: it performs the kernel work and
 * the remote calls, then records their outcome here; idm reports every
 * identity-arc change through callbacks (the module's signals).
 *
 * Identity-arc indices are per identity, 0, 1, 2, ... in creation order and
 * never reused (behaviour.md §6.1: the `[...]` list of
 * prepare_enter_net_phase_1 refers to them).  Local identity indices are per
 * system, never reused. */
#ifndef QSPN_IDM_H
#define QSPN_IDM_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "nmsg.h"

#define IDM_MAX_NICS 16
#define IDM_DEVLEN 16
#define IDM_NSLEN 64

typedef struct idm idm;
typedef struct idm_identity idm_identity;
typedef struct idm_idarc idm_idarc;

typedef struct {
    char dev[IDM_DEVLEN];              /* "" = this identity has no interface there */
    nmsg_mac mac;
    uint32_t ll;
} idm_nic;

struct idm_identity {
    int index;                         /* local identity index */
    uint32_t nodeid;
    char ns[IDM_NSLEN];                /* "" = the default namespace */
    idm_nic nics[IDM_MAX_NICS];        /* by real NIC index */
    int next_arc_index;
    GPtrArray *arcs;                   /* idm_idarc*, creation order */
    void *user;                        /* the daemon's runtime of this identity */
};

struct idm_idarc {
    uint64_t arc;                      /* the physical arc */
    int index;                         /* per owner identity */
    idm_identity *owner;
    uint32_t peer_nodeid;
    nmsg_mac peer_mac;                 /* the peer identity's interface on that medium */
    uint32_t peer_ll;
    void *user;                        /* the daemon's runtime of this identity-arc */
};

/* A physical arc accepted by the operator (the daemon's "real arc"). */
typedef struct {
    uint64_t id;
    int nic;                           /* real NIC index */
    nmsg_mac peer_mac;                 /* the neighbour's real NIC */
    uint32_t peer_ll;
} idm_arc;

typedef struct {
    uint32_t migration_id;
    uint32_t old_id, new_id;           /* NodeIDs; new_id 0 until phase A */
    bool ready;
    int64_t expires_us;
    bool has_dev[IDM_MAX_NICS];
    idm_nic devices[IDM_MAX_NICS];     /* the old identity's new interfaces */
} idm_migration;

/* Signals.  They run synchronously inside the call that causes them. */
typedef struct {
    /* prev: the identity-arc it was copied from during a duplication, or NULL */
    void (*idarc_added)(void *user, idm_idarc *w, idm_idarc *prev);
    /* peer_mac/peer_ll changed; only_neighbour: the peer migrated alone */
    void (*idarc_changed)(void *user, idm_idarc *w, const nmsg_mac *old_mac, uint32_t old_ll,
                          bool only_neighbour);
    void (*idarc_removing)(void *user, idm_idarc *w);
    void (*idarc_removed)(void *user, idm_idarc *w);   /* w is freed right after */
} idm_signals;

idm *idm_new(const idm_signals *sig, void *user);
void idm_free(idm *m);

/* The first identity (index 0, main, default namespace) with the real NICs. */
idm_identity *idm_create_main(idm *m, uint32_t nodeid, const idm_nic *nics, int n_nics);

idm_identity *idm_main(const idm *m);
int idm_n_identities(const idm *m);
idm_identity *idm_identity_at(const idm *m, int i);          /* creation order */
idm_identity *idm_by_index(const idm *m, int index);
idm_identity *idm_by_nodeid(const idm *m, uint32_t nodeid);
bool idm_is_main(const idm *m, const idm_identity *id);
/* A NodeID used locally or by a peer in any identity-arc (redraw on true). */
bool idm_nodeid_in_use(const idm *m, uint32_t nodeid);
int idm_n_nics(const idm *m);

/* ---- physical arcs ---------------------------------------------------------- */
bool idm_add_arc(idm *m, const idm_arc *a);
const idm_arc *idm_arc_get(const idm *m, uint64_t arc);
int idm_n_arcs(const idm *m);
const idm_arc *idm_arc_at(const idm *m, int i);
/* Every identity-arc on it is removed (removing + removed for each), then the arc. */
void idm_remove_arc(idm *m, uint64_t arc);

/* ---- identity-arcs -------------------------------------------------------------- */
/* (id == main && peer_ll == arc.peer_ll): its route is the neighbourhood's. */
bool idm_idarc_is_main(const idm *m, const idm_idarc *w);
idm_idarc *idm_add_idarc(idm *m, idm_identity *id, uint64_t arc, uint32_t peer_nodeid,
                         const nmsg_mac *peer_mac, uint32_t peer_ll);
/* UseCases18: is an identity willing to form an identity-arc with another?
 * A main identity (conn_to 0) always; a connectivity identity supporting its
 * g-node of level conn_to only with an identity of that same g-node (equal
 * positions at levels conn_to .. levels-1; conn_to = levels: the whole network).
 * An identity-arc forms when both are willing.  Positions level 0 first. */
bool idm_willing(int conn_to, const int *mine, const int *other, int levels);
idm_idarc *idm_find_idarc(const idm *m, const idm_identity *id, uint64_t arc, uint32_t peer_nodeid);
idm_idarc *idm_find_idarc_by_mac(const idm *m, const idm_identity *id, int nic, const nmsg_mac *peer_mac);
idm_idarc *idm_idarc_by_index(const idm *m, const idm_identity *id, int index);
/* removing (if signal_removing) then removed; w is freed. */
void idm_remove_idarc(idm *m, idm_idarc *w, bool signal_removing);

/* ---- duplication (§4.7, §4.8) ------------------------------------------------- */
/* NULL if old is unknown or (migration_id, old) is already pending. */
idm_migration *idm_prepare_add_identity(idm *m, uint32_t migration_id, idm_identity *old,
                                        int64_t now_us, int64_t lifetime_us);
idm_migration *idm_find_migration(const idm *m, uint32_t migration_id, uint32_t old_nodeid);
void idm_expire_migrations(idm *m, int64_t now_us);
/* When the next migration's data expires (us), INT64_MAX without migrations. */
int64_t idm_next_migration_expiry(const idm *m);

/* Phase A: a new identity takes old's namespace and interfaces; old moves to
 * new_ns with the interfaces pseudo[nic] (for every NIC where old had one).
 * The new identity has no identity-arcs yet.  mig becomes ready. */
idm_identity *idm_add_identity(idm *m, idm_migration *mig, uint32_t new_nodeid, const char *new_ns,
                               const idm_nic *pseudo);
/* Phase B, for one identity-arc w0 of the old identity: copy it to new_id;
 * dup is the peer's answer to match_duplication (present = it migrated too).
 * Signals: idarc_added(w1, w0), then idarc_changed(w0) when present. */
idm_idarc *idm_duplicate_idarc(idm *m, idm_identity *new_id, idm_idarc *w0, const nmsg_dupdata *dup);
/* The neighbour's side when the peer migrated alone (§4.8, HEAD signal order):
 * w_old (my identity-arc to peer_old) takes mac/ll, a new identity-arc to
 * peer_new keeps the old ones.  Returns the new one, NULL if w_old is unknown. */
idm_idarc *idm_neighbour_migrated(idm *m, idm_identity *my, uint64_t arc, uint32_t peer_old,
                                  uint32_t peer_new, const nmsg_mac *mac, uint32_t ll);

/* Forget a connectivity identity and its identity-arcs (no signals, as [P]);
 * the daemon has notified the peers and removed the namespace. */
void idm_remove_identity(idm *m, idm_identity *id);

#endif
