/* fib.c - desired kernel state of a namespace, and the diff to reach it.
 * Route contents: behaviour.md §4.4; tables and rules: §4.2, §4.3, §4.5. */
#include "fib.h"

#include <string.h>

/* ---- state ---------------------------------------------------------------- */

static guint64 route_key(uint32_t table, ntk_cidr dst)
{
    return ((guint64)table << 40) | ((guint64)(uint32_t)dst.prefix << 32) | dst.addr;
}

static guint key_hash(gconstpointer p)
{
    return g_int64_hash(p);
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
    return g_int64_equal(a, b);
}

void fib_state_init(fib_state *s)
{
    s->addrs = g_array_new(FALSE, TRUE, sizeof(fib_addr));
    s->routes = g_array_new(FALSE, TRUE, sizeof(fib_route));
    s->index = g_hash_table_new_full(key_hash, key_equal, g_free, NULL);
    s->rules = g_array_new(FALSE, TRUE, sizeof(fib_rule));
    s->marks = g_array_new(FALSE, TRUE, sizeof(kop));
    s->nat = g_array_new(FALSE, TRUE, sizeof(kop));
    s->nft_table = false;
}

void fib_state_clear(fib_state *s)
{
    if (!s->addrs)
        return;
    g_array_free(s->addrs, TRUE);
    g_array_free(s->routes, TRUE);
    g_hash_table_destroy(s->index);
    g_array_free(s->rules, TRUE);
    g_array_free(s->marks, TRUE);
    g_array_free(s->nat, TRUE);
    memset(s, 0, sizeof *s);
}

static void reset(fib_state *s)
{
    g_array_set_size(s->addrs, 0);
    g_array_set_size(s->routes, 0);
    g_hash_table_remove_all(s->index);
    g_array_set_size(s->rules, 0);
    g_array_set_size(s->marks, 0);
    g_array_set_size(s->nat, 0);
    s->nft_table = false;
}

void fib_state_add_route(fib_state *s, const fib_route *r)
{
    guint64 k = route_key(r->table, r->dst);
    gpointer pos;
    if (g_hash_table_lookup_extended(s->index, &k, NULL, &pos)) {
        g_array_index(s->routes, fib_route, GPOINTER_TO_UINT(pos)) = *r;
        return;
    }
    g_array_append_val(s->routes, *r);
    g_hash_table_insert(s->index, g_memdup2(&k, sizeof k), GUINT_TO_POINTER(s->routes->len - 1));
}

void fib_state_copy(fib_state *dst, const fib_state *src)
{
    if (!dst->addrs)
        fib_state_init(dst);
    reset(dst);
    g_array_append_vals(dst->addrs, src->addrs->data, src->addrs->len);
    for (guint i = 0; i < src->routes->len; i++)
        fib_state_add_route(dst, &g_array_index(src->routes, fib_route, i));
    g_array_append_vals(dst->rules, src->rules->data, src->rules->len);
    g_array_append_vals(dst->marks, src->marks->data, src->marks->len);
    g_array_append_vals(dst->nat, src->nat->data, src->nat->len);
    dst->nft_table = src->nft_table;
}

const fib_route *fib_state_find(const fib_state *s, uint32_t table, ntk_cidr dst)
{
    guint64 k = route_key(table, dst);
    gpointer pos;
    if (!g_hash_table_lookup_extended(s->index, &k, NULL, &pos))
        return NULL;
    return &g_array_index(s->routes, fib_route, GPOINTER_TO_UINT(pos));
}

/* ---- desired state ------------------------------------------------------------ */

static void add_addr(fib_state *s, const char *dev, uint32_t addr)
{
    fib_addr a;
    memset(&a, 0, sizeof a);
    g_strlcpy(a.dev, dev, sizeof a.dev);
    a.addr = addr;
    for (guint i = 0; i < s->addrs->len; i++) {
        fib_addr *x = &g_array_index(s->addrs, fib_addr, i);
        if (x->addr == addr && strcmp(x->dev, a.dev) == 0)
            return;
    }
    g_array_append_val(s->addrs, a);
}

