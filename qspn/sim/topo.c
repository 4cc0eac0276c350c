/* topo.c - topology generators and "safe" event pickers for qspn-sim. */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

/* Base cost of a link by the level of the maximal distinct g-node between its
 * ends. Each level costs 10x the one below, so a flat shortest path never
 * leaves a g-node and comes back (see docs/qspn-core.md, "The oracle"). */
static uint32_t level_cost(int lvl, uint64_t *rng)
{
    uint32_t base = 100;
    for (int i = 0; i < lvl && i < 6; i++)
        base *= 10;
    return base + (uint32_t)(sim_rng_next(rng) % base);
}

static int link_level(const ntk_naddr *a, const ntk_naddr *b)
{
    for (int l = a->levels - 1; l >= 0; l--)
        if (a->pos[l] != b->pos[l])
            return l;
    return -1;
}

bool sim_shape_parse(const char *name, sim_shape *out)
{
    static const char *names[] = {"chain", "ring", "grid", "random"};
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (sim_shape)i;
            return true;
        }
    return false;
}

static void add_link(sim *s, int a, int b, uint64_t *rng)
{
    if (a == b || sim_find_link(s, a, b) >= 0)
        return;
    int lvl = link_level(sim_naddr(s, a), sim_naddr(s, b));
    sim_define_link(s, a, b, level_cost(lvl, rng), level_cost(lvl, rng));
}

/* Address of the i-th slot in mixed radix (level 0 fastest). */
static void slot_addr(int levels, const int *gsize, long i, ntk_naddr *a)
{
    a->levels = levels;
    for (int l = 0; l < levels; l++) {
        a->pos[l] = (int)(i % gsize[l]);
        i /= gsize[l];
    }
}

static bool same_prefix(const ntk_naddr *a, const ntk_naddr *b, int from)
{
    for (int l = from; l < a->levels; l++)
        if (a->pos[l] != b->pos[l])
            return false;
    return true;
}

/* Hierarchical random graph: inside every g-node of level i+1, its level-i
 * children are joined by a random spanning tree plus extra random links,
 * each realised between random members of the two children. */
static void build_random(sim *s, int n, uint64_t *rng)
{
    int levels = sim_naddr(s, 0)->levels;
    for (int i = 0; i + 1 <= levels; i++) {
        /* parents (prefix at >= i+1) are runs of consecutive slots */
        int start = 0;
        while (start < n) {
            int end = start;
            while (end < n && same_prefix(sim_naddr(s, start), sim_naddr(s, end), i + 1))
                end++;
            /* children: runs of equal prefix at >= i inside [start,end) */
            int nc = 0;
            int cstart[256], cend[256];
            int c = start;
            while (c < end && nc < 256) {
                int e = c;
                while (e < end && same_prefix(sim_naddr(s, c), sim_naddr(s, e), i))
                    e++;
                cstart[nc] = c;
                cend[nc] = e;
                nc++;
                c = e;
            }
            for (int k = 1; k < nc; k++) {
                int j = (int)(sim_rng_next(rng) % (uint64_t)k);
                int a = cstart[k] + (int)(sim_rng_next(rng) % (uint64_t)(cend[k] - cstart[k]));
                int b = cstart[j] + (int)(sim_rng_next(rng) % (uint64_t)(cend[j] - cstart[j]));
                add_link(s, a, b, rng);
            }
            int extra = nc / 2;
            for (int x = 0; x < extra && nc > 1; x++) {
                int k = (int)(sim_rng_next(rng) % (uint64_t)nc);
                int j = (int)(sim_rng_next(rng) % (uint64_t)nc);
                if (k == j)
                    continue;
                int a = cstart[k] + (int)(sim_rng_next(rng) % (uint64_t)(cend[k] - cstart[k]));
                int b = cstart[j] + (int)(sim_rng_next(rng) % (uint64_t)(cend[j] - cstart[j]));
                add_link(s, a, b, rng);
            }
            start = end;
        }
    }
}

