/* test_inputs.h -- what the two tests of the harness's input parsers share
 * (test_parsers.c: world, steps, --only, PINGS.txt; test_replay_inputs.c: the
 * replayed sequence script, the report's JSON reader, `qspn-harness parse`):
 * the arguments, a temporary directory, a good world.  Arguments: argv[1] the
 * shared/ directory, argv[2] the qspn-harness executable, argv[3] the source
 * tree (topologies/). */
#ifndef HN_TEST_INPUTS_H
#define HN_TEST_INPUTS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>
#include <glib.h>

#include "run.h"

static const char *shared_dir, *harness_exe, *source_root;
static char *tmpdir;

#define GOOD_WORLD                                                                                          \
  "medium m1\nmedium m2 flat\n"                                                                             \
  "system alfa\n  iface eth1 mac 00:16:3E:FD:E2:AA linklocal 169.254.69.30 medium m1\n  qspnd -t 4.2.2.2\n" \
  "system beta\n  iface eth1 mac 00:16:3E:EC:A3:E1 linklocal 169.254.96.141 medium m1\n"                    \
  "  iface eth2 mac 02:00:00:00:00:02 medium m2\n  qspnd -t 4.2.2.2\n"                                      \
  "system rho\n  iface eth1 mac 02:00:00:00:00:01 medium m2\n"

static inline char *
write_tmp(const char *name, const char *content, gssize len)
{
  char *p = g_build_filename(tmpdir, name, NULL);
  assert_true(g_file_set_contents(p, content, len, NULL));
  return p;
}

/* runs the tests in a fresh temporary directory, removed afterwards */
static inline int
inputs_test_main(int argc, char **argv, const char *group, const struct CMUnitTest *tests, size_t n)
{
  if (argc < 4) {
    fprintf(stderr, "usage: %s SHARED_DIR QSPN_HARNESS SOURCE_ROOT\n", argv[0]);
    return 2;
  }
  shared_dir = argv[1];
  harness_exe = argv[2];
  source_root = argv[3];
  tmpdir = g_dir_make_tmp("hn-parsers-XXXXXX", NULL);
  int rc = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
  hn_rm_rf(tmpdir);
  g_free(tmpdir);
  return rc;
}

#endif
