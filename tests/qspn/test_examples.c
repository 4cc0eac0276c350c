/* test_examples.c - the worked examples of spec §5 (real traces of the pinned
 * Vala module), reproduced step by step on the simulator. Every expected
 * value below is copied from qspn.md §5, not computed by the code under test.
 * Simulator settings as in §5: max_paths 5, ratio 0.6, arc_timeout 300 ms,
 * split threshold 3000 ms, 20 ms per message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sim.h"

/* Each example runs twice: with the pinned ignore_outside rule of §3.6 and
 * with the default one (docs/qspn-core.md, D3); the traces must not differ. */
static bool use_pinned_ignore_rule;

static qspn_config example_config(void)
{
    qspn_config c;
    qspn_config_default(&c);
    c.arc_timeout_ms = 300;
    c.refresh_ms = 0;
    c.pinned_ignore_rule = use_pinned_ignore_rule;
    return c; /* cost hysteresis stays at the proof's 0.3 */
}

static ntk_naddr addr(int levels, const int *pos_high_first)
{
    ntk_naddr a;
    a.levels = levels;
    for (int i = 0; i < levels; i++)
        a.pos[i] = pos_high_first[levels - 1 - i];
    return a;
}

/* Expected path: hops as (lvl,pos) pairs and total cost. */
typedef struct {
    int n;
    int hops[8][2];
    uint32_t cost;
} exp_path;

/* Assert that node's visible paths to d are exactly `want` (in cost order). */
static void check_paths(sim *s, int node, const char *name, int lvl, int pos, const exp_path *want,
                        int n_want)
{
    qspn_path_view v[16];
    int n = qspn_get_paths_to(sim_manager(s, node), (ntk_hcoord){lvl, pos}, v, 16);
    if (n != n_want) {
        print_error("%s: (%d,%d) has %d paths, expected %d\n", name, lvl, pos, n, n_want);
        for (int i = 0; i < n && i < 16; i++)
            print_error("  path %d cost %u hops %d\n", i, v[i].cost, v[i].n_hops);
    }
    assert_int_equal(n, n_want);
    for (int i = 0; i < n_want; i++) {
        if (v[i].n_hops != want[i].n || v[i].cost != want[i].cost)
            print_error("%s: (%d,%d) path %d: cost %u hops %d, expected cost %u hops %d\n", name,
                        lvl, pos, i, v[i].cost, v[i].n_hops, want[i].cost, want[i].n);
        assert_int_equal(v[i].n_hops, want[i].n);
        assert_int_equal(v[i].cost, want[i].cost);
        for (int h = 0; h < want[i].n; h++) {
            assert_int_equal(v[i].hops[h].lvl, want[i].hops[h][0]);
            assert_int_equal(v[i].hops[h].pos, want[i].hops[h][1]);
        }
    }
}

/* The best path only (first of get_paths_to). */
static void check_best(sim *s, int node, const char *name, int lvl, int pos, exp_path want)
{
    qspn_path_view v[16];
    int n = qspn_get_paths_to(sim_manager(s, node), (ntk_hcoord){lvl, pos}, v, 16);
    if (n < 1 || v[0].cost != want.cost)
        print_error("%s: best to (%d,%d): %d paths, cost %u, expected %u\n", name, lvl, pos, n,
                    n > 0 ? v[0].cost : 0, want.cost);
    assert_true(n >= 1);
    assert_int_equal(v[0].cost, want.cost);
    assert_int_equal(v[0].n_hops, want.n);
    for (int h = 0; h < want.n; h++) {
        assert_int_equal(v[0].hops[h].lvl, want.hops[h][0]);
        assert_int_equal(v[0].hops[h].pos, want.hops[h][1]);
    }
}

static bool has_sig_dest(sim *s, int node, simsig_kind k, int lvl, int pos)
{
    const sim_signal *sg;
    int n = sim_signals(s, &sg);
    for (int i = 0; i < n; i++)
        if (sg[i].node == node && sg[i].kind == k && sg[i].d.lvl == lvl && sg[i].d.pos == pos)
            return true;
    return false;
}

static bool has_removed(sim *s, int node, exp_path p)
{
    const sim_signal *sg;
    int n = sim_signals(s, &sg);
    for (int i = 0; i < n; i++) {
        if (sg[i].node != node || sg[i].kind != SIMSIG_PATH_REMOVED || sg[i].n_hops != p.n ||
            sg[i].cost != p.cost)
            continue;
        bool same = true;
        for (int h = 0; h < p.n; h++)
            same = same && sg[i].hops[h].lvl == p.hops[h][0] && sg[i].hops[h].pos == p.hops[h][1];
        if (same)
            return true;
    }
    return false;
}

