/* test_lifecycle.c - identities that enter another network as a g-node,
 * connectivity identities (virtual positions), check_connectivity,
 * prepare_destroy de-duplication and destroy (spec §4.3, §4.4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sim.h"

static sim *new_sim(const char *topo_text, uint64_t seed)
{
    ntk_topology t;
    char err[NTK_ERRLEN];
    assert_true(ntk_topology_parse(topo_text, &t, err, sizeof err));
    qspn_config cfg;
    qspn_config_default(&cfg);
    cfg.arc_timeout_ms = 300;
    cfg.refresh_ms = 0;
    cfg.cost_hysteresis = 0;
    sim *s = sim_new(&t, &cfg, seed);
    sim_record_signals(s, true);
    return s;
}

static ntk_naddr a2(int hi, int lo)
{
    ntk_naddr a;
    a.levels = 2;
    a.pos[1] = hi;
    a.pos[0] = lo;
    return a;
}

static uint32_t best_cost(sim *s, int node, int lvl, int pos)
{
    qspn_path_view v;
    if (!qspn_best_path_avoiding(sim_manager(s, node), (ntk_hcoord){lvl, pos}, NULL, &v))
        return 0;
    return v.cost;
}

/* A level-1 g-node {P, Q} enters another network {R, S} (enter_net, k = 1). */
static void gnode_enters_another_network(void **state)
{
    (void)state;
    sim *s = new_sim("4.4", 5);
    ntk_naddr ap = a2(2, 0), aq = a2(2, 1), ar = a2(0, 0), as = a2(0, 1);
    int P = sim_define_node(s, &ap, 1001, NULL);
    int Q = sim_define_node(s, &aq, 1002, NULL);
    int R = sim_define_node(s, &ar, 2001, NULL);
    int S = sim_define_node(s, &as, 2002, NULL);
    int lpq = sim_define_link(s, P, Q, 100, 100);
    sim_define_link(s, R, S, 100, 110);
    sim_start_all(s);
    assert_true(sim_converge(s, false));
    assert_int_equal(best_cost(s, P, 0, 1), 100);

    /* new identities in g-node 1 of the other network; same fingerprint ids */
    ntk_naddr ap2 = a2(1, 0), aq2 = a2(1, 1);
    int P2 = sim_define_node(s, &ap2, 1001, NULL);
    int Q2 = sim_define_node(s, &aq2, 1002, NULL);
    int lpq2 = sim_define_link(s, P2, Q2, 100, 100);
    int lqr = sim_define_link(s, Q2, R, 1000, 1000);
    int prev_q[1] = {lpq}, in_q[1] = {lpq2}, ext_q[1] = {lqr};
    sim_start_migrate(s, Q2, Q, 1, 2, in_q, prev_q, 1, ext_q, 1, false);
    sim_start_migrate(s, P2, P, 1, 2, in_q, prev_q, 1, NULL, 0, false);
    /* the internal destination is usable at once (copied from P) */
    qspn_path_view v[4];
    assert_int_equal(qspn_get_paths_to(sim_manager(s, P2), (ntk_hcoord){0, 1}, v, 4), 1);
    assert_int_equal(v[0].cost, 100);
    assert_false(qspn_is_bootstrap_complete(sim_manager(s, P2)));
    ntk_hcoord d[8];
    assert_int_equal(qspn_get_known_destinations(sim_manager(s, P2), 1, d, 8), -1);
    /* the internal arc id is inherited from the previous identity */
    assert_int_equal(qspn_arc_id(sim_manager(s, P2), sim_arc_handle(s, lpq2, P2)),
                     qspn_arc_id(sim_manager(s, P), sim_arc_handle(s, lpq, P)));
    /* the old identities are dismissed */
    qspn_destroy(sim_manager(s, P));
    qspn_destroy(sim_manager(s, Q));
    sim_crash(s, P);
    sim_crash(s, Q);
    assert_true(sim_converge(s, true));
    assert_true(qspn_is_bootstrap_complete(sim_manager(s, P2)));
    assert_true(qspn_is_bootstrap_complete(sim_manager(s, Q2)));
    assert_int_equal(best_cost(s, P2, 1, 0), 1100); /* P2 -> Q2 -> R */
    assert_int_equal(best_cost(s, R, 1, 1), 1000);
    assert_int_equal(best_cost(s, S, 1, 1), 1110);
    assert_int_equal(sim_signal_count(s, P2, SIMSIG_BOOTSTRAP_COMPLETE), 1);
    assert_int_equal(sim_signal_count(s, P2, SIMSIG_PRESENCE), 1);
    /* the network fingerprint is the eldest top-level g-node's: both sides agree */
    qspn_fp f1, f2;
    assert_int_equal(qspn_get_fingerprint(sim_manager(s, P2), 2, &f1), QSPN_OK);
    assert_int_equal(qspn_get_fingerprint(sim_manager(s, S), 2, &f2), QSPN_OK);
    assert_true(f1.id == f2.id);
    oracle_result r;
    oracle_check(s, true, NULL, false, &r);
    assert_int_equal(r.mismatches, 0);
    assert_int_equal(r.avoid_mismatches, 0);
    sim_free(s);
}

