/* netem.c -- the `netem A B ...` directive: loss and delay (tc netem) on the
 * frames between two systems only, applied in the hub.
 *
 * Each system's interface is a veth whose hub end is a port of the medium's
 * bridge (testbed.c).  A qdisc on a hub port shapes what that port *sends*,
 * i.e. the frames delivered to its system, from every other port.  To impair
 * A<->B and nothing else, the frames are classified by the pair of ports they
 * cross: a bridge `forward` chain (table `bridge qh_netem`, before the medium
 * filter) sets skb->priority from a map `IN . OUT -> classid`; the root HTB
 * qdisc of port OUT sends a frame whose priority names one of its classes to
 * that class, whose leaf is the netem qdisc, and every other frame directly
 * (HTB without a default class).  The HTB classes have a rate far above what
 * the testbed carries: they only select, never shape.  Both directions of
 * every interface pair of A and B on a common medium get the same parameters.
 * Why not in the systems' namespaces: there a qdisc would have to classify by
 * destination MAC (broadcast HELLOs would escape it) and would sit on the
 * interface qspnd manages; the hub sees each frame once per receiving port. */
#define _GNU_SOURCE
#include "run.h"

#include <string.h>

struct HnNetem {
  gboolean probed, available;
  char *missing;         /* why netem is unusable (kernel, tc) */
  gboolean table_made;   /* table bridge qh_netem exists in the hub */
  GHashTable *rooted;    /* hub ports with the HTB root */
  GHashTable *classes;   /* "IN>OUT" -> minor of class 1:minor on port OUT */
  guint next_minor;
};

static HnNetem *
netem_state(HnRun *r)
{
  if (!r->netem) {
    r->netem = g_new0(HnNetem, 1);
    r->netem->rooted = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    r->netem->classes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    r->netem->next_minor = 0x10; /* 1:1 .. 1:f left free; minors are hex in tc */
  }
  return r->netem;
}

void
hn_netem_free(HnNetem *n)
{
  if (!n)
    return;
  g_free(n->missing);
  g_hash_table_destroy(n->rooted);
  g_hash_table_destroy(n->classes);
  g_free(n);
}

/* Run a command in the hub; on failure append "WHAT: output; " to why. */
static gboolean
hub_run(HnRun *r, char **argv, const char *what, GString *why)
{
  char *out = NULL;
  gboolean ok = hn_run(argv, r->bed->hub, &out);
  if (!ok && why)
    g_string_append_printf(why, "%s: %s; ", what, hn_oneline(&out));
  g_free(out);
  return ok;
}

/* Probe once: a netem qdisc on a scratch veth pair in the hub (after a
 * modprobe, which fails harmlessly where modules are built in or absent). */
gboolean
hn_netem_available(HnRun *r, const char **why)
{
  HnNetem *n = netem_state(r);
  if (!n->probed) {
    n->probed = TRUE;
    char *modprobe[] = { "modprobe", "-q", "sch_netem", NULL };
    char *out = NULL;
    hn_run(modprobe, NULL, &out);
    g_free(out);
    char *add[] = { "ip", "link", "add", "qhnetem0", "type", "veth", "peer", "name", "qhnetem1", NULL };
    char *qdisc[] = { "tc", "qdisc", "add", "dev", "qhnetem0", "root", "netem", "delay", "1ms", NULL };
    char *del[] = { "ip", "link", "del", "qhnetem0", NULL };
    GString *e = g_string_new(NULL);
    n->available = hub_run(r, add, "ip link add (probe veth)", e) && hub_run(r, qdisc, "tc qdisc add ... netem", e);
    hub_run(r, del, "ip link del (probe veth)", NULL);
    if (!n->available)
      n->missing = g_strdup_printf("the kernel has no tc netem qdisc (sch_netem: CONFIG_NET_SCH_NETEM, "
                                   "module not loadable): %s", hn_tidy(e));
    g_string_free(e, TRUE);
  }
  *why = n->missing;
  return n->available;
}

static gboolean
make_table(HnRun *r, GString *why)
{
  HnNetem *n = netem_state(r);
  if (n->table_made)
    return TRUE;
  char *argv[] = { "nft",
                   "table bridge qh_netem { map classes { type ifname . ifname : classid; }; "
                   "chain forward { type filter hook forward priority -10; policy accept; "
                   "meta priority set iifname . oifname map @classes; }; }",
                   NULL };
  n->table_made = hub_run(r, argv, "nft table bridge qh_netem", why);
  return n->table_made;
}

