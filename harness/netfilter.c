/* netfilter.c -- see netfilter.h.
 *
 * nft -> iptables-save correspondence (nftables 1.0.6 output):
 *   ip daddr D snat to A                        -A POSTROUTING -d D -j SNAT --to-source A
 *   ip daddr D dnat [ip] prefix to P            -A PREROUTING -d D -j NETMAP --to P
 *   ip saddr S ip daddr D snat [ip] prefix to P -A POSTROUTING -s S -d D -j NETMAP --to P
 *   ether saddr M meta mark set 0x000000fa      -A PREROUTING -m mac --mac-source M
 *                                                  -j MARK --set-xmark 0xfa/0xffffffff
 * Addresses without a prefix length get "/32" as iptables-save prints them.
 * The iptables table is chosen by the base chain: type nat -> nat; type
 * filter/route at priority mangle (or a chain named mangle_*) -> mangle;
 * other filter chains -> filter.
 */
#include "netfilter.h"

#include <stdlib.h>
#include <string.h>

static const char *const table_order[] = { "raw", "mangle", "filter", "security", "nat", NULL };

static const char *const *
default_chains(const char *table)
{
  static const char *const nat[] = { "PREROUTING", "INPUT", "OUTPUT", "POSTROUTING", NULL };
  static const char *const mangle[] = { "PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING", NULL };
  static const char *const filter[] = { "INPUT", "FORWARD", "OUTPUT", NULL };
  static const char *const raw[] = { "PREROUTING", "OUTPUT", NULL };
  if (!strcmp(table, "nat"))
    return nat;
  if (!strcmp(table, "mangle"))
    return mangle;
  if (!strcmp(table, "raw"))
    return raw;
  return filter;
}

static char *
with_prefix(const char *addr)
{
  if (strchr(addr, '/'))
    return g_strdup(addr);
  return g_strconcat(addr, "/32", NULL);
}

static char *
unquote(const char *s)
{
  size_t n = strlen(s);
  if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
    return g_strndup(s + 1, n - 2);
  return g_strdup(s);
}

char *
hn_nft_rule_to_iptables(const char *hook, const char *rule)
{
  char *chain = g_ascii_strup(hook ? hook : "unknown", -1);
  char **tok = g_strsplit_set(rule, " \t", -1);
  GPtrArray *t = g_ptr_array_new();
  for (char **p = tok; *p; p++)
    if (**p)
      g_ptr_array_add(t, *p);
  guint n = t->len;
#define T(i) ((i) < n ? (const char *)g_ptr_array_index(t, (i)) : "")
  char *src = NULL, *dst = NULL, *iif = NULL, *oif = NULL, *mac = NULL, *target = NULL;
  gboolean bad = FALSE;
  guint i = 0;
  while (i < n && !bad) {
    if (!strcmp(T(i), "ip") && (!strcmp(T(i + 1), "saddr") || !strcmp(T(i + 1), "daddr")) && i + 2 < n) {
      char **slot = !strcmp(T(i + 1), "saddr") ? &src : &dst;
      g_free(*slot);
      *slot = with_prefix(T(i + 2));
      i += 3;
    } else if (!strcmp(T(i), "ether") && !strcmp(T(i + 1), "saddr") && i + 2 < n) {
      g_free(mac);
      mac = g_ascii_strdown(T(i + 2), -1);
      i += 3;
    } else if ((!strcmp(T(i), "iifname") || !strcmp(T(i), "oifname")) && i + 1 < n) {
      char **slot = !strcmp(T(i), "iifname") ? &iif : &oif;
      g_free(*slot);
      *slot = unquote(T(i + 1));
      i += 2;
    } else if (!strcmp(T(i), "counter")) {
      i++;
      while (i + 1 < n && (!strcmp(T(i), "packets") || !strcmp(T(i), "bytes")))
        i += 2;
    } else if ((!strcmp(T(i), "snat") || !strcmp(T(i), "dnat")) && target == NULL) {
      gboolean is_snat = !strcmp(T(i), "snat");
      guint j = i + 1;
      if (!strcmp(T(j), "ip"))
        j++;
      gboolean prefix = FALSE;
      if (!strcmp(T(j), "prefix")) {
        prefix = TRUE;
        j++;
      }
      if (strcmp(T(j), "to") || j + 1 >= n) {
        bad = TRUE;
        break;
      }
      const char *to = T(j + 1);
      if (prefix)
        target = g_strdup_printf("-j NETMAP --to %s", to);
      else if (is_snat)
        target = g_strdup_printf("-j SNAT --to-source %s", to);
      else
        target = g_strdup_printf("-j DNAT --to-destination %s", to);
      i = j + 2;
    } else if (!strcmp(T(i), "meta") && !strcmp(T(i + 1), "mark") && !strcmp(T(i + 2), "set") &&
               i + 3 < n && target == NULL) {
      char *end = NULL;
      unsigned long v = strtoul(T(i + 3), &end, 0);
      if (!end || *end) {
        bad = TRUE;
        break;
      }
      target = g_strdup_printf("-j MARK --set-xmark 0x%lx/0xffffffff", v);
      i += 4;
    } else if (!strcmp(T(i), "accept") && target == NULL) {
      target = g_strdup("-j ACCEPT");
      i++;
    } else if (!strcmp(T(i), "drop") && target == NULL) {
      target = g_strdup("-j DROP");
      i++;
    } else {
      bad = TRUE;
    }
  }
#undef T
  GString *out = g_string_new(NULL);
  g_string_append_printf(out, "-A %s", chain);
  if (bad) {
    g_string_append_printf(out, " -m comment --comment \"nft: %s\"", rule);
  } else {
    if (src)
      g_string_append_printf(out, " -s %s", src);
    if (dst)
      g_string_append_printf(out, " -d %s", dst);
    if (iif)
      g_string_append_printf(out, " -i %s", iif);
    if (oif)
      g_string_append_printf(out, " -o %s", oif);
    if (mac)
      g_string_append_printf(out, " -m mac --mac-source %s", mac);
    if (target)
      g_string_append_printf(out, " %s", target);
  }
  g_free(src);
  g_free(dst);
  g_free(iif);
  g_free(oif);
  g_free(mac);
  g_free(target);
  g_ptr_array_free(t, TRUE);
  g_strfreev(tok);
  g_free(chain);
  return g_string_free(out, FALSE);
}

