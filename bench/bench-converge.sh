#!/bin/sh
# bench-converge.sh - issue 12 parts 3 and 4: convergence of real daemons on a
# ROWS x COLS grid of network namespaces (veth pairs between grid neighbours),
# qspnd against babeld on the same grid, measured the way meshnet-lab does: the
# share of sampled pairs that ping against the time since the event.
#   bench/bench-converge.sh [BUILD (build-rel)] DAEMON (qspnd|babeld) ROWS COLS [IDLE_S (30)]
# Events, one after the other on one testbed:
#  formation  qspnd: every daemon runs and hears its neighbours; the operator
#             accepts every arc (add_real_arc both sides, add_qspn_arc both sides);
#             the event is the last command.  babeld: the event is the start of the
#             last daemon (it forms its adjacencies by itself).
#  idle       IDLE_S seconds with no test traffic: bytes sent on every veth per node
#             per second (both daemons' whole control traffic: HELLOs, ETPs/updates,
#             TCP), and for qspnd the RSS and CPU of every daemon.
#  arc cut    the vertical arc of the middle column between the two middle rows
#             stops carrying anything (an nft netdev ingress drop on both ends: a
#             silent radio loss; no daemon is told); pairs from both of its ends to
#             every node are watched.
#  crash      the daemon of the last system of the middle row is SIGKILLed and
#             its neighbours stop hearing it (ingress drop towards it): a node
#             lost; pairs not involving it are watched.
# qspnd's addresses: one level-1 g-node per row (topology 2^a.2^b, address
# row.col).  Both events keep every row connected inside: a g-node that splits
# needs the migrations of other modules (the operator's), not QSPN alone.
# For each event: the time from the event to the first round after which every
# sampled pair replies for STABLE consecutive rounds (rounds every 100 ms, reply
# timeout 1 s: bench-ping-share), and to 50 % / 90 % of the pairs.
# BENCH_CONV_QSPND_ARGS: more qspnd options (e.g. "--hello-interval 4000
# --dead-interval 16000"); BENCH_CONV_EVENTS (default "idle cut crash"),
# BENCH_CONV_PAIRS (destinations per source, 2), BENCH_CONV_LIMIT (s per event, 120),
# BENCH_CONV_STABLE (rounds, 10), BENCH_CONV_KEEP=1 keeps the work directory.
# Output: "result KEY=VALUE ..." lines (bench/converge-table.sh makes the table).
# Needs root (exit 77 without).  Everything lives in namespaces qc<pid>-<n>; the
# daemons are ended by their PIDs and the namespaces removed on any exit.
set -eu
B=${1:-build-rel}
DAEMON=$2
ROWS=$3
COLS=$4
IDLE=${5:-30}
STABLE=${BENCH_CONV_STABLE:-10}
[ "$(id -u)" = 0 ] || { echo "bench-converge: needs root" >&2; exit 77; }
case $DAEMON in
qspnd) ;;
babeld) command -v babeld > /dev/null || { echo "bench-converge: no babeld" >&2; exit 77; } ;;
*) echo "bench-converge: DAEMON is qspnd or babeld" >&2; exit 2 ;;
esac
N=$((ROWS * COLS))
P=qc$$
QSPND=$B/qspn/daemon/qspnd
QSPNCTL=$B/qspn/cli/qspnctl
PING=$B/bench/bench-ping-share
dir=$(mktemp -d)
pids=""

