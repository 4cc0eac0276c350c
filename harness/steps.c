/* steps.c -- the steps file parser (format: topologies/README.md).  Every
 * error is "<file>:<line>: message", found before anything is created.
 * Selection (--only) and deviations: steps_use.c. */
#include "config.h"
#include "parse.h"

#include <arpa/inet.h>
#include <string.h>

static void
action_free(gpointer p)
{
  HnAction *a = p;
  g_free(a->a);
  g_free(a->b);
  g_free(a->text);
  g_free(a);
}

static void
check_free(gpointer p)
{
  HnCheck *c = p;
  g_free(c->ns);
  g_free(c);
}

static void
ping_free(gpointer p)
{
  HnPing *x = p;
  g_free(x->src);
  g_free(x->dest);
  g_free(x);
}

static void
deviation_free(gpointer p)
{
  HnDeviation *d = p;
  g_free(d->ns);
  g_free(d->from);
  g_free(d->to);
  g_free(d->reason);
  g_free(d);
}

static void
step_free(gpointer p)
{
  HnStep *s = p;
  g_free(s->id);
  g_free(s->slug);
  g_ptr_array_free(s->actions, TRUE);
  g_ptr_array_free(s->checks, TRUE);
  g_ptr_array_free(s->pings, TRUE);
  g_ptr_array_free(s->deviations, TRUE);
  g_free(s);
}

void
hn_steps_free(HnSteps *s)
{
  if (!s)
    return;
  g_free(s->path);
  g_ptr_array_free(s->steps, TRUE);
  g_free(s);
}

int
hn_steps_index(const HnSteps *s, const char *id)
{
  for (guint i = 0; i < s->steps->len; i++)
    if (!strcmp(((HnStep *)g_ptr_array_index(s->steps, i))->id, id))
      return (int)i;
  return -1;
}

typedef struct {
  const char *path;
  int ln;            /* 1-based line being parsed */
  const HnWorld *w;
  HnSteps *st;
  HnStep *cur;
  int cur_checkpoint_ln; /* first check/settle/ping line of the current step, 0 before it */
  HnText *t;
  GError **error;
} SCtx;

#define SFAIL(c, ...) hn_set_error_at((c)->error, (c)->path, (c)->ln, __VA_ARGS__)

static gboolean
need_sys(SCtx *c, const char *name, gboolean daemon)
{
  HnSystem *s = hn_world_system(c->w, name);
  if (!s)
    return SFAIL(c, "unknown system %s", name);
  if (daemon && !s->qspnd_args)
    return SFAIL(c, "system %s has no qspnd line in the world", name);
  return TRUE;
}

/* a system, or an identity namespace <system>-<NAME> */
static gboolean
need_ns(SCtx *c, const char *name)
{
  if (hn_world_system(c->w, name) || hn_world_identity_system(c->w, name))
    return TRUE;
  return SFAIL(c, "unknown namespace %s (neither a system of %s nor <system>-<NAME>)", name, c->w->path);
}

/* Actions run before the step's checkpoint and pings whatever their place in
 * the file (topologies/README.md, "Order of a step"): one written after them
 * would read as a check of the settled state but race with the event. */
static gboolean
action_in_order(SCtx *c, const char *word)
{
  if (!c->cur_checkpoint_ln)
    return TRUE;
  return SFAIL(c, "%s after the step's checkpoint or pings (line %d): actions run before them; "
               "write it before line %d, or in a step of its own after this one", word, c->cur_checkpoint_ln,
               c->cur_checkpoint_ln);
}

static HnAction *
add_action(SCtx *c, HnActionKind k, const char *a, const char *b, const char *text)
{
  HnAction *x = g_new0(HnAction, 1);
  x->kind = k;
  x->a = g_strdup(a);
  x->b = g_strdup(b);
  x->text = g_strdup(text);
  x->line = c->ln;
  g_ptr_array_add(c->cur->actions, x);
  return x;
}

