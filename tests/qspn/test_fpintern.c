/* test_fpintern.c - interned fingerprints (qspn/core/fpintern.c): one
 * refcounted copy per distinct fingerprint, equality on every field, release
 * with the last reference; and in simulated networks, one reference per
 * stored path, released when the paths go (ASan checks for leaks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "manager_internal.h"
#include "sim.h"

static qspn_fp make_fp(uint64_t id, int level, uint32_t eld0, uint32_t seed0)
{
    qspn_fp f;
    memset(&f, 0, sizeof f);
    f.id = id;
    f.level = level;
    f.eld[0] = eld0;
    f.seed[0] = seed0;
    return f;
}

static void same_content_same_copy(void **state)
{
    (void)state;
    qspn_fp_table t = {0};
    qspn_fp a = make_fp(7, 1, 3, 4), b = a;
    const qspn_fp *pa = qspn_fp_intern(&t, &a);
    const qspn_fp *pb = qspn_fp_intern(&t, &b);
    assert_ptr_equal(pa, pb);
    assert_int_equal(qspn_fp_refs(pa), 2);
    assert_int_equal(t.n, 1);
    assert_true(qspn_fp_same(pa, &a));
    assert_int_equal(pa->id, 7);
    assert_int_equal(pa->eld[0], 3);
    /* the copy is the table's: changing the argument does not change it */
    a.eld[0] = 99;
    assert_int_equal(pa->eld[0], 3);
    assert_ptr_equal(qspn_fp_ref(pa), pa);
    assert_int_equal(qspn_fp_refs(pa), 3);
    qspn_fp_release(&t, pa);
    qspn_fp_release(&t, pa);
    assert_int_equal(t.n, 1);
    assert_int_equal(qspn_fp_refs(pb), 1);
    qspn_fp_release(&t, pb);
    assert_int_equal(t.n, 0);
    qspn_fp_table_free(&t);
}

/* qspn_fp_equals compares ids; interning distinguishes every field. */
static void every_field_counts(void **state)
{
    (void)state;
    qspn_fp_table t = {0};
    qspn_fp v[5] = {make_fp(7, 1, 3, 4), make_fp(7, 2, 3, 4), make_fp(7, 1, 5, 4),
                    make_fp(7, 1, 3, 6), make_fp(8, 1, 3, 4)};
    v[2].eld[15] = 1; /* the last of the 16 slots counts too */
    const qspn_fp *p[5];
    for (int i = 0; i < 5; i++)
        p[i] = qspn_fp_intern(&t, &v[i]);
    assert_int_equal(t.n, 5);
    for (int i = 0; i < 5; i++)
        for (int k = 0; k < 5; k++)
            assert_true((p[i] == p[k]) == (i == k));
    assert_true(qspn_fp_equals(p[0], p[1]));
    assert_false(qspn_fp_same(p[0], p[1]));
    assert_int_equal(qspn_fp_table_bytes(&t), 16 * sizeof(void *) + 5 * sizeof(qspn_fp_entry));
    for (int i = 0; i < 5; i++)
        qspn_fp_release(&t, p[i]);
    assert_int_equal(t.n, 0);
    qspn_fp_table_free(&t);
}

/* Many entries, many with the same id (same probe chain), released in a
 * scrambled order: the others stay findable after every deletion. */
