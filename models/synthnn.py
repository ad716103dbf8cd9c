"""The pitched model family (`musicmill train --pitched`): a streaming autoencoder whose
latent carries the input's pitch and loudness, measured inside the model, beside learned
timbre dimensions; a harmonic-plus-noise synthesiser plays them.

Latent (RAVE v2 interface, models/INTERFACE.md), per frame of R samples:
  dim 0  pitch: (MIDI note - 60) / 12 of the input's fundamental (a causal YIN estimate over
         the last `window + max_lag` samples); while the input is unvoiced or silent the
         last voiced pitch is held, so a synth note does not jump when the voice breathes;
  dim 1  loudness: (dB RMS of the last `window` samples + 40) / 20;
  dims 2.. timbre: a VAE's latent from an mmnn encoder of the same audio.
So a hummed melody comes out at the voice's pitch and loudness, in the timbre the model
learned; a slider on dim 0 transposes (1.0 = an octave), an LFO on it is vibrato.

The decoder: causal convolutions over the latent frames give, per frame, an amplitude, a
distribution over K harmonics (those above Nyquist silenced) and the levels of NB noise
bands; the values ramp linearly across each frame from the previous frame's.  Harmonic
oscillators with a running phase (float64 frame starts, so block-by-block equals one call)
and white noise through fixed band-pass filters make the sound.

Everything streams like mmnn: state in registered buffers [MAX_BATCH, ...], updated in place.
"""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

import mmnn

MAX_BATCH = mmnn.MAX_BATCH


class PitchLoudness(nn.Module):
    """[B,1,T] -> pitch [B,1,N], loudness [B,1,N], periodicity [B,1,N] (N = T / ratio)."""

    def __init__(self, sr: int, ratio: int, fmin: float = 70.0, fmax: float = 1100.0, window: int = 1024,
                 threshold: float = 0.15):
        super().__init__()
        self.sr = sr
        self.ratio = ratio
        self.window = window
        self.min_lag = int(math.floor(sr / fmax))
        self.max_lag = int(math.ceil(sr / fmin))
        self.hist = window + self.max_lag + 1
        self.pad = self.hist - ratio
        assert self.pad >= 0
        nfft = 1
        while nfft < self.hist + window:
            nfft *= 2
        self.nfft = nfft
        self.threshold = threshold
        self.streaming = False
        self.register_buffer("cache", torch.zeros(MAX_BATCH, 1, self.pad))
        self.register_buffer("held", torch.zeros(MAX_BATCH))  # the last voiced pitch, per batch slot

    def forward(self, x: torch.Tensor):
        b, t = x.shape[0], x.shape[-1]
        if self.streaming:
            x = torch.cat([self.cache[:b], x], -1)
            self.cache[:b].copy_(x[:, :, x.shape[-1] - self.pad:])
        else:
            x = F.pad(x, (self.pad, 0))
        n = t // self.ratio
        frames = x[:, 0].unfold(-1, self.hist, self.ratio).reshape(b * n, self.hist)
        frames = frames - frames.mean(-1, keepdim=True)
        w, lmax = self.window, self.max_lag
        a = frames[:, :w]
        spec = torch.fft.rfft(frames, self.nfft) * torch.conj(torch.fft.rfft(a, self.nfft))
        r = torch.fft.irfft(spec, self.nfft)[:, :lmax + 1]
        sq = torch.cumsum(F.pad(frames * frames, (1, 0)), -1)
        lags = torch.arange(lmax + 1, device=x.device)
        e0 = sq[:, w:w + 1]
        et = sq[:, w + lags] - sq[:, lags]
        d = (e0 + et - 2.0 * r).clamp(min=0.0)
        cum = torch.cumsum(d[:, 1:], -1)
        dn = torch.ones_like(d)
        dn[:, 1:] = d[:, 1:] * lags[1:].to(d.dtype) / (cum + 1e-12)
        lo = self.min_lag
        seg = dn[:, lo - 1:lmax + 1]  # lags lo-1 .. lmax
        mid = seg[:, 1:-1]  # lags lo .. lmax-1
        is_min = (mid <= seg[:, :-2]) & (mid <= seg[:, 2:])
        below = (mid < self.threshold) & is_min
        first = torch.argmax(below.to(torch.int32), -1)
        fallback = torch.argmin(mid, -1)
        k = torch.where(below.any(-1), first, fallback)  # index into mid
        rows = torch.arange(b * n, device=x.device)
        y0, y1, y2 = seg[rows, k], seg[rows, k + 1], seg[rows, k + 2]
        den = y0 - 2.0 * y1 + y2
        shift = torch.where(den.abs() > 1e-9, 0.5 * (y0 - y2) / den, torch.zeros_like(den)).clamp(-1.0, 1.0)
        lag = (k + lo).to(d.dtype) + shift
        f0 = self.sr / lag
        periodicity = (1.0 - y1).clamp(0.0, 1.0)
        energy = sq[:, self.hist] - sq[:, self.hist - w]
        loud_db = 10.0 * torch.log10(energy / w + 1e-10)
        pitch = (12.0 * torch.log2(f0 / 440.0) + 69.0 - 60.0) / 12.0
        voiced = (periodicity > 0.6) & (loud_db > -55.0)
        pitch = pitch.reshape(b, n)
        voiced = voiced.reshape(b, n)
        out = torch.empty_like(pitch)
        held = self.held[:b].clone() if self.streaming else torch.zeros(b, device=x.device)
        for i in range(n):
            held = torch.where(voiced[:, i], pitch[:, i], held)
            out[:, i] = held
        if self.streaming:
            self.held[:b].copy_(held)
        return out.unsqueeze(1), ((loud_db + 40.0) / 20.0).reshape(b, 1, n), periodicity.reshape(b, 1, n)


