"""Drum one-shots from Debian's hydrogen-drumkits, arranged into random patterns.

Samples are read with the `sox` command (any format/rate/channel count ->
44.1 kHz mono float32), cached in models/work/samples_<kit-hash>.npz.
"""
import hashlib
import os
import subprocess
from typing import Dict, List, Tuple

import numpy as np

SR = 44100
DRUMKIT_DIR = "/usr/share/hydrogen/data/drumkits"
HELD_OUT_KITS = ["ColomboAcousticDrumkit"]
AUDIO_EXT = (".wav", ".flac", ".aif", ".aiff", ".ogg")
MAX_SAMPLE_SECONDS = 2.0
HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.path.join(HERE, "work")


def list_kits(root: str = DRUMKIT_DIR) -> Dict[str, List[str]]:
    kits = {}
    for kit in sorted(os.listdir(root)):
        d = os.path.join(root, kit)
        if not os.path.isdir(d):
            continue
        files = sorted(os.path.join(d, f) for f in os.listdir(d)
                       if f.lower().endswith(AUDIO_EXT))
        if files:
            kits[kit] = files
    return kits


def read_audio(path: str, sr: int = SR) -> np.ndarray:
    """Any audio file -> mono float32 at `sr` via sox (channels averaged)."""
    out = subprocess.run(
        ["sox", "-V1", path, "-t", "raw", "-e", "floating-point", "-b", "32",
         "-L", "-c", "1", "-r", str(sr), "-"],
        check=True, stdout=subprocess.PIPE).stdout
    return np.frombuffer(out, dtype="<f4").astype(np.float32)


def write_wav(path: str, x: np.ndarray, sr: int = SR) -> None:
    """Mono float -> 16-bit PCM WAV (stdlib only)."""
    import wave
    x = np.clip(np.asarray(x, dtype=np.float64).reshape(-1), -1.0, 1.0)
    pcm = (x * 32767.0).round().astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())


def _prep(x: np.ndarray) -> np.ndarray:
    # trim leading near-silence, cap length with a short fade-out
    peak = np.abs(x).max() if x.size else 0.0
    if peak <= 1e-6:
        return np.zeros(0, np.float32)
    idx = np.nonzero(np.abs(x) > peak * 0.01)[0]
    x = x[max(0, idx[0] - 32):]
    n = int(MAX_SAMPLE_SECONDS * SR)
    if x.size > n:
        x = x[:n].copy()
        f = int(0.05 * SR)
        x[-f:] *= np.linspace(1.0, 0.0, f, dtype=np.float32)
    return x.astype(np.float32)


def load_kits(names: List[str]) -> List[np.ndarray]:
    """Load all samples of the given kits (cached under models/work)."""
    kits = list_kits()
    files = [f for k in names for f in kits[k]]
    key = hashlib.sha1("\n".join(files).encode()).hexdigest()[:12]
    os.makedirs(WORK, exist_ok=True)
    cache = os.path.join(WORK, f"samples_{key}.npz")
    if os.path.exists(cache):
        d = np.load(cache)
        return [d[f"s{i}"] for i in range(len(d.files))]
    samples = []
    for f in files:
        x = _prep(read_audio(f))
        if x.size > 64:
            samples.append(x)
    np.savez(cache, **{f"s{i}": s for i, s in enumerate(samples)})
    return samples


def train_eval_kits() -> Tuple[List[str], List[str]]:
    kits = list(list_kits().keys())
    train = [k for k in kits if k not in HELD_OUT_KITS]
    return train, list(HELD_OUT_KITS)


def make_pattern(samples: List[np.ndarray], n: int, rng: np.random.Generator,
                 return_onsets: bool = False):
    """A random drum pattern of n samples at 44.1 kHz.

    Either a tempo grid (70-180 BPM, 16ths, random step probabilities) or free
    random gaps (log-uniform 25 ms .. 700 ms).  Each hit: random sample, velocity
    -30..0 dB, sometimes a second simultaneous hit.  A hit may start before the
    excerpt so tails appear at the start.  The sum gets a random peak level
    -24..-1 dBFS.  Optionally returns the onset times (samples) inside [0, n).
    """
    off = int(MAX_SAMPLE_SECONDS * SR) // 2  # room for hits before t=0
    y = np.zeros(off + n, np.float32)
    times = []
    if rng.random() < 0.5:
        bpm = rng.uniform(70, 180)
        step = 60.0 / bpm / 4 * SR
        p_hit = rng.uniform(0.2, 0.7)
        t = -rng.uniform(0, 8) * step
        while t < n:
            if rng.random() < p_hit:
                times.append(int(t + rng.normal(0, 0.004 * SR)))
            t += step
    else:
        t = -rng.uniform(0, 0.5) * SR
        while t < n:
            times.append(int(t))
            t += np.exp(rng.uniform(np.log(0.025), np.log(0.7))) * SR
    onsets = []
    for t0 in times:
        for k in range(1 + int(rng.random() < 0.25)):
            s = samples[rng.integers(len(samples))]
            g = 10 ** (rng.uniform(-30, 0) / 20)
            a = off + t0
            if a < 0 or a >= off + n:
                continue
            m = min(s.size, off + n - a)
            y[a:a + m] += g * s[:m]
        if 0 <= t0 < n:
            onsets.append(t0)
    y = y[off:]
    peak = np.abs(y).max()
    if peak > 1e-6:
        y *= 10 ** (rng.uniform(-24, -1) / 20) / peak
    if return_onsets:
        return y, np.array(sorted(set(onsets)))
    return y
