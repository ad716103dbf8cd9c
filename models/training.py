"""What every MusicMill training shares: the model (a streaming VAE of mmnn blocks), the
loss, drum-pattern arrangement of one-shots, the latent PCA folded into the export,
onset F-measure, atomic checkpoints and the report's PNG.

Used by mm_train.py (`musicmill train`), train_drums.py and eval_drums.py.
Needs only python3-torch and python3-numpy (and aubio-tools' `aubioonset` for onsets).
"""
import copy
import os
import struct
import subprocess
import wave
import zlib
from typing import Callable, List, Sequence

import numpy as np
import torch
import torch.nn as nn

import mmnn


class StreamingVAE(nn.Module):
    """mmnn Encoder -> (mean, std) -> sample -> mmnn Decoder.  R = bands * prod(strides)."""

    def __init__(self, c):
        super().__init__()
        self.latent = c["latent"]
        self.encoder = mmnn.Encoder(c["bands"], c["enc_channels"], c["strides"],
                                    2 * c["latent"], c["res_dilations"])
        self.decoder = mmnn.Decoder(c["bands"], c["dec_channels"], c["strides"],
                                    c["latent"], c["res_dilations"], noise=c["noise"],
                                    out_ch=c.get("channels", 1))

    def sample(self, h):
        """The encoder's output -> (a latent sample, KL to the unit normal)."""
        mean, pre_scale = h[:, :self.latent], h[:, self.latent:]
        std = nn.functional.softplus(pre_scale) + 1e-4
        z = mean + std * torch.randn_like(mean)
        kl = (mean * mean + std * std - 2 * torch.log(std) - 1).sum(1).mean() * 0.5
        return z, kl

    def forward(self, x):
        """x [B, C, T] (C = 1, or 2 for a stereo model): the encoder hears the channels'
        mean, as the instrument's mono input; the decoder gives C channels back."""
        h = self.encoder(mono(x))
        z, kl = self.sample(h)
        return self.decoder(z), kl, h[:, :self.latent]


def mono(x: torch.Tensor) -> torch.Tensor:
    """[B, C, T] -> [B, 1, T]: what the encoder hears (the mic is one channel)."""
    return x if x.shape[1] == 1 else x.mean(1, keepdim=True)


def reconstruction_step(vae, loss_fn, opt, x, beta: float):
    """One step of the reconstruction phase: loss = MRSTFT + beta * KL, gradients clipped
    at norm 5. Returns (output, reconstruction loss, KL)."""
    y, kl, _ = vae(x)
    rec = loss_fn(y, x)
    loss = rec + beta * kl
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(vae.parameters(), 5.0)
    opt.step()
    return y, rec, kl


class MRSTFT(nn.Module):
    """Multi-resolution STFT: spectral convergence + L1 log magnitude, per scale."""

    def __init__(self, scales):
        super().__init__()
        self.scales = list(scales)
        for s in self.scales:
            self.register_buffer(f"win{s}", torch.hann_window(s))

    def mag(self, x, s):
        X = torch.stft(x.reshape(-1, x.shape[-1]), s, s // 4, window=getattr(self, f"win{s}"),
                       center=True, return_complex=True)
        return X.abs()

    def forward(self, y, x):
        total = 0.0
        for s in self.scales:
            Y, X = self.mag(y, s), self.mag(x, s)
            sc = torch.linalg.norm(Y - X) / (torch.linalg.norm(X) + 1e-7)
            lm = (torch.log(Y + 1e-5) - torch.log(X + 1e-5)).abs().mean()
            total = total + sc + lm
        return total / len(self.scales)