/* src of a route in ntk: the own address of the same class (§4.4). */
static uint32_t own_src(const fib_input *in, const ntk_dest *d)
{
    uint32_t a = 0;
    if (d->kind == NTK_IP_INTERNAL)
        return ntk_ip_node(in->topo, &in->me, NTK_IP_INTERNAL, d->k, &a) ? a : 0;
    return ntk_ip_node(in->topo, &in->me, NTK_IP_GLOBAL, -1, &a) ? a : 0;
}

/* The route of destination CIDR d in table `table` (arc NULL = ntk).
 * `known`: the identity has a path to d at all.  The blackhole of §4.4 does
 * not depend on paths: a packet from outside my level-k g-node cannot carry an
 * internal-at-level-k destination (beta's full update at S08f writes it for
 * destinations unreachable in ntk). */
static void route_for(const fib_input *in, const ntk_dest *d, uint32_t table, const fib_qarc *arc,
                      bool known, const fib_hop *egress, fib_route *r)
{
    memset(r, 0, sizeof *r);
    r->table = table;
    r->dst = d->cidr;
    r->type = KROUTE_UNREACHABLE;
    if (arc && !arc->known)
        return;                        /* not activated (§4.5) */
    if (arc && d->kind == NTK_IP_INTERNAL && arc->maxdist.lvl >= d->k) {
        r->type = KROUTE_BLACKHOLE;    /* cannot come from outside my level-k g-node */
        return;
    }
    if (!known)
        return;
    fib_hop hop;
    if (arc) {
        if (!in->best(in->ctx, d->hc, arc->handle, &hop))
            return;
    } else {
        hop = *egress;
    }
    r->type = KROUTE_UNICAST;
    r->gw = hop.gw;
    g_strlcpy(r->dev, hop.dev, sizeof r->dev);
    if (!arc)
        r->src = own_src(in, d);
}

static void compute_tables(const fib_input *in, fib_state *out)
{
    size_t max = ntk_destinations_max(in->topo);
    ntk_dest *dests = g_new(ntk_dest, max ? max : 1);
    size_t n = ntk_destinations(in->topo, &in->me, in->subnet_level, dests, max);
    bool *known = g_new0(bool, n ? n : 1);
    fib_hop *egress = g_new0(fib_hop, n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        /* the CIDRs of one destination are consecutive: one query each */
        if (i > 0 && dests[i].hc.lvl == dests[i - 1].hc.lvl && dests[i].hc.pos == dests[i - 1].hc.pos) {
            known[i] = known[i - 1];
            egress[i] = egress[i - 1];
        } else {
            known[i] = in->best && in->best(in->ctx, dests[i].hc, NULL, &egress[i]);
        }
    }
    fib_route r;
    if (in->is_main)
        for (size_t i = 0; i < n; i++) {
            route_for(in, &dests[i], FIB_TABLE_NTK, NULL, known[i], &egress[i], &r);
            fib_state_add_route(out, &r);
        }
    for (int a = 0; a < in->n_arcs; a++)
        for (size_t i = 0; i < n; i++) {
            route_for(in, &dests[i], in->arcs[a].tid, &in->arcs[a], known[i], &egress[i], &r);
            fib_state_add_route(out, &r);
        }
    g_free(known);
    g_free(egress);
    g_free(dests);
}

static void compute_nat(const fib_input *in, fib_state *out)
{
    ntk_netmap_rule nm[2 * NTK_MAX_LEVELS + 4];
    size_t n = 0;
    if (in->subnet_level > 0)
        n = ntk_netmap_rules(in->topo, &in->me, in->subnet_level, in->serve_anonymous, nm,
                             G_N_ELEMENTS(nm));
    for (size_t i = 0; i < n; i++) {
        kop op = kop_nat_netmap(&nm[i]);
        g_array_append_val(out->nat, op);
    }
    ntk_cidr match;
    uint32_t to;
    if (in->anonymize && ntk_snat_rule(in->topo, &in->me, &match, &to)) {
        kop op = kop_nat_snat(match, to);
        g_array_append_val(out->nat, op);
    }
}

