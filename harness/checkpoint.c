/* checkpoint.c -- the checkpoint of a step: compare the kernel state with
 * expected/<id>-<slug>/ (check) or await quiescence (settle); artifacts on
 * failure; --dump-dir. */
#define _GNU_SOURCE
#include "normalise.h"
#include "run.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

typedef struct {
  char *norm;  /* normalised expected dump (deviations applied), or NULL */
  char *error; /* why there is none */
  guint deviations;
} Exp;

typedef struct {
  HnRun *r;
  HnStep *st;
  char *stepdir;
  gboolean semantic;
  GHashTable *exp;      /* ns name -> Exp* */
  GPtrArray *doc_ids;   /* identity namespaces documented at this step */
  GPtrArray *nss;       /* HnNs* compared by the last poll */
  GArray *contains;     /* gboolean per nss entry */
  char **raw, **norm;
  gboolean *good;
  GString *set_diff;    /* namespaces missing or extra in the last poll */
} Poll;

static void
exp_free(gpointer p)
{
  Exp *e = p;
  g_free(e->norm);
  g_free(e->error);
  g_free(e);
}

static Exp *
exp_get(Poll *p, const char *name)
{
  Exp *e = g_hash_table_lookup(p->exp, name);
  if (e)
    return e;
  e = g_new0(Exp, 1);
  char *path = g_strdup_printf("%s/%s/%s.txt", p->r->o->expected, p->stepdir, name);
  char *text = NULL;
  GError *err = NULL;
  if (!g_file_get_contents(path, &text, NULL, NULL)) {
    e->error = g_strdup_printf("no expected dump %s", path);
  } else {
    char *dev = hn_apply_deviations(p->st, name, text, path, &e->deviations, &err);
    if (!dev) {
      e->error = g_strdup(err->message);
      g_error_free(err);
    } else {
      e->norm = hn_normalise(dev, p->semantic);
    }
    g_free(dev);
  }
  g_free(text);
  g_free(path);
  g_hash_table_insert(p->exp, g_strdup(name), e);
  return e;
}

/* identity namespaces (<system>-<NAME>.txt) of the expected directory */
static GPtrArray *
documented_identities(HnRun *r, const char *stepdir, GString *why)
{
  char *d = g_strdup_printf("%s/%s", r->o->expected, stepdir);
  GPtrArray *names = hn_dir_names(d), *ids = g_ptr_array_new_with_free_func(g_free);
  if (!g_file_test(d, G_FILE_TEST_IS_DIR))
    g_string_append_printf(why, "no expected directory %s; ", d);
  for (guint i = 0; i < names->len; i++) {
    const char *n = g_ptr_array_index(names, i);
    if (!g_str_has_suffix(n, ".txt"))
      continue;
    char *base = g_strndup(n, strlen(n) - 4);
    if (hn_world_system(r->world, base))
      g_free(base);
    else if (hn_world_identity_system(r->world, base))
      g_ptr_array_add(ids, base);
    else {
      g_string_append_printf(why, "documented namespace %s is not a system of the world; ", base);
      g_free(base);
    }
  }
  g_ptr_array_free(names, TRUE);
  g_free(d);
  return ids;
}

static void
poll_add(Poll *p, HnNs *ns, gboolean contains)
{
  g_ptr_array_add(p->nss, ns);
  g_array_append_val(p->contains, contains);
}

/* What this poll compares: every namespace alive (check all) or the listed
 * ones; the namespace sets must match the documentation. */
static void
poll_targets(Poll *p)
{
  HnRun *r = p->r;
  g_ptr_array_set_size(p->nss, 0);
  g_array_set_size(p->contains, 0);
  g_string_truncate(p->set_diff, 0);
  hn_bed_refresh_identities(r->bed);
  if (p->st->check_all) {
    GPtrArray *all = hn_bed_all(r->bed);
    for (guint i = 0; i < all->len; i++) {
      HnNs *ns = g_ptr_array_index(all, i);
      if (ns->parent && !hn_str_in(p->doc_ids, ns->name))
        g_string_append_printf(p->set_diff, "namespace %s exists but is not documented; ", ns->name);
      poll_add(p, ns, FALSE);
    }
    g_ptr_array_free(all, TRUE);
    for (guint i = 0; i < p->doc_ids->len; i++)
      if (!hn_bed_ns(r->bed, g_ptr_array_index(p->doc_ids, i)))
        g_string_append_printf(p->set_diff, "documented namespace %s missing; ",
                               (char *)g_ptr_array_index(p->doc_ids, i));
    return;
  }
  for (guint i = 0; i < p->st->checks->len; i++) {
    HnCheck *c = g_ptr_array_index(p->st->checks, i);
    HnNs *ns = hn_bed_ns(r->bed, c->ns);
    if (ns)
      poll_add(p, ns, c->contains);
    else
      g_string_append_printf(p->set_diff, "namespace %s missing; ", c->ns);
  }
}

