/* config.c - qspnd's configuration file (--config FILE, docs/daemon.md):
 * GKeyFile, group [qspnd], one key per long option of the command line
 * (the table of options.c), the command line overriding the file. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyfile.h"
#include "optraw.h"

/* The whole file, at most QSPND_CONFIG_MAX_BYTES, after the checks of its
 * type, owner and mode; NULL with one line in err. */
static gchar *read_config(const char *path, gsize *len, char *err, size_t errlen)
{
    static const qspnd_file_rules rules = {
        "configuration file", S_IWGRP | S_IWOTH, true,
        "group and others must not be able to write it (chmod go-w" };
    int fd = qspnd_file_open_checked(path, &rules, err, errlen);
    if (fd < 0)
        return NULL;
    guint8 *buf = g_malloc(QSPND_CONFIG_MAX_BYTES + 1);
    ssize_t n = qspnd_file_read_all(fd, buf, QSPND_CONFIG_MAX_BYTES + 1);
    close(fd);
    if (n < 0 || n > QSPND_CONFIG_MAX_BYTES) {
        if (n < 0)
            snprintf(err, errlen, "configuration file %.200s: %s", path, g_strerror(errno));
        else
            snprintf(err, errlen, "configuration file %.200s is larger than %d bytes", path,
                     QSPND_CONFIG_MAX_BYTES);
        g_free(buf);
        return NULL;
    }
    *len = (gsize)n;
    return (gchar *)buf;
}

static int key_index(const char *key)
{
    size_t n;
    const qspnd_option_def *defs = qspnd_option_defs(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(defs[i].key, key) == 0)
            return (int)i;
    return -1;
}

/* One key of the file into f (its origin names the file, group and key). */
static bool load_key(GKeyFile *kf, const char *path, const char *key, qspnd_raw_options *f,
                     char *err, size_t errlen)
{
    int i = key_index(key);
    if (i < 0) {
        snprintf(err, errlen, "%.200s [%s] %.64s: unknown key (the keys are the long options of "
                 "qspnd --help but config, e.g. topology)", path, QSPND_CONFIG_GROUP, key);
        return false;
    }
    const qspnd_option_def *d = &qspnd_option_defs(&(size_t){ 0 })[i];
    GError *ge = NULL;
    bool ok = true;
    g_free(f->origin[i]);
    f->origin[i] = g_strdup_printf("%s [%s] %s", path, QSPND_CONFIG_GROUP, key);
    if (d->kind == QSPND_OPTK_LIST) {
        gchar **list = g_key_file_get_string_list(kf, QSPND_CONFIG_GROUP, key, NULL, &ge);
        for (gchar **p = list; ok && p && *p; p++)
            ok = qspnd_raw_set(f, (size_t)i, *p, err, errlen);
        if (list && !list[0])
            f->given[i] = true;            /* an empty list is given, and empty */
        g_strfreev(list);
    } else {
        /* integers and flags: the raw text, bounded by qspnd_raw_set as on the command line */
        gchar *v = d->kind == QSPND_OPTK_INT || d->kind == QSPND_OPTK_FLAG
                       ? g_key_file_get_value(kf, QSPND_CONFIG_GROUP, key, &ge)
                       : g_key_file_get_string(kf, QSPND_CONFIG_GROUP, key, &ge);
        ok = ge || qspnd_raw_set(f, (size_t)i, v, err, errlen);
        g_free(v);
    }
    if (ge) {
        snprintf(err, errlen, "%s: %s", f->origin[i], ge->message);
        g_error_free(ge);
        return false;
    }
    return ok;
}