/* ---- Example 1: flat network (test1) --------------------------------------------- */

static void example1(void **state)
{
    (void)state;
    ntk_topology t;
    int g[1] = {16};
    char err[NTK_ERRLEN];
    assert_true(ntk_topology_init(&t, 1, g, err, sizeof err));
    qspn_config cfg = example_config();
    sim *s = sim_new(&t, &cfg, 11);
    sim_record_signals(s, true);
    uint32_t e0 = 0, e1 = 1, e2 = 2, e3 = 3;
    int p12[] = {12}, p13[] = {13}, p3[] = {3}, p2[] = {2};
    ntk_naddr a12 = addr(1, p12), a13 = addr(1, p13), a3 = addr(1, p3), a2 = addr(1, p2);
    int N12 = sim_define_node(s, &a12, 685, &e0);
    int N13 = sim_define_node(s, &a13, 421, &e1);
    int N3 = sim_define_node(s, &a3, 513, &e2);
    int N2 = sim_define_node(s, &a2, 469, &e3);
    int l13_12 = sim_define_link(s, N13, N12, 647, 1426);
    sim_define_link(s, N3, N12, 1360, 822);
    sim_define_link(s, N2, N13, 1238, 664);

    /* Step 1: N13 joins through N12. */
    sim_start_create_net(s, N12);
    sim_run(s, 10);
    sim_start_enter(s, N13, 0, 1);
    sim_run_quiescent(s, 0);
    check_best(s, N13, "N13", 0, 12, (exp_path){1, {{0, 12}}, 647});
    check_best(s, N12, "N12", 0, 13, (exp_path){1, {{0, 13}}, 1426});
    /* N13: destination_added, path_added, changed_fp(1) (685), changed_nodes_inside(1) */
    assert_true(has_sig_dest(s, N13, SIMSIG_DEST_ADDED, 0, 12));
    assert_true(sim_signal_count(s, N13, SIMSIG_PATH_ADDED) >= 1);
    assert_true(sim_signal_count(s, N13, SIMSIG_CHANGED_FP) >= 1);
    assert_true(sim_signal_count(s, N13, SIMSIG_CHANGED_NN) >= 1);
    assert_int_equal(sim_signal_count(s, N13, SIMSIG_BOOTSTRAP_COMPLETE), 1);
    assert_int_equal(sim_signal_count(s, N13, SIMSIG_PRESENCE), 1);
    qspn_fp fp1;
    assert_int_equal(qspn_get_fingerprint(sim_manager(s, N13), 1, &fp1), QSPN_OK);
    assert_true(fp1.id == 685);
    uint32_t nn1;
    assert_int_equal(qspn_get_nodes_inside(sim_manager(s, N13), 1, &nn1), QSPN_OK);
    assert_int_equal(nn1, 2);

    /* Step 2: N3 joins through N12; N12 forwards the news to N13. */
    sim_start_enter(s, N3, 0, 1);
    sim_run_quiescent(s, 0);
    check_best(s, N3, "N3", 0, 13, (exp_path){2, {{0, 12}, {0, 13}}, 2786});
    check_best(s, N3, "N3", 0, 12, (exp_path){1, {{0, 12}}, 1360});
    check_best(s, N13, "N13", 0, 3, (exp_path){2, {{0, 12}, {0, 3}}, 1469});

    /* Step 3: N2 joins through N13. Table of §5.1 step 3 (one path each). */
    sim_start_enter(s, N2, 0, 1);
    sim_run_quiescent(s, 0);
    exp_path one;
    one = (exp_path){1, {{0, 13}}, 1426}; check_paths(s, N12, "N12", 0, 13, &one, 1);
    one = (exp_path){1, {{0, 3}}, 822}; check_paths(s, N12, "N12", 0, 3, &one, 1);
    one = (exp_path){2, {{0, 13}, {0, 2}}, 2090}; check_paths(s, N12, "N12", 0, 2, &one, 1);
    one = (exp_path){1, {{0, 12}}, 647}; check_paths(s, N13, "N13", 0, 12, &one, 1);
    one = (exp_path){2, {{0, 12}, {0, 3}}, 1469}; check_paths(s, N13, "N13", 0, 3, &one, 1);
    one = (exp_path){1, {{0, 2}}, 664}; check_paths(s, N13, "N13", 0, 2, &one, 1);
    one = (exp_path){1, {{0, 12}}, 1360}; check_paths(s, N3, "N3", 0, 12, &one, 1);
    one = (exp_path){2, {{0, 12}, {0, 13}}, 2786}; check_paths(s, N3, "N3", 0, 13, &one, 1);
    one = (exp_path){3, {{0, 12}, {0, 13}, {0, 2}}, 3450}; check_paths(s, N3, "N3", 0, 2, &one, 1);
    one = (exp_path){2, {{0, 13}, {0, 12}}, 1885}; check_paths(s, N2, "N2", 0, 12, &one, 1);
    one = (exp_path){1, {{0, 13}}, 1238}; check_paths(s, N2, "N2", 0, 13, &one, 1);
    one = (exp_path){3, {{0, 13}, {0, 12}, {0, 3}}, 2707}; check_paths(s, N2, "N2", 0, 3, &one, 1);

    /* Step 4: the N2-N3 link appears (N2's arc_add first). */
    int l23 = sim_define_link(s, N2, N3, 1090, 1600);
    sim_link_up(s, l23, 1);
    sim_run_quiescent(s, 0);
    exp_path two[2];
    two[0] = (exp_path){1, {{0, 3}}, 1090};
    two[1] = (exp_path){3, {{0, 13}, {0, 12}, {0, 3}}, 2707};
    check_paths(s, N2, "N2", 0, 3, two, 2);
    two[0] = (exp_path){2, {{0, 13}, {0, 12}}, 1885};
    two[1] = (exp_path){2, {{0, 3}, {0, 12}}, 2450};
    check_paths(s, N2, "N2", 0, 12, two, 2);
    two[0] = (exp_path){1, {{0, 13}}, 1238};
    two[1] = (exp_path){3, {{0, 3}, {0, 12}, {0, 13}}, 3876};
    check_paths(s, N2, "N2", 0, 13, two, 2);
    two[0] = (exp_path){2, {{0, 12}, {0, 3}}, 1469};
    two[1] = (exp_path){2, {{0, 2}, {0, 3}}, 1754};
    check_paths(s, N13, "N13", 0, 3, two, 2);
    two[0] = (exp_path){1, {{0, 12}}, 647};
    two[1] = (exp_path){3, {{0, 2}, {0, 3}, {0, 12}}, 3114};
    check_paths(s, N13, "N13", 0, 12, two, 2);
    two[0] = (exp_path){1, {{0, 3}}, 822};
    two[1] = (exp_path){3, {{0, 13}, {0, 2}, {0, 3}}, 3180};
    check_paths(s, N12, "N12", 0, 3, two, 2);
    /* "every node has 2 paths per destination (one per side of the ring)" */
    for (int n = 0; n < 4; n++)
        for (int p = 0; p < 16; p++) {
            if (p == sim_naddr(s, n)->pos[0] || (p != 12 && p != 13 && p != 3 && p != 2))
                continue;
            qspn_path_view v[8];
            assert_int_equal(qspn_get_paths_to(sim_manager(s, n), (ntk_hcoord){0, p}, v, 8), 2);
        }

    /* Step 5: the N13-N12 link disappears (both ends call arc_remove). */
    sim_clear_signals(s);
    sim_link_down(s, l13_12);
    sim_run_quiescent(s, 0);
    assert_int_equal(sim_signal_count(s, N13, SIMSIG_PATH_REMOVED), 3);
    /* N13's wave: N2 removes [(0,13),(0,12)] and [(0,13),(0,12),(0,3)];
     * N3 removes [(0,2),(0,13),(0,12)]. The symmetric wave from N12's side
     * (mentioned, not detailed, in §5.1) removes the paths through 12->13
     * seen the other way: N2 [(0,3),(0,12),(0,13)], N3 [(0,12),(0,13)] and
     * [(0,12),(0,13),(0,2)]. */
    assert_true(has_removed(s, N2, (exp_path){2, {{0, 13}, {0, 12}}, 1885}));
    assert_true(has_removed(s, N2, (exp_path){3, {{0, 13}, {0, 12}, {0, 3}}, 2707}));
    assert_true(has_removed(s, N2, (exp_path){3, {{0, 3}, {0, 12}, {0, 13}}, 3876}));
    assert_int_equal(sim_signal_count(s, N2, SIMSIG_PATH_REMOVED), 3);
    assert_true(has_removed(s, N3, (exp_path){3, {{0, 2}, {0, 13}, {0, 12}}, 3485}));
    assert_true(has_removed(s, N3, (exp_path){2, {{0, 12}, {0, 13}}, 2786}));
    assert_true(has_removed(s, N3, (exp_path){3, {{0, 12}, {0, 13}, {0, 2}}, 3450}));
    assert_int_equal(sim_signal_count(s, N3, SIMSIG_PATH_REMOVED), 3);
    assert_int_equal(sim_signal_count(s, N13, SIMSIG_DEST_REMOVED), 0);
    one = (exp_path){3, {{0, 3}, {0, 2}, {0, 13}}, 3660}; check_paths(s, N12, "N12", 0, 13, &one, 1);
    one = (exp_path){1, {{0, 3}}, 822}; check_paths(s, N12, "N12", 0, 3, &one, 1);
    one = (exp_path){2, {{0, 3}, {0, 2}}, 2422}; check_paths(s, N12, "N12", 0, 2, &one, 1);
    one = (exp_path){3, {{0, 2}, {0, 3}, {0, 12}}, 3114}; check_paths(s, N13, "N13", 0, 12, &one, 1);
    one = (exp_path){2, {{0, 2}, {0, 3}}, 1754}; check_paths(s, N13, "N13", 0, 3, &one, 1);
    one = (exp_path){1, {{0, 2}}, 664}; check_paths(s, N13, "N13", 0, 2, &one, 1);
    one = (exp_path){1, {{0, 12}}, 1360}; check_paths(s, N3, "N3", 0, 12, &one, 1);
    one = (exp_path){2, {{0, 2}, {0, 13}}, 2838}; check_paths(s, N3, "N3", 0, 13, &one, 1);
    one = (exp_path){1, {{0, 2}}, 1600}; check_paths(s, N3, "N3", 0, 2, &one, 1);
    one = (exp_path){2, {{0, 3}, {0, 12}}, 2450}; check_paths(s, N2, "N2", 0, 12, &one, 1);
    one = (exp_path){1, {{0, 13}}, 1238}; check_paths(s, N2, "N2", 0, 13, &one, 1);
    one = (exp_path){1, {{0, 3}}, 1090}; check_paths(s, N2, "N2", 0, 3, &one, 1);
    sim_free(s);
}