/* B becomes a connectivity identity with a virtual position; then destroy. */
static void connectivity_identity_and_destroy(void **state)
{
    (void)state;
    sim *s = new_sim("4.4", 6);
    ntk_naddr aa = a2(1, 0), ab = a2(1, 1), ac = a2(1, 2);
    int A = sim_define_node(s, &aa, 0, NULL);
    int B = sim_define_node(s, &ab, 0, NULL);
    int C = sim_define_node(s, &ac, 0, NULL);
    sim_define_link(s, A, B, 100, 100);
    sim_define_link(s, B, C, 100, 100);
    sim_start_all(s);
    assert_true(sim_converge(s, false));
    assert_int_equal(best_cost(s, A, 0, 2), 200);

    ntk_naddr virt = a2(1, 4); /* 4 >= gsize(0): virtual */
    qspn_fp fp0;
    assert_int_equal(qspn_get_fingerprint(sim_manager(s, B), 0, &fp0), QSPN_OK);
    fp0.eld[0] = QSPN_NULL_ELDERSHIP;
    int from = -1, to = -1;
    qspn_connectivity_levels(sim_manager(s, B), &from, &to);
    assert_true(from == 0 && to == 0);                   /* a main identity */
    assert_true(qspn_make_connectivity(sim_manager(s, B), 1, 1, &virt, NULL, NULL, &fp0));
    qspn_connectivity_levels(sim_manager(s, B), &from, &to);
    assert_true(from == 1 && to == 1);
    assert_true(sim_converge(s, false));
    /* neighbours withdrew (0,1) and learnt the virtual (0,4) */
    assert_int_equal(best_cost(s, A, 0, 1), 0);
    assert_int_equal(best_cost(s, A, 0, 4), 100);
    assert_int_equal(best_cost(s, C, 0, 4), 100);
    assert_int_equal(best_cost(s, A, 0, 2), 200);
    qspn_path_view v;
    assert_true(qspn_best_path_avoiding(sim_manager(s, A), (ntk_hcoord){0, 2}, NULL, &v));
    assert_int_equal(v.hops[0].pos, 4);
    /* a connectivity identity counts 0 nodes (spec §8.9 fix) */
    uint32_t nn;
    assert_int_equal(qspn_get_nodes_inside(sim_manager(s, A), 1, &nn), QSPN_OK);
    assert_int_equal(nn, 2);
    /* B is still needed: A and C only meet through it */
    assert_false(qspn_check_connectivity(sim_manager(s, B)));
    int lac = sim_define_link(s, A, C, 300, 300);
    sim_link_up(s, lac, 0);
    assert_true(sim_converge(s, false));
    assert_true(qspn_check_connectivity(sim_manager(s, B)));
    /* destroy: the neighbours drop their arcs to B and every path through it */
    sim_clear_signals(s);
    qspn_destroy(sim_manager(s, B));
    assert_true(sim_converge(s, false));
    assert_int_equal(sim_signal_count(s, A, SIMSIG_ARC_REMOVED), 1);
    assert_int_equal(sim_signal_count(s, C, SIMSIG_ARC_REMOVED), 1);
    assert_int_equal(best_cost(s, A, 0, 4), 0);
    assert_int_equal(best_cost(s, A, 0, 2), 300);
    sim_free(s);
}

