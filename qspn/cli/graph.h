/* graph.h - `qspnctl graph`: the network as one identity's QSPN sees it, in
 * graphviz DOT.  Pure parts: the view read from `show_qspn_data LOCAL_ID
 * --json` (graph_json.c, every value bounded) and its rendering (graph.c); the
 * shell that asks the daemon and runs `dot -Tsvg` is graph_cmd.c. */
#ifndef QSPN_CLI_GRAPH_H
#define QSPN_CLI_GRAPH_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define QG_MAX_LEVELS 22          /* NTK_MAX_LEVELS */
#define QG_MAX_POS (1 << 20)      /* NTK_MAX_POS: positions are below it */
#define QG_MAX_ARCS 256
#define QG_MAX_DESTS 4096
#define QG_MAX_PATHS 64
#define QG_MAX_HOPS 64            /* QSPN_MAX_ROUTE */
#define QG_TEXTLEN 64

typedef struct {
    int lvl, pos;
    uint32_t arc_id;              /* the arc by which the path enters the g-node */
} qg_hop;

typedef struct {
    uint32_t cost;                /* the whole path, my arc included */
    uint32_t arc_id;              /* my qspn-arc to hops[0] */
    int n_hops;
    qg_hop hops[QG_MAX_HOPS];     /* hops[0] the gateway g-node, hops[n-1] the destination */
} qg_path;

typedef struct {
    int lvl, pos;
    GArray *paths;                /* qg_path, cheapest first: [0] is the best path */
} qg_dest;

typedef struct {
    uint32_t arc_id;
    bool known;                   /* the peer's address is known */
    int peer[QG_MAX_LEVELS];      /* its positions by level */
    uint32_t cost;
    char dev[QG_TEXTLEN];
    char peer_mac[QG_TEXTLEN];
} qg_arc;

typedef struct {
    int local_identity;
    uint32_t nodeid;
    bool main;
    bool bootstrap_complete;
    int levels;
    int pos[QG_MAX_LEVELS];       /* my address by level (index 0 = level 0) */
    int gsize[QG_MAX_LEVELS];
    char ns[QG_TEXTLEN];
    GArray *arcs;                 /* qg_arc */
    GArray *dests;                /* qg_dest */
} qg_view;

void qg_view_init(qg_view *v);
void qg_view_clear(qg_view *v);

/* graph_json.c: the view of a `show_qspn_data LOCAL_ID --json` document; false
 * with the reason in err when the document is not one or breaks a bound. */
bool qg_view_from_json(const char *text, qg_view *v, GString *err);
/* The index of the main identity in a `show_local_identities --json` document. */
bool qg_main_identity(const char *text, int *index, GString *err);

/* graph.c: DOT of the view.  My g-nodes of levels levels..1 are nested
 * clusters; a known destination (l, p) is a node inside my g-node of level
 * l+1; my qspn-arcs are edges from me (labelled with id, interface, peer MAC,
 * cost); the hops of every known path are edges (dashed), those of each
 * destination's best path drawn bold red. */
void qg_render_dot(const qg_view *v, GString *out);
/* Appends s to out as the inside of a DOT double-quoted string. */
void qg_dot_escape(const char *s, GString *out);

/* graph_cmd.c: `qspnctl [options] graph [--svg FILE] [LOCAL_ID]` */
int qspnctl_graph_main(const char *dir, double timeout, int argc, char **argv);
void qspnctl_graph_usage(FILE *out);

#endif
