/* bench_kernel.c - issue 12 part 1: qspnd's kernel layer (qspn/kernel, the
 * libnl backend) installing, replacing and deleting R routes, one request at a
 * time (kernel_apply) and batched (kernel_apply_all, what the namespace sync
 * uses), side by side
 * with `ip -batch` (the same routes) and with one `ip` process per route
 * (sampled, extrapolated); and one nftables transaction of N rules side by
 * side with `nft -f` (the same script).
 *
 * Runs in a network namespace of its own (unshare(CLONE_NEWNET): anonymous,
 * it dies with the process, nothing to clean up), with a veth pair bq0/bq1 for
 * the routes `via ... dev`.  Every measurement is checked against the kernel
 * (`ip route show table T`, `nft list table`): the routes are really there,
 * changed, gone.  Prints Markdown tables (median (min–max) over the
 * repetitions; each ratio is computed per repetition, side by side).
 * Exit 0: every check passed; 1: a check failed; 2: usage; 77: no
 * CAP_SYS_ADMIN/CAP_NET_ADMIN (cannot create the namespace). */
#define _GNU_SOURCE
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "kernel.h"

#define TABLE 1000                 /* above 255: RTA_TABLE */
#define TABLE_S "1000"
#define DEV "bq0"
#define GW1 0xA9FE0002u            /* 169.254.0.2 */
#define GW2 0xA9FE0003u            /* 169.254.0.3 */
#define DST0 0x0A000000u           /* 10.0.0.0 + i, /32 */
#define MAX_REPS 50
#define MAX_SIZES 8

enum { K_UNREACH, K_VIA, N_KINDS };
enum { OP_ADD, OP_CHANGE, OP_DEL, N_OPS };
enum { M_KOP, M_ALL, M_BATCH, M_PROC, N_METHODS };
static const char *const kind_name[N_KINDS] = { "unreachable", "via … dev" };
static const char *const op_name[N_OPS] = { "add", "replace", "delete" };

static gint o_reps = 5, o_sample = 1000, o_nft = 500;
static gchar *o_routes = NULL;
static gboolean o_smoke = FALSE;
static kernel *K;
static int failures;

/* rate[size][kind][op][method][rep] */
static double rate[MAX_SIZES][N_KINDS][N_OPS][N_METHODS][MAX_REPS];
static size_t sizes[MAX_SIZES], n_sizes;

