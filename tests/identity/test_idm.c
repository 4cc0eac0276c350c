/* test_idm.c - identities bookkeeping, replaying the documented storyline:
 * identity-arc indices (behaviour.md §6.1: delta0's arcs #0 to mu0, #1 to mu1,
 * #2 to gamma, hence `[2]` in delta's prepare_enter_net_phase_1), and the
 * g-node duplication of identities-neighborhood.md §4.7 (entr03: delta and mu
 * migrate together, gamma does not). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "idm.h"

#define LL(a, b) ((169u << 24) | (254u << 16) | ((a) << 8) | (b))

typedef struct {
    GString *log;
} sink;

static void on_added(void *u, idm_idarc *w, idm_idarc *prev)
{
    g_string_append_printf(((sink *)u)->log, "added #%d of %d%s;", w->index, w->owner->index,
                           prev ? " (copy)" : "");
}

static void on_changed(void *u, idm_idarc *w, const nmsg_mac *old_mac, uint32_t old_ll, bool only)
{
    (void)old_mac;
    (void)old_ll;
    g_string_append_printf(((sink *)u)->log, "changed #%d of %d%s;", w->index, w->owner->index,
                           only ? " only-neighbour" : "");
}

static void on_removing(void *u, idm_idarc *w)
{
    g_string_append_printf(((sink *)u)->log, "removing #%d of %d;", w->index, w->owner->index);
}

static void on_removed(void *u, idm_idarc *w)
{
    g_string_append_printf(((sink *)u)->log, "removed #%d of %d;", w->index, w->owner->index);
}

static const idm_signals sigs = { on_added, on_changed, on_removing, on_removed };

static nmsg_mac mac(const char *s)
{
    nmsg_mac m;
    assert_true(nmsg_mac_parse(s, &m));
    return m;
}

static idm_nic nic(const char *dev, const char *m, uint32_t ll)
{
    idm_nic n;
    memset(&n, 0, sizeof n);
    g_strlcpy(n.dev, dev, sizeof n.dev);
    n.mac = mac(m);
    n.ll = ll;
    return n;
}

static char *take(sink *s)
{
    char *x = g_strdup(s->log->str);
    g_string_truncate(s->log, 0);
    return x;
}

#define ASSERT_LOG(s, want)                                                                        \
    do {                                                                                           \
        char *got_ = take(s);                                                                      \
        assert_string_equal(got_, want);                                                           \
        g_free(got_);                                                                              \
    } while (0)

/* delta's view of S03 and S04a. */
static void delta_arc_indices(void **state)
{
    (void)state;
    sink s = { g_string_new(NULL) };
    idm *m = idm_new(&sigs, &s);
    idm_nic eth1 = nic("eth1", "00:16:3E:1A:C4:45", LL(253, 216));
    idm_identity *d0 = idm_create_main(m, 1000, &eth1, 1);
    assert_int_equal(d0->index, 0);
    assert_true(idm_is_main(m, d0));
    /* S03a: arc delta-mu accepted; the main identity-arc to mu0 (#0) */
    nmsg_mac mu_eth1 = mac("00:16:3E:2D:8D:DE");
    idm_arc arc_mu = { 1, 0, mu_eth1, LL(119, 176) };
    assert_true(idm_add_arc(m, &arc_mu));
    idm_idarc *w = idm_add_idarc(m, d0, 1, 2000, &mu_eth1, LL(119, 176));
    assert_non_null(w);
    assert_true(idm_idarc_is_main(m, w));
    ASSERT_LOG(&s, "added #0 of 0;");
    /* mu0 (2000) migrates alone into G-delta: mu1 (2001) takes eth1, mu0 goes
     * to entr01 with 00:16:3E:71:33:12 / 169.254.101.161 */
    nmsg_mac mu0_new = mac("00:16:3E:71:33:12");
    idm_idarc *w1 = idm_neighbour_migrated(m, d0, 1, 2000, 2001, &mu0_new, LL(101, 161));
    assert_non_null(w1);
    ASSERT_LOG(&s, "changed #0 of 0 only-neighbour;added #1 of 0;");
    assert_int_equal(w1->index, 1);
    assert_true(nmsg_mac_equal(&w1->peer_mac, &mu_eth1));
    assert_int_equal(w1->peer_ll, LL(119, 176));
    assert_true(idm_idarc_is_main(m, w1));
    assert_false(idm_idarc_is_main(m, w));              /* now to a pseudo-interface */
    assert_int_equal(w->peer_ll, LL(101, 161));
    /* S03d: mu0 dismissed; mu notifies delta, which removes #0 */
    idm_remove_idarc(m, w, true);
    ASSERT_LOG(&s, "removing #0 of 0;removed #0 of 0;");
    /* S04a: arc delta-gamma; the main identity-arc to gamma0 is #2 */
    nmsg_mac g_eth1 = mac("00:16:3E:5B:78:D5");
    idm_arc arc_g = { 2, 0, g_eth1, LL(94, 223) };
    assert_true(idm_add_arc(m, &arc_g));
    idm_idarc *wg = idm_add_idarc(m, d0, 2, 3000, &g_eth1, LL(94, 223));
    assert_int_equal(wg->index, 2);
    assert_ptr_equal(idm_idarc_by_index(m, d0, 2), wg);
    assert_null(idm_idarc_by_index(m, d0, 0));
    assert_ptr_equal(idm_find_idarc_by_mac(m, d0, 0, &g_eth1), wg);
    assert_true(idm_nodeid_in_use(m, 3000));
    assert_false(idm_nodeid_in_use(m, 2000));
    idm_free(m);
    g_string_free(s.log, TRUE);
}

