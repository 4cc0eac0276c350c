# netns_chain.sh - a live chain of three qspnd for the JSON and graph tests
# (sourced after tests/daemon/netns_lib.sh).  Topology 4.2.2.2, veths
# p.eth1 - q.eth1 and q.eth2 - r.eth1, every arc accepted at 10000us; as in
# topologies/chain5.steps: p is 2.1.1.0 (the network), q enters p's level-1
# g-node at position 1 (2.1.1.1, its main identity becomes #1), r enters the
# level-2 g-node 2.1 as a new g-node 2.1.0 (2.1.0.0, main identity #1).
# Sets CD (p), CD2 (q), CD3 (r); start_chain returns 1 on failure.
# shellcheck shell=bash

MAC_P=02:00:00:00:05:01
MAC_Q=02:00:00:00:05:02
MAC_Q2=02:00:00:00:05:12
MAC_R=02:00:00:00:05:03
R_NS=${P}r
CD2=$WORK/ctl2
CD3=$WORK/ctl3

await() {   # SECONDS DIR CMD... -- TEXT: until the reply of CMD contains TEXT
  local secs=$1 dir=$2 want
  shift 2
  local args=()
  while [ "$1" != -- ]; do args+=("$1"); shift; done
  want=$2
  for _ in $(seq $((secs * 10))); do
    "$CTL" --control-dir "$dir" --timeout 2 "${args[@]}" 2>/dev/null | grep -qF -- "$want" && return 0
    sleep 0.1
  done
  fail "no '$want' in '${args[*]}' after ${secs}s"; return 1
}

rt_file() {   # NS: a fresh rt_tables for NS
  mkdir -p "/etc/netns/$1/iproute2"
  printf '255\tlocal\n254\tmain\n253\tdefault\n0\tunspec\n' >"/etc/netns/$1/iproute2/rt_tables"
}

start_other() {   # NS DIR LOG qspnd-args...: a qspnd in NS, killed at cleanup
  local ns=$1 dir=$2 logf=$3
  shift 3
  "$QSPND" --netns "$ns" --control-dir "$dir" --rt-tables "/etc/netns/$ns/iproute2/rt_tables" \
    --log-file "$logf" -v "$@" &
  EXTRA_PIDS+=("$!")
  wait_ready "$!" "$dir" || { fail "qspnd in $ns did not start"; return 1; }
}

start_chain() {
  setup_ns "$MAC_P" || return 1
  ip -n "$PEER" link set eth1 address "$MAC_Q"
  ip -n "$PEER" link set lo up
  ip netns add "$R_NS" || return 1
  ip netns exec "$R_NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$R_NS" link set lo up
  ip link add eth2 netns "$PEER" type veth peer name eth1 netns "$R_NS" || return 1
  ip -n "$PEER" link set eth2 address "$MAC_Q2"
  ip -n "$R_NS" link set eth1 address "$MAC_R"
  rt_file "$PEER"
  rt_file "$R_NS"
  start_qspnd --topology 4.2.2.2 --address 2.1.1.0 --serve-anonymous --linklocal eth1=169.254.5.1 || return 1
  start_other "$PEER" "$CD2" "$WORK/qspnd-q.log" -i eth1 -i eth2 --topology 4.2.2.2 --address 1.0.1.0 \
    --serve-anonymous --linklocal eth1=169.254.5.2 --linklocal eth2=169.254.5.12 || return 1
  start_other "$R_NS" "$CD3" "$WORK/qspnd-r.log" -i eth1 --topology 4.2.2.2 --address 3.0.1.0 \
    --serve-anonymous --linklocal eth1=169.254.5.3 || return 1
  # q enters p's g-node 2.1.1 (chain5 C02)
  await 20 "$CD" show_neighborhood_arcs -- "$MAC_Q" && await 20 "$CD2" show_neighborhood_arcs -- "$MAC_P" ||
    return 1
  "$CTL" --control-dir "$CD" add_real_arc "$MAC_P" "$MAC_Q" 10000 || { fail "p add_real_arc"; return 1; }
  "$CTL" --control-dir "$CD2" add_real_arc "$MAC_Q" "$MAC_P" 10000 || { fail "q add_real_arc"; return 1; }
  "$CTL" --control-dir "$CD2" prepare_enter_net_phase_1 0 0 1 2.1.1 0.0.0 2 1 1 2 2 1 '[0]' 101 null ||
    { fail "q prepare_enter_net_phase_1"; return 1; }
  [ "$("$CTL" --control-dir "$CD2" --timeout 20 enter_net_phase_1 0 101)" = 1 ] ||
    { fail "q enter_net_phase_1"; return 1; }
  "$CTL" --control-dir "$CD" add_qspn_arc 0 eth1 "$MAC_Q" || { fail "p add_qspn_arc"; return 1; }
  await 20 "$CD" show_qspn_data 0 -- "Destination (0, 1)" || return 1
  # r enters the g-node 2.1 as 2.1.0 through q (chain5 C03)
  await 20 "$CD2" show_neighborhood_arcs -- "$MAC_R" && await 20 "$CD3" show_neighborhood_arcs -- "$MAC_Q2" ||
    return 1
  "$CTL" --control-dir "$CD2" add_real_arc "$MAC_Q2" "$MAC_R" 10000 || { fail "q add_real_arc to r"; return 1; }
  "$CTL" --control-dir "$CD3" add_real_arc "$MAC_R" "$MAC_Q2" 10000 || { fail "r add_real_arc"; return 1; }
  "$CTL" --control-dir "$CD3" prepare_enter_net_phase_1 0 0 2 2.1 0.0 2 1 0 2 2 1 '[0]' 102 null ||
    { fail "r prepare_enter_net_phase_1"; return 1; }
  [ "$("$CTL" --control-dir "$CD3" --timeout 20 enter_net_phase_1 0 102)" = 1 ] ||
    { fail "r enter_net_phase_1"; return 1; }
  "$CTL" --control-dir "$CD2" add_qspn_arc 1 eth2 "$MAC_R" || { fail "q add_qspn_arc to r"; return 1; }
  await 20 "$CD" show_qspn_data 0 -- "Destination (1, 0)" || return 1
  await 20 "$CD3" show_qspn_data 1 -- "Destination (1, 1)" || return 1
  log "chain p 2.1.1.0 - q 2.1.1.1 - r 2.1.0.0 running, arcs accepted, qspn-arcs given"
}
