/* nbr_table.h - the neighbourhood as a pure state machine (no sockets, no
 * clock): managed NICs, the neighbours heard on each, and the arcs.
 *
 * Arcs form by a two-way HELLO exchange (as OSPF's 2-way state): every HELLO
 * lists the neighbours its sender hears on that medium; when I find myself in
 * the list of a neighbour I hear, the arc exists (ARC_UP).  The HELLO is also
 * the keep-alive: a neighbour silent for longer than the dead interval it
 * advertised, one that stops listing me, or one that says "bye" loses its arc
 * (ARC_DOWN).  The caller feeds received HELLOs and the time, and sends what
 * nbr_build_hello() produces every hello interval on every NIC.
 *
 * Consistency rules (spec identities-neighborhood.md §1.4, §1.5 and HEAD's
 * checks): one arc per (my NIC, neighbour) collision domain; a MAC known under
 * another NNID, a link-local known under another MAC, or one of my own
 * link-locals are ignored (and counted). */
#ifndef QSPN_NBR_TABLE_H
#define QSPN_NBR_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "nmsg.h"

#define NBR_MAX_NICS 16
#define NBR_DEVLEN 16

typedef struct {
    char dev[NBR_DEVLEN];
    nmsg_mac mac;
    uint32_t ll;                  /* host order */
} nbr_nic;

typedef struct {
    uint64_t id;                  /* unique for the table's lifetime */
    int nic;                      /* index of my NIC */
    uint32_t peer_nnid;
    nmsg_mac peer_mac;
    uint32_t peer_ll;
    bool two_way;                 /* the arc exists */
    int64_t last_heard_us;
    uint32_t peer_dead_ms;
    uint32_t peer_ts_us;          /* its ts of the last HELLO I heard (echoed back) */
    int64_t rtt_us;               /* last measured round trip, -1 = not yet */
} nbr_arc;

typedef enum {
    NBR_ARC_UP,                   /* a new arc: add the route to the peer's link-local */
    NBR_ARC_DOWN,                 /* an arc is gone (dead, one-way, bye, removed) */
} nbr_event;

typedef enum {
    NBR_DOWN_DEAD = 0,            /* silent for longer than its dead interval */
    NBR_DOWN_ONE_WAY,             /* it no longer lists me */
    NBR_DOWN_BYE,                 /* it said goodbye */
    NBR_DOWN_LOCAL,               /* removed by this system (nbr_remove) */
} nbr_down_reason;

typedef struct {
    uint64_t received;            /* HELLOs fed */
    uint64_t ignored_self;        /* my own HELLO looped back */
    uint64_t ignored_conflict;    /* consistency rules above */
    uint64_t ignored_full;        /* too many neighbours on a NIC */
} nbr_stats;

/* Callback for every arc event; the arc pointer is valid during the call
 * only (after ARC_DOWN it is freed). */
typedef void (*nbr_event_fn)(void *user, nbr_event ev, const nbr_arc *arc, nbr_down_reason why);

typedef struct nbr_table nbr_table;

nbr_table *nbr_table_new(uint32_t my_nnid, uint32_t hello_ms, uint32_t dead_ms, nbr_event_fn fn,
                         void *user);
void nbr_table_free(nbr_table *t);

/* Returns the NIC index, or -1 (too many, or dev/MAC/link-local already managed). */
int nbr_add_nic(nbr_table *t, const char *dev, const nmsg_mac *mac, uint32_t ll);
int nbr_n_nics(const nbr_table *t);
const nbr_nic *nbr_nic_at(const nbr_table *t, int i);
int nbr_nic_by_dev(const nbr_table *t, const char *dev);

/* A HELLO of sender_nnid received on NIC nic at now_us. */
void nbr_on_hello(nbr_table *t, int nic, int64_t now_us, uint32_t sender_nnid, const nmsg_hello *h);

/* Expire silent neighbours.  Returns the next time (us) tick must run, or
 * INT64_MAX when nothing can expire. */
int64_t nbr_tick(nbr_table *t, int64_t now_us);

/* When nbr_tick must run next (us): the earliest time a neighbour falls silent
 * for its dead interval, INT64_MAX without neighbours.  Changes nothing. */
int64_t nbr_next_deadline(const nbr_table *t);

/* The HELLO to send on nic now (bye: the last one before leaving). */
void nbr_build_hello(const nbr_table *t, int nic, int64_t now_us, bool bye, nmsg_hello *out);

/* Remove an arc by this system's decision (e.g. QSPN reported a bad link); the
 * neighbour rediscovers it at its next HELLO.  ARC_DOWN (NBR_DOWN_LOCAL) is
 * emitted if it was an arc.  False if no such entry. */
bool nbr_remove(nbr_table *t, uint64_t arc_id);

/* Arcs (two-way only), in creation order; n_out receives the count. */
int nbr_arcs(const nbr_table *t, const nbr_arc **out, int max);
const nbr_arc *nbr_find_arc(const nbr_table *t, int nic, const nmsg_mac *peer_mac);
const nbr_arc *nbr_find_by_id(const nbr_table *t, uint64_t id);
/* The two-way arc whose peer link-local is ll and NNID nnid (for TCP peers). */
const nbr_arc *nbr_find_by_ll(const nbr_table *t, uint32_t ll, uint32_t nnid);
const nbr_stats *nbr_get_stats(const nbr_table *t);
uint32_t nbr_my_nnid(const nbr_table *t);

#endif
