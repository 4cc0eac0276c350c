#!/usr/bin/env bash
# netns_directives.sh HARNESS QSPND QSPNCTL TOPOLOGIES SHARED -- netns test of the
# harness's general directives and options, asserting the report lines:
#   1. tests/integration/directives.steps (settle, ping ok/fail, cut/arc on filter and
#      flat media, several media and interfaces, ctl -- TEXT, ctl&/wait, await,
#      ping-all, kill/restart, stop/cont) against the current qspnd: all pass;
#   2. failures are reported: a ctl whose output lacks its TEXT, an await past its
#      deadline, a ping expected to fail that succeeds, an `admin ! cmd` whose cmd
#      succeeds (also when another admin line follows);
#   3. documented deviations (replay mode): a deviation is applied before the
#      comparison and counted; one that contradicts the state fails the step; one
#      that matches no documented line is refused before anything is created;
#   4. --dump-dir and --stop-at (testbed left for inspection, then removed by sweep);
#   5. netem between two plain hosts (delay seen by ping, then off), or, on a kernel
#      without sch_netem, its steps reported SKIPPED with the reason and exit 77;
#   6. --json FILE of runs 1, 2 and 5: valid against docs/json-schema/harness-report.json
#      and equal to the text report (steps, statuses, totals), failures with their
#      messages; the text report has no progress line (stdout is not a terminal).
# Exit 77 (skipped) when not root.
set -u
HARNESS=$1 QSPND=$2 QSPNCTL=$3 TOPO=$4 SHARED=$5
HERE=$(cd "$(dirname "$0")" && pwd)
EXPECTED=$SHARED/scenarios/expected
SEQ=$SHARED/scenarios/sequence-netns.sh
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
T=$(mktemp -d /tmp/hn-directives.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
check() {   # DESCRIPTION COMMAND... : the command must succeed
  local what=$1; shift
  if "$@"; then echo "ok   - $what"; else echo "FAIL - $what"; fails=$((fails + 1)); fi
}
has() { grep -qF -- "$2" "$1"; }
SRC=$(cd "$TOPO/.." && pwd)
json_ok() {   # REPORT TEXT_OUT: valid against the schema and equal to the text report
  python3 "$SRC/tests/json/check_harness_report.py" "$SRC/docs/json-schema/harness-report.json" "$1" --text "$2"
}
json_has() {  # REPORT STEP_ID FIELD TEXT: the step's FIELD (failures: any of them) contains TEXT
  python3 - "$@" <<'PY'
import json, sys
doc, sid, field, text = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3], sys.argv[4]
v = [s[field] for s in doc["steps"] if s["id"] == sid]
sys.exit(0 if v and any(text in x for x in (v[0] if isinstance(v[0], list) else [str(v[0])])) else 1)
PY
}
have_jsonschema=0
python3 -c 'import jsonschema' 2>/dev/null && have_jsonschema=1
run() {   # OUT EXPECTED_RC ARGS...
  local out=$1 want=$2 rc=0; shift 2
  "$HARNESS" run --artifacts "$T/art" --max-seconds 240 "$@" >"$out" 2>&1 || rc=$?
  [ "$rc" = "$want" ] || { echo "exit status $rc, wanted $want:"; cat "$out"; return 1; }
}

# 1. every directive on a world with two media, a router and two qspnd
check "directives.steps passes" run "$T/1.out" 0 --world "$HERE/directives.world" \
  --steps "$HERE/directives.steps" --qspnd "$QSPND" --qspnctl "$QSPNCTL" --json "$T/1.json"
check "report: pings line" has "$T/1.out" "pings: 13/13 ok"
check "report: ping-all pinged both ways" has "$T/1.out" "D07 ping-all ..................... ok (settled after"
check "report: T1 after kill/restart" has "$T/1.out" "2 qspnd quit with status 0"
check "report: totals" has "$T/1.out" "12 passed, 0 failed"
cat "$T/1.out"

# 2. failures are failures
cat >"$T/bad.steps" <<'STEPS'
step F01 ctl-text
  start a
  ctl a show -- no such text
  settle
step F02 await-deadline
  deadline 1
  await a show_handlednics -- no such text
  settle
step F03 ping-should-fail
  arc a b
  start b
  settle 1.5
  ping a 169.254.96.141 fail
step F04 undo
  settle 0.3
step F05 negated-admin-not-last
  # `! cmd` must fail the step when cmd succeeds, also when not the last line
  admin p ! true
  admin p true
  settle 0.1
STEPS
check "failing steps fail" run "$T/2.out" 1 --world "$HERE/directives.world" --steps "$T/bad.steps" \
  --qspnd "$QSPND" --qspnctl "$QSPNCTL" --json "$T/2.json"
check "ctl TEXT mismatch reported" has "$T/2.out" 'output does not contain "no such text"'
check "await deadline reported" has "$T/2.out" 'no "no such text" after 1s'
check "unexpected reply reported" has "$T/2.out" "a->169.254.96.141 fail (line 13) replied"
check "pings counted" has "$T/2.out" "pings: 0/1 ok"
check "a negated admin check that succeeds fails" grep -qE 'F05 negated-admin-not-last \.+ FAILED' "$T/2.out"
check "cleanup after failures" has "$T/2.out" "T2 cleanup ....................... ok"
cat "$T/2.out"

# 3. deviations (replay of S01a)
dev_steps() {   # FROM TO
  printf 'step S01a startup-alfa\n  # test: %s\n  deviation alfa "%s" => "%s"\n  check all\n' "$1" "$1" "$2"
}
dev_steps "unreachable 10.0.0.0/29 table ntk" "unreachable 10.0.0.0/29 table ntk proto 15" >"$T/dev-ok.steps"
check "a deviation equivalent under normalisation passes" run "$T/3a.out" 0 --world "$TOPO/greek.world" \
  --steps "$T/dev-ok.steps" --expected "$EXPECTED" --replay-documented "$SEQ"
