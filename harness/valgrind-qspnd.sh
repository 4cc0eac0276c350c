#!/usr/bin/env bash
# Stand-in for qspnd that runs it under valgrind memcheck, for the harness:
#   QSPND_REAL=build-valgrind/qspn/daemon/qspnd VALGRIND_LOG_DIR=DIR \
#     qspn-harness run ... --qspnd harness/valgrind-qspnd.sh
# Any memory error or definite/indirect leak makes qspnd exit 99, which the harness
# reports at its quit-all check; the details are in DIR/qspnd.<pid>.log.
# Under valgrind qspnd runs 20-50 times slower: HELLOs every second and a
# 10 s dead interval, so that a slow daemon is never declared dead, and 30 s
# for the QSPN arc timeout.  VALGRIND_QSPND_INTERVALS=keep keeps qspnd's own
# (250 ms / 1.5 s): the fault scenarios time their checks on them, and their
# four small daemons keep up under valgrind.
: "${QSPND_REAL:?QSPND_REAL must name the real qspnd (a build without sanitizers)}"
: "${VALGRIND_LOG_DIR:?VALGRIND_LOG_DIR must name a directory for the logs}"
intervals=(--hello-interval 1000 --dead-interval 10000 --arc-timeout 30000)
[ "${VALGRIND_QSPND_INTERVALS:-}" = keep ] && intervals=()
exec valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
  --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
  --suppressions="$(dirname "$0")/valgrind.supp" \
  --log-file="$VALGRIND_LOG_DIR/qspnd.%p.log" "$QSPND_REAL" "$@" "${intervals[@]}"
