#!/bin/bash
# netns_qspnd.sh QSPND QSPNCTL SHARED_DIR [SOURCE_ROOT]
#
# Root-only end-to-end test of qspnd in network namespaces of its own
# (prefix qt-<pid>-), deleted at the end even on failure.  Exit 77 (skip) when
# not root or when ip/nft are missing.
#   0. usage error, missing interface, half-way failure: exit codes, rollback;
#   1. alfa (S01a): start, compare the kernel state with
#      scenarios/expected/S01a-startup-alfa/alfa.txt under normalise.sh -s;
#   2. malformed commands through the FIFO (raw and through qspnctl): each gets an
#      error reply and the kernel dump is byte-identical before/after;
#   3. quit: exit 0, nothing of qspnd remains (routes proto ntk, rules to ntk,
#      10.x / link-local addresses, nft table ip qspnd, rt_tables lines, files);
#   4. SIGKILL leaves state; the next start removes it and starts; SIGTERM cleans;
#   5. lambda (S10c, subnet gateway -s 1 -k): NETMAP/SNAT order, with the
#      administrator's two routes added by hand as in the document.
# Ownership, start-up races, signals, protocol regressions: netns_qspnd_robust.sh.
set -u
QSPND=${1:?qspnd}
CTL=${2:?qspnctl}
SHARED=${3:?shared dir}
ROOT=${4:-}   # the source tree: validate show --json against its schema
# shellcheck source=netns_lib.sh
. "$(dirname "$0")/netns_lib.sh"

# ---------------------------------------------------------------- 0. failures
setup_ns 00:16:3E:FD:E2:AA
"$QSPND" --netns "$NS" -i eth1 --control-dir "$CD" --topology 4.2.2.2 --address 3.0.2.0 2>"$WORK/usage.err"
rc=$?; [ "$rc" = 2 ] && [ "$(wc -l <"$WORK/usage.err")" = 1 ] || fail "usage error: exit $rc"
"$QSPND" --netns "$NS" -i eth9 --control-dir "$CD" --rt-tables "$RT" --log-file "$WORK/qspnd.log" \
  --topology 4.2.2.2 --address 3.0.1.0
rc=$?; [ "$rc" = 1 ] || fail "missing interface: exit $rc"
check_clean "after missing interface"
# a control directory open to group or others is refused, left as it is
mkdir -m 0755 "$WORK/loose.ctl"
"$QSPND" --netns "$NS" -i eth1 --control-dir "$WORK/loose.ctl" --rt-tables "$RT" \
  --log-file "$WORK/qspnd.log" --topology 4.2.2.2 --address 3.0.1.0
rc=$?; [ "$rc" = 1 ] || fail "loose control dir: exit $rc"
[ "$(stat -c %a "$WORK/loose.ctl")" = 755 ] || fail "loose control dir was changed"
[ -z "$(ls -A "$WORK/loose.ctl")" ] || fail "files created in a refused control dir"
grep -q "lets group or others in" "$WORK/qspnd.log" || fail "loose control dir: no reason logged"
check_clean "after a loose control dir"
# an address already there makes start-up fail half-way: rollback, the foreign
# address stays, nothing of qspnd remains
ip -n "$NS" address add 10.0.0.50/32 dev eth1
"$QSPND" --netns "$NS" -i eth1 --control-dir "$CD" --rt-tables "$RT" --log-file "$WORK/qspnd.log" \
  --topology 4.2.2.2 --address 3.0.1.0 -k --linklocal eth1=169.254.69.30
rc=$?; [ "$rc" = 1 ] || fail "conflicting address: exit $rc"
ip -n "$NS" -o address show dev eth1 | grep -q 'inet 10.0.0.50/32' || fail "rollback removed a foreign address"
ip -n "$NS" address del 10.0.0.50/32 dev eth1
check_clean "after rollback"
log "usage error, missing interface and half-way failure: exit codes and rollback ok"

# ---------------------------------------------------------------- 1. alfa
start_qspnd --topology 4.2.2.2 --address 3.0.1.0 -k --linklocal eth1=169.254.69.30 || exit 1
compare_expected "$EXP/S01a-startup-alfa/alfa.txt" alfa
[ "$(stat -c %a "$CD")" = 700 ] || fail "control dir mode $(stat -c %a "$CD")"
[ "$(stat -c %a "$CD/cmd.fifo")" = 600 ] || fail "cmd.fifo mode"
[ "$(stat -c %a "$CD/qspnd.lock")" = 600 ] || fail "qspnd.lock mode"
[ "$(cat "$CD/qspnd.lock")" = "$QPID" ] || fail "qspnd.lock does not hold the daemon's pid"
out=$("$CTL" --control-dir "$CD" show_handlednics)
[ "$out" = "handlednics: #0: eth1 = 00:16:3E:FD:E2:AA (has 169.254.69.30)." ] || fail "show_handlednics: $out"
QSPN_CONTROL_DIR=$CD "$CTL" show --json | grep -q '"routes":18' || fail "show --json"
if [ -n "$ROOT" ]; then   # the live document against docs/json-schema/show.json
  "$CTL" --control-dir "$CD" show --json |
    python3 "$ROOT/tests/json/check_show_schema.py" "$ROOT/docs/json-schema/show.json" - ||
    fail "show --json does not follow docs/json-schema/show.json"
fi