/* ctl / ctl& / await: "SYSTEM COMMAND... [-- TEXT]" */
static gboolean
parse_ctl(SCtx *c, const char *line, char **wd, int nw, HnActionKind k)
{
  if (!action_in_order(c, wd[0]))
    return FALSE;
  int dd = -1;
  for (int i = 2; i < nw && dd < 0; i++)
    if (!strcmp(wd[i], "--"))
      dd = i;
  const char *usage = k == HN_ACT_AWAIT          ? "await SYSTEM QSPNCTL-COMMAND... -- TEXT"
                      : k == HN_ACT_CTL          ? "ctl SYSTEM QSPNCTL-COMMAND... [-- TEXT]"
                      : k == HN_ACT_CTL_REFUSED  ? "ctl! SYSTEM QSPNCTL-COMMAND... -- TEXT"
                                                 : "ctl& SYSTEM QSPNCTL-COMMAND...";
  gboolean needs_text = k == HN_ACT_AWAIT || k == HN_ACT_CTL_REFUSED;
  if (nw < 3 || dd == 2 || (dd > 0 && dd == nw - 1) || (needs_text && dd < 0) ||
      (k == HN_ACT_CTL_BG && dd > 0))
    return SFAIL(c, "usage: %s", usage);
  if (!need_sys(c, wd[1], TRUE))
    return FALSE;
  const char *cmd = hn_rest_after(line, 2);
  const char *end = dd > 0 ? hn_rest_after(line, dd) : cmd + strlen(cmd);
  char *command = g_strchomp(g_strndup(cmd, end - cmd));
  char *text = dd > 0 ? g_strchomp(g_strdup(hn_rest_after(line, dd + 1))) : NULL;
  char **argv = NULL;
  gboolean ok = g_shell_parse_argv(command, NULL, &argv, NULL);
  if (!ok)
    SFAIL(c, "%s: bad quoting in the qspnctl command", wd[0]);
  else
    add_action(c, k, wd[1], command, text);
  g_strfreev(argv);
  g_free(command);
  g_free(text);
  return ok;
}

static gboolean
parse_check(SCtx *c, char **wd, int nw)
{
  HnStep *s = c->cur;
  if (nw < 2)
    return SFAIL(c, "usage: check all | check NS[:contains]...");
  if (s->settle)
    return SFAIL(c, "check and settle in one step");
  if (nw == 2 && !strcmp(wd[1], "all")) {
    if (s->check_all || s->checks->len)
      return SFAIL(c, "check all with other check lines");
    s->check_all = TRUE;
    return TRUE;
  }
  if (s->check_all)
    return SFAIL(c, "check all with other check lines");
  for (int i = 1; i < nw; i++) {
    char *colon = strchr(wd[i], ':');
    if (colon && strcmp(colon + 1, "contains"))
      return SFAIL(c, "check: unknown mode %s (only :contains)", colon + 1);
    if (colon)
      *colon = '\0';
    if (!strcmp(wd[i], "all"))
      return SFAIL(c, "check all must be alone on its line");
    if (!need_ns(c, wd[i]))
      return FALSE;
    for (guint j = 0; j < s->checks->len; j++)
      if (!strcmp(((HnCheck *)g_ptr_array_index(s->checks, j))->ns, wd[i]))
        return SFAIL(c, "check: %s listed twice", wd[i]);
    HnCheck *k = g_new0(HnCheck, 1);
    k->ns = g_strdup(wd[i]);
    k->contains = colon != NULL;
    g_ptr_array_add(s->checks, k);
  }
  return TRUE;
}

static gboolean
parse_ping(SCtx *c, char **wd, int nw)
{
  HnPing *p;
  if (!strcmp(wd[0], "ping-all")) {
    if (nw != 1)
      return SFAIL(c, "usage: ping-all");
    p = g_new0(HnPing, 1);
    p->all = TRUE;
  } else {
    struct in_addr a;
    if (nw != 4 || (strcmp(wd[3], "ok") && strcmp(wd[3], "fail")))
      return SFAIL(c, "usage: ping SYSTEM IPV4 ok|fail");
    if (!need_sys(c, wd[1], FALSE))
      return FALSE;
    if (strspn(wd[2], "0123456789.") != strlen(wd[2]) || inet_pton(AF_INET, wd[2], &a) != 1)
      return SFAIL(c, "ping: bad IPv4 address %s", wd[2]);
    p = g_new0(HnPing, 1);
    p->src = g_strdup(wd[1]);
    p->dest = g_strdup(wd[2]);
    p->expect_ok = !strcmp(wd[3], "ok");
  }
  p->line = c->ln;
  g_ptr_array_add(c->cur->pings, p);
  return TRUE;
}

