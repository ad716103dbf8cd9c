#!/usr/bin/python3
"""Training audio for the synth model: MIDI phrases the project writes, played by
Debian's sampled instruments through fluidsynth.

    /usr/bin/python3 models/synth_data.py --out DIR [--seconds-per-part 20] [--seed 7]

Needs: fluidsynth, fluid-soundfont-gm (FluidR3_GM.sf2), timgm6mb-soundfont (TimGM6mb.sf2)
and musescore-general-soundfont (MuseScore_General.sf3), all Debian packages:

    sudo apt-get install fluidsynth fluid-soundfont-gm timgm6mb-soundfont musescore-general-soundfont

Writes DIR/train/*.wav (FluidR3 GM and MuseScore General, which is partly made from
FluidR3) and DIR/eval/*.wav (TimGM6mb, held out: other recordings of the same kinds of
instrument), 44.1 kHz, dry (reverb and chorus off), for
`musicmill train --data DIR/train --eval DIR/eval`.

Per instrument (pads, strings, organ, leads, bass, brass, flutes, choir) four kinds of
phrase: sustained notes, legato melodies, slides (pitch bend over up to a fifth) and, for
the instruments that play them, chords; velocities 35..120, note lengths 0.12..4 s,
expression swells, some vibrato (modulation wheel).  The pitches keep to each instrument's
register within MIDI 38..86 (73..1175 Hz): the range of a singing voice.  Seeded.
"""
import argparse
import os
import struct
import subprocess
import sys
import tempfile
import wave

import numpy as np

# MuseScore General is partly made from FluidR3's samples, so the two train together and
# TimGM6mb (recorded and programmed apart from them) is held out.
SOUNDFONTS = {
    "train": [("fluidr3", "/usr/share/sounds/sf2/FluidR3_GM.sf2"), ("musescore", "/usr/share/sounds/sf3/MuseScore_General.sf3")],
    "eval": [("timgm6mb", "/usr/share/sounds/sf2/TimGM6mb.sf2")],
}
# family: (GM programs, 0-based), lowest and highest MIDI note, whether it plays chords
FAMILIES = {
    "pad": ([88, 89, 90, 94, 95], 45, 84, True),
    "strings": ([48, 49, 40, 42], 40, 86, True),
    "organ": ([16, 17, 19], 40, 84, True),
    "lead": ([80, 81, 82, 85, 87], 48, 86, False),
    "bass": ([32, 33, 38, 39], 38, 60, False),
    "brass": ([56, 57, 61, 62], 42, 80, True),
    "flute": ([73, 75, 79, 71], 55, 86, False),
    "choir": ([52, 53], 45, 81, True),
}
TICKS = 480  # per quarter note; tempo 500000 us -> 1 tick = 1/960 s
SCALES = [[0, 2, 4, 5, 7, 9, 11], [0, 2, 3, 5, 7, 8, 10], [0, 3, 5, 7, 10], [0, 2, 4, 7, 9]]


def varlen(n: int) -> bytes:
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def write_midi(path: str, events) -> None:
    """events: (seconds, bytes) pairs; a format-0 file at 120 BPM."""
    track = bytearray(b"\x00\xff\x51\x03\x07\xa1\x20")  # tempo 500000 us a quarter
    now = 0
    for t, msg in sorted(events, key=lambda e: (e[0], e[1][0] & 0xF0 == 0x90)):
        tick = int(round(t * 2 * TICKS))
        track += varlen(max(0, tick - now)) + msg
        now = max(now, tick)
    track += b"\x00\xff\x2f\x00"
    with open(path, "wb") as f:
        f.write(b"MThd" + struct.pack(">IHHH", 6, 0, 1, TICKS))
        f.write(b"MTrk" + struct.pack(">I", len(track)) + bytes(track))


def cc(t, n, v):
    return (t, bytes([0xB0, n, int(v)]))


def note(t, length, key, vel):
    return [(t, bytes([0x90, key, vel])), (t + length, bytes([0x80, key, 0]))]


def bend(t, semitones, span=12):
    v = int(round(8192 + 8191 * max(-1.0, min(1.0, semitones / span))))
    return (t, bytes([0xE0, v & 0x7F, v >> 7]))


def swell(t0, t1, lo, hi, rng, out):
    """Expression (CC 11) up and back down over [t0, t1]."""
    n = max(2, int((t1 - t0) / 0.05))
    peak = rng.uniform(0.3, 0.8)
    for i in range(n + 1):
        u = i / n
        shape = u / peak if u < peak else (1 - u) / (1 - peak)
        out.append(cc(t0 + u * (t1 - t0), 11, lo + (hi - lo) * shape))