/* ---- Example 2: hierarchy and split detection ----------------------------------- */

static void example2(void **state)
{
    (void)state;
    ntk_topology t;
    int g[6] = {2, 2, 2, 2, 2, 16};
    char err[NTK_ERRLEN];
    assert_true(ntk_topology_init(&t, 6, g, err, sizeof err));
    qspn_config cfg = example_config();
    sim *s = sim_new(&t, &cfg, 22);
    sim_record_signals(s, true);
    int pa[] = {12, 1, 0, 0, 1, 0}, pb[] = {12, 1, 1, 0, 0, 0}, pc[] = {3, 1, 1, 0, 0, 0},
        pd[] = {2, 1, 0, 0, 1, 0};
    /* elderships indexed by level (the table lists lvl5..lvl0) */
    uint32_t ea[] = {0, 0, 0, 0, 0, 0}, eb[] = {0, 0, 0, 1, 0, 0}, ec[] = {0, 0, 0, 0, 0, 1},
             ed[] = {0, 0, 0, 0, 0, 2};
    ntk_naddr aa = addr(6, pa), ab = addr(6, pb), ac = addr(6, pc), ad = addr(6, pd);
    int A = sim_define_node(s, &aa, 685, ea);
    int B = sim_define_node(s, &ab, 421, eb);
    int C = sim_define_node(s, &ac, 513, ec);
    int D = sim_define_node(s, &ad, 469, ed);
    int lba = sim_define_link(s, B, A, 647, 1426);
    sim_define_link(s, C, A, 1360, 822);
    sim_define_link(s, D, B, 1238, 664);
    sim_start_create_net(s, A);
    sim_run(s, 10);
    sim_start_enter(s, B, 0, 4);
    sim_run_quiescent(s, 0);
    /* B's intrinsic path to A is to (3,0); fp4..fp6 become 685 */
    check_best(s, B, "B", 3, 0, (exp_path){1, {{3, 0}}, 647});
    for (int l = 4; l <= 6; l++) {
        qspn_fp f;
        assert_int_equal(qspn_get_fingerprint(sim_manager(s, B), l, &f), QSPN_OK);
        assert_true(f.id == 685);
    }
    sim_start_enter(s, C, 0, 6);
    sim_run_quiescent(s, 0);
    /* C sees the whole g-node 12 as one vertex, nodes_inside 2 */
    check_best(s, C, "C", 5, 12, (exp_path){1, {{5, 12}}, 1360});
    sim_start_enter(s, D, 0, 6);
    sim_run_quiescent(s, 0);
    int ldc = sim_define_link(s, D, C, 1090, 1600);
    sim_link_up(s, ldc, 1);
    sim_run_quiescent(s, 0);

    /* State just before the split (§5.2 table). */
    exp_path two[2];
    exp_path one = {1, {{3, 1}}, 1426};
    check_paths(s, A, "A", 3, 1, &one, 1);
    two[0] = (exp_path){2, {{3, 1}, {5, 2}}, 2090};
    two[1] = (exp_path){2, {{5, 3}, {5, 2}}, 2422};
    check_paths(s, A, "A", 5, 2, two, 2);
    two[0] = (exp_path){1, {{5, 3}}, 822};
    two[1] = (exp_path){3, {{3, 1}, {5, 2}, {5, 3}}, 3180};
    check_paths(s, A, "A", 5, 3, two, 2);
    one = (exp_path){1, {{3, 0}}, 647};
    check_paths(s, B, "B", 3, 0, &one, 1);
    two[0] = (exp_path){1, {{5, 2}}, 664};
    two[1] = (exp_path){3, {{3, 0}, {5, 3}, {5, 2}}, 3069};
    check_paths(s, B, "B", 5, 2, two, 2);
    two[0] = (exp_path){2, {{3, 0}, {5, 3}}, 1469};
    two[1] = (exp_path){2, {{5, 2}, {5, 3}}, 1754};
    check_paths(s, B, "B", 5, 3, two, 2);
    two[0] = (exp_path){1, {{5, 12}}, 1360};
    two[1] = (exp_path){2, {{5, 2}, {5, 12}}, 2838};
    check_paths(s, C, "C", 5, 12, two, 2);
    two[0] = (exp_path){1, {{5, 2}}, 1600};
    two[1] = (exp_path){2, {{5, 12}, {5, 2}}, 3450};
    check_paths(s, C, "C", 5, 2, two, 2);
    two[0] = (exp_path){1, {{5, 12}}, 1238};
    two[1] = (exp_path){2, {{5, 3}, {5, 12}}, 2450};
    check_paths(s, D, "D", 5, 12, two, 2);
    two[0] = (exp_path){1, {{5, 3}}, 1090};
    two[1] = (exp_path){2, {{5, 12}, {5, 3}}, 2707};
    check_paths(s, D, "D", 5, 3, two, 2);

    /* The split: link A-B removed. */
    sim_clear_signals(s);
    sim_link_down(s, lba);
    sim_run_quiescent(s, 0);
    /* B: fp4..fp6 = 421 */
    for (int l = 4; l <= 6; l++) {
        qspn_fp f;
        assert_int_equal(qspn_get_fingerprint(sim_manager(s, B), l, &f), QSPN_OK);
        assert_true(f.id == 421);
    }
    assert_true(has_sig_dest(s, B, SIMSIG_DEST_REMOVED, 3, 0));
    /* D emits gnode_splitted(arc D->B, (5,12), 421); C never does. The trace
     * of the pinned code shows it 3 times; we de-duplicate (spec §8.5). */
    const sim_signal *sg;
    int n = sim_signals(s, &sg), d_split = 0, c_split = 0;
    for (int i = 0; i < n; i++) {
        if (sg[i].kind != SIMSIG_SPLIT)
            continue;
        if (sg[i].node == D) {
            d_split++;
            assert_int_equal(sg[i].peer, B);
            assert_int_equal(sg[i].d.lvl, 5);
            assert_int_equal(sg[i].d.pos, 12);
            assert_true(sg[i].fp_id == 421);
        }
        c_split += sg[i].node == C;
    }
    assert_int_equal(d_split, 1);
    assert_int_equal(c_split, 0);
    /* Final tables. */
    one = (exp_path){2, {{5, 3}, {5, 2}}, 2422};
    check_paths(s, A, "A", 5, 2, &one, 1);
    one = (exp_path){1, {{5, 3}}, 822};
    check_paths(s, A, "A", 5, 3, &one, 1);
    one = (exp_path){1, {{5, 2}}, 664};
    check_paths(s, B, "B", 5, 2, &one, 1);
    one = (exp_path){2, {{5, 2}, {5, 3}}, 1754};
    check_paths(s, B, "B", 5, 3, &one, 1);
    /* C: the valid (685) path only; the 421 one is hidden */
    one = (exp_path){1, {{5, 12}}, 1360};
    check_paths(s, C, "C", 5, 12, &one, 1);
    one = (exp_path){1, {{5, 2}}, 1600};
    check_paths(s, C, "C", 5, 2, &one, 1);
    /* D: get_paths_to((5,12)) returns only [(5,3),(5,12)] (fp 685) */
    one = (exp_path){2, {{5, 3}, {5, 12}}, 2450};
    check_paths(s, D, "D", 5, 12, &one, 1);
    one = (exp_path){1, {{5, 3}}, 1090};
    check_paths(s, D, "D", 5, 3, &one, 1);
    qspn_path_view v[4];
    assert_true(qspn_get_paths_to(sim_manager(s, D), (ntk_hcoord){5, 12}, v, 4) == 1);
    assert_true(v[0].fp->id == 685);
    sim_free(s);
}

