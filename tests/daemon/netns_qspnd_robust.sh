#!/bin/bash
# netns_qspnd_robust.sh QSPND QSPNCTL SHARED_DIR
#
# Root-only regression tests of qspnd's start-up ownership, leftover sweep,
# signals and control protocol, each from a defect found by trying qspnd and
# qspnctl adversarially (namespaces qt-<pid>-*, removed even on failure):
#   R1 a second qspnd in a namespace (or control directory) that one already
#      owns exits 1 and changes nothing (it used to wipe the first one's table
#      ntk, rule, nft table and rt_tables line);
#   R2 a start that fails validation (-i nosuch0) touches nothing (it used to
#      sweep other programs' routes, rules and rt_tables lines); the sweep after
#      a SIGKILL removes the state file's records and nothing foreign;
#   R3 ten qspnd started at the same instant in one namespace: exactly one runs
#      and the kernel state is that one's;
#   R4 SIGHUP/SIGUSR1/SIGUSR2 leave the daemon running; SIGTERM cleans up;
#   R5 SIGTERM during a long start-up: prompt exit 0, rolled back;
#   R6 a start-up over --max-destinations is refused at once, nothing touched;
#   R7 a timed-out command is not executed and its reply is not read by the
#      next client (SIGSTOP/SIGCONT); a partial line in cmd.fifo is not glued
#      to the next command;
#   R8 a flood of control commands (200 clients at once) and 40 clients that
#      never read their replies (reply FIFOs shrunk to one page) plus 40 that
#      are gone: the daemon keeps answering other clients within a second,
#      drops the stuck replies after its 5 s bound, runs no command of a gone
#      client, and every flood client gets its own answer.
#   R9 --config FILE: a bad value is refused (exit 2, one line naming file,
#      group and key) before anything is touched; the options of R1's alfa given
#      by a configuration file instead of the command line give the same kernel
#      state, and quit removes it.
set -u
QSPND=${1:?qspnd}
CTL=${2:?qspnctl}
SHARED=${3:?shared dir}
# shellcheck source=netns_lib.sh
. "$(dirname "$0")/netns_lib.sh"

ALFA=(--topology 4.2.2.2 --address 3.0.1.0 -k --linklocal eth1=169.254.69.30)

spawn() {   # NS DIR LOG ARGS...: qspnd in the background, pid in SPAWNED
  local ns=$1 dir=$2 lg=$3
  shift 3
  "$QSPND" --netns "$ns" -i eth1 --control-dir "$dir" --rt-tables "/etc/netns/$ns/iproute2/rt_tables" \
    --log-file "$lg" "$@" &
  SPAWNED=$!
  EXTRA_PIDS+=("$SPAWNED")
}

exit_status() {   # PID SECONDS: wait for our child; its status (or "running") in RC
  local i
  for i in $(seq $(($2 * 20))); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$1" 2>/dev/null; then RC=running; return; fi
  wait "$1"
  RC=$?
}

snapshot() { dump "${1:-$NS}"; cat "/etc/netns/${1:-$NS}/iproute2/rt_tables"; }

# ---------------------------------------------------------------- R1 ownership
setup_ns 00:16:3E:FD:E2:AA
start_qspnd "${ALFA[@]}" || exit 1
before=$(snapshot)
spawn "$NS" "$WORK/ctl-b" "$WORK/b.log" --topology 4.2.2.2 --address 2.1.1.1 --linklocal eth1=169.254.1.2
exit_status "$SPAWNED" 10; rc=$RC
[ "$rc" = 1 ] || fail "R1: second qspnd in the namespace: status $rc (want 1)"
grep -q "another qspnd (pid $QPID) runs in this network namespace" "$WORK/b.log" ||
  fail "R1: no ownership message: $(cat "$WORK/b.log")"
