/* config.c -- parsers of the world and steps files (format: topologies/README.md). */
#include "config.h"

#include <string.h>

#define HN_ERR g_quark_from_static_string("qspn-harness")

static gboolean
valid_name(const char *s, size_t max)
{
  size_t n = strlen(s);
  if (n == 0 || n > max)
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isalnum(*p) && *p != '_' && *p != '-' && *p != '.')
      return FALSE;
  return TRUE;
}

static gboolean
valid_mac(const char *s)
{
  if (strlen(s) != 17)
    return FALSE;
  for (int i = 0; i < 17; i++) {
    if (i % 3 == 2) {
      if (s[i] != ':')
        return FALSE;
    } else if (!g_ascii_isxdigit(s[i])) {
      return FALSE;
    }
  }
  return TRUE;
}

static void
iface_free(gpointer p)
{
  HnIface *i = p;
  g_free(i->name);
  g_free(i->mac);
  g_free(i->linklocal);
  g_free(i->medium);
  g_free(i->port);
  g_free(i);
}

static void
system_free(gpointer p)
{
  HnSystem *s = p;
  g_free(s->name);
  g_ptr_array_free(s->ifaces, TRUE);
  g_strfreev(s->qspnd_args);
  g_free(s);
}

static void
medium_free(gpointer p)
{
  HnMedium *m = p;
  g_free(m->name);
  g_free(m);
}

void
hn_world_free(HnWorld *w)
{
  if (!w)
    return;
  g_free(w->path);
  g_ptr_array_free(w->media, TRUE);
  g_ptr_array_free(w->systems, TRUE);
  g_free(w);
}

HnSystem *
hn_world_system(const HnWorld *w, const char *name)
{
  for (guint i = 0; i < w->systems->len; i++) {
    HnSystem *s = g_ptr_array_index(w->systems, i);
    if (!strcmp(s->name, name))
      return s;
  }
  return NULL;
}

HnMedium *
hn_world_medium(const HnWorld *w, const char *name)
{
  for (guint i = 0; i < w->media->len; i++) {
    HnMedium *m = g_ptr_array_index(w->media, i);
    if (!strcmp(m->name, name))
      return m;
  }
  return NULL;
}

/* Split a line into words; returns NULL for blank/comment lines. */
static char **
words(const char *line)
{
  const char *p = line;
  while (g_ascii_isspace(*p))
    p++;
  if (*p == '\0' || *p == '#')
    return NULL;
  char **w = g_strsplit_set(p, " \t", -1);
  /* compact empty words */
  int j = 0;
  for (int i = 0; w[i]; i++) {
    if (*w[i])
      w[j++] = w[i];
    else
      g_free(w[i]);
  }
  w[j] = NULL;
  return w;
}

/* Rest of the line after the first n words. */
static const char *
rest_after(const char *line, int n)
{
  const char *p = line;
  for (int i = 0; i < n; i++) {
    while (g_ascii_isspace(*p))
      p++;
    while (*p && !g_ascii_isspace(*p))
      p++;
  }
  while (g_ascii_isspace(*p))
    p++;
  return p;
}

/* Both loaders report "<file>:<line>: message" and stop at the first error; they
 * name their locals path, ln, error and ok. */
#define FAIL(...)                                                                                 \
  do {                                                                                            \
    char *m_ = g_strdup_printf(__VA_ARGS__);                                                      \
    g_set_error(error, HN_ERR, 1, "%s:%d: %s", path, ln + 1, m_);                                 \
    g_free(m_);                                                                                   \
    ok = FALSE;                                                                                   \
  } while (0)

