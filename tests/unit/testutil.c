#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void strlist_add(strlist *l, const char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->items = realloc(l->items, l->cap * sizeof *l->items);
        if (!l->items)
            abort();
    }
    l->items[l->n++] = strdup(s);
}

void strlist_clear(strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = l->cap = 0;
}

char *strlist_join(const strlist *l)
{
    size_t len = 1;
    for (size_t i = 0; i < l->n; i++)
        len += strlen(l->items[i]) + 1;
    char *s = calloc(1, len);
    for (size_t i = 0; i < l->n; i++) {
        strcat(s, l->items[i]);
        strcat(s, "\n");
    }
    return s;
}

char *test_path(const char *env_dir, const char *relative)
{
    const char *dir = getenv(env_dir);
    if (!dir || !*dir) {
        fprintf(stderr, "environment variable %s is not set (run the tests through meson)\n",
                env_dir);
        exit(1);
    }
    size_t len = strlen(dir) + strlen(relative) + 2;
    char *p = malloc(len);
    snprintf(p, len, "%s/%s", dir, relative);
    return p;
}

strlist *read_lines(const char *path, long first, long last)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot read %s: %s\n", path, strerror(errno));
        return NULL;
    }
    strlist *l = calloc(1, sizeof *l);
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    long no = 0;
    while (no < last && (got = getline(&line, &cap, f)) >= 0) {
        no++;
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
            line[--got] = '\0';
        if (no >= first)
            strlist_add(l, line);
    }
    free(line);
    fclose(f);
    if (no < last) {
        fprintf(stderr, "%s has only %ld lines, %ld wanted\n", path, no, last);
        strlist_clear(l);
        free(l);
        return NULL;
    }
    return l;
}

int split_tabs(char *line, char **fields, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(line, "\t", &save); tok && n < max; tok = strtok_r(NULL, "\t", &save))
        fields[n++] = tok;
    return n;
}

void squeeze_blanks(char *s)
{
    char *w = s;
    int blank = 1;
    for (char *r = s; *r; r++) {
        if (*r == ' ' || *r == '\t') {
            if (!blank)
                *w++ = ' ';
            blank = 1;
        } else {
            *w++ = *r;
            blank = 0;
        }
    }
    if (w > s && w[-1] == ' ')
        w--;
    *w = '\0';
}

static char *slurp_fd(int fd)
{
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    ssize_t got;
    while ((got = read(fd, buf + len, cap - len - 1)) > 0) {
        len += (size_t)got;
        if (cap - len < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    buf[len] = '\0';
    return buf;
}

int run_capture(char *const argv[], char **out, char **err)
{
    int po[2], pe[2];
    if (pipe(po) || pipe(pe))
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(po[1], 1);
        dup2(pe[1], 2);
        close(po[0]);
        close(pe[0]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    /* Outputs here are small: read stdout fully, then stderr. */
    *out = slurp_fd(po[0]);
    *err = slurp_fd(pe[0]);
    close(po[0]);
    close(pe[0]);
    int status;
    if (waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
