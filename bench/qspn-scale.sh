#!/bin/sh
# qspn-scale.sh - ETPs, bytes, simulated convergence time, CPU and RSS of a
# converged build for growing networks, both build modes, with the growth
# exponent of ETPs in N (least squares on log-log). See bench/qspn-scale.md.
#   bench/qspn-scale.sh [QSPN_SIM] [TIMEOUT_S] [quick]
# Each run: qspn-sim --no-avoid (the oracle's forwarding-table check is
# O(N^2 E) and would dominate CPU) with the default refresh rounds; a run
# that does not finish within TIMEOUT_S (default 300) prints DNF.
SIM=${1:-build-rel/qspn/sim/qspn-sim}
TO=${2:-300}
QUICK=${3:-}
if [ -n "$QUICK" ]; then RND="100 200 400"; GRD="16 64"; else RND="100 200 400 800 1600"; GRD="16 64 100 196"; fi
printf '| shape | build | N | E | ETPs | ETPs/(N E) | MB | sim time s | CPU s | RSS MB | mismatches |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|\n'
tmp=$(mktemp)
row() { # shape build n topology
    out=$( /usr/bin/time -f 'TIME %U %M' timeout "$TO" nice -n 15 stdbuf -oL "$SIM" --no-avoid --shape "$1" --nodes "$3" \
        --topology "$4" --build "$2" 2>&1 )
    links=$(echo "$out" | sed -n 's/.* links=\([0-9]*\) .*/\1/p' | head -1)
    sum=$(echo "$out" | grep '^summary:')
    tm=$(echo "$out" | grep '^TIME' | tail -1)
    if [ -z "$sum" ]; then
        printf '| %s | %s | %s | %s | DNF (> %s s) | | | | | | |\n' "$1" "$2" "$3" "$links" "$TO"
        return
    fi
    echo "$1 $2 $3 $links $sum $tm" | awk '{
        for (i = 5; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        n = $3; e = $4; etp = v["etp"]; sub("ms", "", v["sim_time"]);
        cpu = $(NF-1); rss = $NF;
        printf "| %s | %s | %d | %d | %d | %.2f | %.1f | %.1f | %.2f | %.0f | %s |\n", $1, $2, n, e, etp,
            etp / (n * e), v["etp_bytes"] / 1e6, v["sim_time"] / 1000, cpu, rss / 1024, v["mismatches"] }'
    echo "$1 $2 $3 $(echo "$sum" | sed -n 's/.* etp=\([0-9]*\) .*/\1/p')" >> "$tmp"
}
for b in all join; do
    for n in $GRD; do row grid $b "$n" 4.4.4.4; done
    for n in $RND; do row random $b "$n" 8.8.8.4; done
done
echo
echo "growth exponent of ETPs in N (least squares on log N, log ETPs):"
for s in grid random; do for b in all join; do
    awk -v s=$s -v b=$b '$1 == s && $2 == b && $4 > 0 { x = log($3); y = log($4); n++; sx += x; sy += y; sxx += x*x; sxy += x*y }
        END { if (n > 1) printf "  %s %s: N^%.2f (%d sizes)\n", s, b, (n*sxy - sx*sy) / (n*sxx - sx*sx), n }' "$tmp"
done; done
rm -f "$tmp"