/* identities-neighborhood.md §4.7 worked example, on delta: delta0 (1000)
 * has identity-arcs to mu1 (2001, migrating too) and gamma0 (3000, not). */
static void gnode_duplication(void **state)
{
    (void)state;
    sink s = { g_string_new(NULL) };
    idm *m = idm_new(&sigs, &s);
    idm_nic eth1 = nic("eth1", "00:16:3E:1A:C4:45", LL(253, 216));
    idm_identity *d0 = idm_create_main(m, 1000, &eth1, 1);
    nmsg_mac mu_eth1 = mac("00:16:3E:2D:8D:DE"), g_eth1 = mac("00:16:3E:5B:78:D5");
    idm_arc arc_mu = { 1, 0, mu_eth1, LL(119, 176) }, arc_g = { 2, 0, g_eth1, LL(94, 223) };
    idm_add_arc(m, &arc_mu);
    idm_add_arc(m, &arc_g);
    idm_idarc *to_mu = idm_add_idarc(m, d0, 1, 2001, &mu_eth1, LL(119, 176));
    idm_idarc *to_g = idm_add_idarc(m, d0, 2, 3000, &g_eth1, LL(94, 223));
    g_free(take(&s));

    idm_migration *mg = idm_prepare_add_identity(m, d0->index == 0 ? 8191409 : 0, d0, 0, 600000000);
    assert_non_null(mg);
    assert_null(idm_prepare_add_identity(m, 8191409, d0, 0, 600000000));   /* once */
    assert_ptr_equal(idm_find_migration(m, 8191409, 1000), mg);
    assert_false(mg->ready);
    idm_nic pseudo[1] = { nic("entr03_eth1", "00:16:3E:B9:77:80", LL(83, 167)) };
    idm_identity *d1 = idm_add_identity(m, mg, 1001, "entr03", pseudo);
    assert_non_null(d1);
    assert_true(mg->ready);
    assert_int_equal(d1->index, 1);
    assert_true(idm_is_main(m, d1));
    assert_string_equal(d1->ns, "");
    assert_string_equal(d0->ns, "entr03");
    assert_string_equal(d1->nics[0].dev, "eth1");
    assert_string_equal(d0->nics[0].dev, "entr03_eth1");
    assert_true(mg->has_dev[0]);
    assert_int_equal(mg->devices[0].ll, LL(83, 167));

    /* phase B: mu answered with its data, gamma with null */
    nmsg_dupdata from_mu = { true, 2002, mac("00:16:3E:DF:23:F5"), LL(242, 91) };
    idm_idarc *c_mu = idm_duplicate_idarc(m, d1, to_mu, &from_mu);
    ASSERT_LOG(&s, "added #0 of 1 (copy);changed #0 of 0;");
    nmsg_dupdata null_answer = { false, 0, { { 0 } }, 0 };
    idm_idarc *c_g = idm_duplicate_idarc(m, d1, to_g, &null_answer);
    ASSERT_LOG(&s, "added #1 of 1 (copy);");
    /* delta0 -> mu1 now on mu1's pseudo-interface; delta1 -> mu2 on the old data */
    assert_true(nmsg_mac_equal(&to_mu->peer_mac, &from_mu.peer_old_id_new_mac));
    assert_int_equal(to_mu->peer_ll, LL(242, 91));
    assert_int_equal(c_mu->peer_nodeid, 2002);
    assert_true(nmsg_mac_equal(&c_mu->peer_mac, &mu_eth1));
    assert_int_equal(c_mu->peer_ll, LL(119, 176));
    /* gamma: both identities reach gamma0 with the same data */
    assert_int_equal(to_g->peer_nodeid, 3000);
    assert_int_equal(c_g->peer_nodeid, 3000);
    assert_true(nmsg_mac_equal(&c_g->peer_mac, &g_eth1));
    assert_true(idm_idarc_is_main(m, c_g));
    assert_false(idm_idarc_is_main(m, to_g));          /* delta0 is not main any more */

    /* the entry ends: delta0 is forgotten (its peers were notified) */
    idm_remove_identity(m, d0);
    assert_int_equal(idm_n_identities(m), 1);
    assert_null(idm_by_nodeid(m, 1000));
    assert_ptr_equal(idm_by_index(m, 1), d1);
    /* the migration data outlives it (a late match_duplication still gets the answer) */
    assert_non_null(idm_find_migration(m, 8191409, 1000));
    /* prepared at 0 with a lifetime of 600 s: due then, and gone then */
    assert_int_equal(idm_next_migration_expiry(m), 600000000);
    idm_expire_migrations(m, 599999999);
    assert_non_null(idm_find_migration(m, 8191409, 1000));
    idm_expire_migrations(m, 600000000);
    assert_null(idm_find_migration(m, 8191409, 1000));
    assert_int_equal(idm_next_migration_expiry(m), INT64_MAX);
    ASSERT_LOG(&s, "");
    idm_free(m);
    g_string_free(s.log, TRUE);
}

