#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang, ASan + UBSan) and runs each for a bounded
# time from the checked-in corpus. Prints one summary line per target and exits non-zero
# when any target crashes (the crashing input is kept under build-fuzz/artifacts/).
#
# Usage: scripts/fuzz.sh [--merge] [--no-build] [TARGET...]
#   FUZZ_SECONDS=N   seconds per target (default 20)
#   FUZZ_JOBS=N      build parallelism (default: nproc)
#   --merge          afterwards, merge the new inputs into fuzz/corpus/TARGET (deliberate:
#                    review and commit them); without it the checked-in corpus is only read
#   --no-build       use the existing build-fuzz/
# Targets: setlist preset mapping trigger_profile osc midi_file model_metadata (default: all).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

MERGE=0
BUILD=1
TARGETS=()
for a in "$@"; do
  case "$a" in
    --merge) MERGE=1 ;;
    --no-build) BUILD=0 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "fuzz: unknown option $a" >&2; exit 2 ;;
    *) TARGETS+=("$a") ;;
  esac
done
ALL=(setlist preset mapping trigger_profile osc midi_file model_metadata)
((${#TARGETS[@]})) || TARGETS=("${ALL[@]}")
SECONDS_EACH="${FUZZ_SECONDS:-20}"

# Per format: input size limit and dictionary. Text files are a few KiB; OSC packets stay
# far below a UDP datagram; a performance MIDI file's structure shows in a few KiB.
max_len() { case "$1" in osc) echo 2048 ;; *) echo 8192 ;; esac; }
dict() {
  case "$1" in
    osc) echo fuzz/dict/osc.dict ;;
    midi_file) echo fuzz/dict/midi.dict ;;
    model_metadata) echo fuzz/dict/model.dict ;;
    *) echo fuzz/dict/toml.dict ;;
  esac
}

PACKAGES=(clang libclang-rt-14-dev cmake make pkg-config liblo-dev libtomlplusplus-dev libaubio-dev)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "fuzz: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

BUILD_DIR=build-fuzz
if ((BUILD)); then
  t0=$(date +%s)
  mkdir -p "$BUILD_DIR"
  CC=clang CXX=clang++ cmake -S fuzz -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$BUILD_DIR/cmake.log" 2>&1 \
    || { cat "$BUILD_DIR/cmake.log"; exit 1; }
  cmake --build "$BUILD_DIR" -j"${FUZZ_JOBS:-$(nproc)}" > "$BUILD_DIR/build.log" 2>&1 \
    || { tail -50 "$BUILD_DIR/build.log"; exit 1; }
  echo "fuzz: built the fuzz targets in $(( $(date +%s) - t0 )) s"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mm-fuzz-run.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$BUILD_DIR/artifacts"
failed=()
for t in "${TARGETS[@]}"; do
  bin="$ROOT/$BUILD_DIR/fuzz_$t"
  [ -x "$bin" ] || { echo "fuzz: no target '$t' (known: ${ALL[*]})" >&2; exit 2; }
  # The working corpus is a copy: new units land there, never in fuzz/corpus/ (CI).
  mkdir -p "$WORK/$t"
  cp -r "fuzz/corpus/$t/." "$WORK/$t/"
  seeds=$(find "$WORK/$t" -type f | wc -l)
  mkdir -p "$BUILD_DIR/artifacts/$t"
  log="$BUILD_DIR/artifacts/$t.log"
  rc=0
  # -timeout: one input running 10 s is a hang; -rss_limit_mb: a parser eating 2 GiB is a bug.
  (cd "$WORK" && "$bin" "$WORK/$t" -max_total_time="$SECONDS_EACH" -max_len="$(max_len "$t")" \
      -dict="$ROOT/$(dict "$t")" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$ROOT/$BUILD_DIR/artifacts/$t/") > "$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1 || true)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1 || true)
  cov=$( (grep -o 'cov: [0-9]*' "$log" || true) | tail -1 | cut -d' ' -f2)
  ft=$( (grep -o 'ft: [0-9]*' "$log" || true) | tail -1 | cut -d' ' -f2)
  units=$(( $(find "$WORK/$t" -type f | wc -l) - seeds ))
  crashes=0
  if ((rc != 0)); then
    # libFuzzer stops at the first crash, leak, timeout or out-of-memory: one input.
    crashes=1
    failed+=("$t")
  fi
  printf 'fuzz: %-16s runs %-9s exec/s %-7s cov %-5s ft %-6s new units %-4s crashes %s%s\n' \
    "$t" "${runs:-?}" "${speed:-?}" "${cov:-?}" "${ft:-?}" "$units" "$crashes" \
    "$( ((rc)) && echo "  (rc $rc; see $log)" )"
  if ((rc != 0)); then
    (grep -E 'ERROR:|runtime error|SUMMARY|Test unit written' "$log" || true) | head -5 | sed 's/^/      /'
  fi
  if ((MERGE)); then
    "$bin" -merge=1 "fuzz/corpus/$t" "$WORK/$t" -max_len="$(max_len "$t")" > "$WORK/$t.merge.log" 2>&1 \
      && echo "fuzz: merged new coverage into fuzz/corpus/$t ($(find "fuzz/corpus/$t" -type f | wc -l) files)"
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]} crashed; inputs in $BUILD_DIR/artifacts/<target>/ (add each as a regression test)"
  exit 1
fi
echo "fuzz: all ${#TARGETS[@]} target(s) ran ${SECONDS_EACH} s each without a crash"