static gboolean
poll_once(Poll *p)
{
  g_strfreev(p->raw);
  g_strfreev(p->norm);
  g_free(p->good);
  poll_targets(p);
  guint n = p->nss->len;
  p->raw = hn_bed_dump(p->r->bed, (HnNs **)p->nss->pdata, n, TRUE);
  p->norm = g_new0(char *, n + 1);
  p->good = g_new0(gboolean, n + 1);
  gboolean all = p->set_diff->len == 0;
  for (guint i = 0; i < n; i++) {
    HnNs *ns = g_ptr_array_index(p->nss, i);
    Exp *e = exp_get(p, ns->name);
    p->norm[i] = hn_normalise(p->raw[i], p->semantic);
    p->good[i] = e->norm && hn_compare(e->norm, p->norm[i],
                                       g_array_index(p->contains, gboolean, i) ? HN_CMP_CONTAINS : HN_CMP_EXACT,
                                       NULL, 0);
    all = all && p->good[i];
  }
  return all;
}

static void
save_artifacts(Poll *p, GString *why)
{
  HnRun *r = p->r;
  char *dir = g_build_filename(hn_art_dir(r), p->stepdir, NULL);
  for (guint i = 0; p->raw && i < p->nss->len; i++) {
    HnNs *ns = g_ptr_array_index(p->nss, i);
    Exp *e = exp_get(p, ns->name);
    char *n = g_strdup_printf("%s.raw.txt", ns->name);
    hn_save(dir, n, p->raw[i]);
    g_free(n);
    n = g_strdup_printf("%s.norm.txt", ns->name);
    hn_save(dir, n, p->norm[i]);
    g_free(n);
    if (!e->norm || p->good[i])
      continue;
    n = g_strdup_printf("%s.expected.norm.txt", ns->name);
    hn_save(dir, n, e->norm);
    g_free(n);
    char *a = g_strdup_printf("%s/%s.expected.norm.txt", dir, ns->name);
    char *b = g_strdup_printf("%s/%s.norm.txt", dir, ns->name);
    char *argv[] = { "diff", "-u", a, b, NULL };
    char *out = NULL;
    hn_run(argv, NULL, &out);
    n = g_strdup_printf("%s.diff", ns->name);
    hn_save(dir, n, out);
    if (r->o->verbose) {
      GString *rep = g_string_new(NULL);
      hn_compare(e->norm, p->norm[i], g_array_index(p->contains, gboolean, i) ? HN_CMP_CONTAINS : HN_CMP_EXACT,
                 rep, 8);
      hn_progress_clear();
      printf("  %s:\n%s", ns->name, rep->str);
      g_string_free(rep, TRUE);
    }
    g_free(n);
    g_free(out);
    g_free(a);
    g_free(b);
  }
  hn_save_daemon_state(r, dir);
  g_string_append_printf(why, "artifacts: %s", dir);
  g_free(dir);
}

/* "compared: alfa, beta [contains], beta-migr01 (2 deviations)" */
static void
describe(Poll *p, GString *d)
{
  guint devs = 0;
  g_string_append(d, "compared: ");
  if (p->st->check_all)
    g_string_append_printf(d, "all %u systems%s", p->r->bed->nss->len, p->r->bed->idns->len ? " + " : "");
  gboolean first = TRUE;
  for (guint i = 0; i < p->nss->len; i++) {
    HnNs *ns = g_ptr_array_index(p->nss, i);
    devs += exp_get(p, ns->name)->deviations;
    if (p->st->check_all && !ns->parent)
      continue;
    g_string_append_printf(d, "%s%s%s", first ? "" : ", ", ns->name,
                           g_array_index(p->contains, gboolean, i) ? " [contains]" : "");
    first = FALSE;
  }
  if (devs)
    g_string_append_printf(d, " (%u deviation%s)", devs, devs == 1 ? "" : "s");
}