class SynthEncoder(nn.Module):
    """[B,1,T] -> [B, 2 + 2 * timbre, N]: pitch, loudness, timbre means, timbre pre-scales."""

    def __init__(self, c):
        super().__init__()
        self.pitch = PitchLoudness(c["rate"], c["ratio"])
        self.timbre = mmnn.Encoder(c["bands"], c["enc_channels"], c["strides"], 2 * (c["latent"] - 2),
                                   c["res_dilations"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p, l, _ = self.pitch(x)
        return torch.cat([p, l, self.timbre(x)], 1)


class FrameRamp(nn.Module):
    """[B, C, N] frame values -> [B, C, N * R] samples, ramping linearly from the previous
    frame's value to each frame's value across the frame (the previous value kept in state)."""

    def __init__(self, channels: int, ratio: int):
        super().__init__()
        self.ratio = ratio
        self.streaming = False
        self.register_buffer("cache", torch.zeros(MAX_BATCH, channels, 1))
        self.register_buffer("ramp", (torch.arange(ratio, dtype=torch.float32) + 1.0) / ratio)

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        b, c, n = v.shape
        if self.streaming:
            prev = torch.cat([self.cache[:b], v[:, :, :-1]], -1)
            self.cache[:b].copy_(v[:, :, -1:])
        else:
            prev = torch.cat([v[:, :, :1], v[:, :, :-1]], -1)
        out = prev.unsqueeze(-1) + (v - prev).unsqueeze(-1) * self.ramp
        return out.reshape(b, c, n * self.ratio)


def band_filters(sr: int, bands: int, taps: int) -> torch.Tensor:
    """[bands, 1, taps] windowed-sinc band-pass filters, log-spaced edges 40 Hz .. Nyquist."""
    edges = [40.0 * (sr / 2 / 40.0) ** (i / bands) for i in range(bands + 1)]
    t = torch.arange(taps, dtype=torch.float64) - (taps - 1) / 2
    win = torch.hann_window(taps, periodic=False, dtype=torch.float64)
    out = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        def lowpass(fc):
            return 2 * fc / sr * torch.sinc(2 * fc / sr * t)
        h = (lowpass(min(hi, sr / 2 * 0.999)) - lowpass(lo)) * win
        out.append(h)
    return torch.stack(out).unsqueeze(1).to(torch.float32)


class BandNoise(nn.Module):
    """Band-limited noise [B, bands, n] read from a fixed table of white noise filtered
    (circularly) into log-spaced bands, so no filter runs per call.  Streaming: read on from a
    per-batch-slot position kept in `pos`; training: from a random place per example."""

    def __init__(self, sr: int, bands: int, length: int = 65536, taps: int = 257, seed: int = 9876):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        white = torch.randn(length, generator=g, dtype=torch.float64)
        h = band_filters(sr, bands, taps).to(torch.float64)[:, 0]  # [bands, taps]
        spec = torch.fft.rfft(white) * torch.fft.rfft(h, length)
        table = torch.fft.irfft(spec, length)
        table = table / table.pow(2).mean(-1, keepdim=True).sqrt()  # each band at unit RMS
        self.register_buffer("table", table.to(torch.float32))
        self.register_buffer("pos", torch.zeros(MAX_BATCH, dtype=torch.int64))
        self.length = length
        self.streaming = False

    def forward(self, b: int, n: int) -> torch.Tensor:
        steps = torch.arange(n, device=self.pos.device)
        if self.streaming:
            start = self.pos[:b].clone()
            self.pos[:b].copy_((start + n) % self.length)
        else:
            start = torch.randint(0, self.length, (b,), device=self.pos.device)
        idx = (start.unsqueeze(1) + steps) % self.length
        return self.table[:, idx].permute(1, 0, 2)


class SynthDecoder(nn.Module):
    """[B, latent, N] -> [B, 1, N * R]: harmonic oscillators at the pitch of dim 0 plus
    filtered noise, shaped per frame by a small causal network."""

    def __init__(self, c, harmonics: int = 48, noise_bands: int = 16, hidden: int = 256):
        super().__init__()
        self.sr = c["rate"]
        self.ratio = c["ratio"]
        self.k = harmonics
        self.nb = noise_bands
        self.net = nn.Sequential(
            mmnn.CachedConv1d(c["latent"], hidden, 3), nn.LeakyReLU(0.2),
            mmnn.CachedConv1d(hidden, hidden, 3), nn.LeakyReLU(0.2),
            mmnn.CachedConv1d(hidden, hidden, 3), nn.LeakyReLU(0.2),
            nn.Conv1d(hidden, 1 + harmonics + noise_bands, 1))
        # Start from a saw-like tone (harmonic k at 1/k) with little noise: from a flat spectrum
        # the first steps could learn to silence the oscillators and never bring them back.
        last = self.net[-1]
        with torch.no_grad():
            last.weight.mul_(0.1)
            last.bias.zero_()
            last.bias[0] = 0.0
            last.bias[1:1 + harmonics] = -torch.log(torch.arange(1, harmonics + 1, dtype=torch.float32))
        self.ramp_f0 = FrameRamp(1, self.ratio)
        self.ramp_amp = FrameRamp(harmonics, self.ratio)
        self.ramp_noise = FrameRamp(noise_bands, self.ratio)
        self.source = BandNoise(self.sr, noise_bands)
        self.streaming = False
        self.register_buffer("phase", torch.zeros(MAX_BATCH, 1, dtype=torch.float64))
        self.register_buffer("harmonic_numbers", torch.arange(1, harmonics + 1, dtype=torch.float32).reshape(1, -1, 1))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        b, _, n = z.shape
        r = self.ratio
        h = self.net(z)
        f0 = 440.0 * torch.pow(2.0, (z[:, :1] * 12.0 + 60.0 - 69.0) / 12.0)
        f0 = f0.clamp(20.0, self.sr / 2.0)
        # Levels are relative to the loudness of dim 1 (its RMS, 10^(dim1 - 2)): the sound follows
        # the input's loudness from the first step, and the network learns only the instrument's
        # balance of harmonics and noise (RMS gains of 0..2 on the oscillators and per noise band).
        level = torch.pow(10.0, z[:, 1:2] - 2.0)
        amp = level * 2.0 * torch.sigmoid(h[:, :1])
        dist = h[:, 1:1 + self.k]
        alias = self.harmonic_numbers * f0 >= self.sr / 2.0
        dist = torch.where(alias, torch.full_like(dist, -1e4), dist)
        shape = torch.softmax(dist, 1) * (~alias).to(dist.dtype)
        # normalised so that the oscillators' RMS is `amp` whatever the spectrum's shape
        harm = amp * math.sqrt(2.0) * shape / (shape.pow(2).sum(1, keepdim=True).sqrt() + 1e-7)
        noise_lv = level * 2.0 * torch.sigmoid(h[:, 1 + self.k:] - 4.0)
        # the phase: per frame, its start (float64, carried across calls) plus a float32 run
        f = self.ramp_f0(f0)  # [B, 1, N*R]
        inc = (2.0 * math.pi / self.sr) * f.reshape(b, n, r)
        within = torch.cumsum(inc, -1) - inc  # the phase at each sample from the frame start
        totals = inc.to(torch.float64).sum(-1)  # [B, N]
        start0 = self.phase[:b] if self.streaming else torch.zeros(b, 1, dtype=torch.float64, device=z.device)
        starts = torch.cumsum(torch.cat([start0, totals], -1), -1)
        starts = torch.remainder(starts, 2.0 * math.pi)
        if self.streaming:
            self.phase[:b].copy_(starts[:, n:])
        phase = (starts[:, :n].to(torch.float32).unsqueeze(-1) + within).reshape(b, 1, n * r)
        a = self.ramp_amp(harm)  # [B, K, N*R]
        # each harmonic's phase brought into [0, 2 pi) first: sin's vector and scalar code paths
        # agree there (far from 0 they differ by ~1e-4, and block calls would not equal one call)
        y = (torch.sin(torch.remainder(phase * self.harmonic_numbers, 2.0 * math.pi)) * a).sum(1, keepdim=True)
        nz = self.source(b, n * r)  # [B, NB, N*R]
        y = y + (nz * self.ramp_noise(noise_lv)).sum(1, keepdim=True)
        return y


class SynthVAE(nn.Module):
    """Training wrapper: forward(x) -> (y, kl on the timbre dims, z)."""

    def __init__(self, c):
        super().__init__()
        self.latent = c["latent"]
        self.timbre = c["latent"] - 2
        self.encoder = SynthEncoder(c)
        self.decoder = SynthDecoder(c)

    def sample(self, h: torch.Tensor):
        mean, pre = h[:, 2:2 + self.timbre], h[:, 2 + self.timbre:]
        std = F.softplus(pre) + 1e-4
        z = torch.cat([h[:, :2], mean + std * torch.randn_like(mean)], 1)
        kl = (mean * mean + std * std - 2 * torch.log(std) - 1).sum(1).mean() * 0.5
        return z, kl

    def forward(self, x: torch.Tensor):
        h = self.encoder(x)
        z, kl = self.sample(h)
        return self.decoder(z), kl, h[:, :self.latent]