/* Frames from port in to port out: through netem with params, or (NULL)
 * directly again. */
static gboolean
netem_direction(HnRun *r, const char *in, const char *out, const char *params, GString *why)
{
  HnNetem *n = netem_state(r);
  char *key = g_strdup_printf("%s>%s", in, out);
  guint minor = GPOINTER_TO_UINT(g_hash_table_lookup(n->classes, key));
  gboolean ok = TRUE;
  if (!params) {
    char *elem = g_strdup_printf("delete element bridge qh_netem classes { \"%s\" . \"%s\" }", in, out);
    char *cls = g_strdup_printf("1:%x", minor);
    char *nft[] = { "nft", elem, NULL };
    char *tc[] = { "tc", "class", "del", "dev", (char *)out, "classid", cls, NULL };
    ok = hub_run(r, nft, "nft delete element", why) && hub_run(r, tc, "tc class del", why);
    g_hash_table_remove(n->classes, key);
    g_free(elem);
    g_free(cls);
    g_free(key);
    return ok;
  }
  if (!g_hash_table_contains(n->rooted, out)) {
    char *root[] = { "tc", "qdisc", "replace", "dev", (char *)out, "root", "handle", "1:", "htb", NULL };
    ok = hub_run(r, root, "tc qdisc replace ... root htb", why);
    if (ok)
      g_hash_table_add(n->rooted, g_strdup(out));
  }
  if (!minor)
    minor = n->next_minor++;
  char *cls = g_strdup_printf("1:%x", minor), *handle = g_strdup_printf("%x:", minor);
  char *elem = g_strdup_printf("add element bridge qh_netem classes { \"%s\" . \"%s\" : %s }", in, out, cls);
  char *class_argv[] = { "tc", "class", "replace", "dev", (char *)out, "parent", "1:", "classid", cls, "htb",
                         "rate", "10gbit", "burst", "1mb", "cburst", "1mb", "quantum", "60000", NULL };
  char *netem_cmd = g_strdup_printf("tc qdisc replace dev %s parent %s handle %s netem %s", out, cls, handle, params);
  char **netem_argv = g_strsplit(netem_cmd, " ", -1);
  char *nft[] = { "nft", elem, NULL };
  ok = ok && hub_run(r, class_argv, "tc class replace", why) && hub_run(r, netem_argv, netem_cmd, why) &&
       hub_run(r, nft, "nft add element", why);
  if (ok)
    g_hash_table_replace(n->classes, g_steal_pointer(&key), GUINT_TO_POINTER(minor));
  g_strfreev(netem_argv);
  g_free(netem_cmd);
  g_free(elem);
  g_free(cls);
  g_free(handle);
  g_free(key);
  return ok;
}

gboolean
hn_netem_apply(HnRun *r, const char *a, const char *b, const char *params, GString *why)
{
  const char *missing = NULL;
  if (!hn_netem_available(r, &missing)) {
    g_string_append_printf(why, "netem %s %s: %s; ", a, b, missing);
    return FALSE;
  }
  if (!make_table(r, why))
    return FALSE;
  HnSystem *sa = hn_world_system(r->world, a), *sb = hn_world_system(r->world, b);
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < sa->ifaces->len; i++) {
    HnIface *fa = g_ptr_array_index(sa->ifaces, i);
    for (guint j = 0; ok && j < sb->ifaces->len; j++) {
      HnIface *fb = g_ptr_array_index(sb->ifaces, j);
      if (strcmp(fa->medium, fb->medium))
        continue;
      char *key = g_strdup_printf("%s>%s", fa->port, fb->port);
      gboolean on = g_hash_table_contains(netem_state(r)->classes, key);
      g_free(key);
      if (!params && !on) {
        g_string_append_printf(why, "netem %s %s off: no netem between them; ", a, b);
        return FALSE;
      }
      ok = netem_direction(r, fa->port, fb->port, params, why) && netem_direction(r, fb->port, fa->port, params, why);
    }
  }
  return ok;
}

/* A step with a netem directive on a kernel without netem is skipped whole:
 * its other actions would test nothing of what it is about. */
gboolean
hn_netem_step_unavailable(HnRun *r, const HnStep *st, const char **why)
{
  for (guint i = 0; i < st->actions->len; i++)
    if (((HnAction *)g_ptr_array_index(st->actions, i))->kind == HN_ACT_NETEM)
      return !hn_netem_available(r, why);
  return FALSE;
}