cleanup() {
    for p in $pids; do kill "$p" 2> /dev/null || true; done
    for p in $pids; do
        i=0
        while kill -0 "$p" 2> /dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        kill -9 "$p" 2> /dev/null || true
    done
    n=0
    while [ $n -lt "$N" ]; do echo "netns del $P-$n"; n=$((n + 1)); done > "$dir/del"
    ip -force -batch "$dir/del" 2> /dev/null || true
    [ -n "${BENCH_CONV_KEEP:-}" ] && cp -r "$dir" /tmp/bench-converge-kept
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

now() { date +%s.%N; }
node() { echo $(($1 * COLS + $2)); } # ROW COL -> index
mac() { printf '02:00:%02x:%02x:%02x:%02x' $(($1 / 256)) $(($1 % 256)) 0 "$2"; } # INDEX IFACE#
gsize() { g=2; while [ $g -lt "$1" ]; do g=$((g * 2)); done; echo $g; }

# --- testbed: namespaces, then one veth pair per grid edge (e-w, s-n) ----------
build_testbed() {
    n=0
    while [ $n -lt "$N" ]; do echo "netns add $P-$n"; n=$((n + 1)); done > "$dir/add"
    ip -batch "$dir/add"
    : > "$dir/links"
    : > "$dir/edges"
    r=0
    while [ $r -lt "$ROWS" ]; do
        c=0
        while [ $c -lt "$COLS" ]; do
            a=$(node $r $c)
            # iface numbers: 0 ve (east), 1 vw, 2 vs (south), 3 vn
            if [ $((c + 1)) -lt "$COLS" ]; then edge "$a" 0 ve "$(node $r $((c + 1)))" 1 vw; fi
            if [ $((r + 1)) -lt "$ROWS" ]; then edge "$a" 2 vs "$(node $((r + 1)) $c)" 3 vn; fi
            c=$((c + 1))
        done
        r=$((r + 1))
    done
    ip -batch "$dir/links"
    n=0
    while [ $n -lt "$N" ]; do
        {
            echo "link set lo up"
            for f in $(ifaces $n); do echo "link set dev $f up"; done
            [ "$DAEMON" = babeld ] && echo "address add $(babel_addr $n)/32 dev lo"
        } > "$dir/up"
        # forwarding for babeld (qspnd sets its own sysctls); no DAD delay on the
        # link-locals babeld needs
        ip netns exec "$P-$n" sh -c 'echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad;
            echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad;
            echo 1 > /proc/sys/net/ipv4/ip_forward'
        ip -n "$P-$n" -batch "$dir/up" || { cat "$dir/up" "$dir/edges" >&2; exit 1; }
        n=$((n + 1))
    done
}

# edge A IA NAMEA B IB NAMEB: one veth pair, and a line "A NAMEA MACA B NAMEB MACB"
edge() {
    echo "link add name $3 address $(mac "$1" "$2") netns $P-$1 type veth peer name $6 address $(mac "$4" "$5") netns $P-$4" >> "$dir/links"
    echo "$1 $3 $(mac "$1" "$2") $4 $6 $(mac "$4" "$5")" >> "$dir/edges"
}

ifaces() { awk -v n="$1" '$1 == n { print $2 } $4 == n { print $5 }' "$dir/edges"; }
babel_addr() { echo "10.255.$(($1 / 250)).$(($1 % 250 + 1))"; }

# --- daemons -------------------------------------------------------------------
global_of() { # INDEX -> the global IPv4 of its main identity (qspnd) or its /32 (babeld)
    if [ "$DAEMON" = babeld ]; then babel_addr "$1"; return; fi
    "$QSPNCTL" ipcalc --topology "$TOPO" "$(($1 / COLS)).$(($1 % COLS))" |
        awk '$2 == "global" { print $1; exit }'
}

# One line per system: "INDEX IFACE LINKLOCAL ...".  Edge E (line number) gives
# 169.254 addresses (E,0) to its first end and (E,1) to its second: unique in the grid.
iface_lines() {
    awk '{ for (s = 0; s < 2; s++) { n = $(1 + 3 * s); v = NR * 4 + s
            l[n] = l[n] " " $(2 + 3 * s) " 169.254." int(v / 250) + 1 "." v % 250 + 1 } }
        END { for (n in l) print n l[n] }' "$dir/edges" | sort -n
}

