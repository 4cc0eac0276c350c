#!/bin/sh
# converge-smoke.sh BUILD - `make check`'s run of the convergence benchmark: a 2x2
# grid of qspnd (and of babeld when installed), formation and a short idle
# window; checks that every sampled pair pinged in the end and that the idle
# figures were read, never how fast.  The idle window holds at least one HELLO
# of every daemon: 1 s for qspnd (every 250 ms), 6 s for babeld (every 4 s,
# jittered; a 1 s window once saw none of them).  Exit 77 without root.
set -eu
B=$1
here=$(dirname "$0")
out=$(mktemp)
trap 'rm -f "$out"' EXIT INT TERM
daemons=qspnd
command -v babeld > /dev/null && daemons="qspnd babeld"
for d in $daemons; do
    rc=0
    idle=1
    [ "$d" = babeld ] && idle=6
    BENCH_CONV_EVENTS=idle BENCH_CONV_LIMIT=60 sh "$here/bench-converge.sh" "$B" "$d" 2 2 "$idle" > "$out" || rc=$?
    [ "$rc" = 0 ] || exit "$rc"
    cat "$out"
    grep -q "^result daemon=$d grid=2x2 systems=4 event=formation pairs=8 .* full_s=[0-9]" "$out" ||
        { echo "converge-smoke: $d: the pairs never all pinged" >&2; exit 1; }
    grep -q "^result daemon=$d .* event=idle .* bytes_per_s_per_node=[1-9][0-9]* .* rss_kib_median=[1-9]" "$out" ||
        { echo "converge-smoke: $d: no idle figures" >&2; exit 1; }
done
