#!/usr/bin/env bash
# Runs every libFuzzer target of BUILD_DIR (a clang build with
# -fsanitize=fuzzer-no-link, see `make fuzz`) for SECONDS each, on a fresh copy
# of its seed corpus (the committed seeds never grow), and prints one line per
# target: executions (libFuzzer's final "Done N runs") and crashes.  A crash,
# leak, timeout or sanitizer report leaves its input in BUILD_DIR/fuzz-artifacts/
# and makes the exit status 1.
# Usage: tests/fuzz.sh BUILD_DIR SECONDS   (from the repository root; builds the
# targets first)
set -uo pipefail
build=${1:?usage: tests/fuzz.sh BUILD_DIR SECONDS}
seconds=${2:?usage: tests/fuzz.sh BUILD_DIR SECONDS}

# target binary, then its seeds (files or directories)
targets=(
  "tests/neighbour/fuzz_nmsg|tests/neighbour/corpus"
  "tests/qspn/fuzz_codec|tests/qspn/corpus"
  "tests/daemon/fuzz_control|tests/daemon/corpus"
  "harness/fuzz_world|topologies/*.world tests/integration/*.world"
  "harness/fuzz_steps|topologies/*.steps tests/integration/*.steps"
)

bins=()
for entry in "${targets[@]}"; do bins+=("${entry%%|*}"); done
ninja -C "$build" "${bins[@]}" >/dev/null || { echo "fuzz: build of the targets failed" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
artifacts=$build/fuzz-artifacts
failed=0
printf '%-12s %12s %8s %7s\n' target executions seconds crashes
for entry in "${targets[@]}"; do
  bin=$build/${entry%%|*}
  name=$(basename "$bin")
  if [ ! -x "$bin" ]; then
    echo "fuzz: $bin is missing (not built with clang?)" >&2
    failed=1
    continue
  fi
  corpus=$work/$name
  mkdir -p "$corpus" "$artifacts/$name"
  for seed in ${entry#*|}; do cp -r "$seed" "$corpus/"; done
  # a directory seed was copied as a subdirectory: libFuzzer wants files
  find "$corpus" -mindepth 2 -type f -exec mv -t "$corpus" {} + 2>/dev/null
  find "$corpus" -mindepth 1 -type d -empty -delete
  log=$artifacts/$name/fuzz.log
  stamp=$work/$name.started # artifacts newer than this are this run's
  touch "$stamp"
  "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/$name/" "$corpus" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  secs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\2/p' "$log" | tail -1)
  crashes=$(find "$artifacts/$name" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' \
    -o -name 'timeout-*' -o -name 'oom-*' \) -newer "$stamp" | wc -l)
  if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi
  if [ -z "$runs" ]; then # stopped by a crash: the last "#N" status line
    runs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
    secs='-'
  fi
  printf '%-12s %12s %8s %7s\n' "$name" "${runs:-0}" "${secs:--}" "$crashes"
  if [ "$crashes" -ne 0 ]; then
    failed=1
    echo "fuzz: $name failed (exit $rc); log $log, inputs in $artifacts/$name/" >&2
    grep -m5 -E '^==[0-9]+==ERROR|SUMMARY|runtime error' "$log" >&2
  fi
done
exit $failed