static void growth_and_deletion(void **state)
{
    (void)state;
    enum { N = 600 };
    qspn_fp_table t = {0};
    static const qspn_fp *p[N];
    static qspn_fp v[N];
    for (int i = 0; i < N; i++) {
        v[i] = make_fp((uint64_t)(i % 40), 1, (uint32_t)i, 0);
        p[i] = qspn_fp_intern(&t, &v[i]);
    }
    assert_int_equal(t.n, N);
    assert_true(t.cap >= 2 * N);
    uint64_t rng = 12345;
    int order[N];
    for (int i = 0; i < N; i++)
        order[i] = i;
    for (int i = N - 1; i > 0; i--) {
        int j = (int)(sim_rng_next(&rng) % (uint64_t)(i + 1));
        int x = order[i];
        order[i] = order[j];
        order[j] = x;
    }
    for (int k = 0; k < N; k++) {
        qspn_fp_release(&t, p[order[k]]);
        if (k % 50 == 0)
            for (int r = k + 1; r < N; r++) {
                int i = order[r];
                assert_ptr_equal(qspn_fp_intern(&t, &v[i]), p[i]);
                qspn_fp_release(&t, p[i]);
            }
    }
    assert_int_equal(t.n, 0);
    qspn_fp_table_free(&t);
}

/* Every interned fingerprint of m is referenced by exactly the stored paths
 * that carry it (nothing is in flight after convergence). */
static void check_manager(qspn_manager *m)
{
    int paths = 0;
    uint64_t refs = 0;
    for (int lvl = 0; lvl < 2 * m->levels; lvl++) {
        const level_map *lm = lvl < m->levels ? &m->map[lvl] : &m->spare[lvl - m->levels];
        for (int k = 0; k < lm->n; k++)
            for (int q = 0; q < lm->d[k].n; q++) {
                const qspn_fp *fp = lm->d[k].paths[q].p.fp;
                /* the path's pointer is the table's copy of its content */
                qspn_fp c = *fp;
                assert_ptr_equal(qspn_fp_intern(&m->fpt, &c), fp);
                qspn_fp_release(&m->fpt, fp);
                paths++;
            }
    }
    for (int i = 0; i < m->fpt.cap; i++)
        if (m->fpt.slot[i]) {
            assert_true(m->fpt.slot[i]->refs > 0);
            refs += m->fpt.slot[i]->refs;
        }
    assert_int_equal(refs, paths);
    assert_true(m->fpt.n <= paths);
}

static void check_all(sim *s)
{
    for (int i = 0; i < sim_node_count(s); i++)
        if (sim_alive(s, i))
            check_manager(sim_manager(s, i));
}

static void one_reference_per_stored_path(void **state)
{
    (void)state;
    ntk_topology t;
    char err[NTK_ERRLEN];
    assert_true(ntk_topology_parse("4.4.4", &t, err, sizeof err));
    qspn_config cfg;
    qspn_config_default(&cfg);
    cfg.arc_timeout_ms = 300;
    cfg.refresh_ms = 0; /* no periodic timer: the simulation becomes quiescent */
    cfg.cost_hysteresis = 0;
    sim *s = sim_new(&t, &cfg, 3);
    assert_true(sim_build_shape(s, SHAPE_GRID, 36, 3));
    sim_start_all(s);
    assert_true(sim_converge(s, false));
    check_all(s);
    /* a path through the crashed node or the removed link is released */
    uint64_t rng = 3;
    int link = sim_pick_safe_link(s, &rng);
    assert_true(link >= 0);
    sim_link_down(s, link);
    int node = sim_pick_safe_crash(s, &rng);
    assert_true(node >= 0);
    sim_crash(s, node);
    assert_true(sim_converge(s, false));
    check_all(s);
    int lc = sim_pick_safe_link(s, &rng);
    assert_true(lc >= 0);
    int a, b;
    bool up;
    sim_link_ends(s, lc, &a, &b, &up);
    sim_link_cost(s, lc, sim_link_cost_from(s, lc, a) * 3, sim_link_cost_from(s, lc, b) * 3);
    assert_true(sim_converge(s, false));
    check_all(s);
    oracle_result r;
    oracle_check(s, true, NULL, false, &r);
    assert_int_equal(r.mismatches, 0);
    sim_free(s); /* every manager destroyed: ASan reports any entry left */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_content_same_copy),
        cmocka_unit_test(every_field_counts),
        cmocka_unit_test(growth_and_deletion),
        cmocka_unit_test(one_reference_per_stored_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
