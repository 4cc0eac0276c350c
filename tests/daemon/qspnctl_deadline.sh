#!/bin/bash
# qspnctl_deadline.sh QSPNCTL
#
# qspnctl must give up at its deadline with status 3 when the reply never ends
# (it used to drain a reply FIFO without any deadline and could wait forever).
# A fake daemon reads cmd.fifo and floods every reply FIFO of the control
# directory with an endless stream (no terminator).  No root needed.
set -u
CTL=${1:?qspnctl}
D=$(mktemp -d /tmp/qt-$$-deadline-XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}" $(cat "$D/flooders" 2>/dev/null); do
    kill "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  rm -rf "$D"
}
trap cleanup EXIT

mkfifo -m 600 "$D/cmd.fifo" "$D/rsp.fifo"   # rsp.fifo and lock: what older clients open
: >"$D/lock"
cat <>"$D/cmd.fifo" >/dev/null &             # a reader that never sees EOF
PIDS+=($!)
# every reply FIFO that appears is kept full by a writer (opened read-write:
# the open never blocks), so the client always has more to read
(
  declare -A seen
  while :; do
    for f in "$D"/rsp*.fifo; do
      { [ -p "$f" ] && [ -z "${seen[$f]:-}" ]; } || continue
      seen[$f]=1
      for _ in 1 2; do
        cat /dev/zero 1<>"$f" &
        echo $! >>"$D/flooders"
      done
    done
    sleep 0.005
  done
) &
PIDS+=($!)
sleep 0.2

t0=$(date +%s%N)
timeout -s KILL 20 "$CTL" --control-dir "$D" --timeout 1 show >/dev/null 2>"$D/err"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
if [ "$rc" != 3 ] || [ "$ms" -gt 4000 ]; then
  echo "FAIL: qspnctl --timeout 1 against an endless reply: status $rc after $ms ms (want 3, < 4 s)"
  cat "$D/err"
  exit 1
fi
echo "ok: status 3 after $ms ms ($(cat "$D/err"))"