/* prepare_destroy is forwarded once per wave (spec §8.4), not ping-ponged. */
static void prepare_destroy_is_deduplicated(void **state)
{
    (void)state;
    sim *s = new_sim("4.4", 7);
    ntk_naddr ax = a2(1, 0), ay = a2(1, 1), az = a2(1, 2);
    int X = sim_define_node(s, &ax, 0, NULL);
    int Y = sim_define_node(s, &ay, 0, NULL);
    int Z = sim_define_node(s, &az, 0, NULL);
    sim_define_link(s, X, Y, 100, 100);
    sim_define_link(s, Y, Z, 100, 100);
    sim_define_link(s, Z, X, 100, 100);
    sim_start_all(s);
    assert_true(sim_converge(s, false));
    /* the whole level-1 g-node migrated: all three become connectivity at level 2 */
    for (int n = 0; n < 3; n++) {
        ntk_naddr a = *sim_naddr(s, n);
        a.pos[1] = 5; /* virtual at level 1 */
        qspn_fp fp0;
        assert_int_equal(qspn_get_fingerprint(sim_manager(s, n), 0, &fp0), QSPN_OK);
        assert_true(qspn_make_connectivity(sim_manager(s, n), 2, 2, &a, NULL, NULL, &fp0));
    }
    assert_true(sim_converge(s, false));
    sim_clear_signals(s);
    uint64_t frames0 = sim_counts(s)->frames;
    qspn_prepare_destroy(sim_manager(s, X));
    assert_true(sim_converge(s, false));
    /* X sends 2, Y and Z forward the wave once each (2 each): 6 frames */
    assert_int_equal(sim_counts(s)->frames - frames0, 6);
    assert_int_equal(sim_signal_count(s, Y, SIMSIG_REMOVE_IDENTITY), 1);
    assert_int_equal(sim_signal_count(s, Z, SIMSIG_REMOVE_IDENTITY), 1);
    /* X started the wave: its user dismisses it, no signal for X */
    assert_int_equal(sim_signal_count(s, X, SIMSIG_REMOVE_IDENTITY), 0);
    sim_free(s);
}

/* A single node D migrates from g-node 1 into g-node 0 (migration, k = 0,
 * hl = 1) with a temporary virtual position that later becomes real; the old
 * identity stays as connectivity, drops its outer arcs and is dismissed. */
static void migration_with_virtual_then_real_position(void **state)
{
    (void)state;
    sim *s = new_sim("4.4", 8);
    ntk_naddr aa = a2(0, 0), ab = a2(0, 1), ac = a2(1, 0), ad = a2(1, 1);
    int A = sim_define_node(s, &aa, 0, NULL);
    int B = sim_define_node(s, &ab, 0, NULL);
    int C = sim_define_node(s, &ac, 0, NULL);
    int D = sim_define_node(s, &ad, 0, NULL);
    sim_define_link(s, A, B, 100, 100);
    sim_define_link(s, B, C, 1000, 1000);
    sim_define_link(s, C, D, 100, 100);
    int ldb = sim_define_link(s, D, B, 1000, 1000);
    sim_start_all(s);
    assert_true(sim_converge(s, false));

    /* the new identity D2, virtual at level 0 inside g-node 0 */
    ntk_naddr virt = a2(0, 4);
    int D2 = sim_define_node(s, &virt, 0, NULL);
    int l2c = sim_define_link(s, D2, C, 100, 100);
    int l2b = sim_define_link(s, D2, B, 1000, 1000);
    int ext[2] = {l2c, l2b};
    sim_start_migrate(s, D2, D, 0, 1, NULL, NULL, 0, ext, 2, true);
    /* the old identity becomes connectivity at level 1 with a virtual position */
    ntk_naddr dvirt = a2(1, 4);
    qspn_fp fp0;
    assert_int_equal(qspn_get_fingerprint(sim_manager(s, D), 0, &fp0), QSPN_OK);
    fp0.eld[0] = QSPN_NULL_ELDERSHIP;
    assert_true(qspn_make_connectivity(sim_manager(s, D), 1, 1, &dvirt, NULL, NULL, &fp0));
    sim_set_naddr(s, D, &dvirt);
    assert_true(sim_converge(s, false));
    assert_true(qspn_is_bootstrap_complete(sim_manager(s, D2)));
    assert_int_equal(sim_signal_count(s, D2, SIMSIG_PRESENCE), 1);
    assert_int_equal(best_cost(s, A, 0, 4), 1100); /* A -> B -> D2 */
    assert_int_equal(best_cost(s, B, 0, 4), 1000);

    /* the virtual position becomes real: neighbours rename (0,4) to (0,2) */
    ntk_naddr real = a2(0, 2);
    assert_int_equal(qspn_get_fingerprint(sim_manager(s, D2), 0, &fp0), QSPN_OK);
    assert_true(qspn_make_real(sim_manager(s, D2), &real, NULL, NULL, &fp0));
    sim_set_naddr(s, D2, &real);
    assert_true(sim_converge(s, false));
    assert_int_equal(best_cost(s, B, 0, 4), 0);
    assert_int_equal(best_cost(s, B, 0, 2), 1000);
    assert_int_equal(best_cost(s, A, 0, 2), 1100);

    /* the old identity leaves: outer arcs first (B is outside its level-1 g-node) */
    sim_clear_signals(s);
    qspn_remove_outer_arcs(sim_manager(s, D));
    assert_int_equal(sim_signal_count(s, D, SIMSIG_ARC_REMOVED), 1);
    sim_link_down(s, ldb);
    assert_true(sim_converge(s, false));
    assert_true(qspn_check_connectivity(sim_manager(s, D)));
    qspn_destroy(sim_manager(s, D));
    assert_true(sim_converge(s, false));
    assert_int_equal(sim_signal_count(s, C, SIMSIG_ARC_REMOVED), 1);
    sim_crash(s, D);
    assert_true(sim_converge(s, true));
    oracle_result r;
    oracle_check(s, true, NULL, false, &r);
    assert_int_equal(r.mismatches, 0);
    assert_int_equal(r.avoid_mismatches, 0);
    assert_int_equal(best_cost(s, C, 1, 0), 100); /* C reaches g-node 0 through D2 */
    sim_free(s);
}