void fib_compute(const fib_input *in, fib_state *out)
{
    if (!out->addrs)
        fib_state_init(out);
    reset(out);
    for (int i = 0; i < in->n_extra_addrs; i++)
        add_addr(out, in->extra_addrs[i].dev, in->extra_addrs[i].addr);
    if (in->is_main) {
        ntk_local_ip ips[NTK_MAX_LEVELS + 2];
        size_t n = ntk_local_ips(in->topo, &in->me, in->serve_anonymous, ips, G_N_ELEMENTS(ips));
        for (size_t i = 0; i < n; i++)
            for (int d = 0; d < in->n_ip_devs; d++)
                add_addr(out, in->ip_devs[d], ips[i].addr);
    }
    for (int i = 0; i < in->n_ll; i++) {
        fib_route r = in->ll[i];
        r.table = FIB_TABLE_MAIN;
        r.type = KROUTE_UNICAST;
        r.gw = 0;
        fib_state_add_route(out, &r);
    }
    compute_tables(in, out);
    if (in->is_main) {
        fib_rule ntk = { 0, FIB_TABLE_NTK };
        g_array_append_val(out->rules, ntk);
    }
    for (int a = 0; a < in->n_arcs; a++) {
        char mac[24];
        nmsg_mac_format(&in->arcs[a].mac, mac, sizeof mac);
        kop m = kop_mark(mac, in->arcs[a].tid);
        g_array_append_val(out->marks, m);
        if (in->arcs[a].known) {
            fib_rule fr = { in->arcs[a].tid, in->arcs[a].tid };
            g_array_append_val(out->rules, fr);
        }
    }
    if (in->is_main)
        compute_nat(in, out);
    out->nft_table = in->is_main || in->n_arcs > 0;
}

/* ---- diff ---------------------------------------------------------------------------- */

static bool route_equal(const fib_route *a, const fib_route *b)
{
    return a->type == b->type && a->gw == b->gw && a->src == b->src && strcmp(a->dev, b->dev) == 0;
}

static bool has_addr(const fib_state *s, const fib_addr *a)
{
    for (guint i = 0; i < s->addrs->len; i++) {
        const fib_addr *x = &g_array_index(s->addrs, fib_addr, i);
        if (x->addr == a->addr && strcmp(x->dev, a->dev) == 0)
            return true;
    }
    return false;
}

static bool has_rule(const fib_state *s, const fib_rule *r)
{
    for (guint i = 0; i < s->rules->len; i++) {
        const fib_rule *x = &g_array_index(s->rules, fib_rule, i);
        if (x->fwmark == r->fwmark && x->table == r->table)
            return true;
    }
    return false;
}

static bool kops_equal(const GArray *a, const GArray *b)
{
    if (a->len != b->len)
        return false;
    for (guint i = 0; i < a->len; i++) {
        const kop *x = &g_array_index(a, kop, i), *y = &g_array_index(b, kop, i);
        if (x->type != y->type || x->fwmark != y->fwmark || strcmp(x->mac, y->mac) != 0 ||
            x->nat != y->nat || x->chain != y->chain || x->nat_has_src != y->nat_has_src ||
            memcmp(&x->nat_dst, &y->nat_dst, sizeof x->nat_dst) != 0 ||
            memcmp(&x->nat_src, &y->nat_src, sizeof x->nat_src) != 0 ||
            memcmp(&x->nat_to, &y->nat_to, sizeof x->nat_to) != 0)
            return false;
    }
    return true;
}

static void push(GArray *ops, kop op)
{
    g_array_append_val(ops, op);
}

static kop route_kop(kop_type t, const fib_route *r, fib_table_name_fn name, void *ctx)
{
    return kop_route(t, r->type, r->dst, r->table, name(ctx, r->table), r->gw, r->dev, r->src);
}

static void diff_routes_add(const fib_state *inst, const fib_state *want, bool main_table,
                            fib_table_name_fn name, void *ctx, GArray *ops)
{
    for (guint i = 0; i < want->routes->len; i++) {
        const fib_route *r = &g_array_index(want->routes, fib_route, i);
        if ((r->table == FIB_TABLE_MAIN) != main_table)
            continue;
        const fib_route *old = fib_state_find(inst, r->table, r->dst);
        if (!old)
            push(ops, route_kop(KOP_ROUTE_ADD, r, name, ctx));
        else if (!route_equal(old, r))
            push(ops, route_kop(KOP_ROUTE_CHANGE, r, name, ctx));
    }
}