check "report: (1 deviation)" has "$T/3a.out" "(1 deviation)"
dev_steps "unreachable 10.0.0.0/29 table ntk" "unreachable 10.0.0.0/29 table ntk metric 7" >"$T/dev-bad.steps"
check "a deviation the state contradicts fails" run "$T/3b.out" 1 --world "$TOPO/greek.world" \
  --steps "$T/dev-bad.steps" --expected "$EXPECTED" --replay-documented "$SEQ" --deadline 2
check "report: alfa differs" has "$T/3b.out" "alfa differ"
dev_steps "no such documented line" "x" >"$T/dev-none.steps"
check "an unmatched deviation is refused" run "$T/3c.out" 2 --world "$TOPO/greek.world" \
  --steps "$T/dev-none.steps" --expected "$EXPECTED" --replay-documented "$SEQ"
check "report: matches no line" has "$T/3c.out" "matches no line of $EXPECTED/S01a-startup-alfa/alfa.txt"
check "nothing created on refusal" has "$T/3c.out" "matches no line"
cat "$T/3a.out" "$T/3b.out" "$T/3c.out"

# 4. --dump-dir, --stop-at, sweep
check "--stop-at S02a passes" run "$T/4.out" 0 --world "$TOPO/greek.world" --steps "$TOPO/greek-replay.steps" \
  --expected "$EXPECTED" --replay-documented "$SEQ" --stop-at S02a --dump-dir "$T/dump"
prefix=$(sed -n 's/.*prefix \(qh[0-9]*-\).*/\1/p' "$T/4.out" | head -1)
check "dump of an identity namespace" test -s "$T/dump/S02a-beta-enter-gamma-arc/beta-entr02.norm.txt"
check "raw dump of a system" test -s "$T/dump/S01a-startup-alfa/alfa.raw.txt"
check "testbed left running" test -e "/run/netns/${prefix}beta-entr02"
check "report says how to clean up" has "$T/4.out" "qspn-harness sweep"
"$HARNESS" sweep >"$T/sweep.out" 2>&1
check "sweep removed the testbed" test ! -e "/run/netns/${prefix}beta"
check "sweep removed the identity namespace" test ! -e "/run/netns/${prefix}beta-entr02"
check "sweep removed /etc/netns" test ! -e "/etc/netns/${prefix}beta"
cat "$T/4.out" "$T/sweep.out"

# 5. netem: p and r are plain hosts on the filter medium m1
cat >"$T/netem.steps" <<'STEPS'
step N01 plain
  arc p r
  admin r ip link set eth1 up
  admin r ip address add 192.168.1.1/24 dev eth1
  admin p ip link set eth1 up
  admin p ip address add 192.168.1.2/24 dev eth1
  settle 0.5
step N02 delay
  netem p r delay 20ms
  settle 0.5
  ping p 192.168.1.1 ok
step N03 off
  # 20 ms each way: a round trip of at least 40 ms
  admin p ping -n -c 1 -W 2 192.168.1.1 | grep -qE 'time=([4-9][0-9]|[1-9][0-9][0-9])'
  netem p r off
  settle 0.5
  ping p 192.168.1.1 ok
STEPS
rc=0
"$HARNESS" run --artifacts "$T/art" --max-seconds 120 --world "$HERE/directives.world" --steps "$T/netem.steps" \
  --qspnd "$QSPND" --qspnctl "$QSPNCTL" --json "$T/5.json" >"$T/5.out" 2>&1 || rc=$?
if [ "$rc" = 77 ]; then
  check "netem unavailable: the step says why" has "$T/5.out" "N02 delay ........................ SKIPPED (netem unavailable: "
  check "netem unavailable: totals" has "$T/5.out" "2 passed, 0 failed, 2 skipped"
else
  check "netem steps pass" test "$rc" = 0
  check "netem: totals" has "$T/5.out" "4 passed, 0 failed"
fi
cat "$T/5.out"

# 6. the JSON reports
check "no progress line when stdout is not a terminal" test "$(grep -c $'\r\|\033' "$T/1.out" "$T/2.out")" = "$(printf '%s:0\n' "$T/1.out" "$T/2.out")"
check "report: where the JSON report is" has "$T/1.out" "json report: $T/1.json"
check "json report of a passing run written" test -s "$T/1.json"
check "json report of a failing run written" test -s "$T/2.json"
if [ "$have_jsonschema" = 1 ]; then
  check "json report of run 1 valid and equal to the text" json_ok "$T/1.json" "$T/1.out"
  check "json report of run 2 valid and equal to the text" json_ok "$T/2.json" "$T/2.out"
  check "json report of the netem run valid and equal to the text" json_ok "$T/5.json" "$T/5.out"
  check "json: the ctl TEXT failure" json_has "$T/2.json" F01 failures 'output does not contain "no such text"'
  check "json: the await failure" json_has "$T/2.json" F02 failures 'no "no such text" after 1s'
  check "json: the failed ping" json_has "$T/2.json" F03 failures "ping a->169.254.96.141 fail (line 13) replied"
  check "json: F03 status" json_has "$T/2.json" F03 status failed
  check "json: D07 pinged" json_has "$T/1.json" D07 status passed
  check "json: a settle step's checkpoint" json_has "$T/1.json" D07 checkpoint settle
else
  echo "SKIP: python3-jsonschema missing: the JSON reports are not validated"
fi
cat "$T/1.json"

echo "netns_directives: $fails failure(s)"
[ "$fails" = 0 ]
