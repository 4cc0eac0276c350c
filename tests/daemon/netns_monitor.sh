#!/bin/bash
# netns_monitor.sh QSPND QSPNCTL SHARED_DIR SOURCE_ROOT
#
# Root-only test of `qspnctl monitor` against a live qspnd (docs/monitor.md):
# two qspnd on a veth pair (namespaces qt-<pid>-sys and qt-<pid>-peer, removed
# at the end even on failure).
#   1. two monitors (JSON and text) opened before anything happens both get
#      every event: neighbour up, arc added/changed, identity-arc and qspn-arc
#      added, kernel operations with their outcome, path added/changed;
#   2. a stalled monitor (SIGSTOPped qspnctl) while a storm of events is made
#      (arcs removed and added again): `show` keeps answering within its
#      timeout, the stalled monitor alone is dropped ("too slow"), and once
#      resumed it reads what the pipe held, then the reason, and exits 1;
#   3. at most 16 monitors: the 17th is refused with a clear error; a SIGKILLed
#      monitor is noticed at once and its FIFO removed; SIGTERM ends them (0);
#   4. --count N, --for SECONDS, SIGINT, usage errors;
#   5. the peer stops (neighbour_down, "said goodbye"); quit: the remaining
#      monitor sees daemon_stopping and the teardown's
#      kernel operations, then exits 0 ("qspnd stopped"); nothing is left.
# Every JSON line is validated against docs/json-schema/monitor-event.json.
set -u
QSPND=${1:?qspnd}
CTL=${2:?qspnctl}
SHARED=${3:?shared dir}
ROOT=${4:?source root}
# shellcheck source=netns_lib.sh
. "$(dirname "$0")/netns_lib.sh"
command -v python3 >/dev/null && python3 -c 'import jsonschema' 2>/dev/null ||
  { echo "SKIP: python3-jsonschema missing"; exit 77; }

SCHEMA=$ROOT/docs/json-schema/monitor-event.json
CHECK=$ROOT/tests/json/check_monitor_events.py
MA=02:00:00:00:07:0A
MB=02:00:00:00:07:0B
CD2=$WORK/ctl2
RT2=/etc/netns/$PEER/iproute2/rt_tables

ctl() { "$CTL" --control-dir "$CD" "$@"; }
ctl2() { "$CTL" --control-dir "$CD2" "$@"; }

