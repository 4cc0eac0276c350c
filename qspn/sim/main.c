/* qspn-sim - run the QSPN core on an in-memory network and check it against
 * the Dijkstra oracle. Usage: qspn-sim --help. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netjson.h"
#include "sim.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: qspn-sim [options]\n"
            "  --topology G3.G2.G1.G0   gsize per level, highest first (default 4.4.4.4)\n"
            "  --shape chain|ring|grid|random (default random)\n"
            "  --nodes N                identities at start (default 200)\n"
            "  --seed S                 random seed (default 1)\n"
            "  --build all|join         all nodes start at once (create_net + every link up,\n"
            "                           default) or enter one by one (enter_net, BFS order)\n"
            "  --latency MS             per-message latency (default 20)\n"
            "  --random-latency MAX     each link gets its own latency in 1..MAX ms\n"
            "  --remove K               remove K random links (never splitting a g-node)\n"
            "  --crash K                crash K random nodes (never splitting a g-node)\n"
            "  --cost-change K          change the cost of K random links\n"
            "  --join K                 K new nodes enter the network (enter_net) one by one\n"
            "  --max-paths P            max_paths (default 5)\n"
            "  --hysteresis R           cost hysteresis (default 0 = exact; the proof uses 0.3)\n"
            "  --no-refresh             check right after quiescence, without the refresh round\n"
            "  --pinned-ignore          compute ignore_outside as the pinned code (spec §3.6)\n"
            "  --no-avoid               skip the forwarding-table (avoid neighbour) check\n"
            "  --script FILE            scripted events after the build, one per line:\n"
            "                           remove-link A B | add-link A B C_AB C_BA | cost A B C_AB C_BA |\n"
            "                           crash N | join | check   (each followed by convergence + check)\n"
            "  --dump N                 print identity N's map at the end (repeatable)\n"
            "  --report full|summary    print every identity/destination (default summary)\n"
            "  --trace                  print the managers' log lines\n"
            "  --write-network FILE     write the network and the events applied as JSON\n"
            "  --hold MS                etp_hold_ms, the pacing of advertisements (default 100)\n"
            "  --spec-retention         rule M2 as the spec reads it (no per-hop retention)\n");
}

typedef struct {
    int phases;
    int total_mismatch;
    int total_avoid_mismatch;
} totals;

static void check(sim *s, const char *phase, bool avoid, bool full, totals *tot)
{
    oracle_result r;
    oracle_check(s, avoid, stdout, full, &r);
    const sim_counters *c = sim_counts(s);
    printf("phase %-14s t=%" PRIu64 "ms refresh_rounds=%d identities=%d destinations=%d mismatches=%d "
           "avoid_checked=%d avoid_mismatches=%d avoid_missing=%d avoid_suboptimal=%d nonconvex_skipped=%d avoid_nonconvex_skipped=%d etp=%" PRIu64
           " etp_bytes=%" PRIu64 " frames=%" PRIu64 " bytes=%" PRIu64 "\n",
           phase, sim_now(s), sim_refresh_rounds(s), r.identities, r.destinations, r.mismatches, r.avoid_checked,
           r.avoid_mismatches, r.avoid_missing, r.avoid_suboptimal, r.nonconvex, r.avoid_nonconvex, c->etp_frames, c->etp_bytes, c->frames, c->bytes);
    tot->phases++;
    tot->total_mismatch += r.mismatches;
    tot->total_avoid_mismatch += r.avoid_mismatches;
}

static bool refresh_round = true;
static net_log *netlog;

static void converge(sim *s)
{
    if (!sim_converge(s, refresh_round))
        printf("warning: event limit reached before quiescence\n");
}


/* Scripted events, one per line (node numbers as in the report):
 *   remove-link A B | add-link A B COST_AB COST_BA | cost A B COST_AB COST_BA
 *   crash N | join | check
 * Every event is followed by convergence and an oracle check. */
