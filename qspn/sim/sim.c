/* sim.c - discrete-event engine and in-memory transport for qspn-sim. */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "grow.h"

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

uint64_t sim_rng_next(uint64_t *x)
{
    /* xorshift64* */
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 2685821657736338717ULL;
}

/* ---- event heap ------------------------------------------------------------ */

static bool ev_less(const event *a, const event *b)
{
    return a->t != b->t ? a->t < b->t : a->seq < b->seq;
}

static void push_ev(sim *s, event e)
{
    e.seq = s->seq++;
    QSPN_GROW(s->heap, s->n_ev, s->cap_ev, 256);
    int i = s->n_ev++;
    s->heap[i] = e;
    while (i > 0) {
        int p = (i - 1) / 2;
        if (!ev_less(&s->heap[i], &s->heap[p]))
            break;
        event t = s->heap[i];
        s->heap[i] = s->heap[p];
        s->heap[p] = t;
        i = p;
    }
}

static event pop_ev(sim *s)
{
    event top = s->heap[0];
    s->heap[0] = s->heap[--s->n_ev];
    int i = 0;
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->n_ev && ev_less(&s->heap[l], &s->heap[m]))
            m = l;
        if (r < s->n_ev && ev_less(&s->heap[r], &s->heap[m]))
            m = r;
        if (m == i)
            break;
        event t = s->heap[i];
        s->heap[i] = s->heap[m];
        s->heap[m] = t;
        i = m;
    }
    return top;
}

/* ---- helpers ------------------------------------------------------------------- */

static sim_node *node_of_mgr(void *user)
{
    return user;
}

static int handle_link(sim *s, void *h, int *side)
{
    arc_end *e = h;
    (void)s;
    *side = e->side;
    return e->link;
}

static void record(sim *s, sim_signal sg)
{
    if (!s->record)
        return;
    QSPN_GROW(s->sig, s->n_sig, s->cap_sig, 64);
    sg.t_ms = s->now;
    s->sig[s->n_sig++] = sg;
}

static void count_frame(sim *s, const uint8_t *f, size_t len)
{
    if (s->tap)
        s->tap(s->tap_ctx, f, len);
    s->c.frames++;
    s->c.bytes += len;
    if (len >= 4 && (f[3] == QSPN_MSG_SEND_ETP || f[3] == QSPN_MSG_GET_FULL_ETP_REP)) {
        s->c.etp_frames++;
        s->c.etp_bytes += len;
    }
    if (len >= 4 && f[3] == QSPN_MSG_GET_FULL_ETP_REQ)
        s->c.requests++;
}

static uint8_t *dup_frame(const uint8_t *f, size_t len)
{
    uint8_t *d = malloc(len ? len : 1);
    if (!d)
        abort();
    memcpy(d, f, len);
    return d;
}

/* ---- env callbacks ------------------------------------------------------------ */

static void cb_send(void *user, qspn_manager *m, void *arc, const uint8_t *frame, size_t len)
{
    sim_node *n = node_of_mgr(user);
    sim *s = n->s;
    int side;
    int li = handle_link(s, arc, &side);
    sim_link *l = s->links[li];
    count_frame(s, frame, len);
    if (!l->up)
        return;
    int peer = side == 0 ? l->b : l->a;
    event e = {0};
    e.t = s->now + (l->latency ? l->latency : s->latency);
    e.kind = EV_MSG;
    e.node = peer;
    e.node_gen = s->nodes[peer]->gen;
    e.link = li;
    e.link_gen = l->gen;
    e.side = 1 - side;
    e.frame = dup_frame(frame, len);
    e.len = len;
    push_ev(s, e);
    (void)m;
}

static void cb_send_request(void *user, qspn_manager *m, void *arc, const uint8_t *frame, size_t len)
{
    sim_node *n = node_of_mgr(user);
    sim *s = n->s;
    int side;
    int li = handle_link(s, arc, &side);
    sim_link *l = s->links[li];
    count_frame(s, frame, len);
    QSPN_GROW(s->reqs, s->n_req, s->cap_req, 256);
    uint64_t token = (uint64_t)s->n_req;
    s->reqs[s->n_req++] = (req_rec){n->idx, li, side, l->gen};
    event e = {0};
    e.t = s->now + (l->latency ? l->latency : s->latency);
    e.link = li;
    e.link_gen = l->gen;
    e.id = token;
    if (!l->up) {
        e.kind = EV_REQ_FAIL;
        e.node = n->idx;
        e.node_gen = n->gen;
        e.side = side;
    } else {
        int peer = side == 0 ? l->b : l->a;
        e.kind = EV_REQ;
        e.node = peer;
        e.node_gen = s->nodes[peer]->gen;
        e.side = 1 - side;
        e.frame = dup_frame(frame, len);
        e.len = len;
    }
    push_ev(s, e);
    (void)m;
}

