/* testbed.h -- network namespaces of a harness run: build, media (arc/cut),
 * identity namespaces, dump, teardown, orphan sweep.
 */
#ifndef QSPN_HARNESS_TESTBED_H
#define QSPN_HARNESS_TESTBED_H

#include <glib.h>
#include <sys/types.h>

#include "config.h"
#include "util.h"

typedef struct HnNs HnNs;
struct HnNs {
  char *name;          /* "alfa", or "beta-entr02" for an identity namespace */
  char *real;          /* "qh1234-alfa" */
  HnSystem *sys;       /* the system (of the parent, for identity namespaces) */
  HnNs *parent;        /* identity namespace: its system's HnNs; NULL for systems */
  GHashTable *sticky;  /* netfilter tables seen with nft rules (netfilter.h) */
  /* daemon (systems only) */
  GPid pid;            /* qspnd, 0 if none */
  int exit_status;     /* wait status once reaped, -1 while running */
  gboolean killed;     /* SIGKILLed by a kill directive (not a failure) */
  char *control_dir;
  char *log_file;      /* --log-file */
  char *out_file;      /* stdout/stderr of qspnd */
  char *prestart;      /* semantic-normalised dump before any step */
};

typedef struct {
  HnWorld *world;
  char *prefix;        /* "qh1234-" */
  char *run_dir;       /* /tmp/qh1234-run */
  char *hub;           /* "qh1234-hub" */
  GPtrArray *nss;      /* HnNs*: systems in world order (hub not included) */
  GPtrArray *idns;     /* HnNs*: identity namespaces alive, sorted by name */
  GPtrArray *created;  /* real netns names created by the harness */
  GPtrArray *etc_dirs; /* /etc/netns/<real> created */
  GHashTable *open;    /* "PORT>PORT" opened by arc on filter media */
  GHashTable *cut;     /* "PORT>PORT" closed by cut on flat media */
  gboolean created_etc_root;
  gboolean verbose;
} HnBed;

/* Run a shell script with `ip netns exec REAL sh -c SCRIPT` (so that the
 * system's /etc/netns/REAL/iproute2/rt_tables is seen).  out: stdout+stderr. */
gboolean hn_run_in_system(const char *real, const char *script, char **out);

HnBed *hn_bed_new(HnWorld *w, gboolean verbose);
/* Create namespaces, hub bridges, veths, MACs, rt_tables copies, ... */
gboolean hn_bed_build(HnBed *bed, GError **error);
/* Open / close the medium between two systems (both directions, every pair of
 * their interfaces on a common medium). */
gboolean hn_bed_arc(HnBed *bed, const char *a, const char *b, GError **error);
gboolean hn_bed_cut(HnBed *bed, const char *a, const char *b, GError **error);
/* A system or a known identity namespace, by name without prefix. */
HnNs *hn_bed_ns(HnBed *bed, const char *name);
/* Systems then identity namespaces (not owning). */
GPtrArray *hn_bed_all(HnBed *bed);
/* Re-read /run/netns/<prefix><system>-* into bed->idns (kept entries keep
 * their state). */
void hn_bed_refresh_identities(HnBed *bed);
/* Identity namespace <prefix>SYS-NAME, as sequence-netns.sh's ns_add/ns_del. */
gboolean hn_bed_idns_add(HnBed *bed, const char *sys, const char *name, GError **error);
gboolean hn_bed_idns_del(HnBed *bed, const char *sys, const char *name, GError **error);
/* Kill remaining daemons (by PID), delete every namespace of the run and the
 * files; with keep, leave everything (daemons too) and say how to clean up. */
void hn_bed_teardown(HnBed *bed, gboolean keep);
void hn_bed_free(HnBed *bed);

/* Dump the kernel state of the given namespaces (concurrently); returns a
 * NULL-terminated array of raw dumps, one per entry of nss, in the format of
 * the documented dumps ("### ip route show table all", "### ip rule",
 * "### ip addr", "### iptables-save" [, "### rt_tables (non-comment lines)"
 * for systems]).  Identity namespaces are entered from their system.
 * use_sticky: pass each namespace's sticky set to the netfilter renderer. */
char **hn_bed_dump(HnBed *bed, HnNs **nss, guint n, gboolean use_sticky);
/* Append to o the output of one `ip -batch` of "route show table all", "rule"
 * and "addr" (len bytes at ip), cut into the three sections of a dump: a
 * rule line starts "N:\t", an address line "N: ", no route line does. */
void hn_dump_split_ip(GString *o, const char *ip, size_t len);

/* Reap the daemon if it exited; returns TRUE if still running. */
gboolean hn_ns_daemon_alive(HnNs *ns);
/* SIGTERM, wait up to grace seconds, SIGKILL (grace 0: SIGKILL at once); reaps. */
void hn_ns_daemon_kill(HnNs *ns, double grace);

/* Delete namespaces by real name (one `ip -force -batch`, then unmount what
 * is left).  dir: where to write the batch file. */
void hn_delete_netns(const char *dir, GPtrArray *names);
/* Remove what dead harness runs left behind (netns, /etc/netns dirs, run
 * dirs, processes inside those namespaces).  Only names matching
 * qh<PID>- whose PID is not a live qspn-harness.  Returns number of objects
 * removed; prints what it does when verbose. */
int hn_sweep(gboolean verbose);
/* Names under /run/netns, /etc/netns and /tmp starting with prefix. */
GPtrArray *hn_leftovers(const char *prefix);
/* /run/netns names */
GPtrArray *hn_list_netns(void);

#endif