typedef struct {
  char *name;
  GPtrArray *policies; /* ":CHAIN POLICY [x:y]" lines */
  GPtrArray *rules;    /* "-A ..." lines */
  gboolean from_ipt;
} NfTable;

static NfTable *
nf_table_get(GPtrArray *tables, const char *name)
{
  for (guint i = 0; i < tables->len; i++) {
    NfTable *t = g_ptr_array_index(tables, i);
    if (!strcmp(t->name, name))
      return t;
  }
  NfTable *t = g_new0(NfTable, 1);
  t->name = g_strdup(name);
  t->policies = g_ptr_array_new_with_free_func(g_free);
  t->rules = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(tables, t);
  return t;
}

static void
nf_table_free(gpointer p)
{
  NfTable *t = p;
  g_free(t->name);
  g_ptr_array_free(t->policies, TRUE);
  g_ptr_array_free(t->rules, TRUE);
  g_free(t);
}

static int
table_rank(const char *name)
{
  for (int i = 0; table_order[i]; i++)
    if (!strcmp(table_order[i], name))
      return i;
  return 100;
}

static gint
cmp_table(gconstpointer a, gconstpointer b)
{
  const NfTable *x = *(NfTable *const *)a, *y = *(NfTable *const *)b;
  int d = table_rank(x->name) - table_rank(y->name);
  return d ? d : strcmp(x->name, y->name);
}

static void
parse_iptables_save(GPtrArray *tables, const char *text)
{
  if (!text)
    return;
  char **lines = g_strsplit(text, "\n", -1);
  NfTable *cur = NULL;
  for (char **p = lines; *p; p++) {
    char *l = g_strchomp(*p);
    if (*l == '\0' || *l == '#')
      continue;
    if (*l == '*') {
      cur = nf_table_get(tables, l + 1);
      cur->from_ipt = TRUE;
    } else if (!strcmp(l, "COMMIT")) {
      cur = NULL;
    } else if (cur && *l == ':') {
      g_ptr_array_add(cur->policies, g_strdup(l));
    } else if (cur) {
      g_ptr_array_add(cur->rules, g_strdup(l));
    }
  }
  g_strfreev(lines);
}