static void cb_send_reply(void *user, qspn_manager *m, void *arc, uint64_t token,
                          const uint8_t *frame, size_t len)
{
    sim_node *n = node_of_mgr(user);
    sim *s = n->s;
    count_frame(s, frame, len);
    if (token >= (uint64_t)s->n_req)
        return;
    req_rec r = s->reqs[token];
    const sim_link *rl = s->links[r.link];
    event e = {0};
    e.t = s->now + (rl->latency ? rl->latency : s->latency);
    e.kind = EV_REPLY;
    e.node = r.node;
    e.node_gen = s->nodes[r.node]->gen;
    e.link = r.link;
    e.link_gen = r.link_gen;
    e.side = r.side;
    e.frame = dup_frame(frame, len);
    e.len = len;
    push_ev(s, e);
    (void)m;
    (void)arc;
}

static void cb_set_timer(void *user, qspn_manager *m, uint64_t id, uint32_t delay)
{
    sim_node *n = node_of_mgr(user);
    event e = {0};
    e.t = n->s->now + delay;
    e.kind = EV_TIMER;
    e.node = n->idx;
    e.node_gen = n->gen;
    e.id = id;
    push_ev(n->s, e);
    (void)m;
}

static uint32_t cb_random32(void *user)
{
    return (uint32_t)(sim_rng_next(&node_of_mgr(user)->s->rng) >> 32);
}

static uint32_t cb_split_threshold(void *user, qspn_manager *m, const qspn_path_view *a,
                                   const qspn_path_view *b)
{
    (void)m;
    (void)a;
    (void)b;
    return node_of_mgr(user)->s->split_threshold;
}

static void cb_log(void *user, qspn_manager *m, const char *line)
{
    sim_node *n = node_of_mgr(user);
    if (n->s->log)
        fprintf(n->s->log, "[%llu ms] node %d: %s\n", (unsigned long long)n->s->now, n->idx, line);
    (void)m;
}

static int peer_of_arc(sim *s, sim_node *n, void *arc)
{
    int side;
    int li = handle_link(s, arc, &side);
    sim_link *l = s->links[li];
    (void)n;
    return side == 0 ? l->b : l->a;
}

static void fill_path_sig(sim_signal *sg, const qspn_path_view *p)
{
    sg->cost = p->cost;
    sg->n_hops = p->n_hops;
    for (int i = 0; i < p->n_hops && i < 16; i++)
        sg->hops[i] = (ntk_hcoord){p->hops[i].lvl, p->hops[i].pos};
    sg->d = (ntk_hcoord){p->hops[p->n_hops - 1].lvl, p->hops[p->n_hops - 1].pos};
    sg->fp_id = p->fp->id;
}

/* A signal of kind k from node n, to be completed by the caller. */
static sim_signal sig_of(const sim_node *n, simsig_kind k)
{
    sim_signal sg = {0};
    sg.node = n->idx;
    sg.kind = k;
    return sg;
}

