"""Small streaming RAVE-style building blocks shared by train_drums.py,
eval_drums.py and make_bench_model.py.

Everything here follows models/INTERFACE.md:
  * float32 tensors [batch, channels, time];
  * causal cached convolutions whose state lives in registered buffers shaped
    [max_batch, C, pad], updated in place (cache.copy_), one slot per batch index,
    so that block-by-block processing (blocks = multiples of R) equals one call;
  * the exported module has the RAVE v2 interface (encode, decode(z, from_forward),
    forward, *_params int64 buffers, int attributes sr / latent_size /
    full_latent_size, get_methods(), get_attributes()).

The front end is a "multiband" patch reshape: [B, 1, T] -> [B, P, T/P] (P polyphase
bands), followed by causal strided convolutions.  The decoder mirrors it with causal
convolutions and sub-pixel upsampling (conv to C*stride channels, then reshape),
ending with the inverse patch reshape.  No transposed convolutions.
"""
from typing import List

import torch
import torch.nn as nn
import torch.nn.functional as F

MAX_BATCH = 8


class CachedConv1d(nn.Module):
    """Causal Conv1d.  Left context is (k-1)*dilation + 1 - stride samples.

    streaming=False (training): the left context is zero padding.
    streaming=True  (export):   the left context comes from `cache`, a buffer
    [MAX_BATCH, C_in, pad] updated in place, so consecutive calls continue the
    stream.  Input lengths must be multiples of `stride`.
    """

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1,
                 dilation: int = 1, bias: bool = True, max_batch: int = MAX_BATCH):
        super().__init__()
        self.conv = nn.Conv1d(cin, cout, kernel, stride=stride, dilation=dilation,
                              bias=bias)
        pad = (kernel - 1) * dilation + 1 - stride
        assert pad >= 0, "kernel too small for stride"
        self.pad = pad
        self.streaming = False
        self.register_buffer("cache", torch.zeros(max_batch, cin, pad))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pad > 0:
            if self.streaming:
                b = x.shape[0]
                x = torch.cat([self.cache[:b], x], -1)
                self.cache[:b].copy_(x[:, :, x.shape[-1] - self.pad:])
            else:
                x = F.pad(x, (self.pad, 0))
        return self.conv(x)


