/* qspn-harness -- netns testbed of qspnd.
 *
 *   qspn-harness run --world W --steps S --expected DIR (--qspnd P --qspnctl P |
 *                    --replay-documented SEQUENCE) [--only SPEC] ...
 *   qspn-harness sweep [-v]
 *   qspn-harness normalise [-s] [FILE]
 *   qspn-harness parse --world W [--steps S [--expected DIR] [--only SPEC] ...]
 *
 * See docs/harness.md.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "normalise.h"
#include "parse.h"
#include "run.h"

static const char USAGE[] =
  "Usage:\n"
  "  qspn-harness run --world FILE --steps FILE --expected DIR\n"
  "                   (--qspnd PATH --qspnctl PATH | --replay-documented SEQUENCE_SH)\n"
  "                   [--only SPEC] [--stop-at STEP] [--pings all|quiescent|none] [--dump-dir DIR]\n"
  "                   [--pictures DIR [--picture-path SRC:DST]] [--artifacts DIR] [--deadline S] [--start-deadline S] [--max-seconds S]\n"
  "                   [--strict] [--keep] [--json FILE] [-v]\n"
  "  qspn-harness sweep            remove what dead harness runs left (netns qh<pid>-*, daemons, ...)\n"
  "  qspn-harness normalise [-s] [FILE]   normalise a dump like normalise.sh [-s]\n"
  "  qspn-harness parse --world FILE [--steps FILE [--expected DIR] [--only SPEC] [--stop-at STEP]\n"
  "                     [--replay-documented SEQUENCE_SH]]   check the files, create nothing\n"
  "\n"
  "run builds the world (namespaces, hub bridges, veths, MACs) with a unique prefix qh<pid>-,\n"
  "executes the steps in order (start qspnd, administrator commands, arcs, ...), and at each\n"
  "selected step polls the kernel state of the checked namespaces (identity namespaces\n"
  "included) until it equals EXPECTED/<id>-<slug>/<ns>.txt (semantic normalisation) or the\n"
  "deadline passes, then runs the step's pings (EXPECTED/PINGS.txt and ping directives).\n"
  "Then it quits every qspnd, verifies nothing of theirs is left, removes everything it\n"
  "created and prints \"pings: X/Y ok\" and \"N passed, N failed\".  Exit 0 iff all passed;\n"
  "2 bad input (nothing created); 77 if not root.  On a terminal a progress line (step n of m,\n"
  "what it waits for, elapsed times) is rewritten in place; otherwise the output is plain lines.\n"
  "\n"
  "Options of run:\n"
  "  --only SPEC            steps to check, e.g. S01a-S01f,S10a-S10c or S01 (default: all);\n"
  "                         the actions of every earlier step are executed anyway, each\n"
  "                         followed by quiescence (no comparison, no pings)\n"
  "  --stop-at STEP         stop after STEP (inclusive), report, and leave the testbed and the\n"
  "                         daemons running for inspection (clean up with: qspn-harness sweep)\n"
  "  --pings MODE           documented pings to run: all (default), quiescent (only at steps\n"
  "                         not marked intermediate), none\n"
  "  --dump-dir DIR         write every namespace's raw and normalised state after every step\n"
  "                         (DIR/<id>-<slug>/<ns>.raw.txt, .norm.txt)\n"
  "  --pictures DIR         at every quiescent checkpoint that passes, draw the live state\n"
  "                         (systems, identities, identity-arcs coloured by g-node, and the\n"
  "                         path a packet takes from the first to the last running system\n"
  "                         through the kernels' tables) as DIR/<id>-<slug>.svg (graphviz dot)\n"
  "  --picture-path SRC:DST the two systems whose path the pictures draw (default: the first\n"
  "                         and the last system of the world that run a qspnd)\n"
  "  --artifacts DIR        where failure artifacts go (default ./harness-artifacts)\n"
  "  --deadline S           per-checkpoint deadline (default 20)\n"
  "  --start-deadline S     time for a qspnd to create its FIFOs (default 20)\n"
  "  --max-seconds S        watchdog for the whole run (default 600)\n"
  "  --replay-documented F  run the documented commands of each step from F\n"
  "                         (shared/scenarios/sequence-netns.sh) instead of qspnd: checks the\n"
  "                         testbed, the dump and the comparator independently of qspnd\n"
  "  --strict               strict normalisation instead of semantic (replay only)\n"
  "  --keep                 leave the namespaces in place (remove later with sweep)\n"
  "  --json FILE            also write a machine-readable report: every report line (status,\n"
  "                         duration, settle time, checks, pings, failures) and the totals\n"
  "                         (docs/json-schema/harness-report.json)\n"
  "  -v, --verbose          more output\n";

static int G_GNUC_PRINTF(1, 2)
usage_error(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n%s", USAGE);
  return 2;
}

/* Parse argv[2..]; returns -1 when fine, else the exit code. */
static int
parse_args(int argc, char **argv, HnOpts *o, gboolean *semantic, const char **file)
{
  static const char *const names[] = { "--world", "--steps", "--only", "--expected", "--qspnd", "--qspnctl",
                                       "--artifacts", "--replay-documented", "--dump-dir", "--stop-at",
                                       "--pictures", "--picture-path", "--json", NULL };
  const char **fields[] = { &o->world_path, &o->steps_path, &o->only, &o->expected, &o->qspnd, &o->qspnctl,
                            &o->artifacts, &o->replay, &o->dump_dir, &o->stop_at,
                            &o->pictures, &o->picture_path, &o->json };
  static const char *const nums[] = { "--deadline", "--start-deadline", "--max-seconds", NULL };
  double *nfields[] = { &o->deadline, &o->start_deadline, &o->max_seconds };
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    gboolean done = FALSE;
    for (int k = 0; names[k] && !done; k++)
      if (!strcmp(a, names[k])) {
        if (i + 1 >= argc || !*argv[i + 1])
          return usage_error("%s needs a value", a);
        *fields[k] = argv[++i];
        done = TRUE;
      }
    for (int k = 0; nums[k] && !done; k++)
      if (!strcmp(a, nums[k])) {
        if (i + 1 >= argc || !hn_parse_seconds(argv[i + 1], 0, HN_MAX_SECONDS, nfields[k]))
          return usage_error("%s needs a number of seconds in (0, 86400]", a);
        i++;
        done = TRUE;
      }
    if (done)
      continue;
    if (!strcmp(a, "--pings")) {
      const char *m = i + 1 < argc ? argv[++i] : "";
      if (!strcmp(m, "all"))
        o->pings = HN_PINGS_ALL;
      else if (!strcmp(m, "quiescent"))
        o->pings = HN_PINGS_QUIESCENT;
      else if (!strcmp(m, "none"))
        o->pings = HN_PINGS_NONE;
      else
        return usage_error("--pings needs all, quiescent or none (got \"%s\")", m);
    } else if (!strcmp(a, "--keep"))
      o->keep = TRUE;
    else if (!strcmp(a, "--strict"))
      o->strict = TRUE;
    else if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
      o->verbose = TRUE;
    else if (!strcmp(a, "-s"))
      *semantic = TRUE;
    else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      fputs(USAGE, stdout);
      return 0;
    } else if (a[0] != '-' && !*file)
      *file = a;
    else
      return usage_error("unknown argument %s", a);
  }
  return -1;
}