static gboolean
is_comment(const char *l)
{
  while (g_ascii_isspace(*l))
    l++;
  return *l == '#';
}

/* the '#' lines right before line c->ln, without the '#', joined by ' ' */
static char *
reason_before(SCtx *c)
{
  int first = c->ln - 1; /* 0-based index of the directive line */
  while (first > 0 && is_comment(c->t->lines[first - 1]))
    first--;
  if (first == c->ln - 1)
    return NULL;
  GString *r = g_string_new(NULL);
  for (int i = first; i < c->ln - 1; i++) {
    char *l = g_strstrip(g_strdup(strchr(c->t->lines[i], '#') + 1));
    if (*l)
      g_string_append_printf(r, "%s%s", r->len ? " " : "", l);
    g_free(l);
  }
  return g_string_free(r, FALSE);
}

/* deviation NS "DOCUMENTED LINE" => "CORRECT LINE", after a comment; "" on the
 * left adds the correct line, "" on the right removes the documented one */
static gboolean
parse_deviation(SCtx *c, const char *line)
{
  char **argv = NULL;
  int argc = 0;
  GError *e = NULL;
  if (!g_shell_parse_argv(hn_rest_after(line, 1), &argc, &argv, &e)) {
    gboolean r = SFAIL(c, "deviation: %s", e->message);
    g_error_free(e);
    return r;
  }
  gboolean ok = FALSE;
  char *reason = NULL;
  if (argc != 4 || strcmp(argv[2], "=>") || strchr(argv[1], '\n') || strchr(argv[3], '\n'))
    SFAIL(c, "usage: deviation NS \"DOCUMENTED LINE\" => \"CORRECT LINE\"");
  else if (!strcmp(argv[1], argv[3]))
    SFAIL(c, "deviation: the correct line equals the documented one");
  else if (!(reason = reason_before(c)) || !*reason)
    SFAIL(c, "deviation without a reason: write it in a # comment right before the line");
  else if (need_ns(c, argv[0]))
    ok = TRUE;
  if (ok) {
    HnDeviation *d = g_new0(HnDeviation, 1);
    d->ns = g_strdup(argv[0]);
    d->from = g_strdup(argv[1]);
    d->to = g_strdup(argv[3]);
    d->reason = g_steal_pointer(&reason);
    d->line = c->ln;
    g_ptr_array_add(c->cur->deviations, d);
  }
  g_free(reason);
  g_strfreev(argv);
  return ok;
}

static gboolean
parse_step(SCtx *c, char **wd, int nw)
{
  if (nw != 3 || !hn_valid_name(wd[1], 16) || !hn_valid_name(wd[2], 64))
    return SFAIL(c, "usage: step ID SLUG (ID up to 16, SLUG up to 64 characters of [A-Za-z0-9_.-])");
  if (hn_steps_index(c->st, wd[1]) >= 0)
    return SFAIL(c, "step %s defined twice", wd[1]);
  if (strchr(wd[1], '-') || strchr(wd[1], ','))
    return SFAIL(c, "step id %s: no '-' (--only ranges use it)", wd[1]);
  if (c->st->steps->len >= HN_MAX_STEPS)
    return SFAIL(c, "more than %d steps", HN_MAX_STEPS);
  HnStep *s = g_new0(HnStep, 1);
  s->id = g_strdup(wd[1]);
  s->slug = g_strdup(wd[2]);
  s->actions = g_ptr_array_new_with_free_func(action_free);
  s->checks = g_ptr_array_new_with_free_func(check_free);
  s->pings = g_ptr_array_new_with_free_func(ping_free);
  s->deviations = g_ptr_array_new_with_free_func(deviation_free);
  s->line = c->ln;
  g_ptr_array_add(c->st->steps, s);
  c->cur = s;
  c->cur_checkpoint_ln = 0;
  return TRUE;
}

