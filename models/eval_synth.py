#!/usr/bin/python3
"""How a pitched (synth) model follows a voice: pitch, loudness and timbre on held-out
voice-like input the project makes itself.

    /usr/bin/python3 models/eval_synth.py --model MODEL.ts [--instruments DIR] [--out RESULT.json]
                                          [--keep DIR]

Needs: python3-torch, python3-numpy, python3-aubio, espeak-ng, sox.

Input (seeded, 44.1 kHz):
  * "glottal": a sung line from a synthetic glottal source (Rosenberg pulses) with legato
    notes between MIDI 45 and 76 (110..660 Hz), 50 ms glides, 5.5 Hz vibrato of +-30 cents
    after each note's onset, swells, through the formants of five vowels (one per note) and
    a little breath noise;
  * "espeak": espeak-ng singing syllables ("la", "na", "oo", "ah") in a male and a female
    voice at three pitch settings.
Each is played through a fresh load of the model in blocks of R (encode then decode).

Measures, per input and together:
  * pitch: aubio yin on input and output; over the input's voiced frames (confidence >= 0.8),
    the share voiced in the output and the median absolute difference in cents;
  * loudness: the correlation of the input's and the output's RMS envelopes (dB, 512-sample
    hops) over the frames where the input is above -50 dB;
  * timbre (with --instruments, a folder of held-out instrument recordings): the distance of
    MFCC-frame statistics (mean and standard deviation of coefficients 1..12, aubio, active
    frames) of the output to those of the instruments, against the input voice's distance to
    them; the factor voice/output says how much nearer the instruments the output is.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import wave

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import training  # noqa: E402

SR = 44100
VOWELS = {"a": (800, 1150, 2900), "e": (400, 1700, 2600), "i": (300, 2200, 3000), "o": (450, 800, 2830),
          "u": (325, 700, 2530)}


def resonate(x: np.ndarray, freq: float, bw: float) -> np.ndarray:
    """A two-pole resonator (unit gain at its peak), sample by sample."""
    r = np.exp(-np.pi * bw / SR)
    a1, a2 = -2 * r * np.cos(2 * np.pi * freq / SR), r * r
    g = (1 - r) * np.sqrt(1 - 2 * r * np.cos(4 * np.pi * freq / SR) + r * r)
    y = np.zeros_like(x)
    y1 = y2 = 0.0
    for i, v in enumerate(x.tolist()):
        y0 = g * v - a1 * y1 - a2 * y2
        y[i] = y0
        y2, y1 = y1, y0
    return y


def glottal_line(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """A sung line: f0 contour with glides and vibrato, Rosenberg pulses, vowel formants."""
    n = int(seconds * SR)
    f0 = np.zeros(n)
    amp = np.zeros(n)
    vowel_of = np.zeros(n, dtype=int)
    t = 0
    prev = None
    names = list(VOWELS)
    while t < n:
        length = int(rng.uniform(0.4, 1.2) * SR)
        key = int(rng.integers(45, 77))
        hz = 440.0 * 2 ** ((key - 69) / 12)
        seg = np.full(length, hz)
        if prev is not None:  # a 50 ms glide from the previous note
            g = min(length, int(0.05 * SR))
            seg[:g] = prev * (hz / prev) ** (np.arange(g) / g)
        i = np.arange(length) / SR
        vib = np.where(i > 0.2, 30 * np.sin(2 * np.pi * 5.5 * (i - 0.2)), 0.0)
        seg = seg * 2 ** (vib / 1200)
        env = np.minimum(1, i / 0.04) * np.minimum(1, (length / SR - i) / 0.06 + 0.2)
        env = env * rng.uniform(0.3, 1.0) * (1 + 0.3 * np.sin(np.pi * i / (length / SR)))
        m = min(length, n - t)
        f0[t:t + m], amp[t:t + m] = seg[:m], env[:m]
        vowel_of[t:t + m] = int(rng.integers(len(names)))
        prev = hz
        t += length
        if rng.random() < 0.25:  # a breath between phrases
            gap = int(rng.uniform(0.15, 0.4) * SR)
            amp[t:t + gap] = 0.0
            t += gap
    phase = np.cumsum(f0 / SR) % 1.0
    pulse = np.where(phase < 0.4, 0.5 * (1 - np.cos(np.pi * phase / 0.4)),
                     np.where(phase < 0.56, np.cos(np.pi * (phase - 0.4) / 0.32), 0.0))
    src = np.diff(pulse, prepend=0.0) * amp
    src = src + 0.003 * rng.standard_normal(n) * amp
    out = np.zeros(n)
    for v, name in enumerate(names):  # each vowel's formants over its own notes
        mask = (vowel_of == v).astype(float)
        if not mask.any():
            continue
        part = src * mask
        y = sum(resonate(part, f, 60 + 0.05 * f) * w for f, w in zip(VOWELS[name], (1.0, 0.5, 0.25)))
        out += y
    return (out / (np.abs(out).max() + 1e-9) * 0.5).astype(np.float32)


def espeak_line(td: str, rng: np.random.Generator) -> np.ndarray:
    """espeak-ng singing syllables, two voices at three pitches, resampled to 44.1 kHz."""
    pieces = []
    for voice in ("en", "en+f3"):
        for pitch in (25, 50, 80):
            words = " ".join(rng.choice(["laa", "naa", "ooo", "aah", "lee", "maa"], 6))
            raw, wav = os.path.join(td, "es.wav"), os.path.join(td, "es44.wav")
            subprocess.run(["espeak-ng", "-v", voice, "-p", str(pitch), "-s", "90", "-w", raw, words], check=True)
            subprocess.run(["sox", raw, "-r", str(SR), "-c", "1", "-b", "32", "-e", "floating-point", wav], check=True)
            pieces.append(read_mono(wav))
            pieces.append(np.zeros(int(0.2 * SR), np.float32))
    x = np.concatenate(pieces)
    return (x / (np.abs(x).max() + 1e-9) * 0.5).astype(np.float32)


def read_mono(path: str) -> np.ndarray:
    out = subprocess.run(["sox", path, "-t", "f32", "-r", str(SR), "-c", "1", "-"], check=True,
                         capture_output=True).stdout
    return np.frombuffer(out, dtype=np.float32).copy()


def rms_db(x: np.ndarray, hop: int = 512) -> np.ndarray:
    n = len(x) // hop
    frames = x[: n * hop].reshape(n, hop).astype(np.float64)
    return 10 * np.log10((frames ** 2).mean(1) + 1e-10)


def loudness_report(x: np.ndarray, y: np.ndarray) -> dict:
    dx, dy = rms_db(x), rms_db(y)
    n = min(len(dx), len(dy))
    dx, dy = dx[:n], dy[:n]
    active = dx > -50
    corr = float(np.corrcoef(dx[active], dy[active])[0, 1]) if active.sum() > 2 else None
    return dict(active_frames=int(active.sum()), correlation=round(corr, 4) if corr is not None else None)


def mfcc_stats(x: np.ndarray) -> np.ndarray:
    import aubio
    win, hop = 1024, 512
    pv = aubio.pvoc(win, hop)
    mf = aubio.mfcc(win, 40, 13, SR)
    x = np.ascontiguousarray(x, dtype=np.float32)
    rows = []
    for i in range(0, len(x) - hop + 1, hop):
        frame = x[i:i + hop]
        spec = pv(frame)
        c = mf(spec)
        if np.sqrt(np.mean(frame ** 2)) > 10 ** (-50 / 20):
            rows.append(np.array(c[1:13]))
    m = np.array(rows) if rows else np.zeros((1, 12))
    return np.concatenate([m.mean(0), m.std(0)])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--instruments", default="", help="a folder of held-out instrument audio (timbre reference)")
    ap.add_argument("--out", default="")
    ap.add_argument("--keep", default="", help="write the inputs and outputs as WAVs here")
    ap.add_argument("--seed", type=int, default=21)
    args = ap.parse_args()
    import torch
    torch.set_num_threads(1)
    m = torch.jit.load(args.model)
    ratio = int(m.encode_params[3])
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as td:
        inputs = {"glottal": glottal_line(30.0, rng), "espeak": espeak_line(td, rng)}
    result = dict(model=os.path.abspath(args.model), ratio=ratio, seed=args.seed, inputs={})
    outs = {}
    for name, x in inputs.items():
        x = x[: len(x) // ratio * ratio]
        y = training.render_stream(args.model, x, ratio)
        outs[name] = y
        result["inputs"][name] = dict(seconds=round(len(x) / SR, 2), pitch=training.pitch_report(x, y, SR),
                                      loudness=loudness_report(x, y))
        if args.keep:
            os.makedirs(args.keep, exist_ok=True)
            training.write_wav(os.path.join(args.keep, name + "_in.wav"), x)
            training.write_wav(os.path.join(args.keep, name + "_out.wav"), y)
    x_all = np.concatenate(list(inputs.values()))
    y_all = np.concatenate(list(outs.values()))
    result["pitch"] = training.pitch_report(np.concatenate([v[: len(v) // ratio * ratio] for v in inputs.values()]),
                                            y_all, SR)
    result["loudness"] = loudness_report(np.concatenate([v[: len(v) // ratio * ratio] for v in inputs.values()]),
                                         y_all)
    if args.instruments:
        files = sorted(glob.glob(os.path.join(args.instruments, "**", "*.wav"), recursive=True))
        if not files:
            raise SystemExit(f"eval_synth: no .wav files in {args.instruments}")
        ref = mfcc_stats(np.concatenate([read_mono(f) for f in files[:: max(1, len(files) // 40)]]))
        d_voice = float(np.linalg.norm(mfcc_stats(x_all) - ref))
        d_out = float(np.linalg.norm(mfcc_stats(y_all) - ref))
        result["timbre"] = dict(reference=os.path.abspath(args.instruments), distance_voice=round(d_voice, 3),
                                distance_output=round(d_out, 3), factor=round(d_voice / max(d_out, 1e-9), 3))
    text = json.dumps(result, indent=1)
    if args.out:
        with open(args.out + ".tmp", "w") as f:
            f.write(text)
        os.replace(args.out + ".tmp", args.out)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
