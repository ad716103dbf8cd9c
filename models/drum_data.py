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
