#!/usr/bin/env bash
# `./mm run`: start the instrument on the bundled drum model.
# - a JACK server is running          -> play through it
# - a sound card exists (ALSA)        -> play through it
# - neither (a server, CI, a VM)      -> say so, render the bundled demo voice through the
#   model so there is something to hear, then start a JACK dummy server and play live
#   against it (headless when there is no display), recording to out/.
# Extra arguments go to `musicmill perform` (e.g. --set energy=0.8, --buffer 64).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
shift || true
MM="$BUILD/musicmill"
mkdir -p out

ui=()
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then ui=(--headless); fi

if jack_lsp >/dev/null 2>&1; then
  exec "$MM" perform --audio-api jack "${ui[@]}" "$@"
fi
if [ -r /proc/asound/cards ] && ! grep -q "no soundcards" /proc/asound/cards && [ -s /proc/asound/cards ]; then
  exec "$MM" perform "${ui[@]}" "$@"
fi

echo "musicmill: no sound card and no JACK server here."
echo "  1) Rendering the bundled demo voice through the bundled drum model:"
"$MM" render --in models/demo/beatbox_demo.wav --out out/demo_drums.wav
echo "     listen: $(pwd)/out/demo_drums.wav"
echo "  2) Starting a JACK dummy server and the live instrument against it (recording to out/)."
echo "     Connect any JACK client to musicmill:inport 0; Ctrl-C stops."
export JACK_NO_AUDIO_RESERVATION=1
# -R: realtime scheduling where the system allows it (jackd carries on without it otherwise).
jackd -R -d dummy -r 44100 -p 128 >out/jackd.log 2>&1 &
JACKD=$!
trap 'kill $JACKD 2>/dev/null || true' EXIT
for _ in $(seq 50); do jack_lsp >/dev/null 2>&1 && break; sleep 0.1; done
"$MM" perform --audio-api jack "${ui[@]}" --record out "$@"
