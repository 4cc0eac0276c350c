#!/bin/sh
# qspn-sweep.sh - the correctness sweep of issue 13: every shape, both build
# modes, uniform and random latency, link removals, crashes and cost changes,
# checked against the oracle right after the event-driven waves (--no-refresh).
# Prints one line per failing run and a closing "N passed, N failed" line.
#   bench/qspn-sweep.sh [QSPN_SIM] [SEEDS] [MAXN]
# Defaults: build-rel/qspn/sim/qspn-sim, 20 seeds, 400 identities.
SIM=${1:-build-rel/qspn/sim/qspn-sim}
SEEDS=${2:-20}
MAXN=${3:-400}
pass=0; fail=0
run() {
    out=$(timeout 300 nice -n 15 "$SIM" --no-refresh "$@" 2>&1 | tail -1)
    case "$out" in
    *" mismatches=0 avoid_mismatches=0 "*) pass=$((pass + 1)) ;;
    *) fail=$((fail + 1)); echo "FAIL $*: $out" ;;
    esac
}
ev="--remove 5 --crash 3 --cost-change 5"
for seed in $(seq 1 "$SEEDS"); do
    for build in all join; do
        for lat in "" "--random-latency 50"; do
            run --shape chain --nodes 40 --topology 4.4.4.4 --seed "$seed" --build $build $lat --cost-change 5
            run --shape ring --nodes 60 --topology 4.4.4.4 --seed "$seed" --build $build $lat $ev
            run --shape grid --nodes 64 --topology 4.4.4.4 --seed "$seed" --build $build $lat $ev
            [ "$MAXN" -ge 196 ] && run --shape grid --nodes 196 --topology 4.4.4.4 --seed "$seed" --build $build $lat $ev
            run --shape random --nodes 100 --topology 4.4.4.4 --seed "$seed" --build $build $lat $ev
            [ "$MAXN" -ge 400 ] && run --shape random --nodes "$MAXN" --topology 8.8.8.4 --seed "$seed" --build $build $lat $ev
        done
    done
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