/* The one event callback: every signal becomes a sim_signal. */
static void cb_event(void *user, qspn_manager *m, const qspn_event *ev)
{
    static const simsig_kind kind_of[] = {
        [QSPN_EV_BOOTSTRAP_COMPLETE] = SIMSIG_BOOTSTRAP_COMPLETE,
        [QSPN_EV_PRESENCE_NOTIFIED] = SIMSIG_PRESENCE,
        [QSPN_EV_ARC_REMOVED] = SIMSIG_ARC_REMOVED,
        [QSPN_EV_DESTINATION_ADDED] = SIMSIG_DEST_ADDED,
        [QSPN_EV_DESTINATION_REMOVED] = SIMSIG_DEST_REMOVED,
        [QSPN_EV_PATH_ADDED] = SIMSIG_PATH_ADDED,
        [QSPN_EV_PATH_CHANGED] = SIMSIG_PATH_CHANGED,
        [QSPN_EV_PATH_REMOVED] = SIMSIG_PATH_REMOVED,
        [QSPN_EV_CHANGED_FP] = SIMSIG_CHANGED_FP,
        [QSPN_EV_CHANGED_NODES_INSIDE] = SIMSIG_CHANGED_NN,
        [QSPN_EV_GNODE_SPLITTED] = SIMSIG_SPLIT,
        [QSPN_EV_REMOVE_IDENTITY] = SIMSIG_REMOVE_IDENTITY,
    };
    sim_node *n = user;
    sim_signal sg = sig_of(n, kind_of[ev->kind]);
    (void)m;
    switch (ev->kind) {
    case QSPN_EV_ARC_REMOVED:
        sg.peer = peer_of_arc(n->s, n, ev->arc);
        break;
    case QSPN_EV_DESTINATION_ADDED:
    case QSPN_EV_DESTINATION_REMOVED:
        sg.d = ev->dest;
        break;
    case QSPN_EV_PATH_ADDED:
    case QSPN_EV_PATH_CHANGED:
    case QSPN_EV_PATH_REMOVED:
        fill_path_sig(&sg, ev->path);
        sg.peer = ev->path->arc ? peer_of_arc(n->s, n, ev->path->arc) : -1;
        break;
    case QSPN_EV_CHANGED_FP:
    case QSPN_EV_CHANGED_NODES_INSIDE:
        sg.level = ev->level;
        break;
    case QSPN_EV_GNODE_SPLITTED:
        sg.d = ev->dest;
        sg.fp_id = ev->fp->id;
        sg.peer = peer_of_arc(n->s, n, ev->arc);
        break;
    default:
        break;
    }
    record(n->s, sg);
}

static qspn_env make_env(sim_node *n)
{
    qspn_env e;
    memset(&e, 0, sizeof e);
    e.user = n;
    e.send = cb_send;
    e.send_request = cb_send_request;
    e.send_reply = cb_send_reply;
    e.set_timer = cb_set_timer;
    e.random32 = cb_random32;
    e.split_threshold = cb_split_threshold;
    e.log = cb_log;
    e.on_event = cb_event;
    return e;
}

/* ---- public API ------------------------------------------------------------------ */

sim *sim_new(const ntk_topology *topo, const qspn_config *cfg, uint64_t seed)
{
    sim *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    s->topo = *topo;
    if (cfg) {
        s->cfg = *cfg;
    } else {
        qspn_config_default(&s->cfg);
        s->cfg.arc_timeout_ms = 300;
        s->cfg.refresh_ms = 0; /* quiescence must be reachable */
    }
    s->rng = seed ? seed : 0x9E3779B97F4A7C15ULL;
    s->latency = 20;
    s->split_threshold = 3000;
    return s;
}

void sim_free(sim *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n_nodes; i++) {
        qspn_destroy_manager(s->nodes[i]->m);
        free(s->nodes[i]);
    }
    free(s->nodes);
    for (int i = 0; i < s->n_links; i++)
        free(s->links[i]);
    free(s->links);
    for (int i = 0; i < s->n_ev; i++)
        free(s->heap[i].frame);
    free(s->heap);
    free(s->reqs);
    free(s->sig);
    free(s);
}

void sim_set_latency(sim *s, uint32_t ms) { s->latency = ms; }
void sim_set_split_threshold(sim *s, uint32_t ms) { s->split_threshold = ms; }
void sim_set_log(sim *s, FILE *f) { s->log = f; }
void sim_record_signals(sim *s, bool on) { s->record = on; }
void sim_set_frame_tap(sim *s, sim_frame_tap tap, void *ctx) { s->tap = tap; s->tap_ctx = ctx; }
uint64_t sim_now(const sim *s) { return s->now; }
const ntk_topology *sim_topology(const sim *s) { return &s->topo; }
int sim_node_count(const sim *s) { return s->n_nodes; }
qspn_manager *sim_manager(sim *s, int node) { return s->nodes[node]->m; }
const ntk_naddr *sim_naddr(const sim *s, int node) { return &s->nodes[node]->addr; }
bool sim_alive(const sim *s, int node) { return s->nodes[node]->alive; }
void sim_set_naddr(sim *s, int node, const ntk_naddr *a) { s->nodes[node]->addr = *a; }
const sim_counters *sim_counts(const sim *s) { return &s->c; }
int sim_link_count(const sim *s) { return s->n_links; }

