#!/bin/sh
# converge-table.sh - issue 12 parts 3 and 4: run bench-converge.sh for qspnd and
# babeld on the same ROWS x COLS grid, one after the other, and print the
# Markdown tables side by side.
#   bench/converge-table.sh [BUILD (build-rel)] ROWS COLS [IDLE_S (30)] [DAEMONS ("qspnd babeld")]
# A daemon that cannot run here (babeld not installed) is reported, not fatal.
set -eu
B=${1:-build-rel}
ROWS=$2
COLS=$3
IDLE=${4:-30}
DAEMONS=${5:-qspnd babeld}
here=$(dirname "$0")
out=$(mktemp)
trap 'rm -f "$out"' EXIT INT TERM
for d in $DAEMONS; do
    rc=0
    sh "$here/bench-converge.sh" "$B" "$d" "$ROWS" "$COLS" "$IDLE" >> "$out" || rc=$?
    [ "$rc" = 77 ] && echo "result daemon=$d event=skipped" >> "$out"
    [ "$rc" = 0 ] || [ "$rc" = 77 ] || { echo "converge-table: $d failed ($rc)" >&2; exit 1; }
done

# val DAEMON EVENT KEY: the value of KEY in the result line of DAEMON and EVENT
val() {
    awk -v d="daemon=$1" -v e="event=$2" -v k="$3=" '$1 == "result" && $2 == d {
        hit = 0; for (i = 3; i <= NF; i++) if ($i == e) hit = 1
        if (!hit) next
        for (i = 3; i <= NF; i++) if (index($i, k) == 1) { print substr($i, length(k) + 1); exit } }' "$out"
}
cell() { # DAEMON EVENT: "50 % / 90 % / all" seconds
    v=$(val "$1" "$2" full_s)
    [ -n "$v" ] || { echo "—"; return; }
    echo "$(val "$1" "$2" p50_s) / $(val "$1" "$2" p90_s) / **$v**"
}

table_head() { # TITLE1 TITLE2: a Markdown table head with a column per daemon
    printf '| %s | %s |' "$1" "$2"
    for d in $DAEMONS; do printf ' %s |' "$d"; done
    printf '\n|---|---|'
    for d in $DAEMONS; do printf -- '---|'; done
    echo
}

echo "Grid ${ROWS}×$COLS ($((ROWS * COLS)) systems, $(( (ROWS - 1) * COLS + ROWS * (COLS - 1) )) arcs). Seconds from the event until 50 % / 90 % / all of the sampled pairs ping (all: and keep pinging for 10 rounds of 100 ms); pairs sampled with a fixed seed, echo every 100 ms, reply timeout 1 s."
echo
table_head event pairs
for ev in formation cut crash; do
    case $ev in
    formation) name="formation: after the last event" ;;
    cut) name="arc cut (silent)" ;;
    crash) name="daemon killed, node silent" ;;
    esac
    printf '| %s | %s |' "$name" "$(val "$(echo "$DAEMONS" | cut -d' ' -f1)" $ev pairs)"
    for d in $DAEMONS; do printf ' %s |' "$(cell "$d" $ev)"; done
    echo
    if [ $ev = formation ]; then
        printf '| formation: after the first event | |'
        for d in $DAEMONS; do
            printf ' %s s of events, all pinging after **%s** |' "$(val "$d" formation events_s)" \
                "$(val "$d" formation full_since_first_s)"
        done
        echo
    fi
done
echo
table_head "idle, per system" target
row() { # LABEL TARGET KEY
    printf '| %s | %s |' "$1" "$2"
    for d in $DAEMONS; do printf ' %s |' "$(val "$d" idle "$3")"; done
    echo
}
row "control traffic, bytes/s sent (all veths)" "< 50" bytes_per_s_per_node
row "CPU % of one core" "~0" cpu_pct_per_daemon
row "RSS KiB, median" "< 4096" rss_kib_median
row "RSS KiB, max" "< 4096" rss_kib_max
row "USS KiB (private pages), median" "" uss_kib_median
echo
echo "Raw results:"
echo
echo '```'
cat "$out"
echo '```'
