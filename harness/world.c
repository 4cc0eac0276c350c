/* world.c -- the world file parser (format: topologies/README.md).  Every
 * error is "<file>:<line>: message", found before anything is created. */
#include "config.h"
#include "parse.h"

#include <arpa/inet.h>
#include <string.h>

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

HnSystem *
hn_world_identity_system(const HnWorld *w, const char *name)
{
  for (guint i = 0; i < w->systems->len; i++) {
    HnSystem *s = g_ptr_array_index(w->systems, i);
    size_t n = strlen(s->name);
    if (!strncmp(name, s->name, n) && name[n] == '-' && hn_valid_name(name + n + 1, 32))
      return s;
  }
  return NULL;
}

/* unicast, not all-zero, "xx:xx:xx:xx:xx:xx" */
static gboolean
valid_mac(const char *s)
{
  if (strlen(s) != 17)
    return FALSE;
  for (int i = 0; i < 17; i++) {
    if (i % 3 == 2 ? s[i] != ':' : !g_ascii_isxdigit(s[i]))
      return FALSE;
  }
  if (g_ascii_xdigit_value(s[1]) & 1)
    return FALSE; /* multicast bit */
  return strcmp(s, "00:00:00:00:00:00") != 0;
}

/* dotted quad inside 169.254.0.0/16, not its first or last address */
static gboolean
valid_linklocal(const char *s)
{
  struct in_addr a;
  int dots = 0;
  for (const char *p = s; *p; p++) {
    if (*p == '.')
      dots++;
    else if (!g_ascii_isdigit(*p))
      return FALSE;
  }
  if (dots != 3 || inet_pton(AF_INET, s, &a) != 1)
    return FALSE;
  guint32 h = ntohl(a.s_addr);
  return (h >> 16) == 0xA9FE && (h & 0xFFFF) != 0 && (h & 0xFFFF) != 0xFFFF;
}

typedef struct {
  const char *path;
  int ln;
  HnWorld *w;
  HnSystem *cur;
  GError **error;
} WCtx;

#define WFAIL(c, ...) hn_set_error_at((c)->error, (c)->path, (c)->ln, __VA_ARGS__)

/* another interface of the world with this MAC / link-local */
static gboolean
iface_clash(const HnWorld *w, const HnIface *f)
{
  for (guint i = 0; i < w->systems->len; i++) {
    HnSystem *s = g_ptr_array_index(w->systems, i);
    for (guint j = 0; j < s->ifaces->len; j++) {
      HnIface *o = g_ptr_array_index(s->ifaces, j);
      if (o == f)
        continue;
      if (o->mac && f->mac && !g_ascii_strcasecmp(o->mac, f->mac))
        return TRUE;
      if (o->linklocal && f->linklocal && !strcmp(o->linklocal, f->linklocal))
        return TRUE;
    }
  }
  return FALSE;
}

static gboolean
iface_attr(WCtx *c, HnIface *f, const char *key, const char *val)
{
  if (!strcmp(key, "mac")) {
    if (f->mac)
      return WFAIL(c, "iface %s: mac given twice", f->name);
    if (!valid_mac(val))
      return WFAIL(c, "bad MAC %s (xx:xx:xx:xx:xx:xx, unicast, not all zero)", val);
    f->mac = g_strdup(val);
  } else if (!strcmp(key, "linklocal")) {
    if (f->linklocal)
      return WFAIL(c, "iface %s: linklocal given twice", f->name);
    if (!valid_linklocal(val))
      return WFAIL(c, "bad link-local %s (an address of 169.254.0.0/16 other than .0.0 and .255.255)", val);
    f->linklocal = g_strdup(val);
  } else if (!strcmp(key, "medium")) {
    if (f->medium)
      return WFAIL(c, "iface %s: medium given twice", f->name);
    if (!hn_world_medium(c->w, val))
      return WFAIL(c, "unknown medium %s (declare it before the systems)", val);
    f->medium = g_strdup(val);
  } else {
    return WFAIL(c, "iface: unknown attribute %s", key);
  }
  return TRUE;
}

