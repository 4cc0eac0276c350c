/* test_tables.c - forwarding table numbers: highest free first from 250,
 * shared by MAC, freed with the last user and reused (behaviour.md §4.2),
 * following the documented allocations of the storyline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "tables.h"

static nmsg_mac mac(const char *s)
{
    nmsg_mac m;
    assert_true(nmsg_mac_parse(s, &m));
    return m;
}

/* delta, S03-S04 (catalogue §6, expected/S04i delta.txt): 250 for mu
 * (2D:8D:DE), then 249 for mu1's pseudo-interface DF:23:F5 (entr03), then 248
 * for gamma; 249 is freed at the dismissal and the line goes. */
static void delta_storyline(void **state)
{
    (void)state;
    tables t;
    tables_init(&t);
    bool fresh;
    nmsg_mac mu = mac("00:16:3E:2D:8D:DE"), mu1p = mac("00:16:3E:DF:23:F5"), gamma = mac("00:16:3E:5B:78:D5");
    assert_int_equal(tables_acquire(&t, &mu, &fresh), 250);
    assert_true(fresh);
    assert_int_equal(tables_acquire(&t, &mu1p, &fresh), 249);
    assert_int_equal(tables_acquire(&t, &gamma, &fresh), 248);
    /* delta1 keeps mu's table for its internal arc to mu2: one more user */
    assert_int_equal(tables_acquire(&t, &mu, &fresh), 250);
    assert_false(fresh);
    assert_int_equal(tables_refs(&t, &mu), 2);
    assert_true(tables_release(&t, &mu1p));      /* delta0 dismissed */
    assert_int_equal(tables_lookup(&t, &mu1p), -1);
    assert_false(tables_release(&t, &mu));       /* delta0's copy goes, delta1's stays */
    assert_int_equal(tables_lookup(&t, &mu), 250);
    tables_entry e[8];
    assert_int_equal(tables_list(&t, e, 8), 2);
    assert_int_equal(e[0].tid, 250);
    assert_int_equal(e[1].tid, 248);
    /* a freed number is reused before a lower one */
    nmsg_mac other = mac("00:16:3E:00:00:01");
    assert_int_equal(tables_acquire(&t, &other, &fresh), 249);
    char name[TABLES_NAMELEN];
    tables_name(&gamma, name, sizeof name);
    assert_string_equal(name, "ntk_from_00:16:3E:5B:78:D5");
}

static void exhaustion(void **state)
{
    (void)state;
    tables t;
    tables_init(&t);
    for (int i = 0; i <= TABLES_FIRST - TABLES_LAST; i++) {
        nmsg_mac m = mac("02:00:00:00:00:00");
        m.b[5] = (uint8_t)i;
        assert_int_equal(tables_acquire(&t, &m, NULL), TABLES_FIRST - i);
    }
    nmsg_mac last = mac("02:00:00:00:01:00");
    assert_int_equal(tables_acquire(&t, &last, NULL), -1);
    assert_false(tables_release(&t, &last));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(delta_storyline),
        cmocka_unit_test(exhaustion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
