#!/bin/sh
# kstate.sh - what topologies/hostile.steps reads of a system (run inside its
# namespace by the harness's admin lines; $QSPNCTL is the client).
#   kstate.sh dump             the kernel state qspnd could change: routes of every
#                              table, rules, addresses, nft ruleset, rt_tables lines
#   kstate.sh mem PID          "rss_kb N hwm_kb N" of a process
#   kstate.sh cpu PID          CPU time of a process in clock ticks (user + system)
#   kstate.sh counters CTLDIR  qspnd's counters (show --json), one "name value" a line
#   kstate.sh counter CTLDIR NAME   one of them
set -eu
case "${1:-}" in
dump)
  echo '# routes'; ip route show table all | sort
  echo '# rules'; ip rule show
  echo '# addresses'; ip -o address show | sed 's/ valid_lft.*//' | sort
  echo '# nft'; nft list ruleset
  echo '# rt_tables'; grep -v '^#' /etc/iproute2/rt_tables 2>/dev/null | sort || true
  ;;
mem)
  awk '/^VmRSS:/{r=$2} /^VmHWM:/{h=$2} END{printf "rss_kb %d hwm_kb %d\n", r, h}' "/proc/$2/status"
  ;;
cpu)
  # fields 14 and 15 of /proc/PID/stat, after the command name in parentheses
  sed 's/.*) //' "/proc/$2/stat" | awk '{print $12 + $13}'
  ;;
counters)
  "$QSPNCTL" --control-dir "$2" --timeout 5 show --json |
    python3 -c 'import json,sys; [print(k, v) for k, v in json.load(sys.stdin)["counters"].items()]'
  ;;
counter)
  "$0" counters "$2" | awk -v n="$3" '$1 == n {print $2; f=1} END{exit !f}'
  ;;
*)
  echo "usage: kstate.sh dump | mem PID | cpu PID | counters CTLDIR | counter CTLDIR NAME" >&2
  exit 2
  ;;
esac