HnWorld *
hn_world_load(const char *path, GError **error)
{
  char *text = NULL;
  if (!g_file_get_contents(path, &text, NULL, error))
    return NULL;
  HnWorld *w = g_new0(HnWorld, 1);
  w->path = g_strdup(path);
  w->media = g_ptr_array_new_with_free_func(medium_free);
  w->systems = g_ptr_array_new_with_free_func(system_free);
  char **lines = g_strsplit(text, "\n", -1);
  g_free(text);
  HnSystem *cur = NULL;
  gboolean ok = TRUE;
  for (int ln = 0; lines[ln] && ok; ln++) {
    char **wd = words(lines[ln]);
    if (!wd)
      continue;
    int nw = g_strv_length(wd);
    if (!strcmp(wd[0], "medium")) {
      if (nw < 2 || nw > 3 || !valid_name(wd[1], 15) || (nw == 3 && strcmp(wd[2], "filter") && strcmp(wd[2], "flat")))
        FAIL("usage: medium NAME [filter|flat]");
      else if (hn_world_medium(w, wd[1]))
        FAIL("medium %s defined twice", wd[1]);
      else {
        HnMedium *m = g_new0(HnMedium, 1);
        m->name = g_strdup(wd[1]);
        m->filter = nw < 3 || !strcmp(wd[2], "filter");
        g_ptr_array_add(w->media, m);
      }
    } else if (!strcmp(wd[0], "system")) {
      if (nw != 2 || !valid_name(wd[1], 12))
        FAIL("usage: system NAME (NAME: up to 12 characters of [A-Za-z0-9_.-])");
      else if (hn_world_system(w, wd[1]) || !strcmp(wd[1], "hub"))
        FAIL("system %s defined twice (or reserved)", wd[1]);
      else {
        cur = g_new0(HnSystem, 1);
        cur->name = g_strdup(wd[1]);
        cur->ifaces = g_ptr_array_new_with_free_func(iface_free);
        cur->lo_up = TRUE;
        g_ptr_array_add(w->systems, cur);
      }
    } else if (!strcmp(wd[0], "iface")) {
      if (!cur)
        FAIL("iface outside a system");
      else if (nw < 2 || !valid_name(wd[1], 15))
        FAIL("usage: iface NAME mac MAC [linklocal IP] medium MEDIUM");
      else {
        HnIface *f = g_new0(HnIface, 1);
        f->name = g_strdup(wd[1]);
        g_ptr_array_add(cur->ifaces, f);
        for (int i = 2; i < nw && ok; i += 2) {
          if (i + 1 >= nw)
            FAIL("iface: %s needs a value", wd[i]);
          else if (!strcmp(wd[i], "mac")) {
            if (!valid_mac(wd[i + 1]))
              FAIL("bad MAC %s", wd[i + 1]);
            else
              f->mac = g_strdup(wd[i + 1]);
          } else if (!strcmp(wd[i], "linklocal"))
            f->linklocal = g_strdup(wd[i + 1]);
          else if (!strcmp(wd[i], "medium")) {
            if (!hn_world_medium(w, wd[i + 1]))
              FAIL("unknown medium %s (declare it before the systems)", wd[i + 1]);
            else
              f->medium = g_strdup(wd[i + 1]);
          } else
            FAIL("iface: unknown attribute %s", wd[i]);
        }
        if (ok && (!f->mac || !f->medium))
          FAIL("iface %s: mac and medium are mandatory", f->name);
      }
    } else if (!strcmp(wd[0], "qspnd")) {
      GError *e = NULL;
      char **argv = NULL;
      const char *args = rest_after(lines[ln], 1);
      if (!cur)
        FAIL("qspnd outside a system");
      else if (*args == '\0')
        cur->qspnd_args = g_new0(char *, 1);
      else if (!g_shell_parse_argv(args, NULL, &argv, &e)) {
        FAIL("qspnd arguments: %s", e->message);
        g_error_free(e);
      } else {
        g_strfreev(cur->qspnd_args);
        cur->qspnd_args = argv;
      }
    } else if (!strcmp(wd[0], "lo")) {
      if (!cur || nw != 2 || (strcmp(wd[1], "up") && strcmp(wd[1], "down")))
        FAIL("usage (inside a system): lo up|down");
      else
        cur->lo_up = !strcmp(wd[1], "up");
    } else {
      FAIL("unknown directive %s", wd[0]);
    }
    g_strfreev(wd);
  }
  g_strfreev(lines);
  if (ok && w->systems->len == 0) {
    g_set_error(error, HN_ERR, 1, "%s: no systems", path);
    ok = FALSE;
  }
  /* bridge port names in the hub */
  for (guint i = 0; ok && i < w->systems->len; i++) {
    HnSystem *s = g_ptr_array_index(w->systems, i);
    for (guint j = 0; j < s->ifaces->len; j++) {
      HnIface *f = g_ptr_array_index(s->ifaces, j);
      if (s->ifaces->len == 1)
        f->port = g_strdup(s->name);
      else
        f->port = g_strdup_printf("%s.%u", s->name, j);
    }
  }
  if (!ok) {
    hn_world_free(w);
    return NULL;
  }
  return w;
}