static gboolean
parse_settle_deadline(SCtx *c, char **wd, int nw)
{
  HnStep *s = c->cur;
  double d = 1.0;
  if (!strcmp(wd[0], "deadline")) {
    if (nw != 2 || !hn_parse_seconds(wd[1], 0, 3600, &d))
      return SFAIL(c, "usage: deadline SECONDS (a decimal number in (0, 3600])");
    if (s->deadline > 0)
      return SFAIL(c, "deadline given twice");
    s->deadline = d;
    return TRUE;
  }
  if (nw > 2 || (nw == 2 && !hn_parse_seconds(wd[1], 0, 600, &d)))
    return SFAIL(c, "usage: settle [SECONDS] (quiet time, a decimal number in (0, 600], default 1)");
  if (s->settle || s->check_all || s->checks->len)
    return SFAIL(c, "settle given twice, or with check");
  s->settle = TRUE;
  s->settle_quiet = d;
  return TRUE;
}

/* actions that name systems: arc cut start restart kill quit stop cont admin wait */
static gboolean
parse_simple_action(SCtx *c, const char *line, char **wd, int nw)
{
  static const struct {
    const char *word;
    HnActionKind kind;
    int nw;         /* exact word count, 0 = at least 3 */
    gboolean daemon; /* systems must run qspnd */
  } T[] = {
    { "arc", HN_ACT_ARC, 3, FALSE },        { "cut", HN_ACT_CUT, 3, FALSE },
    { "start", HN_ACT_START, 2, TRUE },     { "restart", HN_ACT_RESTART, 2, TRUE },
    { "kill", HN_ACT_KILL, 2, TRUE },       { "quit", HN_ACT_QUIT, 2, TRUE },
    { "admin", HN_ACT_ADMIN, 0, FALSE },    { "wait", HN_ACT_WAIT, 1, FALSE },
    { "stop", HN_ACT_STOP, 2, TRUE },       { "cont", HN_ACT_CONT, 2, TRUE },
  };
  for (guint i = 0; i < G_N_ELEMENTS(T); i++) {
    if (strcmp(wd[0], T[i].word))
      continue;
    if (!action_in_order(c, wd[0]))
      return FALSE;
    if ((T[i].nw && nw != T[i].nw) || (!T[i].nw && nw < 3))
      return SFAIL(c, "usage: %s%s", T[i].word,
                   T[i].nw == 3 ? " SYSTEM SYSTEM" : T[i].nw == 2 ? " SYSTEM" : T[i].nw == 1 ? "" : " SYSTEM SHELL-COMMAND...");
    if (nw >= 2 && !need_sys(c, wd[1], T[i].daemon))
      return FALSE;
    if (T[i].nw == 3 && !need_sys(c, wd[2], FALSE))
      return FALSE;
    if (T[i].nw == 3 && !strcmp(wd[1], wd[2]))
      return SFAIL(c, "%s %s %s: the same system twice", wd[0], wd[1], wd[2]);
    char *b = T[i].nw == 3 ? g_strdup(wd[2]) : T[i].nw == 0 ? g_strchomp(g_strdup(hn_rest_after(line, 2))) : NULL;
    add_action(c, T[i].kind, nw >= 2 ? wd[1] : NULL, b, NULL);
    g_free(b);
    return TRUE;
  }
  return SFAIL(c, "unknown directive %s", wd[0]);
}

static gboolean
share_medium(const HnWorld *w, const char *a, const char *b)
{
  HnSystem *sa = hn_world_system(w, a), *sb = hn_world_system(w, b);
  for (guint i = 0; i < sa->ifaces->len; i++)
    for (guint j = 0; j < sb->ifaces->len; j++)
      if (!strcmp(((HnIface *)g_ptr_array_index(sa->ifaces, i))->medium,
                  ((HnIface *)g_ptr_array_index(sb->ifaces, j))->medium))
        return TRUE;
  return FALSE;
}

