#!/bin/bash
# netns_capabilities.sh QSPND QSPNCTL SHARED_DIR
#
# Least privilege (issue 9 part 5; docs/RELIABILITY.md): qspnd runs as root
# with every capability dropped from its bounding set except the ones
# contrib/systemd/qspnd@.service.in grants, CAP_NET_ADMIN, CAP_SYS_ADMIN and
# CAP_NET_RAW (capsh --drop; for root the bounding set is what exec grants):
#   C1 with exactly those three it starts in its namespace (setns), programs
#      alfa's documented start-up state (S01a), answers, quits, leaves nothing;
#      its effective set is those three and nothing else;
#   C2 without CAP_NET_ADMIN, or without CAP_SYS_ADMIN, it refuses to start
#      (exit status not 0, the reason in its log) and changes nothing;
#   C3 CAP_NET_RAW: whether this kernel needs it (SO_BINDTODEVICE needs it only
#      before Linux 5.7) is reported, not asserted: the unit keeps it so that
#      older kernels work.
set -u
QSPND=${1:?qspnd}
CTL=${2:?qspnctl}
SHARED=${3:?shared dir}
# shellcheck source=netns_lib.sh
. "$(dirname "$0")/netns_lib.sh"
command -v capsh >/dev/null || { echo "SKIP: capsh missing (libcap2-bin)"; exit 77; }

ALFA=(--topology 4.2.2.2 --address 3.0.1.0 -k --linklocal eth1=169.254.69.30)
KEEP="cap_net_admin cap_sys_admin cap_net_raw"

# every capability this kernel knows, minus the ones given: the --drop list
drop_all_but() {   # CAP...
  local all c out=
  all=$(capsh --print | sed -nE 's/^Bounding set =//p' | tr ',' ' ')
  for c in $all; do
    case " $* " in *" $c "*) ;; *) out+=${out:+,}$c ;; esac
  done
  echo "$out"
}

run_capped() {   # "CAPS" qspnd args...: qspnd in the background with only CAPS, pid in QPID
  local caps=$1
  shift
  capsh --drop="$(drop_all_but $caps)" -- -c 'exec "$@"' qspnd \
    "$QSPND" --netns "$NS" -i eth1 --control-dir "$CD" --rt-tables "$RT" \
    --log-file "$WORK/qspnd.log" -v "$@" &
  QPID=$!
}

setup_ns 00:16:3E:FD:E2:AA

# ---------------------------------------------------------------- C1 the three
run_capped "$KEEP" "${ALFA[@]}"
wait_ready "$QPID" "$CD" || { fail "C1: qspnd did not start with $KEEP"; tail -20 "$WORK/qspnd.log"; exit 1; }
eff=$(sed -nE 's/^CapEff:[[:space:]]*//p' "/proc/$QPID/status")
want=$(printf '%016x' $(( (1 << 12) | (1 << 13) | (1 << 21) )))   # net_admin 12, net_raw 13, sys_admin 21
[ "$eff" = "$want" ] || fail "C1: effective capabilities $eff, want $want"
compare_expected "$EXP/S01a-startup-alfa/alfa.txt" C1-alfa
"$CTL" --control-dir "$CD" show | grep -qx 'state running' || fail "C1: show"
"$CTL" --control-dir "$CD" quit >/dev/null || fail "C1: quit"
wait "$QPID"; rc=$?; QPID=
[ "$rc" = 0 ] || fail "C1: exit status $rc"
check_clean "C1 after quit"
log "C1: with only $KEEP (CapEff $eff): S01a state, show, quit, nothing left"

# ---------------------------------------------------------------- C2 one fewer
for missing in cap_net_admin cap_sys_admin; do
  : >"$WORK/qspnd.log"
  run_capped "${KEEP/$missing/}" "${ALFA[@]}"
  for _ in $(seq 200); do kill -0 "$QPID" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$QPID" 2>/dev/null; then
    fail "C2: qspnd runs without $missing"
    stop_qspnd
  else
    wait "$QPID"; rc=$?; QPID=
    [ "$rc" != 0 ] || fail "C2: exit status 0 without $missing"
    grep -qiE 'not permitted|permission|denied' "$WORK/qspnd.log" ||
      fail "C2: no reason logged without $missing: $(tail -3 "$WORK/qspnd.log")"
    log "C2: without $missing: exit $rc, $(grep -iE 'not permitted|permission|denied' "$WORK/qspnd.log" | head -1 | cut -c1-160)"
  fi
  check_clean "C2 without $missing"
done

# ---------------------------------------------------------------- C3 CAP_NET_RAW
: >"$WORK/qspnd.log"
run_capped "cap_net_admin cap_sys_admin" "${ALFA[@]}"
if wait_ready "$QPID" "$CD"; then
  log "C3: this kernel ($(uname -r)) does not need CAP_NET_RAW (SO_BINDTODEVICE is unprivileged since 5.7)"
  "$CTL" --control-dir "$CD" quit >/dev/null
  wait "$QPID"; QPID=
else
  wait "$QPID" 2>/dev/null; QPID=
  log "C3: this kernel needs CAP_NET_RAW: $(tail -1 "$WORK/qspnd.log" | cut -c1-160)"
fi
check_clean "C3"

if [ "$FAILS" -gt 0 ]; then
  echo "$FAILS failure(s); logs in $WORK"
  exit 1
fi
log "all checks passed"
exit 0
