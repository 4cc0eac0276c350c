/* test_parsers.c -- the harness's input parsers: world, steps, --only,
 * deviations, PINGS.txt (every bad input rejected with file and line, no
 * leak: the harness is built with ASan, whose leak check would change the
 * exit status).  Expected values come from the documents (PINGS.txt of
 * shared/, topologies/greek.world); test_inputs.h reads the arguments.  The
 * replayed sequence script and `qspn-harness parse`: test_replay_inputs.c. */
#include <string.h>
#include <unistd.h>

#include "test_inputs.h"

#include "config.h"
#include "pings.h"

static HnWorld *
good_world(void)
{
  char *p = write_tmp("good.world", GOOD_WORLD, -1);
  GError *e = NULL;
  HnWorld *w = hn_world_load(p, &e);
  if (!w)
    fail_msg("good world rejected: %s", e->message);
  g_free(p);
  return w;
}

/* the world text must be rejected with "<file>:<line>: ...needle..." */
static void
world_rejects(const char *text, gssize len, int line, const char *needle)
{
  char *p = write_tmp("bad.world", text, len);
  GError *e = NULL;
  HnWorld *w = hn_world_load(p, &e);
  if (w)
    fail_msg("world accepted: %s", text);
  char *where = line > 0 ? g_strdup_printf("%s:%d: ", p, line) : g_strdup_printf("%s: ", p);
  if (!g_str_has_prefix(e->message, where) || !strstr(e->message, needle))
    fail_msg("error \"%s\" lacks \"%s\" or \"%s\"", e->message, where, needle);
  g_error_free(e);
  g_free(where);
  g_free(p);
}

/* the loaders on text in memory (fuzz targets): no final NUL needed, the same
 * errors, named after the given name */
static void
test_from_data(void **state)
{
  (void)state;
  char *text = g_strndup(GOOD_WORLD "garbage", strlen(GOOD_WORLD));
  text[strlen(GOOD_WORLD)] = '#'; /* a byte past len that must not be read as text */
  GError *e = NULL;
  HnWorld *w = hn_world_from_data("mem.world", text, strlen(GOOD_WORLD), &e);
  if (!w)
    fail_msg("good world rejected: %s", e->message);
  assert_null(hn_world_from_data("mem.world", "system a\0", 10, &e));
  assert_true(g_str_has_prefix(e->message, "mem.world:1: NUL byte"));
  g_clear_error(&e);
  assert_null(hn_steps_from_data("mem.steps", "", 0, w, &e));
  assert_true(g_str_has_prefix(e->message, "mem.steps: no steps"));
  g_clear_error(&e);
  hn_world_free(w);
  g_free(text);
}

static void
steps_rejects(const HnWorld *w, const char *text, gssize len, int line, const char *needle)
{
  char *p = write_tmp("bad.steps", text, len);
  GError *e = NULL;
  HnSteps *s = hn_steps_load(p, w, &e);
  if (s)
    fail_msg("steps accepted: %s", text);
  char *where = line > 0 ? g_strdup_printf("%s:%d: ", p, line) : g_strdup_printf("%s: ", p);
  if (!g_str_has_prefix(e->message, where) || !strstr(e->message, needle))
    fail_msg("error \"%s\" lacks \"%s\" or \"%s\"", e->message, where, needle);
  g_error_free(e);
  g_free(where);
  g_free(p);
}

static void
test_world_good(void **state)
{
  (void)state;
  HnWorld *w = good_world();
  assert_int_equal(w->systems->len, 3);
  HnSystem *b = hn_world_system(w, "beta");
  assert_int_equal(b->ifaces->len, 2);
  /* a system with several interfaces: one hub port per interface */
  assert_string_equal(((HnIface *)g_ptr_array_index(b->ifaces, 0))->port, "beta.0");
  assert_string_equal(((HnIface *)g_ptr_array_index(b->ifaces, 1))->port, "beta.1");
  assert_false(hn_world_medium(w, "m2")->filter);
  assert_ptr_equal(hn_world_identity_system(w, "beta-entr02"), b);
  assert_null(hn_world_identity_system(w, "beta-"));
  assert_null(hn_world_identity_system(w, "gamma-migr02"));
  hn_world_free(w);
}

#define SYS1 "medium m\nsystem a\n  iface eth1 mac 02:00:00:00:00:01 medium m\n"

