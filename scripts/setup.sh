#!/usr/bin/env bash
# Installs every Debian package MusicMill Live needs (idempotent), then builds.
# Usage: scripts/setup.sh [build-dir] [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config make
  libtorch-dev libopenblas0 libopenblas-dev python3-torch python3-numpy
  librtaudio-dev librtmidi-dev libaubio-dev libsdl2-dev libimgui-dev libstb-dev fonts-dejavu-core catch2
  libsndfile1-dev libsamplerate0-dev liblo-dev liblo-tools libtomlplusplus-dev
  jackd2 libjack-jackd2-dev xvfb
  python3-aubio aubio-tools espeak-ng sox hydrogen-drumkits
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  # jackd2 asks whether to enable realtime priority; answer for it.
  echo "jackd2 jackd/tweak_rt_limits boolean true" | $SUDO debconf-set-selections || true
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

BUILD_DIR="${1:-build}"
shift || true
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" > "$BUILD_DIR.cmake.log" 2>&1 \
  || { cat "$BUILD_DIR.cmake.log"; exit 1; }
cmake --build "$BUILD_DIR" -j"$(nproc)"
