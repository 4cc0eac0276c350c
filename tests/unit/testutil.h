/* testutil.h - helpers shared by the unit tests: reading the documents and the
 * data files that cite them, and running the CLI. */
#ifndef QSPN_TESTS_TESTUTIL_H
#define QSPN_TESTS_TESTUTIL_H

#include <stddef.h>

typedef struct {
    char **items;
    size_t n, cap;
} strlist;

void strlist_add(strlist *l, const char *s);
void strlist_clear(strlist *l);
/* One string with the items joined by '\n' (caller frees), for readable diffs. */
char *strlist_join(const strlist *l);

/* Path of a file from an environment variable naming a directory; aborts the test
 * with a clear message when the variable is unset. Caller frees. */
char *test_path(const char *env_dir, const char *relative);

/* Lines first..last (1-based, inclusive) of a file, without line ends; NULL with a
 * message when the file cannot be read or is shorter than `last`. */
strlist *read_lines(const char *path, long first, long last);

/* Split a tab-separated data line in place; returns the number of fields. */
int split_tabs(char *line, char **fields, int max);

/* Collapse runs of blanks into one space and trim (documents use double spaces). */
void squeeze_blanks(char *s);

/* Run argv (argv[0] a path) and capture stdout; returns the exit status or -1. */
int run_capture(char *const argv[], char **out, char **err);

#endif