static void
test_world_rejects(void **state)
{
  (void)state;
  /* invalid link-locals */
  world_rejects("medium m\nsystem a\n iface eth1 mac 02:00:00:00:00:01 linklocal 169.254.300.1 medium m\n", -1, 3,
                "bad link-local");
  world_rejects("medium m\nsystem a\n iface eth1 mac 02:00:00:00:00:01 linklocal 10.0.0.1 medium m\n", -1, 3,
                "bad link-local");
  world_rejects("medium m\nsystem a\n iface eth1 mac 02:00:00:00:00:01 linklocal 169.254.0.0 medium m\n", -1, 3,
                "bad link-local");
  world_rejects("medium m\nsystem a\n iface eth1 mac 02:00:00:00:00:01 linklocal 169.254.1 medium m\n", -1, 3,
                "bad link-local");
  /* duplicate MACs (case does not matter), link-locals, interfaces */
  world_rejects(SYS1 "system b\n iface eth1 mac 02:00:00:00:00:01 medium m\n", -1, 5, "already used");
  world_rejects("medium m\nsystem a\n iface eth1 mac 0a:00:00:00:00:01 medium m\n"
                "system b\n iface eth1 mac 0A:00:00:00:00:01 medium m\n", -1, 5, "already used");
  world_rejects("medium m\nsystem a\n iface eth1 mac 02:00:00:00:00:01 linklocal 169.254.1.1 medium m\n"
                "system b\n iface eth1 mac 02:00:00:00:00:02 linklocal 169.254.1.1 medium m\n", -1, 5, "already used");
  world_rejects(SYS1 "  iface eth1 mac 02:00:00:00:00:02 medium m\n", -1, 4, "defined twice");
  /* bad MACs: multicast, zero, malformed */
  world_rejects("medium m\nsystem a\n iface eth1 mac 01:00:5E:00:00:01 medium m\n", -1, 3, "bad MAC");
  world_rejects("medium m\nsystem a\n iface eth1 mac 00:00:00:00:00:00 medium m\n", -1, 3, "bad MAC");
  world_rejects("medium m\nsystem a\n iface eth1 mac 00:16:3E:FD:E2 medium m\n", -1, 3, "bad MAC");
  world_rejects("medium m\nsystem a\n iface eth1 mac 02:00:00:00:00:01 mac 02:00:00:00:00:03 medium m\n", -1, 3,
                "mac given twice");
  world_rejects("medium m\nsystem a\n iface lo mac 02:00:00:00:00:01 medium m\n", -1, 3, "not lo");
  world_rejects("medium m\nsystem a\n iface eth1 mac 02:00:00:00:00:01\n", -1, 3, "mandatory");
  world_rejects("medium m\nsystem a\n iface eth1 mac 02:00:00:00:00:01 medium x\n", -1, 3, "unknown medium");
  /* identity namespaces <system>-<NAME> must be unambiguous */
  world_rejects(SYS1 "system a-x\n", -1, 4, "ambiguous");
  world_rejects("medium m\nsystem a-x\nsystem a\n", -1, 3, "ambiguous");
  /* names in the hub */
  world_rejects("medium a\nsystem a\n iface eth1 mac 02:00:00:00:00:01 medium a\n", -1, 2, "clashes");
  world_rejects("medium m\nsystem hub\n", -1, 2, "reserved");
  world_rejects("medium m\nsystem -x\n", -1, 2, "usage: system");
  world_rejects("medium m\nsystem ..\n", -1, 2, "usage: system");
  world_rejects(SYS1 "medium n\n", -1, 4, "declare media first");
  world_rejects(SYS1 " qspnd -t 1\n qspnd -t 2\n", -1, 5, "qspnd given twice");
  world_rejects("medium m\nsystem a\n qspnd -t 1\n", -1, 2, "no interface");
  world_rejects("medium m\n", -1, 0, "no systems");
  world_rejects("medium m\nfrobnicate\n", -1, 2, "unknown directive");
  /* a NUL byte would silently truncate the file: rejected with its line */
  world_rejects(SYS1 "system b\0\n", sizeof(SYS1 "system b\0\n") - 1, 4, "NUL byte");
  world_rejects("medium m\n\xff\n", -1, 2, "invalid UTF-8");
  char *big = g_strnfill(9000, 'x');
  char *text = g_strdup_printf("medium m\n# %s\n", big);
  world_rejects(text, -1, 2, "longer than");
  g_free(text);
  g_free(big);
}