/* --dump N: every destination of identity N with all its visible paths. */
static void dump_node(sim *s, int n)
{
    if (n < 0 || n >= sim_node_count(s) || !sim_alive(s, n))
        return;
    qspn_manager *m = sim_manager(s, n);
    char ab[NTK_STRLEN];
    ntk_naddr_format(sim_naddr(s, n), ".", ab, sizeof ab);
    printf("dump node %d (%s)\n", n, ab);
    void *arcs[64];
    int na = qspn_current_arcs(m, arcs, 64);
    for (int i = 0; i < na && i < 64; i++) {
        ntk_naddr peer;
        char pb[NTK_STRLEN] = "?";
        if (qspn_get_naddr_for_arc(m, arcs[i], &peer))
            ntk_naddr_format(&peer, ".", pb, sizeof pb);
        printf("  arc id %u to %s\n", qspn_arc_id(m, arcs[i]), pb);
    }
    for (int l = 0; l < qspn_levels(m); l++) {
        ntk_hcoord d[256];
        int nd = qspn_get_known_destinations(m, l, d, 256);
        for (int k = 0; k < nd && k < 256; k++) {
            qspn_path_view v[32];
            int np = qspn_get_paths_to(m, d[k], v, 32);
            for (int i = 0; i < np && i < 32; i++) {
                printf("  (%d,%d) #%d cost %u fp %llu nn %u:", d[k].lvl, d[k].pos, i, v[i].cost,
                       (unsigned long long)v[i].fp->id, v[i].nodes_inside);
                for (int h = 0; h < v[i].n_hops; h++)
                    printf(" (%d,%d)/%u", v[i].hops[h].lvl, v[i].hops[h].pos, v[i].hops[h].arc_id);
                printf("\n");
            }
        }
    }
}

static int run_script(sim *s, const char *path, uint64_t *rng, bool avoid, bool full, totals *tot)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "qspn-sim: cannot open %s\n", path);
        return -1;
    }
    char line[256];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char cmd[32];
        long a = -1, b = -1, c1 = 0, c2 = 0;
        if (line[0] == '#' || sscanf(line, "%31s", cmd) != 1)
            continue;
        int n = sscanf(line, "%*s %ld %ld %ld %ld", &a, &b, &c1, &c2);
        int nodes = sim_node_count(s);
        bool ab_ok = n >= 2 && a >= 0 && b >= 0 && a < nodes && b < nodes && a != b;
        char name[48];
        snprintf(name, sizeof name, "line%d:%s", lineno, cmd);
        if (strcmp(cmd, "remove-link") == 0 && ab_ok) {
            int li = sim_find_link(s, (int)a, (int)b);
            if (li < 0) {
                fprintf(stderr, "qspn-sim: %s:%d: no link %ld-%ld\n", path, lineno, a, b);
                fclose(f);
                return -1;
            }
            sim_link_down(s, li);
        } else if (strcmp(cmd, "add-link") == 0 && ab_ok && n == 4 && c1 > 0 && c2 > 0) {
            int li = sim_find_link(s, (int)a, (int)b);
            if (li < 0)
                li = sim_define_link(s, (int)a, (int)b, (uint32_t)c1, (uint32_t)c2);
            else
                sim_link_cost(s, li, (uint32_t)c1, (uint32_t)c2);
            sim_link_up(s, li, 1);
        } else if (strcmp(cmd, "cost") == 0 && ab_ok && n == 4 && c1 > 0 && c2 > 0) {
            int li = sim_find_link(s, (int)a, (int)b);
            if (li < 0) {
                fprintf(stderr, "qspn-sim: %s:%d: no link %ld-%ld\n", path, lineno, a, b);
                fclose(f);
                return -1;
            }
            int ea, eb;
            bool up;
            sim_link_ends(s, li, &ea, &eb, &up);
            if (ea == a)
                sim_link_cost(s, li, (uint32_t)c1, (uint32_t)c2);
            else
                sim_link_cost(s, li, (uint32_t)c2, (uint32_t)c1);
        } else if (strcmp(cmd, "crash") == 0 && n >= 1 && a >= 0 && a < nodes) {
            sim_crash(s, (int)a);
        } else if (strcmp(cmd, "join") == 0) {
            if (sim_join_node(s, rng) < 0) {
                fprintf(stderr, "qspn-sim: %s:%d: topology full\n", path, lineno);
                fclose(f);
                return -1;
            }
        } else if (strcmp(cmd, "check") != 0) {
            fprintf(stderr, "qspn-sim: %s:%d: cannot parse: %s", path, lineno, line);
            fclose(f);
            return -1;
        }
        {
            int li = (strcmp(cmd, "crash") == 0 || strcmp(cmd, "join") == 0 || strcmp(cmd, "check") == 0)
                         ? -1 : sim_find_link(s, (int)a, (int)b);
            int node = strcmp(cmd, "join") == 0 ? sim_node_count(s) - 1 : (int)a;
            net_log_event(netlog, s, name, cmd, li, node, -1);
        }
        printf("event: %s", line);
        if (!sim_gnodes_connected(s))
            printf("note: a g-node is now split internally; QSPN keeps only the island with the "
                   "eldest fingerprint visible (gnode_splitted), so the oracle will differ for it\n");
        converge(s);
        check(s, name, avoid, full, tot);
    }
    fclose(f);
    return 0;
}