class ResBlock(nn.Module):
    """x + conv1x1(act(cconv_k(act(x))))"""

    def __init__(self, ch: int, kernel: int = 3, dilation: int = 1):
        super().__init__()
        self.c1 = CachedConv1d(ch, ch, kernel, dilation=dilation)
        self.c2 = nn.Conv1d(ch, ch, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.c1(F.leaky_relu(x, 0.2))
        y = self.c2(F.leaky_relu(y, 0.2))
        return x + y


class SubPixelUp(nn.Module):
    """Causal conv to C_out*stride channels, then reshape to stride x time."""

    def __init__(self, cin: int, cout: int, stride: int, kernel: int = 3):
        super().__init__()
        self.conv = CachedConv1d(cin, cout * stride, kernel)
        self.cout = cout
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        b = y.shape[0]
        n = y.shape[-1]
        y = y.reshape(b, self.cout, self.stride, n).permute(0, 1, 3, 2)
        return y.reshape(b, self.cout, n * self.stride)


def patch(x: torch.Tensor, p: int) -> torch.Tensor:
    """[B, 1, T] -> [B, p, T/p] (polyphase bands)."""
    b = x.shape[0]
    t = x.shape[-1]
    return x.reshape(b, t // p, p).permute(0, 2, 1)


def unpatch(y: torch.Tensor, p: int) -> torch.Tensor:
    """[B, C*p, N] -> [B, C, N*p] (C channels of p polyphase bands each)"""
    b = y.shape[0]
    n = y.shape[-1]
    c = y.shape[1] // p
    return y.reshape(b, c, p, n).permute(0, 1, 3, 2).reshape(b, c, n * p)


class Encoder(nn.Module):
    """[B,1,T] -> [B, out_ch, T/R] with R = bands * prod(strides)."""

    def __init__(self, bands: int, channels: List[int], strides: List[int],
                 out_ch: int, res_dilations: List[int], in_kernel: int = 7,
                 out_kernel: int = 3):
        super().__init__()
        self.bands = bands
        layers: List[nn.Module] = [CachedConv1d(bands, channels[0], in_kernel)]
        for i, s in enumerate(strides):
            for d in res_dilations:
                layers.append(ResBlock(channels[i], 3, d))
            layers.append(nn.LeakyReLU(0.2))
            layers.append(CachedConv1d(channels[i], channels[i + 1], 2 * s, stride=s))
        layers.append(nn.LeakyReLU(0.2))
        layers.append(CachedConv1d(channels[-1], out_ch, out_kernel))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(patch(x, self.bands))


class NoiseSource(nn.Module):
    """Deterministic, stream-consistent noise [B, C, n] read from a fixed random
    table (period `length` steps) at a per-batch-slot position kept in the buffer
    `pos` (updated in place).  With streaming=False (training) it returns fresh
    torch.randn noise instead, which has the same statistics."""

    def __init__(self, channels: int, length: int = 4096, max_batch: int = MAX_BATCH,
                 seed: int = 4321):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.register_buffer("table", torch.randn(channels, length, generator=g))
        self.register_buffer("pos", torch.zeros(max_batch, dtype=torch.int64))
        self.length = length
        self.channels = channels
        self.streaming = False

    def forward(self, b: int, n: int) -> torch.Tensor:
        if not self.streaming:
            return torch.randn(b, self.channels, n, dtype=self.table.dtype,
                               device=self.table.device)
        idx = (self.pos[:b].unsqueeze(1) + torch.arange(n, device=self.pos.device)) \
            % self.length
        self.pos[:b].copy_((self.pos[:b] + n) % self.length)
        return self.table[:, idx].permute(1, 0, 2)


class Decoder(nn.Module):
    """[B, latent, N] -> [B, out_ch, N*R]; channels listed from the latent side.

    noise > 0 adds a filtered-noise branch at the band (patch) rate: `noise`
    noise channels, each coloured by a learned causal filter, scaled by
    amplitudes predicted from the last hidden layer, mixed into the bands."""

    def __init__(self, bands: int, channels: List[int], strides: List[int],
                 latent: int, res_dilations: List[int], in_kernel: int = 3,
                 out_kernel: int = 7, noise: int = 0, up_kernel: int = 3, out_ch: int = 1):
        super().__init__()
        self.bands = bands
        self.out_bands = bands * out_ch  # out_ch audio channels of `bands` bands each
        layers: List[nn.Module] = [CachedConv1d(latent, channels[0], in_kernel)]
        for i, s in enumerate(strides):
            layers.append(nn.LeakyReLU(0.2))
            layers.append(SubPixelUp(channels[i], channels[i + 1], s, up_kernel))
            for d in res_dilations:
                layers.append(ResBlock(channels[i + 1], 3, d))
        layers.append(nn.LeakyReLU(0.2))
        self.net = nn.Sequential(*layers)
        self.noise = noise
        self.out = CachedConv1d(channels[-1], self.out_bands + noise, out_kernel)
        if noise > 0:
            self.source = NoiseSource(noise)
            self.colour = CachedConv1d(noise, noise, 5)
            self.mix = nn.Conv1d(noise, self.out_bands, 1, bias=False)
        else:
            self.source = NoiseSource(1, 1)
            self.colour = nn.Identity()
            self.mix = nn.Identity()

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.out(self.net(z))
        if self.noise > 0:
            y = h[:, :self.out_bands]
            amp = torch.sigmoid(h[:, self.out_bands:] - 3.0)
            nz = self.colour(self.source(h.shape[0], h.shape[-1]))
            y = y + self.mix(nz * amp)
        else:
            y = h
        return unpatch(y, self.bands)


STATE_BUFFERS = ("cache", "pos", "held", "phase")


def set_streaming(module: nn.Module, on: bool) -> None:
    """Every part with a `streaming` flag (cached convolutions, noise sources, and the
    pitched family's parts in synthnn.py) switches mode and starts from a zeroed state."""
    for m in module.modules():
        if hasattr(m, "streaming"):
            m.streaming = on
            for name, buf in m.named_buffers(recurse=False):
                if name in STATE_BUFFERS:
                    buf.zero_()


class ExportedModel(nn.Module):
    """RAVE v2-style wrapper.  encoder(x) must return [B, full_latent, N]."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module, sr: int, ratio: int,
                 latent_size: int, full_latent_size: int, in_ch: int = 1,
                 out_ch: int = 1, pitch_dim: int = -1, loudness_dim: int = -1):
        super().__init__()
        if pitch_dim >= 0:  # a pitched model (synthnn.py): which dims are measured, for the host
            self.pitch_dim = pitch_dim
            self.loudness_dim = loudness_dim
        self.encoder = encoder
        self.decoder = decoder
        self.sr = sr
        self.latent_size = latent_size
        self.full_latent_size = full_latent_size
        self.ratio = ratio
        self.register_buffer("encode_params",
                             torch.tensor([in_ch, 1, latent_size, ratio], dtype=torch.int64))
        self.register_buffer("decode_params",
                             torch.tensor([latent_size, ratio, out_ch, 1], dtype=torch.int64))
        self.register_buffer("forward_params",
                             torch.tensor([in_ch, 1, out_ch, 1], dtype=torch.int64))

    @torch.jit.export
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        z = self.encoder(x)
        return z[:, :self.latent_size]

    @torch.jit.export
    def decode(self, z: torch.Tensor, from_forward: bool = False) -> torch.Tensor:
        if z.shape[1] < self.full_latent_size:
            noise = torch.randn(z.shape[0], self.full_latent_size - z.shape[1],
                                z.shape[2], dtype=z.dtype, device=z.device)
            z = torch.cat([z, noise], 1)
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x), True)

    @torch.jit.export
    def get_methods(self) -> List[str]:
        return ["encode", "decode", "forward"]

    @torch.jit.export
    def get_attributes(self) -> List[str]:
        out: List[str] = []
        return out


def script_and_save(model: ExportedModel, path: str) -> None:
    set_streaming(model, True)
    model.eval()
    sm = torch.jit.script(model)
    sm.save(path)


def check_export(path: str, ratio: int, latent: int, seconds: float = 1.0,
                 sr: int = 44100, tol: float = 1e-4, seed: int = 0,
                 block_mults=(1, 4), out_ch: int = 1) -> dict:
    """Load `path` fresh and check shapes (mono in, `out_ch` channels out), and that
    block-by-block streaming (blocks of R and 4R, fresh load each) equals one-call
    processing."""
    g = torch.Generator().manual_seed(seed)
    n = int(seconds * sr) // (4 * ratio) * (4 * ratio)
    x = torch.randn(1, 1, n, generator=g) * 0.3
    report = {}
    with torch.no_grad():
        m = torch.jit.load(path)
        assert m.sr == sr, m.sr
        assert m.latent_size == latent and m.full_latent_size >= latent
        assert m.encode_params.tolist() == [1, 1, latent, ratio]
        assert m.decode_params.tolist() == [latent, ratio, out_ch, 1]
        assert m.forward_params.tolist() == [1, 1, out_ch, 1]
        assert list(m.get_methods()) == ["encode", "decode", "forward"]
        z_one = m.encode(x)
        assert tuple(z_one.shape) == (1, latent, n // ratio), z_one.shape
        m = torch.jit.load(path)
        y_one = m.decode(m.encode(x))
        assert tuple(y_one.shape) == (1, out_ch, n), y_one.shape
        assert bool(torch.isfinite(y_one).all())
        m = torch.jit.load(path)
        y_fwd = m(x)
        assert tuple(y_fwd.shape) == (1, out_ch, n)
        for mult in block_mults:
            m = torch.jit.load(path)
            blk = ratio * mult
            zs, ys = [], []
            for i in range(0, n, blk):
                z = m.encode(x[:, :, i:i + blk])
                zs.append(z)
                ys.append(m.decode(z))
            ez = (torch.cat(zs, -1) - z_one).abs().max().item()
            ey = (torch.cat(ys, -1) - y_one).abs().max().item()
            report[f"block_{mult}R_max_abs_err_z"] = ez
            report[f"block_{mult}R_max_abs_err_y"] = ey
            assert ez < tol and ey < tol, (mult, ez, ey)
        # batch 2 uses separate cache slots
        m = torch.jit.load(path)
        x2 = torch.cat([x, -x], 0)
        y2 = m.decode(m.encode(x2))
        assert tuple(y2.shape) == (2, out_ch, n)
        report["batch2_slot0_err"] = (y2[:1] - y_one).abs().max().item()
        assert report["batch2_slot0_err"] < tol
    return report
