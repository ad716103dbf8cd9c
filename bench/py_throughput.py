#!/usr/bin/python3
"""The Python reference for the C++ runtime: the same model file driven from Python
(Debian's python3-torch, the same torch 1.13 as the C++ LibTorch).

    /usr/bin/python3 bench/py_throughput.py --model M [--threads N] [--warmup N]

It speaks the same line protocol as build-*/mm_bench_worker (see bench/ThroughputWorker.cpp):
`info`, `decode F`, `encdec F`, `stream K`, `quit`, one JSON answer per line, so that
bench/run_bench.py can interleave the two and measure the C++/Python ratio under the same
machine load. Settings match the C++ worker: intra-op threads (and OpenBLAS's pool, which
torch.set_num_threads does not reach), one inter-op thread, denormals flushed, every call
under torch.inference_mode(); inputs are made once, outside the timed region.
"""
import argparse
import ctypes
import json
import resource
import sys
import time

import torch


def set_openblas_threads(n: int) -> None:
    # The C++ runtime sets OpenBLAS's pool to its thread count (ModelRuntime.cpp); do the
    # same here so that the comparison is like for like.
    # torch's extension loads LibTorch privately (RTLD_LOCAL): reach OpenBLAS by its soname,
    # which returns the instance already loaded.
    try:
        ctypes.CDLL("libopenblas.so.0").openblas_set_num_threads(ctypes.c_int(n))
    except (AttributeError, OSError):
        pass


def openblas_threads() -> int:
    try:
        return int(ctypes.CDLL("libopenblas.so.0").openblas_get_num_threads())
    except (AttributeError, OSError):
        return -1


def faults() -> int:
    """Minor page faults of this thread so far (each one a zero-filled page)."""
    return resource.getrusage(resource.RUSAGE_THREAD).ru_minflt


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=0)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    set_openblas_threads(args.threads)
    torch.set_flush_denormal(True)
    t0 = time.perf_counter()
    m = torch.jit.load(args.model).eval()
    load_ms = (time.perf_counter() - t0) * 1000
    enc_p = m.encode_params.tolist()
    dec_p = m.decode_params.tolist()
    ratio, latent, in_ch, out_ch = int(enc_p[3]), int(dec_p[0]), int(enc_p[0]), int(dec_p[2])
    sr = int(m.sr) if hasattr(m, "sr") else int(m.sampling_rate.item())
    gen = torch.Generator().manual_seed(1234)
    audio, latents = {}, {}

    def encdec(frames: int) -> float:
        n = frames * ratio
        if n not in audio:
            audio[n] = torch.randn(1, in_ch, n, generator=gen) * 0.3
        x = audio[n]
        t = time.perf_counter()
        with torch.inference_mode():
            m.decode(m.encode(x))
        return (time.perf_counter() - t) * 1000

    def decode(frames: int) -> float:
        if frames not in latents:
            latents[frames] = torch.randn(1, latent, frames, generator=gen)
        z = latents[frames]
        t = time.perf_counter()
        with torch.inference_mode():
            m.decode(z)
        return (time.perf_counter() - t) * 1000

    warm = [encdec(1) for _ in range(args.warmup)]
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        cmd, n = parts[0], int(parts[1]) if len(parts) > 1 else 0
        try:
            if cmd == "quit":
                break
            if cmd == "info":
                ans = {"ratio": ratio, "latent": latent, "sr": sr, "load_ms": load_ms,
                       "params": sum(p.numel() for p in m.parameters()), "warmup_ms": warm,
                       "threads": torch.get_num_threads(), "blas_threads": openblas_threads()}
            elif cmd == "decode" and n > 0:
                f0 = faults()
                ans = {"ms": decode(n), "faults": faults() - f0}
            elif cmd == "encdec" and n > 0:
                f0 = faults()
                ans = {"ms": encdec(n), "faults": faults() - f0}
            elif cmd == "stream" and n > 0:
                f0 = faults()
                ans = {"ms": [encdec(1) for _ in range(n)]}
                ans["faults"] = (faults() - f0) / n
            else:
                ans = {"error": "unknown command: " + cmd}
        except Exception as e:  # report, keep serving
            ans = {"error": str(e).splitlines()[0]}
        sys.stdout.write(json.dumps(ans) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