static void
dead_daemons(HnRun *r, GString *why)
{
  for (guint i = 0; i < r->bed->nss->len; i++) {
    HnNs *ns = g_ptr_array_index(r->bed->nss, i);
    char *tag = g_strdup_printf("qspnd of %s ", ns->name);
    if (ns->pid > 0 && !ns->killed && !hn_ns_daemon_alive(ns) && !strstr(why->str, tag) &&
        !(WIFEXITED(ns->exit_status) && WEXITSTATUS(ns->exit_status) == 0))
      g_string_append_printf(why, "qspnd of %s ended (%s); ", ns->name, hn_status_str(ns->exit_status));
    g_free(tag);
  }
}

static gboolean
compare_loop(Poll *p, const char *action_error, GString *why, double *secs)
{
  HnRun *r = p->r;
  double deadline = p->st->deadline > 0 ? p->st->deadline : r->o->deadline;
  double start = hn_now();
  gboolean ok;
  for (;;) {
    ok = poll_once(p);
    if (ok || action_error || hn_interrupted || hn_now() - start > deadline)
      break;
    guint differ = 0;
    for (guint i = 0; i < p->nss->len; i++)
      differ += !p->good[i];
    hn_progress_phase("check: %u of %u namespaces differ (%.0fs of %.0fs)", differ, p->nss->len,
                      hn_now() - start, deadline);
    hn_sleep(0.1);
  }
  *secs = hn_now() - start;
  if (ok && !action_error)
    return TRUE;
  if (action_error)
    g_string_append_printf(why, "%s; ", action_error);
  else if (hn_interrupted)
    g_string_append(why, "interrupted; ");
  g_string_append(why, p->set_diff->str);
  GString *bad = g_string_new(NULL);
  for (guint i = 0; i < p->nss->len; i++) {
    HnNs *ns = g_ptr_array_index(p->nss, i);
    Exp *e = exp_get(p, ns->name);
    if (e->error)
      g_string_append_printf(why, "%s; ", e->error);
    else if (!p->good[i])
      g_string_append_printf(bad, "%s%s", bad->len ? ", " : "", ns->name);
  }
  if (bad->len && action_error)
    g_string_append_printf(why, "%s differ; ", bad->str);
  else if (bad->len)
    g_string_append_printf(why, "%s differ after %.0fs; ", bad->str, deadline);
  g_string_free(bad, TRUE);
  return FALSE;
}

/* settle: the strict-normalised state of every namespace (identity
 * namespaces included) unchanged for st->settle_quiet seconds */
static gboolean
settle_loop(Poll *p, const char *action_error, GString *detail, GString *why, double *secs)
{
  HnRun *r = p->r;
  double deadline = p->st->deadline > 0 ? p->st->deadline : r->o->deadline;
  double start = hn_now(), since = start;
  char *prev = NULL;
  gboolean ok = FALSE;
  for (;;) {
    g_strfreev(p->raw);
    g_ptr_array_set_size(p->nss, 0);
    g_array_set_size(p->contains, 0);
    hn_bed_refresh_identities(r->bed);
    GPtrArray *all = hn_bed_all(r->bed);
    for (guint i = 0; i < all->len; i++)
      poll_add(p, g_ptr_array_index(all, i), FALSE);
    g_ptr_array_free(all, TRUE);
    p->raw = hn_bed_dump(r->bed, (HnNs **)p->nss->pdata, p->nss->len, TRUE);
    GString *cur = g_string_new(NULL);
    for (guint i = 0; i < p->nss->len; i++) {
      char *n = hn_normalise(p->raw[i], FALSE);
      g_string_append_printf(cur, "@@ %s\n%s", ((HnNs *)g_ptr_array_index(p->nss, i))->name, n);
      g_free(n);
    }
    double now = hn_now();
    if (!prev || strcmp(prev, cur->str)) {
      g_free(prev);
      prev = g_string_free(cur, FALSE);
      since = now;
    } else {
      g_string_free(cur, TRUE);
    }
    ok = !action_error && now - since >= p->st->settle_quiet;
    if (ok || action_error || hn_interrupted || now - start > deadline)
      break;
    hn_progress_phase("settle: %u namespaces unchanged for %.1fs of %.1fs (%.0fs of %.0fs)", p->nss->len,
                      now - since, p->st->settle_quiet, now - start, deadline);
    hn_sleep(0.1);
  }
  g_free(prev);
  *secs = since - start;
  if (ok)
    g_string_append_printf(detail, "settled after %.1fs: %u namespaces unchanged for %.1fs", *secs, p->nss->len,
                           p->st->settle_quiet);
  else
    g_string_append_printf(detail, "settle: %u namespaces", p->nss->len);
  if (ok)
    ;
  else if (action_error)
    g_string_append_printf(why, "%s; ", action_error);
  else
    g_string_append_printf(why, "still changing after %.0fs; ", deadline);
  return ok;
}

