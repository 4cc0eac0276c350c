/* parse.c -- see parse.h. */
#include "parse.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

gboolean
hn_set_error_at(GError **error, const char *path, int line, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *m = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  if (line > 0)
    g_set_error(error, HN_ERR, 1, "%s:%d: %s", path, line, m);
  else
    g_set_error(error, HN_ERR, 1, "%s: %s", path, m);
  g_free(m);
  return FALSE;
}

static int
line_of(const char *text, gsize off)
{
  int ln = 1;
  for (gsize i = 0; i < off; i++)
    if (text[i] == '\n')
      ln++;
  return ln;
}

gboolean
hn_text_from_data(const char *path, const char *text, gsize len, HnText *t, GError **error)
{
  memset(t, 0, sizeof *t);
  gboolean ok = FALSE;
  const char *bad = NULL;
  const char *nul = memchr(text, '\0', len);
  if (len > HN_MAX_FILE)
    hn_set_error_at(error, path, 0, "file too large (%" G_GSIZE_FORMAT " bytes, at most %d)", len, HN_MAX_FILE);
  else if (nul)
    hn_set_error_at(error, path, line_of(text, nul - text), "NUL byte in the file");
  else if (!g_utf8_validate(text, len, &bad))
    hn_set_error_at(error, path, line_of(text, bad - text), "invalid UTF-8");
  else
    ok = TRUE;
  if (ok) {
    char *copy = g_strndup(text, len); /* text need not end with a NUL */
    t->lines = g_strsplit(copy, "\n", -1);
    g_free(copy);
    t->n = (int)g_strv_length(t->lines);
    for (int i = 0; i < t->n && ok; i++)
      if (strlen(t->lines[i]) > HN_MAX_LINE) {
        hn_set_error_at(error, path, i + 1, "line longer than %d bytes", HN_MAX_LINE);
        ok = FALSE;
      }
  }
  if (!ok) {
    g_strfreev(t->lines);
    t->lines = NULL;
    t->n = 0;
    return FALSE;
  }
  t->path = g_strdup(path);
  return TRUE;
}

gboolean
hn_text_load(const char *path, HnText *t, GError **error)
{
  memset(t, 0, sizeof *t);
  char *text = NULL;
  gsize len = 0;
  GError *e = NULL;
  if (!g_file_get_contents(path, &text, &len, &e)) {
    g_set_error(error, HN_ERR, 1, "%s", e->message);
    g_error_free(e);
    return FALSE;
  }
  gboolean ok = hn_text_from_data(path, text, len, t, error);
  g_free(text);
  return ok;
}

void
hn_text_clear(HnText *t)
{
  g_free(t->path);
  g_strfreev(t->lines);
  memset(t, 0, sizeof *t);
}

char **
hn_words(const char *line)
{
  const char *p = line;
  while (g_ascii_isspace(*p))
    p++;
  if (*p == '\0' || *p == '#')
    return NULL;
  char **w = g_strsplit_set(p, " \t\r", -1);
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

const char *
hn_rest_after(const char *line, int n)
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

gboolean
hn_parse_seconds(const char *s, double min, double max, double *out)
{
  if (!s || !*s || strlen(s) > 32)
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isdigit(*p) && *p != '.')
      return FALSE; /* no sign, exponent, hex, nan, inf */
  char *end = NULL;
  errno = 0;
  double d = g_ascii_strtod(s, &end);
  if (errno || !end || *end || !isfinite(d) || d <= min || d > max)
    return FALSE;
  *out = d;
  return TRUE;
}

gboolean
hn_valid_name(const char *s, size_t max)
{
  size_t n = strlen(s);
  if (n == 0 || n > max || s[0] == '.' || s[0] == '-')
    return FALSE; /* no ".", "..", nothing an ip(8) parser takes for an option */
  for (const char *p = s; *p; p++)
    if (!g_ascii_isalnum(*p) && *p != '_' && *p != '-' && *p != '.')
      return FALSE;
  return TRUE;
}
