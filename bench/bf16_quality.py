#!/usr/bin/python3
"""bf16 weights against fp32: what a performer would hear change.

    /usr/bin/python3 bench/bf16_quality.py --musicmill build-bench/musicmill
        [--input models/demo/beatbox_demo.wav] [--models models/musicmill_drums.ts ...]
        [--out bench/results/bf16_quality.json]

Renders one input through each model with `musicmill render`, as live (one model frame a
call), three ways: the native executor in fp32 (the reference), the native executor with
`--weights bf16`, and TorchScript (`--executor torchscript`). Each output is compared with
the fp32 one by
  - the RMS of the difference, in dB of the fp32 output's RMS (what the load-time check
    bounds at -30 dB);
  - the multi-resolution STFT distance of models/training.py (spectral convergence + L1
    log magnitude, FFT 2048..64, averaged: the figure `musicmill train` reports on
    held-out audio, 0 for identical signals);
  - onset F (aubioonset on both, one-to-one matching within 50 ms) and the median onset
    offset.
For scale, the same measures between the two bundled drum models (musicmill_drums against
musicmill_drums_r128, both fp32): two trainings on the same data, a difference a
performer hears. Needs python3-torch, python3-numpy, aubio-tools.
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "models"))
import training  # noqa: E402

SCALES = [2048, 1024, 512, 256, 128, 64]


def read_wav(path: str) -> np.ndarray:
    """A WAV of 16-bit PCM or 32-bit float (what `musicmill render` writes) -> [C, T] float."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise SystemExit(f"bf16_quality: {path} is not a WAV file")
    pos, fmt, channels, bits, pcm = 12, None, 1, 16, None
    while pos + 8 <= len(data):
        tag, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + size]
        if tag == b"fmt ":
            fmt, channels = struct.unpack("<HH", body[:4])
            bits = struct.unpack("<H", body[14:16])[0]
        elif tag == b"data":
            pcm = body
        pos += 8 + size + (size & 1)
    if pcm is None or fmt is None:
        raise SystemExit(f"bf16_quality: {path} has no fmt or data chunk")
    if fmt == 3 and bits == 32:
        x = np.frombuffer(pcm, "<f4").astype(np.float64)
    elif fmt == 1 and bits == 16:
        x = np.frombuffer(pcm, "<i2").astype(np.float64) / 32768.0
    else:
        raise SystemExit(f"bf16_quality: {path}: format {fmt} with {bits} bits is not read here")
    return x.reshape(-1, channels).T


def render(musicmill: str, model: str, wav_in: str, wav_out: str, extra) -> dict:
    cmd = [musicmill, "render", "--model", model, "--in", wav_in, "--out", wav_out] + list(extra)
    run = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if run.returncode != 0:
        raise SystemExit(f"bf16_quality: {' '.join(cmd)} failed:\n{run.stdout}")
    return dict(command=" ".join(cmd[1:]), log=[line for line in run.stdout.splitlines() if line.strip()])


def compare(ref: np.ndarray, y: np.ndarray, tmp: str, tag: str) -> dict:
    n = min(ref.shape[1], y.shape[1])
    ref, y = ref[:, :n], y[:, :n]
    err = float(np.sum((ref - y) ** 2))
    level = float(np.sum(ref ** 2))
    loss = training.MRSTFT(SCALES)
    with torch.inference_mode():
        dist = float(loss(torch.from_numpy(y.astype(np.float32)).reshape(1, y.shape[0], -1),
                          torch.from_numpy(ref.astype(np.float32)).reshape(1, ref.shape[0], -1)))
    on_ref = training.aubio_onsets(ref.mean(0), tmp, tag + "_ref")
    on_y = training.aubio_onsets(y.mean(0), tmp, tag + "_y")
    return dict(difference_db=round(10 * np.log10(max(err, 1e-30) / max(level, 1e-30)), 1),
                mrstft_distance=round(dist, 4), onsets=training.onset_report(on_ref, on_y))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--musicmill", required=True, help="the musicmill binary")
    ap.add_argument("--input", default=os.path.join(ROOT, "models/demo/beatbox_demo.wav"))
    ap.add_argument("--models", nargs="+",
                    default=[os.path.join(ROOT, "models/musicmill_drums.ts"),
                             os.path.join(ROOT, "models/musicmill_drums_r128.ts")])
    ap.add_argument("--scale-pair", nargs=2, metavar=("A", "B"),
                    default=[os.path.join(ROOT, "models/musicmill_drums.ts"),
                             os.path.join(ROOT, "models/musicmill_drums_r128.ts")],
                    help="two different models whose fp32 outputs give the scale (empty strings: none)")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench/results/bf16_quality.json"))
    args = ap.parse_args()
    for p in [args.musicmill, args.input] + args.models:
        if not os.path.exists(p):
            raise SystemExit(f"bf16_quality: {p} does not exist")
    result = dict(date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), input=os.path.relpath(args.input, ROOT),
                  models={})
    with tempfile.TemporaryDirectory() as tmp:
        fp32_out = {}
        for model in args.models:
            name = os.path.basename(model)
            outs = {k: os.path.join(tmp, f"{name}_{k}.wav") for k in ("fp32", "bf16", "torchscript")}
            runs = dict(fp32=render(args.musicmill, model, args.input, outs["fp32"], []),
                        bf16=render(args.musicmill, model, args.input, outs["bf16"], ["--weights", "bf16"]),
                        torchscript=render(args.musicmill, model, args.input, outs["torchscript"],
                                           ["--executor", "torchscript"]))
            ref = read_wav(outs["fp32"])
            fp32_out[model] = ref
            entry = dict(renders=runs)
            for k in ("bf16", "torchscript"):
                entry[k + "_against_fp32"] = compare(ref, read_wav(outs[k]), tmp, f"{name}_{k}")
            result["models"][name] = entry
            b, t = entry["bf16_against_fp32"], entry["torchscript_against_fp32"]
            print(f"{name}: bf16 against fp32: {b['difference_db']} dB, MR-STFT {b['mrstft_distance']}, "
                  f"onset F {b['onsets']['f_measure']}; TorchScript against native fp32: {t['difference_db']} dB, "
                  f"MR-STFT {t['mrstft_distance']}, onset F {t['onsets']['f_measure']}")
        a, b = args.scale_pair
        if a and b:
            for m in (a, b):
                if m not in fp32_out:
                    out = os.path.join(tmp, os.path.basename(m) + "_scale.wav")
                    render(args.musicmill, m, args.input, out, [])
                    fp32_out[m] = read_wav(out)
            s = compare(fp32_out[a], fp32_out[b], tmp, "scale")
            result["scale"] = dict(a=os.path.basename(a), b=os.path.basename(b), **s)
            print(f"scale: {os.path.basename(b)} against {os.path.basename(a)} (fp32): {s['difference_db']} dB, "
                  f"MR-STFT {s['mrstft_distance']}, onset F {s['onsets']['f_measure']}")
    tmp_out = args.out + ".tmp"
    with open(tmp_out, "w") as f:
        json.dump(result, f, indent=1)
    os.replace(tmp_out, args.out)
    print("wrote", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