wait_grep() {   # PATTERN FILE SECONDS: until grep -E finds PATTERN in FILE
  local i
  for i in $(seq $(($3 * 20))); do
    grep -Eq -- "$1" "$2" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

expect_event() {   # TYPE [SECONDS]: a JSON line of TYPE in m1
  wait_grep "\"type\":\"$1\"" "$WORK/m1.out" "${2:-10}" || fail "no $1 event in the JSON monitor"
}

# until qspnd has N monitors (SIGUSR2 logs its counters, "... monitors N")
wait_monitors() {
  local i n=
  for i in $(seq 50); do
    kill -USR2 "$QPID"
    sleep 0.1
    n=$(grep -o 'monitors [0-9]*$' "$WORK/qspnd.log" | tail -1)
    [ "$n" = "monitors $1" ] && return 0
  done
  fail "qspnd has ${n:-no} monitors, not $1"
  return 1
}

monitor_bg() {   # NAME ARGS...: qspnctl monitor ARGS in the background, $! in MPID
  local name=$1
  shift
  "$CTL" --control-dir "$CD" monitor "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  MPID=$!
  EXTRA_PIDS+=("$MPID")
}

# ---------------------------------------------------------------- set-up
setup_ns "$MA"
ip -n "$PEER" link set eth1 address "$MB"
ip -n "$PEER" link set lo up
mkdir -p "$(dirname "$RT2")"
printf '255\tlocal\n254\tmain\n253\tdefault\n0\tunspec\n' >"$RT2"
start_qspnd --topology 4.8 --address 1.0 --serve-anonymous --linklocal eth1=169.254.7.10 || exit 1

# ---------------------------------------------------------------- 1. two monitors
monitor_bg m1 --json
M1=$MPID
monitor_bg m2
M2=$MPID
wait_monitors 2
"$QSPND" --netns "$PEER" -i eth1 --control-dir "$CD2" --rt-tables "$RT2" --log-file "$WORK/qspnd2.log" -v \
  --topology 4.8 --address 1.1 --serve-anonymous --linklocal eth1=169.254.7.11 &
PB=$!
EXTRA_PIDS+=("$PB")
wait_ready "$PB" "$CD2" || fail "the peer qspnd did not start"
expect_event neighbour_up
ctl add_real_arc "$MA" "$MB" 1000 >/dev/null || fail "add_real_arc"
ctl2 add_real_arc "$MB" "$MA" 1000 >/dev/null || fail "add_real_arc (peer)"
ctl add_qspn_arc 0 eth1 "$MB" >/dev/null || fail "add_qspn_arc"
ctl2 add_qspn_arc 0 eth1 "$MA" >/dev/null || fail "add_qspn_arc (peer)"
expect_event path_added 15
ctl change_real_arc "$MA" "$MB" 5000 >/dev/null || fail "change_real_arc"
expect_event path_changed
for t in arc_added identity_arc_added qspn_arc_added arc_changed; do expect_event "$t" 2; done
grep -q '"type":"kernel","netns":"default","op":"ip route change 10.0.0.9/32 table ntk via 169.254.7.11 dev eth1 src 10.0.0.8","result":"ok"' \
  "$WORK/m1.out" || fail "no kernel event for the route to the peer"
grep -q '"type":"path_added","identity":0,"destination":{"level":0,"pos":1},"cost_us":1000,' "$WORK/m1.out" ||
  fail "path_added to (0,1) with cost 1000"
grep -q '"type":"path_changed","identity":0,"destination":{"level":0,"pos":1},"cost_us":5000,' "$WORK/m1.out" ||
  fail "path_changed to (0,1) with cost 5000"
for p in 'neighbour up eth1 02:00:00:00:07:0A-02:00:00:00:07:0B peer 169.254.7.11' \
         'arc changed eth1 02:00:00:00:07:0A-02:00:00:00:07:0B peer 169.254.7.11 cost 1000us -> 5000us' \
         'path added identity #0 to (0,1) cost 1000us' 'kernel ok: ip rule add fwmark 250 table ntk_from_02:00:00:00:07:0B'; do
  grep -qF -- "$p" "$WORK/m2.out" || fail "text monitor: no line with '$p'"
done
log "1. two monitors: neighbour, arcs, kernel operations and paths reported"

# ---------------------------------------------------------------- 2. a stalled monitor
monitor_bg m3 --json
M3=$MPID
wait_monitors 3
kill -STOP "$M3"
cycles=0 max_ms=0 slow=0
while [ "$cycles" -lt 150 ]; do
  ctl remove_real_arc "$MA" "$MB" >/dev/null || fail "remove_real_arc (cycle $cycles)"
  ctl add_real_arc "$MA" "$MB" 1000 >/dev/null || fail "add_real_arc (cycle $cycles)"
  ctl add_qspn_arc 0 eth1 "$MB" >/dev/null || fail "add_qspn_arc (cycle $cycles)"
  t0=$(date +%s%N)
  ctl --timeout 2 show >/dev/null || { fail "show did not answer within 2 s (cycle $cycles)"; slow=1; }
  ms=$((($(date +%s%N) - t0) / 1000000))
  [ "$ms" -gt "$max_ms" ] && max_ms=$ms
  cycles=$((cycles + 1))
  grep -q "stream .* dropped: too slow" "$WORK/qspnd.log" && break
done
grep -q "stream .* dropped: too slow" "$WORK/qspnd.log" || fail "the stalled monitor was not dropped after $cycles cycles"
n1=$(wc -l <"$WORK/m1.out")
log "2. $cycles cycles, $n1 events; show answered every time (slowest ${max_ms} ms)"
[ "$(grep -c "dropped: too slow" "$WORK/qspnd.log")" = 1 ] || fail "a monitor that reads was dropped too"
kill -0 "$M1" 2>/dev/null && kill -0 "$M2" 2>/dev/null || fail "a monitor that reads has ended"
kill -CONT "$M3"
wait "$M3"; rc=$?
[ "$rc" = 1 ] || fail "the dropped monitor exited $rc (want 1)"
grep -q "^qspnctl: monitor: too slow: more than 1000 lines or 262144 bytes waiting; dropped$" "$WORK/m3.err" ||
  { fail "the dropped monitor did not say why"; cat "$WORK/m3.err"; }
[ "$(wc -l <"$WORK/m3.out")" -gt 100 ] || fail "the dropped monitor got nothing of what the pipe held"
[ "$slow" = 0 ] && log "2. the stalled monitor was dropped (exit 1, 'too slow'); the others go on"

# both monitors that read got the same events (once things are quiet)
prev=
for _ in $(seq 100); do
  cur="$(wc -l <"$WORK/m1.out") $(wc -l <"$WORK/m2.out")"
  [ "$cur" = "$prev" ] && break
  prev=$cur
  sleep 0.2
done
read -r a b <<<"$cur"
[ "$a" = "$b" ] || fail "the JSON monitor has $a lines, the text monitor $b"
[ "$a" -gt 1000 ] || fail "only $a events in the storm"

# ---------------------------------------------------------------- 3. at most 16 monitors
MORE=()
for i in $(seq 14); do monitor_bg "more$i" --json; MORE+=("$MPID"); done
wait_monitors 16
ctl --timeout 3 monitor --count 1 >"$WORK/m17.out" 2>"$WORK/m17.err"; rc=$?
[ "$rc" = 1 ] || fail "17th monitor: exit $rc (want 1)"
grep -q "^qspnctl: too many monitors (16 already subscribed)$" "$WORK/m17.err" || fail "17th monitor: $(cat "$WORK/m17.err")"
kill -KILL "${MORE[0]}"; wait "${MORE[0]}" 2>/dev/null
wait_monitors 15 || fail "a SIGKILLed monitor was not noticed"
[ "$(ls "$CD"/rsp-*.fifo | wc -l)" = 15 ] || fail "the FIFO of the SIGKILLed monitor was not removed: $(ls "$CD")"
for p in "${MORE[@]:1}"; do kill -TERM "$p"; done
for p in "${MORE[@]:1}"; do wait "$p"; rc=$?; [ "$rc" = 0 ] || fail "monitor ended by SIGTERM: exit $rc"; done
wait_monitors 2 || fail "the monitors ended by SIGTERM were not noticed"
log "3. 16 monitors at most; the 17th refused; SIGKILL and SIGTERM noticed"

# ---------------------------------------------------------------- 4. --count, --for, SIGINT, usage
monitor_bg m4 --json --count 2
M4=$MPID
wait_monitors 3
ctl change_real_arc "$MA" "$MB" 7000 >/dev/null || fail "change_real_arc 7000"
ctl change_real_arc "$MA" "$MB" 9000 >/dev/null || fail "change_real_arc 9000"
for _ in $(seq 100); do kill -0 "$M4" 2>/dev/null || break; sleep 0.05; done
wait "$M4"; rc=$?
[ "$rc" = 0 ] || fail "--count 2: exit $rc"
[ "$(wc -l <"$WORK/m4.out")" = 2 ] || fail "--count 2: $(wc -l <"$WORK/m4.out") lines"
t0=$(date +%s%N)
ctl monitor --for 1 >/dev/null 2>"$WORK/m5.err"; rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" = 0 ] && [ "$ms" -ge 900 ] && [ "$ms" -lt 4000 ] || fail "--for 1: exit $rc after $ms ms"
kill -INT "$M2"; wait "$M2"; rc=$?
[ "$rc" = 0 ] || fail "SIGINT: exit $rc"
[ -s "$WORK/m2.err" ] && fail "SIGINT: stderr $(cat "$WORK/m2.err")"
for bad in "--count 0" "--count" "--for -1" "--bogus" "--count 1x"; do
  # shellcheck disable=SC2086
  ctl monitor $bad >/dev/null 2>&1; rc=$?
  [ "$rc" = 2 ] || fail "monitor $bad: exit $rc (want 2)"
done
r=$(raw_cmd 'monitor --yaml\n')
[ "$r" = "%error unknown option for monitor (usage: monitor [--json])" ] || fail "raw monitor --yaml: $r"
wait_monitors 1 || fail "SIGINT was not noticed"
[ "$(ls "$CD"/rsp-*.fifo | wc -l)" = 1 ] || fail "FIFOs left: $(ls "$CD")"
log "4. --count, --for, SIGINT and usage errors"

# ---------------------------------------------------------------- 5. the peer leaves, quit
kill -TERM "$PB"; wait "$PB"; rc=$?
[ "$rc" = 0 ] || fail "the peer qspnd: exit $rc after SIGTERM"
expect_event neighbour_down
grep -q '"type":"neighbour_down","dev":"eth1","mac":"02:00:00:00:07:0A","peer_mac":"02:00:00:00:07:0B","peer_linklocal":"169.254.7.11","reason":"said goodbye"' \
  "$WORK/m1.out" || fail "neighbour_down of the peer that said goodbye"
ctl quit || fail "quit: exit $?"
wait "$QPID"; rc=$?; QPID=
[ "$rc" = 0 ] || fail "qspnd exit status $rc after quit"
for _ in $(seq 100); do kill -0 "$M1" 2>/dev/null || break; sleep 0.05; done
wait "$M1"; rc=$?
[ "$rc" = 0 ] || fail "the monitor at quit: exit $rc"
grep -q "^qspnctl: monitor: qspnd stopped$" "$WORK/m1.err" || fail "the monitor at quit: $(cat "$WORK/m1.err")"
sed -n '/"type":"daemon_stopping"/,$p' "$WORK/m1.out" >"$WORK/m1.teardown"
grep -q '"type":"kernel","netns":"default","op":"ip rule del table ntk","result":"ok"' "$WORK/m1.teardown" ||
  fail "no teardown kernel event after daemon_stopping"
grep -q '"type":"ip_address_removed","netns":"default","ip":"10.0.0.8","prefix":32,"dev":"eth1"' "$WORK/m1.teardown" ||
  fail "no ip_address_removed at teardown"
check_clean "after quit with a monitor"

python3 "$CHECK" "$SCHEMA" --require neighbour_up,neighbour_down,arc_added,arc_changed,arc_removed,identity_arc_added,identity_arc_removed,qspn_arc_added,qspn_arc_removed,path_added,path_changed,path_removed,kernel,ip_address_removed,daemon_stopping \
  "$WORK/m1.out" || fail "the JSON monitor's lines against $SCHEMA"
python3 "$CHECK" "$SCHEMA" "$WORK/m3.out" "$WORK/m4.out" || fail "the other JSON monitors' lines against $SCHEMA"

if [ "$FAILS" -gt 0 ]; then
  echo "$FAILS failure(s); logs: $WORK/qspnd.log $WORK/qspnd2.log"
  exit 1
fi
log "all checks passed"
exit 0
