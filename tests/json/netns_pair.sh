# netns_pair.sh - a live qspnd pair for the JSON and graph tests (sourced after
# tests/daemon/netns_lib.sh).  p (2.1.1.0) and q (1.0.1.0), topology 4.2.2.2,
# one veth; q enters p's level-1 g-node at position 1 (topologies/chain5.steps,
# C02): q's main identity becomes #1 at 2.1.1.1, the arc costs 10000us and both
# sides have a qspn-arc.  Sets CD (p) and CD2 (q); returns 1 on failure.
# shellcheck shell=bash

MAC_P=02:00:00:00:05:01
MAC_Q=02:00:00:00:05:02
CD2=$WORK/ctl2
QPID2=

await() {   # SECONDS DIR CMD... -- TEXT: until the reply of CMD contains TEXT
  local secs=$1 dir=$2 i want
  shift 2
  local args=()
  while [ "$1" != -- ]; do args+=("$1"); shift; done
  want=$2
  for i in $(seq $((secs * 10))); do
    "$CTL" --control-dir "$dir" --timeout 2 "${args[@]}" 2>/dev/null | grep -qF -- "$want" && return 0
    sleep 0.1
  done
  fail "no '$want' in '${args[*]}' after ${secs}s"; return 1
}

start_pair() {
  setup_ns "$MAC_P" || return 1
  ip -n "$PEER" link set eth1 address "$MAC_Q"
  ip -n "$PEER" link set lo up
  mkdir -p "/etc/netns/$PEER/iproute2"
  printf '255\tlocal\n254\tmain\n253\tdefault\n0\tunspec\n' >"/etc/netns/$PEER/iproute2/rt_tables"
  start_qspnd --topology 4.2.2.2 --address 2.1.1.0 --serve-anonymous --linklocal eth1=169.254.5.1 || return 1
  "$QSPND" --netns "$PEER" -i eth1 --control-dir "$CD2" --rt-tables "/etc/netns/$PEER/iproute2/rt_tables" \
    --log-file "$WORK/qspnd2.log" -v --topology 4.2.2.2 --address 1.0.1.0 --serve-anonymous \
    --linklocal eth1=169.254.5.2 &
  QPID2=$!
  EXTRA_PIDS+=("$QPID2")
  wait_ready "$QPID2" "$CD2" || { fail "q did not start"; return 1; }
  await 20 "$CD" show_neighborhood_arcs -- "$MAC_Q" || return 1
  await 20 "$CD2" show_neighborhood_arcs -- "$MAC_P" || return 1
  "$CTL" --control-dir "$CD" add_real_arc "$MAC_P" "$MAC_Q" 10000 || { fail "p add_real_arc"; return 1; }
  "$CTL" --control-dir "$CD2" add_real_arc "$MAC_Q" "$MAC_P" 10000 || { fail "q add_real_arc"; return 1; }
  "$CTL" --control-dir "$CD2" prepare_enter_net_phase_1 0 0 1 2.1.1 0.0.0 2 1 1 2 2 1 '[0]' 101 null ||
    { fail "q prepare_enter_net_phase_1"; return 1; }
  [ "$("$CTL" --control-dir "$CD2" --timeout 20 enter_net_phase_1 0 101)" = 1 ] ||
    { fail "q enter_net_phase_1"; return 1; }
  "$CTL" --control-dir "$CD" add_qspn_arc 0 eth1 "$MAC_Q" || { fail "p add_qspn_arc"; return 1; }
  await 20 "$CD" show_qspn_data 0 -- "Destination (0, 1)" || return 1
  await 20 "$CD2" show_qspn_data 1 -- "Destination (0, 0)" || return 1
  log "pair p (2.1.1.0) - q (2.1.1.1) running, arc accepted, qspn-arcs on both sides"
}