[ -e "$WORK/ctl-b" ] && fail "R1: the loser created its control directory"
after=$(snapshot)
[ "$before" = "$after" ] || { fail "R1: the second qspnd changed the kernel"; diff <(echo "$before") <(echo "$after"); }
NS2=${P}other
setup_ns 00:16:3E:FD:E2:AB "$NS2" "${P}otherpeer"
cp "$WORK/rt_tables.orig" "$WORK/rt_tables.other"
other_before=$(snapshot "$NS2")
spawn "$NS2" "$CD" "$WORK/c.log" --topology 4.2.2.2 --address 2.1.1.1 --linklocal eth1=169.254.1.2
exit_status "$SPAWNED" 10; rc=$RC
[ "$rc" = 1 ] || fail "R1: second qspnd on the control directory: status $rc (want 1)"
grep -q "another qspnd (pid $QPID) owns $CD" "$WORK/c.log" || fail "R1: no directory message: $(cat "$WORK/c.log")"
[ "$(snapshot "$NS2")" = "$other_before" ] || fail "R1: the loser changed its own namespace"
[ "$(snapshot)" = "$before" ] || fail "R1: the second qspnd changed the first one's kernel state"
for f in cmd.fifo qspnd.pid qspnd.state qspnd.lock; do
  [ -e "$CD/$f" ] || fail "R1: the loser removed the owner's $f"
done
[ "$(cat "$CD/qspnd.pid")" = "$QPID" ] || fail "R1: qspnd.pid changed"
"$CTL" --control-dir "$CD" show | grep -qx 'state running' || fail "R1: the first qspnd is not running"
kill -TERM "$QPID"; wait "$QPID"; rc=$?; QPID=
[ "$rc" = 0 ] || fail "R1: exit status $rc after SIGTERM"
check_clean "R1 after SIGTERM"
teardown_ns "$NS2" "${P}otherpeer"
log "R1: a second qspnd (same namespace, or same control directory) changed nothing"

# ---------------------------------------------------------------- R2 failed start, precise sweep
ip -n "$NS" route add unreachable 10.99.0.0/16 table 230 proto static
ip -n "$NS" route add unreachable 10.98.0.0/16 table 251
ip -n "$NS" rule add table 230 priority 100
printf '\n230 foo # xxx_table_foo_xxx\n' >>"$RT"
cp "$RT" "$WORK/rt_tables.foreign"
# a dead qspnd's state file and the address it names
mkdir -p "$CD"
printf 'addr eth1 10.0.0.26/32\n' >"$CD/qspnd.state"
ip -n "$NS" address add 10.0.0.26/32 dev eth1
before=$(snapshot)
timeout -s KILL 20 "$QSPND" --netns "$NS" -i nosuch0 --control-dir "$CD" --rt-tables "$RT" --log-file "$WORK/qspnd.log" \
  "${ALFA[@]/eth1=*/nosuch0=169.254.69.30}"
rc=$?
[ "$rc" = 1 ] || fail "R2: -i nosuch0: status $rc (want 1)"
after=$(snapshot)
[ "$before" = "$after" ] || { fail "R2: a failed start changed the kernel"; diff <(echo "$before") <(echo "$after"); }
[ -f "$CD/qspnd.state" ] || fail "R2: a failed start removed the dead qspnd's state file"
# a real start after the "SIGKILL": the state file's record is removed, nothing foreign
ip -n "$NS" route add unreachable 10.0.0.0/29 table 251 proto 15     # a dead qspnd's route
start_qspnd "${ALFA[@]}" || exit 1
grep -q 'unreachable 10.99.0.0/16 proto static' <<<"$(ip -n "$NS" route show table 230)" ||
  fail "R2: the sweep removed another program's route (table 230)"
ip -n "$NS" route show table 251 | grep -q '^unreachable 10.98.0.0/16' ||
  fail "R2: the sweep removed another program's route in table 251"
ip -N -n "$NS" rule | grep -q 'lookup 230' || fail "R2: the sweep removed another program's rule"
grep -q '^230 foo # xxx_table_foo_xxx$' "$RT" || fail "R2: the sweep removed another program's rt_tables line"
[ "$(grep -c 'xxx_table_ntk_xxx' "$RT")" = 1 ] || fail "R2: ntk line not unique"
[ "$(ip -n "$NS" -o address show dev eth1 | grep -c 'inet 10.0.0.26/32')" = 1 ] || fail "R2: 10.0.0.26"
grep -q 'removing its leftovers' "$WORK/qspnd.log" || fail "R2: no sweep logged"
kill -TERM "$QPID"; wait "$QPID"; rc=$?; QPID=
[ "$rc" = 0 ] || fail "R2: exit status $rc after SIGTERM"
ip -n "$NS" route del unreachable 10.99.0.0/16 table 230
ip -n "$NS" rule del table 230 priority 100
cmp -s "$RT" "$WORK/rt_tables.foreign" || fail "R2: rt_tables not restored to the foreign lines"
cp "$WORK/rt_tables.orig" "$RT"
check_clean "R2 after SIGTERM"
log "R2: failed start touched nothing; the sweep removed only the dead qspnd's leftovers"