start_qspnd() { # INDEX IFACE LINKLOCAL ...
    n=$1; shift
    mkdir -p -m 700 "$dir/ctl" "$dir/ctl/$n"
    printf '255\tlocal\n254\tmain\n253\tdefault\n0\tunspec\n' > "$dir/rt.$n"
    a=""
    while [ $# -ge 2 ]; do a="$a -i $1 --linklocal $1=$2"; shift 2; done
    # shellcheck disable=SC2086 # options are words
    "$QSPND" --netns "$P-$n" --topology "$TOPO" --address "$((n / COLS)).$((n % COLS))" \
        --control-dir "$dir/ctl/$n" --rt-tables "$dir/rt.$n" --identity-ns-prefix "$P-$n-" \
        --log-file "$dir/log.$n" $a ${BENCH_CONV_QSPND_ARGS:-} &
    pids="$pids $!"
}

ctl() { # INDEX COMMAND... (retried while the neighbour is not heard yet)
    n=$1; shift
    t=0
    while ! "$QSPNCTL" --control-dir "$dir/ctl/$n" "$@" > "$dir/ctl.out" 2>&1; do
        t=$((t + 1))
        if [ $t -ge 100 ]; then
            echo "bench-converge: system $n: $*: $(cat "$dir/ctl.out")" >&2
            return 1
        fi
        sleep 0.1
    done
}

start_babeld() { # INDEX
    n=$1
    # shellcheck disable=SC2046 # interface names are words
    ip netns exec "$P-$n" babeld -c /dev/null -D -I "$dir/babeld.$n.pid" -S "$dir/babeld.$n.state" \
        -L "$dir/log.$n" -C "redistribute local ip 10.255.0.0/16 ge 32" \
        -C "redistribute local deny" $(ifaces "$n")
    t=0
    while [ ! -s "$dir/babeld.$n.pid" ] && [ $t -lt 50 ]; do sleep 0.1; t=$((t + 1)); done
    pids="$pids $(cat "$dir/babeld.$n.pid")"
}

# --- measurements --------------------------------------------------------------
# "INDEX ADDRESS" of every system, once (one qspnctl ipcalc each for qspnd)
write_globals() {
    n=0
    while [ $n -lt "$N" ]; do echo "$n $(global_of $n)"; n=$((n + 1)); done > "$dir/globals"
}

# pairs FILE EXCLUDE K: K random destinations per source (fixed seed), no self, no EXCLUDE
pairs() {
    awk -v N="$N" -v x="$2" -v k="$3" -v P="$P" 'NR == FNR { g[$1] = $2; next } END {
        srand(12); for (s = 0; s < N; s++) { if (s == x) continue
            for (j = 0; j < k; j++) { do d = int(rand() * N); while (d == s || d == x)
                print P "-" s, g[d] } } }' "$dir/globals" /dev/null > "$1"
}

# measure NAME PAIRS_FILE T0 [T_FIRST]: watch the pairs from T0 until STABLE full rounds, then
# print "result ... event=NAME" with the seconds from T0 to 50 %, 90 %, 100 % stable
measure() {
    "$PING" --pairs "$2" --interval 100 --timeout 1000 --for "${BENCH_CONV_LIMIT:-120}" \
        --until-stable "$STABLE" > "$dir/share.$1"
    awk -v t0="$3" -v tf="${4:-$3}" -v st="$STABLE" -v name="$1" -v base="$BASE" '
        { t[NR] = $1 - t0; ok[NR] = ($2 == $3); f[NR] = $2 / $3
          if (h50 == "" && f[NR] >= 0.5) h50 = t[NR]; if (h90 == "" && f[NR] >= 0.9) h90 = t[NR] }
        END { run = 0; full = "none"
            for (i = NR; i >= 1 && ok[i]; i--) run++
            if (run >= st) full = sprintf("%.2f", t[NR - run + 1] < 0 ? 0 : t[NR - run + 1])
            printf "result %s event=%s pairs=%d rounds=%d first_share=%.2f p50_s=%s p90_s=%s full_s=%s",
                base, name, $3, NR, f[1], h50 == "" ? "none" : sprintf("%.2f", h50 < 0 ? 0 : h50),
                h90 == "" ? "none" : sprintf("%.2f", h90 < 0 ? 0 : h90), full
            if (tf != t0) printf " events_s=%.2f full_since_first_s=%s", t0 - tf,
                full == "none" ? "none" : sprintf("%.2f", t0 - tf + full)
            printf "\n" }' "$dir/share.$1"
}

tx_total() { # bytes sent on every veth of every namespace, and the time
    n=0
    tot=0
    while [ $n -lt "$N" ]; do
        # /proc/net/dev of the namespace: "IFACE: rx(8 fields) tx_bytes ..."
        b=$(ip netns exec "$P-$n" cat /proc/net/dev | awk -F'[: ]+' '/:/ && $2 != "lo" { s += $11 } END { print s + 0 }')
        tot=$((tot + b))
        n=$((n + 1))
    done
    echo "$tot $(now)"
}

cpu_ticks() { # utime + stime of every daemon
    for p in $pids; do awk '{ print $14 + $15 }' "/proc/$p/stat"; done | awk '{ s += $1 } END { print s + 0 }'
}

mem_stat() { # FIELD FILE NAME: median and max over the daemons, KiB
    for p in $pids; do awk -v f="$1" 'index($1, f) == 1 { s += $2 } END { print s }' "/proc/$p/$2"; done |
        sort -n | awk -v k="$3" '{ v[NR] = $1 } END { printf "%s_kib_median=%d %s_kib_max=%d", k, v[int((NR + 1) / 2)], k, v[NR] }'
}