static void check(bool ok, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void check(bool ok, const char *fmt, ...)
{
    if (ok)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "CHECK FAILED: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    failures++;
}

static void dotted(uint32_t a, char *buf, size_t len)
{
    snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

static kop route_kop(int kind, int op, size_t i)
{
    ntk_cidr dst = { DST0 + (uint32_t)i, 32 };
    kop_type t = op == OP_ADD ? KOP_ROUTE_ADD : op == OP_CHANGE ? KOP_ROUTE_CHANGE : KOP_ROUTE_DEL;
    if (kind == K_UNREACH)
        return kop_route(t, op == OP_ADD ? KROUTE_UNREACHABLE : KROUTE_BLACKHOLE, dst, TABLE, "b",
                         0, NULL, 0);
    return kop_route(t, KROUTE_UNICAST, dst, TABLE, "b", op == OP_ADD ? GW1 : GW2, DEV, 0);
}

/* The `ip` words of route i (after "route"), for -batch and for argv. */
static void route_words(int kind, int op, size_t i, char *buf, size_t len)
{
    char d[16];
    dotted(DST0 + (uint32_t)i, d, sizeof d);
    const char *verb = op == OP_ADD ? "add" : op == OP_CHANGE ? "change" : "del";
    if (op == OP_DEL)
        snprintf(buf, len, "%s %s/32 table " TABLE_S, verb, d);
    else if (kind == K_UNREACH)
        snprintf(buf, len, "%s %s %s/32 table " TABLE_S " proto 15", verb,
                 op == OP_ADD ? "unreachable" : "blackhole", d);
    else
        snprintf(buf, len, "%s %s/32 via %s dev " DEV " table " TABLE_S " proto 15", verb, d,
                 op == OP_ADD ? "169.254.0.2" : "169.254.0.3");
}

/* Routes of the table in the kernel that look as op left them. */
static void verify_routes(int kind, int op, size_t n, const char *who)
{
    const char *argv[] = { "ip", "-4", "route", "show", "table", TABLE_S, NULL };
    char *out = NULL;
    if (bench_run(argv, &out) != 0) {
        check(false, "%s: ip route show failed", who);
        g_free(out);
        return;
    }
    size_t all = bench_count_lines(out, "");
    const char *needle = kind == K_UNREACH ? (op == OP_ADD ? "unreachable " : "blackhole ")
                                           : (op == OP_ADD ? "via 169.254.0.2 dev " DEV
                                                           : "via 169.254.0.3 dev " DEV);
    size_t good = op == OP_DEL ? 0 : bench_count_lines(out, needle);
    size_t want = op == OP_DEL ? 0 : n;
    check(all == want && good == want, "%s %s %s: %zu routes in table %d (%zu as expected), want %zu",
          who, kind_name[kind], op_name[op], all, TABLE, good, want);
    g_free(out);
}

static double run_kops(int kind, int op, size_t n)
{
    kop *ops = g_new(kop, n);
    for (size_t i = 0; i < n; i++)
        ops[i] = route_kop(kind, op, i);
    char err[256] = "";
    size_t done = 0;
    double t0 = bench_now();
    int rc = kernel_apply(K, ops, n, &done, err, sizeof err);
    double dt = bench_now() - t0;
    check(rc == 0 && done == n, "kernel layer %s: %s (%zu of %zu)", op_name[op], err, done, n);
    g_free(ops);
    return (double)n / dt;
}

static void count_fail(void *ctx, size_t index, const kop *op, const char *err)
{
    (void)index, (void)op;
    if (++*(size_t *)ctx == 1)
        fprintf(stderr, "first failure: %s\n", err);
}

static double run_all(int kind, int op, size_t n)
{
    kop *ops = g_new(kop, n);
    for (size_t i = 0; i < n; i++)
        ops[i] = route_kop(kind, op, i);
    size_t nfail = 0;
    double t0 = bench_now();
    int failed = kernel_apply_all(K, ops, n, count_fail, &nfail);
    double dt = bench_now() - t0;
    check(failed == 0 && nfail == 0, "kernel layer batched %s: %d of %zu failed", op_name[op],
          failed, n);
    g_free(ops);
    return (double)n / dt;
}

static double run_batch(int kind, int op, size_t n)
{
    gchar *path = NULL;
    int fd = g_file_open_tmp("qspn-bench-XXXXXX.batch", &path, NULL);
    if (fd < 0)
        return check(false, "cannot create a temporary file"), 0;
    FILE *f = fdopen(fd, "w");
    char w[160];
    for (size_t i = 0; i < n; i++) {
        route_words(kind, op, i, w, sizeof w);
        fprintf(f, "route %s\n", w);
    }
    fclose(f);
    const char *argv[] = { "ip", "-batch", path, NULL };
    double t0 = bench_now();
    int rc = bench_run(argv, NULL);
    double dt = bench_now() - t0;
    check(rc == 0, "ip -batch %s failed", op_name[op]);
    g_unlink(path);
    g_free(path);
    return (double)n / dt;
}

static double run_procs(int kind, int op, size_t n)
{
    char w[160];
    double t0 = bench_now();
    for (size_t i = 0; i < n; i++) {
        route_words(kind, op, i, w, sizeof w);
        gchar **words = g_strsplit(w, " ", -1);
        GPtrArray *argv = g_ptr_array_new();
        g_ptr_array_add(argv, "ip");
        g_ptr_array_add(argv, "route");
        for (gchar **p = words; *p; p++)
            g_ptr_array_add(argv, *p);
        g_ptr_array_add(argv, NULL);
        int rc = bench_run((const char *const *)argv->pdata, NULL);
        check(rc == 0, "ip route %s failed", w);
        g_ptr_array_free(argv, TRUE);
        g_strfreev(words);
    }
    return (double)n / (bench_now() - t0);
}

/* One repetition of one size and kind: the three methods side by side. */
static void one_rep(size_t si, int kind, int rep)
{
    static const char *const who[N_METHODS] = { "kernel layer", "kernel layer batched", "ip -batch",
                                                 "one ip per route" };
    size_t n = sizes[si];
    for (int m = 0; m < N_METHODS; m++) {
        /* the sample is spread over the repetitions: o_sample routes in all */
        size_t per_rep = ((size_t)o_sample + (size_t)o_reps - 1) / (size_t)o_reps;
        size_t cnt = m == M_PROC ? MIN(n, per_rep) : n;
        if (m == M_PROC && si > 0) {   /* the sample does not depend on R: measured once */
            for (int op = 0; op < N_OPS; op++)
                rate[si][kind][op][m][rep] = rate[0][kind][op][m][rep];
            continue;
        }
        for (int op = 0; op < N_OPS; op++) {
            double r = m == M_KOP ? run_kops(kind, op, cnt)
                     : m == M_ALL ? run_all(kind, op, cnt)
                     : m == M_BATCH ? run_batch(kind, op, cnt) : run_procs(kind, op, cnt);
            rate[si][kind][op][m][rep] = r;
            verify_routes(kind, op, cnt, who[m]);
        }
    }
}

static const char *kfmt(double v, char *buf, size_t len)
{
    if (v >= 1000)
        snprintf(buf, len, "%.0f k", v / 1000);
    else
        snprintf(buf, len, "%.0f", v);
    return buf;
}

/* "median (min–max)" of v over the repetitions; ratio: v as "×". */
static const char *cell(const double *v, bool ratio, char *buf, size_t len)
{
    double c[MAX_REPS];
    memcpy(c, v, sizeof(double) * (size_t)o_reps);
    bench_stat s = bench_stats(c, (size_t)o_reps);
    char a[32], b[32], d[32];
    if (ratio)
        snprintf(buf, len, "%.2f× (%.2f–%.2f)", s.med, s.min, s.max);
    else
        snprintf(buf, len, "%s (%s–%s)", kfmt(s.med, a, sizeof a), kfmt(s.min, b, sizeof b),
                 kfmt(s.max, d, sizeof d));
    return buf;
}

static double ratio_med(size_t si, int kind, int op, int num, int m)
{
    double c[MAX_REPS];
    for (int r = 0; r < o_reps; r++)
        c[r] = rate[si][kind][op][num][r] / rate[si][kind][op][m][r];
    return bench_stats(c, (size_t)o_reps).med;
}

static void print_row(size_t si, int k, int op)
{
    double rb[MAX_REPS], ra[MAX_REPS], rp[MAX_REPS], rx[MAX_REPS];
    char c[8][128];
    for (int r = 0; r < o_reps; r++) {
        rb[r] = rate[si][k][op][M_KOP][r] / rate[si][k][op][M_BATCH][r];
        ra[r] = rate[si][k][op][M_ALL][r] / rate[si][k][op][M_BATCH][r];
        rp[r] = rate[si][k][op][M_KOP][r] / rate[si][k][op][M_PROC][r];
        rx[r] = rate[si][k][op][M_ALL][r] / rate[si][k][op][M_KOP][r];
    }
    printf("| %zu | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", sizes[si], kind_name[k],
           op_name[op], cell(rate[si][k][op][M_KOP], false, c[0], sizeof c[0]),
           cell(rate[si][k][op][M_ALL], false, c[1], sizeof c[1]),
           cell(rate[si][k][op][M_BATCH], false, c[2], sizeof c[2]),
           cell(rate[si][k][op][M_PROC], false, c[3], sizeof c[3]), cell(rx, true, c[4], sizeof c[4]),
           cell(rb, true, c[5], sizeof c[5]), cell(ra, true, c[6], sizeof c[6]),
           cell(rp, true, c[7], sizeof c[7]));
}

static double med_of(size_t si, int k, int op, int m)
{
    double c[MAX_REPS];
    memcpy(c, rate[si][k][op][m], sizeof(double) * (size_t)o_reps);
    return bench_stats(c, (size_t)o_reps).med;
}

static void print_routes(void)
{
    printf("### Routes: install, replace, delete (/32, table %d, namespace of its own)\n\n", TABLE);
    printf("Routes per second, median (min–max) over %d repetitions; ratios computed per "
           "repetition (same run, side by side). \"qspnd kernel layer\": kernel_apply, one request "
           "and its ACK at a time; \"batched\": kernel_apply_all (the namespace sync's path), 64 "
           "requests per sendmsg. One `ip` per route: %d routes sampled (spread over "
           "the repetitions), extrapolated.\n\n", o_reps, o_sample);
    printf("| routes | kind | operation | qspnd kernel layer | qspnd kernel layer, batched "
           "| `ip -batch` | one `ip` per route | batched × one at a time | × `ip -batch` "
           "| batched × `ip -batch` | × one `ip` per route |\n"
           "|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t si = 0; si < n_sizes; si++)
        for (int k = 0; k < N_KINDS; k++)
            for (int op = 0; op < N_OPS; op++)
                print_row(si, k, op);
    size_t big = n_sizes - 1;
    if (o_smoke) {
        printf("\n(smoke run: correctness only, the rates are not measurements)\n\n");
        return;
    }
    printf("\nTargets (replace, %zu routes, medians):\n\n", sizes[big]);
    for (int k = 0; k < N_KINDS; k++)
        for (int m = M_KOP; m <= M_ALL; m++) {
            double med = med_of(big, k, OP_CHANGE, m);
            double xb = ratio_med(big, k, OP_CHANGE, m, M_BATCH);
            double xp = ratio_med(big, k, OP_CHANGE, m, M_PROC);
            printf("- %s, %s: %.0f routes/s (target ≥ 150000: %s), %.2f× `ip -batch` (target ≥ 2: "
                   "%s), %.0f× one `ip` per route (target ≥ 1000: %s)\n", kind_name[k],
                   m == M_KOP ? "one at a time" : "batched", med, med >= 150000 ? "met" : "MISSED",
                   xb, xb >= 2 ? "met" : "MISSED", xp, xp >= 1000 ? "met" : "MISSED");
        }
    printf("\n");
}

/* ---- nftables: N NAT rules in one transaction ---------------------------- */

static size_t nft_rules_now(void)
{
    const char *argv[] = { "nft", "list", "table", KERNEL_NFT_FAMILY, KERNEL_NFT_TABLE, NULL };
    char *out = NULL;
    size_t n = bench_run(argv, &out) == 0 ? bench_count_lines(out, " snat to ") : 0;
    g_free(out);
    return n;
}

static kop *nft_kops(size_t n)
{
    kop *ops = g_new(kop, n + 1);
    ops[0] = kop_simple(KOP_NFT_TABLE_ADD);
    for (size_t i = 0; i < n; i++) {
        ntk_cidr m = { DST0 + ((uint32_t)i << 8), 24 };
        ops[i + 1] = kop_nat_snat(m, 0x0A000001u);
    }
    return ops;
}

static double nft_kop_run(const kop *ops, size_t n)
{
    char err[256] = "";
    double t0 = bench_now();
    int rc = kernel_apply(K, ops, n + 1, NULL, err, sizeof err);
    double dt = bench_now() - t0;
    check(rc == 0, "kernel layer nft: %s", err);
    check(nft_rules_now() == n, "kernel layer nft: %zu rules, want %zu", nft_rules_now(), n);
    kop del = kop_simple(KOP_NFT_TABLE_DEL);
    check(kernel_apply(K, &del, 1, NULL, err, sizeof err) == 0, "nft table delete: %s", err);
    return (double)n / dt;
}

static double nft_file_run(const kop *ops, size_t n)
{
    gchar *path = NULL;
    int fd = g_file_open_tmp("qspn-bench-XXXXXX.nft", &path, NULL);
    if (fd < 0)
        return check(false, "cannot create a temporary file"), 0;
    FILE *f = fdopen(fd, "w");
    char buf[KOP_STRLEN * 2];
    for (size_t i = 0; i <= n; i++)
        fputs(kop_format_nft(&ops[i], buf, sizeof buf), f);
    fclose(f);
    const char *argv[] = { "nft", "-f", path, NULL };
    double t0 = bench_now();
    int rc = bench_run(argv, NULL);
    double dt = bench_now() - t0;
    check(rc == 0, "nft -f failed");
    check(nft_rules_now() == n, "nft -f: %zu rules, want %zu", nft_rules_now(), n);
    const char *del[] = { "nft", "delete", "table", KERNEL_NFT_FAMILY, KERNEL_NFT_TABLE, NULL };
    check(bench_run(del, NULL) == 0, "nft delete table failed");
    g_unlink(path);
    g_free(path);
    return (double)n / dt;
}

static void bench_nft(void)
{
    size_t n = (size_t)o_nft;
    kop *ops = nft_kops(n);
    double a[MAX_REPS], b[MAX_REPS], x[MAX_REPS];
    for (int r = 0; r < o_reps; r++) {
        a[r] = nft_kop_run(ops, n);
        b[r] = nft_file_run(ops, n);
        x[r] = a[r] / b[r];
    }
    g_free(ops);
    char c[3][128];
    printf("### nftables: table ip qspnd and %zu SNAT rules in one transaction\n\n", n);
    printf("Rules per second, median (min–max) over %d repetitions.\n\n", o_reps);
    printf("| rules | qspnd kernel layer (libnftables) | `nft -f` | × `nft -f` |\n|---|---|---|---|\n");
    printf("| %zu | %s | %s | %s |\n\n", n, cell(a, false, c[0], sizeof c[0]),
           cell(b, false, c[1], sizeof c[1]), cell(x, true, c[2], sizeof c[2]));
}

static int setup_namespace(void)
{
    int rc = bench_private_namespace("bench-kernel", DEV);
    if (rc != 0)
        return rc;
    char err[256];
    kernel_set_debug_log(false);   /* as qspnd without --verbose */
    K = kernel_netlink_new("/nonexistent/qspn-bench-rt_tables", err, sizeof err);
    if (!K) {
        fprintf(stderr, "bench-kernel: %s\n", err);
        return 1;
    }
    return 0;
}

static bool parse_sizes(void)
{
    gchar **v = g_strsplit(o_routes ? o_routes : (o_smoke ? "200" : "1000,10000,100000"), ",", -1);
    n_sizes = 0;
    bool ok = true;
    for (gchar **p = v; *p && ok; p++) {
        char *end = NULL;
        unsigned long x = strtoul(*p, &end, 10);
        ok = n_sizes < MAX_SIZES && end && *end == '\0' && x > 0 && x <= 1000000;
        if (ok)
            sizes[n_sizes++] = x;
    }
    g_strfreev(v);
    return ok && n_sizes > 0;
}

int main(int argc, char **argv)
{
    GOptionEntry entries[] = {
        { "routes", 'r', 0, G_OPTION_ARG_STRING, &o_routes, "route counts, ascending (default 1000,10000,100000)", "R[,R...]" },
        { "reps", 'n', 0, G_OPTION_ARG_INT, &o_reps, "repetitions (default 5)", "N" },
        { "sample", 's', 0, G_OPTION_ARG_INT, &o_sample, "routes sampled with one ip process each, over all repetitions (default 1000)", "S" },
        { "nft-rules", 0, 0, G_OPTION_ARG_INT, &o_nft, "nftables rules in one transaction (default 500; 0: none)", "N" },
        { "smoke", 0, 0, G_OPTION_ARG_NONE, &o_smoke, "tiny sizes, 1 repetition: checks only that it runs and is right", NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    if (!bench_parse_options("bench-kernel", "- qspnd's kernel layer against ip -batch, ip per route, nft -f",
            "Needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN): works in a network namespace of its own.\n"
            "Prints Markdown tables; exit 0 when every result was checked against the kernel,\n"
            "1 when a check failed, 2 on usage errors, 77 without the privileges.\n", entries, &argc, &argv))
        return 2;
    if (o_smoke && !o_routes) {
        o_reps = 1;
        o_sample = 10;
        o_nft = 20;
    }
    if (!parse_sizes() || o_reps < 1 || o_reps > MAX_REPS || o_sample < 1 || o_nft < 0) {
        fprintf(stderr, "bench-kernel: bad --routes, --reps (1..%d), --sample or --nft-rules\n", MAX_REPS);
        return 2;
    }
    int rc = setup_namespace();
    if (rc != 0)
        return rc;
    for (int rep = 0; rep < o_reps; rep++)
        for (size_t si = 0; si < n_sizes; si++)
            for (int k = 0; k < N_KINDS; k++)
                one_rep(si, k, rep);
    print_routes();
    if (o_nft > 0)
        bench_nft();
    kernel_free(K);
    g_free(o_routes);
    if (failures)
        fprintf(stderr, "bench-kernel: %d checks failed\n", failures);
    return failures ? 1 : 0;
}
