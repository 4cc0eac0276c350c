#!/usr/bin/env bash
# Writes the seed corpus of fuzz_control (tests/daemon/corpus): every distinct
# qspnctl command line of topologies/*.steps (`ctl`, `ctl&`, `ctl!` lines, the
# expected output after `--` left out) and the commands of docs/commands.md, each
# as the request line a client writes ("\n<id> <command>\n"), plus a few framing
# and reply cases.  Byte 0 of every seed is fuzz_control's selector: 0x40 = the
# storyline's topology 4.2.2.2, read all at once; 0x47 = read 7 bytes at a time.
# Run from the repository root: bash tests/daemon/control_corpus.sh
set -euo pipefail
out=tests/daemon/corpus
rm -rf "$out" && mkdir -p "$out"

seed() { # NAME SELECTOR_OCTAL TEXT
  { printf "\\$2"; printf '%s' "$3"; } >"$out/$1"
}

n=0
{
  sed -n 's/^[[:space:]]*ctl[&!]\{0,1\}[[:space:]]\{1,\}[^[:space:]]\{1,\}[[:space:]]\{1,\}//p' topologies/*.steps |
    sed 's/[[:space:]]\{1,\}--\([[:space:]].*\)\{0,1\}$//'
  grep -o '^| `[a-z_]\{1,\}[^`]*`' docs/commands.md | sed 's/^| `//; s/`$//; s/\\|/|/g'
} | sort -u | while IFS= read -r cmd; do
  n=$((n + 1))
  seed "$(printf 'line%03d' "$n")" 100 $'\n'"a$n $cmd"$'\n'
done

seed glued-lines 107 $'\n1 show\n\n2 add_real_arc 00:16:3E:FD:E2:AA 00:16:3E:EC:A3:E1 1000\n3 quit\n'
seed partial-line 100 $'qu\n7 it\n'
seed no-id 100 $'show\n'
seed crlf 100 $'\nab-_9 show --json\r\n'
seed reply-ok 100 $'local_identity #0\n%%escaped\n%ok f00d\n'
seed reply-stale 100 $'old body\n%error 1234 timed out\n%ok f00d\n'
seed reply-error 100 $'%error f00d wrong MAC pair\n'
