#!/bin/sh
# test-storyline-steps.sh - smoke test of storyline-steps.sh on the fixed files of
# bench/testdata/.  The expected rows were computed by hand from those files:
#   S01: 2 commands, 1–4 s each: 2–8 s; wall 1.2 + 2.3 = 3.5 s, settle 0.8 s
#   S02: 3 commands, one "~1 s": 1+1+1 = 3 s to 4+4+1 = 9 s; wall 5 s, settle 2 s
#   S03: 1 command "~2.5 s": 2.5 s; wall 5 s, settle 4 s
#   S04: no command ("(automatic)"): 0 s, no ratio; step id S04 (no letter), wall 2 s, settle 1 s
#   storyline: 6 commands, 7.5–19.5 s, wall 15.5 s: 15.5/19.5 = 0.79, 15.5/7.5 = 2.07
#   T1 + T2: 0.5 s; all steps 16 s, settle 7.8 s
set -eu
here=$(dirname "$0")
out=$(sh "$here/storyline-steps.sh" "$here/testdata/storyline-report.json" "$here/testdata/storyline-catalogue.md")
echo "$out"
fail=0
for row in \
    '| S01 | 2 | 3.50 | 0.80 | 2 | 2.00–8.00 | 0.44–1.75 |' \
    '| S02 | 2 | 5.00 | 2.00 | 3 | 3.00–9.00 | 0.56–1.67 |' \
    '| S03 | 1 | 5.00 | 4.00 | 1 | 2.50–2.50 | 2.00–2.00 |' \
    '| S04 | 1 | 2.00 | 1.00 | 0 | 0.00–0.00 | - |' \
    '| **storyline** | 4 groups | 15.50 | | 6 | 7.50–19.50 | 0.79–2.07 |' \
    '| steps of no group (T1, T2) | | 0.50 | 0.00 | | | |' \
    '| **all steps** | | 16.00 | 7.80 | | | |'; do
    printf '%s\n' "$out" | grep -qxF "$row" || { echo "missing row: $row" >&2; fail=1; }
done
[ "$(printf '%s\n' "$out" | grep -c '^| S')" = 4 ] || { echo "expected 4 step rows" >&2; fail=1; }
exit $fail