static void arc_removal_cascade(void **state)
{
    (void)state;
    sink s = { g_string_new(NULL) };
    idm *m = idm_new(&sigs, &s);
    idm_nic eth1 = nic("eth1", "02:00:00:00:00:01", LL(1, 1));
    idm_identity *a = idm_create_main(m, 10, &eth1, 1);
    nmsg_mac p = mac("02:00:00:00:00:02");
    idm_arc arc = { 7, 0, p, LL(1, 2) };
    idm_add_arc(m, &arc);
    assert_false(idm_add_arc(m, &arc));                 /* once */
    idm_add_idarc(m, a, 7, 20, &p, LL(1, 2));
    nmsg_mac q = mac("02:00:00:00:00:03");
    idm_add_idarc(m, a, 7, 21, &q, LL(1, 3));
    assert_null(idm_add_idarc(m, a, 7, 21, &q, LL(1, 3)));   /* same peer twice */
    assert_null(idm_add_idarc(m, a, 8, 22, &q, LL(1, 3)));   /* unknown arc */
    g_free(take(&s));
    idm_remove_arc(m, 7);
    ASSERT_LOG(&s, "removing #0 of 0;removed #0 of 0;removing #1 of 0;removed #1 of 0;");
    assert_int_equal(idm_n_arcs(m), 0);
    assert_int_equal(a->arcs->len, 0);
    idm_free(m);
    g_string_free(s.log, TRUE);
}

/* UseCases18 (Grafo 3), topology 4.2.2.2 (levels 0..3), positions level 0
 * first: gamma's main 2.0.0.0, epsilon's main 2.0.0.1, and the migr02
 * identities 2.1.3.0 (gamma) and 2.1.3.1 (epsilon), which support the
 * connectivity of 2.1. (level 2).  Main-main and migr02-migr02 form; a migr02
 * identity and the other system's main do not. */
static void willing_usecases18(void **state)
{
    (void)state;
    const int gamma_p[] = { 0, 0, 0, 2 }, eps_p[] = { 1, 0, 0, 2 };
    const int gamma_m[] = { 0, 3, 1, 2 }, eps_m[] = { 1, 3, 1, 2 };
    assert_true(idm_willing(0, gamma_p, eps_p, 4) && idm_willing(0, eps_p, gamma_p, 4));
    assert_true(idm_willing(2, gamma_m, eps_m, 4) && idm_willing(2, eps_m, gamma_m, 4));
    assert_true(idm_willing(0, gamma_p, eps_m, 4));            /* a main identity is always willing */
    assert_false(idm_willing(2, eps_m, gamma_p, 4));           /* 2.0. is not 2.1. */
    assert_false(idm_willing(2, gamma_m, eps_p, 4));
    assert_true(idm_willing(4, gamma_m, eps_p, 4));            /* the whole network */
    assert_false(idm_willing(3, gamma_m, (const int[]){ 0, 0, 0, 1 }, 4));   /* another top g-node */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(delta_arc_indices),
        cmocka_unit_test(gnode_duplication),
        cmocka_unit_test(arc_removal_cascade),
        cmocka_unit_test(willing_usecases18),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
