/* test_nbr_table.c - neighbour discovery and keep-alive as a state machine:
 * two tables exchange the HELLOs they build, with a simulated clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "nbr_table.h"

typedef struct {
    int up, down;
    nbr_down_reason last_why;
    uint32_t last_peer_ll;
    int64_t last_rtt;
} counts;

static void on_event(void *user, nbr_event ev, const nbr_arc *a, nbr_down_reason why)
{
    counts *c = user;
    if (ev == NBR_ARC_UP) {
        c->up++;
        c->last_peer_ll = a->peer_ll;
    } else {
        c->down++;
        c->last_why = why;
    }
    c->last_rtt = a->rtt_us;
}

static nmsg_mac mac(const char *s)
{
    nmsg_mac m;
    assert_true(nmsg_mac_parse(s, &m));
    return m;
}

#define LL(a, b) ((169u << 24) | (254u << 16) | ((a) << 8) | (b))

typedef struct {
    nbr_table *t;
    counts c;
    uint32_t nnid;
} node;

static void make(node *n, uint32_t nnid, const char *m, uint32_t ll)
{
    memset(&n->c, 0, sizeof n->c);
    n->nnid = nnid;
    n->t = nbr_table_new(nnid, 250, 1500, on_event, &n->c);
    nmsg_mac x = mac(m);
    assert_int_equal(nbr_add_nic(n->t, "eth1", &x, ll), 0);
}

/* from's HELLO, as built at `now`, reaches to at now + 1 ms */
static void deliver(node *from, node *to, int64_t now)
{
    nmsg_hello h;
    nbr_build_hello(from->t, 0, now, false, &h);
    nbr_on_hello(to->t, 0, now + 1000, from->nnid, &h);
}

static void two_way_then_dead(void **state)
{
    (void)state;
    node beta, gamma;
    make(&beta, 11, "00:16:3E:EC:A3:E1", LL(96, 141));
    make(&gamma, 22, "00:16:3E:5B:78:D5", LL(94, 223));
    int64_t t = 1000000;
    deliver(&beta, &gamma, t);           /* gamma hears beta: one-way */
    assert_int_equal(gamma.c.up, 0);
    deliver(&gamma, &beta, t + 10000);   /* beta sees itself listed: arc */
    assert_int_equal(beta.c.up, 1);
    assert_int_equal(beta.c.last_peer_ll, LL(94, 223));
    deliver(&beta, &gamma, t + 20000);
    assert_int_equal(gamma.c.up, 1);
    /* rtt: beta's HELLO at t was echoed by gamma at t+10 ms after holding it 9 ms */
    assert_true(beta.c.last_rtt >= 0 && beta.c.last_rtt <= 2000);
    const nbr_arc *arcs[4];
    assert_int_equal(nbr_arcs(beta.t, arcs, 4), 1);
    nmsg_mac gm = mac("00:16:3E:5B:78:D5");
    assert_non_null(nbr_find_arc(beta.t, 0, &gm));
    assert_non_null(nbr_find_by_ll(beta.t, LL(94, 223), 22));
    assert_null(nbr_find_by_ll(beta.t, LL(94, 223), 23));
    /* keep-alive: still up after 1.4 s of HELLOs every 250 ms */
    for (int64_t x = t + 250000; x < t + 1400000; x += 250000) {
        deliver(&gamma, &beta, x);
        assert_true(nbr_tick(beta.t, x + 2000) > x);
    }
    assert_int_equal(beta.c.down, 0);
    /* gamma dies: silent for more than its dead interval (1.5 s) */
    int64_t last = t + 1250000 + 1000;
    assert_int_equal(nbr_next_deadline(beta.t), last + 1500000);   /* the daemon's tick wakes then */
    assert_int_equal(nbr_tick(beta.t, last + 1499000), last + 1500000);
    assert_int_equal(beta.c.down, 0);
    nbr_tick(beta.t, last + 1500000);
    assert_int_equal(beta.c.down, 1);
    assert_int_equal(beta.c.last_why, NBR_DOWN_DEAD);
    assert_int_equal(nbr_arcs(beta.t, arcs, 4), 0);
    assert_int_equal(nbr_next_deadline(beta.t), INT64_MAX);        /* nothing left to expire */
    nbr_table_free(beta.t);
    nbr_table_free(gamma.t);
}

