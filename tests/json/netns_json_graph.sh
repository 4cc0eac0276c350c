#!/bin/bash
# netns_json_graph.sh QSPND QSPNCTL SHARED_DIR SOURCE_ROOT
#
# Root-only: a live chain p - q - r of qspnd (tests/json/netns_chain.sh; netns
# names qt-<pid>-*, deleted at the end even on failure), then
#   1. every show_* command's --json of every system (and of every identity for
#      show_identity_arcs / show_qspn_data) validates against its schema
#      docs/json-schema/<command>.json, with non-empty arc lists; the text forms
#      keep their documented lines; bad options are refused;
#   2. qspnctl graph: DOT of p's main identity; --svg writes SVG that parses as
#      XML with the expected clusters, nodes, edges and best path (the costs are
#      the sums of the arc costs chosen here); the default identity is the main
#      one; usage errors exit 2; without dot in PATH, --svg fails with a reason.
set -u
# shellcheck disable=SC2034  # QSPND and SHARED are used by netns_lib.sh and netns_chain.sh
QSPND=${1:?qspnd}
CTL=${2:?qspnctl}
# shellcheck disable=SC2034
SHARED=${3:?shared dir}
ROOT=${4:?source root}
# shellcheck source-path=SCRIPTDIR source=../daemon/netns_lib.sh
. "$ROOT/tests/daemon/netns_lib.sh"
# shellcheck source=netns_chain.sh
. "$ROOT/tests/json/netns_chain.sh"
command -v python3 >/dev/null && python3 -c 'import jsonschema' 2>/dev/null ||
  { echo "SKIP: python3-jsonschema missing"; exit 77; }
SCHEMAS=$ROOT/docs/json-schema
CHECK=$ROOT/tests/json/check_show_schema.py

start_chain || exit 1

# ---------------------------------------------------------------- 1. --json
validate() {   # DIR CMD [ARG]: the --json reply against its schema
  local dir=$1 cmd=$2 f
  f=$WORK/$(basename "$dir")-$cmd${3:+-$3}.json
  "$CTL" --control-dir "$dir" "$cmd" ${3:+"$3"} --json >"$f" || { fail "$cmd ${3:-} --json: exit $?"; return; }
  python3 "$CHECK" "$SCHEMAS/$cmd.json" "$f" >/dev/null ||
    { fail "$dir: $cmd ${3:-} --json does not follow $cmd.json"; python3 "$CHECK" "$SCHEMAS/$cmd.json" "$f"; }
}
n=0
for dir in "$CD" "$CD2" "$CD3"; do
  for cmd in show_handlednics show_local_identities show_neighborhood_arcs show_real_arcs; do
    validate "$dir" "$cmd"; n=$((n + 1))
  done
  for id in $("$CTL" --control-dir "$dir" show_local_identities --json |
              python3 -c 'import json,sys; print(*[i["index"] for i in json.load(sys.stdin)["identities"]])'); do
    validate "$dir" show_identity_arcs "$id"
    validate "$dir" show_qspn_data "$id"
    n=$((n + 2))
  done
done
# the lists are not empty: q has two arcs, p's main identity a qspn-arc and two destinations
count() {   # FILE PYTHON_EXPR
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}
[ "$(count "$WORK/ctl2-show_real_arcs.json" 'len(d["arcs"])')" = 2 ] || fail "q: not 2 real arcs"
[ "$(count "$WORK/ctl2-show_neighborhood_arcs.json" 'len(d["arcs"])')" = 2 ] || fail "q: not 2 neighborhood arcs"
[ "$(count "$WORK/ctl-show_identity_arcs-0.json" 'sum(a["qspn_arc"] for a in d["identity_arcs"])')" = 1 ] ||
  fail "p: not one qspn identity-arc"
[ "$(count "$WORK/ctl-show_qspn_data-0.json" \
  'sorted((x["level"], x["pos"], x["paths"][0]["cost_us"], len(x["paths"][0]["hops"])) for x in d["destinations"])')" \
  = "[(0, 1, 10000, 1), (1, 0, 20000, 2)]" ] || fail "p: destinations $(cat "$WORK/ctl-show_qspn_data-0.json")"
log "$n --json documents of 3 systems valid against their schemas; lists as expected"
# the text forms are the original print-outs
[ "$("$CTL" --control-dir "$CD" show_real_arcs)" = \
  "real_arc '$MAC_P-$MAC_Q': peer_linklocal 169.254.5.2, cost 10000us" ] || fail "show_real_arcs text"