int sim_signals(const sim *s, const sim_signal **out)
{
    *out = s->sig;
    return s->n_sig;
}

int sim_signal_count(const sim *s, int node, simsig_kind k)
{
    const sim_signal *sg;
    int n = sim_signals(s, &sg), c = 0;
    for (int i = 0; i < n; i++)
        c += sg[i].node == node && sg[i].kind == k;
    return c;
}

void sim_clear_signals(sim *s) { s->n_sig = 0; }

int sim_define_node(sim *s, const ntk_naddr *a, uint64_t fp_id, const uint32_t *eld)
{
    sim_node *n = calloc(1, sizeof *n);
    if (!n)
        abort();
    n->s = s;
    n->idx = s->n_nodes;
    n->addr = *a;
    uint32_t e[QSPN_MAX_LEVELS];
    for (int i = 0; i < s->topo.levels; i++)
        e[i] = eld ? eld[i] : (uint32_t)a->pos[i];
    if (!fp_id)
        fp_id = sim_rng_next(&s->rng) | 1;
    qspn_fp_make_node(&n->fp0, fp_id, s->topo.levels, e);
    QSPN_GROW(s->nodes, s->n_nodes, s->cap_nodes, 16);
    s->nodes[s->n_nodes++] = n;
    return n->idx;
}

void sim_start_create_net(sim *s, int node)
{
    sim_node *n = s->nodes[node];
    qspn_env env = make_env(n);
    n->m = qspn_create_net(&s->cfg, &env, &s->topo, &n->addr, &n->fp0);
    if (!n->m)
        abort();
    n->alive = true;
}

int sim_define_link(sim *s, int a, int b, uint32_t cost_ab, uint32_t cost_ba)
{
    sim_link *l = calloc(1, sizeof *l);
    if (!l)
        abort();
    l->a = a;
    l->b = b;
    l->cost[0] = cost_ab;
    l->cost[1] = cost_ba;
    QSPN_GROW(s->links, s->n_links, s->cap_links, 16);
    int idx = s->n_links++;
    l->end[0] = (arc_end){idx, 0};
    l->end[1] = (arc_end){idx, 1};
    s->links[idx] = l;
    return idx;
}

static void arc_add_event(sim *s, int link, int side, uint32_t delay)
{
    sim_link *l = s->links[link];
    int node = side == 0 ? l->a : l->b;
    event e = {0};
    e.t = s->now + delay;
    e.kind = EV_ARC_ADD;
    e.node = node;
    e.node_gen = s->nodes[node]->gen;
    e.link = link;
    e.link_gen = l->gen;
    e.side = side;
    push_ev(s, e);
}

void sim_link_up(sim *s, int link, uint32_t delay_b_ms)
{
    sim_link *l = s->links[link];
    l->up = true;
    arc_add_event(s, link, 0, 0);
    arc_add_event(s, link, 1, delay_b_ms);
}

void sim_start_enter(sim *s, int node, int guest_level, int host_level)
{
    sim_node *n = s->nodes[node];
    void *ext[256];
    uint32_t costs[256];
    int n_ext = 0;
    for (int i = 0; i < s->n_links && n_ext < 256; i++) {
        sim_link *l = s->links[i];
        if (l->a != node && l->b != node)
            continue;
        int side = l->a == node ? 0 : 1;
        int peer = side == 0 ? l->b : l->a;
        if (!s->nodes[peer]->alive)
            continue;
        l->up = true;
        ext[n_ext] = &l->end[side];
        costs[n_ext] = l->cost[side];
        n_ext++;
        arc_add_event(s, i, 1 - side, 1);
    }
    qspn_enter_args a;
    memset(&a, 0, sizeof a);
    a.n_external = n_ext;
    a.external_arcs = ext;
    a.external_costs = costs;
    a.my_naddr = &n->addr;
    a.my_fp0 = &n->fp0;
    a.guest_level = guest_level;
    a.host_level = host_level;
    qspn_env env = make_env(n);
    n->alive = true;
    n->m = qspn_enter_net(&s->cfg, &env, &s->topo, &a);
    if (!n->m)
        abort();
}