static void one_way_and_bye(void **state)
{
    (void)state;
    node a, b;
    make(&a, 1, "02:00:00:00:00:0A", LL(1, 1));
    make(&b, 2, "02:00:00:00:00:0B", LL(1, 2));
    deliver(&a, &b, 0);
    deliver(&b, &a, 1000);
    deliver(&a, &b, 2000);
    assert_int_equal(a.c.up + b.c.up, 2);
    /* b restarts its table (forgets a): its next HELLO does not list a */
    nbr_table_free(b.t);
    make(&b, 2, "02:00:00:00:00:0B", LL(1, 2));
    deliver(&b, &a, 3000);
    assert_int_equal(a.c.down, 1);
    assert_int_equal(a.c.last_why, NBR_DOWN_ONE_WAY);
    /* the exchange forms it again */
    deliver(&a, &b, 4000);
    deliver(&b, &a, 5000);
    assert_int_equal(a.c.up, 2);
    /* bye */
    nmsg_hello h;
    nbr_build_hello(b.t, 0, 6000, true, &h);
    assert_int_equal(h.n_heard, 0);
    nbr_on_hello(a.t, 0, 6000, 2, &h);
    assert_int_equal(a.c.down, 2);
    assert_int_equal(a.c.last_why, NBR_DOWN_BYE);
    nbr_table_free(a.t);
    nbr_table_free(b.t);
}

static void conflicts_are_ignored(void **state)
{
    (void)state;
    node a, b;
    make(&a, 1, "02:00:00:00:00:0A", LL(1, 1));
    make(&b, 2, "02:00:00:00:00:0B", LL(1, 2));
    deliver(&a, &b, 0);
    deliver(&b, &a, 1000);
    /* my own HELLO looped back */
    nmsg_hello h;
    nbr_build_hello(a.t, 0, 2000, false, &h);
    nbr_on_hello(a.t, 0, 2000, 1, &h);
    assert_int_equal(nbr_get_stats(a.t)->ignored_self, 1);
    /* another NNID with b's MAC (b restarted while its old arc lives) */
    nbr_build_hello(b.t, 0, 3000, false, &h);
    nbr_on_hello(a.t, 0, 3000, 3, &h);
    /* a NNID using one of my link-locals */
    node c;
    make(&c, 4, "02:00:00:00:00:0C", LL(1, 1));
    nbr_build_hello(c.t, 0, 3000, false, &h);
    nbr_on_hello(a.t, 0, 3000, 4, &h);
    /* b's link-local under another MAC */
    node d;
    make(&d, 5, "02:00:00:00:00:0D", LL(1, 2));
    nbr_build_hello(d.t, 0, 3000, false, &h);
    nbr_on_hello(a.t, 0, 3000, 5, &h);
    /* b's NNID with a second MAC on the same medium */
    node e;
    make(&e, 2, "02:00:00:00:00:0E", LL(1, 9));
    nbr_build_hello(e.t, 0, 3000, false, &h);
    nbr_on_hello(a.t, 0, 3000, 2, &h);
    assert_int_equal(nbr_get_stats(a.t)->ignored_conflict, 4);
    const nbr_arc *arcs[4];
    assert_int_equal(nbr_arcs(a.t, arcs, 4), 1);
    nbr_table_free(a.t);
    nbr_table_free(b.t);
    nbr_table_free(c.t);
    nbr_table_free(d.t);
    nbr_table_free(e.t);
}

static void local_removal_and_rediscovery(void **state)
{
    (void)state;
    node a, b;
    make(&a, 1, "02:00:00:00:00:0A", LL(1, 1));
    make(&b, 2, "02:00:00:00:00:0B", LL(1, 2));
    deliver(&a, &b, 0);
    deliver(&b, &a, 1000);
    const nbr_arc *arcs[2];
    assert_int_equal(nbr_arcs(a.t, arcs, 2), 1);
    assert_true(nbr_remove(a.t, arcs[0]->id));
    assert_int_equal(a.c.down, 1);
    assert_int_equal(a.c.last_why, NBR_DOWN_LOCAL);
    /* b still lists a: the next HELLO forms it again (re-detected, as [P]) */
    deliver(&b, &a, 2000);
    assert_int_equal(a.c.up, 2);
    nbr_table_free(a.t);
    nbr_table_free(b.t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_way_then_dead),
        cmocka_unit_test(one_way_and_bye),
        cmocka_unit_test(conflicts_are_ignored),
        cmocka_unit_test(local_removal_and_rediscovery),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
