#!/usr/bin/python3
"""Where the model worker's time goes: one frame (encode + decode) of a streaming model at
one thread, called as the live worker calls it (one frame, then a wait for the next) and
called back to back as a throughput benchmark does, measured side by side in one run;
and the operators a frame runs (torch.profiler).

  /usr/bin/python3 bench/worker_gap.py [--model models/musicmill_drums.ts] [--frames 400]
                                       [--repeats 3] [--out bench/results/worker_gap.txt]

The conditions, alternated in each repeat:
  back-to-back   the next frame at once (what scripts/bench.sh measures)
  sleep          the thread sleeps one frame period minus the compute between frames
                 (what the live worker does: it waits on the audio thread's semaphore)
  spin           the thread busy-waits instead (the core stays awake: no idle-state exit)
  spin+thrash    busy-waits while writing 8 MB (everything in the caches is evicted)
Each: median and p99 of the per-frame times after 50 warm-up frames; the table gives the
median over repeats with the range of the repeats' medians.

Needs Debian's python3-torch (/usr/bin/python3).
"""
import argparse
import os
import statistics
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def frame_times(model, x, R, frames, mode, period):
    ts = []
    junk = torch.zeros(2 * 1024 * 1024) if mode == "spin+thrash" else None
    with torch.inference_mode():
        for i in range(frames):
            blk = x[:, :, (i % 400) * R:(i % 400 + 1) * R]
            t = time.perf_counter()
            model.decode(model.encode(blk))
            dt = time.perf_counter() - t
            ts.append(dt)
            if mode == "sleep":
                time.sleep(max(0.0, period - dt))
            elif mode in ("spin", "spin+thrash"):
                end = time.perf_counter() + max(0.0, period - dt)
                if junk is not None:
                    junk.add_(1.0)
                while time.perf_counter() < end:
                    pass
    ts = sorted(ts[50:])
    return ts[len(ts) // 2] * 1e3, ts[int(len(ts) * 0.99)] * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "musicmill_drums.ts"))
    ap.add_argument("--frames", type=int, default=400)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    torch.set_num_threads(1)
    model = torch.jit.load(a.model).eval()
    R = int(model.encode_params[3])
    sr = int(model.sr) if hasattr(model, "sr") else 44100
    period = R / sr
    x = torch.randn(1, 1, R * 400) * 0.3
    modes = ["back-to-back", "sleep", "spin", "spin+thrash"]
    res = {m: [] for m in modes}
    for _ in range(a.repeats):
        for m in modes:
            res[m].append(frame_times(model, x, R, a.frames, m, period))
    lines = [f"# /usr/bin/python3 bench/worker_gap.py --model {os.path.basename(a.model)} --frames {a.frames} "
             f"--repeats {a.repeats}; torch {torch.__version__}, 1 thread, {time.strftime('%Y-%m-%d')}, "
             f"load {os.getloadavg()[0]:.2f}",
             f"one frame = {R} samples = {1e3 * period:.2f} ms of audio",
             "| condition | median ms [range over repeats] | p99 ms |",
             "|---|---|---|"]
    for m in modes:
        meds = [r[0] for r in res[m]]
        p99 = [r[1] for r in res[m]]
        lines.append(f"| {m} | {statistics.median(meds):.3f} [{min(meds):.3f}-{max(meds):.3f}] | "
                     f"{statistics.median(p99):.3f} |")
    # Operators in one frame.
    blk = x[:, :, :R]
    with torch.inference_mode():
        for _ in range(20):
            model.decode(model.encode(blk))
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
            for _ in range(100):
                model.decode(model.encode(blk))
    ev = prof.key_averages()
    total_calls = sum(e.count for e in ev if e.key.startswith("aten::")) / 100
    lines.append("")
    lines.append(f"aten calls a frame (nested included): {total_calls:.0f}")
    lines.append("top operators by self CPU time (100 frames, back to back):")
    lines.append(ev.table(sort_by="self_cpu_time_total", row_limit=12))
    text = "\n".join(lines)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
