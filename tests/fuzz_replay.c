/* fuzz_replay.c - a libFuzzer target without libFuzzer, for `make check` (any
 * compiler, ASan/UBSan): every seed as it is, then RUNS inputs mutated from
 * them by a fixed pseudo-random sequence (bit flips, truncation, repeated and
 * inserted bytes, splices of two seeds, interesting values), each handed to
 * LLVMFuzzerTestOneInput.  A fault, sanitizer report or abort() of a
 * target's property fails the test; the same seed and runs give the same
 * inputs.  Coverage-guided exploration stays with `make fuzz` (clang).
 * Usage: fuzz_replay_X RUNS SEED_FILE_OR_DIR... */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SEEDS 4096
#define REPLAY_MAX_INPUT (1u << 20)

typedef struct {
    uint8_t *d;
    size_t n;
} blob;

static blob seeds[MAX_SEEDS];
static size_t n_seeds;
static uint64_t rng = 0x9E3779B97F4A7C15u;

static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static void load_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f || n_seeds == MAX_SEEDS) {
        if (f)
            fclose(f);
        return;
    }
    blob *b = &seeds[n_seeds];
    b->d = malloc(REPLAY_MAX_INPUT);
    b->n = fread(b->d, 1, REPLAY_MAX_INPUT, f);
    fclose(f);
    b->d = realloc(b->d, b->n ? b->n : 1);
    n_seeds++;
}

static void load(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "fuzz_replay: %s: no such seed\n", path);
        exit(2);
    }
    if (!S_ISDIR(st.st_mode)) {
        load_file(path);
        return;
    }
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char p[4096];
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
            load_file(p);
    }
    if (d)
        closedir(d);
}

/* One mutation of in (n bytes) into out; returns the new length. */
static size_t mutate(const uint8_t *in, size_t n, uint8_t *out)
{
    static const uint8_t interesting[] = { 0, 1, 0x7F, 0x80, 0xFF, '\n', ' ', '#', '"' };
    size_t len = n, pos, k;
    memcpy(out, in, n);
    for (int rounds = 1 + (int)(next() % 4); rounds > 0; rounds--) {
        pos = len ? next() % len : 0;
        switch (next() % 7) {
        case 0:                                   /* flip a bit */
            if (len)
                out[pos] ^= (uint8_t)(1u << (next() % 8));
            break;
        case 1:                                   /* truncate */
            len = pos;
            break;
        case 2:                                   /* an interesting byte */
            if (len)
                out[pos] = interesting[next() % sizeof interesting];
            break;
        case 3:                                   /* insert random bytes */
            k = 1 + next() % 16;
            if (len + k < REPLAY_MAX_INPUT) {
                memmove(out + pos + k, out + pos, len - pos);
                for (size_t i = 0; i < k; i++)
                    out[pos + i] = (uint8_t)next();
                len += k;
            }
            break;
        case 4:                                   /* repeat a chunk */
            k = len - pos < 64 ? len - pos : 64;
            if (len + k < REPLAY_MAX_INPUT) {
                memmove(out + pos + k, out + pos, len - pos);
                len += k;
            }
            break;
        case 5: {                                 /* splice: the tail of another seed */
            const blob *o = &seeds[next() % n_seeds];
            size_t from = o->n ? next() % o->n : 0;
            k = o->n - from;
            if (pos + k < REPLAY_MAX_INPUT) {
                memcpy(out + pos, o->d + from, k);
                len = pos + k;
            }
            break;
        }
        default:                                  /* erase a byte */
            if (len) {
                memmove(out + pos, out + pos + 1, len - pos - 1);
                len--;
            }
        }
    }
    return len;
}

int main(int argc, char **argv)
{
    char *end;
    if (argc < 3) {
        fprintf(stderr, "usage: %s RUNS SEED_FILE_OR_DIR...\n", argv[0]);
        return 2;
    }
    long runs = strtol(argv[1], &end, 10);
    if (*end || runs < 0 || runs > 100000000) {
        fprintf(stderr, "fuzz_replay: RUNS must be 0 .. 100000000\n");
        return 2;
    }
    for (int i = 2; i < argc; i++)
        load(argv[i]);
    if (n_seeds == 0) {
        fprintf(stderr, "fuzz_replay: no seed found\n");
        return 2;
    }
    for (size_t i = 0; i < n_seeds; i++)
        LLVMFuzzerTestOneInput(seeds[i].d, seeds[i].n);
    uint8_t *buf = malloc(REPLAY_MAX_INPUT);
    for (long r = 0; r < runs; r++) {
        const blob *s = &seeds[next() % n_seeds];
        size_t n = mutate(s->d, s->n, buf);
        LLVMFuzzerTestOneInput(buf, n);
    }
    printf("fuzz_replay: %zu seeds and %ld mutated inputs, no fault\n", n_seeds, runs);
    free(buf);
    for (size_t i = 0; i < n_seeds; i++)
        free(seeds[i].d);
    return 0;
}
