#!/usr/bin/env bash
# The long soak (issue 11): the real instrument through a private JACK dummy server for
# MINUTES minutes under a MIDI storm, OSC parameter changes, preset/model switches every
# 2 s and a CPU hog on one core; writes bench/results/soak.txt and soak.json.
# Usage: scripts/soak.sh [MINUTES (default 10)] [build-dir (default build-bench)] [mm_soak options]
# The build needs -DMM_BUILD_BENCH=ON (make bench makes one); the fixture models come with
# the test build (MM_BUILD_TESTS, on by default) and are generated here if missing.
# The CI version (about 60 s) is the ctest case "soak: ..." ([soak][jack], tests/test_soak.cpp).
set -euo pipefail
cd "$(dirname "$0")/.."

MINUTES="${1:-10}"
shift || true
BUILD_DIR="${1:-build-bench}"
shift || true
for exe in mm_soak musicmill; do
  if [ ! -x "$BUILD_DIR/$exe" ]; then
    echo "soak: $BUILD_DIR/$exe is missing. Build with -DMM_BUILD_BENCH=ON: cmake --build $BUILD_DIR --target mm_soak" >&2
    exit 1
  fi
done
if [ ! -f "$BUILD_DIR/fixtures/v2_48k.ts" ]; then
  /usr/bin/python3 tests/fixtures/make_models.py "$BUILD_DIR/fixtures" >&2
fi
exec "$BUILD_DIR/mm_soak" --minutes "$MINUTES" --out bench/results/soak "$@"
