#!/bin/sh
# bench/run.sh - `make bench`: run every benchmark of bench/ from a release build
# and write docs/PERFORMANCE.md (machine, exact commands, results, then the
# hand-written analysis of bench/PERFORMANCE.notes.md).
#   bench/run.sh [BUILD_DIR (build-rel)] [OUTPUT (docs/PERFORMANCE.md)]
# Environment: BENCH_REPS (5), BENCH_ROUTES (1000,10000,100000), BENCH_SAMPLE (1000),
# BENCH_GRID (rows and columns of the convergence grid, "7 7"), BENCH_IDLE (idle
# window in s, 30), BENCH_SCALE_GRID (e.g. "16 16": qspnd alone on that grid; default
# none: it takes minutes), BENCH_HARNESS_SIZES (testbed sizes of bench-harness.sh,
# "100 250 500"; "" skips it), BENCH_HARNESS_REPS (its repetitions, 1: a 500-system run
# is about a minute), BENCH_STORYLINE (1: run the storyline (topologies/greek.*, as
# `make storyline`, from BUILD_DIR) and print its wall time per step against the
# documented testbed's waits (storyline-steps.sh; SHARED_DIR (../shared) holds the
# documents); 0 skips it).
# The kernel benchmark needs root (it exits 77 without: reported as skipped).
set -eu
B=${1:-build-rel}
OUT=${2:-docs/PERFORMANCE.md}
REPS=${BENCH_REPS:-5}
ROUTES=${BENCH_ROUTES:-1000,10000,100000}
SAMPLE=${BENCH_SAMPLE:-1000}
here=$(dirname "$0")
tmp=$(mktemp)
res=$(mktemp)
trap 'rm -f "$tmp" "$res"' EXIT INT TERM

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
start=$(date +%s)

# run TITLE PROGRAM ARGS...: the command line in the report, its Markdown output after it
run() {
    title=$1; shift
    printf '## %s\n\n```\n%s\n```\n\n' "$title" "$*" >> "$res"
    rc=0
    "$@" > "$tmp" || rc=$?
    if [ "$rc" = 77 ]; then
        echo "(skipped: needs root)" >> "$res"
    elif [ "$rc" != 0 ]; then
        cat "$tmp" >> "$res"
        printf '\n**FAILED (exit %s): a result did not check out.**\n\n' "$rc" >> "$res"
    else
        cat "$tmp" >> "$res"
    fi
    echo >> "$res"
    cat "$tmp"
    return 0
}

run "Kernel programming (issue 12 part 1)" "$B/bench/bench-kernel" \
    --reps "$REPS" --routes "$ROUTES" --sample "$SAMPLE" --nft-rules 500
if [ -x "$B/bench/bench-fib" ]; then
    run "Route update after a path change (issue 12 part 2)" "$B/bench/bench-fib" --reps "$REPS"
fi
# shellcheck disable=SC2086 # the grid is two words
run "Convergence with real daemons, against babeld (issue 12 part 3)" sh "$here/converge-table.sh" \
    "$B" ${BENCH_GRID:-7 7} "${BENCH_IDLE:-30}"
if [ -n "${BENCH_SCALE_GRID:-}" ]; then
    # shellcheck disable=SC2086 # the grid is two words
    run "Scale: one machine, many qspnd (issue 12 part 4)" sh "$here/converge-table.sh" \
        "$B" $BENCH_SCALE_GRID "${BENCH_IDLE:-30}" qspnd
fi
HARNESS_SIZES=${BENCH_HARNESS_SIZES-100 250 500}
if [ -n "$HARNESS_SIZES" ]; then
    # shellcheck disable=SC2086 # the sizes are words
    run "Harness: testbed build and teardown (issue 12 part 5)" sh "$here/bench-harness.sh" \
        "$B" "${BENCH_HARNESS_REPS:-1}" $HARNESS_SIZES
fi

# the storyline run as `make storyline` does, then its table; the harness's own
# output goes to stderr, its exit status is kept (the table is printed anyway)
storyline() { # BUILD SHARED
    json=$(mktemp)
    src=$here/..
    rc=0
    "$1/harness/qspn-harness" run --world "$src/topologies/greek.world" --steps "$src/topologies/greek.steps" \
        --expected "$2/scenarios/expected" --qspnd "$1/qspn/daemon/qspnd" --qspnctl "$1/qspn/cli/qspnctl" \
        --json "$json" >&2 || rc=$?
    [ "$rc" = 77 ] && [ ! -s "$json" ] && { rm -f "$json"; return 77; }
    sh "$here/storyline-steps.sh" "$json" "$2/scenarios/catalogue.md" || rc=$?
    rm -f "$json"
    return "$rc"
}
if [ "${BENCH_STORYLINE:-1}" != 0 ]; then
    run "Storyline: wall time per step against the documented waits (issue 12 part 6)" \
        storyline "$B" "${SHARED_DIR:-$here/../../shared}"
fi

{
    echo "# Performance"
    echo
    echo "Written by \`make bench\` (bench/run.sh) on $(date -u '+%Y-%m-%d %H:%M UTC'); the analysis"
    echo "below the results is bench/PERFORMANCE.notes.md.  Benchmarks are not tests: the"
    echo "machines are shared and noisy, so every headline figure is a ratio measured side by"
    echo "side in the same run; \`make bench-smoke\` (in \`make check\`) only checks that the"
    echo "benchmarks run and that their results are right."
    echo
    echo "- machine: ${cpu:-unknown CPU}, $(nproc) cores online, Linux $(uname -r)"
    echo "- build: \`meson setup $B --buildtype=release -Dtests=false\` (no sanitizers)"
    echo "- repetitions: $REPS; wall time of the whole run: $(( $(date +%s) - start )) s"
    echo
    cat "$res"
    [ -f "$here/PERFORMANCE.notes.md" ] && cat "$here/PERFORMANCE.notes.md"
} > "$OUT"
echo "bench: wrote $OUT"
