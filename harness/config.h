/* config.h -- world (topology) and steps files of the harness: the data model
 * and the loaders (world.c, steps.c).  Formats: topologies/README.md.
 */
#ifndef QSPN_HARNESS_CONFIG_H
#define QSPN_HARNESS_CONFIG_H

#include <glib.h>

/* Systems per world: namespaces are named after them (no length limit), hub
 * ports after them (<= 12 + ".N" <= 15 characters, IFNAMSIZ). */
#define HN_MAX_SYSTEMS 1000
/* Interfaces attached to one medium: a Linux bridge has 1024 port numbers,
 * 0 reserved (BR_MAX_PORTS, net/bridge/br_private.h). */
#define HN_MAX_MEDIUM_PORTS 1023
#define HN_MAX_IFACES 8 /* per system */
#define HN_MAX_STEPS 1000
#define HN_MAX_ACTIONS 1000 /* per step */

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
  int line;
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
  HN_ACT_ARC,     /* a, b systems: open the medium between them */
  HN_ACT_CUT,     /* a, b systems: close it */
  HN_ACT_START,   /* a: start its qspnd, wait until ready */
  HN_ACT_RESTART, /* a: start it again after kill/quit */
  HN_ACT_KILL,    /* a: SIGKILL its qspnd */
  HN_ACT_QUIT,    /* a: quit its qspnd */
  HN_ACT_ADMIN,   /* a, b = shell command run inside the system */
  HN_ACT_CTL,     /* a, b = qspnctl command line, text = required output or NULL */
  HN_ACT_CTL_BG,  /* a, b: qspnctl in the background (joined by wait) */
  HN_ACT_CTL_REFUSED, /* a, b, text: qspnctl must fail with text in its output */
  HN_ACT_WAIT,    /* join the background ctls of the step */
  HN_ACT_AWAIT,   /* a, b, text: poll qspnctl b until its output contains text */
  HN_ACT_STOP,    /* a: SIGSTOP its qspnd (frozen, not dead) */
  HN_ACT_CONT,    /* a: SIGCONT it */
  HN_ACT_NETEM,   /* a, b systems, text = tc netem parameters ("loss 20% delay 30ms"), NULL = off */
} HnActionKind;

typedef struct {
  HnActionKind kind;
  char *a, *b, *text;
  int line;
} HnAction;

typedef struct {
  char *ns;          /* system or identity namespace ("beta-entr02"), no prefix */
  gboolean contains; /* TRUE: expected lines must be present (intermediate) */
} HnCheck;

/* Explicit ping (run after the checkpoint, in file order). */
typedef struct {
  gboolean all;      /* ping-all */
  char *src, *dest;  /* ping SRC DEST ok|fail */
  gboolean expect_ok;
  int line;
} HnPing;

/* A documented line of expected/<step>/<ns>.txt declared wrong. */
typedef struct {
  char *ns;
  char *from, *to;
  char *reason;      /* the comment lines right before the directive */
  int line;
} HnDeviation;

typedef struct {
  char *id;           /* "S01a" */
  char *slug;         /* "startup-alfa" */
  GPtrArray *actions; /* HnAction* */
  gboolean check_all; /* compare every namespace (systems and identity namespaces) */
  GPtrArray *checks;  /* HnCheck*, when !check_all */
  gboolean settle;    /* await quiescence instead of comparing */
  double settle_quiet; /* seconds of identical dumps */
  double deadline;    /* seconds, 0 = default */
  gboolean intermediate; /* catalogue.md "quiescent: no" */
  GPtrArray *pings;   /* HnPing* */
  GPtrArray *deviations; /* HnDeviation* */
  int line;
} HnStep;

typedef struct {
  char *path;
  GPtrArray *steps; /* HnStep* */
} HnSteps;

HnWorld *hn_world_load(const char *path, GError **error);
/* The same from text in memory (need not end with a NUL); name stands for the
 * path in errors.  The fuzz targets use it. */
HnWorld *hn_world_from_data(const char *name, const char *text, gsize len, GError **error);
void hn_world_free(HnWorld *w);
HnSystem *hn_world_system(const HnWorld *w, const char *name);
HnMedium *hn_world_medium(const HnWorld *w, const char *name);
/* "beta-entr02" -> system beta (NULL if no system S has name "S-X" with a
 * valid X); the world forbids the ambiguous case. */
HnSystem *hn_world_identity_system(const HnWorld *w, const char *name);

HnSteps *hn_steps_load(const char *path, const HnWorld *w, GError **error);
HnSteps *hn_steps_from_data(const char *name, const char *text, gsize len, const HnWorld *w,
                            GError **error);
void hn_steps_free(HnSteps *s);
int hn_steps_index(const HnSteps *s, const char *id);

/* "S01a-S01f,S10a-S10c" or "S01a,S10c" or "S01" (prefix) or "all": is step
 * id selected?  Ranges use the order of the steps file. */
gboolean hn_steps_select(const HnSteps *s, const char *spec, gboolean *selected, GError **error);

/* Apply the deviations of `step` for namespace `ns` to the text of its
 * expected file `path` (documented, normalised): every line equal to a
 * deviation's `from` becomes its `to`.  A deviation matching no line is an
 * error.  *applied counts the deviations used.  Newly allocated. */
char *hn_apply_deviations(const HnStep *step, const char *ns, const char *text, const char *path,
                          guint *applied, GError **error);

#endif
