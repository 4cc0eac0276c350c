/* test_world_limits.c -- the size limits of a world (config.h): a world of
 * HN_MAX_SYSTEMS systems parses, one more is refused with the line of the
 * extra system; a medium takes HN_MAX_MEDIUM_PORTS interfaces (the ports of a
 * Linux bridge), one more is refused.  Worlds are parsed from memory: nothing
 * is written or created. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "config.h"

/* n systems named s1..sn on medium m, each with `ifaces` interfaces on it;
 * MACs 02:00:II:II:JJ:01 unique for i < 65536 */
static char *
world_text(guint n, guint ifaces)
{
  GString *t = g_string_new("medium m filter\n");
  for (guint i = 1; i <= n; i++) {
    g_string_append_printf(t, "system s%u\n", i);
    for (guint j = 1; j <= ifaces; j++)
      g_string_append_printf(t, "  iface eth%u mac 02:00:%02x:%02x:%02x:01 medium m\n", j, i / 256, i % 256, j);
    g_string_append(t, "  qspnd --topology 4.2.2.2\n");
  }
  return g_string_free(t, FALSE);
}

static HnWorld *
parse(guint n, guint ifaces, GError **e)
{
  char *t = world_text(n, ifaces);
  HnWorld *w = hn_world_from_data("big.world", t, strlen(t), e);
  g_free(t);
  return w;
}

static void
test_max_systems(void **state)
{
  (void)state;
  GError *e = NULL;
  HnWorld *w = parse(HN_MAX_SYSTEMS, 1, &e);
  if (!w)
    fail_msg("%d systems refused: %s", HN_MAX_SYSTEMS, e->message);
  assert_int_equal(w->systems->len, HN_MAX_SYSTEMS);
  HnSystem *last = g_ptr_array_index(w->systems, HN_MAX_SYSTEMS - 1);
  assert_string_equal(((HnIface *)g_ptr_array_index(last->ifaces, 0))->port, last->name);
  hn_world_free(w);
  assert_null(parse(HN_MAX_SYSTEMS + 1, 1, &e));
  /* the extra system is declared on line 2 + 3 * HN_MAX_SYSTEMS */
  char *want = g_strdup_printf("big.world:%d: more than %d systems", 2 + 3 * HN_MAX_SYSTEMS, HN_MAX_SYSTEMS);
  if (!g_str_has_prefix(e->message, want))
    fail_msg("\"%s\" is not \"%s\"", e->message, want);
  g_free(want);
  g_error_free(e);
}

static void
test_medium_ports(void **state)
{
  (void)state;
  GError *e = NULL;
  /* 341 systems with 3 interfaces each: 1023 ports, then 1026 */
  G_STATIC_ASSERT(HN_MAX_MEDIUM_PORTS == 3 * 341);
  HnWorld *w = parse(341, 3, &e);
  if (!w)
    fail_msg("1023 ports refused: %s", e->message);
  /* a system with several interfaces gets ports "s341.0".."s341.2" (<= 15 characters) */
  HnSystem *last = g_ptr_array_index(w->systems, 340);
  assert_string_equal(((HnIface *)g_ptr_array_index(last->ifaces, 2))->port, "s341.2");
  hn_world_free(w);
  assert_null(parse(342, 3, &e));
  if (!strstr(e->message, "medium m: more than 1023 interfaces"))
    fail_msg("unexpected error: %s", e->message);
  g_error_free(e);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_max_systems),
    cmocka_unit_test(test_medium_ports),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
