# netns_lib.sh - shared by the root-only netns tests of qspnd (sourced).
# Needs QSPND, CTL, SHARED set.  Everything created has the prefix qt-<pid>-
# and is removed by cleanup (trap EXIT), also when a test fails.
# shellcheck shell=bash

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in ip nft flock timeout mkfifo; do
  command -v "$t" >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done
NORM=$SHARED/scenarios/normalise.sh
EXP=$SHARED/scenarios/expected
[ -f "$NORM" ] || { echo "SKIP: $NORM missing"; exit 77; }

P=qt-$$-
NS=${P}sys
PEER=${P}peer
WORK=$(mktemp -d "/tmp/${P}XXXXXX")
CD=$WORK/ctl
RT=/etc/netns/$NS/iproute2/rt_tables
QPID=
EXTRA_PIDS=()
FAILS=0

log() { echo "[netns-test] $*"; }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }

kill_pid() {   # PID: SIGTERM then SIGKILL one of our own children
  local pid=$1
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -CONT "$pid" 2>/dev/null
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
}

stop_qspnd() { kill_pid "$QPID"; QPID=; }

cleanup() {
  local p n
  stop_qspnd
  for p in "${EXTRA_PIDS[@]}"; do kill_pid "$p"; done
  for n in /run/netns/"${P}"*; do
    [ -e "$n" ] && ip netns del "$(basename "$n")" 2>/dev/null
  done
  rm -rf /etc/netns/"${P}"*
  if [ "$FAILS" -gt 0 ]; then
    log "artifacts kept in $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

setup_ns() {   # MAC [NS] [PEER]: a system namespace with eth1 (veth to PEER)
  local mac=$1 ns=${2:-$NS} peer=${3:-$PEER} rt
  rt=/etc/netns/$ns/iproute2/rt_tables
  ip netns add "$ns" || exit 1
  ip netns add "$peer" || exit 1
  mkdir -p "/etc/netns/$ns/iproute2"
  printf '255\tlocal\n254\tmain\n253\tdefault\n0\tunspec\n' >"$rt"
  cp "$rt" "$WORK/rt_tables.orig"
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip netns exec "$peer" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link set lo up
  ip link add eth1 netns "$ns" type veth peer name eth1 netns "$peer" || exit 1
  ip -n "$ns" link set eth1 address "$mac"
  ip -n "$peer" link set eth1 up
}

teardown_ns() {   # [NS] [PEER]
  ip netns del "${1:-$NS}" 2>/dev/null
  ip netns del "${2:-$PEER}" 2>/dev/null
  rm -rf "/etc/netns/${1:-$NS}"
}

# The dump of sequence-netns.sh, with table ip qspnd translated to the
# iptables-save form of expected/ (docs/daemon.md, "nft printed form").
dump() {   # [NS]
  local ns=${1:-$NS} rules
  ip netns exec "$ns" bash -c '
echo "### ip route show table all"; ip route show table all
echo "### ip rule"; ip rule
echo "### ip addr"; ip addr'
  echo "### iptables-save"
  rules=$(ip netns exec "$ns" nft list table ip qspnd 2>/dev/null | sed -nE \
    -e 's/^[[:space:]]*ip daddr ([0-9./]+) dnat (ip )?prefix to ([0-9./]+)$/-A PREROUTING -d \1 -j NETMAP --to \3/p' \
    -e 's/^[[:space:]]*ip saddr ([0-9./]+) ip daddr ([0-9./]+) snat (ip )?prefix to ([0-9./]+)$/-A POSTROUTING -s \1 -d \2 -j NETMAP --to \4/p' \
    -e 's/^[[:space:]]*ip daddr ([0-9./]+) snat to ([0-9.]+)$/-A POSTROUTING -d \1 -j SNAT --to-source \2/p')
  if [ -n "$rules" ]; then
    printf '*nat\n:PREROUTING ACCEPT\n:INPUT ACCEPT\n:OUTPUT ACCEPT\n:POSTROUTING ACCEPT\n%s\nCOMMIT\n' "$rules"
  fi
  echo "### rt_tables (non-comment lines)"
  grep -v -e "^[[:space:]]*#" -e "^[[:space:]]*$" "/etc/netns/$ns/iproute2/rt_tables"
}

wait_ready() {   # PID DIR: until DIR/cmd.fifo exists and show answers
  local i
  for i in $(seq 400); do
    if [ -p "$2/cmd.fifo" ] && "$CTL" --control-dir "$2" --timeout 2 show >/dev/null 2>&1; then
      return 0
    fi
    kill -0 "$1" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

start_qspnd() {   # extra qspnd args...
  "$QSPND" --netns "$NS" -i eth1 --control-dir "$CD" --rt-tables "$RT" \
    --log-file "$WORK/qspnd.log" -v "$@" &
  QPID=$!
  wait_ready "$QPID" "$CD" && return 0
  fail "qspnd did not start ($*)"; tail -20 "$WORK/qspnd.log"
  return 1
}

compare_expected() {   # EXPECTED_FILE LABEL
  dump | sed -E 's/ proto (15|ntk)( |$)/\2/' | bash "$NORM" -s >"$WORK/$2.got"
  bash "$NORM" -s <"$1" >"$WORK/$2.want"
  if diff -u "$WORK/$2.want" "$WORK/$2.got" >"$WORK/$2.diff"; then
    log "$2: kernel state equals $(basename "$(dirname "$1")")/$(basename "$1") (normalise.sh -s)"
  else
    fail "$2: kernel state differs from $1"; cat "$WORK/$2.diff"
  fi
}

# raw_cmd PRINTF_PAYLOAD [DIR]: a request written by hand (docs/control.md,
# "From a shell"): our own reply FIFO, one write of "\n<id> <payload>"; prints
# the reply with the id taken out of its terminator ("%ok", "%error <reason>").
raw_cmd() {
  local dir=${2:-$CD} id r line reply=
  id=sh$$x$RANDOM$RANDOM
  mkfifo -m 600 "$dir/rsp-$id.fifo" || { echo "NO FIFO"; return; }
  exec {r}<>"$dir/rsp-$id.fifo"
  # shellcheck disable=SC2059
  printf "\n$id $1" >"$dir/cmd.fifo"
  while IFS= read -r -t 5 line <&"$r"; do
    case $line in
      "%ok $id") reply+="%ok"$'\n'; break ;;
      "%error $id "*) reply+="%error ${line#"%error $id "}"$'\n'; break ;;
      %%*) reply+="${line#%}"$'\n' ;;
      %*) reply+="BAD TERMINATOR $line"$'\n'; break ;;
      *) reply+="$line"$'\n' ;;
    esac
  done
  exec {r}<&-
  rm -f "$dir/rsp-$id.fifo"
  printf '%s' "$reply"
}

