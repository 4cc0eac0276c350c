/* parse.h -- bounded line-based text input shared by the harness parsers
 * (world, steps, PINGS.txt, the replayed sequence script).  Every error names
 * the file and the line. */
#ifndef QSPN_HARNESS_PARSE_H
#define QSPN_HARNESS_PARSE_H

#include <glib.h>

#define HN_ERR g_quark_from_static_string("qspn-harness")

#define HN_MAX_FILE (4 * 1024 * 1024) /* bytes of one input file */
#define HN_MAX_LINE 8192              /* bytes of one line */
#define HN_MAX_SECONDS 86400.0        /* any duration in a file or an option */

typedef struct {
  char *path;
  char **lines; /* NULL-terminated, without '\n' (a final '\r' is kept) */
  int n;
} HnText;

/* Read a whole file: at most HN_MAX_FILE bytes, no NUL byte, valid UTF-8,
 * lines of at most HN_MAX_LINE bytes; errors "<path>:<line>: ...". */
gboolean hn_text_load(const char *path, HnText *t, GError **error);
/* The same checks on text[0..len) already in memory (need not end with a
 * NUL); path only names it in errors.  Used by hn_text_load and the fuzz targets. */
gboolean hn_text_from_data(const char *path, const char *text, gsize len, HnText *t, GError **error);
void hn_text_clear(HnText *t);

/* Words of a line separated by blanks; NULL for a blank or comment line
 * ('#' as first non-blank character). */
char **hn_words(const char *line);
/* Rest of the line after its first n words, leading blanks skipped. */
const char *hn_rest_after(const char *line, int n);

/* A duration: finite decimal number with min < value <= max (no nan, inf,
 * hex, trailing garbage). */
gboolean hn_parse_seconds(const char *s, double min, double max, double *out);
/* 1..max characters of [A-Za-z0-9_.-], not starting with '.' or '-' */
gboolean hn_valid_name(const char *s, size_t max);

/* Sets "<path>:<line>: message" ("<path>: message" when line is 0); returns FALSE. */
gboolean hn_set_error_at(GError **error, const char *path, int line, const char *fmt, ...) G_GNUC_PRINTF(4, 5);

#endif