static void diff_routes_del(const fib_state *inst, const fib_state *want, bool main_table,
                            fib_table_name_fn name, void *ctx, GArray *ops)
{
    for (guint i = 0; i < inst->routes->len; i++) {
        const fib_route *r = &g_array_index(inst->routes, fib_route, i);
        if ((r->table == FIB_TABLE_MAIN) != main_table || fib_state_find(want, r->table, r->dst))
            continue;
        push(ops, route_kop(KOP_ROUTE_DEL, r, name, ctx));
    }
}

static void diff_nft(const fib_state *inst, const fib_state *want, GArray *ops)
{
    bool marks = !kops_equal(inst->marks, want->marks);
    bool nat = !kops_equal(inst->nat, want->nat);
    if (!want->nft_table) {
        if (inst->nft_table)
            push(ops, kop_simple(KOP_NFT_TABLE_DEL));
        return;
    }
    if (!inst->nft_table)
        push(ops, kop_simple(KOP_NFT_TABLE_ADD));
    if (marks) {
        if (inst->nft_table)
            push(ops, kop_nft_chain_flush(KNFT_MANGLE_PREROUTING));
        for (guint i = 0; i < want->marks->len; i++)
            push(ops, g_array_index(want->marks, kop, i));
    }
    if (nat) {
        if (inst->nft_table) {
            push(ops, kop_nft_chain_flush(KNFT_NAT_PREROUTING));
            push(ops, kop_nft_chain_flush(KNFT_NAT_POSTROUTING));
        }
        for (guint i = 0; i < want->nat->len; i++)
            push(ops, g_array_index(want->nat, kop, i));
    }
}

void fib_diff(const fib_state *inst, const fib_state *want, fib_table_name_fn name, void *ctx,
              GArray *ops)
{
    for (guint i = 0; i < want->addrs->len; i++) {
        const fib_addr *a = &g_array_index(want->addrs, fib_addr, i);
        if (!has_addr(inst, a))
            push(ops, kop_addr(KOP_ADDR_ADD, a->dev, a->addr, 32));
    }
    diff_routes_add(inst, want, true, name, ctx, ops);
    diff_nft(inst, want, ops);
    diff_routes_add(inst, want, false, name, ctx, ops);
    for (guint i = 0; i < want->rules->len; i++) {
        const fib_rule *r = &g_array_index(want->rules, fib_rule, i);
        if (!has_rule(inst, r))
            push(ops, kop_rule(KOP_RULE_ADD, r->fwmark, r->table, name(ctx, r->table)));
    }
    for (guint i = 0; i < inst->rules->len; i++) {
        const fib_rule *r = &g_array_index(inst->rules, fib_rule, i);
        if (!has_rule(want, r))
            push(ops, kop_rule(KOP_RULE_DEL, r->fwmark, r->table, name(ctx, r->table)));
    }
    diff_routes_del(inst, want, false, name, ctx, ops);
    diff_routes_del(inst, want, true, name, ctx, ops);
    for (guint i = 0; i < inst->addrs->len; i++) {
        const fib_addr *a = &g_array_index(inst->addrs, fib_addr, i);
        if (!has_addr(want, a))
            push(ops, kop_addr(KOP_ADDR_DEL, a->dev, a->addr, 32));
    }
}

fib_table_count fib_count_table(const fib_state *s, uint32_t table)
{
    fib_table_count c = { 0, 0, 0, 0 };
    for (guint i = 0; i < s->routes->len; i++) {
        const fib_route *r = &g_array_index(s->routes, fib_route, i);
        if (r->table != table)
            continue;
        c.routes++;
        if (r->type == KROUTE_UNREACHABLE)
            c.unreachable++;
        else if (r->type == KROUTE_BLACKHOLE)
            c.blackhole++;
        else
            c.reachable++;
    }
    return c;
}
