#!/usr/bin/env bash
# The manual pages render with man(1) without warnings, and they document every
# option and command that the programs' --help lists (the lists come from the
# programs, the pages are written by hand: a new option without its page entry
# fails here).
# usage: check_manpages.sh QSPND QSPNCTL MANDIR
set -uo pipefail
qspnd=$1 qspnctl=$2 mandir=$3
fail=0
err() { echo "FAIL: $*"; fail=1; }

for page in qspnd.8 qspnctl.8; do
  f=$mandir/$page
  [ -f "$f" ] || { err "$f missing"; continue; }
  warnings=$(groff -man -ww -z "$f" 2>&1)
  [ -z "$warnings" ] || err "$page: groff warnings: $warnings"
  text=$(MANWIDTH=80 man -l "$f" 2>&1) || err "$page: man -l failed"
  grep -q '^NAME' <<<"$text" || err "$page: man -l rendered no NAME section"
done

# Rendered text with hyphens and quotes made plain, for searching.
rendered() { MANWIDTH=200 man -l "$mandir/$1" 2>/dev/null | col -b | sed 's/‐/-/g'; }

qspnd_page=$(rendered qspnd.8)
opts=$("$qspnd" --help 2>&1 | grep -oE -- '--[a-z][a-z-]+' | sort -u)
[ -n "$opts" ] || err "qspnd --help listed no option"
for o in $opts; do
  grep -qF -- "$o" <<<"$qspnd_page" || err "qspnd.8 does not document $o"
done

qspnctl_page=$(rendered qspnctl.8)
help=$("$qspnctl" --help 2>&1)
# command names from the command list of --help: "  cmd [args]  text" lines
# give their first word, "  group:  a, b," lines and their continuations
# (deeper indentation) give every name
cmds=$(sed -n '/^Commands/,/^Each request/{/^Commands/d;/^Each request/d;p}' <<<"$help" |
       awk '/^  [a-z]+: / { sub(/^  [a-z]+: +/, ""); print; next }
            /^      / { print; next }
            /^  [a-z]/ { print $1 }' |
       tr ', ' '\n\n' | grep -E '^[a-z][a-z0-9_]+$' | sort -u)
[ "$(wc -w <<<"$cmds")" -ge 20 ] || err "qspnctl --help: fewer than 20 commands found: $cmds"
for c in $cmds; do
  grep -qE -- "(^|[^a-z_])$c([^a-z_]|$)" <<<"$qspnctl_page" || err "qspnctl.8 does not document the command $c"
done
for o in $(grep -oE -- '--[a-z][a-z-]+' <<<"$help" | sort -u) \
         $("$qspnctl" ipcalc --help 2>&1 | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
  grep -qF -- "$o" <<<"$qspnctl_page" || err "qspnctl.8 does not document $o"
done

[ $fail = 0 ] && echo "man pages: qspnd.8 ($(wc -w <<<"$opts") options), qspnctl.8 ($(wc -w <<<"$cmds") commands) ok"
exit $fail
