/* netjson.c - qspn-sim --write-network: the generated network and the events
 * applied to it, as JSON, so that other tools can check a run on their own.
 *
 * {
 *   "format": "qspn-sim-network", "version": 1,
 *   "topology": [gsize(0), ..., gsize(l-1)],          level 0 first
 *   "identities": [{"node": i, "address": "a.b.c.d", "alive": true}, ...],
 *   "links": [{"link": k, "a": i, "b": j, "cost_ab": us, "cost_ba": us,
 *              "initial_cost_ab": us, "initial_cost_ba": us,
 *              "latency_ms": ms, "up": true}, ...],
 *   "events": [{"phase": "cost#1", "kind": "cost", "link": k, "a": i, "b": j,
 *               "cost_ab": us, "cost_ba": us}, ...]
 * }
 * Addresses are written highest level first, as qspn-sim prints them;
 * cost_ab is the cost that end a measures (the cost a gives the arc to b).
 * initial_* are the costs when the link was created; the events list every
 * later change (kinds: cost, remove-link, add-link, crash, join). */
#include "netjson.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"

typedef struct {
    char phase[32];
    char kind[16];
    int link, a, b;
    uint32_t c_ab, c_ba;
} net_event;

struct net_log {
    int n_ev, cap_ev;
    net_event *ev;
    int n_init, cap_init;
    uint32_t (*init)[2];       /* initial costs by link */
};

net_log *net_log_new(void)
{
    net_log *l = calloc(1, sizeof *l);
    if (!l)
        abort();
    return l;
}

void net_log_free(net_log *l)
{
    if (!l)
        return;
    free(l->ev);
    free(l->init);
    free(l);
}

void net_log_links(net_log *l, sim *s)
{
    for (int k = l->n_init; k < sim_link_count(s); k++) {
        int a, b;
        bool up;
        sim_link_ends(s, k, &a, &b, &up);
        QSPN_GROW(l->init, l->n_init, l->cap_init, 64);
        l->init[l->n_init][0] = sim_link_cost_from(s, k, a);
        l->init[l->n_init][1] = sim_link_cost_from(s, k, b);
        l->n_init++;
    }
}

void net_log_event(net_log *l, sim *s, const char *phase, const char *kind, int link, int a, int b)
{
    net_log_links(l, s);
    QSPN_GROW(l->ev, l->n_ev, l->cap_ev, 16);
    net_event *e = &l->ev[l->n_ev++];
    memset(e, 0, sizeof *e);
    snprintf(e->phase, sizeof e->phase, "%s", phase);
    snprintf(e->kind, sizeof e->kind, "%s", kind);
    e->link = link;
    e->a = a;
    e->b = b;
    if (link >= 0) {
        int ea, eb;
        bool up;
        sim_link_ends(s, link, &ea, &eb, &up);
        e->a = ea;
        e->b = eb;
        e->c_ab = sim_link_cost_from(s, link, ea);
        e->c_ba = sim_link_cost_from(s, link, eb);
    }
}

static void write_identities(FILE *f, sim *s)
{
    fprintf(f, "  \"identities\": [");
    for (int i = 0; i < sim_node_count(s); i++) {
        char ab[NTK_STRLEN];
        ntk_naddr_format(sim_naddr(s, i), ".", ab, sizeof ab);
        fprintf(f, "%s\n    {\"node\": %d, \"address\": \"%s\", \"alive\": %s}", i ? "," : "", i, ab,
                sim_alive(s, i) ? "true" : "false");
    }
    fprintf(f, "\n  ],\n");
}

static void write_links(FILE *f, const net_log *l, sim *s)
{
    fprintf(f, "  \"links\": [");
    for (int k = 0; k < sim_link_count(s); k++) {
        int a, b;
        bool up;
        sim_link_ends(s, k, &a, &b, &up);
        uint32_t cab = sim_link_cost_from(s, k, a), cba = sim_link_cost_from(s, k, b);
        fprintf(f,
                "%s\n    {\"link\": %d, \"a\": %d, \"b\": %d, \"cost_ab\": %" PRIu32 ", \"cost_ba\": %" PRIu32
                ", \"initial_cost_ab\": %" PRIu32 ", \"initial_cost_ba\": %" PRIu32
                ", \"latency_ms\": %" PRIu32 ", \"up\": %s}",
                k ? "," : "", k, a, b, cab, cba, k < l->n_init ? l->init[k][0] : cab,
                k < l->n_init ? l->init[k][1] : cba, sim_link_latency_of(s, k), up ? "true" : "false");
    }
    fprintf(f, "\n  ],\n");
}

bool net_log_write(net_log *l, sim *s, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    net_log_links(l, s);
    const ntk_topology *t = sim_topology(s);
    fprintf(f, "{\n  \"format\": \"qspn-sim-network\",\n  \"version\": 1,\n  \"topology\": [");
    for (int i = 0; i < t->levels; i++)
        fprintf(f, "%s%d", i ? ", " : "", t->gsize[i]);
    fprintf(f, "],\n");
    write_identities(f, s);
    write_links(f, l, s);
    fprintf(f, "  \"events\": [");
    for (int i = 0; i < l->n_ev; i++) {
        const net_event *e = &l->ev[i];
        fprintf(f, "%s\n    {\"phase\": \"%s\", \"kind\": \"%s\"", i ? "," : "", e->phase, e->kind);
        if (e->link >= 0)
            fprintf(f, ", \"link\": %d, \"a\": %d, \"b\": %d, \"cost_ab\": %" PRIu32 ", \"cost_ba\": %" PRIu32,
                    e->link, e->a, e->b, e->c_ab, e->c_ba);
        else
            fprintf(f, ", \"node\": %d", e->a);
        fprintf(f, "}");
    }
    fprintf(f, "\n  ]\n}\n");
    return fclose(f) == 0;
}