"$CTL" --control-dir "$CD" show_qspn_data 0 >"$WORK/p-qspn.txt"
grep -qx 'Destination (1, 0):' "$WORK/p-qspn.txt" && grep -qx ' Path cost 20000 with 2 hops:' "$WORK/p-qspn.txt" &&
  grep -qx 'QspnArc to 2:1:1:1, cost 10000' "$WORK/p-qspn.txt" || { fail "show_qspn_data text"; cat "$WORK/p-qspn.txt"; }
for c in 'show_real_arcs --yaml' 'show_real_arcs --json --json' 'show_qspn_data --json' 'show_qspn_data 0 1' \
         'show_handlednics 1'; do
  # shellcheck disable=SC2086
  "$CTL" --control-dir "$CD" $c >/dev/null 2>"$WORK/err"; rc=$?
  [ "$rc" = 1 ] && grep -q '^qspnctl: ' "$WORK/err" || fail "'$c': exit $rc, $(cat "$WORK/err")"
done

# ---------------------------------------------------------------- 2. graph
"$CTL" --control-dir "$CD" graph 0 >"$WORK/p.dot" || fail "graph 0: exit $?"
grep -q 'subgraph cluster_level1 {' "$WORK/p.dot" || fail "graph 0: no cluster in the DOT"
"$CTL" --control-dir "$CD" graph >"$WORK/p-default.dot" || fail "graph: exit $?"
cmp -s "$WORK/p.dot" "$WORK/p-default.dot" || fail "graph without LOCAL_ID is not the main identity's"
if command -v dot >/dev/null; then
  "$CTL" --control-dir "$CD" graph --svg "$WORK/p.svg" || fail "graph --svg: exit $?"
  python3 "$ROOT/tests/json/check_graph_svg.py" "$WORK/p.svg" \
    --cluster cluster_level4 --cluster cluster_level3 --cluster cluster_level2 --cluster cluster_level1 \
    --node me --node g0_1 --node g1_0 --red 'me->g0_1' --red 'g0_1->g1_0' \
    --text 'identity #0 (main)' --text 2.1.1.1 --text 2.1.0 --text 'best 20000us via arc' --text 10000us ||
    fail "p's SVG"
  # r (main identity #1, 2.1.0.0) reaches q's and p's g-node 2.1.1 through q
  "$CTL" --control-dir "$CD3" graph --svg "$WORK/r.svg" || fail "r graph --svg: exit $?"
  python3 "$ROOT/tests/json/check_graph_svg.py" "$WORK/r.svg" --node me --node g1_1 --red 'me->g1_1' \
    --text 'identity #1 (main)' --text 2.1.1 --text 'best 10000us via arc' || fail "r's SVG"
else
  log "dot missing: SVG checks skipped"
fi
ok_missing_dot=$(env PATH=/nonexistent "$CTL" --control-dir "$CD" graph --svg "$WORK/x.svg" 2>&1; echo "rc=$?")
grep -q "needs graphviz's dot" <<<"$ok_missing_dot" && grep -q 'rc=1$' <<<"$ok_missing_dot" ||
  fail "graph --svg without dot: $ok_missing_dot"
[ ! -e "$WORK/x.svg" ] || fail "graph --svg without dot wrote a file"
for c in 'graph --svg' 'graph x' 'graph 0 1' 'graph --png f' 'graph -1'; do
  # shellcheck disable=SC2086
  "$CTL" --control-dir "$CD" $c >/dev/null 2>"$WORK/err"; rc=$?
  [ "$rc" = 2 ] || fail "'$c': exit $rc (want 2)"
done
"$CTL" --control-dir "$CD2" graph 0 >/dev/null 2>"$WORK/err"; rc=$?
[ "$rc" = 1 ] && grep -q "wrong local_identity_index '0'" "$WORK/err" || fail "graph of a gone identity: exit $rc"
log "graph: DOT, SVG (XML, clusters, nodes, best path), default identity, errors ok"

for dir in "$CD" "$CD2" "$CD3"; do "$CTL" --control-dir "$dir" quit >/dev/null || fail "quit $dir"; done
if [ "$FAILS" -gt 0 ]; then
  echo "$FAILS failure(s); logs in $WORK"
  exit 1
fi
log "all checks passed"
exit 0
