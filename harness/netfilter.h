/* netfilter.h -- render qspnd's nftables rules in the iptables-save form of
 * the documented dumps, merged with real iptables rules.
 */
#ifndef QSPN_HARNESS_NETFILTER_H
#define QSPN_HARNESS_NETFILTER_H

#include <glib.h>

/* Translate one nft rule (as printed by `nft list table`, e.g.
 * "ip daddr 10.0.0.64/27 snat to 10.0.0.26") of the base chain hooked at
 * `hook` (e.g. "postrouting") into an iptables-save line
 * ("-A POSTROUTING -d 10.0.0.64/27 -j SNAT --to-source 10.0.0.26").
 * Unknown constructs give "-A CHAIN -m comment --comment \"nft: ...\"" so
 * that they show up in diffs.  Newly allocated. */
char *hn_nft_rule_to_iptables(const char *hook, const char *rule);

/* Canonical content of the "### iptables-save" section (without the header
 * line) from the raw output of iptables-save and of
 * `nft list table ip qspnd` (either may be empty or NULL).
 * Tables are printed in iptables-nft's order (raw, mangle, filter,
 * security, nat); a table made of nft rules only gets the default ACCEPT
 * policy lines.  sticky (may be NULL) is a set of table names: a table that
 * once had nft rules keeps being printed (empty) afterwards, like a real
 * iptables table that is never deleted once created.  Newly allocated. */
char *hn_netfilter_canonical(const char *iptables_save, const char *nft_text, GHashTable *sticky);

#endif
