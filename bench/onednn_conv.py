#!/usr/bin/python3
"""Would routing the convolutions to oneDNN through LibTorch help a streaming frame?

    /usr/bin/python3 bench/onednn_conv.py [--reps 3] [--calls 2000] [--out bench/results/onednn_conv.txt]

LibTorch's `optimize_for_inference` hands conv2d (not conv1d) to oneDNN (MKL-DNN, in
Debian's torch). This times, for the drum model's layer shapes at the steps one live frame
gives them, one call of the same causal convolution three ways, side by side in one
process, one thread: conv1d frozen (what a frozen TorchScript model runs), conv1d after
`optimize_for_inference`, and the load-time rewrite the issue suggests — the layer as a
conv2d over a height-1 image, after `optimize_for_inference` (oneDNN, prepacked weights;
its outputs are checked equal to conv1d's). Median per call [min-max of the repetitions'
medians], in microseconds; each call includes TorchScript's dispatch, as a frame does.
"""
import argparse
import statistics
import time

import torch

# (in channels, out channels, kernel, output steps in one live frame): the drum model's
# convolutions (models/musicmill_drums.ts, R = 256), widest first.
SHAPES = [(96, 96, 3, 16), (96, 128, 8, 4), (128, 128, 3, 4), (128, 192, 8, 1), (192, 512, 3, 1), (128, 384, 3, 4)]


class Conv1(torch.nn.Module):
    def __init__(self, cin, cout, k):
        super().__init__()
        self.c = torch.nn.Conv1d(cin, cout, k)

    def forward(self, x):
        return self.c(x)


class Conv2(torch.nn.Module):
    """The same weights as a (1 x k) conv2d over [B, C, 1, T]."""

    def __init__(self, c1: Conv1):
        super().__init__()
        c = c1.c
        self.c = torch.nn.Conv2d(c.in_channels, c.out_channels, (1, c.kernel_size[0]))
        with torch.no_grad():
            self.c.weight.copy_(c.weight.unsqueeze(2))
            self.c.bias.copy_(c.bias)

    def forward(self, x):
        return self.c(x.unsqueeze(2)).squeeze(2)


def per_call_us(f, x, calls: int) -> float:
    with torch.inference_mode():
        for _ in range(100):
            f(x)
        ts = []
        for _ in range(calls):
            t0 = time.perf_counter()
            f(x)
            ts.append(time.perf_counter() - t0)
    return statistics.median(ts) * 1e6


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(1)
    lines = [f"oneDNN (MKL-DNN available: {torch.backends.mkldnn.is_available()}) against conv1d, one call, "
             f"1 thread, {args.reps} reps x {args.calls} calls; median us [min-max of the reps]",
             "| layer (in, out, kernel, steps) | conv1d frozen | conv1d optimize_for_inference | "
             "conv2d optimize_for_inference (oneDNN) | oneDNN / conv1d frozen |",
             "|---|---:|---:|---:|---:|"]
    print("\n".join(lines), flush=True)
    for cin, cout, k, steps in SHAPES:
        m1 = Conv1(cin, cout, k).eval()
        m2 = Conv2(m1).eval()
        x = torch.randn(1, cin, steps + k - 1)
        configs = [torch.jit.freeze(torch.jit.script(m1)),
                   torch.jit.optimize_for_inference(torch.jit.script(m1)),
                   torch.jit.optimize_for_inference(torch.jit.script(m2))]
        with torch.inference_mode():
            ref = m1(x)
            for f in configs:
                if not torch.allclose(f(x), ref, atol=1e-4, rtol=1e-4):
                    raise SystemExit(f"onednn_conv: a configuration differs from conv1d for {(cin, cout, k, steps)}")
        got = [[] for _ in configs]
        for r in range(args.reps):
            for i in range(len(configs)):
                j = (i + r) % len(configs)  # order rotated each repetition
                got[j].append(per_call_us(configs[j], x, args.calls))
        cells = [f"{statistics.median(g):.1f} [{min(g):.1f}-{max(g):.1f}]" for g in got]
        ratio = statistics.median(got[2]) / statistics.median(got[0])
        line = f"| {cin}, {cout}, {k}, {steps} | " + " | ".join(cells) + f" | {ratio:.2f}x |"
        lines.append(line)
        print(line, flush=True)
    if args.out:
        with open(args.out + ".tmp", "w") as f:
            f.write("\n".join(lines) + "\n")
        import os
        os.replace(args.out + ".tmp", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