static void
action_free(gpointer p)
{
  HnAction *a = p;
  g_free(a->a);
  g_free(a->b);
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
step_free(gpointer p)
{
  HnStep *s = p;
  g_free(s->id);
  g_free(s->slug);
  g_ptr_array_free(s->actions, TRUE);
  g_ptr_array_free(s->checks, TRUE);
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

static gboolean
need_sys(const HnWorld *w, const char *name, GError **error, const char *path, int ln, gboolean *ok)
{
  if (hn_world_system(w, name))
    return TRUE;
  g_set_error(error, HN_ERR, 1, "%s:%d: unknown system %s", path, ln + 1, name);
  *ok = FALSE;
  return FALSE;
}

HnSteps *
hn_steps_load(const char *path, const HnWorld *w, GError **error)
{
  char *text = NULL;
  if (!g_file_get_contents(path, &text, NULL, error))
    return NULL;
  HnSteps *st = g_new0(HnSteps, 1);
  st->path = g_strdup(path);
  st->steps = g_ptr_array_new_with_free_func(step_free);
  char **lines = g_strsplit(text, "\n", -1);
  g_free(text);
  HnStep *cur = NULL;
  gboolean ok = TRUE;
  for (int ln = 0; lines[ln] && ok; ln++) {
    char **wd = words(lines[ln]);
    if (!wd)
      continue;
    int nw = g_strv_length(wd);
#define NEED_SYS(name) need_sys(w, (name), error, path, ln, &ok)
    if (!strcmp(wd[0], "step")) {
      if (nw != 3 || !valid_name(wd[1], 16) || !valid_name(wd[2], 64))
        FAIL("usage: step ID SLUG");
      else {
        for (guint i = 0; i < st->steps->len; i++)
          if (!strcmp(((HnStep *)g_ptr_array_index(st->steps, i))->id, wd[1]))
            FAIL("step %s defined twice", wd[1]);
        cur = g_new0(HnStep, 1);
        cur->id = g_strdup(wd[1]);
        cur->slug = g_strdup(wd[2]);
        cur->actions = g_ptr_array_new_with_free_func(action_free);
        cur->checks = g_ptr_array_new_with_free_func(check_free);
        cur->line = ln + 1;
        g_ptr_array_add(st->steps, cur);
      }
    } else if (!cur) {
      FAIL("%s before the first step", wd[0]);
    } else if (!strcmp(wd[0], "arc")) {
      if (nw != 3)
        FAIL("usage: arc SYSTEM SYSTEM");
      else if (NEED_SYS(wd[1]) && NEED_SYS(wd[2])) {
        HnAction *a = g_new0(HnAction, 1);
        a->kind = HN_ACT_ARC;
        a->a = g_strdup(wd[1]);
        a->b = g_strdup(wd[2]);
        a->line = ln + 1;
        g_ptr_array_add(cur->actions, a);
      }
    } else if (!strcmp(wd[0], "start") || !strcmp(wd[0], "quit")) {
      if (nw != 2)
        FAIL("usage: %s SYSTEM", wd[0]);
      else if (NEED_SYS(wd[1])) {
        if (!hn_world_system(w, wd[1])->qspnd_args)
          FAIL("system %s has no qspnd line in the world", wd[1]);
        HnAction *a = g_new0(HnAction, 1);
        a->kind = !strcmp(wd[0], "start") ? HN_ACT_START : HN_ACT_QUIT;
        a->a = g_strdup(wd[1]);
        a->line = ln + 1;
        g_ptr_array_add(cur->actions, a);
      }
    } else if (!strcmp(wd[0], "admin") || !strcmp(wd[0], "ctl")) {
      if (nw < 3)
        FAIL("usage: %s SYSTEM COMMAND...", wd[0]);
      else if (NEED_SYS(wd[1])) {
        HnAction *a = g_new0(HnAction, 1);
        a->kind = !strcmp(wd[0], "admin") ? HN_ACT_ADMIN : HN_ACT_CTL;
        a->a = g_strdup(wd[1]);
        a->b = g_strdup(rest_after(lines[ln], 2));
        g_strchomp(a->b);
        a->line = ln + 1;
        g_ptr_array_add(cur->actions, a);
      }
    } else if (!strcmp(wd[0], "deadline")) {
      char *end = NULL;
      double d = nw == 2 ? g_ascii_strtod(wd[1], &end) : 0;
      if (nw != 2 || !end || *end || d <= 0)
        FAIL("usage: deadline SECONDS");
      else
        cur->deadline = d;
    } else if (!strcmp(wd[0], "check")) {
      if (nw < 2)
        FAIL("usage: check all | check NS[:contains]...");
      else if (nw == 2 && !strcmp(wd[1], "all"))
        cur->check_all = TRUE;
      else {
        for (int i = 1; i < nw && ok; i++) {
          HnCheck *c = g_new0(HnCheck, 1);
          char *colon = strchr(wd[i], ':');
          if (colon) {
            if (strcmp(colon + 1, "contains"))
              FAIL("check: unknown mode %s (only :contains)", colon + 1);
            c->contains = TRUE;
            *colon = '\0';
          }
          c->ns = g_strdup(wd[i]);
          g_ptr_array_add(cur->checks, c);
        }
      }
    } else {
      FAIL("unknown directive %s", wd[0]);
    }
#undef NEED_SYS
#undef FAIL
    g_strfreev(wd);
  }
  g_strfreev(lines);
  for (guint i = 0; ok && i < st->steps->len; i++) {
    HnStep *s = g_ptr_array_index(st->steps, i);
    if (!s->check_all && s->checks->len == 0) {
      g_set_error(error, HN_ERR, 1, "%s:%d: step %s has no check line", path, s->line, s->id);
      ok = FALSE;
    }
  }
  if (!ok) {
    hn_steps_free(st);
    return NULL;
  }
  return st;
}

static int
step_index(const HnSteps *s, const char *id)
{
  for (guint i = 0; i < s->steps->len; i++)
    if (!strcmp(((HnStep *)g_ptr_array_index(s->steps, i))->id, id))
      return (int)i;
  return -1;
}

gboolean
hn_steps_select(const HnSteps *s, const char *spec, gboolean *selected, GError **error)
{
  guint n = s->steps->len;
  if (!spec || !*spec || !strcmp(spec, "all")) {
    for (guint i = 0; i < n; i++)
      selected[i] = TRUE;
    return TRUE;
  }
  for (guint i = 0; i < n; i++)
    selected[i] = FALSE;
  char **parts = g_strsplit(spec, ",", -1);
  gboolean ok = TRUE;
  for (char **p = parts; *p && ok; p++) {
    char *item = g_strstrip(*p);
    char *dash = strchr(item, '-');
    int a, b;
    if (dash) {
      *dash = '\0';
      a = step_index(s, item);
      b = step_index(s, dash + 1);
      if (a < 0 || b < 0 || b < a) {
        g_set_error(error, HN_ERR, 1, "bad step range %s-%s (steps of %s)", item, dash + 1, s->path);
        ok = FALSE;
        break;
      }
    } else {
      a = b = step_index(s, item);
      if (a < 0) {
        /* a prefix such as "S01" selects S01a, S01b, ... */
        gboolean any = FALSE;
        for (guint i = 0; i < n; i++)
          if (g_str_has_prefix(((HnStep *)g_ptr_array_index(s->steps, i))->id, item)) {
            selected[i] = TRUE;
            any = TRUE;
          }
        if (!any) {
          g_set_error(error, HN_ERR, 1, "unknown step %s (steps of %s)", item, s->path);
          ok = FALSE;
        }
        continue;
      }
    }
    for (int i = a; i <= b; i++)
      selected[i] = TRUE;
  }
  g_strfreev(parts);
  return ok;
}
