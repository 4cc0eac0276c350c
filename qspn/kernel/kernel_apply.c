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

/* Formatting a kop costs about as much as sending it in a batch: a kop's line
 * is formatted only when something will read it (the debug log, the observer,
 * a failure's warning). */
static bool debug_log = true;

void kernel_set_debug_log(bool on)
{
    debug_log = on;
}

typedef struct {
    char s[KOP_STRLEN];
    bool ready;
} kline;

static const char *line_of(const kernel *k, const kop *op, kline *l)
{
    if (!l->ready)
        kop_format(op, k->rt_tables, l->s, sizeof l->s);
    l->ready = true;
    return l->s;
}

static void log_op(const kernel *k, const kop *op, kline *l)
{
    if (!debug_log)
        return;
    const char *line = line_of(k, op, l);
    if (k->label[0])
        g_log_structured(G_LOG_DOMAIN_KERNEL, G_LOG_LEVEL_DEBUG, "MESSAGE", "ip netns exec %s %s",
                         k->label, line);
    else
        g_log_structured(G_LOG_DOMAIN_KERNEL, G_LOG_LEVEL_DEBUG, "MESSAGE", "%s", line);
}

static void observed(const kernel *k, const kop *op, kline *l, kernel_op_result r,
                     const char *err)
{
    if (k->observe)
        k->observe(k->observe_ctx, k, op, line_of(k, op, l), r, r == KERNEL_OP_OK ? "" : err);
}

/* Every kop of an nft transaction has the transaction's outcome. */
static void observe_run(const kernel *k, const kop *ops, size_t n, kernel_op_result r, const char *err)
{
    for (size_t i = 0; k->observe && i < n; i++) {
        kline l;
        l.ready = false;
        observed(k, &ops[i], &l, r, err);
    }
}

void kernel_set_observer(kernel *k, kernel_observer fn, void *ctx)
{
    k->observe = fn;
    k->observe_ctx = ctx;
}

/* The nft statements of the run of nft kops starting at ops[0] as one
 * transaction: returns its length, rc in *rc and whether every kop is tolerant. */
static size_t nft_group(kernel *k, const kop *ops, size_t n, int *rc, bool *tolerant, char *err,
                        size_t errlen)
{
    GString *script = g_string_new(NULL);
    size_t j = 0;
    *tolerant = true;
    for (; j < n && is_nft(&ops[j]); j++) {
        char nbuf[KOP_STRLEN * 2];
        kline l;
        l.ready = false;
        log_op(k, &ops[j], &l);
        g_string_append(script, kop_format_nft(&ops[j], nbuf, sizeof nbuf));
        *tolerant = *tolerant && ops[j].tolerant;
    }
    g_log_structured(G_LOG_DOMAIN_KERNEL, G_LOG_LEVEL_DEBUG, "MESSAGE",
                     "nft transaction of %zu operations", j);
    *rc = k->vt->nft_run(k, ops, j, script->str, *tolerant, err, errlen);
    g_string_free(script, TRUE);
    if (*rc != 0 && !*tolerant)
        g_log_structured(G_LOG_DOMAIN_KERNEL, G_LOG_LEVEL_WARNING, "MESSAGE",
                         "nft transaction failed: %s", err);
    else if (*rc != 0)
        g_log_structured(G_LOG_DOMAIN_KERNEL, G_LOG_LEVEL_DEBUG, "MESSAGE",
                         "ignored (nothing to undo): %s", err);
    observe_run(k, ops, j, *rc == 0 ? KERNEL_OP_OK : *tolerant ? KERNEL_OP_IGNORED : KERNEL_OP_FAILED,
                err);
    return j;
}

/* Log and observe the outcome of one non-nft kop (err NULL: ok); true when it
 * counts as failed (not tolerant). */
static bool settle(const kernel *k, const kop *op, kline *l, const char *err)
{
    if (!err) {
        observed(k, op, l, KERNEL_OP_OK, "");
        return false;
    }
    if (!op->tolerant) {
        g_log_structured(G_LOG_DOMAIN_KERNEL, G_LOG_LEVEL_WARNING, "MESSAGE", "failed: %s: %s",
                         line_of(k, op, l), err);
        observed(k, op, l, KERNEL_OP_FAILED, err);
        return true;
    }
    if (debug_log)
        g_log_structured(G_LOG_DOMAIN_KERNEL, G_LOG_LEVEL_DEBUG, "MESSAGE",
                         "ignored (nothing to undo): %s", err);
    observed(k, op, l, KERNEL_OP_IGNORED, err);
    return false;
}

