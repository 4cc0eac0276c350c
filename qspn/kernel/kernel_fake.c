/* kernel_fake.c - recording kernel backend for unit tests (no syscalls). */
#include "kernel.h"

#include <glib.h>
#include <string.h>

typedef struct {
    GPtrArray *lines;           /* char*, NULL-terminated view kept up to date */
    GHashTable *macs;           /* dev -> MAC */
    long fail_at;               /* -1: never */
} fake_priv;

static int fake_record(kernel *k, const char *line, char *err, size_t errlen)
{
    fake_priv *p = k->priv;
    if (p->fail_at == 0) {
        p->fail_at = -1;
        g_strlcpy(err, "fake failure", errlen);
        return -1;
    }
    if (p->fail_at > 0)
        p->fail_at--;
    /* keep the array NULL-terminated */
    g_ptr_array_remove_index(p->lines, p->lines->len - 1);
    g_ptr_array_add(p->lines, g_strdup(line));
    g_ptr_array_add(p->lines, NULL);
    return 0;
}

static int fake_apply_one(kernel *k, const kop *op, char *err, size_t errlen)
{
    char line[KOP_STRLEN];
    return fake_record(k, kop_format(op, k->rt_tables, line, sizeof line), err, errlen);
}

static int fake_nft_run(kernel *k, const kop *ops, size_t n, const char *script, bool tolerant,
                        char *err, size_t errlen)
{
    /* one transaction: fails (or succeeds) as a whole */
    fake_priv *p = k->priv;
    char line[KOP_STRLEN];
    if (p->fail_at == 0) {
        p->fail_at = -1;
        g_strlcpy(err, "fake failure", errlen);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        g_ptr_array_remove_index(p->lines, p->lines->len - 1);
        g_ptr_array_add(p->lines, g_strdup(kop_format(&ops[i], k->rt_tables, line, sizeof line)));
        g_ptr_array_add(p->lines, NULL);
    }
    if (p->fail_at > 0)
        p->fail_at--;
    return 0;
}

/* The batch of a real backend, one kop at a time: kernel_apply_all() takes the
 * same path with the fake as with netlink (fail_at counts kops alike). */
static void fake_apply_batch(kernel *k, const kop *ops, size_t n,
                             void (*result)(void *ctx, size_t i, const char *err), void *ctx)
{
    char err[256];
    for (size_t i = 0; i < n; i++)
        result(ctx, i, fake_apply_one(k, &ops[i], err, sizeof err) == 0 ? NULL : err);
}

static bool fake_link_mac(kernel *k, const char *dev, char *mac, size_t len)
{
    fake_priv *p = k->priv;
    const char *m = g_hash_table_lookup(p->macs, dev);
    if (!m)
        return false;
    g_strlcpy(mac, m, len);
    return true;
}

static void fake_free(kernel *k)
{
    fake_priv *p = k->priv;
    g_ptr_array_free(p->lines, TRUE);
    g_hash_table_destroy(p->macs);
    g_free(p);
    g_free(k);
}

static const kernel_vtable fake_vt = {
    .apply_one = fake_apply_one,
    .nft_run = fake_nft_run,
    .link_mac = fake_link_mac,
    .free = fake_free,
    .apply_batch = fake_apply_batch,
};

kernel *kernel_fake_new(const char *rt_tables)
{
    kernel *k = g_new0(kernel, 1);
    fake_priv *p = g_new0(fake_priv, 1);
    p->lines = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(p->lines, NULL);
    p->macs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    p->fail_at = -1;
    k->vt = &fake_vt;
    k->priv = p;
    k->netns_fd = -1;
    g_strlcpy(k->rt_tables, rt_tables ? rt_tables : "/etc/iproute2/rt_tables", sizeof k->rt_tables);
    return k;
}

const char *const *kernel_fake_lines(kernel *k, size_t *n)
{
    fake_priv *p = k->priv;
    if (n)
        *n = p->lines->len - 1;
    return (const char *const *)p->lines->pdata;
}

void kernel_fake_clear(kernel *k)
{
    fake_priv *p = k->priv;
    g_ptr_array_set_size(p->lines, 0);
    g_ptr_array_add(p->lines, NULL);
}

void kernel_fake_fail_at(kernel *k, long n)
{
    ((fake_priv *)k->priv)->fail_at = n;
}

void kernel_fake_add_link(kernel *k, const char *dev, const char *mac)
{
    fake_priv *p = k->priv;
    g_hash_table_replace(p->macs, g_strdup(dev), g_strdup(mac));
}
