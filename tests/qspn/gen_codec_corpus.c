/* gen_codec_corpus.c - writes the seed corpus of fuzz_codec: frames that the
 * QSPN managers really sent in simulated networks (qspn-sim: a random network
 * started at once, then a link removed and a crash), a few per message type
 * and topology, chosen by size among the first ones sent (smallest, median,
 * largest), plus one
 * frame built by the encoder for each type the runs never sent.  Each file is
 * the fuzz target's input: one topology byte, then the frame.
 * Run: build/tests/qspn/gen_codec_corpus tests/qspn/corpus
 * Deterministic: the same build writes the same files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "sim.h"

#define TYPES 8            /* message types are 1..7 */
#define KEEP_PER_TYPE 3
#define LOG_PER_TYPE 256   /* frames of a type looked at; later ones are skipped */

typedef struct {
    uint8_t *data;
    size_t len;
} frame;

typedef struct {
    frame *of_type[TYPES];
    size_t n[TYPES], cap[TYPES];
} frame_log;

static void tap(void *ctx, const uint8_t *f, size_t len)
{
    frame_log *log = ctx;
    if (len < 4 || f[3] == 0 || f[3] >= TYPES)
        return;
    int t = f[3];
    if (log->n[t] == LOG_PER_TYPE)
        return;
    if (log->n[t] == log->cap[t]) {
        log->cap[t] = log->cap[t] ? 2 * log->cap[t] : 64;
        log->of_type[t] = realloc(log->of_type[t], log->cap[t] * sizeof(frame));
        if (!log->of_type[t])
            abort();
    }
    frame *x = &log->of_type[t][log->n[t]++];
    x->data = malloc(len);
    if (!x->data)
        abort();
    memcpy(x->data, f, len);
    x->len = len;
}

static int by_len(const void *a, const void *b)
{
    size_t x = ((const frame *)a)->len, y = ((const frame *)b)->len;
    return (x > y) - (x < y);
}

static void write_seed(const char *dir, const char *name, uint8_t topo_byte, const uint8_t *f,
                       size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *out = fopen(path, "wb");
    if (!out || fwrite(&topo_byte, 1, 1, out) != 1 || fwrite(f, 1, len, out) != len || fclose(out)) {
        perror(path);
        exit(1);
    }
}

/* One network: n identities on topology t start at once, then a link goes
 * down and an identity crashes; frames go to log. */
static void simulate(const ntk_topology *t, int n, uint64_t seed, frame_log *log)
{
    qspn_config cfg;
    qspn_config_default(&cfg);
    cfg.arc_timeout_ms = 300; /* as qspn-sim: no periodic refresh, so the run ends */
    cfg.refresh_ms = 0;
    sim *s = sim_new(t, &cfg, seed);
    sim_set_frame_tap(s, tap, log);
    if (!sim_build_shape(s, SHAPE_RANDOM, n, seed)) {
        fprintf(stderr, "gen_codec_corpus: %d nodes do not fit\n", n);
        exit(1);
    }
    sim_start_all(s);
    sim_converge(s, false);
    uint64_t rng = seed;
    int link = sim_pick_safe_link(s, &rng);
    if (link >= 0) {
        sim_link_down(s, link);
        sim_converge(s, false);
    }
    int victim = sim_pick_safe_crash(s, &rng);
    if (victim >= 0) {
        sim_crash(s, victim);
        sim_converge(s, false);
    }
    sim_free(s);
}

/* A frame of type `type` built by the encoder (for types no run sent). */
static bool synthetic(const ntk_topology *t, int type, qspn_buf *out)
{
    static qspn_hop hops[2] = {{0, 1, 5}, {1, 2, 6}};
    qspn_etp_path p;
    memset(&p, 0, sizeof p);
    p.n_hops = 2;
    p.hops = hops;
    p.cost = 1234;
    p.nodes_inside = 2;
    p.fp.level = 1;
    p.fp.id = 42;
    qspn_msg m;
    memset(&m, 0, sizeof m);
    m.type = (qspn_msg_type)type;
    m.is_full = type == QSPN_MSG_SEND_ETP;
    m.naddr.levels = t->levels;
    m.code = QSPN_ERRCODE_NOT_ACCEPTED;
    m.wave_id = 7;
    m.etp.sender.levels = t->levels;
    for (int i = 0; i <= t->levels; i++)
        m.etp.fps[i].level = i;
    m.etp.n_route = 1;
    m.etp.n_paths = 1;
    m.etp.paths = &p;
    return qspn_encode_msg(t, &m, out);
}

static void write_type(const char *dir, const char *tname, uint8_t topo_byte, const ntk_topology *t,
                       int type, frame_log *log)
{
    char name[128];
    frame *fs = log->of_type[type];
    size_t n = log->n[type];
    if (n == 0) {
        qspn_buf b = {0};
        if (!synthetic(t, type, &b)) {
            fprintf(stderr, "gen_codec_corpus: cannot encode type %d\n", type);
            exit(1);
        }
        snprintf(name, sizeof name, "%s-type%d-encoded", tname, type);
        write_seed(dir, name, topo_byte, b.data, b.len);
        qspn_buf_free(&b);
        return;
    }
    qsort(fs, n, sizeof *fs, by_len);
    size_t pick[KEEP_PER_TYPE] = {0, n / 2, n - 1};
    for (int k = 0; k < KEEP_PER_TYPE; k++) {
        if (k > 0 && fs[pick[k]].len == fs[pick[k - 1]].len)
            continue;
        snprintf(name, sizeof name, "%s-type%d-sent%d", tname, type, k);
        write_seed(dir, name, topo_byte, fs[pick[k]].data, fs[pick[k]].len);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_codec_corpus DIR\n");
        return 2;
    }
    /* topology byte of fuzz_codec: levels = 1 + (b & 3), gsize 16 if b & 4 else 4 */
    static const struct {
        const char *name;
        uint8_t byte;
        int levels, gsize, nodes;
    } runs[] = {{"4.4.4", 0x02, 3, 4, 20}, {"4.4.4.4", 0x03, 4, 4, 40}, {"16.16", 0x05, 2, 16, 24}};
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        int gs[NTK_MAX_LEVELS];
        for (int i = 0; i < runs[r].levels; i++)
            gs[i] = runs[r].gsize;
        ntk_topology t;
        char err[128];
        if (!ntk_topology_init(&t, runs[r].levels, gs, err, sizeof err)) {
            fprintf(stderr, "gen_codec_corpus: %s\n", err);
            return 1;
        }
        frame_log log;
        memset(&log, 0, sizeof log);
        simulate(&t, runs[r].nodes, 1 + r, &log);
        for (int type = QSPN_MSG_GET_FULL_ETP_REQ; type <= QSPN_MSG_DESTROY; type++) {
            write_type(argv[1], runs[r].name, runs[r].byte, &t, type, &log);
            for (size_t i = 0; i < log.n[type]; i++)
                free(log.of_type[type][i].data);
            free(log.of_type[type]);
        }
    }
    return 0;
}