/* Command-line options. */
typedef struct {
    const char *topo_s, *shape_s, *report, *script, *write_network;
    long hold_ms;
    bool spec_retention, avoid, trace, pinned_ignore, build_join;
    int nodes, removes, crashes, joins, costs, max_paths;
    uint64_t seed;
    uint32_t latency, random_latency;
    double hysteresis;
    int dump[16], n_dump;
} options;

/* 0: go on; 1: exit 0 (help); 2: usage error. */
static int parse_options(int argc, char **argv, options *o)
{
    *o = (options){.topo_s = "4.4.4.4", .shape_s = "random", .report = "summary", .hold_ms = -1,
                   .avoid = true, .nodes = 200, .max_paths = 5, .seed = 1, .latency = 20};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name) (strcmp(a, name) == 0 && v && (i++, 1))
        if (OPT("--topology")) o->topo_s = v;
        else if (OPT("--shape")) o->shape_s = v;
        else if (OPT("--nodes")) o->nodes = atoi(v);
        else if (OPT("--seed")) o->seed = strtoull(v, NULL, 0);
        else if (OPT("--latency")) o->latency = (uint32_t)atoi(v);
        else if (OPT("--random-latency")) o->random_latency = (uint32_t)atoi(v);
        else if (OPT("--remove")) o->removes = atoi(v);
        else if (OPT("--crash")) o->crashes = atoi(v);
        else if (OPT("--cost-change")) o->costs = atoi(v);
        else if (OPT("--join")) o->joins = atoi(v);
        else if (OPT("--max-paths")) o->max_paths = atoi(v);
        else if (OPT("--hysteresis")) o->hysteresis = atof(v);
        else if (OPT("--report")) o->report = v;
        else if (OPT("--script")) o->script = v;
        else if (OPT("--build")) o->build_join = strcmp(v, "join") == 0;
        else if (OPT("--write-network")) o->write_network = v;
        else if (OPT("--hold")) o->hold_ms = atol(v);
        else if (OPT("--dump")) { if (o->n_dump < 16) o->dump[o->n_dump++] = atoi(v); }
        else if (strcmp(a, "--spec-retention") == 0) o->spec_retention = true;
        else if (strcmp(a, "--no-avoid") == 0) o->avoid = false;
        else if (strcmp(a, "--pinned-ignore") == 0) o->pinned_ignore = true;
        else if (strcmp(a, "--no-refresh") == 0) refresh_round = false;
        else if (strcmp(a, "--trace") == 0) o->trace = true;
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) { usage(stdout); return 1; }
        else { usage(stderr); return 2; }