class SpectralDiscriminator(nn.Module):
    """A small multi-scale spectral discriminator for the adversarial phase of training.

    Per STFT scale, a stack of 2-D convolutions over the log magnitude (frequency x time),
    striding along frequency; forward returns, per scale, the list of feature maps (the last
    one is the map of real/fake scores) for the hinge loss and feature matching."""

    def __init__(self, scales=(512, 1024, 2048), channels=(8, 16, 32, 32)):
        super().__init__()
        self.scales = list(scales)
        for s in self.scales:
            self.register_buffer(f"win{s}", torch.hann_window(s))
        self.nets = nn.ModuleList()
        for _ in self.scales:
            layers, c_in = nn.ModuleList(), 1
            for i, c in enumerate(channels):
                k = (3, 9) if i < 2 else (3, 3)
                stride = (2, 2) if i < 2 else (2, 1)
                layers.append(nn.utils.weight_norm(nn.Conv2d(c_in, c, k, stride, (k[0] // 2, k[1] // 2))))
                c_in = c
            layers.append(nn.utils.weight_norm(nn.Conv2d(c_in, 1, (3, 3), 1, 1)))
            self.nets.append(layers)

    def forward(self, x):
        out = []
        for s, layers in zip(self.scales, self.nets):
            X = torch.stft(x.reshape(-1, x.shape[-1]), s, s // 4, window=getattr(self, f"win{s}"),
                           center=True, return_complex=True)
            h = torch.log(X.abs() + 1e-4).unsqueeze(1)
            feats = []
            for i, layer in enumerate(layers):
                h = layer(h)
                if i < len(layers) - 1:
                    h = nn.functional.leaky_relu(h, 0.2)
                feats.append(h)
            out.append(feats)
        return out


def discriminator_loss(d_real, d_fake):
    """Hinge loss over every scale's score map."""
    return sum(torch.relu(1 - r[-1]).mean() + torch.relu(1 + f[-1]).mean() for r, f in zip(d_real, d_fake)) / len(d_real)


def generator_adversarial_loss(d_real, d_fake):
    """(adversarial, feature matching): the generator's hinge term and the mean L1 distance of
    the discriminator's inner features on generated against real audio."""
    adv = sum(-f[-1].mean() for f in d_fake) / len(d_fake)
    fm, n = 0.0, 0
    for r, f in zip(d_real, d_fake):
        for a, b in zip(r[:-1], f[:-1]):
            fm = fm + (a.detach() - b).abs().mean() / (a.detach().abs().mean() + 1e-5)
            n += 1
    return adv, fm / n


def make_pattern(samples: List[np.ndarray], n: int, rng: np.random.Generator, sr: int = 44100,
                 max_sample_seconds: float = 2.0, return_onsets: bool = False):
    """A random drum pattern of n samples from one-shots.

    Either a tempo grid (70-180 BPM, 16ths, random step probabilities) or free
    random gaps (log-uniform 25 ms .. 700 ms).  Each hit: random sample, velocity
    -30..0 dB, sometimes a second simultaneous hit.  A hit may start before the
    excerpt so tails appear at the start.  The sum gets a random peak level
    -24..-1 dBFS.  Optionally returns the onset times (samples) inside [0, n).
    """
    off = int(max_sample_seconds * sr) // 2  # room for hits before t=0
    # one-shots are [length] arrays, or [channels, length] for a stereo model
    y = np.zeros(samples[0].shape[:-1] + (off + n,), np.float32)
    times = []
    if rng.random() < 0.5:
        bpm = rng.uniform(70, 180)
        step = 60.0 / bpm / 4 * sr
        p_hit = rng.uniform(0.2, 0.7)
        t = -rng.uniform(0, 8) * step
        while t < n:
            if rng.random() < p_hit:
                times.append(int(t + rng.normal(0, 0.004 * sr)))
            t += step
    else:
        t = -rng.uniform(0, 0.5) * sr
        while t < n:
            times.append(int(t))
            t += np.exp(rng.uniform(np.log(0.025), np.log(0.7))) * sr
    onsets = []
    for t0 in times:
        for _ in range(1 + int(rng.random() < 0.25)):
            s = samples[rng.integers(len(samples))]
            g = 10 ** (rng.uniform(-30, 0) / 20)
            a = off + t0
            if a < 0 or a >= off + n:
                continue
            m = min(s.shape[-1], off + n - a)
            y[..., a:a + m] += g * s[..., :m]
        if 0 <= t0 < n:
            onsets.append(t0)
    y = y[..., off:]
    peak = np.abs(y).max()
    if peak > 1e-6:
        y *= 10 ** (rng.uniform(-24, -1) / 20) / peak
    if return_onsets:
        return y, np.array(sorted(set(onsets)))
    return y


@torch.no_grad()
def fold_latent_pca(vae: StreamingVAE, make_batch: Callable[[np.random.Generator], torch.Tensor],
                    seed: int, batches: int = 16):
    """Centre and rotate the latent (PCA) so that dim 0 has the most variance on
    training audio (like RAVE's latent PCA).  Folded into the encoder's last conv (mean
    rows only) and the decoder's first conv, so export adds no ops.  Returns (encoder,
    decoder, variances) copies ready for export."""
    rng = np.random.default_rng(seed)
    enc = copy.deepcopy(vae.encoder)
    dec = copy.deepcopy(vae.decoder)
    L = vae.latent
    zs = []
    for _ in range(batches):
        x = make_batch(rng)
        zs.append(enc(mono(x))[:, :L].permute(0, 2, 1).reshape(-1, L))
    z = torch.cat(zs).double()
    mu = z.mean(0)
    cov = torch.cov((z - mu).T) if L > 1 else z.var(0, keepdim=True).reshape(1, 1)
    evals, evecs = torch.linalg.eigh(cov)
    order = torch.argsort(evals, descending=True)
    evals, U = evals[order].clamp_min(1e-8), evecs[:, order]
    # fix the sign so each component's largest loading is positive (deterministic)
    sign = torch.sign(U[U.abs().argmax(0), torch.arange(L)])
    U = U * sign
    # rotation + centring only (as RAVE): dims the VAE does not use keep their tiny
    # spread instead of having float noise amplified to unit variance
    A = U.T  # z' = A (m - mu)
    last = enc.net[-1].conv
    W = last.weight.data.double()  # [2L, C, k]
    b = last.bias.data.double()
    last.weight.data = torch.einsum("ij,jck->ick", A, W[:L]).float()  # only the L means
    last.bias.data = (A @ (b[:L] - mu)).float()
    last.out_channels = L
    first = dec.net[0].conv  # m = U z' + mu
    Wd = first.weight.data.double()  # [C, L, k]
    bd = first.bias.data.double()
    first.weight.data = torch.einsum("cjk,ji->cik", Wd, U).float()
    first.bias.data = (bd + torch.einsum("cjk,j->c", Wd, mu)).float()
    return enc, dec, evals.tolist()


def render_stream(path: str, x: np.ndarray, block: int) -> np.ndarray:
    """A fresh load of an export; encode then decode block by block, batch 1 (as live).
    x mono [T]; returns [T], or [C, T] for a model with C > 1 output channels."""
    m = torch.jit.load(path)
    n = len(x) // block * block
    xt = torch.from_numpy(x[:n].astype(np.float32)).reshape(1, 1, -1)
    out = []
    with torch.inference_mode():
        for i in range(0, n, block):
            out.append(m.decode(m.encode(xt[:, :, i:i + block])))
    if not out:
        return np.zeros(0, np.float32)
    y = torch.cat(out, -1)[0]
    return y[0].numpy() if y.shape[0] == 1 else y.numpy()


# --- onsets -------------------------------------------------------------------

ONSET_TOLERANCE = 0.050


def write_wav(path: str, x: np.ndarray, sr: int = 44100) -> None:
    """Mono float -> 16-bit PCM WAV (stdlib only)."""
    x = np.clip(np.asarray(x, dtype=np.float64).reshape(-1), -1.0, 1.0)
    pcm = (x * 32767.0).round().astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())


def aubio_onsets(x: np.ndarray, tmpdir: str, name: str, sr: int = 44100) -> np.ndarray:
    f = os.path.join(tmpdir, name + ".wav")
    write_wav(f, x, sr)
    out = subprocess.run(["aubioonset", "-i", f], check=True, stdout=subprocess.PIPE,
                         text=True).stdout
    return np.array([float(v) for v in out.split()])


def match(ref: np.ndarray, est: np.ndarray, tol: float = ONSET_TOLERANCE):
    """Maximum one-to-one matching within +-tol (greedy on sorted lists, optimal in
    1-D).  Returns (precision, recall, F, list of (ref, est) pairs)."""
    ref, est = np.sort(ref), np.sort(est)
    i = j = 0
    pairs = []
    while i < len(ref) and j < len(est):
        if abs(ref[i] - est[j]) <= tol:
            pairs.append((ref[i], est[j]))
            i += 1
            j += 1
        elif est[j] < ref[i]:
            j += 1
        else:
            i += 1
    p = len(pairs) / max(len(est), 1)
    r = len(pairs) / max(len(ref), 1)
    f = 0.0 if p + r == 0 else 2 * p * r / (p + r)
    return p, r, f, pairs


def onset_report(ref, est):
    p, r, f, pairs = match(ref, est)
    off = [1000 * (e - q) for q, e in pairs]
    return dict(precision=round(p, 4), recall=round(r, 4), f_measure=round(f, 4),
                n_ref=int(len(ref)), n_est=int(len(est)),
                median_offset_ms=round(float(np.median(off)), 2) if off else None)


# --- files ----------------------------------------------------------------------

def pitch_track(x: np.ndarray, sr: int = 44100, hop: int = 512, method: str = "yin"):
    """aubio's pitch (Hz) and confidence per hop; 0 Hz where the frame is quieter than -45 dB."""
    import aubio
    p = aubio.pitch(method, 2048, hop, sr)
    p.set_unit("Hz")
    p.set_silence(-45.0)
    x = np.ascontiguousarray(x, dtype=np.float32)
    f0, conf = [], []
    for i in range(0, len(x) - hop + 1, hop):
        f0.append(float(p(x[i:i + hop])[0]))
        conf.append(float(p.get_confidence()))
    return np.array(f0), np.array(conf)


def pitch_report(x: np.ndarray, y: np.ndarray, sr: int = 44100, min_conf: float = 0.8) -> dict:
    """How the output y follows the input x's pitch: over the frames where x is voiced
    (aubio yin, confidence >= min_conf, 60..1200 Hz), the share voiced in y too and the
    median absolute difference of the two fundamentals in cents."""
    fx, cx = pitch_track(x, sr)
    fy, cy = pitch_track(y, sr)
    n = min(len(fx), len(fy))
    fx, cx, fy, cy = fx[:n], cx[:n], fy[:n], cy[:n]
    vx = (cx >= min_conf) & (fx > 60) & (fx < 1200)
    vy = (cy >= min_conf) & (fy > 60) & (fy < 1200)
    both = vx & vy
    cents = 1200 * np.abs(np.log2(fy[both] / fx[both])) if both.any() else np.zeros(0)
    return dict(voiced_in_frames=int(vx.sum()), voiced_out_share=round(float(both.sum() / max(1, vx.sum())), 4),
                median_abs_cents=round(float(np.median(cents)), 2) if cents.size else None,
                within_50_cents_share=round(float((cents <= 50).mean()), 4) if cents.size else None)


def save_atomically(obj, path: str) -> None:
    """torch.save to a temporary file in the same folder, flushed, then renamed over
    `path`: a kill at any moment leaves the previous file or the new one, whole."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        torch.save(obj, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_png(path: str, rgb: np.ndarray) -> None:
    """[H, W, 3] uint8 -> PNG (zlib only), written atomically."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(png)
    os.replace(tmp, path)


def spectrogram_image(x: np.ndarray, h: int, w: int, n_fft: int = 1024) -> np.ndarray:
    """Log-magnitude spectrogram of x as an [h, w, 3] uint8 image (low frequencies at
    the bottom, -80..0 dB of the excerpt's peak, a dark-to-bright colour ramp)."""
    hop = max(1, (len(x) - n_fft) // max(1, w - 1))
    win = np.hanning(n_fft).astype(np.float32)
    cols = []
    for i in range(w):
        seg = x[i * hop:i * hop + n_fft]
        if len(seg) < n_fft:
            seg = np.pad(seg, (0, n_fft - len(seg)))
        cols.append(np.abs(np.fft.rfft(seg * win)))
    S = 20 * np.log10(np.stack(cols, 1) + 1e-9)  # [bins, w]
    S = np.clip((S - (S.max() - 80.0)) / 80.0, 0.0, 1.0)
    # resample the frequency axis to h rows, log-spaced from 40 Hz
    bins = S.shape[0]
    rows = np.clip(np.round(np.geomspace(2, bins - 1, h)).astype(int), 0, bins - 1)[::-1]
    v = S[rows]
    img = np.stack([np.clip(3 * v - 1.2, 0, 1), np.clip(2 * v - 0.3, 0, 1) * v, 0.25 + 0.75 * v * (1 - v)], -1)
    return (img * 255).astype(np.uint8)


def curves_image(series: Sequence[Sequence[float]], colours: Sequence[Sequence[int]], h: int, w: int) -> np.ndarray:
    """Line plot of several series (log y, shared x by index fraction) on a dark panel
    with faint horizontal grid lines at each power of ten."""
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = (14, 16, 20)
    vals = np.concatenate([np.asarray(s, np.float64) for s in series if len(s)]) if any(len(s) for s in series) else np.ones(1)
    vals = vals[vals > 0]
    lo, hi = (np.log10(vals.min()), np.log10(vals.max())) if vals.size else (0.0, 1.0)
    if hi - lo < 1e-6:
        lo, hi = lo - 0.5, hi + 0.5
    for d in range(int(np.floor(lo)), int(np.ceil(hi)) + 1):
        y = int(round((hi - d) / (hi - lo) * (h - 1)))
        if 0 <= y < h:
            img[y, :] = (40, 44, 52)
    for s, c in zip(series, colours):
        s = np.asarray(s, np.float64)
        if len(s) < 1:
            continue
        xs = np.linspace(0, w - 1, len(s)) if len(s) > 1 else np.array([w - 1.0])
        ys = (hi - np.log10(np.maximum(s, 1e-12))) / (hi - lo) * (h - 1)
        for i in range(len(s)):
            x0, y0 = xs[max(0, i - 1)], ys[max(0, i - 1)]
            x1, y1 = xs[i], ys[i]
            for t in np.linspace(0, 1, int(max(abs(x1 - x0), abs(y1 - y0))) + 2):
                xi, yi = int(round(x0 + t * (x1 - x0))), int(round(y0 + t * (y1 - y0)))
                img[max(0, yi - 1):min(h, yi + 2), max(0, xi - 1):min(w, xi + 2)] = c
    return img
