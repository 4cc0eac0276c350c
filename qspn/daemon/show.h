/* show.h - what the system shows: `show` (text and JSON, show.c) and the
 * print-outs of the original program (printouts.c, behaviour.md §7.3). */
#ifndef QSPN_DAEMON_SHOW_H
#define QSPN_DAEMON_SHOW_H

#include <glib.h>

#include "system.h"

char *qsys_show_text(const qsys *s);
char *qsys_show_json(const qsys *s);

/* --json of the print-outs (show_json.c, docs/json-schema/<command>.json) */
char *qspnd_json_handlednics(const qspnd_config *c);
char *qsys_json_neighborhood_arcs(const qsys *s);
char *qsys_json_real_arcs(const qsys *s);
char *qsys_json_local_identities(const qsys *s);
char *qsys_json_identity_arcs(const qsys *s, const qid *q);
char *qsys_json_qspn_data(const qsys *s, const qid *q);

void print_local_identity(const qsys *s, const qid *q, GString *out);
void print_identity_arc(const qsys *s, const idm_idarc *w, GString *out);
void print_neighborhood_arcs(const qsys *s, GString *out);
void print_real_arcs(const qsys *s, GString *out);
void print_qspn_data(const qsys *s, const qid *q, GString *out);

#endif
