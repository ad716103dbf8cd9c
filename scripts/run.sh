#!/usr/bin/env bash
# `make run`: start the instrument on the bundled model.
# Until the live engine lands this renders the bundled demo voice through the bundled
# drum model and says where the WAV is.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
mkdir -p out
"$BUILD/musicmill" render --in models/demo/beatbox_demo.wav --out out/demo_drums.wav
echo "Listen: $(pwd)/out/demo_drums.wav (input: models/demo/beatbox_demo.wav)"
