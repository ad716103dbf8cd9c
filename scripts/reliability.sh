#!/usr/bin/env bash
# The reliability stages that CI runs after the main test suite (`./mm test` calls this):
#   asan  the whole test suite built with AddressSanitizer + UndefinedBehaviorSanitizer
#         (build-asan/), any report fails the run
#   fuzz  every libFuzzer target for a bounded time (scripts/fuzz.sh, build-fuzz/)
# Usage: scripts/reliability.sh [asan] [fuzz]   (no argument: both)
#
# CI has 90 minutes in all. MM_CI_DEADLINE (seconds since the epoch, set by `./mm test`)
# is when everything must be over; a stage that would not finish by then is skipped and
# says so, loudly, instead of failing the whole run on time.
set -euo pipefail
cd "$(dirname "$0")/.."

stages=("$@")
((${#stages[@]})) || stages=(asan fuzz)

# Minutes each stage needs here (2 cores), build included: fuzz measured (3-6 min); asan an
# estimate (its suite has not yet run to the end here, README "Reliability").
declare -A NEED=([asan]=60 [fuzz]=8)

fits() {
  local need=$((NEED[$1] * 60))
  [ -z "${MM_CI_DEADLINE:-}" ] && return 0
  local left=$((MM_CI_DEADLINE - $(date +%s)))
  if ((left < need)); then
    echo "reliability: SKIPPED stage '$1': it needs about ${NEED[$1]} min and only $((left / 60)) min of CI's limit are left"
    return 1
  fi
}

run_asan() {
  echo "reliability: building the test suite with -fsanitize=address,undefined (build-asan)"
  scripts/setup.sh build-asan -DMM_SANITIZE=address,undefined
  # Every sanitizer report ends the process with an error; UBSan prints a stack. Leak
  # checking stays on, with suppressions for libraries outside this project.
  export ASAN_OPTIONS="abort_on_error=0:halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=0:strict_string_checks=1:suppressions=$PWD/scripts/sanitizers/asan.supp"
  export LSAN_OPTIONS="suppressions=$PWD/scripts/sanitizers/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$PWD/scripts/sanitizers/ubsan.supp"
  # A sanitized build is several times slower: the watchdog gets more room.
  export MM_TEST_WATCHDOG_S=450
  (cd build-asan && ctest --output-on-failure --timeout 900 --repeat until-pass:2)
}

status=0
for s in "${stages[@]}"; do
  case "$s" in
    asan) if fits asan; then run_asan || status=1; fi ;;
    fuzz) if fits fuzz; then scripts/fuzz.sh || status=1; fi ;;
    *) echo "usage: scripts/reliability.sh [asan] [fuzz]" >&2; exit 2 ;;
  esac
done
exit $status
