/* kernel_apply.c - the batching apply loop of every backend: kops in order,
 * consecutive nftables kops as one transaction, one debug log line per kop,
 * and the observer (qspnctl monitor) told of each kop's outcome. */
#include "kernel.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#define G_LOG_DOMAIN_KERNEL "qspn-kernel"

static bool is_nft(const kop *op)
{
    return op->type == KOP_NFT_TABLE_ADD || op->type == KOP_NAT_ADD ||
           op->type == KOP_NFT_TABLE_DEL || op->type == KOP_MARK_ADD ||
           op->type == KOP_NFT_CHAIN_FLUSH;
}

int kernel_apply(kernel *k, const kop *ops, size_t n, size_t *done, char *err, size_t errlen)
{
    return kernel_apply_cancellable(k, ops, n, done, NULL, err, errlen);
}

static int apply_here(kernel *k, const kop *ops, size_t n, size_t *done,
                      const volatile sig_atomic_t *cancel, char *err, size_t errlen);

int kernel_apply_cancellable(kernel *k, const kop *ops, size_t n, size_t *done,
                             const volatile sig_atomic_t *cancel, char *err, size_t errlen)
{
    if (done)
        *done = 0;
    if (n == 0)
        return 0;
    if (!k->vt->enter)
        return apply_here(k, ops, n, done, cancel, err, errlen);
    int token = k->vt->enter(k, err, errlen);
    if (token < 0)
        return -1;
    int rc = apply_here(k, ops, n, done, cancel, err, errlen);
    k->vt->leave(k, token);
    return rc;
}

static void log_op(const kernel *k, const char *line)
{
    if (k->label[0])
        g_log_structured(G_LOG_DOMAIN_KERNEL, G_LOG_LEVEL_DEBUG, "MESSAGE", "ip netns exec %s %s",
                         k->label, line);
    else
        g_log_structured(G_LOG_DOMAIN_KERNEL, G_LOG_LEVEL_DEBUG, "MESSAGE", "%s", line);
}

static void observed(const kernel *k, const kop *op, const char *line, kernel_op_result r,
                     const char *err)
{
    if (k->observe)
        k->observe(k->observe_ctx, k, op, line, r, r == KERNEL_OP_OK ? "" : err);
}

/* Every kop of an nft transaction has the transaction's outcome. */
static void observe_run(const kernel *k, const kop *ops, size_t n, kernel_op_result r, const char *err)
{
    char line[KOP_STRLEN];
    for (size_t i = 0; k->observe && i < n; i++) {
        kop_format(&ops[i], k->rt_tables, line, sizeof line);
        observed(k, &ops[i], line, r, err);
    }
}

void kernel_set_observer(kernel *k, kernel_observer fn, void *ctx)
{
    k->observe = fn;
    k->observe_ctx = ctx;
}

static int apply_here(kernel *k, const kop *ops, size_t n, size_t *done,
                      const volatile sig_atomic_t *cancel, char *err, size_t errlen)
{
    char line[KOP_STRLEN];
    size_t i = 0;

    while (i < n) {
        if (cancel && *cancel) {
            snprintf(err, errlen, "interrupted after %zu of %zu operations", i, n);
            return KERNEL_CANCELLED;
        }
        if (!is_nft(&ops[i])) {
            kop_format(&ops[i], k->rt_tables, line, sizeof line);
            log_op(k, line);
            if (k->vt->apply_one(k, &ops[i], err, errlen) != 0) {
                if (!ops[i].tolerant) {
                    g_log_structured(G_LOG_DOMAIN_KERNEL, G_LOG_LEVEL_WARNING, "MESSAGE",
                                     "failed: %s: %s", line, err);
                    observed(k, &ops[i], line, KERNEL_OP_FAILED, err);
                    return -1;
                }
                g_log_structured(G_LOG_DOMAIN_KERNEL, G_LOG_LEVEL_DEBUG, "MESSAGE",
                                 "ignored (nothing to undo): %s", err);
                observed(k, &ops[i], line, KERNEL_OP_IGNORED, err);
            } else {
                observed(k, &ops[i], line, KERNEL_OP_OK, err);
            }
            i++;
            if (done)
                *done = i;
            continue;
        }
        /* one transaction for the run of nft kops */
        GString *script = g_string_new(NULL);
        bool tolerant = true;
        size_t j = i;
        for (; j < n && is_nft(&ops[j]); j++) {
            char nbuf[KOP_STRLEN * 2];
            kop_format(&ops[j], k->rt_tables, line, sizeof line);
            log_op(k, line);
            g_string_append(script, kop_format_nft(&ops[j], nbuf, sizeof nbuf));
            tolerant = tolerant && ops[j].tolerant;
        }
        g_log_structured(G_LOG_DOMAIN_KERNEL, G_LOG_LEVEL_DEBUG, "MESSAGE",
                         "nft transaction of %zu operations", j - i);
        int rc = k->vt->nft_run(k, ops + i, j - i, script->str, tolerant, err, errlen);
        g_string_free(script, TRUE);
        if (rc != 0 && !tolerant) {
            g_log_structured(G_LOG_DOMAIN_KERNEL, G_LOG_LEVEL_WARNING, "MESSAGE",
                             "nft transaction failed: %s", err);
            observe_run(k, ops + i, j - i, KERNEL_OP_FAILED, err);
            return -1;
        }
        if (rc != 0)
            g_log_structured(G_LOG_DOMAIN_KERNEL, G_LOG_LEVEL_DEBUG, "MESSAGE",
                             "ignored (nothing to undo): %s", err);
        observe_run(k, ops + i, j - i, rc == 0 ? KERNEL_OP_OK : KERNEL_OP_IGNORED, err);
        i = j;
        if (done)
            *done = i;
    }
    return 0;
}

bool kernel_link_mac(kernel *k, const char *dev, char *mac, size_t len)
{
    return k->vt->link_mac(k, dev, mac, len);
}

void kernel_free(kernel *k)
{
    if (k)
        k->vt->free(k);
}