static const char *
chain_table(const char *chain_name, const char *type, const char *priority)
{
  if (type && !strcmp(type, "nat"))
    return "nat";
  if ((priority && !strcmp(priority, "mangle")) || g_str_has_prefix(chain_name, "mangle"))
    return "mangle";
  if (priority && !strcmp(priority, "raw"))
    return "raw";
  return "filter";
}

static void
parse_nft(GPtrArray *tables, const char *text, GHashTable *used)
{
  if (!text)
    return;
  char **lines = g_strsplit(text, "\n", -1);
  char *chain = NULL, *type = NULL, *hook = NULL, *prio = NULL;
  GPtrArray *pending = g_ptr_array_new_with_free_func(g_free);
  for (char **p = lines; *p; p++) {
    char *l = g_strstrip(*p);
    if (*l == '\0' || *l == '#')
      continue;
    if (g_str_has_prefix(l, "table "))
      continue;
    if (g_str_has_prefix(l, "chain ")) {
      g_free(chain);
      chain = g_strdup(l + 6);
      char *b = strchr(chain, ' ');
      if (b)
        *b = '\0';
      g_clear_pointer(&type, g_free);
      g_clear_pointer(&hook, g_free);
      g_clear_pointer(&prio, g_free);
      continue;
    }
    if (g_str_has_prefix(l, "type ")) {
      /* type nat hook postrouting priority srcnat; policy accept; */
      char **w = g_strsplit_set(l, " ;", -1);
      for (int i = 0; w[i]; i++) {
        if (!strcmp(w[i], "type") && w[i + 1])
          type = g_strdup(w[i + 1]);
        else if (!strcmp(w[i], "hook") && w[i + 1])
          hook = g_strdup(w[i + 1]);
        else if (!strcmp(w[i], "priority") && w[i + 1])
          prio = g_strdup(w[i + 1]);
      }
      g_strfreev(w);
      continue;
    }
    if (!strcmp(l, "}")) {
      if (chain) {
        const char *tname = chain_table(chain, type, prio);
        for (guint i = 0; i < pending->len; i++) {
          NfTable *t = nf_table_get(tables, tname);
          g_ptr_array_add(t->rules, hn_nft_rule_to_iptables(hook ? hook : chain,
                                                            g_ptr_array_index(pending, i)));
          g_hash_table_add(used, g_strdup(tname));
        }
        g_ptr_array_set_size(pending, 0);
        g_clear_pointer(&chain, g_free);
      }
      continue;
    }
    if (g_str_has_prefix(l, "policy ") || g_str_has_prefix(l, "comment "))
      continue;
    if (chain)
      g_ptr_array_add(pending, g_strdup(l));
  }
  g_free(chain);
  g_free(type);
  g_free(hook);
  g_free(prio);
  g_ptr_array_free(pending, TRUE);
  g_strfreev(lines);
}

char *
hn_netfilter_canonical(const char *iptables_save, const char *nft_text, GHashTable *sticky)
{
  GPtrArray *tables = g_ptr_array_new_with_free_func(nf_table_free);
  GHashTable *used = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  parse_iptables_save(tables, iptables_save);
  parse_nft(tables, nft_text, used);
  if (sticky) {
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, used);
    while (g_hash_table_iter_next(&it, &k, NULL))
      g_hash_table_add(sticky, g_strdup(k));
    g_hash_table_iter_init(&it, sticky);
    while (g_hash_table_iter_next(&it, &k, NULL))
      nf_table_get(tables, k);
  }
  g_ptr_array_sort(tables, cmp_table);
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < tables->len; i++) {
    NfTable *t = g_ptr_array_index(tables, i);
    g_string_append_printf(out, "*%s\n", t->name);
    if (t->from_ipt) {
      for (guint j = 0; j < t->policies->len; j++)
        g_string_append_printf(out, "%s\n", (char *)g_ptr_array_index(t->policies, j));
    } else {
      for (const char *const *c = default_chains(t->name); *c; c++)
        g_string_append_printf(out, ":%s ACCEPT\n", *c);
    }
    for (guint j = 0; j < t->rules->len; j++)
      g_string_append_printf(out, "%s\n", (char *)g_ptr_array_index(t->rules, j));
    g_string_append(out, "COMMIT\n");
  }
  g_hash_table_destroy(used);
  g_ptr_array_free(tables, TRUE);
  return g_string_free(out, FALSE);
}
