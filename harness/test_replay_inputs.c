/* test_replay_inputs.c -- the harness's other inputs: the replayed sequence
 * script (sequence-netns.sh), greek-replay.steps against the catalogue, the
 * main global address read from `show --json`, and `qspn-harness parse`
 * (every bad input rejected with exit 2 before anything is created).
 * Expected values come from the documents (test_inputs.h: the arguments). */
#include <string.h>
#include <sys/wait.h>

#include "test_inputs.h"

#include "replay.h"

static void
test_replay_load(void **state)
{
  (void)state;
  GError *e = NULL;
  char *seq = g_build_filename(shared_dir, "scenarios", "sequence-netns.sh", NULL);
  HnReplay *r = hn_replay_load(seq, &e);
  if (!r)
    fail_msg("%s", e->message);
  /* arcs of catalogue.md section 4, at their steps */
  GPtrArray *a = hn_replay_arcs(r, "S02a");
  assert_int_equal(a->len, 1);
  assert_string_equal(g_ptr_array_index(a, 0), "beta gamma");
  g_ptr_array_free(a, TRUE);
  a = hn_replay_arcs(r, "S15");
  assert_string_equal(g_ptr_array_index(a, 0), "epsilon gamma");
  g_ptr_array_free(a, TRUE);
  assert_true(hn_replay_has_step(r, "S17"));
  hn_replay_free(r);
  g_free(seq);
  char *p = write_tmp("seq.sh", "begin_step S01 x 'T' 1 2\nsay 1 hi\nrm -rf /\n", -1);
  assert_null(hn_replay_load(p, &e));
  char *where = g_strdup_printf("%s:3: cannot replay", p);
  assert_true(g_str_has_prefix(e->message, where));
  g_clear_error(&e);
  g_free(where);
  g_free(p);
  p = write_tmp("seq.sh", "begin_step S01 x 'T' 1 2\nrun_block alfa 3 <<'EOF'\nip link\n", -1);
  assert_null(hn_replay_load(p, &e));
  assert_non_null(strstr(e->message, "without its EOF"));
  g_clear_error(&e);
  g_free(p);
}

/* greek-replay.steps follows the documents: the steps of steps.tsv in order,
 * "intermediate" exactly where catalogue.md says "quiescent: no" */
static void
test_replay_steps_vs_catalogue(void **state)
{
  (void)state;
  GError *e = NULL;
  const char *root = source_root;
  char *wp = g_build_filename(root, "topologies", "greek.world", NULL);
  char *sp = g_build_filename(root, "topologies", "greek-replay.steps", NULL);
  char *cp = g_build_filename(shared_dir, "scenarios", "catalogue.md", NULL);
  char *tp = g_build_filename(shared_dir, "scenarios", "steps.tsv", NULL);
  HnWorld *w = hn_world_load(wp, &e);
  HnSteps *s = w ? hn_steps_load(sp, w, &e) : NULL;
  if (!s)
    fail_msg("%s", e->message);
  char *cat = NULL, *tsv = NULL;
  assert_true(g_file_get_contents(cp, &cat, NULL, NULL) && g_file_get_contents(tp, &tsv, NULL, NULL));
  char **lines = g_strsplit(tsv, "\n", -1);
  guint k = 0;
  for (char **l = lines; *l; l++) {
    if (**l == '#' || !**l)
      continue;
    char **f = g_strsplit(*l, "\t", -1);
    assert_true(k < s->steps->len);
    HnStep *st = g_ptr_array_index(s->steps, k++);
    assert_string_equal(st->id, f[0]);
    assert_string_equal(st->slug, f[3]);
    assert_true(st->check_all);
    char *no = g_strdup_printf("checkpoint `%s-%s` · quiescent: no", f[0], f[3]);
    char *yes = g_strdup_printf("checkpoint `%s-%s` · quiescent: yes", f[0], f[3]);
    assert_true(strstr(cat, no) || strstr(cat, yes));
    if (st->intermediate != (strstr(cat, no) != NULL))
      fail_msg("step %s: intermediate %d, catalogue says %s", st->id, st->intermediate, strstr(cat, no) ? "no" : "yes");
    g_free(no);
    g_free(yes);
    g_strfreev(f);
  }
  assert_int_equal(k, s->steps->len);
  assert_int_equal(k, 69);
  g_strfreev(lines);
  g_free(cat);
  g_free(tsv);
  hn_steps_free(s);
  hn_world_free(w);
  g_free(wp);
  g_free(sp);
  g_free(cp);
  g_free(tp);
}