static void
test_steps_good(void **state)
{
  (void)state;
  HnWorld *w = good_world();
  char *p = write_tmp("good.steps",
                      "step S01 one\n  arc alfa beta\n  start alfa\n  ctl& alfa show\n  ctl& beta show\n  wait\n"
                      "  ctl alfa show --json -- \"main\": true\n  await alfa show_handlednics -- eth1\n"
                      "  ctl! alfa dismiss_identity 0 -- would split\n"
                      "  deadline 2.5\n  intermediate\n  check alfa beta-entr02:contains\n"
                      "  # the script writes src, the pages do not\n"
                      "  deviation alfa \"10.0.0.23 via 1.2.3.4 dev eth1 src 10.0.0.22\" => \"10.0.0.23 via 1.2.3.4 dev eth1\"\n"
                      "  # the original wrote it in one table only\n"
                      "  deviation alfa \"unreachable 10.0.0.41 table t\" => \"\"\n"
                      "  ping rho 10.0.0.41 fail\n  ping-all\n"
                      "step S02 two\n  cut alfa beta\n  kill alfa\n  restart alfa\n"
                      "  stop alfa\n  cont alfa\n  netem alfa beta loss 20% delay 30ms\n"
                      "  netem beta alfa delay 0.5ms\n  netem alfa beta off\n  settle 0.5\n"
                      "step S03 three\n  check alfa\n  # the pages leave this route out\n"
                      "  deviation alfa \"\" => \"unreachable 10.0.0.40 table t\"\n",
                      -1);
  GError *e = NULL;
  HnSteps *s = hn_steps_load(p, w, &e);
  if (!s)
    fail_msg("%s", e->message);
  HnStep *a = g_ptr_array_index(s->steps, 0), *b = g_ptr_array_index(s->steps, 1);
  assert_int_equal(a->actions->len, 8);
  HnAction *ctl = g_ptr_array_index(a->actions, 5);
  assert_int_equal(ctl->kind, HN_ACT_CTL);
  assert_string_equal(ctl->b, "show --json");
  assert_string_equal(ctl->text, "\"main\": true");
  HnAction *aw = g_ptr_array_index(a->actions, 6);
  assert_int_equal(aw->kind, HN_ACT_AWAIT);
  assert_string_equal(aw->text, "eth1");
  HnAction *refused = g_ptr_array_index(a->actions, 7);
  assert_int_equal(refused->kind, HN_ACT_CTL_REFUSED);
  assert_string_equal(refused->b, "dismiss_identity 0");
  assert_string_equal(refused->text, "would split");
  assert_true(a->deadline == 2.5 && a->intermediate);
  assert_true(((HnCheck *)g_ptr_array_index(a->checks, 1))->contains);
  HnDeviation *d = g_ptr_array_index(a->deviations, 0);
  assert_string_equal(d->to, "10.0.0.23 via 1.2.3.4 dev eth1");
  assert_string_equal(d->reason, "the script writes src, the pages do not");
  assert_int_equal(a->pings->len, 2);
  assert_true(((HnPing *)g_ptr_array_index(a->pings, 1))->all);
  assert_true(b->settle && b->settle_quiet == 0.5);
  assert_int_equal(((HnAction *)g_ptr_array_index(b->actions, 0))->kind, HN_ACT_CUT);
  assert_int_equal(b->actions->len, 8);
  assert_int_equal(((HnAction *)g_ptr_array_index(b->actions, 3))->kind, HN_ACT_STOP);
  assert_int_equal(((HnAction *)g_ptr_array_index(b->actions, 4))->kind, HN_ACT_CONT);
  HnAction *netem = g_ptr_array_index(b->actions, 5);
  assert_int_equal(netem->kind, HN_ACT_NETEM);
  assert_string_equal(netem->a, "alfa");
  assert_string_equal(netem->b, "beta");
  assert_string_equal(netem->text, "loss 20% delay 30ms");
  assert_string_equal(((HnAction *)g_ptr_array_index(b->actions, 6))->text, "delay 0.5ms");
  netem = g_ptr_array_index(b->actions, 7);
  assert_int_equal(netem->kind, HN_ACT_NETEM);
  assert_null(netem->text); /* off */
  /* deviations: the documented line replaced; one that matches nothing is an error */
  guint n = 0;
  char *out = hn_apply_deviations(a, "alfa", "x\n10.0.0.23 via 1.2.3.4 dev eth1 src 10.0.0.22\ny\n", "f.txt", &n, &e);
  /* the removal matches no line here */
  assert_null(out);
  assert_non_null(strstr(e->message, "unreachable 10.0.0.41 table t"));
  g_clear_error(&e);
  /* and an empty correct line removes the documented one */
  out = hn_apply_deviations(a, "alfa", "x\n10.0.0.23 via 1.2.3.4 dev eth1 src 10.0.0.22\nunreachable 10.0.0.41 table t\ny\n",
                            "f.txt", &n, &e);
  assert_string_equal(out, "x\n10.0.0.23 via 1.2.3.4 dev eth1\ny\n");
  assert_int_equal(n, 2);
  g_free(out);
  /* a removal takes one copy of a line the original wrote twice */
  out = hn_apply_deviations(a, "alfa", "10.0.0.23 via 1.2.3.4 dev eth1 src 10.0.0.22\nunreachable 10.0.0.41 table t\n"
                            "unreachable 10.0.0.41 table t\n", "f.txt", &n, &e);
  assert_string_equal(out, "10.0.0.23 via 1.2.3.4 dev eth1\nunreachable 10.0.0.41 table t\n");
  g_free(out);
  assert_null(hn_apply_deviations(a, "alfa", "x\ny\n", "f.txt", &n, &e));
  assert_non_null(strstr(e->message, "matches no line of f.txt"));
  g_clear_error(&e);
  /* an addition goes into the routes section */
  HnStep *c = g_ptr_array_index(s->steps, 2);
  out = hn_apply_deviations(c, "alfa", "### ip route show table all\nr1\n### ip rule\nx\n", "f.txt", &n, &e);
  assert_string_equal(out, "### ip route show table all\nunreachable 10.0.0.40 table t\nr1\n### ip rule\nx\n");
  g_free(out);
  assert_null(hn_apply_deviations(c, "alfa", "### ip rule\nx\n", "f.txt", &n, &e));
  assert_non_null(strstr(e->message, "has no section"));
  g_clear_error(&e);
  out = hn_apply_deviations(a, "beta", "x\n", "f.txt", &n, &e); /* other namespace: untouched */
  assert_string_equal(out, "x\n");
  assert_int_equal(n, 0);
  g_free(out);
  hn_steps_free(s);
  g_free(p);
  hn_world_free(w);
}

