/* config.h -- world (topology) and steps files of the harness.
 * Formats: topologies/README.md.
 */
#ifndef QSPN_HARNESS_CONFIG_H
#define QSPN_HARNESS_CONFIG_H

#include <glib.h>

typedef struct {
  char *name;      /* interface name inside the system, e.g. "eth1" */
  char *mac;       /* "00:16:3E:FD:E2:AA" */
  char *linklocal; /* pinned link-local, or NULL */
  char *medium;    /* medium (bridge) the interface is attached to */
  char *port;      /* name of its peer (bridge port) in the hub namespace */
} HnIface;

typedef struct {
  char *name;         /* "alfa" */
  GPtrArray *ifaces;  /* HnIface* */
  char **qspnd_args;  /* NULL: plain host, no daemon */
  gboolean lo_up;     /* bring lo up at creation (default TRUE) */
} HnSystem;

typedef struct {
  char *name;         /* bridge name in the hub */
  gboolean filter;    /* pass frames only between ports joined by an arc */
} HnMedium;

typedef struct {
  char *path;
  GPtrArray *media;   /* HnMedium* */
  GPtrArray *systems; /* HnSystem* */
} HnWorld;

typedef enum {
  HN_ACT_ARC,    /* a = system, b = system: open the medium between them */
  HN_ACT_START,  /* a = system: start its qspnd, wait until ready */
  HN_ACT_ADMIN,  /* a = system, b = shell command run inside the system */
  HN_ACT_CTL,    /* a = system, b = qspnctl command line (words) */
  HN_ACT_QUIT,   /* a = system: quit its qspnd */
} HnActionKind;

typedef struct {
  HnActionKind kind;
  char *a, *b;
  int line;
} HnAction;

typedef struct {
  char *ns;         /* namespace name without prefix */
  gboolean contains; /* TRUE: expected lines must be present (intermediate) */
} HnCheck;

typedef struct {
  char *id;          /* "S01a" */
  char *slug;        /* "startup-alfa" */
  GPtrArray *actions; /* HnAction* */
  gboolean check_all; /* compare every namespace of the world */
  GPtrArray *checks; /* HnCheck*, when !check_all */
  double deadline;   /* seconds, 0 = default */
  int line;
} HnStep;

typedef struct {
  char *path;
  GPtrArray *steps; /* HnStep* */
} HnSteps;

HnWorld *hn_world_load(const char *path, GError **error);
void hn_world_free(HnWorld *w);
HnSystem *hn_world_system(const HnWorld *w, const char *name);
HnMedium *hn_world_medium(const HnWorld *w, const char *name);

HnSteps *hn_steps_load(const char *path, const HnWorld *w, GError **error);
void hn_steps_free(HnSteps *s);

/* "S01a-S01f,S10a-S10c" or "S01a,S10c" or "all": is step id selected?
 * Ranges use the order of the steps file. */
gboolean hn_steps_select(const HnSteps *s, const char *spec, gboolean *selected, GError **error);

#endif
