#!/usr/bin/python3
"""Write a random-weight benchmark model with the published RAVE v2 sizes.

    /usr/bin/python3 models/make_bench_model.py OUT.ts [--size v2|v2_small] [--latent-size N] [--seed S]

capacity 96, 16-band split front end (polyphase patch reshape), strides 4,4,4,2
(ratio 16*128 = 2048 at 44.1 kHz, 46 ms per latent frame), 128 latent channels,
residual blocks with dilations 1,3,9 at every scale, channel multipliers
1,2,4,8,16 (96..1536), streaming cached convolutions, sub-pixel upsampling (1x1 conv to C*stride
channels + reshape; the residual stacks after it give the temporal context),
filtered-noise branch.  About 31.5 M parameters (printed).  Same v2 interface as
the bundled model (models/INTERFACE.md).  The weights are random (scaled so the
output stays bounded): it is for timing the runtime, not for listening.  Generated
on demand; *.bench.ts files are git-ignored.

--size v2_small: the sizes of RAVE's v2_small causal configuration as far as this
family can take them: R = 512 (16 bands, strides 4,4,2), channel multipliers 1,2,4,8
(96..768), 16 latents, about 7.7 M parameters.  Also the bundled family, so the native
executor runs it; an official RAVE export is a different architecture and plays through
TorchScript.
"""
import argparse
import os
import sys
import time

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mmnn  # noqa: E402

CAPACITY = 96
BANDS = 16
STRIDES = [4, 4, 4, 2]
MULTS = [1, 2, 4, 8, 16]
LATENT = 128
DILATIONS = [1, 3, 9]
SR = 44100


SIZES = {
    # name: (strides, channel multipliers, full latent size)
    "v2": (STRIDES, MULTS, LATENT),
    "v2_small": ([4, 4, 2], [1, 2, 4, 8], 16),
}


def build(latent_size: int, seed: int, size: str = "v2") -> mmnn.ExportedModel:
    torch.manual_seed(seed)
    strides, mults, full = SIZES[size]
    ch = [CAPACITY * m for m in mults]
    enc = mmnn.Encoder(BANDS, ch, strides, full, DILATIONS)
    dec = mmnn.Decoder(BANDS, ch[::-1], strides[::-1], full, DILATIONS, noise=BANDS,
                       up_kernel=1)
    # keep activations bounded through the residual stacks
    with torch.no_grad():
        for m in list(enc.modules()) + list(dec.modules()):
            if isinstance(m, mmnn.ResBlock):
                m.c2.weight.mul_(0.3)
    ratio = BANDS
    for s in strides:
        ratio *= s
    return mmnn.ExportedModel(enc, dec, SR, ratio, min(latent_size, full), full)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--latent-size", type=int, default=LATENT,
                    help="latent_size exposed to the performer (<= 128; decode fills "
                         "the rest up to full_latent_size=128 with noise, as RAVE v2)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--size", choices=sorted(SIZES), default="v2")
    ap.add_argument("--no-check", action="store_true")
    args = ap.parse_args()
    t0 = time.time()
    model = build(args.latent_size, args.seed, args.size)
    full = SIZES[args.size][2]
    args.latent_size = min(args.latent_size, full)
    n = sum(p.numel() for p in model.parameters())
    print(f"parameters: {n} ({n / 1e6:.2f} M); ratio {model.ratio}; "
          f"latent {args.latent_size}/{full}")
    mmnn.script_and_save(model, args.out)
    print(f"wrote {args.out} ({os.path.getsize(args.out) / 1e6:.1f} MB) "
          f"in {time.time() - t0:.1f} s")
    if not args.no_check:
        torch.set_flush_denormal(True)
        if args.latent_size == full:
            rep = mmnn.check_export(args.out, model.ratio, full, seconds=0.75)
            print("streaming check:", rep)
        torch.set_num_threads(1)
        m = torch.jit.load(args.out)
        with torch.inference_mode():
            x = torch.randn(1, 1, model.ratio) * 0.3
            y = m.decode(m.encode(x))
            t1, c1 = time.perf_counter(), time.thread_time()
            for _ in range(5):
                y = m.decode(m.encode(x))
            dt = (time.perf_counter() - t1) / 5
            dc = (time.thread_time() - c1) / 5
        assert torch.isfinite(y).all()
        print(f"one frame ({model.ratio} samples) encode+decode in Python, 1 thread: "
              f"{dt * 1000:.1f} ms wall, {dc * 1000:.1f} ms CPU; "
              f"output rms {y.pow(2).mean().sqrt().item():.3f}")
        print(f"total {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
