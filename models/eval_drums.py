#!/usr/bin/python3
"""Evaluate the bundled drum model on the held-out kit and on vocal-percussion input.

    /usr/bin/python3 models/eval_drums.py [--model models/musicmill_drums.ts]
                                           [--out models/eval_results.json]

Needs: python3-torch, python3-numpy, sox, aubio-tools (aubioonset), espeak-ng,
hydrogen-drumkits.  Writes a JSON of results (default models/eval_results.json).

1. Held-out kit (drum_data.HELD_OUT_KITS): 60 s of random patterns (seeded), rendered
   through a FRESH load of the model in streaming blocks of R (encode then decode per
   block).  Multi-resolution STFT distance (the training loss: spectral convergence +
   L1 log magnitude, FFT 2048..64, averaged) of the reconstruction to the input, beside
   two baselines: silence, and white noise shaped by the input's own loudness
   envelope (RMS per 256 samples, linearly interpolated).  Onset F-measure (50 ms
   tolerance, one-to-one matching) of aubio onsets of the reconstruction vs aubio
   onsets of the input (also vs the known hit times).
2. Voice to drums: vocal-percussion-like input, 120 BPM eighth-note grid with rests:
   espeak-ng saying "b", "t", "k", "ts" (phoneme input) in two voices (en, en+f3), and
   synthesised plosives/hisses.  Rendered through a fresh load in blocks of R.  Onset
   F-measure of output vs input onsets (aubio on both) and the median offset
   (output - input) of matched onsets, in ms.
3. Per-frame compute at batch 1 in Python, torch.set_num_threads(1): encode+decode of
   one R-sample block, median and p99 over 2000 frames (and 4R blocks), with the
   1-minute load average at the time (the numbers mean little on a busy machine;
   `--timing-only` re-measures just these and updates the JSON).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import drum_data  # noqa: E402
from drum_data import SR  # noqa: E402
from train_drums import CONFIG  # noqa: E402
from training import MRSTFT, aubio_onsets, make_pattern, onset_report, render_stream, write_wav  # noqa: E402


def held_out_audio(seconds: float, seed: int, ratio: int):
    samples = drum_data.load_kits(drum_data.HELD_OUT_KITS)
    rng = np.random.default_rng(seed)
    seg = 5 * SR
    xs, onsets = [], []
    for k in range(int(seconds // 5)):
        x, on = make_pattern(samples, seg, rng, SR, drum_data.MAX_SAMPLE_SECONDS, return_onsets=True)
        xs.append(x)
        onsets.append((on + k * seg) / SR)
    x = np.concatenate(xs)
    n = len(x) // (4 * ratio) * (4 * ratio)
    on = np.concatenate(onsets)
    return x[:n], on[on < n / SR]


def envelope_noise(x: np.ndarray, seed: int, hop: int = 256) -> np.ndarray:
    n = len(x) // hop * hop
    rms = np.sqrt((x[:n].reshape(-1, hop) ** 2).mean(1))
    t = np.arange(len(rms)) * hop + hop / 2
    env = np.interp(np.arange(len(x)), t, rms)
    return (env * np.random.default_rng(seed).standard_normal(len(x))).astype(np.float32)


def espeak(text: str, voice: str, tmpdir: str) -> np.ndarray:
    f = os.path.join(tmpdir, "espeak.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", "250", "-w", f, text], check=True)
    return drum_data.read_audio(f)


def trim_norm(x: np.ndarray, peak: float) -> np.ndarray:
    a = np.abs(x)
    idx = np.nonzero(a > a.max() * 0.02)[0]
    x = x[idx[0]:idx[-1] + 1]
    return (x * peak / np.abs(x).max()).astype(np.float32)


def synth_sounds(rng) -> dict:
    """Synthesised vocal-percussion stand-ins: plosives and hisses."""
    def t_(d):
        return np.arange(int(d * SR)) / SR

    def hp(x, a=0.9):  # one-pole high-pass
        y = np.zeros_like(x)
        prev_x = prev_y = 0.0
        for i, v in enumerate(x):
            prev_y = a * (prev_y + v - prev_x)
            prev_x = v
            y[i] = prev_y
        return y

    def lp(x, a=0.2):
        y = np.zeros_like(x)
        s = 0.0
        for i, v in enumerate(x):
            s += a * (v - s)
            y[i] = s
        return y

    t = t_(0.18)
    b = np.sin(2 * np.pi * (60 * t + 90 / 25 * (1 - np.exp(-25 * t)))) * np.exp(-t / 0.05)
    b[:200] += lp(rng.standard_normal(200), 0.1) * 0.5
    tt = t_(0.04)
    tk = hp(rng.standard_normal(len(tt)), 0.7) * np.exp(-tt / 0.008)
    tk_ = t_(0.06)
    k = lp(hp(rng.standard_normal(len(tk_)), 0.8), 0.5) * np.exp(-tk_ / 0.015)
    ts_ = t_(0.12)
    ts = hp(rng.standard_normal(len(ts_)), 0.5) * np.minimum(1, ts_ / 0.003) * np.exp(-ts_ / 0.04)
    return {name: (s / np.abs(s).max()).astype(np.float32)
            for name, s in dict(b=b, t=tk, k=k, ts=ts).items()}


def voice_input(tmpdir: str, seed: int, ratio: int):
    """Three 16-second parts at 120 BPM eighths (250 ms grid), ~20% rests:
    espeak-ng voice en, espeak-ng voice en+f3, synthesised."""
    rng = np.random.default_rng(seed)
    phon = {"b": "[[bU]]", "t": "[[t]]", "k": "[[k]]", "ts": "[[ts]]"}
    parts = []
    for voice in ("en", "en+f3"):
        parts.append((f"espeak-ng {voice}",
                      {k: trim_norm(espeak(v, voice, tmpdir), 1.0) for k, v in phon.items()}))
    parts.append(("synthesised", synth_sounds(rng)))
    step = int(0.25 * SR)
    n_steps = 64
    pattern = ["b", "ts", "t", "ts", "k", "ts", "t", "ts"]
    signals, truth = [], []
    for pi, (name, snd) in enumerate(parts):
        y = np.zeros(n_steps * step + SR // 2, np.float32)
        on = []
        for i in range(n_steps):
            if rng.random() < 0.2:
                continue
            s = snd[pattern[i % len(pattern)]]
            g = 10 ** (rng.uniform(-9, 0) / 20)
            a = i * step + step // 2
            m = min(len(s), step)  # cut at the next grid step, as a mouth would
            y[a:a + m] += g * s[:m] * np.linspace(1, 0, m) ** 0.3
            on.append(a)
        y *= 0.5 / np.abs(y).max()
        signals.append(y)
        truth.append((name, np.array(on)))
    offsets = np.cumsum([0] + [len(s) for s in signals[:-1]])
    x = np.concatenate(signals)
    n = len(x) // ratio * ratio
    return x[:n], [(name, on + o, o, o + len(s))
                   for (name, on), o, s in zip(truth, offsets, signals)]


def frame_timing(path: str, x: np.ndarray, block: int, frames: int = 2000):
    torch.set_num_threads(1)
    m = torch.jit.load(path)
    xt = torch.from_numpy(x.astype(np.float32)).reshape(1, 1, -1)
    ts, cs = [], []
    with torch.inference_mode():
        for i in range(frames + 100):
            a = (i * block) % (xt.shape[-1] - block)
            xb = xt[:, :, a:a + block]
            c0 = time.thread_time()
            t0 = time.perf_counter()
            m.decode(m.encode(xb))
            ts.append(time.perf_counter() - t0)
            cs.append(time.thread_time() - c0)
    ts = np.array(ts[100:]) * 1000
    cs = np.array(cs[100:]) * 1000
    return dict(block=block, frames=frames, load_average_1min=round(os.getloadavg()[0], 2),
                median_ms=round(float(np.median(ts)), 4),
                p99_ms=round(float(np.percentile(ts, 99)), 4),
                max_ms=round(float(ts.max()), 4),
                # CPU time of this thread: what the frame costs, excluding time the
                # scheduler gave to other processes (matters on a busy machine)
                cpu_median_ms=round(float(np.median(cs)), 4),
                cpu_p99_ms=round(float(np.percentile(cs, 99)), 4),
                frame_duration_ms=round(1000 * block / SR, 3))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(HERE, "musicmill_drums.ts"))
    ap.add_argument("--out", default=os.path.join(HERE, "eval_results.json"))
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--save-audio", default="", help="folder to write the wavs to")
    ap.add_argument("--timing-only", action="store_true",
                    help="only re-measure the per-frame times, updating --out")
    args = ap.parse_args()
    torch.set_flush_denormal(True)
    if args.timing_only:
        with open(args.out) as f:
            res = json.load(f)
        x, _ = held_out_audio(10.0, args.seed, 256)
        R = res["ratio"]
        res["python_per_frame"] = frame_timing(args.model, x, R)
        res["python_per_4frames"] = frame_timing(args.model, x, 4 * R, 1000)
        with open(args.out, "w") as f:
            json.dump(res, f, indent=1)
        print(json.dumps({k: res[k] for k in ("python_per_frame", "python_per_4frames")},
                         indent=1))
        return
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)  # 2 OpenMP threads crawl on a busy machine
    probe = torch.jit.load(args.model)
    R = int(probe.encode_params[3])
    res = dict(model=os.path.relpath(args.model, os.path.dirname(HERE)), ratio=R,
               sr=int(probe.sr), latent_size=int(probe.latent_size),
               params=int(sum(p.numel() for p in probe.parameters())),
               held_out_kits=drum_data.HELD_OUT_KITS)
    del probe
    tmp = tempfile.mkdtemp(prefix="mm_eval_")

    # 1. held-out kit
    x, hits = held_out_audio(args.seconds, args.seed, R)
    y = render_stream(args.model, x, R)
    y4 = render_stream(args.model, x, 4 * R)
    loss = MRSTFT(CONFIG["scales"])
    xt = torch.from_numpy(x).reshape(1, 1, -1)

    def dist(a):
        with torch.no_grad():
            return round(float(loss(torch.from_numpy(a).reshape(1, 1, -1), xt)), 4)
    on_x = aubio_onsets(x, tmp, "heldout_in")
    on_y = aubio_onsets(y, tmp, "heldout_out")
    res["held_out"] = dict(
        seconds=round(len(x) / SR, 2), n_hits=int(len(hits)),
        mrstft_model=dist(y), mrstft_silence=dist(np.zeros_like(x)),
        mrstft_envelope_noise=dist(envelope_noise(x, args.seed)),
        stream_R_vs_4R_max_abs_diff=float(np.abs(y - y4).max()),
        onsets_recon_vs_input=onset_report(on_x, on_y),
        onsets_recon_vs_hit_times=onset_report(hits, on_y),
        onsets_input_vs_hit_times=onset_report(hits, on_x),
        rms_in=float(np.sqrt((x ** 2).mean())), rms_out=float(np.sqrt((y ** 2).mean())))

    print("held-out kit done", flush=True)

    # 2. voice to drums
    v, parts = voice_input(tmp, args.seed, R)
    vy = render_stream(args.model, v, R)
    on_v = aubio_onsets(v, tmp, "voice_in")
    on_vy = aubio_onsets(vy, tmp, "voice_out")
    vres = dict(seconds=round(len(v) / SR, 2), block=R,
                all=onset_report(on_v, on_vy),
                output_vs_placed_times=onset_report(np.concatenate([p[1] for p in parts]) / SR,
                                                    on_vy),
                input_vs_placed_times=onset_report(np.concatenate([p[1] for p in parts]) / SR,
                                                   on_v))
    for name, _, a, b in parts:
        sel = lambda o: o[(o >= a / SR) & (o < b / SR)]  # noqa: E731
        vres[name] = onset_report(sel(on_v), sel(on_vy))
    res["voice_to_drums"] = vres

    print("voice to drums done", flush=True)

    # 3. per-frame compute, batch 1, one thread
    res["python_per_frame"] = frame_timing(args.model, x, R)
    res["python_per_4frames"] = frame_timing(args.model, x, 4 * R, 1000)
    res["torch_version"] = torch.__version__

    if args.save_audio:
        os.makedirs(args.save_audio, exist_ok=True)
        for name, a in dict(heldout_in=x, heldout_out=y, voice_in=v, voice_out=vy).items():
            write_wav(os.path.join(args.save_audio, name + ".wav"), a)
    with open(args.out, "w") as f:
        json.dump(res, f, indent=1)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
