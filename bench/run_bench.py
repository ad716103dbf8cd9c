#!/usr/bin/python3
"""Runs every MusicMill benchmark in one go, prints the tables and writes
bench/results/*.json and bench/results/tables.md. Called by scripts/bench.sh (make bench).

    /usr/bin/python3 bench/run_bench.py --build BUILD --bench-model M.ts [--bundled M.ts]
        [--delay-model delay_44k.ts] [--out bench/results] [--reps N] [--quick]

How it measures, and why: the machine it was written on is shared (2 cores, a training
job and other builds), so no absolute figure is stable. Every comparison is therefore
made side by side: each configuration is a long-lived worker process with its model
loaded (build/mm_bench_worker for the C++ runtime, bench/py_throughput.py for Python);
the driver asks them for one measurement at a time, rotating their order every
repetition, and reports medians and the median of per-repetition ratios (each ratio
between two measurements taken seconds apart).
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FRAMES = [10, 50, 100, 200]
PUBLISHED_M3_MAX_GPU = {10: 14.5, 50: 99.8, 100: 192.9, 200: 291.2}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


class Worker:
    """One loaded model under one configuration, answering one JSON line per command."""

    def __init__(self, name, argv, env=None):
        self.name = name
        self.argv = argv
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=full_env,
                                     bufsize=1)
        self.info = None

    def ask(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        out = self.proc.stdout.readline()
        if not out:
            err = self.proc.stderr.read()
            raise RuntimeError(f"worker {self.name} ({' '.join(self.argv)}) died: {err}")
        ans = json.loads(out)
        if "error" in ans:
            raise RuntimeError(f"worker {self.name}: {ans['error']}")
        return ans

    def start(self):
        self.info = self.ask("info")
        return self

    def close(self):
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=30)
        except Exception:
            self.proc.kill()
            self.proc.wait()


def cpp_worker(build, name, model, threads=1, graph="loaded", executor="profiling",
               mkldnn=1, warmup=0, blas_threads=None, sched="other", retain_memory=1, huge_pages=0):
    argv = [os.path.join(build, "mm_bench_worker"), "--model", model, "--threads", str(threads),
            "--graph", graph, "--executor", executor, "--mkldnn", str(mkldnn),
            "--warmup", str(warmup), "--sched", sched, "--retain-memory", str(retain_memory),
            "--huge-pages", str(huge_pages)]
    if blas_threads is not None:
        argv += ["--blas-threads", str(blas_threads)]
    return Worker(name, argv)


def fifo_allowed():
    return subprocess.run(["chrt", "-f", "10", "true"], capture_output=True).returncode == 0


def py_worker(name, model, threads=1, warmup=0, env=None):
    return Worker(name, ["/usr/bin/python3", os.path.join(HERE, "py_throughput.py"),
                         "--model", model, "--threads", str(threads), "--warmup", str(warmup)],
                  env=env)


def start_all(workers):
    # Load one at a time: loading is memory- and disk-heavy and would skew nothing, but
    # parallel loads of a 130 MB model on 2 cores only make every load slower.
    for w in workers:
        log(f"  loading {w.name} ...")
        w.start()
    return workers


def close_all(workers):
    for w in workers:
        w.close()


def pct(v, q):
    s = sorted(v)
    if not s:
        return float("nan")
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def interleave(workers, command, reps):
    """{worker name: [ms per rep]} for `command`, worker order rotated every repetition."""
    out = {w.name: [] for w in workers}
    for r in range(reps):
        order = workers[r % len(workers):] + workers[:r % len(workers)]
        for w in order:
            ans = w.ask(command)
            ms = ans["ms"]
            out[w.name].append(ms if isinstance(ms, list) else [ms])
            FAULTS.setdefault(w.name, []).append(ans.get("faults", float("nan")))
    return out


# Page faults per call (per frame for `stream`) of each worker's latest interleave() run.
FAULTS = {}


def faults_of(name):
    v = FAULTS.pop(name, [])
    return statistics.median(v) if v else None


def paired_ratio(a_reps, b_reps):
    """Median over repetitions of median(a_rep) / median(b_rep)."""
    return statistics.median(statistics.median(a) / statistics.median(b)
                             for a, b in zip(a_reps, b_reps))


def flat(reps):
    return [x for rep in reps for x in rep]


# ---------------------------------------------------------------------------------------
def bench_throughput(args, threads):
    """Decode and encode+decode of 10..200 frames at batch 1, C++ runtime vs Python.

    Two processes of each kind: two identical processes differ by up to ~5-15 % in a cell
    (core, cache and physical pages they happen to get), as much as C++ and Python do, so
    each side is the pool of its two processes. Two more Python processes run with glibc's
    malloc tuned the way the runtime tunes it (retainFreedMemory), to separate what the
    runtime adds from what the allocator does. Each ratio is the median over repetitions
    of (pool mean / pool mean), with the lowest and highest repetition beside it."""
    log(f"throughput: C++ runtime vs Python, {threads} thread(s)")
    reps = args.reps if threads == 1 else max(2, (args.reps + 1) // 2)
    tuned_env = {"MALLOC_MMAP_THRESHOLD_": str(32 * 1024 * 1024),
                 "MALLOC_TRIM_THRESHOLD_": str(1024 * 1024 * 1024)}
    kinds = {"cpp": [cpp_worker(args.build, "cpp-1", args.bench_model, threads=threads),
                     cpp_worker(args.build, "cpp-2", args.bench_model, threads=threads)],
             "python": [py_worker("python-1", args.bench_model, threads=threads),
                        py_worker("python-2", args.bench_model, threads=threads)],
             "python_tuned_malloc": [py_worker("python-tuned-1", args.bench_model, threads=threads,
                                               env=tuned_env),
                                     py_worker("python-tuned-2", args.bench_model, threads=threads,
                                               env=tuned_env)]}
    ws = start_all([w for group in kinds.values() for w in group])
    info = ws[0].info
    R, sr = info["ratio"], info["sr"]
    # Warm all the same way (profiling executor: the first calls of each shape are slow).
    for w in ws:
        for f in FRAMES:
            for _ in range(2):
                w.ask(f"decode {f}")
                w.ask(f"encdec {f}")
    rows = []
    for mode in ["decode", "encdec"]:
        for f in FRAMES:
            log(f"  {mode} {f} frames x {reps}")
            res = interleave(ws, f"{mode} {f}", reps)
            audio_s = f * R / sr
            row = {"mode": mode, "frames": f, "audio_s": audio_s, "reps": reps}
            per_rep = {}
            for kind, group in kinds.items():
                ms = [x for w in group for x in flat(res[w.name])]
                fl = [faults_of(w.name) for w in group]
                row[kind] = {"median_ms": statistics.median(ms), "min_ms": min(ms),
                             "max_ms": max(ms), "rtf": audio_s / (statistics.median(ms) / 1000),
                             "all_ms": ms, "processes": [w.name for w in group],
                             "page_faults_per_call": max(x for x in fl if x is not None)}
                per_rep[kind] = [statistics.mean(statistics.median(res[w.name][r]) for w in group)
                                 for r in range(reps)]
            py_ratios = [p / c for p, c in zip(per_rep["python"], per_rep["cpp"])]
            tuned_ratios = [p / c for p, c in zip(per_rep["python_tuned_malloc"], per_rep["cpp"])]
            row["python_over_cpp_time"] = statistics.median(py_ratios)
            row["python_over_cpp_range"] = [min(py_ratios), max(py_ratios)]
            row["python_tuned_over_cpp_time"] = statistics.median(tuned_ratios)
            row["python_tuned_over_cpp_range"] = [min(tuned_ratios), max(tuned_ratios)]
            row["cpp_process_spread"] = statistics.median(
                statistics.median(a) / statistics.median(b)
                for a, b in zip(res["cpp-2"], res["cpp-1"]))
            rows.append(row)
    close_all(ws)
    return {"threads": threads, "model": args.bench_model, "ratio": R, "sr": sr,
            "params": info["params"], "cpp_blas_threads": info.get("blas_threads"),
            "python_blas_threads": kinds["python"][0].info.get("blas_threads"), "rows": rows}


# ---------------------------------------------------------------------------------------
def variants(args, model, realtime_fits):
    b = args.build
    ncpu = os.cpu_count() or 2
    v = [
        ("baseline", "runtime defaults: 1 thread (LibTorch and OpenBLAS), graph as loaded, "
                     "profiling executor, oneDNN allowed",
         lambda: cpp_worker(b, "baseline", model, warmup=args.warmup_calls)),
        ("openblas-default", f"OpenBLAS pool left at its default ({ncpu} threads): the runtime "
                             "before this change",
         lambda: cpp_worker(b, "openblas-default", model, warmup=args.warmup_calls,
                            blas_threads=ncpu)),
        ("no-retain-memory", "glibc malloc left to return freed blocks to the kernel "
                             "(retainFreedMemory = false): the runtime before this change",
         lambda: cpp_worker(b, "no-retain-memory", model, warmup=args.warmup_calls,
                            retain_memory=0)),
        ("huge-pages", "weights moved onto 2 MB pages after loading (Options::hugePageWeights, "
                       "madvise MADV_COLLAPSE)",
         lambda: cpp_worker(b, "huge-pages", model, warmup=args.warmup_calls, huge_pages=1)),
        ("frozen", "torch::jit::freeze of a clone (Options::Graph::Frozen)",
         lambda: cpp_worker(b, "frozen", model, graph="frozen", warmup=args.warmup_calls)),
        ("frozen+optimized", "freeze + optimize_for_inference (Options::Graph::FrozenOptimized)",
         lambda: cpp_worker(b, "frozen+optimized", model, graph="optimized",
                            warmup=args.warmup_calls)),
        ("simple-executor", "profiling executor off (getProfilingMode() = false)",
         lambda: cpp_worker(b, "simple-executor", model, executor="simple",
                            warmup=args.warmup_calls)),
        ("legacy-executor", "legacy graph executor (getExecutorMode() = false)",
         lambda: cpp_worker(b, "legacy-executor", model, executor="legacy",
                            warmup=args.warmup_calls)),
        ("2-threads", "2 intra-op threads (LibTorch and OpenBLAS)",
         lambda: cpp_worker(b, "2-threads", model, threads=2, warmup=args.warmup_calls)),
        ("2-threads-blas1", "2 LibTorch threads, OpenBLAS 1 thread",
         lambda: cpp_worker(b, "2-threads-blas1", model, threads=2, warmup=args.warmup_calls,
                            blas_threads=1)),
        ("no-onednn", "oneDNN (mkldnn) convolutions disabled",
         lambda: cpp_worker(b, "no-onednn", model, mkldnn=0, warmup=args.warmup_calls)),
        ("python", "the same file from Python (torch 1.13, 1 thread, OpenBLAS 1 thread)",
         lambda: py_worker("python", model, warmup=args.warmup_calls)),
    ]
    # A real-time thread priority only makes sense for a model that keeps up with real
    # time: a SCHED_FIFO thread that never finishes would starve the machine.
    if realtime_fits and fifo_allowed():
        v.append(("fifo-priority", "baseline on a SCHED_FIFO (priority 10) thread: not a "
                                   "runtime option, the worker thread's scheduling",
                  lambda: cpp_worker(b, "fifo-priority", model, warmup=args.warmup_calls,
                                     sched="fifo")))
    return v


def bench_options(args, label, model, stream_calls, batch_frames, batch_reps, realtime_fits):
    """Streaming cost (one-frame encode+decode, the live unit) and one batch decode under
    every runtime option, interleaved; warm-up cost from each worker's first calls."""
    log(f"options and streaming cost: {label}")
    specs = variants(args, model, realtime_fits)
    ws = []
    for name, _, make in specs:
        log(f"  loading {name} ...")
        ws.append(make().start())
    info = ws[0].info
    R, sr = info["ratio"], info["sr"]
    frame_ms = 1000.0 * R / sr
    # Settle: a few calls each beyond the recorded warm-up.
    for w in ws:
        w.ask("stream 3")
        w.ask(f"decode {batch_frames}")
    per_rep = max(1, stream_calls // args.stream_reps)
    log(f"  streaming: {args.stream_reps} reps x {per_rep} frames per worker")
    stream = interleave(ws, f"stream {per_rep}", args.stream_reps)
    stream_faults = {w.name: faults_of(w.name) for w in ws}
    log(f"  decode {batch_frames} frames: {batch_reps} reps per worker")
    batch = interleave(ws, f"decode {batch_frames}", batch_reps)
    batch_faults = {w.name: faults_of(w.name) for w in ws}
    rows = []
    for (name, what, _), w in zip(specs, ws):
        ms = flat(stream[name])
        warm = w.info.get("warmup_ms", [])
        med = statistics.median(ms)
        rows.append({
            "variant": name, "what": what,
            "stream_median_ms": med, "stream_p99_ms": pct(ms, 0.99), "stream_max_ms": max(ms),
            "stream_n": len(ms),
            "stream_ratio_vs_baseline": paired_ratio(stream[name], stream["baseline"]),
            "batch_frames": batch_frames,
            "batch_median_ms": statistics.median(flat(batch[name])),
            "batch_ratio_vs_baseline": paired_ratio(batch[name], batch["baseline"]),
            "stream_page_faults_per_frame": stream_faults[name],
            "batch_page_faults_per_call": batch_faults[name],
            "first_call_ms": warm[0] if warm else None,
            "warmup_ms": warm,
            "load_ms": w.info.get("load_ms"),
            "threads": w.info.get("threads"), "blas_threads": w.info.get("blas_threads"),
        })
    overhead = ws[0].ask("copycheck 1")["ms"]
    close_all(ws)
    return {"label": label, "model": model, "ratio": R, "sr": sr, "frame_ms": frame_ms,
            "params": info["params"], "latent": info["latent"],
            "runtime_copy_and_check_ms_per_frame": overhead, "rows": rows}


# ---------------------------------------------------------------------------------------
def bench_focused(args, label, model, per_rep, reps):
    """Small effects need many paired repetitions: the graph and executor options alone
    against the baseline, after a long warm-up."""
    log(f"focused A/B: {label}, {reps} reps x {per_rep} frames")
    b = args.build
    ws = [cpp_worker(b, "baseline", model, warmup=20),
          cpp_worker(b, "frozen", model, graph="frozen", warmup=20),
          cpp_worker(b, "frozen+optimized", model, graph="optimized", warmup=20),
          cpp_worker(b, "simple-executor", model, executor="simple", warmup=20)]
    start_all(ws)
    res = interleave(ws, f"stream {per_rep}", reps)
    FAULTS.clear()
    rows = []
    for w in ws:
        ratios = [statistics.median(a) / statistics.median(c)
                  for a, c in zip(res[w.name], res["baseline"])]
        rows.append({"variant": w.name, "median_ms": statistics.median(flat(res[w.name])),
                     "ratio_vs_baseline": statistics.median(ratios),
                     "reps_faster": sum(r < 1 for r in ratios), "reps": len(ratios)})
    close_all(ws)
    return {"label": label, "model": model, "frames_per_rep": per_rep, "rows": rows}


# ---------------------------------------------------------------------------------------
def bench_latency(args, label, model, model_delay=0, realtime=False):
    """mm_bench_latency; with `realtime`, under `chrt -f 10`: jackd, musicmill (all its
    threads) and our JACK client then run SCHED_FIFO, as on a stage machine set up for
    real-time audio, instead of competing with every other process on the machine."""
    tag = "".join(c if c.isalnum() else "_" for c in label) + ("_fifo" if realtime else "")
    out = os.path.join(args.out, f"latency_{tag}.json")
    cmd = [os.path.join(args.build, "mm_bench_latency"), "--model", model, "--out", out,
           "--label", label, "--model-delay", str(model_delay), "--clicks", str(args.clicks),
           "--buffers", args.buffers]
    if realtime:
        cmd = ["chrt", "-f", "10"] + cmd
    for attempt in range(2):  # a JACK server that fails to start on a busy machine: retry once
        log("latency:", " ".join(cmd))
        r = subprocess.run(cmd, stderr=subprocess.PIPE, text=True)
        sys.stderr.write(r.stderr)
        if r.returncode == 0:
            break
    if r.returncode != 0:
        return {"label": label, "model": model, "realtime": realtime,
                "error": f"mm_bench_latency exited {r.returncode}: {r.stderr.strip()[-300:]}"}
    with open(out) as f:
        L = json.load(f)
    L["realtime"] = realtime
    return L


# ---------------------------------------------------------------------------------------
def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    torch_version = subprocess.run(["/usr/bin/python3", "-c", "import torch;print(torch.__version__)"],
                                   capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
            "torch": torch_version, "loadavg_start": os.getloadavg(),
            "date_utc": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")}


def f1(x):
    return "-" if x is None else f"{x:.1f}"


def f2(x):
    return "-" if x is None else f"{x:.2f}"


def pf(x):
    return "-" if x is None or x != x else f"{x:.0f}"


def fms(x):
    """Milliseconds with three significant digits."""
    if x is None:
        return "-"
    return f"{x:.3f}" if x < 1 else f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def rng(row, key):
    lo_hi = row.get(key)
    return f"{lo_hi[0]:.2f}..{lo_hi[1]:.2f}" if lo_hi else "-"


def tables(res):
    md = []
    m = res["machine"]
    md.append(f"Machine: {m['cpu']}, {m['cores']} cores, torch/LibTorch {m['torch']}; "
              f"{m['date_utc']}; load average at start {m['loadavg_start'][0]:.1f}, "
              f"at end {m['loadavg_end'][0]:.1f} (shared machine).\n")
    for tp in res.get("throughput", []):
        md.append(f"### Throughput, v2-size benchmark model ({tp['params'] / 1e6:.1f} M parameters, "
                  f"R = {tp['ratio']}, {tp['sr']} Hz), batch 1, {tp['threads']} thread(s)\n")
        md.append("| call | frames | audio (s) | C++ median (ms) | C++ real-time factor | "
                  "Python median (ms) | Python real-time factor | Python time / C++ time "
                  "(lowest..highest repetition) | "
                  "page faults per call, C++ / Python | Python with the runtime's malloc "
                  "setting: time / C++ time (lowest..highest) | C++ process 2 / process 1 | "
                  "original design (M3 Max GPU) |")
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in tp["rows"]:
            ref = f"{PUBLISHED_M3_MAX_GPU[r['frames']]}x" if r["mode"] == "decode" else "-"
            md.append(f"| {'decode' if r['mode'] == 'decode' else 'encode+decode'} | {r['frames']} | "
                      f"{r['audio_s']:.2f} | {r['cpp']['median_ms']:.0f} | {r['cpp']['rtf']:.2f}x | "
                      f"{r['python']['median_ms']:.0f} | {r['python']['rtf']:.2f}x | "
                      f"{r['python_over_cpp_time']:.2f} ({rng(r, 'python_over_cpp_range')}) | "
                      f"{pf(r['cpp']['page_faults_per_call'])} / "
                      f"{pf(r['python']['page_faults_per_call'])} | "
                      f"{r['python_tuned_over_cpp_time']:.2f} ({rng(r, 'python_tuned_over_cpp_range')}) | "
                      f"{r['cpp_process_spread']:.2f} | {ref} |")
        md.append("")
    if res.get("options"):
        md.append("### Streaming cost per frame at batch 1 (runtime defaults, one-frame "
                  "encode+decode, the live engine's unit of work)\n")
        md.append("| model | parameters | R | one frame of audio (ms) | compute median (ms) | p99 (ms) | "
                  "max (ms) | frames measured | CPU headroom at real time, median | at p99 |")
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for op in res["options"]:
            r = op["rows"][0]
            md.append(f"| {op['label']} | {op['params'] / 1e6:.2f} M | {op['ratio']} | "
                      f"{op['frame_ms']:.2f} | {fms(r['stream_median_ms'])} | {fms(r['stream_p99_ms'])} | "
                      f"{fms(r['stream_max_ms'])} | {r['stream_n']} | "
                      f"{100 * (1 - r['stream_median_ms'] / op['frame_ms']):.0f} % | "
                      f"{100 * (1 - r['stream_p99_ms'] / op['frame_ms']):.0f} % |")
        md.append("\nHeadroom = 1 - compute / frame duration (negative: slower than real time).\n")
    for op in res.get("options", []):
        md.append(f"### Streaming cost and runtime options: {op['label']} (R = {op['ratio']}, "
                  f"one frame = {op['frame_ms']:.2f} ms of audio)\n")
        md.append("One-frame encode+decode at batch 1 (the live engine's unit of work), and one "
                  f"decode of {op['rows'][0]['batch_frames']} frames. Ratios are time / baseline "
                  "time, paired per repetition (< 1 is faster).\n")
        md.append("| variant | per frame median (ms) | p99 (ms) | max (ms) | headroom at real time "
                  "(median) | frame time ratio | page faults per frame | batch decode (ms) | batch ratio | "
                  "page faults per batch | first call (ms) | calls 2-5 (ms) |")
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for r in op["rows"]:
            head = 1 - r["stream_median_ms"] / op["frame_ms"]
            w = r["warmup_ms"]
            md.append(f"| {r['variant']} | {fms(r['stream_median_ms'])} | {fms(r['stream_p99_ms'])} | "
                      f"{fms(r['stream_max_ms'])} | {100 * head:.0f} % | "
                      f"{r['stream_ratio_vs_baseline']:.2f} | {pf(r['stream_page_faults_per_frame'])} | "
                      f"{fms(r['batch_median_ms'])} | "
                      f"{r['batch_ratio_vs_baseline']:.2f} | {pf(r['batch_page_faults_per_call'])} | "
                      f"{fms(r['first_call_ms'])} | "
                      f"{', '.join(fms(x) for x in w[1:5])} |")
        md.append("")
        md.append("Variants: " + "; ".join(f"**{r['variant']}**: {r['what']}" for r in op["rows"]) +
                  f". The runtime's own per-call work besides the model (output copy + NaN scan) "
                  f"is {1000 * op['runtime_copy_and_check_ms_per_frame']:.2f} µs per frame.\n")
    for fo in res.get("focused", []):
        md.append(f"### Graph freezing and executor, many paired repetitions: {fo['label']}\n")
        md.append(f"One-frame encode+decode, {fo['rows'][0]['reps']} repetitions of "
                  f"{fo['frames_per_rep']} frames per variant, interleaved.\n")
        md.append("| variant | per frame median (ms) | time ratio vs baseline | repetitions faster than "
                  "baseline |")
        md.append("|---|---:|---:|---:|")
        for r in fo["rows"]:
            md.append(f"| {r['variant']} | {fms(r['median_ms'])} | {r['ratio_vs_baseline']:.3f} | "
                      f"{r['reps_faster']}/{r['reps']} |")
        md.append("")
    lat = res.get("latency", [])
    if lat:
        md.append("### End-to-end latency through JACK (dummy backend), mic to speaker\n")
        md.append("Measured: clicks played by our own JACK client into musicmill:inport 0, found "
                  "in musicmill:outport 0 (median over clicks). It includes one JACK period in and "
                  "one out, as a sound card's buffers.\n")
        md.append("The engine starts at the smallest latency its warm-up allows and, after a late "
                  "frame, settles higher (whole buffers, at most two blocks): \"starts at\" is the "
                  "first, \"engine reports\" the latency at the end of the run, which the clicks measure.\n")
        md.append("| model | scheduling | buffer | measured (ms) | engine reports (ms) | starts at (ms) | floor: R + compute "
                  "+ 2 buffers (ms) | nn~ default, 2x4096 - b (ms) | RAVE VST default 8192 (ms) | compute "
                  "median / p99 / max (ms) | engine's compute budget (ms) | late frames | xruns | "
                  "10 ms target |")
        md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for L in lat:
            sched = "SCHED_FIFO (chrt -f 10)" if L.get("realtime") else "normal"
            if "error" in L:
                md.append(f"| {L['label']} | {sched} | - | {L['error']} | | | | | | | | | | |")
                continue
            sr = L["rate"]
            for r in L["rows"]:
                b = r["buffer"]
                nn = 1000.0 * (2 * 4096 - b) / sr
                vst = 1000.0 * 8192 / sr
                meas = r["measured_ms"]
                if L.get("no_target"):
                    target = "-"
                elif meas is None or r["reported_latency_ms"] > 10.0:
                    target = "not met"
                else:
                    target = "met" if r["late_frames"] == 0 else "met, but with late frames"
                md.append(f"| {L['label']} | {sched} | {b} | {f2(meas)} | {f2(r['reported_latency_ms'])} | "
                          f"{f2(r.get('start_latency_ms'))} | {f2(r['floor_ms'])} | {nn:.1f} | {vst:.1f} | "
                          f"{fms(r['compute_median_ms'])} / {fms(r['compute_p99_ms'])} / "
                          f"{fms(r['compute_max_ms'])} | {fms(r['compute_budget_ms'])} | "
                          f"{r['late_frames']:.0f} | {r['xruns']:.0f} | {target} |")
        md.append("")
    if any(L.get("label") == "v2-size benchmark" for L in lat):
        md.append("The v2-size benchmark model has random weights: its output is noise, with no hit "
                  "to find, so only the engine's own figures are given for it.\n")
    for note in res.get("notes", []):
        md.append(f"- {note}")
    return "\n".join(md) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--bench-model", required=True)
    ap.add_argument("--bundled", default="")
    ap.add_argument("--delay-model", default="")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--reps", type=int, default=5, help="repetitions per throughput cell")
    ap.add_argument("--stream-reps", type=int, default=10)
    ap.add_argument("--clicks", type=int, default=8)
    ap.add_argument("--warmup-calls", type=int, default=10)
    ap.add_argument("--only", default="options,focused,latency,throughput")
    ap.add_argument("--throughput-threads", default="1,2")
    ap.add_argument("--buffers", default="64,128,256,512")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke test)")
    args = ap.parse_args()
    if args.quick:
        args.reps, args.stream_reps, args.clicks, args.buffers = 2, 3, 3, "64,256"
    os.makedirs(args.out, exist_ok=True)
    only = set(args.only.split(","))
    res = {"machine": machine(), "notes": [], "command": " ".join(sys.argv)}
    t0 = time.time()

    fits = {}
    # Sections not measured in this run keep their last results (their JSON files), so
    # that tables.md always shows every table; each table says when it was measured only
    # through run.json of that run, so rerun everything for one consistent set.
    for section in ("options", "focused", "throughput"):
        path = os.path.join(args.out, section + ".json")
        if section not in only and os.path.exists(path):
            with open(path) as f:
                res[section] = json.load(f)
            res["notes"].append(f"{section}: from the previous run ({section}.json), not measured again "
                                f"in this one (--only {args.only}).")
    for op in res.get("options", []):
        if op.get("rows"):
            fits[op["model"]] = op["rows"][0]["stream_median_ms"] < op["frame_ms"]
    if "options" in only:
        res["options"] = []
        targets = []
        if args.bundled and os.path.exists(args.bundled):
            targets.append(("bundled", args.bundled, 400, 200 if not args.quick else 20))
        else:
            res["notes"].append(f"bundled model {args.bundled or '(none given)'} not found: "
                                "its streaming row and latency rows are missing.")
        targets.append(("v2-size benchmark", args.bench_model, 60, 100))
        for label, model, calls, batch in targets:
            # Whether one frame's compute fits in one frame's time at all (median of a
            # few calls): decides the SCHED_FIFO variant and the JACK run.
            probe = cpp_worker(args.build, "probe", model, warmup=5).start()
            probe_ms = statistics.median(probe.ask("stream 8")["ms"])
            close_all([probe])
            frame_ms = 1000.0 * probe.info["ratio"] / probe.info["sr"]
            op = bench_options(args, label, model, calls if not args.quick else 9, batch,
                               max(2, args.stream_reps // 2), probe_ms < 0.5 * frame_ms)
            res["options"].append(op)
            base = op["rows"][0]
            fits[model] = base["stream_median_ms"] < op["frame_ms"]
        with open(os.path.join(args.out, "options.json"), "w") as f:
            json.dump(res["options"], f, indent=1)
        save(args, res, t0)

    if "focused" in only:
        res["focused"] = []
        if args.bundled and os.path.exists(args.bundled):
            res["focused"].append(bench_focused(args, "bundled", args.bundled, 40,
                                                30 if not args.quick else 3))
        res["focused"].append(bench_focused(args, "v2-size benchmark", args.bench_model, 4,
                                            15 if not args.quick else 2))
        with open(os.path.join(args.out, "focused.json"), "w") as f:
            json.dump(res["focused"], f, indent=1)
        save(args, res, t0)

    if "latency" in only:
        res["latency"] = []
        modes = [False, True] if fifo_allowed() else [False]
        for rt in modes:
            if args.delay_model and os.path.exists(args.delay_model):
                L = bench_latency(args, "delay fixture (engine only)", args.delay_model,
                                  model_delay=64, realtime=rt)
                L["no_target"] = True
                res["latency"].append(L)
            if args.bundled and os.path.exists(args.bundled):
                res["latency"].append(bench_latency(args, "bundled", args.bundled, realtime=rt))
        if fits.get(args.bench_model, False):
            res["latency"].append(bench_latency(args, "v2-size benchmark", args.bench_model))
        elif args.bench_model in fits:
            op = [o for o in res["options"] if o["model"] == args.bench_model][0]
            b = op["rows"][0]
            res["notes"].append(
                f"v2-size benchmark model: not run through JACK: one frame ({op['frame_ms']:.1f} ms of "
                f"audio) takes {b['stream_median_ms']:.0f} ms median, {b['stream_p99_ms']:.0f} ms p99 to "
                f"encode+decode on this machine, so it cannot keep up with real time "
                f"({b['stream_median_ms'] / op['frame_ms']:.1f}x slower).")
        with open(os.path.join(args.out, "latency.json"), "w") as f:
            json.dump(res["latency"], f, indent=1)
        save(args, res, t0)

    if "throughput" in only:
        res["throughput"] = [bench_throughput(args, int(t)) for t in args.throughput_threads.split(",")]
        with open(os.path.join(args.out, "throughput.json"), "w") as f:
            json.dump(res["throughput"], f, indent=1)

    print(save(args, res, t0))


def save(args, res, t0):
    """Writes tables.md and run.json for what has been measured so far."""
    res["machine"]["loadavg_end"] = os.getloadavg()
    res["elapsed_s"] = time.time() - t0
    md = tables(res)
    with open(os.path.join(args.out, "tables.md"), "w") as f:
        f.write(md)
    with open(os.path.join(args.out, "run.json"), "w") as f:
        json.dump({"machine": res["machine"], "notes": res["notes"], "command": res["command"],
                   "elapsed_s": res["elapsed_s"]}, f, indent=1)
    return md


if __name__ == "__main__":
    main()