#undef OPT
    }
    return 0;
}

static void make_config(const options *o, qspn_config *cfg)
{
    qspn_config_default(cfg);
    cfg->arc_timeout_ms = 300;
    cfg->refresh_ms = 0;
    cfg->max_paths = o->max_paths;
    cfg->cost_hysteresis = o->hysteresis;
    cfg->pinned_ignore_rule = o->pinned_ignore;
    cfg->avoid_retention = !o->spec_retention;
    if (o->hold_ms >= 0)
        cfg->etp_hold_ms = (uint32_t)o->hold_ms;
}

/* The random events of --cost-change, --remove, --crash, --join, each
 * followed by convergence and an oracle check. */
static void random_events(sim *s, const options *o, uint64_t *rng, totals *tot)
{
    bool full = strcmp(o->report, "full") == 0;
    char name[32];
    for (int k = 0; k < o->costs; k++) {
        int li = (int)(sim_rng_next(rng) % (uint64_t)sim_link_count(s));
        int a, b;
        bool up;
        sim_link_ends(s, li, &a, &b, &up);
        if (!up)
            continue;
        uint32_t ca = sim_link_cost_from(s, li, a), cb = sim_link_cost_from(s, li, b);
        uint32_t f = 2 + (uint32_t)(sim_rng_next(rng) % 3);
        bool up_or_down = sim_rng_next(rng) & 1;
        sim_link_cost(s, li, up_or_down ? ca * f : ca / f + 1, up_or_down ? cb * f : cb / f + 1);
        snprintf(name, sizeof name, "cost#%d", k + 1);
        net_log_event(netlog, s, name, "cost", li, a, b);
        converge(s);
        printf("event: cost change on link %d-%d\n", a, b);
        check(s, name, o->avoid, full, tot);
    }
    for (int k = 0; k < o->removes; k++) {
        int li = sim_pick_safe_link(s, rng);
        if (li < 0)
            break;
        int a, b;
        bool up;
        sim_link_ends(s, li, &a, &b, &up);
        printf("event: remove link %d-%d\n", a, b);
        sim_link_down(s, li);
        snprintf(name, sizeof name, "remove#%d", k + 1);
        net_log_event(netlog, s, name, "remove-link", li, a, b);
        converge(s);
        check(s, name, o->avoid, full, tot);
    }
    for (int k = 0; k < o->crashes; k++) {
        int v = sim_pick_safe_crash(s, rng);
        if (v < 0)
            break;
        printf("event: crash node %d\n", v);
        sim_crash(s, v);
        snprintf(name, sizeof name, "crash#%d", k + 1);
        net_log_event(netlog, s, name, "crash", -1, v, -1);
        converge(s);
        check(s, name, o->avoid, full, tot);
    }
    for (int k = 0; k < o->joins; k++) {
        int v = sim_join_node(s, rng);
        if (v < 0)
            break;
        printf("event: node %d enters\n", v);
        snprintf(name, sizeof name, "join#%d", k + 1);
        net_log_event(netlog, s, name, "join", -1, v, -1);
        converge(s);
        check(s, name, o->avoid, full, tot);
    }
}