static void
test_steps_rejects(void **state)
{
  (void)state;
  HnWorld *w = good_world();
  /* unknown names in check */
  steps_rejects(w, "step S01 x\n check alfa gamma\n", -1, 2, "unknown namespace gamma");
  steps_rejects(w, "step S01 x\n check gamma-entr02\n", -1, 2, "unknown namespace");
  steps_rejects(w, "step S01 x\n check alfa:exact\n", -1, 2, "unknown mode");
  steps_rejects(w, "step S01 x\n check alfa alfa\n", -1, 2, "twice");
  steps_rejects(w, "step S01 x\n check all\n check alfa\n", -1, 3, "check all with");
  /* deadlines: finite decimal numbers in (0, 3600] */
  const char *bad_deadlines[] = { "nan", "inf", "1e29", "-1", "0", "0x10", "1e2", "3601", "2s", NULL };
  for (int i = 0; bad_deadlines[i]; i++) {
    char *t = g_strdup_printf("step S01 x\n deadline %s\n check all\n", bad_deadlines[i]);
    steps_rejects(w, t, -1, 2, "usage: deadline");
    g_free(t);
  }
  steps_rejects(w, "step S01 x\n settle nan\n", -1, 2, "usage: settle");
  steps_rejects(w, "step S01 x\n check all\n settle\n", -1, 3, "with check");
  /* empty files, NUL bytes */
  steps_rejects(w, "", -1, 0, "no steps");
  steps_rejects(w, "# only a comment\n\n", -1, 0, "no steps");
  steps_rejects(w, "step S01 x\n check all\nstep S02 y\0 check all\n", 33, 3, "NUL byte");
  /* structure */
  steps_rejects(w, "check all\n", -1, 1, "before the first step");
  steps_rejects(w, "step S01 x\n start alfa\n", -1, 1, "no check or settle");
  /* actions run before the checkpoint and pings: none may be written after them */
  steps_rejects(w, "step S01 x\n settle\n admin alfa true\n", -1, 3, "after the step's checkpoint or pings (line 2)");
  steps_rejects(w, "step S01 x\n check all\n ctl alfa show\n", -1, 3, "write it before line 2");
  steps_rejects(w, "step S01 x\n ping-all\n settle\n await alfa show -- x\n", -1, 4, "(line 2)");
  steps_rejects(w, "step S01 x\n settle\nstep S02 y\n ping alfa 10.0.0.3 ok\n netem alfa beta loss 1%\n settle\n", -1, 5,
                "netem after");
  steps_rejects(w, "step S01 x\n check all\nstep S01 y\n check all\n", -1, 3, "defined twice");
  steps_rejects(w, "step S-1 x\n check all\n", -1, 1, "no '-'");
  steps_rejects(w, "step S01 x\n start rho\n check all\n", -1, 2, "no qspnd line");
  steps_rejects(w, "step S01 x\n arc alfa alfa\n check all\n", -1, 2, "the same system twice");
  steps_rejects(w, "step S01 x\n arc alfa\n check all\n", -1, 2, "usage: arc");
  steps_rejects(w, "step S01 x\n ctl& alfa show\n check all\n", -1, 2, "without a later wait");
  steps_rejects(w, "step S01 x\n await alfa show\n check all\n", -1, 2, "usage: await");
  steps_rejects(w, "step S01 x\n await alfa show --\n check all\n", -1, 2, "usage: await");
  steps_rejects(w, "step S01 x\n ctl! alfa dismiss_identity 0\n check all\n", -1, 2, "usage: ctl!");
  steps_rejects(w, "step S01 x\n ctl alfa 'show\n check all\n", -1, 2, "bad quoting");
  steps_rejects(w, "step S01 x\n ping alfa 10.0.0.300 ok\n check all\n", -1, 2, "bad IPv4");
  steps_rejects(w, "step S01 x\n ping alfa 10.0.0.3 maybe\n check all\n", -1, 2, "usage: ping");
  steps_rejects(w, "step S01 x\n ping zeta 10.0.0.3 ok\n check all\n", -1, 2, "unknown system zeta");
  /* stop / cont: one system that runs qspnd */
  steps_rejects(w, "step S01 x\n stop\n settle\n", -1, 2, "usage: stop SYSTEM");
  steps_rejects(w, "step S01 x\n stop alfa beta\n settle\n", -1, 2, "usage: stop SYSTEM");
  steps_rejects(w, "step S01 x\n cont zeta\n settle\n", -1, 2, "unknown system zeta");
  steps_rejects(w, "step S01 x\n stop rho\n settle\n", -1, 2, "no qspnd line");
  /* netem: arity, systems, parameters */
  const char *bad_netem[][2] = {
    { "netem alfa beta", "usage: netem" },
    { "netem alfa beta loss", "usage: netem" },
    { "netem alfa beta on", "usage: netem" },
    { "netem alfa beta off now", "usage: netem" },
    { "netem alfa beta loss 20% delay", "usage: netem" },
    { "netem alfa beta loss 1% delay 1ms loss 2%", "usage: netem" },
    { "netem zeta beta loss 20%", "unknown system zeta" },
    { "netem alfa alfa loss 20%", "the same system twice" },
    { "netem alfa rho loss 20%", "no common medium" },
    { "netem alfa beta jitter 5ms", "unknown parameter jitter" },
    { "netem alfa beta loss 20% loss 30%", "loss given twice" },
    { "netem alfa beta loss 20", "bad loss 20" },
    { "netem alfa beta loss 101%", "bad loss 101%" },
    { "netem alfa beta loss 0%", "bad loss 0%" },
    { "netem alfa beta loss -5%", "bad loss -5%" },
    { "netem alfa beta loss nan%", "bad loss nan%" },
    { "netem alfa beta loss %", "bad loss %" },
    { "netem alfa beta delay 30", "bad delay 30" },
    { "netem alfa beta delay 30s", "bad delay 30s" },
    { "netem alfa beta delay 1e3ms", "bad delay 1e3ms" },
    { "netem alfa beta delay 10001ms", "bad delay 10001ms" },
    { "netem alfa beta delay 0ms", "bad delay 0ms" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(bad_netem); i++) {
    char *t = g_strdup_printf("step S01 x\n %s\n settle\n", bad_netem[i][0]);
    steps_rejects(w, t, -1, 2, bad_netem[i][1]);
    g_free(t);
  }
  /* deviations: syntax, reason, a compared namespace */
  steps_rejects(w, "step S01 x\n check all\n deviation alfa \"a\" => \"b\"\n", -1, 3, "without a reason");
  steps_rejects(w, "step S01 x\n check all\n # why\n deviation alfa \"a\" \"b\"\n", -1, 4, "usage: deviation");
  steps_rejects(w, "step S01 x\n check all\n # why\n deviation alfa \"a\" => \"a\"\n", -1, 4, "equals");
  steps_rejects(w, "step S01 x\n check beta\n # why\n deviation alfa \"a\" => \"b\"\n", -1, 4, "does not compare");
  steps_rejects(w, "step S01 x\n settle\n # why\n deviation alfa \"a\" => \"b\"\n", -1, 4, "does not compare");
  hn_world_free(w);
}

static void
test_only(void **state)
{
  (void)state;
  HnWorld *w = good_world();
  char *p = write_tmp("only.steps", "step S01a x\n check all\nstep S01b y\n check all\nstep S02 z\n check all\n", -1);
  GError *e = NULL;
  HnSteps *s = hn_steps_load(p, w, &e);
  assert_non_null(s);
  gboolean sel[3];
  assert_true(hn_steps_select(s, "S01", sel, &e));
  assert_true(sel[0] && sel[1] && !sel[2]);
  assert_true(hn_steps_select(s, "S01b-S02", sel, &e));
  assert_true(!sel[0] && sel[1] && sel[2]);
  const char *bad[] = { ",", "", "S01a,", ",S02", "S09", "S02-S01a", "-", "S01a-", NULL };
  for (int i = 0; bad[i]; i++) {
    if (hn_steps_select(s, bad[i], sel, &e))
      fail_msg("--only \"%s\" accepted", bad[i]);
    assert_non_null(strstr(e->message, "--only"));
    g_clear_error(&e);
  }
  hn_steps_free(s);
  g_free(p);
  hn_world_free(w);
}

/* PINGS.txt: the documented file parses (535 checks, all OK); bad lines rejected */
static void
test_pings(void **state)
{
  (void)state;
  GError *e = NULL;
  char *world = g_build_filename(source_root, "topologies", "greek.world", NULL);
  HnWorld *w = hn_world_load(world, &e);
  if (!w)
    fail_msg("%s", e->message);
  char *pp = g_build_filename(shared_dir, "scenarios", "expected", "PINGS.txt", NULL);
  HnPingList *l = hn_pings_load(pp, w, &e);
  if (!l)
    fail_msg("%s", e->message);
  assert_int_equal(hn_pings_total(l), 535);
  GPtrArray *s02d = hn_pings_for(l, "S02d");
  assert_int_equal(s02d->len, 5); /* PINGS.txt: S02d beta 10.0.0.22 line 681 OK ... */
  HnDocPing *d = g_ptr_array_index(s02d, 0);
  assert_string_equal(d->src, "beta");
  assert_string_equal(d->dest, "10.0.0.22");
  assert_int_equal(d->doc_line, 681);
  assert_true(d->expect_ok);
  assert_int_equal(hn_pings_for(l, "S01a")->len, 0);
  hn_pings_free(l);
  const char *bad[][2] = { { "S02d zeta 10.0.0.22 line 681 OK\n", "unknown source system" },
                           { "S02d beta 10.0.0.256 line 681 OK\n", "bad IPv4" },
                           { "S02d beta 10.0.0.22 line 681 MAYBE\n", "expected" },
                           { "S02d beta 10.0.0.22 line x OK\n", "expected" },
                           { "S02d beta 10.0.0.22\n", "expected" } };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    char *p = write_tmp("PINGS.txt", bad[i][0], -1);
    assert_null(hn_pings_load(p, w, &e));
    char *where = g_strdup_printf("%s:1: ", p);
    assert_true(g_str_has_prefix(e->message, where));
    assert_non_null(strstr(e->message, bad[i][1]));
    g_clear_error(&e);
    g_free(where);
    g_free(p);
  }
  g_free(pp);
  g_free(world);
  hn_world_free(w);
}


int
main(int argc, char **argv)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_world_good), cmocka_unit_test(test_world_rejects), cmocka_unit_test(test_from_data),
    cmocka_unit_test(test_steps_good), cmocka_unit_test(test_steps_rejects), cmocka_unit_test(test_only),
    cmocka_unit_test(test_pings),
  };
  return inputs_test_main(argc, argv, "harness parsers", tests, G_N_ELEMENTS(tests));
}