/* One netem parameter: "loss P%" (0 < P <= 100) or "delay Dms" (0 < D <=
 * 10000); decimals allowed, nothing tc would read differently (no sign,
 * exponent, other unit). */
static gboolean
netem_value_ok(const char *key, const char *value)
{
  gboolean loss = !strcmp(key, "loss");
  const char *unit = loss ? "%" : "ms";
  size_t n = strlen(value), u = strlen(unit);
  if (n <= u || n > 32 || strcmp(value + n - u, unit))
    return FALSE;
  char *num = g_strndup(value, n - u);
  double d;
  gboolean ok = hn_parse_seconds(num, 0, loss ? 100 : 10000, &d);
  g_free(num);
  return ok;
}

/* netem A B loss P% [delay Dms] | netem A B delay Dms | netem A B off */
static gboolean
parse_netem(SCtx *c, char **wd, int nw)
{
  const char *usage = "usage: netem SYSTEM SYSTEM [loss P%] [delay Dms] (at least one) | netem SYSTEM SYSTEM off";
  if (!action_in_order(c, wd[0]))
    return FALSE;
  if (nw < 4 || (nw > 4 && (nw - 3) % 2) || nw > 7 || (nw == 4 && strcmp(wd[3], "off")))
    return SFAIL(c, "%s", usage);
  if (!need_sys(c, wd[1], FALSE) || !need_sys(c, wd[2], FALSE))
    return FALSE;
  if (!strcmp(wd[1], wd[2]))
    return SFAIL(c, "netem %s %s: the same system twice", wd[1], wd[2]);
  if (!share_medium(c->w, wd[1], wd[2]))
    return SFAIL(c, "netem %s %s: no common medium", wd[1], wd[2]);
  if (nw == 4) {
    add_action(c, HN_ACT_NETEM, wd[1], wd[2], NULL);
    return TRUE;
  }
  for (int i = 3; i < nw; i += 2) {
    if (strcmp(wd[i], "loss") && strcmp(wd[i], "delay"))
      return SFAIL(c, "netem: unknown parameter %s (loss or delay); %s", wd[i], usage);
    if (i == 5 && !strcmp(wd[3], wd[5]))
      return SFAIL(c, "netem: %s given twice", wd[i]);
    if (!netem_value_ok(wd[i], wd[i + 1]))
      return SFAIL(c, "netem: bad %s %s (%s)", wd[i], wd[i + 1],
                   !strcmp(wd[i], "loss") ? "a percentage in (0, 100], e.g. 20%" : "milliseconds in (0, 10000], e.g. 30ms");
  }
  char *text = g_strjoinv(" ", wd + 3);
  add_action(c, HN_ACT_NETEM, wd[1], wd[2], text);
  g_free(text);
  return TRUE;
}

static gboolean
parse_steps_line(SCtx *c, const char *line, char **wd, int nw)
{
  if (!strcmp(wd[0], "step"))
    return parse_step(c, wd, nw);
  if (!c->cur)
    return SFAIL(c, "%s before the first step", wd[0]);
  if (c->cur->actions->len >= HN_MAX_ACTIONS)
    return SFAIL(c, "more than %d actions in step %s", HN_MAX_ACTIONS, c->cur->id);
  if (!strcmp(wd[0], "ctl"))
    return parse_ctl(c, line, wd, nw, HN_ACT_CTL);
  if (!strcmp(wd[0], "ctl&"))
    return parse_ctl(c, line, wd, nw, HN_ACT_CTL_BG);
  if (!strcmp(wd[0], "ctl!"))
    return parse_ctl(c, line, wd, nw, HN_ACT_CTL_REFUSED);
  if (!strcmp(wd[0], "await"))
    return parse_ctl(c, line, wd, nw, HN_ACT_AWAIT);
  if (!c->cur_checkpoint_ln && (!strcmp(wd[0], "check") || !strcmp(wd[0], "settle") || !strcmp(wd[0], "ping") ||
                                 !strcmp(wd[0], "ping-all")))
    c->cur_checkpoint_ln = c->ln;
  if (!strcmp(wd[0], "check"))
    return parse_check(c, wd, nw);
  if (!strcmp(wd[0], "settle") || !strcmp(wd[0], "deadline"))
    return parse_settle_deadline(c, wd, nw);
  if (!strcmp(wd[0], "ping") || !strcmp(wd[0], "ping-all"))
    return parse_ping(c, wd, nw);
  if (!strcmp(wd[0], "deviation"))
    return parse_deviation(c, line);
  if (!strcmp(wd[0], "netem"))
    return parse_netem(c, wd, nw);
  if (!strcmp(wd[0], "intermediate")) {
    if (nw != 1)
      return SFAIL(c, "usage: intermediate");
    c->cur->intermediate = TRUE;
    return TRUE;
  }
  return parse_simple_action(c, line, wd, nw);
}