void sim_start_migrate(sim *s, int node, int prev_node, int guest_level, int host_level,
                       const int *internal_links, const int *prev_links, int n_internal,
                       const int *external_links, int n_external, bool migration)
{
    sim_node *n = s->nodes[node];
    void *in[64], *in_prev[64], *ext[64];
    uint32_t in_cost[64], ext_cost[64];
    ntk_naddr peers[64];
    if (n_internal > 64 || n_external > 64)
        abort();
    for (int i = 0; i < n_internal; i++) {
        sim_link *l = s->links[internal_links[i]];
        int side = l->a == node ? 0 : 1;
        l->up = true;
        in[i] = &l->end[side];
        in_cost[i] = l->cost[side];
        peers[i] = s->nodes[side == 0 ? l->b : l->a]->addr;
        sim_link *pl = s->links[prev_links[i]];
        in_prev[i] = pl->a == prev_node ? &pl->end[0] : &pl->end[1];
    }
    for (int i = 0; i < n_external; i++) {
        sim_link *l = s->links[external_links[i]];
        int side = l->a == node ? 0 : 1;
        l->up = true;
        ext[i] = &l->end[side];
        ext_cost[i] = l->cost[side];
        arc_add_event(s, external_links[i], 1 - side, 1);
    }
    qspn_enter_args a;
    memset(&a, 0, sizeof a);
    a.n_internal = n_internal;
    a.internal_arcs = in;
    a.internal_costs = in_cost;
    a.internal_arcs_prev = in_prev;
    a.internal_peer_naddrs = peers;
    a.n_external = n_external;
    a.external_arcs = ext;
    a.external_costs = ext_cost;
    a.my_naddr = &n->addr;
    a.my_fp0 = &n->fp0;
    a.guest_level = guest_level;
    a.host_level = host_level;
    a.previous = s->nodes[prev_node]->m;
    qspn_env env = make_env(n);
    n->alive = true;
    n->m = migration ? qspn_migration(&s->cfg, &env, &s->topo, &a) : qspn_enter_net(&s->cfg, &env, &s->topo, &a);
    if (!n->m)
        abort();
}

void sim_link_down(sim *s, int link)
{
    sim_link *l = s->links[link];
    if (!l->up)
        return;
    l->up = false;
    l->gen++;
    if (s->nodes[l->a]->alive)
        qspn_arc_remove(s->nodes[l->a]->m, &l->end[0]);
    if (s->nodes[l->b]->alive)
        qspn_arc_remove(s->nodes[l->b]->m, &l->end[1]);
}

void sim_link_cost(sim *s, int link, uint32_t cost_ab, uint32_t cost_ba)
{
    sim_link *l = s->links[link];
    l->cost[0] = cost_ab;
    l->cost[1] = cost_ba;
    if (!l->up)
        return;
    if (s->nodes[l->a]->alive)
        qspn_arc_is_changed(s->nodes[l->a]->m, &l->end[0], cost_ab);
    if (s->nodes[l->b]->alive)
        qspn_arc_is_changed(s->nodes[l->b]->m, &l->end[1], cost_ba);
}

void sim_crash(sim *s, int node)
{
    sim_node *n = s->nodes[node];
    if (!n->alive)
        return;
    n->alive = false;
    n->gen++;
    qspn_destroy_manager(n->m);
    n->m = NULL;
    /* the neighbours' link detection notices the dead peer */
    for (int i = 0; i < s->n_links; i++) {
        sim_link *l = s->links[i];
        if ((l->a == node || l->b == node) && l->up)
            sim_link_down(s, i);
    }
}

void sim_link_latency(sim *s, int link, uint32_t ms)
{
    s->links[link]->latency = ms;
}

uint32_t sim_link_latency_of(const sim *s, int link)
{
    return s->links[link]->latency ? s->links[link]->latency : s->latency;
}

void sim_link_ends(const sim *s, int link, int *a, int *b, bool *up)
{
    *a = s->links[link]->a;
    *b = s->links[link]->b;
    *up = s->links[link]->up;
}

int sim_find_link(const sim *s, int a, int b)
{
    for (int i = 0; i < s->n_links; i++)
        if ((s->links[i]->a == a && s->links[i]->b == b) || (s->links[i]->a == b && s->links[i]->b == a))
            return i;
    return -1;
}

void *sim_arc_handle(sim *s, int link, int end_node)
{
    sim_link *l = s->links[link];
    return l->a == end_node ? (void *)&l->end[0] : (void *)&l->end[1];
}

