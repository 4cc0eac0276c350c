/* sim_net.c - the simulated network: nodes, links, and the events a driver
 * injects (link up/down, cost and latency changes, crashes, entries). */
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "sim_private.h"

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
    qspn_env env = sim_make_env(n);
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
    sim_push_ev(s, e);
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
    qspn_env env = sim_make_env(n);
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
    qspn_env env = sim_make_env(n);
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