static int
cmd_normalise(gboolean semantic, const char *file)
{
  char *text = NULL;
  if (file) {
    GError *e = NULL;
    if (!g_file_get_contents(file, &text, NULL, &e)) {
      fprintf(stderr, "%s\n", e->message);
      g_error_free(e);
      return 2;
    }
  } else {
    GString *s = g_string_new(NULL);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
      g_string_append_len(s, buf, n);
    text = g_string_free(s, FALSE);
  }
  char *out = hn_normalise(text, semantic);
  fputs(out, stdout);
  g_free(out);
  g_free(text);
  return 0;
}

/* parse: every check `run` makes of its inputs, nothing created */
static int
cmd_parse(HnOpts *o)
{
  GError *e = NULL;
  if (!o->world_path) {
    fprintf(stderr, "parse: --world required\n");
    return 2;
  }
  if (!o->steps_path) {
    HnWorld *w = hn_world_load(o->world_path, &e);
    if (!w) {
      fprintf(stderr, "%s\n", e->message);
      g_error_free(e);
      return 2;
    }
    printf("world %s: %u media, %u systems\n", o->world_path, w->media->len, w->systems->len);
    hn_world_free(w);
    return 0;
  }
  HnRun r = { 0 };
  gboolean *sel = NULL;
  int last = -1, rc = 0;
  if (!hn_inputs_load(o, &r, &sel, &last, FALSE, &e)) {
    fprintf(stderr, "%s\n", e->message);
    g_error_free(e);
    rc = 2;
  } else {
    printf("world %s: %u media, %u systems\n", o->world_path, r.world->media->len, r.world->systems->len);
    printf("steps %s: %u steps, %d to run\n", o->steps_path, r.steps->steps->len, last + 1);
    if (r.doc_pings)
      printf("pings: %u documented\n", hn_pings_total(r.doc_pings));
  }
  hn_inputs_free(&r);
  g_free(sel);
  return rc;
}

int
main(int argc, char **argv)
{
  HnOpts o = { 0 };
  o.deadline = 20;
  o.start_deadline = 20;
  o.max_seconds = 600;
  o.artifacts = "harness-artifacts";
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    fputs(USAGE, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const char *cmd = argv[1];
  gboolean semantic = FALSE;
  const char *file = NULL;
  int rc = parse_args(argc, argv, &o, &semantic, &file);
  if (rc >= 0)
    return rc;
  /* environment fallbacks (meson / make) */
  if (!o.qspnd)
    o.qspnd = getenv("QSPND");
  if (!o.qspnctl)
    o.qspnctl = getenv("QSPNCTL");
  /* admin lines may call the client themselves (a monitor in the background) */
  if (o.qspnctl)
    g_setenv("QSPNCTL", o.qspnctl, TRUE);
  if (!strcmp(cmd, "run"))
    return hn_cmd_run(&o);
  if (!strcmp(cmd, "sweep")) {
    if (geteuid() != 0) {
      fprintf(stderr, "sweep needs root\n");
      return 77;
    }
    printf("sweep: %d object(s) removed\n", hn_sweep(TRUE));
    return 0;
  }
  if (!strcmp(cmd, "normalise") || !strcmp(cmd, "normalize"))
    return cmd_normalise(semantic, file);
  if (!strcmp(cmd, "parse"))
    return cmd_parse(&o);
  return usage_error("unknown command %s", cmd);
}
