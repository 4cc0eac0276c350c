/* sim_private.h - the simulator's state, shared by its engine (sim.c: event
 * queue, in-memory transport, callbacks of the QSPN managers) and its network
 * (sim_net.c: nodes, links and the events the driver injects). */
#ifndef QSPN_SIM_PRIVATE_H
#define QSPN_SIM_PRIVATE_H

#include <stdio.h>

#include "sim.h"

typedef struct sim_node sim_node;

typedef struct {
    int link;
    int side;                  /* 0 = a, 1 = b */
} arc_end;

typedef struct {
    int a, b;
    uint32_t cost[2];          /* cost[0] measured by a */
    bool up;
    uint32_t latency;          /* per-message latency of this link, 0 = the sim's default */
    uint32_t gen;              /* bumps on every down, so stale deliveries are dropped */
    arc_end end[2];
} sim_link;

struct sim_node {
    sim *s;
    int idx;
    ntk_naddr addr;
    qspn_fp fp0;
    qspn_manager *m;
    bool alive;
    uint32_t gen;              /* bumps when the manager is replaced or crashes */
};

typedef enum { EV_MSG, EV_REQ, EV_REPLY, EV_REQ_FAIL, EV_TIMER, EV_ARC_ADD } ev_kind;

typedef struct {
    uint64_t t;
    uint64_t seq;
    ev_kind kind;
    int node;                  /* receiver */
    uint32_t node_gen;
    int link;
    uint32_t link_gen;
    int side;                  /* receiver's side of the link */
    uint64_t id;               /* timer id or request token */
    uint8_t *frame;
    size_t len;
} event;

typedef struct {
    int node, link, side;      /* requester */
    uint32_t link_gen;
} req_rec;

struct sim {
    ntk_topology topo;
    qspn_config cfg;
    uint64_t rng;
    uint64_t now;
    uint64_t seq;
    uint32_t latency;
    uint32_t split_threshold;
    FILE *log;
    int n_nodes, cap_nodes;
    sim_node **nodes;
    int n_links, cap_links;
    sim_link **links;
    int n_ev, cap_ev;
    event *heap;
    int n_req, cap_req;
    req_rec *reqs;
    sim_counters c;
    bool record;
    sim_frame_tap tap;             /* sees every frame handed to the transport */
    void *tap_ctx;
    int refresh_rounds;
    int n_sig, cap_sig;
    sim_signal *sig;
};

/* Queue an event (ordered by time, then by insertion). */
void sim_push_ev(sim *s, event e);
/* The callbacks a node's QSPN manager is created with. */
qspn_env sim_make_env(sim_node *n);

#endif