uint32_t sim_link_cost_from(const sim *s, int link, int from)
{
    const sim_link *l = s->links[link];
    return l->a == from ? l->cost[0] : l->cost[1];
}

static void dispatch(sim *s, event *e)
{
    s->c.events++;
    sim_node *n = s->nodes[e->node];
    bool node_ok = n->alive && n->gen == e->node_gen;
    sim_link *l = e->link >= 0 && e->link < s->n_links ? s->links[e->link] : NULL;
    switch (e->kind) {
    case EV_TIMER:
        if (node_ok)
            qspn_on_timer(n->m, e->id);
        break;
    case EV_ARC_ADD:
        if (node_ok && l->up && l->gen == e->link_gen)
            qspn_arc_add(n->m, &l->end[e->side], l->cost[e->side]);
        break;
    case EV_MSG:
        if (node_ok && l->up && l->gen == e->link_gen)
            qspn_on_message(n->m, &l->end[e->side], e->frame, e->len, 0);
        break;
    case EV_REQ:
        if (node_ok && l->up && l->gen == e->link_gen) {
            qspn_on_message(n->m, &l->end[e->side], e->frame, e->len, e->id);
        } else {
            /* the transport reports the failure to the requester */
            req_rec r = s->reqs[e->id];
            event f = {0};
            f.t = s->now + s->latency;
            f.kind = EV_REQ_FAIL;
            f.node = r.node;
            f.node_gen = s->nodes[r.node]->gen;
            f.link = r.link;
            f.link_gen = r.link_gen;
            f.side = r.side;
            push_ev(s, f);
        }
        break;
    case EV_REPLY:
        if (node_ok && l->gen == e->link_gen)
            qspn_on_reply(n->m, &l->end[e->side], e->frame, e->len);
        break;
    case EV_REQ_FAIL:
        if (node_ok && l->gen == e->link_gen)
            qspn_on_request_failed(n->m, &l->end[e->side]);
        break;
    }
}

void sim_run(sim *s, uint64_t until_ms)
{
    while (s->n_ev > 0) {
        if (until_ms && s->heap[0].t > until_ms)
            break;
        event e = pop_ev(s);
        if (e.t > s->now)
            s->now = e.t;
        dispatch(s, &e);
        free(e.frame);
    }
    if (until_ms && s->now < until_ms)
        s->now = until_ms;
}

bool sim_run_quiescent(sim *s, uint64_t max_events)
{
    uint64_t start = s->c.events;
    while (s->n_ev > 0) {
        if (max_events && s->c.events - start >= max_events)
            return false;
        event e = pop_ev(s);
        if (e.t > s->now)
            s->now = e.t;
        dispatch(s, &e);
        free(e.frame);
    }
    return true;
}

bool sim_converge(sim *s, bool refresh_round)
{
    s->refresh_rounds = 0;
    if (!sim_run_quiescent(s, 200000000ULL))
        return false;
    if (!refresh_round)
        return true;
    /* Refresh rounds until one changes nothing: then the only ETPs of the
     * round are the full broadcasts themselves. ETPs carry no freshness
     * information (spec §8.17), so a stale positive path can be re-learnt
     * from a neighbour that has not yet seen the withdrawal; the periodic
     * refresh is what eventually removes it. */
    for (int round = 0; round < 8; round++) {
        uint64_t before = s->c.etp_frames, before_bytes = s->c.etp_bytes, full = 0;
        for (int i = 0; i < s->n_nodes; i++)
            if (s->nodes[i]->alive) {
                void *none[1];
                int n_arcs = qspn_current_arcs(s->nodes[i]->m, none, 0);
                if (qspn_is_bootstrap_complete(s->nodes[i]->m))
                    full += (uint64_t)n_arcs;
                qspn_refresh_now(s->nodes[i]->m);
            }
        s->refresh_rounds++;
        bool ok = sim_run_quiescent(s, 200000000ULL);
        s->c.refresh_etp_frames += s->c.etp_frames - before;
        s->c.refresh_etp_bytes += s->c.etp_bytes - before_bytes;
        if (!ok)
            return false;
        if (s->c.etp_frames - before == full)
            return true;
    }
    return true;
}

int sim_refresh_rounds(const sim *s)
{
    return s->refresh_rounds;
}