static int apply_here(kernel *k, const kop *ops, size_t n, size_t *done,
                      const volatile sig_atomic_t *cancel, char *err, size_t errlen)
{
    size_t i = 0;

    while (i < n) {
        if (cancel && *cancel) {
            snprintf(err, errlen, "interrupted after %zu of %zu operations", i, n);
            return KERNEL_CANCELLED;
        }
        if (!is_nft(&ops[i])) {
            kline l;
            l.ready = false;
            log_op(k, &ops[i], &l);
            int rc = k->vt->apply_one(k, &ops[i], err, errlen);
            if (settle(k, &ops[i], &l, rc != 0 ? err : NULL))
                return -1;
            i++;
            if (done)
                *done = i;
            continue;
        }
        /* one transaction for the run of nft kops */
        int rc = 0;
        bool tolerant = true;
        size_t j = nft_group(k, ops + i, n - i, &rc, &tolerant, err, errlen);
        if (rc != 0 && !tolerant)
            return -1;
        i += j;
        if (done)
            *done = i;
    }
    return 0;
}

bool kernel_batchable(const kop *op)
{
    switch (op->type) {
    case KOP_ROUTE_ADD:
    case KOP_ROUTE_CHANGE:
    case KOP_ROUTE_DEL:
    case KOP_RULE_ADD:
    case KOP_RULE_DEL:
        return true;
    default:
        return false;
    }
}

typedef struct {
    kernel *k;
    const kop *ops;        /* the whole apply_all array */
    size_t base;           /* index in ops of the run handed to apply_batch */
    kernel_fail_fn on_fail;
    void *ctx;
    int failed;
} all_ctx;

static void failed_at(all_ctx *a, size_t i, const char *err)
{
    a->failed++;
    if (a->on_fail)
        a->on_fail(a->ctx, i, &a->ops[i], err);
}

static void batch_result(void *ctx, size_t i, const char *err)
{
    all_ctx *a = ctx;
    kline l;
    l.ready = false;
    if (settle(a->k, &a->ops[a->base + i], &l, err))
        failed_at(a, a->base + i, err);
}

/* One step of apply_all at ops[i]: a run of batchable kops, one kop or one nft
 * transaction; returns how many kops it took. */
static size_t all_step(all_ctx *a, size_t i, size_t n)
{
    kernel *k = a->k;
    const kop *ops = a->ops;
    char err[512] = "";
    if (k->vt->apply_batch && kernel_batchable(&ops[i])) {
        size_t j = i;
        for (; j < n && kernel_batchable(&ops[j]); j++) {
            kline l;
            l.ready = false;
            log_op(k, &ops[j], &l);
        }
        a->base = i;
        k->vt->apply_batch(k, ops + i, j - i, batch_result, a);
        return j - i;
    }
    if (!is_nft(&ops[i])) {
        kline l;
        l.ready = false;
        log_op(k, &ops[i], &l);
        int rc = k->vt->apply_one(k, &ops[i], err, sizeof err);
        if (settle(k, &ops[i], &l, rc != 0 ? err : NULL))
            failed_at(a, i, err);
        return 1;
    }
    int rc = 0;
    bool tolerant = true;
    size_t j = nft_group(k, ops + i, n - i, &rc, &tolerant, err, sizeof err);
    for (size_t x = 0; rc != 0 && !tolerant && x < j; x++)
        failed_at(a, i + x, err);
    return j;
}

int kernel_apply_all(kernel *k, const kop *ops, size_t n, kernel_fail_fn on_fail, void *ctx)
{
    all_ctx a = { k, ops, 0, on_fail, ctx, 0 };
    char err[512] = "";
    int token = 0;
    if (n == 0)
        return 0;
    /* the namespace is entered once around the whole batch */
    if (k->vt->enter && (token = k->vt->enter(k, err, sizeof err)) < 0) {
        g_log_structured(G_LOG_DOMAIN_KERNEL, G_LOG_LEVEL_WARNING, "MESSAGE", "%s", err);
        for (size_t i = 0; i < n; i++) {
            kline l;
            l.ready = false;
            observed(k, &ops[i], &l, KERNEL_OP_FAILED, err);
            failed_at(&a, i, err);
        }
        return a.failed;
    }
    for (size_t i = 0; i < n;)
        i += all_step(&a, i, n);
    if (k->vt->enter)
        k->vt->leave(k, token);
    return a.failed;
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
