/* test_dump.c -- the split of one `ip -batch` output (routes, rules,
 * addresses) into the sections of a dump (dump.c): the dumps must stay byte
 * for byte those of separate `ip route show table all`, `ip rule`, `ip addr`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "testbed.h"

static void
split_is(const char *ip, const char *want)
{
  GString *o = g_string_new(NULL);
  hn_dump_split_ip(o, ip, strlen(ip));
  assert_string_equal(o->str, want);
  g_string_free(o, TRUE);
}

#define ROUTES                                                                       \
  "10.0.0.0/29 via 169.254.94.223 dev eth1 table ntk proto static src 10.0.0.26\n" \
  "unreachable 10.0.0.64/29 table ntk\n"                                            \
  "local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1\n"
#define RULES "0:\tfrom all lookup local\n32765:\tfrom all lookup ntk\n32767:\tfrom all lookup default\n"
#define ADDRS                                                                                 \
  "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n" \
  "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n"                              \
  "    inet 127.0.0.1/8 scope host lo\n"                                                      \
  "12: eth1@if13: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default qlen 1000\n"
#define H_ROUTE "### ip route show table all\n"
#define H_RULE "### ip rule\n"
#define H_ADDR "### ip addr\n"

static void
test_sections(void **state)
{
  (void)state;
  split_is(ROUTES RULES ADDRS, H_ROUTE ROUTES H_RULE RULES H_ADDR ADDRS);
  /* empty sections keep their headers */
  split_is(RULES ADDRS, H_ROUTE H_RULE RULES H_ADDR ADDRS);
  split_is(ROUTES ADDRS, H_ROUTE ROUTES H_RULE H_ADDR ADDRS);
  split_is(ROUTES RULES, H_ROUTE ROUTES H_RULE RULES H_ADDR);
  split_is("", H_ROUTE H_RULE H_ADDR);
  /* IPv6 routes start with hex digits and ':', never "N:\t" or "N: " */
  split_is("2001:db8::/32 dev eth1 metric 1024\nfe80::/64 dev eth1 proto kernel\n" RULES,
           H_ROUTE "2001:db8::/32 dev eth1 metric 1024\nfe80::/64 dev eth1 proto kernel\n" H_RULE RULES H_ADDR);
  /* a last line without newline is kept as it is */
  split_is(ROUTES "0:\tfrom all lookup local", H_ROUTE ROUTES H_RULE "0:\tfrom all lookup local" H_ADDR);
}

int
main(void)
{
  const struct CMUnitTest tests[] = { cmocka_unit_test(test_sections) };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