/* exit_network(1): B keeps only its level-0 destinations and the arcs inside
 * its level-1 g-node. */
static void exit_network_drops_outer_levels(void **state)
{
    (void)state;
    sim *s = new_sim("4.4", 9);
    ntk_naddr aa = a2(0, 0), ab = a2(0, 1), ac = a2(1, 0);
    int A = sim_define_node(s, &aa, 0, NULL);
    int B = sim_define_node(s, &ab, 0, NULL);
    int C = sim_define_node(s, &ac, 0, NULL);
    sim_define_link(s, A, B, 100, 100);
    int lbc = sim_define_link(s, B, C, 100, 100);
    sim_start_all(s);
    assert_true(sim_converge(s, false));
    assert_int_equal(best_cost(s, B, 1, 1), 100);
    sim_clear_signals(s);
    qspn_exit_network(sim_manager(s, B), 1);
    assert_int_equal(sim_signal_count(s, B, SIMSIG_ARC_REMOVED), 1);
    const sim_signal *sg;
    int n = sim_signals(s, &sg), removed_11 = 0;
    for (int i = 0; i < n; i++)
        removed_11 += sg[i].node == B && sg[i].kind == SIMSIG_DEST_REMOVED && sg[i].d.lvl == 1 &&
                      sg[i].d.pos == 1;
    assert_int_equal(removed_11, 1);
    ntk_hcoord d[4];
    assert_int_equal(qspn_get_known_destinations(sim_manager(s, B), 1, d, 4), 0);
    assert_int_equal(best_cost(s, B, 0, 0), 100);
    sim_link_down(s, lbc); /* C's side notices the identity-arc is gone */
    assert_true(sim_converge(s, true));
    assert_int_equal(best_cost(s, A, 1, 1), 0);
    assert_int_equal(best_cost(s, A, 0, 1), 100);
    sim_free(s);
}

static void stub_send(void *u, qspn_manager *m, void *arc, const uint8_t *f, size_t len)
{
    (void)u, (void)m, (void)arc, (void)f, (void)len;
}
static void stub_timer(void *u, qspn_manager *m, uint64_t id, uint32_t ms)
{
    (void)u, (void)m, (void)id, (void)ms;
}
static uint32_t stub_random(void *u)
{
    (void)u;
    return 7;
}

/* remove_outer_arcs on an arc whose peer never sent an ETP: HEAD removes it,
 * the pinned code keeps it (spec §4.3; the documents' S08i keeps it). */
static size_t arcs_left_after_remove_outer(bool keep_unknown)
{
    ntk_topology t;
    char err[NTK_ERRLEN];
    assert_true(ntk_topology_parse("4.4", &t, err, sizeof err));
    qspn_config cfg;
    qspn_config_default(&cfg);
    cfg.pinned_keep_unknown_outer = keep_unknown;
    qspn_env env = {.send = stub_send, .send_request = stub_send, .set_timer = stub_timer,
                    .random32 = stub_random};
    ntk_naddr me = a2(0, 1), virt = a2(1, 4);
    qspn_fp fp;
    qspn_fp_make_node(&fp, 99, 2, (uint32_t[]){0, 0});
    qspn_manager *m = qspn_create_net(&cfg, &env, &t, &me, &fp);
    assert_non_null(m);
    int arc = 0;
    assert_true(qspn_arc_add(m, &arc, 100));
    assert_true(qspn_make_connectivity(m, 1, 1, &virt, NULL, NULL, &fp));
    qspn_remove_outer_arcs(m);
    void *left[4];
    int n = qspn_current_arcs(m, left, 4);
    qspn_destroy_manager(m);
    return (size_t)n;
}