/* ---- Example 3: ignore_outside and the exit arc --------------------------------- */

static void example3(void **state)
{
    (void)state;
    ntk_topology t;
    int g[2] = {4, 4};
    char err[NTK_ERRLEN];
    assert_true(ntk_topology_init(&t, 2, g, err, sizeof err));
    qspn_config cfg = example_config();
    sim *s = sim_new(&t, &cfg, 33);
    int px[] = {1, 0}, py[] = {1, 1}, pz[] = {1, 2}, pw[] = {2, 0}, pv[] = {3, 0};
    ntk_naddr ax = addr(2, px), ay = addr(2, py), az = addr(2, pz), aw = addr(2, pw), av = addr(2, pv);
    int X = sim_define_node(s, &ax, 0, NULL);
    int Y = sim_define_node(s, &ay, 0, NULL);
    int Z = sim_define_node(s, &az, 0, NULL);
    int W = sim_define_node(s, &aw, 0, NULL);
    int V = sim_define_node(s, &av, 0, NULL);
    sim_define_link(s, X, Y, 100, 100);
    sim_define_link(s, Y, Z, 100, 100);
    sim_define_link(s, X, Z, 300, 300);
    sim_define_link(s, Z, W, 100, 100);
    sim_define_link(s, X, V, 100, 100);
    /* The links come up in the order listed in §5.3, each wave settling
     * before the next: V then learns X's best path to the exit arc directly
     * (with the ±30 % hysteresis an earlier, dearer version would stick). */
    for (int i = 0; i < 5; i++)
        sim_start_create_net(s, i);
    for (int li = 0; li < sim_link_count(s); li++) {
        sim_link_up(s, li, 1);
        sim_run_quiescent(s, 0);
    }
    exp_path two[2];
    two[0] = (exp_path){3, {{0, 1}, {0, 2}, {1, 2}}, 300};
    two[1] = (exp_path){2, {{0, 2}, {1, 2}}, 400};
    check_paths(s, X, "X", 1, 2, two, 2);
    /* V sees only p1, grouped: [(1,1),(1,2)] total 400 */
    exp_path one = {2, {{1, 1}, {1, 2}}, 400};
    check_paths(s, V, "V", 1, 2, &one, 1);
    uint32_t nn;
    assert_int_equal(qspn_get_nodes_inside(sim_manager(s, V), 0, &nn), QSPN_OK);
    assert_int_equal(nn, 1);
    assert_int_equal(qspn_get_nodes_inside(sim_manager(s, V), 1, &nn), QSPN_OK);
    assert_int_equal(nn, 1);
    assert_int_equal(qspn_get_nodes_inside(sim_manager(s, V), 2, &nn), QSPN_OK);
    assert_int_equal(nn, 5);
    sim_free(s);
}

static int pinned_rule(void **state)
{
    (void)state;
    use_pinned_ignore_rule = true;
    return 0;
}

static int default_rule(void **state)
{
    (void)state;
    use_pinned_ignore_rule = false;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(example1, default_rule),
        cmocka_unit_test_setup(example2, default_rule),
        cmocka_unit_test_setup(example3, default_rule),
        cmocka_unit_test_setup(example1, pinned_rule),
        cmocka_unit_test_setup(example2, pinned_rule),
        cmocka_unit_test_setup(example3, pinned_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
