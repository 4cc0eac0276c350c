/* sim.c - discrete-event engine and in-memory transport for qspn-sim. */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "grow.h"

#include "sim_private.h"


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

void sim_push_ev(sim *s, event e)
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
    sim_push_ev(s, e);
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
    sim_push_ev(s, e);
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
    sim_push_ev(s, e);
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
    sim_push_ev(n->s, e);
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

qspn_env sim_make_env(sim_node *n)
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
            sim_push_ev(s, f);
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