static void print_summary(sim *s, const totals *tot, clock_t t0)
{
    const sim_counters *c = sim_counts(s);
    double wall = (double)(clock() - t0) / CLOCKS_PER_SEC;
    size_t st_max = 0, st_sum = 0;
    int st_n = 0;
    for (int i = 0; i < sim_node_count(s); i++)
        if (sim_alive(s, i)) {
            size_t b = qspn_state_bytes(sim_manager(s, i));
            st_sum += b;
            st_max = b > st_max ? b : st_max;
            st_n++;
        }
    printf("state: identities=%d state_avg_bytes=%zu state_max_bytes=%zu\n", st_n, st_n ? st_sum / (size_t)st_n : 0,
           st_max);
    printf("summary: phases=%d mismatches=%d avoid_mismatches=%d etp=%" PRIu64 " etp_bytes=%" PRIu64
           " etp_refresh=%" PRIu64 " etp_refresh_bytes=%" PRIu64
           " requests=%" PRIu64 " frames=%" PRIu64 " bytes=%" PRIu64 " sim_time=%" PRIu64
           "ms cpu=%.2fs\n",
           tot->phases, tot->total_mismatch, tot->total_avoid_mismatch, c->etp_frames, c->etp_bytes,
           c->refresh_etp_frames, c->refresh_etp_bytes,
           c->requests, c->frames, c->bytes, sim_now(s), wall);
}

/* The simulator of the options, built and started; NULL on a usage error. */
static sim *make_sim(const options *o)
{
    ntk_topology topo;
    char err[NTK_ERRLEN];
    if (!ntk_topology_parse(o->topo_s, &topo, err, sizeof err)) {
        fprintf(stderr, "qspn-sim: bad topology: %s\n", err);
        return NULL;
    }
    sim_shape shape;
    if (!sim_shape_parse(o->shape_s, &shape)) {
        fprintf(stderr, "qspn-sim: unknown shape %s\n", o->shape_s);
        return NULL;
    }
    qspn_config cfg;
    make_config(o, &cfg);
    sim *s = sim_new(&topo, &cfg, o->seed);
    sim_set_latency(s, o->latency);
    if (o->trace)
        sim_set_log(s, stdout);
    if (!sim_build_shape(s, shape, o->nodes, o->seed)) {
        fprintf(stderr, "qspn-sim: cannot build %s with %d nodes on %s (grid needs gsize 4)\n",
                o->shape_s, o->nodes, o->topo_s);
        sim_free(s);
        return NULL;
    }
    printf("qspn-sim: shape=%s nodes=%d links=%d topology=%s seed=%" PRIu64
           " latency=%ums max_paths=%d hysteresis=%.2f\n",
           o->shape_s, o->nodes, sim_link_count(s), o->topo_s, o->seed, o->latency, o->max_paths,
           o->hysteresis);
    if (o->random_latency > 0) {
        uint64_t lr = o->seed * 31 + 7;
        for (int li = 0; li < sim_link_count(s); li++)
            sim_link_latency(s, li, 1 + (uint32_t)(sim_rng_next(&lr) % o->random_latency));
    }
    return s;
}

int main(int argc, char **argv)
{
    options o;
    int rc = parse_options(argc, argv, &o);
    if (rc)
        return rc == 1 ? 0 : 2;
    clock_t t0 = clock();
    sim *s = make_sim(&o);
    if (!s)
        return 2;
    bool full = strcmp(o.report, "full") == 0;
    totals tot = {0};
    netlog = net_log_new();
    net_log_links(netlog, s);
    if (o.build_join)
        sim_start_by_joining(s);
    else
        sim_start_all(s);
    converge(s);
    check(s, "build", o.avoid, full, &tot);
    uint64_t rng = o.seed * 7919 + 17;
    random_events(s, &o, &rng, &tot);
    if (o.script && run_script(s, o.script, &rng, o.avoid, full, &tot) < 0) {
        net_log_free(netlog);
        sim_free(s);
        return 2;
    }
    for (int i = 0; i < o.n_dump; i++)
        dump_node(s, o.dump[i]);
    if (o.write_network && !net_log_write(netlog, s, o.write_network))
        fprintf(stderr, "qspn-sim: cannot write %s\n", o.write_network);
    net_log_free(netlog);
    print_summary(s, &tot, t0);
    sim_free(s);
    return tot.total_mismatch == 0 && tot.total_avoid_mismatch == 0 ? 0 : 1;
}
