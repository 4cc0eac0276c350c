#!/usr/bin/env bash
# The bash completion of qspnctl offers exactly the commands of `qspnctl --help`
# (plus ipcalc), completes a prefix, the options, and show's --json.
# usage: check_completion.sh QSPNCTL COMPLETION_FILE
set -uo pipefail
qspnctl=$1 file=$2
fail=0
err() { echo "FAIL: $*"; fail=1; }
# shellcheck disable=SC1091
source /usr/share/bash-completion/bash_completion
# shellcheck disable=SC1090
source "$file"

complete_line() {   # words... : prints the completions of the last word
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
    COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _qspnctl
    printf '%s\n' "${COMPREPLY[@]}" | sort
}

help=$("$qspnctl" --help 2>&1)
from_help=$( (sed -n '/^Commands/,/^Each request/{/^Commands/d;/^Each request/d;p}' <<<"$help" |
       awk '/^  [a-z]+: / { sub(/^  [a-z]+: +/, ""); print; next }
            /^      / { print; next }
            /^  [a-z]/ { print $1 }' | tr ', ' '\n\n' | grep -E '^[a-z][a-z0-9_]+$'; echo ipcalc) | sort -u)
offered=$(complete_line qspnctl "")
[ "$offered" = "$from_help" ] || err "commands offered differ from --help: $(diff <(echo "$from_help") <(echo "$offered") | grep '^[<>]' | tr '\n' ' ')"
[ "$(complete_line qspnctl add_q)" = add_qspn_arc ] || err "add_q does not complete to add_qspn_arc"
[ "$(complete_line qspnctl --control-dir /tmp show --)" = "--json" ] || err "show -- does not offer --json"
[ "$(complete_line qspnctl show_qspn_data 0 --)" = "--json" ] || err "show_qspn_data 0 -- does not offer --json"
[ "$(complete_line qspnctl graph --)" = "--svg" ] || err "graph -- does not offer --svg"
[ "$(complete_line qspnctl --ti)" = "--timeout" ] || err "--ti does not complete to --timeout"
[ "$(complete_line qspnctl print_time_ruler O | tr '\n' ' ')" = "OFF ON " ] || err "print_time_ruler ON|OFF"
[ $fail = 0 ] && echo "completion: $(wc -l <<<"$offered") commands, prefixes and options ok"
exit $fail