/* After the last line: every step has a checkpoint, background ctls are
 * joined, deviations apply to compared namespaces. */
static gboolean
finish_steps(SCtx *c)
{
  if (c->st->steps->len == 0) {
    c->ln = 0;
    return SFAIL(c, "no steps");
  }
  for (guint i = 0; i < c->st->steps->len; i++) {
    HnStep *s = g_ptr_array_index(c->st->steps, i);
    int open_bg = 0;
    c->ln = s->line;
    if (!s->check_all && !s->checks->len && !s->settle)
      return SFAIL(c, "step %s has no check or settle line", s->id);
    for (guint j = 0; j < s->actions->len; j++) {
      HnAction *a = g_ptr_array_index(s->actions, j);
      if (a->kind == HN_ACT_CTL_BG)
        open_bg = a->line;
      else if (a->kind == HN_ACT_WAIT)
        open_bg = 0;
    }
    if (open_bg) {
      c->ln = open_bg;
      return SFAIL(c, "ctl& without a later wait in step %s", s->id);
    }
    for (guint j = 0; j < s->deviations->len; j++) {
      HnDeviation *d = g_ptr_array_index(s->deviations, j);
      gboolean compared = s->check_all;
      for (guint k = 0; k < s->checks->len; k++)
        compared = compared || !strcmp(((HnCheck *)g_ptr_array_index(s->checks, k))->ns, d->ns);
      c->ln = d->line;
      if (!compared)
        return SFAIL(c, "deviation for %s, which step %s does not compare", d->ns, s->id);
    }
  }
  return TRUE;
}

/* The steps of the lines of t (named path in errors) in world w; clears t. */
static HnSteps *
steps_from_text(const char *path, HnText *t, const HnWorld *w, GError **error)
{
  HnSteps *st = g_new0(HnSteps, 1);
  st->path = g_strdup(path);
  st->steps = g_ptr_array_new_with_free_func(step_free);
  SCtx c = { .path = path, .w = w, .st = st, .t = t, .error = error };
  gboolean ok = TRUE;
  for (int i = 0; i < t->n && ok; i++) {
    char **wd = hn_words(t->lines[i]);
    c.ln = i + 1;
    if (wd)
      ok = parse_steps_line(&c, t->lines[i], wd, (int)g_strv_length(wd));
    g_strfreev(wd);
  }
  if (ok)
    ok = finish_steps(&c);
  hn_text_clear(t);
  if (!ok) {
    hn_steps_free(st);
    return NULL;
  }
  return st;
}

HnSteps *
hn_steps_load(const char *path, const HnWorld *w, GError **error)
{
  HnText t;
  if (!hn_text_load(path, &t, error))
    return NULL;
  return steps_from_text(path, &t, w, error);
}

HnSteps *
hn_steps_from_data(const char *name, const char *text, gsize len, const HnWorld *w, GError **error)
{
  HnText t;
  if (!hn_text_from_data(name, text, len, &t, error))
    return NULL;
  return steps_from_text(name, &t, w, error);
}