# ---------------------------------------------------------------- R2b sweep of every record kind
mkdir -p "$CD"
ip netns add "${P}victim"
ip netns add "${P}bystander"
ip -n "$NS" link add qtv0 type veth peer name qtv1
ip -n "$NS" rule add table 240
ip -n "$NS" rule add table 241
printf '\n240 qtfoo # xxx_table_qtfoo_xxx\n\n241 qtbar # xxx_table_qtbar_xxx\n' >>"$RT"
printf '# a dead qspnd\nnetns %s\nlink - qtv0\nrt_tables 240 qtfoo\nrule 240 0\nnetns %s\nbogus record\n' \
  "${P}victim" "$NS" >"$CD/qspnd.state"
start_qspnd "${ALFA[@]}" || exit 1
[ -e "/run/netns/${P}victim" ] && fail "R2b: recorded namespace not deleted"
[ -e "/run/netns/${P}bystander" ] || fail "R2b: a namespace not recorded was deleted"
[ -e "/run/netns/$NS" ] || fail "R2b: the own namespace was deleted"
ip -n "$NS" link show qtv0 >/dev/null 2>&1 && fail "R2b: recorded link not deleted"
ip -N -n "$NS" rule | grep -q 'lookup 240' && fail "R2b: recorded rule not deleted"
ip -N -n "$NS" rule | grep -q 'lookup 241' || fail "R2b: a rule not recorded was deleted"
grep -q 'qtfoo' "$RT" && fail "R2b: recorded rt_tables line not deleted"
grep -q '^241 qtbar # xxx_table_qtbar_xxx$' "$RT" || fail "R2b: an rt_tables line not recorded was deleted"
grep -q 'state file line 7 skipped: unknown record kind' "$WORK/qspnd.log" || fail "R2b: bad record not reported"
"$CTL" --control-dir "$CD" quit >/dev/null || fail "R2b: quit"
wait "$QPID"; QPID=
ip -n "$NS" rule del table 241
ip netns del "${P}bystander"
cp "$WORK/rt_tables.orig" "$RT"
check_clean "R2b after quit"
log "R2b: netns, link, rule, rt_tables records swept; nothing else"

# ---------------------------------------------------------------- R3 ten at once
GO=$WORK/go
mkfifo "$GO"
addrs=(3.0.1.0 3.0.0.0 2.1.1.1 2.0.1.0 1.1.0.1 1.0.0.0 0.1.1.0 0.0.0.1 3.1.1.1 2.1.0.0)
pids=()
for i in $(seq 0 9); do
  dir=$WORK/race$((i % 8))              # 8 and 9 share a directory with 0 and 1
  (: <"$GO"; exec "$QSPND" --netns "$NS" -i eth1 --control-dir "$dir" --rt-tables "$RT" \
     --log-file "$WORK/race$i.log" --topology 4.2.2.2 --address "${addrs[$i]}" -k) &
  pids+=($!)
  EXTRA_PIDS+=($!)
done
sleep 0.5
exec {go}>"$GO"                               # releases all ten at the same instant
sleep 1
exec {go}>&-
winner=
for i in $(seq 0 9); do
  exit_status "${pids[$i]}" 20; rc=$RC
  if [ "$rc" = running ]; then
    [ -z "$winner" ] || fail "R3: two qspnd run (#$winner and #$i)"
    winner=$i
  elif [ "$rc" != 1 ]; then
    fail "R3: candidate #$i exit status $rc (want 1 or running)"
  fi
done
if [ -z "$winner" ]; then
  fail "R3: no qspnd runs"