bool sim_build_shape(sim *s, sim_shape shape, int n, uint64_t seed)
{
    uint64_t rng = seed ? seed : 1;
    const ntk_topology *t = sim_topology(s);
    long cap = 1;
    for (int l = 0; l < t->levels; l++)
        cap *= t->gsize[l];
    if (n < 1 || n > cap)
        return false;
    if (shape == SHAPE_GRID) {
        for (int l = 0; l < t->levels; l++)
            if (t->gsize[l] != 4)
                return false; /* the quadtree mapping needs 2x2 blocks */
    }
    for (int i = 0; i < n; i++) {
        ntk_naddr a;
        slot_addr(t->levels, t->gsize, i, &a);
        sim_define_node(s, &a, 0, NULL);
    }
    switch (shape) {
    case SHAPE_CHAIN:
    case SHAPE_RING:
        for (int i = 0; i + 1 < n; i++)
            add_link(s, i, i + 1, &rng);
        if (shape == SHAPE_RING && n > 2)
            add_link(s, n - 1, 0, &rng);
        break;
    case SHAPE_GRID: {
        /* slot i (Morton order, 2 bits per level) -> (x, y) */
        int *xs = malloc((size_t)n * sizeof *xs), *ys = malloc((size_t)n * sizeof *ys);
        if (!xs || !ys)
            abort();
        for (int i = 0; i < n; i++) {
            int x = 0, y = 0;
            for (int l = 0; l < t->levels; l++) {
                int q = (i >> (2 * l)) & 3;
                x |= (q & 1) << l;
                y |= ((q >> 1) & 1) << l;
            }
            xs[i] = x;
            ys[i] = y;
        }
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                if (abs(xs[i] - xs[j]) + abs(ys[i] - ys[j]) == 1)
                    add_link(s, i, j, &rng);
        free(xs);
        free(ys);
        break;
    }
    case SHAPE_RANDOM:
        build_random(s, n, &rng);
        break;
    }
    return true;
}

void sim_start_all(sim *s)
{
    for (int i = 0; i < sim_node_count(s); i++)
        if (!sim_alive(s, i))
            sim_start_create_net(s, i);
    for (int i = 0; i < sim_link_count(s); i++)
        sim_link_up(s, i, 0);
}

void sim_start_by_joining(sim *s)
{
    int n = sim_node_count(s), *order = malloc((size_t)n * sizeof *order);
    bool *seen = calloc((size_t)n, sizeof *seen);
    if (!order || !seen)
        abort();
    int head = 0, tail = 0;
    order[tail++] = 0;
    seen[0] = true;
    while (head < tail) {
        int u = order[head++];
        for (int li = 0; li < sim_link_count(s); li++) {
            int a, b;
            bool up;
            sim_link_ends(s, li, &a, &b, &up);
            int w = a == u ? b : b == u ? a : -1;
            if (w >= 0 && !seen[w]) {
                seen[w] = true;
                order[tail++] = w;
            }
        }
    }
    sim_start_create_net(s, order[0]);
    for (int i = 1; i < tail; i++) {
        sim_run_quiescent(s, 0);
        sim_start_enter(s, order[i], 0, sim_topology(s)->levels);
    }
    free(order);
    free(seen);
}

/* Is every g-node (every level, alive members only) internally connected
 * when `skip_link` is down and `skip_node` is dead? */
static int uf_find(int *p, int x)
{
    while (p[x] != x) {
        p[x] = p[p[x]];
        x = p[x];
    }
    return x;
}