/* Move option i from f into r (r did not give it): swap the fields. */
static void take(qspnd_raw_options *r, qspnd_raw_options *f, size_t i)
{
    const qspnd_option_def *d = &qspnd_option_defs(&(size_t){ 0 })[i];
    size_t size = d->kind == QSPND_OPTK_INT ? sizeof(gint)
                  : d->kind == QSPND_OPTK_FLAG ? sizeof(gboolean)
                  : d->kind == QSPND_OPTK_LIST ? sizeof(gchar **) : sizeof(gchar *);
    guint8 tmp[sizeof(void *) > sizeof(gint) ? sizeof(void *) : sizeof(gint)];
    memcpy(tmp, (char *)r + d->offset, size);
    memcpy((char *)r + d->offset, (char *)f + d->offset, size);
    memcpy((char *)f + d->offset, tmp, size);
    gchar *o = r->origin[i];
    r->origin[i] = f->origin[i];
    f->origin[i] = o;
    r->given[i] = true;
}

/* What GKeyFile accepts silently: a key given twice (the last would win) and
 * localized keys (key[it]: dropped unless the locale matches).  Run on a text
 * GKeyFile has parsed: every line is blank, a comment, [group] or key=value. */
static bool check_lines(const gchar *text, const char *path, char *err, size_t errlen)
{
    gchar **lines = g_strsplit(text, "\n", -1);
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    gchar *group = g_strdup("");
    bool ok = true;
    for (guint n = 0; ok && lines[n]; n++) {
        const gchar *l = lines[n];
        while (*l == ' ' || *l == '\t')
            l++;
        const gchar *eq = strchr(l, '=');
        if (*l == '[') {
            g_free(group);
            group = g_strdup(l);
            g_strchomp(group);
        } else if (*l && *l != '#' && eq) {
            gchar *key = g_strchomp(g_strndup(l, (gsize)(eq - l)));
            gchar *id = g_strdup_printf("%s%s", group, key);
            gpointer first = g_hash_table_lookup(seen, id);
            if (strchr(key, '[')) {
                snprintf(err, errlen, "%.200s:%u: %.64s: localized keys are not accepted", path, n + 1, key);
                ok = false;
            } else if (first) {
                snprintf(err, errlen, "%.200s:%u: %s %.64s: given twice (first on line %u)", path, n + 1,
                         group, key, GPOINTER_TO_UINT(first));
                ok = false;
            }
            g_hash_table_insert(seen, id, GUINT_TO_POINTER(n + 1));
            g_free(key);
        }
    }
    g_free(group);
    g_hash_table_destroy(seen);
    g_strfreev(lines);
    return ok;
}

/* Every group must be [qspnd], every key known and of its type. */
static bool load_groups(GKeyFile *kf, const char *path, qspnd_raw_options *f, char *err, size_t errlen)
{
    gchar **groups = g_key_file_get_groups(kf, NULL);
    bool ok = true;
    for (gchar **g = groups; ok && *g; g++)
        if (strcmp(*g, QSPND_CONFIG_GROUP) != 0) {
            snprintf(err, errlen, "%.200s: unknown group [%.64s] (the only group is [%s])", path, *g,
                     QSPND_CONFIG_GROUP);
            ok = false;
        }
    gchar **keys = ok ? g_key_file_get_keys(kf, QSPND_CONFIG_GROUP, NULL, NULL) : NULL;
    for (gchar **k = keys; ok && k && *k; k++)
        ok = load_key(kf, path, *k, f, err, errlen);
    g_strfreev(keys);
    g_strfreev(groups);
    return ok;
}

bool qspnd_config_load(const char *path, qspnd_raw_options *r, char *err, size_t errlen)
{
    gsize len = 0;
    gchar *text = read_config(path, &len, err, errlen);
    if (!text)
        return false;
    GKeyFile *kf = g_key_file_new();
    GError *ge = NULL;
    qspnd_raw_options f;
    qspnd_raw_init(&f);
    bool ok = g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, &ge);
    if (!ok) {
        snprintf(err, errlen, "configuration file %.200s: %s", path, ge->message);
        g_error_free(ge);
    } else {
        ok = check_lines(text, path, err, errlen) && load_groups(kf, path, &f, err, errlen);
    }
    for (size_t i = 0; ok && i < QSPND_OPT_COUNT; i++)
        if (f.given[i] && !r->given[i])
            take(r, &f, i);
    qspnd_raw_clear(&f);
    g_key_file_free(kf);
    g_free(text);
    return ok;
}