else
  wdir=$WORK/race$((winner % 8))
  wait_ready "${pids[$winner]}" "$wdir" || fail "R3: the winner does not answer"
  show=$("$CTL" --control-dir "$wdir" show)
  grep -q "address ${addrs[$winner]} " <<<"$show" || fail "R3: winner's show: $show"
  want=$(sed -nE 's|^  address (10\.[0-9.]+/32) dev eth1 .*|\1|p' <<<"$show" | sort)
  got=$(ip -n "$NS" -o -4 address show dev eth1 | grep -oE '10\.[0-9.]+/32' | sort)
  [ "$want" = "$got" ] || fail "R3: addresses on eth1 are not the winner's: got $got want $want"
  routes=$(sed -nE 's/^  table ntk id 251 routes ([0-9]+) .*/\1/p' <<<"$show")
  [ "$(ip -n "$NS" route show table 251 | wc -l)" = "$routes" ] || fail "R3: routes of table ntk"
  [ "$(grep -c 'xxx_table_ntk_xxx' "$RT")" = 1 ] || fail "R3: rt_tables lines"
  [ "$(ip -N -n "$NS" rule | grep -c 'lookup 251')" = 1 ] || fail "R3: rules to ntk"
  global=$(sed -nE 's|^  address (10\.[0-9.]+)/32 dev eth1 kind global.*|\1|p' <<<"$show")
  ip netns exec "$NS" nft list table ip qspnd | grep -q "snat to $global\$" || fail "R3: SNAT is not the winner's"
  for i in $(seq 0 9); do
    [ "$i" = "$winner" ] && continue
    [ $((i % 8)) = $((winner % 8)) ] && continue
    ls "$WORK/race$((i % 8))"/qspnd.* >/dev/null 2>&1 && fail "R3: loser #$i left files"
  done
  kill -TERM "${pids[$winner]}"
  exit_status "${pids[$winner]}" 20; rc=$RC
  [ "$rc" = 0 ] || fail "R3: winner's exit status $rc after SIGTERM"
  check_clean "R3 after SIGTERM" "$NS" "$wdir"
  log "R3: 10 simultaneous starts: exactly one ran (#$winner, ${addrs[$winner]}), the kernel was its own"
fi

# ---------------------------------------------------------------- R4 signals
start_qspnd "${ALFA[@]}" || exit 1
mv "$WORK/qspnd.log" "$WORK/qspnd.log.1"
kill -HUP "$QPID"
for _ in $(seq 100); do [ -s "$WORK/qspnd.log" ] && break; sleep 0.05; done
grep -q 'SIGHUP: log file reopened' "$WORK/qspnd.log" 2>/dev/null || fail "R4: SIGHUP did not reopen the log"
kill -USR1 "$QPID"
kill -USR2 "$QPID"
for _ in $(seq 100); do grep -q 'SIGUSR2: control' "$WORK/qspnd.log" && break; sleep 0.05; done
grep -q 'SIGUSR1: show: state running' "$WORK/qspnd.log" || fail "R4: SIGUSR1 did not log show"
grep -q 'SIGUSR2: control: requests [0-9]' "$WORK/qspnd.log" || fail "R4: SIGUSR2 did not log the counters"
kill -0 "$QPID" 2>/dev/null || fail "R4: qspnd died of HUP/USR1/USR2"
"$CTL" --control-dir "$CD" show | grep -qx 'state running' || fail "R4: not running after the signals"
kill -TERM "$QPID"; wait "$QPID"; rc=$?; QPID=
[ "$rc" = 0 ] || fail "R4: exit status $rc after SIGTERM"
check_clean "R4 after SIGHUP, SIGUSR1, SIGUSR2, SIGTERM"

# ---------------------------------------------------------------- R5 SIGTERM during a long start-up
spawn "$NS" "$CD" "$WORK/big.log" --topology 131072 --address 0 --max-destinations 300000
big=$SPAWNED
for _ in $(seq 400); do
  [ -n "$(ip -n "$NS" route show table 251 2>/dev/null | head -1)" ] && break
  kill -0 "$big" 2>/dev/null || break
  sleep 0.05
done
t0=$(date +%s%N)
kill -TERM "$big"
exit_status "$big" 60; rc=$RC
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" = 0 ] || fail "R5: status $rc after SIGTERM during start-up"
grep -q 'start-up interrupted by a signal' "$WORK/big.log" || fail "R5: start-up was not interrupted: $(tail -3 "$WORK/big.log")"
[ -p "$CD/cmd.fifo" ] && fail "R5: cmd.fifo exists"
check_clean "R5 after SIGTERM during start-up"
log "R5: SIGTERM during start-up: exit 0 after ${ms} ms, rolled back"