static void remove_outer_arcs_and_unknown_peers(void **state)
{
    (void)state;
    assert_int_equal(arcs_left_after_remove_outer(false), 0);
    assert_int_equal(arcs_left_after_remove_outer(true), 1);
}

/* The event callback and the deprecated per-signal callbacks carry the same
 * signals: with on_event set only it is called; without it, env.sig is. */
static uint64_t armed_timer;
static int legacy_boot, event_boot, legacy_fp, event_fp;

static void arm(void *u, qspn_manager *m, uint64_t id, uint32_t delay)
{
    (void)u;
    (void)m;
    (void)delay;
    armed_timer = id;
}

static void on_boot(void *u, qspn_manager *m)
{
    (void)u;
    (void)m;
    legacy_boot++;
}

static void on_fp(void *u, qspn_manager *m, int level)
{
    (void)u;
    (void)m;
    (void)level;
    legacy_fp++;
}

static void on_event(void *u, qspn_manager *m, const qspn_event *ev)
{
    (void)u;
    (void)m;
    event_boot += ev->kind == QSPN_EV_BOOTSTRAP_COMPLETE;
    event_fp += ev->kind == QSPN_EV_CHANGED_FP;
}

static void event_callback_and_legacy_callbacks(void **state)
{
    (void)state;
    ntk_topology t;
    char err[NTK_ERRLEN];
    assert_true(ntk_topology_parse("4.4", &t, err, sizeof err));
    ntk_naddr me = a2(1, 2);
    qspn_fp fp0;
    uint32_t eld[2] = {0, 0};
    qspn_fp_make_node(&fp0, 42, 2, eld);
    for (int with_event = 0; with_event < 2; with_event++) {
        qspn_env env;
        memset(&env, 0, sizeof env);
        env.set_timer = arm;
        env.sig.bootstrap_complete = on_boot;
        env.sig.changed_fp = on_fp;
        env.on_event = with_event ? on_event : NULL;
        legacy_boot = event_boot = 0;
        qspn_manager *m = qspn_create_net(NULL, &env, &t, &me, &fp0);
        assert_non_null(m);
        qspn_on_timer(m, armed_timer);
        assert_int_equal(legacy_boot, with_event ? 0 : 1);
        assert_int_equal(event_boot, with_event ? 1 : 0);
        qspn_destroy_manager(m);
    }
    (void)legacy_fp;
    (void)event_fp;
}

/* An entering identity whose host g-node does not exist yet stays in
 * bootstrap (give-up 0) until the user sets a give-up delay (spec §8.8;
 * UseCases12: epsilon1 waits for its second phase). */
static void bootstrap_waits_without_giveup(void **state)
{
    (void)state;
    ntk_topology t;
    char err[NTK_ERRLEN];
    assert_true(ntk_topology_parse("4.4", &t, err, sizeof err));
    qspn_config cfg;
    qspn_config_default(&cfg);
    cfg.bootstrap_giveup_ms = 0;
    qspn_env env;
    memset(&env, 0, sizeof env);
    env.set_timer = arm;
    env.send = stub_send;
    env.send_request = stub_send;
    env.random32 = stub_random;
    env.on_event = on_event;
    ntk_naddr me = a2(1, 2);
    qspn_fp fp0;
    qspn_fp_make_node(&fp0, 43, 2, (uint32_t[]){0, 0});
    qspn_enter_args a = {.my_naddr = &me, .my_fp0 = &fp0, .guest_level = 0, .host_level = 1};
    armed_timer = 0;
    event_boot = 0;
    qspn_manager *m = qspn_enter_net(&cfg, &env, &t, &a);
    assert_non_null(m);
    assert_int_equal(armed_timer, 0);            /* no give-up armed */
    assert_false(qspn_is_bootstrap_complete(m));
    qspn_set_bootstrap_giveup(m, 10000);
    assert_int_not_equal(armed_timer, 0);
    qspn_on_timer(m, armed_timer);
    assert_true(qspn_is_bootstrap_complete(m));
    assert_int_equal(event_boot, 1);
    qspn_destroy_manager(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gnode_enters_another_network),
        cmocka_unit_test(connectivity_identity_and_destroy),
        cmocka_unit_test(prepare_destroy_is_deduplicated),
        cmocka_unit_test(migration_with_virtual_then_real_position),
        cmocka_unit_test(exit_network_drops_outer_levels),
        cmocka_unit_test(remove_outer_arcs_and_unknown_peers),
        cmocka_unit_test(event_callback_and_legacy_callbacks),
        cmocka_unit_test(bootstrap_waits_without_giveup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
