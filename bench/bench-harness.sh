#!/bin/sh
# bench-harness.sh - issue 12 part 5: build and tear down an N-system testbed with
# qspn-harness (one medium, no daemon started, one `settle` step), for each N.
#   bench/bench-harness.sh [BUILD_DIR (build-rel)] [REPS (5)] [N...] (default 16 32 64; the
# harness accepts up to 1000 systems per world (HN_MAX_SYSTEMS), 1023 on one medium;
# issue 12 asks for 100, 250, 500)
# Prints a Markdown table: the harness's own "built in" time, the settle step, and
# the rest of the wall time (teardown and the harness's final checks), in seconds,
# median (min–max). Needs root (the harness exits 77 without: this script too).
# The harness creates its namespaces with the prefix qh<pid>- and removes them even
# on failure; the world files are generated here from numbers only.
set -eu
B=${1:-build-rel}
REPS=${2:-5}
[ $# -ge 2 ] && shift 2 || shift $#
SIZES=${*:-16 32 64}
H=$B/harness/qspn-harness
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM
mkdir -p "$dir/exp"
# a round of dumps of 500 namespaces takes seconds on a loaded machine: the
# default deadline (20 s) is for the storyline's 8 systems
printf 'step B01 nothing\n  settle 0.1\n  deadline 600\n' > "$dir/s.steps"

world() { # N
    echo "medium m filter"
    i=1
    while [ "$i" -le "$1" ]; do
        printf 'system s%d\n  iface eth1 mac 02:00:00:%02x:%02x:01 linklocal 169.254.%d.%d medium m\n' \
            "$i" $((i / 256)) $((i % 256)) $((i / 250 + 1)) $((i % 250 + 1))
        echo "  qspnd --topology 4.2.2.2 --address 0.0.0.0"
        i=$((i + 1))
    done
}

stat3() { # values on stdin -> "median (min–max)"
    sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit }
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%.2f (%.2f–%.2f)", m, v[1], v[NR] }'
}

echo "| systems | build s | settle step s | teardown and checks s | total s | build s per 100 |"
echo "|---|---|---|---|---|---|"
for n in $SIZES; do
    world "$n" > "$dir/w.world"
    : > "$dir/t"
    r=0
    while [ "$r" -lt "$REPS" ]; do
        t0=$(date +%s.%N)
        rc=0
        "$H" run --world "$dir/w.world" --steps "$dir/s.steps" --expected "$dir/exp" \
            --qspnd "$B/qspn/daemon/qspnd" --qspnctl "$B/qspn/cli/qspnctl" --pings none --artifacts "$dir/art" \
            > "$dir/out" 2>&1 || rc=$?
        t1=$(date +%s.%N)
        [ "$rc" = 77 ] && { echo "(skipped: needs root)"; exit 77; }
        if [ "$rc" != 0 ] || ! grep -q '^T2 cleanup .* ok' "$dir/out"; then
            cat "$dir/out" >&2
            echo "bench-harness: the run of $n systems failed" >&2
            exit 1
        fi
        build=$(sed -n 's/.* built in \([0-9.]*\)s$/\1/p' "$dir/out")
        step=$(sed -n 's/^B01 nothing .* \([0-9.]*\)s$/\1/p' "$dir/out")
        echo "$build $step $t0 $t1" >> "$dir/t"
        r=$((r + 1))
    done
    b=$(awk '{ print $1 }' "$dir/t" | stat3)
    s=$(awk '{ print $2 }' "$dir/t" | stat3)
    rest=$(awk '{ print $4 - $3 - $1 - $2 }' "$dir/t" | stat3)
    tot=$(awk '{ print $4 - $3 }' "$dir/t" | stat3)
    per=$(awk -v n="$n" '{ print $1 * 100 / n }' "$dir/t" | stat3)
    echo "| $n | $b | $s | $rest | $tot | $per |"
done