static void
test_main_global_address(void **state)
{
  (void)state;
  /* docs/control.md, show --json schema */
  const char *j = "{\"netns\":\"x\",\"identities\":[{\"index\":1,\"main\":false,\"addresses\":[{\"ip\":\"10.0.0.9\","
                  "\"kind\":\"global\"}]},{\"index\":0,\"main\":true,\"addresses\":[{\"ip\":\"169.254.69.30\","
                  "\"kind\":\"linklocal\"},{\"ip\":\"10.0.0.26\",\"kind\":\"global\"}]}]}";
  char *a = hn_main_global_address(j);
  assert_string_equal(a, "10.0.0.26");
  g_free(a);
  assert_null(hn_main_global_address("{\"identities\":[{\"main\":true,\"addresses\":[]}]}"));
  assert_null(hn_main_global_address("not json"));
  assert_null(hn_main_global_address("[1]"));
}

/* `qspn-harness parse` rejects before creating anything; exit 2, no leak */
static int
run_parse(const char *extra, const char *world, const char *steps, char **err)
{
  char *cmd = g_strdup_printf("exec '%s' parse --world '%s' %s%s%s %s", harness_exe, world, steps ? "--steps '" : "",
                              steps ? steps : "", steps ? "'" : "", extra);
  char *argv[] = { "sh", "-c", cmd, NULL };
  int st = -1;
  assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, err,
                           &st, NULL));
  g_free(cmd);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
test_parse_command(void **state)
{
  (void)state;
  GPtrArray *before = hn_list_netns();
  char *w = write_tmp("p.world", GOOD_WORLD, -1);
  char *s = write_tmp("p.steps", "step S01 x\n check all\n", -1);
  char *bad = write_tmp("p-bad.steps", "step S01 x\n check zeta\n", -1);
  char *err = NULL;
  assert_int_equal(run_parse("", w, s, &err), 0);
  g_free(err);
  const char *cases[][3] = { { "--only ,", "p.steps", "--only" },
                             { "--deadline nan", "p.steps", "--deadline" },
                             { "--deadline 1e29", "p.steps", "--deadline" },
                             { "--stop-at S09", "p.steps", "--stop-at" },
                             { "", "p-bad.steps", "p-bad.steps:2: unknown namespace zeta" },
                             { "--expected /nonexistent", "p.steps", "no expected directory" } };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    char *sp = g_build_filename(tmpdir, cases[i][1], NULL);
    int rc = run_parse(cases[i][0], w, sp, &err);
    if (rc != 2 || !strstr(err, cases[i][2]))
      fail_msg("parse %s: exit %d, stderr %s (wanted 2 and \"%s\")", cases[i][0], rc, err, cases[i][2]);
    g_free(err);
    g_free(sp);
  }
  GPtrArray *after = hn_list_netns();
  assert_int_equal(before->len, after->len);
  g_ptr_array_free(before, TRUE);
  g_ptr_array_free(after, TRUE);
  g_free(w);
  g_free(s);
  g_free(bad);
}

int
main(int argc, char **argv)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_replay_load),         cmocka_unit_test(test_replay_steps_vs_catalogue),
    cmocka_unit_test(test_main_global_address), cmocka_unit_test(test_parse_command),
  };
  return inputs_test_main(argc, argv, "harness replay inputs", tests, G_N_ELEMENTS(tests));
}
