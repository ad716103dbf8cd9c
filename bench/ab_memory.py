#!/usr/bin/python3
"""Memory-side runtime options, side by side (bench/README.md "Allocators and huge pages").

    /usr/bin/python3 bench/ab_memory.py BUILD MODEL [--reps N]

Starts long-lived workers (bench/ThroughputWorker.cpp and bench/py_throughput.py, the
protocol of run_bench.py) and interleaves decode of 100 frames, encode+decode of 50 frames
and 20 one-frame streaming calls across them:
  4k-a, 4k-b        the runtime as shipped, two processes (their spread is the noise floor)
  huge-pages        weights moved onto 2 MB pages (ModelRuntime::Options::hugePageWeights)
  jemalloc, tcmalloc, mimalloc
                    the runtime under another malloc (LD_PRELOAD of Debian's library;
                    skipped when the library is not installed)
  python-a, python-b
                    the same file from Python (Debian's torch 1.13), default malloc
Prints, per call, each worker's median and its time / the shipped runtime's time, as the
median over repetitions (lowest and highest repetition beside it).
"""
import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_bench as rb  # noqa: E402

LIB = "/usr/lib/x86_64-linux-gnu/"
ALLOCATORS = {"jemalloc": "libjemalloc.so.2", "tcmalloc": "libtcmalloc_minimal.so.4",
              "mimalloc": "libmimalloc.so.2"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("model")
    ap.add_argument("--reps", type=int, default=8)
    args = ap.parse_args()

    def cpp(name, huge=0, env=None):
        argv = [os.path.join(args.build, "mm_bench_worker"), "--model", args.model, "--threads", "1",
                "--huge-pages", str(huge)]
        return rb.Worker(name, argv, env=env)

    ws = [cpp("4k-a"), cpp("4k-b"), cpp("huge-pages", huge=1)]
    for name, lib in ALLOCATORS.items():
        if os.path.exists(LIB + lib):
            ws.append(cpp(name, env={"LD_PRELOAD": LIB + lib}))
        else:
            rb.log(f"{name}: {LIB + lib} not installed, skipped")
    ws += [rb.py_worker("python-a", args.model), rb.py_worker("python-b", args.model)]
    rb.start_all(ws)
    for w in ws:  # the profiling executor optimises on the first calls of each shape
        for _ in range(3):
            w.ask("decode 100")
            w.ask("encdec 50")
            w.ask("stream 5")
    print(f"model {args.model}; {args.reps} repetitions; huge pages backing the weights: "
          f"{ws[2].info.get('huge_pages')}")
    for cmd in ["decode 100", "encdec 50", "stream 20"]:
        res = rb.interleave(ws, cmd, args.reps)
        base = [statistics.mean([statistics.median(a), statistics.median(b)])
                for a, b in zip(res["4k-a"], res["4k-b"])]
        print(f"{cmd}:")
        for w in ws:
            r = [statistics.median(x) / c for x, c in zip(res[w.name], base)]
            print(f"  {w.name:11s} median {statistics.median(rb.flat(res[w.name])):9.3f} ms   "
                  f"time / runtime {statistics.median(r):.3f} ({min(r):.3f}..{max(r):.3f})", flush=True)
    rb.close_all(ws)


if __name__ == "__main__":
    main()
