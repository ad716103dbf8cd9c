#!/usr/bin/env bash
# Runs every benchmark (bench/README.md) against a build made with -DMM_BUILD_BENCH=ON,
# prints the tables and writes bench/results/*.json and bench/results/tables.md.
# Usage: scripts/bench.sh [build-dir] [bench/run_bench.py options, e.g. --quick]
# (`make bench` builds with the option, then calls this.)
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR="${1:-build}"
shift || true
for exe in mm_bench_worker mm_bench_latency musicmill; do
  if [ ! -x "$BUILD_DIR/$exe" ]; then
    echo "bench: $BUILD_DIR/$exe is missing. Build with -DMM_BUILD_BENCH=ON (make bench does)." >&2
    exit 1
  fi
done

# The v2-size benchmark model (random weights, ~130 MB) is generated on demand, never
# committed; the delay fixture comes with the test build and is regenerated if missing.
BENCH_MODEL="$BUILD_DIR/bench/rave_v2_bench.ts"
if [ ! -f "$BENCH_MODEL" ]; then
  mkdir -p "$BUILD_DIR/bench"
  echo "bench: generating the v2-size benchmark model (about a minute)" >&2
  /usr/bin/python3 models/make_bench_model.py "$BENCH_MODEL.partial" --no-check >&2
  mv "$BENCH_MODEL.partial" "$BENCH_MODEL"
fi
DELAY_MODEL="$BUILD_DIR/fixtures/delay_44k.ts"
if [ ! -f "$DELAY_MODEL" ]; then
  /usr/bin/python3 tests/fixtures/make_models.py "$BUILD_DIR/fixtures" >&2
fi

exec /usr/bin/python3 bench/run_bench.py --build "$BUILD_DIR" --bench-model "$BENCH_MODEL" \
  --bundled models/musicmill_drums.ts --delay-model "$DELAY_MODEL" --out bench/results "$@"
