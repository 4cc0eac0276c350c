/* steps_use.c -- what a run does with a loaded steps file: the step selection
 * of --only and the documented deviations applied to an expected dump.  (The
 * parser itself is steps.c.) */
#include "config.h"
#include "parse.h"

#include <string.h>

static gboolean
select_item(const HnSteps *s, const char *item, gboolean *selected, GError **error)
{
  const char *dash = strchr(item, '-');
  if (dash) {
    char *a_id = g_strndup(item, dash - item);
    int a = hn_steps_index(s, a_id), b = hn_steps_index(s, dash + 1);
    g_free(a_id);
    if (a < 0 || b < 0 || b < a) {
      g_set_error(error, HN_ERR, 1, "--only: bad step range %s (steps of %s)", item, s->path);
      return FALSE;
    }
    for (int i = a; i <= b; i++)
      selected[i] = TRUE;
    return TRUE;
  }
  int a = hn_steps_index(s, item);
  if (a >= 0) {
    selected[a] = TRUE;
    return TRUE;
  }
  /* a prefix such as "S01" selects S01a, S01b, ... */
  gboolean any = FALSE;
  for (guint i = 0; i < s->steps->len; i++)
    if (g_str_has_prefix(((HnStep *)g_ptr_array_index(s->steps, i))->id, item))
      selected[i] = any = TRUE;
  if (!any)
    g_set_error(error, HN_ERR, 1, "--only: unknown step %s (steps of %s)", item, s->path);
  return any;
}

gboolean
hn_steps_select(const HnSteps *s, const char *spec, gboolean *selected, GError **error)
{
  guint n = s->steps->len;
  gboolean all = !spec || !strcmp(spec, "all");
  for (guint i = 0; i < n; i++)
    selected[i] = all;
  if (all)
    return TRUE;
  if (!*spec || strlen(spec) > 1024) {
    g_set_error(error, HN_ERR, 1, "--only: empty or longer than 1024 characters");
    return FALSE;
  }
  char **parts = g_strsplit(spec, ",", -1);
  gboolean ok = TRUE;
  for (char **p = parts; *p && ok; p++) {
    char *item = g_strstrip(*p);
    if (!*item || !strcmp(item, "-")) {
      g_set_error(error, HN_ERR, 1, "--only \"%s\": empty item (use e.g. S01a-S01f,S10c or all)", spec);
      ok = FALSE;
    } else {
      ok = select_item(s, item, selected, error);
    }
  }
  g_strfreev(parts);
  return ok;
}

#define HN_ROUTES_SECTION "### ip route show table all"

/* One deviation on the dump's lines: a replacement (every occurrence), a
 * removal (one occurrence: the original sometimes wrote a line twice) or an
 * addition (into the routes section).  FALSE when it applies to nothing. */
static gboolean
apply_one(GPtrArray *lines, const HnDeviation *d)
{
  if (!*d->from) {
    for (guint i = 0; i < lines->len; i++)
      if (!strcmp(g_ptr_array_index(lines, i), HN_ROUTES_SECTION)) {
        g_ptr_array_insert(lines, (gint)i + 1, g_strdup(d->to));
        return TRUE;
      }
    return FALSE;
  }
  guint hits = 0;
  for (guint i = 0; i < lines->len; i++) {
    if (strcmp(g_ptr_array_index(lines, i), d->from))
      continue;
    hits++;
    if (!*d->to) {
      g_ptr_array_remove_index(lines, i);
      break;
    }
    g_free(g_ptr_array_index(lines, i));
    g_ptr_array_index(lines, i) = g_strdup(d->to);
  }
  return hits > 0;
}

char *
hn_apply_deviations(const HnStep *step, const char *ns, const char *text, const char *path, guint *applied,
                    GError **error)
{
  char **split = g_strsplit(text, "\n", -1);
  GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
  for (int i = 0; split[i]; i++)
    g_ptr_array_add(lines, split[i]);
  g_free(split);                       /* the strings now belong to lines */
  *applied = 0;
  gboolean ok = TRUE;
  for (guint j = 0; ok && j < step->deviations->len; j++) {
    HnDeviation *d = g_ptr_array_index(step->deviations, j);
    if (strcmp(d->ns, ns))
      continue;
    if (!apply_one(lines, d)) {
      if (*d->from)
        g_set_error(error, HN_ERR, 1, "deviation of line %d (step %s, %s) matches no line of %s: \"%s\"", d->line,
                    step->id, ns, path, d->from);
      else
        g_set_error(error, HN_ERR, 1, "deviation of line %d (step %s, %s): %s has no section \"%s\"", d->line,
                    step->id, ns, path, HN_ROUTES_SECTION);
      ok = FALSE;
    }
    (*applied)++;
  }
  g_ptr_array_add(lines, NULL);
  char *res = ok ? g_strjoinv("\n", (char **)lines->pdata) : NULL;
  g_ptr_array_free(lines, TRUE);
  return res;
}