# ---------------------------------------------------------------- R6 size limit
before=$(snapshot)
t0=$(date +%s%N)
# (bounded: a qspnd without the limit would run for minutes, ignoring SIGTERM)
timeout -s KILL 20 "$QSPND" --netns "$NS" -i eth1 --control-dir "$WORK/ctl-huge" \
  --topology 4194304 --address 0 2>"$WORK/huge.err"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" = 2 ] || fail "R6: --topology 4194304: status $rc (want 2)"
[ "$(wc -l <"$WORK/huge.err")" = 1 ] && grep -q 'more than --max-destinations 65536' "$WORK/huge.err" ||
  fail "R6: message: $(cat "$WORK/huge.err")"
[ "$ms" -lt 30000 ] || fail "R6: took $ms ms (the old qspnd ran for minutes)"
[ -e "$WORK/ctl-huge" ] && fail "R6: control directory created"
[ "$(snapshot)" = "$before" ] || fail "R6: the kernel changed"
log "R6: 4194304 destinations refused in $ms ms, nothing touched"

# ---------------------------------------------------------------- R7 protocol
start_qspnd "${ALFA[@]}" || exit 1
kill -STOP "$QPID"
"$CTL" --control-dir "$CD" --timeout 2 show_handlednics >"$WORK/r7a.out" 2>&1
rc=$?
[ "$rc" = 3 ] || fail "R7: stopped daemon: qspnctl status $rc (want 3)"
"$CTL" --control-dir "$CD" --timeout 10 show >"$WORK/r7b.out" 2>&1 &
ctlb=$!
sleep 0.5
kill -CONT "$QPID"
wait "$ctlb"; rc=$?
[ "$rc" = 0 ] || fail "R7: second client status $rc"
head -1 "$WORK/r7b.out" | grep -q '^system netns' || fail "R7: second client got: $(head -2 "$WORK/r7b.out")"
grep -q 'handlednics' "$WORK/r7b.out" && fail "R7: second client got the first one's reply"
grep -q 'the client is gone; not executed' "$WORK/qspnd.log" || fail "R7: the timed-out command ran"
printf qu >"$CD/cmd.fifo"
"$CTL" --control-dir "$CD" it >/dev/null 2>"$WORK/r7c.err"
rc=$?
[ "$rc" = 1 ] && grep -q "unknown command 'it'" "$WORK/r7c.err" || fail "R7: 'qu' + 'it': status $rc, $(cat "$WORK/r7c.err")"
sleep 0.2
kill -0 "$QPID" 2>/dev/null || fail "R7: the daemon quit on a glued 'qu'+'it'"
"$CTL" --control-dir "$CD" show | grep -qx 'state running' || fail "R7: not running after 'qu'+'it'"
"$CTL" --control-dir "$CD" quit >/dev/null || fail "R7: quit"
wait "$QPID"; rc=$?; QPID=
[ "$rc" = 0 ] || fail "R7: exit status $rc"
check_clean "R7 after quit"
log "R7: timed-out command not run, replies not crossed, partial line not glued"

# ---------------------------------------------------------------- R8 control flood, stuck and gone clients
start_qspnd "${ALFA[@]}" || exit 1
coproc STALL { python3 "$(dirname "$0")/control_stall.py" "$CD" 40 show --json; }
EXTRA_PIDS+=("$STALL_PID")
read -r -t 10 line <&"${STALL[0]}" || fail "R8: the stuck clients did not start"
log "R8: $line"
# while 40 replies are stuck, another client is answered at once, 5 times in a row
for i in 1 2 3 4 5; do
  t0=$(date +%s%N)
  "$CTL" --control-dir "$CD" --timeout 2 show_handlednics >/dev/null || fail "R8: show_handlednics $i with stuck clients"
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  [ "$ms" -lt 1000 ] || fail "R8: show_handlednics took $ms ms with stuck clients"
done
# 200 clients at once, each must get its own reply
pids=()
for i in $(seq 1 200); do
  "$CTL" --control-dir "$CD" --timeout 20 show_handlednics >"$WORK/r8-$i.out" 2>&1 &
  pids+=("$!")