static bool gnodes_connected(sim *s, int skip_link, int skip_node)
{
    int n = sim_node_count(s);
    int levels = sim_naddr(s, 0)->levels;
    int *p = malloc((size_t)n * sizeof *p);
    if (!p)
        abort();
    bool ok = true;
    for (int i = 1; i <= levels && ok; i++) {
        for (int k = 0; k < n; k++)
            p[k] = k;
        for (int li = 0; li < sim_link_count(s); li++) {
            int a, b;
            bool up;
            sim_link_ends(s, li, &a, &b, &up);
            if (!up || li == skip_link || a == skip_node || b == skip_node)
                continue;
            if (!sim_alive(s, a) || !sim_alive(s, b))
                continue;
            if (!same_prefix(sim_naddr(s, a), sim_naddr(s, b), i))
                continue;
            p[uf_find(p, a)] = uf_find(p, b);
        }
        for (int a = 0; a < n && ok; a++) {
            if (!sim_alive(s, a) || a == skip_node)
                continue;
            for (int b = a + 1; b < n && ok; b++) {
                if (!sim_alive(s, b) || b == skip_node)
                    continue;
                if (same_prefix(sim_naddr(s, a), sim_naddr(s, b), i) && uf_find(p, a) != uf_find(p, b))
                    ok = false;
            }
        }
    }
    free(p);
    return ok;
}

bool sim_gnodes_connected(sim *s)
{
    return gnodes_connected(s, -1, -1);
}

int sim_pick_safe_link(sim *s, uint64_t *rng)
{
    int nl = sim_link_count(s);
    for (int tries = 0; tries < 200 && nl > 0; tries++) {
        int li = (int)(sim_rng_next(rng) % (uint64_t)nl);
        int a, b;
        bool up;
        sim_link_ends(s, li, &a, &b, &up);
        if (!up || !sim_alive(s, a) || !sim_alive(s, b))
            continue;
        if (gnodes_connected(s, li, -1))
            return li;
    }
    return -1;
}

int sim_pick_safe_crash(sim *s, uint64_t *rng)
{
    int n = sim_node_count(s);
    for (int tries = 0; tries < 200; tries++) {
        int v = (int)(sim_rng_next(rng) % (uint64_t)n);
        if (!sim_alive(s, v))
            continue;
        if (gnodes_connected(s, -1, v))
            return v;
    }
    return -1;
}

int sim_join_node(sim *s, uint64_t *rng)
{
    const ntk_topology *t = sim_topology(s);
    int n = sim_node_count(s);
    long cap = 1;
    for (int l = 0; l < t->levels; l++)
        cap *= t->gsize[l];
    if (n >= cap)
        return -1;
    ntk_naddr a;
    a.levels = t->levels;
    long i = n;
    for (int l = 0; l < t->levels; l++) {
        a.pos[l] = (int)(i % t->gsize[l]);
        i /= t->gsize[l];
    }
    int v = sim_define_node(s, &a, 0, NULL);
    for (int lvl = 1; lvl <= t->levels; lvl++) {
        int cand[1024], nc = 0;
        for (int u = 0; u < v && nc < 1024; u++) {
            if (!sim_alive(s, u))
                continue;
            bool same = true;
            for (int l = lvl; l < t->levels; l++)
                same = same && sim_naddr(s, u)->pos[l] == a.pos[l];
            if (same)
                cand[nc++] = u;
        }
        if (nc == 0)
            continue;
        int links = nc > 1 ? 2 : 1;
        for (int k = 0; k < links; k++) {
            int u = cand[sim_rng_next(rng) % (uint64_t)nc];
            if (sim_find_link(s, u, v) >= 0)
                continue;
            int ll = -1;
            for (int l = t->levels - 1; l >= 0; l--)
                if (sim_naddr(s, u)->pos[l] != a.pos[l]) {
                    ll = l;
                    break;
                }
            uint32_t base = 100;
            for (int l = 0; l < ll; l++)
                base *= 10;
            sim_define_link(s, v, u, base + (uint32_t)(sim_rng_next(rng) % base),
                            base + (uint32_t)(sim_rng_next(rng) % base));
        }
        break;
    }
    sim_start_enter(s, v, 0, t->levels);
    return v;
}
