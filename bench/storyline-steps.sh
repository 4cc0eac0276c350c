#!/bin/sh
# storyline-steps.sh - issue 12 part 6: the wall time of `make storyline`, step by
# step, against the fixed waits of the documented testbed.
#   bench/storyline-steps.sh REPORT [CATALOGUE (../shared/scenarios/catalogue.md)]
# REPORT: the --json report of qspn-harness (docs/json-schema/harness-report.json).
# The documented testbed typed the qspnclient commands by hand: catalogue.md lists,
# per step group (S01, S02, ...), its "User commands" and says the testbeds wait
# 1–4 s between commands (§5), with "# ~N s later" on a few of them.  No document
# gives per-step waits, so the documented wait of a group is derived: every command
# counts N s where it says "~N s", else 1 s (low) to 4 s (high).  Prints a
# Markdown table: per group its sub-steps, the harness's wall time (sum of the
# steps' duration_ms) and settle time, the commands, the documented waits and the
# ratio harness / documented; then the totals.  A group whose block lists no
# qspnclient command (S16, S17: "(automatic)") waits 0 s.  Steps outside any group
# (T1, T2) are in the totals of the harness only.  Needs jq.
set -eu
REPORT=${1:?usage: storyline-steps.sh REPORT [CATALOGUE]}
CAT=${2:-$(dirname "$0")/../../shared/scenarios/catalogue.md}
[ -r "$REPORT" ] || { echo "storyline-steps: cannot read $REPORT" >&2; exit 2; }
[ -r "$CAT" ] || { echo "storyline-steps: cannot read $CAT" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# group TAB commands TAB low ms TAB high ms, from the "User commands" blocks
awk -v OFS='\t' '
    /^### S[0-9]+ / { g = $2; next }
    /^User commands/ { want = 1; if (!(g in seen)) { seen[g] = 1; order[++k] = g }; next }
    /^```/ { if (want && !inblock) { inblock = 1; next }
             if (inblock) { inblock = 0; want = 0 }; next }
    inblock && /^[A-Za-z0-9_.-]+:[ \t]+qspnclient / {
        n[g]++
        if (match($0, /# *~[0-9.]+ *s/)) {
            w = substr($0, RSTART, RLENGTH); gsub(/[^0-9.]/, "", w)
            lo[g] += w * 1000; hi[g] += w * 1000
        } else { lo[g] += 1000; hi[g] += 4000 }
    }
    END { for (i = 1; i <= k; i++) print order[i], n[order[i]] + 0, lo[order[i]] + 0, hi[order[i]] + 0 }
' "$CAT" > "$tmp/doc"
[ -s "$tmp/doc" ] || { echo "storyline-steps: no User commands in $CAT" >&2; exit 1; }

# id TAB duration ms TAB settle ms (0 when null)
jq -r '.steps[] | [.id, .duration_ms, (.settle_ms // 0)] | @tsv' "$REPORT" > "$tmp/steps"

awk -F '\t' -v OFS='\t' '
    function s(ms) { return sprintf("%.2f", ms / 1000) }
    function ratio(a, l, h) { return h > 0 ? sprintf("%.2f–%.2f", a / h, a / l) : "-" }
    NR == FNR { n[$1] = $2; lo[$1] = $3; hi[$1] = $4; next }
    {
        g = $1; sub(/[^0-9]+$/, "", g)          # S01a -> S01
        if (!(g in n)) { other += $2; othsettle += $3; tw += $2; ts += $3; next }
        if (!(g in sub_)) order[++k] = g
        sub_[g]++; wall[g] += $2; settle[g] += $3
        tw += $2; ts += $3
    }
    END {
        print "| step | sub-steps | harness wall s | of which settle s | commands | documented waits s (1–4 s each) | harness / documented |"
        print "|---|---|---|---|---|---|---|"
        for (i = 1; i <= k; i++) {
            g = order[i]; tc += n[g]; tl += lo[g]; th += hi[g]; gw += wall[g]
            printf "| %s | %d | %s | %s | %d | %s–%s | %s |\n", g, sub_[g], s(wall[g]), s(settle[g]),
                n[g], s(lo[g]), s(hi[g]), ratio(wall[g], lo[g], hi[g])
        }
        printf "| **storyline** | %d groups | %s | | %d | %s–%s | %s |\n", k, s(gw), tc, s(tl), s(th),
            ratio(gw, tl, th)
        printf "| steps of no group (T1, T2) | | %s | %s | | | |\n", s(other), s(othsettle)
        printf "| **all steps** | | %s | %s | | | |\n", s(tw), s(ts)
    }
' "$tmp/doc" "$tmp/steps"