def phrase(kind, lo, hi, seconds, rng):
    """The events of one phrase of the given kind, within MIDI notes lo..hi."""
    ev = [cc(0, 101, 0), cc(0, 100, 0), cc(0, 6, 12), cc(0, 38, 0), cc(0, 11, 127), cc(0, 1, 0), bend(0, 0)]
    t = 0.2
    root = int(rng.integers(0, 12))
    scale = SCALES[int(rng.integers(len(SCALES)))]
    keys = [k for k in range(lo, hi + 1) if (k - root) % 12 in scale]
    while t < seconds - 0.5:
        vel = int(rng.integers(35, 121))
        if kind == "sustained":
            length = float(rng.uniform(0.8, 4.0))
            k = int(rng.integers(lo, hi + 1))
            ev += note(t, length, k, vel)
            if rng.random() < 0.5:
                swell(t, t + length, 50, 127, rng, ev)
            if rng.random() < 0.4:
                ev += [cc(t + length * 0.4, 1, int(rng.integers(30, 90))), cc(t + length, 1, 0)]
            t += length + float(rng.uniform(0.05, 0.8))
        elif kind == "melody":
            i = int(rng.integers(len(keys)))
            for _ in range(int(rng.integers(4, 14))):
                length = float(rng.choice([0.12, 0.18, 0.25, 0.35, 0.5, 0.75]))
                legato = length * (1.1 if rng.random() < 0.7 else 0.8)
                ev += note(t, legato, keys[i], int(np.clip(vel + rng.integers(-15, 16), 30, 127)))
                t += length
                i = int(np.clip(i + rng.choice([-3, -2, -1, -1, 1, 1, 2, 3, 0]), 0, len(keys) - 1))
            t += float(rng.uniform(0.1, 0.6))
        elif kind == "slide":
            k = int(rng.integers(lo + 7, hi - 6))
            length = float(rng.uniform(0.8, 2.5))
            target = float(rng.uniform(-7, 7))
            ev += note(t, length, k, vel)
            a, b = t + length * rng.uniform(0.1, 0.4), t + length * rng.uniform(0.5, 0.9)
            for j in range(21):
                ev.append(bend(a + (b - a) * j / 20, target * j / 20))
            ev.append(bend(t + length + 0.01, 0))
            t += length + float(rng.uniform(0.1, 0.5))
        else:  # chords
            length = float(rng.uniform(0.6, 3.0))
            base = int(rng.integers(lo, max(lo + 1, hi - 12)))
            shape = [[0, 4, 7], [0, 3, 7], [0, 4, 7, 11], [0, 5, 7], [0, 3, 7, 10]][int(rng.integers(5))]
            for s in shape:
                if base + s <= hi:
                    ev += note(t, length, base + s, int(np.clip(vel + rng.integers(-10, 11), 30, 127)))
            t += length + float(rng.uniform(0.05, 0.5))
    return ev


def render(sf: str, midi: str, wav: str) -> None:
    subprocess.run(["fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-g", "0.5", "-r", "44100", "-F", wav, sf, midi],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def read_wav(path: str) -> np.ndarray:
    with wave.open(path) as w:
        assert w.getsampwidth() == 2 and w.getframerate() == 44100, path
        x = np.frombuffer(w.readframes(w.getnframes()), "<i2").reshape(-1, w.getnchannels())
    return x


def write_wav(path: str, x: np.ndarray) -> None:
    with wave.open(path, "wb") as w:
        w.setnchannels(x.shape[1])
        w.setsampwidth(2)
        w.setframerate(44100)
        w.writeframes(np.ascontiguousarray(x).tobytes())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seconds-per-part", type=float, default=20.0)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    missing = [p for fonts in SOUNDFONTS.values() for _, p in fonts if not os.path.exists(p)]
    if missing:
        raise SystemExit("synth_data: missing " + ", ".join(missing) + " (sudo apt-get install fluidsynth "
                         "fluid-soundfont-gm timgm6mb-soundfont musescore-general-soundfont)")
    rng = np.random.default_rng(args.seed)
    # All parts of a set in one MIDI file, one after another with a second of silence
    # between them (so each soundfont loads once), then the recording is cut into them.
    parts = {}
    for part in SOUNDFONTS:
        t0, events, cuts = 0.0, [], []
        for family, (programs, lo, hi, chords) in FAMILIES.items():
            for program in programs:
                for kind in ["sustained", "melody", "slide"] + (["chords"] if chords else []):
                    ev = phrase(kind, lo, hi, args.seconds_per_part, rng)
                    end = max(t for t, _ in ev) + 1.0
                    events.append((t0, bytes([0xC0, program])))
                    events += [(t0 + t, m) for t, m in ev]
                    events += [(t0 + end - 0.5, bytes([0xB0, 123, 0])), (t0 + end - 0.5, bytes([0xB0, 121, 0]))]
                    cuts.append((f"{family}_{program:03d}_{kind}", t0, t0 + end))
                    t0 += end + 1.0
        parts[part] = (events, cuts)
    count = 0
    with tempfile.TemporaryDirectory() as td:
        for part, fonts in SOUNDFONTS.items():
            events, cuts = parts[part]
            os.makedirs(os.path.join(args.out, part), exist_ok=True)
            midi = os.path.join(td, part + ".mid")
            write_midi(midi, events)
            for sf_name, sf in fonts:
                whole = os.path.join(td, sf_name + ".wav")
                render(sf, midi, whole)
                x = read_wav(whole)
                for name, a, b in cuts:
                    write_wav(os.path.join(args.out, part, f"{sf_name}_{name}.wav"), x[int(a * 44100):int(b * 44100)])
                    count += 1
                print(f"synth_data: {part}: {sf_name}: {len(cuts)} phrases, {len(x) / 44100 / 60:.1f} min", flush=True)
    print(f"synth_data: {count} files in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
