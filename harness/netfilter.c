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

typedef struct {
  char **tok; /* words of the rule */
  guint n;
  char *src, *dst, *iif, *oif, *mac, *target;
} NftRule;

static const char *
tk(const NftRule *r, guint i)
{
  return i < r->n ? r->tok[i] : "";
}

/* snat/dnat [ip] [prefix] to X, meta mark set N, accept, drop at word i:
 * the iptables target; returns the next word index, 0 if not a target */
static guint
nft_target(NftRule *r, guint i)
{
  if ((!strcmp(tk(r, i), "snat") || !strcmp(tk(r, i), "dnat")) && !r->target) {
    gboolean is_snat = !strcmp(tk(r, i), "snat"), prefix = FALSE;
    guint j = i + 1;
    if (!strcmp(tk(r, j), "ip"))
      j++;
    if (!strcmp(tk(r, j), "prefix"))
      prefix = TRUE, j++;
    if (strcmp(tk(r, j), "to") || j + 1 >= r->n)
      return 0;
    const char *to = tk(r, j + 1);
    r->target = prefix    ? g_strdup_printf("-j NETMAP --to %s", to)
                : is_snat ? g_strdup_printf("-j SNAT --to-source %s", to)
                          : g_strdup_printf("-j DNAT --to-destination %s", to);
    return j + 2;
  }
  if (!strcmp(tk(r, i), "meta") && !strcmp(tk(r, i + 1), "mark") && !strcmp(tk(r, i + 2), "set") && i + 3 < r->n &&
      !r->target) {
    char *end = NULL;
    unsigned long v = strtoul(tk(r, i + 3), &end, 0);
    if (!end || *end)
      return 0;
    r->target = g_strdup_printf("-j MARK --set-xmark 0x%lx/0xffffffff", v);
    return i + 4;
  }
  if ((!strcmp(tk(r, i), "accept") || !strcmp(tk(r, i), "drop")) && !r->target) {
    r->target = g_strdup(!strcmp(tk(r, i), "accept") ? "-j ACCEPT" : "-j DROP");
    return i + 1;
  }
  return 0;
}

/* one match or target at word i; returns the next word index, 0 if unknown */
static guint
nft_word(NftRule *r, guint i)
{
  if (!strcmp(tk(r, i), "ip") && (!strcmp(tk(r, i + 1), "saddr") || !strcmp(tk(r, i + 1), "daddr")) && i + 2 < r->n) {
    char **slot = !strcmp(tk(r, i + 1), "saddr") ? &r->src : &r->dst;
    g_free(*slot);
    *slot = with_prefix(tk(r, i + 2));
    return i + 3;
  }
  if (!strcmp(tk(r, i), "ether") && !strcmp(tk(r, i + 1), "saddr") && i + 2 < r->n) {
    g_free(r->mac);
    r->mac = g_ascii_strdown(tk(r, i + 2), -1);
    return i + 3;
  }
  if ((!strcmp(tk(r, i), "iifname") || !strcmp(tk(r, i), "oifname")) && i + 1 < r->n) {
    char **slot = !strcmp(tk(r, i), "iifname") ? &r->iif : &r->oif;
    g_free(*slot);
    *slot = unquote(tk(r, i + 1));
    return i + 2;
  }
  if (!strcmp(tk(r, i), "counter")) {
    i++;
    while (i + 1 < r->n && (!strcmp(tk(r, i), "packets") || !strcmp(tk(r, i), "bytes")))
      i += 2;
    return i;
  }
  return nft_target(r, i);
}

char *
hn_nft_rule_to_iptables(const char *hook, const char *rule)
{
  char *chain = g_ascii_strup(hook ? hook : "unknown", -1);
  char **all = g_strsplit_set(rule, " \t", -1);
  NftRule r = { 0 };
  r.tok = g_new0(char *, g_strv_length(all) + 1);
  for (char **p = all; *p; p++)
    if (**p)
      r.tok[r.n++] = *p;
  gboolean bad = FALSE;
  for (guint i = 0; i < r.n && !bad;) {
    guint next = nft_word(&r, i);
    bad = next == 0;
    i = next;
  }
  GString *out = g_string_new(NULL);
  g_string_append_printf(out, "-A %s", chain);
  if (bad) {
    g_string_append_printf(out, " -m comment --comment \"nft: %s\"", rule);
  } else {
    const char *opt[] = { " -s ", " -d ", " -i ", " -o ", " -m mac --mac-source ", " " };
    const char *val[] = { r.src, r.dst, r.iif, r.oif, r.mac, r.target };
    for (int k = 0; k < 6; k++)
      if (val[k])
        g_string_append_printf(out, "%s%s", opt[k], val[k]);
  }
  g_free(r.src);
  g_free(r.dst);
  g_free(r.iif);
  g_free(r.oif);
  g_free(r.mac);
  g_free(r.target);
  g_free(r.tok);
  g_strfreev(all);
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