# ---------------------------------------------------------------- 2. malformed commands
before=$(dump)
n_ok=0
expect_raw() {   # PAYLOAD REASON
  local r
  r=$(raw_cmd "$1")
  if [ "$r" = "%error $2" ]; then n_ok=$((n_ok + 1)); else fail "raw '$1': reply '$r' (want '%error $2')"; fi
}
expect_raw 'bogus\n' "unknown command 'bogus'"
for c in 'bogus' 'quit now' 'show --yaml' 'show --json x' 'show_handlednics 1' 'show_local_identities 1 2'; do
  # shellcheck disable=SC2086
  "$CTL" --control-dir "$CD" $c >/dev/null 2>"$WORK/ctl.err"
  rc=$?
  if [ "$rc" = 1 ] && grep -q '^qspnctl: ' "$WORK/ctl.err"; then n_ok=$((n_ok + 1)); else fail "qspnctl $c: exit $rc"; fi
done
long=$(head -c 5000 /dev/zero | tr '\0' 'a')
expect_raw "${long}\n" 'line too long'
expect_raw 'qu\0it\n' 'embedded NUL byte'
expect_raw 'show \377\376\n' 'invalid UTF-8'
expect_raw 'show\033[2J\n' 'control character in command'
expect_raw '\n' 'empty command'
expect_raw 'quit quit\n' 'wrong number of arguments for quit (usage: quit)'
after=$(dump)
if [ "$before" = "$after" ]; then
  log "$n_ok malformed commands: error replies, kernel dump byte-identical"
else
  fail "kernel state changed by malformed commands"; diff <(echo "$before") <(echo "$after")
fi
"$CTL" --control-dir "$CD" show >/dev/null || fail "daemon unusable after malformed commands"
ls "$CD"/rsp-*.fifo >/dev/null 2>&1 && fail "reply FIFOs left behind: $(ls "$CD")"

# ---------------------------------------------------------------- 3. quit
"$CTL" --control-dir "$CD" quit || fail "quit: exit $?"
for _ in $(seq 100); do kill -0 "$QPID" 2>/dev/null || break; sleep 0.05; done
wait "$QPID"; rc=$?; QPID=
[ "$rc" = 0 ] || fail "qspnd exit status $rc after quit"
check_clean "after quit"
"$CTL" --control-dir "$CD" --timeout 0.5 show >/dev/null 2>&1; rc=$?
[ "$rc" = 3 ] || fail "qspnctl with no daemon: exit $rc (want 3)"

# ---------------------------------------------------------------- 4. SIGKILL leftovers
start_qspnd --topology 4.2.2.2 --address 3.0.1.0 -k --linklocal eth1=169.254.69.30 || exit 1
kill -KILL "$QPID"; wait "$QPID" 2>/dev/null; QPID=
dump | grep -Eq 'proto (15|ntk)( |$)' || fail "SIGKILL: expected leftovers"
[ -f "$CD/qspnd.state" ] || fail "SIGKILL: no state file"
start_qspnd --topology 4.2.2.2 --address 3.0.1.0 -k --linklocal eth1=169.254.69.30 || exit 1
compare_expected "$EXP/S01a-startup-alfa/alfa.txt" alfa-after-sigkill
grep -c 'xxx_table_ntk_xxx' "$RT" | grep -qx 1 || fail "rt_tables: ntk line not unique after restart"
kill -TERM "$QPID"; wait "$QPID"; rc=$?; QPID=
[ "$rc" = 0 ] || fail "qspnd exit status $rc after SIGTERM"
check_clean "after SIGKILL + restart + SIGTERM"
teardown_ns

# ---------------------------------------------------------------- 5. lambda
setup_ns 00:16:3E:06:3E:90
start_qspnd --topology 4.2.2.2 --address 1.1.0.0 -s 1 -k --linklocal eth1=169.254.109.22 || exit 1
# the administrator's routes towards rho (Proof/commands/sequence, lambda block)
ip -n "$NS" route add 169.254.110.188 dev eth1 src 169.254.109.22
ip -n "$NS" route add 10.0.0.41/32 table 251 via 169.254.110.188 dev eth1 src 10.0.0.40
compare_expected "$EXP/S10c-lambda-addresses/lambda.txt" lambda
nft_rules=$(ip netns exec "$NS" nft list table ip qspnd | grep -E 'prefix to|snat to' | sed 's/^[[:space:]]*//')
want_rules='ip daddr 10.0.0.12/31 dnat prefix to 10.0.0.40/31
ip daddr 10.0.0.76/31 dnat prefix to 10.0.0.40/31
ip daddr 10.0.0.60/31 dnat prefix to 10.0.0.40/31
ip daddr 10.0.0.48/31 dnat prefix to 10.0.0.40/31
ip saddr 10.0.0.40/31 ip daddr 10.0.0.48/30 snat prefix to 10.0.0.48/31
ip saddr 10.0.0.40/31 ip daddr 10.0.0.56/29 snat prefix to 10.0.0.60/31
ip saddr 10.0.0.40/31 ip daddr 10.0.0.0/27 snat prefix to 10.0.0.12/31
ip saddr 10.0.0.40/31 ip daddr 10.0.0.64/27 snat prefix to 10.0.0.12/31
ip daddr 10.0.0.64/27 snat to 10.0.0.12'
[ "$nft_rules" = "$want_rules" ] || { fail "lambda nft rules/order"; echo "$nft_rules"; }
"$CTL" --control-dir "$CD" quit || fail "lambda quit"
wait "$QPID"; rc=$?; QPID=
[ "$rc" = 0 ] || fail "lambda: exit status $rc"
check_clean "lambda after quit"

if [ "$FAILS" -gt 0 ]; then
  echo "$FAILS failure(s); log: $WORK/qspnd.log"
  exit 1
fi
log "all checks passed"
exit 0