static gboolean
parse_iface(WCtx *c, char **wd, int nw)
{
  if (!c->cur)
    return WFAIL(c, "iface outside a system");
  if (nw < 2 || !hn_valid_name(wd[1], 15) || !strcmp(wd[1], "lo"))
    return WFAIL(c, "usage: iface NAME mac MAC [linklocal IP] medium MEDIUM (NAME: up to 15 characters, not lo)");
  for (guint i = 0; i < c->cur->ifaces->len; i++)
    if (!strcmp(((HnIface *)g_ptr_array_index(c->cur->ifaces, i))->name, wd[1]))
      return WFAIL(c, "interface %s of %s defined twice", wd[1], c->cur->name);
  if (c->cur->ifaces->len >= HN_MAX_IFACES)
    return WFAIL(c, "more than %d interfaces in system %s", HN_MAX_IFACES, c->cur->name);
  HnIface *f = g_new0(HnIface, 1);
  f->name = g_strdup(wd[1]);
  g_ptr_array_add(c->cur->ifaces, f);
  for (int i = 2; i < nw; i += 2) {
    if (i + 1 >= nw)
      return WFAIL(c, "iface: %s needs a value", wd[i]);
    if (!iface_attr(c, f, wd[i], wd[i + 1]))
      return FALSE;
  }
  if (!f->mac || !f->medium)
    return WFAIL(c, "iface %s: mac and medium are mandatory", f->name);
  if (iface_clash(c->w, f))
    return WFAIL(c, "iface %s: MAC %s or link-local %s already used by another interface", f->name, f->mac,
                 f->linklocal ? f->linklocal : "-");
  return TRUE;
}

static gboolean
parse_system(WCtx *c, char **wd, int nw)
{
  if (nw != 2 || !hn_valid_name(wd[1], 12))
    return WFAIL(c, "usage: system NAME (NAME: up to 12 characters of [A-Za-z0-9_.-])");
  if (hn_world_system(c->w, wd[1]) || !strcmp(wd[1], "hub") || !strcmp(wd[1], "run"))
    return WFAIL(c, "system %s defined twice (or reserved: hub, run)", wd[1]);
  for (guint i = 0; i < c->w->systems->len; i++) {
    const char *o = ((HnSystem *)g_ptr_array_index(c->w->systems, i))->name;
    size_t a = strlen(o), b = strlen(wd[1]);
    if ((b > a && !strncmp(wd[1], o, a) && wd[1][a] == '-') || (a > b && !strncmp(o, wd[1], b) && o[b] == '-'))
      return WFAIL(c, "systems %s and %s: one name is the other followed by '-' (identity namespaces "
                      "<system>-<NAME> would be ambiguous)", o, wd[1]);
  }
  if (c->w->systems->len >= HN_MAX_SYSTEMS)
    return WFAIL(c, "more than %d systems", HN_MAX_SYSTEMS);
  c->cur = g_new0(HnSystem, 1);
  c->cur->name = g_strdup(wd[1]);
  c->cur->ifaces = g_ptr_array_new_with_free_func(iface_free);
  c->cur->lo_up = TRUE;
  c->cur->line = c->ln;
  g_ptr_array_add(c->w->systems, c->cur);
  return TRUE;
}

static gboolean
parse_world_line(WCtx *c, const char *line, char **wd, int nw)
{
  if (!strcmp(wd[0], "medium")) {
    if (nw < 2 || nw > 3 || !hn_valid_name(wd[1], 15) || !strcmp(wd[1], "lo") ||
        (nw == 3 && strcmp(wd[2], "filter") && strcmp(wd[2], "flat")))
      return WFAIL(c, "usage: medium NAME [filter|flat] (NAME: up to 15 characters, not lo)");
    if (hn_world_medium(c->w, wd[1]))
      return WFAIL(c, "medium %s defined twice", wd[1]);
    if (c->w->systems->len > 0)
      return WFAIL(c, "medium %s after the first system (declare media first)", wd[1]);
    HnMedium *m = g_new0(HnMedium, 1);
    m->name = g_strdup(wd[1]);
    m->filter = nw < 3 || !strcmp(wd[2], "filter");
    g_ptr_array_add(c->w->media, m);
    return TRUE;
  }
  if (!strcmp(wd[0], "system"))
    return parse_system(c, wd, nw);
  if (!strcmp(wd[0], "iface"))
    return parse_iface(c, wd, nw);
  if (!strcmp(wd[0], "qspnd")) {
    const char *args = hn_rest_after(line, 1);
    GError *e = NULL;
    char **argv = NULL;
    if (!c->cur)
      return WFAIL(c, "qspnd outside a system");
    if (c->cur->qspnd_args)
      return WFAIL(c, "qspnd given twice for %s", c->cur->name);
    if (*args == '\0') {
      c->cur->qspnd_args = g_new0(char *, 1);
    } else if (!g_shell_parse_argv(args, NULL, &argv, &e)) {
      gboolean r = WFAIL(c, "qspnd arguments: %s", e->message);
      g_error_free(e);
      return r;
    } else {
      c->cur->qspnd_args = argv;
    }
    return TRUE;
  }
  if (!strcmp(wd[0], "lo")) {
    if (!c->cur || nw != 2 || (strcmp(wd[1], "up") && strcmp(wd[1], "down")))
      return WFAIL(c, "usage (inside a system): lo up|down");
    c->cur->lo_up = !strcmp(wd[1], "up");
    return TRUE;
  }
  return WFAIL(c, "unknown directive %s", wd[0]);
}

