#!/usr/bin/env bash
# The reliability stages that CI runs after the main test suite (`./mm test` calls this):
#   fuzz  every libFuzzer target for a bounded time (scripts/fuzz.sh, build-fuzz/)
#   tsan  the engine's threading tests (tagged [threads] and [switch]) built with
#         ThreadSanitizer (build-tsan/): any data race fails the run
#   asan  the whole test suite built with AddressSanitizer + UndefinedBehaviorSanitizer
#         (build-asan/): any report fails the run
# Usage: scripts/reliability.sh [fuzz] [tsan] [asan]   (no argument: all three, in that order)
#
# The sanitized builds use clang (4x faster to compile with sanitizers than gcc here) and
# are separate build folders; the instrument itself (build/) is never sanitized.
#
# CI has 90 minutes in all. MM_CI_DEADLINE (seconds since the epoch, set by `./mm test`)
# is when everything must be over; a stage that would not finish by then is skipped and
# says so, loudly (a safety valve for a CI machine far slower than the one measured: CI
# killed at 90 minutes would lose the whole run's verdict).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

stages=("$@")
((${#stages[@]})) || stages=(fuzz tsan asan)

# Minutes each stage needs on the 2-core CI machine, build included (measured, README
# "Reliability"), with some margin.
declare -A NEED=([fuzz]=9 [tsan]=6 [asan]=30)

fits() {
  local need=$((NEED[$1] * 60))
  [ -z "${MM_CI_DEADLINE:-}" ] && return 0
  local left=$((MM_CI_DEADLINE - $(date +%s)))
  if ((left < need)); then
    echo "reliability: SKIPPED stage '$1': it needs about ${NEED[$1]} min and only $((left / 60)) min of CI's limit are left"
    return 1
  fi
}

need_clang() {
  local missing=()
  for p in clang libclang-rt-14-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "reliability: installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" != 0 ] && sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

run_asan() {
  need_clang
  local t0=$(date +%s)
  echo "reliability: building the test suite with -fsanitize=address,undefined (build-asan, clang)"
  CC=clang CXX=clang++ scripts/setup.sh build-asan -DMM_SANITIZE=address,undefined || return 1
  echo "reliability: asan build took $(( $(date +%s) - t0 )) s"
  # Every sanitizer report ends the process with an error; UBSan prints a stack. Leak
  # checking stays on, with suppressions for libraries outside this project (the files
  # say which and why).
  export ASAN_OPTIONS="abort_on_error=0:halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=0:strict_string_checks=1:suppressions=$ROOT/scripts/sanitizers/asan.supp"
  export LSAN_OPTIONS="suppressions=$ROOT/scripts/sanitizers/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$ROOT/scripts/sanitizers/ubsan.supp"
  # A sanitized build is slower: the watchdog gets more room. Two tests at a time: most of
  # the suite waits on JACK, X and the clock (each test has its own servers, display and
  # ports), and the sanitized build judges memory and undefined behaviour, not timing
  # (tests/TimingCheck.h).
  export MM_TEST_WATCHDOG_S=450
  # The status is kept and returned: this function runs on the left of `||`, where
  # `set -e` does not stop at a failing command, so a failure must be passed on by hand.
  local rc=0
  (cd build-asan && ctest --output-on-failure --timeout 900 --repeat until-pass:2 -j"${MM_ASAN_JOBS:-2}") || rc=$?
  echo "reliability: asan stage took $(( $(date +%s) - t0 )) s"
  return $rc
}

run_tsan() {
  need_clang
  local t0=$(date +%s)
  echo "reliability: building the engine's threading tests with -fsanitize=thread (build-tsan, clang)"
  # Only the test files with threading tests; no UI (its tests need a display and JACK).
  # test_realtime_alloc.cpp replaces operator new, which ThreadSanitizer's runtime defines
  # itself: its callback tests run in the ASan stage and the normal suite.
  CC=clang CXX=clang++ scripts/setup.sh build-tsan -DMM_SANITIZE=thread -DMM_BUILD_UI=OFF \
    "-DMM_TEST_FILTER=test_threads|test_model_switch|test_modulation" || return 1
  echo "reliability: tsan build took $(( $(date +%s) - t0 )) s"
  # halt_on_error: the first race fails the test process; the report names both threads.
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:history_size=4:suppressions=$ROOT/scripts/sanitizers/tsan.supp"
  export MM_TEST_WATCHDOG_S=450
  local rc=0
  (cd build-tsan && ./mm_tests "[threads],[switch]" --order lex) || rc=$?
  echo "reliability: tsan stage took $(( $(date +%s) - t0 )) s"
  return $rc
}

status=0
for s in "${stages[@]}"; do
  case "$s" in
    asan) if fits asan; then run_asan || status=1; fi ;;
    tsan) if fits tsan; then run_tsan || status=1; fi ;;
    fuzz) if fits fuzz; then scripts/fuzz.sh || status=1; fi ;;
    *) echo "usage: scripts/reliability.sh [fuzz] [tsan] [asan]" >&2; exit 2 ;;
  esac
done
exit $status