done
bad=0
for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
[ "$bad" = 0 ] || fail "R8: $bad of 200 concurrent clients failed"
wrong=$(grep -L 'handlednics\|eth1' "$WORK"/r8-*.out | wc -l)
[ "$wrong" = 0 ] || fail "R8: $wrong of 200 replies are not show_handlednics'"
rm -f "$WORK"/r8-*.out
# past the 5 s bound the stuck replies are dropped and counted; the gone clients' commands never ran
sleep 5.5
exec {STALL[1]}>&-
wait "$STALL_PID" 2>/dev/null
kill -USR2 "$QPID"
sleep 0.3
counters=$(grep 'SIGUSR2: control:' "$WORK/qspnd.log" | tail -1)
log "R8: $counters"
dropped=$(sed -E 's/.* replies_dropped ([0-9]+).*/\1/' <<<"$counters")
gone=$(sed -E 's/.* client_gone ([0-9]+).*/\1/' <<<"$counters")
[ "${dropped:-0}" -ge 40 ] || fail "R8: replies_dropped $dropped (want >= 40)"
[ "${gone:-0}" -ge 40 ] || fail "R8: client_gone $gone (want >= 40)"
ls "$CD" | grep -q '^rsp-' && fail "R8: reply FIFOs left in the control directory: $(ls "$CD")"
"$CTL" --control-dir "$CD" show | grep -qx 'state running' || fail "R8: not running after the flood"
"$CTL" --control-dir "$CD" quit >/dev/null || fail "R8: quit"
wait "$QPID"; rc=$?; QPID=
[ "$rc" = 0 ] || fail "R8: exit status $rc"
check_clean "R8 after quit"
log "R8: stuck and gone clients did not stall the daemon; 200 concurrent clients answered"

# ---------------------------------------------------------------- R9 configuration file
start_qspnd "${ALFA[@]}" || exit 1
by_cli=$(snapshot)
"$CTL" --control-dir "$CD" quit >/dev/null || fail "R9: quit (command line)"
wait "$QPID"; QPID=
check_clean "R9 after the command-line start"
conf=$WORK/qspnd.conf
write_conf() {   # EXTRA_LINE
  printf '# R9\n[qspnd]\ntopology = 4.2.2.2\naddress = 3.0.1.0\ninterface = eth1\nserve-anonymous = true\n%s\n%s\n' \
    "linklocal = eth1=169.254.69.30" "$1" >"$conf"
  printf 'netns = %s\ncontrol-dir = %s\nrt-tables = %s\nlog-file = %s\nverbose = true\n' \
    "$NS" "$CD" "$RT" "$WORK/qspnd-conf.log" >>"$conf"
  chmod 644 "$conf"
}
write_conf "hello-interval = 5"
before=$(snapshot)
"$QSPND" --config "$conf" 2>"$WORK/conf.err"; rc=$?
[ "$rc" = 2 ] || fail "R9: bad configuration file: status $rc (want 2)"
[ "$(wc -l <"$WORK/conf.err")" = 1 ] && grep -qF "bad $conf [qspnd] hello-interval 5" "$WORK/conf.err" ||
  fail "R9: message: $(cat "$WORK/conf.err")"
[ -e "$WORK/qspnd-conf.log" ] && fail "R9: log file created by a refused start"
[ "$(snapshot)" = "$before" ] || fail "R9: the kernel changed"
write_conf "hello-interval = 250"
"$QSPND" --config "$conf" &
QPID=$!
if wait_ready "$QPID" "$CD"; then
  [ "$(snapshot)" = "$by_cli" ] || { fail "R9: kernel state from the configuration file differs from the command line's";
    diff <(echo "$by_cli") <(snapshot); }
  "$CTL" --control-dir "$CD" quit >/dev/null || fail "R9: quit (configuration file)"
  wait "$QPID"; rc=$?; QPID=
  [ "$rc" = 0 ] || fail "R9: exit status $rc"
  check_clean "R9 after the configuration file's start"
  log "R9: configuration file: bad value refused with nothing touched; same kernel state as the command line"
else
  fail "R9: qspnd --config did not start: $(tail -5 "$WORK/qspnd-conf.log" 2>/dev/null)"
fi

if [ "$FAILS" -gt 0 ]; then
  echo "$FAILS failure(s); logs in $WORK"
  exit 1
fi
log "all checks passed"
exit 0