/* After the last line: every system complete, hub names unique. */
static gboolean
finish_world(WCtx *c)
{
  HnWorld *w = c->w;
  GHashTable *hub = g_hash_table_new(g_str_hash, g_str_equal);
  gboolean ok = TRUE;
  g_hash_table_add(hub, "lo");
  for (guint i = 0; i < w->media->len; i++)
    g_hash_table_add(hub, ((HnMedium *)g_ptr_array_index(w->media, i))->name);
  GHashTable *ports = g_hash_table_new(g_str_hash, g_str_equal); /* medium -> count */
  for (guint i = 0; ok && i < w->systems->len; i++) {
    HnSystem *s = g_ptr_array_index(w->systems, i);
    c->ln = s->line;
    if (s->qspnd_args && s->ifaces->len == 0)
      ok = WFAIL(c, "system %s runs qspnd but has no interface", s->name);
    for (guint j = 0; ok && j < s->ifaces->len; j++) {
      HnIface *f = g_ptr_array_index(s->ifaces, j);
      f->port = s->ifaces->len == 1 ? g_strdup(s->name) : g_strdup_printf("%s.%u", s->name, j);
      if (g_hash_table_contains(hub, f->port))
        ok = WFAIL(c, "hub port %s of system %s clashes with a medium or another port", f->port, s->name);
      else
        g_hash_table_add(hub, f->port);
      guint n = GPOINTER_TO_UINT(g_hash_table_lookup(ports, f->medium)) + 1;
      g_hash_table_insert(ports, f->medium, GUINT_TO_POINTER(n));
      if (ok && n > HN_MAX_MEDIUM_PORTS)
        ok = WFAIL(c, "medium %s: more than %d interfaces (the ports of a Linux bridge)", f->medium,
                   HN_MAX_MEDIUM_PORTS);
    }
  }
  g_hash_table_destroy(ports);
  g_hash_table_destroy(hub);
  if (ok && w->systems->len == 0)
    ok = WFAIL(c, "no systems");
  return ok;
}

/* The world of the lines of t (named path in errors); clears t. */
static HnWorld *
world_from_text(const char *path, HnText *t, GError **error)
{
  HnWorld *w = g_new0(HnWorld, 1);
  w->path = g_strdup(path);
  w->media = g_ptr_array_new_with_free_func(medium_free);
  w->systems = g_ptr_array_new_with_free_func(system_free);
  WCtx c = { path, 0, w, NULL, error };
  gboolean ok = TRUE;
  for (int i = 0; i < t->n && ok; i++) {
    char **wd = hn_words(t->lines[i]);
    c.ln = i + 1;
    if (wd)
      ok = parse_world_line(&c, t->lines[i], wd, (int)g_strv_length(wd));
    g_strfreev(wd);
  }
  c.ln = 0;
  if (ok)
    ok = finish_world(&c);
  hn_text_clear(t);
  if (!ok) {
    hn_world_free(w);
    return NULL;
  }
  return w;
}

HnWorld *
hn_world_load(const char *path, GError **error)
{
  HnText t;
  if (!hn_text_load(path, &t, error))
    return NULL;
  return world_from_text(path, &t, error);
}

HnWorld *
hn_world_from_data(const char *name, const char *text, gsize len, GError **error)
{
  HnText t;
  if (!hn_text_from_data(name, text, len, &t, error))
    return NULL;
  return world_from_text(name, &t, error);
}