/* What the report (--json) says of this checkpoint. */
static void
record(Poll *p, gboolean ok, double secs, const char *why)
{
  HnStepRecord *c = p->r->cur;
  if (!c)
    return;
  c->checkpoint = p->st->settle ? "settle" : "check";
  c->settle = secs;
  c->namespaces = p->nss->len;
  c->differing = c->deviations = 0;
  for (guint i = 0; !p->st->settle && i < p->nss->len; i++) {
    Exp *e = exp_get(p, ((HnNs *)g_ptr_array_index(p->nss, i))->name);
    c->differing += p->good && !p->good[i];
    c->deviations += e->deviations;
  }
  if (!ok)
    hn_record_failures(c, why);
}

static void
poll_clear(Poll *p)
{
  g_strfreev(p->raw);
  g_strfreev(p->norm);
  g_free(p->good);
  g_hash_table_destroy(p->exp);
  g_ptr_array_free(p->doc_ids, TRUE);
  g_ptr_array_free(p->nss, TRUE);
  g_array_free(p->contains, TRUE);
  g_string_free(p->set_diff, TRUE);
  g_free(p->stepdir);
}

gboolean
hn_checkpoint(HnRun *r, HnStep *st, const char *action_error, GString *detail, double *secs)
{
  Poll p = { 0 };
  p.r = r;
  p.st = st;
  p.stepdir = g_strdup_printf("%s-%s", st->id, st->slug);
  p.semantic = !r->o->strict;
  p.exp = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, exp_free);
  p.nss = g_ptr_array_new();
  p.contains = g_array_new(FALSE, TRUE, sizeof(gboolean));
  p.set_diff = g_string_new(NULL);
  GString *why = g_string_new(NULL);
  gboolean ok;
  if (st->settle) {
    p.doc_ids = g_ptr_array_new();
    ok = settle_loop(&p, action_error, detail, why, secs);
  } else {
    p.doc_ids = documented_identities(r, p.stepdir, why);
    char *pre = why->len ? g_strdup(hn_tidy(why)) : NULL;
    g_string_truncate(why, 0);
    if (pre && action_error) {
      char *both = g_strdup_printf("%s; %s", action_error, pre);
      g_free(pre);
      pre = both;
    }
    ok = compare_loop(&p, pre ? pre : action_error, why, secs);
    g_free(pre);
    describe(&p, detail);
  }
  if (!ok) {
    dead_daemons(r, why);
    if (!st->settle)
      save_artifacts(&p, why);
    g_string_append_printf(detail, "; %s", hn_tidy(why));
  }
  record(&p, ok, *secs, why->str);
  if (r->o->dump_dir) {
    GPtrArray *all = hn_bed_all(r->bed);
    if (p.raw && p.nss->len == all->len)
      hn_dump_dir_write(r, st, (HnNs **)p.nss->pdata, p.nss->len, p.raw);
    else {
      char **raw = hn_bed_dump(r->bed, (HnNs **)all->pdata, all->len, TRUE);
      hn_dump_dir_write(r, st, (HnNs **)all->pdata, all->len, raw);
      g_strfreev(raw);
    }
    g_ptr_array_free(all, TRUE);
  }
  g_string_free(why, TRUE);
  poll_clear(&p);
  return ok;
}

void
hn_dump_dir_write(HnRun *r, HnStep *st, HnNs **nss, guint n, char **raw)
{
  char *dir = g_strdup_printf("%s/%s-%s", r->o->dump_dir, st->id, st->slug);
  for (guint i = 0; i < n; i++) {
    char *name = g_strdup_printf("%s.raw.txt", nss[i]->name);
    char *norm = hn_normalise(raw[i], !r->o->strict);
    hn_save(dir, name, raw[i]);
    g_free(name);
    name = g_strdup_printf("%s.norm.txt", nss[i]->name);
    hn_save(dir, name, norm);
    g_free(name);
    g_free(norm);
  }
  g_free(dir);
}