check_clean() {   # LABEL [NS] [DIR]
  local d ns=${2:-$NS} dir=${3:-$CD} f
  d=$(dump "$ns")
  if grep -Eq 'proto (15|ntk)( |$)' <<<"$d"; then fail "$1: routes proto ntk remain"; fi
  if grep -Eq 'lookup (ntk|251)' <<<"$d"; then fail "$1: rule to ntk remains"; fi
  if grep -Eq 'inet (10\.|169\.254\.)' <<<"$d"; then fail "$1: addresses remain"; fi
  if grep -q 'table ntk\|table 251' <<<"$d"; then fail "$1: routes in ntk remain"; fi
  if ip netns exec "$ns" nft list table ip qspnd >/dev/null 2>&1; then fail "$1: nft table ip qspnd remains"; fi
  cmp -s "/etc/netns/$ns/iproute2/rt_tables" "$WORK/rt_tables.orig" || fail "$1: rt_tables not restored byte for byte"
  for f in cmd.fifo qspnd.pid qspnd.state qspnd.lock; do
    [ -e "$dir/$f" ] && fail "$1: $dir/$f remains"
  done
  for f in "$dir"/rsp-*.fifo; do
    [ -e "$f" ] && fail "$1: reply FIFO $f remains"
  done
  log "$1: nothing of qspnd remains"
}