idle() {
    set -- $(tx_total) $(cpu_ticks)
    sleep "$IDLE"
    set -- "$@" $(tx_total) $(cpu_ticks)
    # RSS counts the shared libraries' pages in every process; USS (private pages)
    # is what one more daemon costs
    rss="$(mem_stat VmRSS status rss) $(mem_stat Private smaps_rollup uss)"
    hz=$(getconf CLK_TCK)
    awk -v b0="$1" -v t0="$2" -v c0="$3" -v b1="$4" -v t1="$5" -v c1="$6" -v n="$N" -v hz="$hz" \
        -v base="$BASE" -v rss="$rss" 'BEGIN {
        d = t1 - t0; printf "result %s event=idle seconds=%.1f bytes_per_s_per_node=%.0f cpu_pct_per_daemon=%.3f %s\n",
            base, d, (b1 - b0) / d / n, 100 * (c1 - c0) / hz / d / n, rss }'
}

# drop NODE IFACE...: nothing arrives on these interfaces of NODE any more
drop() {
    n=$1; shift
    for f in "$@"; do
        printf 'table netdev bench_cut_%s {\n chain in { type filter hook ingress device "%s" priority 0; policy drop; }\n}\n' "$f" "$f"
    done | ip netns exec "$P-$n" nft -f -
}

accept_arcs() { # every arc, both sides, as the operator would
    while read -r a fa ma b fb mb; do
        ctl "$a" add_real_arc "$ma" "$mb" 1000
        ctl "$b" add_real_arc "$mb" "$ma" 1000
        ctl "$a" add_qspn_arc 0 "$fa" "$mb"
        ctl "$b" add_qspn_arc 0 "$fb" "$ma"
    done < "$dir/edges"
}

EVENTS=${BENCH_CONV_EVENTS:-idle cut crash}
TOPO="$(gsize "$ROWS").$(gsize "$COLS")"
BASE="daemon=$DAEMON grid=${ROWS}x$COLS systems=$N"
t=$(now)
build_testbed
echo "bench-converge: $N namespaces, $(wc -l < "$dir/edges") veth pairs in $(awk -v a="$t" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s" >&2
write_globals
pairs "$dir/pairs.all" -1 "${BENCH_CONV_PAIRS:-2}"
tfirst=
if [ "$DAEMON" = qspnd ]; then
    iface_lines > "$dir/ifaces"
    # shellcheck disable=SC2086 # the line is words
    while read -r line; do start_qspnd $line; done < "$dir/ifaces"
    n=0
    while [ $n -lt "$N" ]; do ctl $n show_handlednics; n=$((n + 1)); done
    tfirst=$(now)
    accept_arcs
else
    tfirst=$(now)
    n=0
    while [ $n -lt "$N" ]; do start_babeld $n; n=$((n + 1)); done
fi
t0=$(now)
measure formation "$dir/pairs.all" "$t0" "$tfirst"
for ev in $EVENTS; do
    case $ev in
    idle) idle ;;
    cut) # the vertical arc of the middle column between the two middle rows
        a=$(node $((ROWS / 2 - 1)) $((COLS / 2)))
        b=$(node $((ROWS / 2)) $((COLS / 2)))
        # every node from both ends, not the ends themselves
        awk -v a="$a" -v b="$b" -v P="$P" 'NR == FNR { g[$1] = $2; n = NR; next } END {
            for (d = 0; d < n; d++) { if (d != a) print P "-" a, g[d]; if (d != b) print P "-" b, g[d] } }' \
            "$dir/globals" /dev/null > "$dir/pairs.cut"
        drop "$a" vs
        drop "$b" vn
        t0=$(now)
        measure cut "$dir/pairs.cut" "$t0" ;;
    crash) # the last system of the middle row (its row stays connected without it)
        x=$(node $((ROWS / 2)) $((COLS - 1)))
        pairs "$dir/pairs.crash" "$x" "${BENCH_CONV_PAIRS:-2}"
        kill -9 "$(echo "$pids" | awk -v i=$((x + 1)) '{ print $i }')"
        awk -v x="$x" '$1 == x { print $4, $5 } $4 == x { print $1, $2 }' "$dir/edges" |
            while read -r m f; do drop "$m" "$f"; done
        t0=$(now)
        measure crash "$dir/pairs.crash" "$t0" ;;
    formation) ;;
    esac
done
