/* testbed.h -- network namespaces of a harness run: build, dump, teardown,
 * orphan sweep, process helpers.
 */
#ifndef QSPN_HARNESS_TESTBED_H
#define QSPN_HARNESS_TESTBED_H

#include <glib.h>
#include <signal.h>
#include <sys/types.h>

#include "config.h"

/* Set by SIGINT/SIGTERM/SIGHUP/SIGALRM: every wait of the harness gives up. */
extern volatile sig_atomic_t hn_interrupted;

typedef struct {
  char *name;          /* "alfa" (no prefix) */
  char *real;          /* "qh1234-alfa" */
  HnSystem *sys;       /* system, or NULL for the hub */
  GHashTable *sticky;  /* netfilter tables seen with nft rules (netfilter.h) */
  /* daemon */
  GPid pid;            /* qspnd, 0 if none */
  int exit_status;     /* wait status once reaped, -1 while running */
  char *control_dir;
  char *log_file;      /* --log-file */
  char *out_file;      /* stdout/stderr of qspnd */
  char *prestart;      /* semantic-normalised dump before any step */
} HnNs;

typedef struct {
  HnWorld *world;
  char *prefix;        /* "qh1234-" */
  char *run_dir;       /* /tmp/qh1234-run */
  char *hub;           /* "qh1234-hub" */
  GPtrArray *nss;      /* HnNs*: systems in world order (hub not included) */
  GPtrArray *created;  /* real netns names created (for teardown) */
  GPtrArray *etc_dirs; /* /etc/netns/<real> created */
  gboolean created_etc_root;
  gboolean verbose;
} HnBed;

/* Current monotonic time in seconds. */
double hn_now(void);
/* Sleep up to `seconds`, returning early (FALSE) if interrupted. */
gboolean hn_sleep(double seconds);

/* Run argv (optionally inside netns `netns_real`, entered with setns(), no
 * mount namespace change), capturing stdout+stderr into *out (may be NULL).
 * Returns TRUE iff it exited 0. */
gboolean hn_run(char **argv, const char *netns_real, char **out);

/* Run a shell script with `ip netns exec REAL sh -c SCRIPT` (so that the
 * system's /etc/netns/REAL/iproute2/rt_tables is seen).  out: stdout+stderr. */
gboolean hn_run_in_system(const HnBed *bed, const char *real, const char *script, char **out);

HnBed *hn_bed_new(HnWorld *w, gboolean verbose);
/* Create namespaces, hub bridges, veths, MACs, rt_tables copies, ... */
gboolean hn_bed_build(HnBed *bed, GError **error);
/* Open the medium between two systems (both directions). */
gboolean hn_bed_arc(HnBed *bed, const char *a, const char *b, GError **error);
HnNs *hn_bed_ns(HnBed *bed, const char *name);
/* Kill remaining daemons (by PID), delete namespaces and files. */
void hn_bed_teardown(HnBed *bed, gboolean keep);
void hn_bed_free(HnBed *bed);

/* Dump the kernel state of the given namespaces (concurrently); returns a
 * NULL-terminated array of raw dumps, one per entry of nss, in the format of
 * the documented dumps ("### ip route show table all", "### ip rule",
 * "### ip addr", "### iptables-save" [, "### rt_tables (non-comment lines)"]).
 * use_sticky: pass each namespace's sticky set to the netfilter renderer. */
char **hn_bed_dump(HnBed *bed, HnNs **nss, guint n, gboolean use_sticky);

/* Reap the daemon if it exited; returns TRUE if still running. */
gboolean hn_ns_daemon_alive(HnNs *ns);
/* SIGTERM, wait up to grace seconds, SIGKILL; reaps. */
void hn_ns_daemon_kill(HnNs *ns, double grace);

/* Remove what dead harness runs left behind (netns, /etc/netns dirs, run
 * dirs, processes inside those namespaces).  Only names matching
 * qh<PID>- whose PID is not a live qspn-harness.  Returns number of objects
 * removed; prints what it does when verbose. */
int hn_sweep(gboolean verbose);

/* Names under /run/netns and /etc/netns starting with prefix (for checks). */
GPtrArray *hn_leftovers(const char *prefix);

#endif
