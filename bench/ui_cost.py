#!/usr/bin/env python3
"""What the stage UI costs in CPU, drawing every frame against drawing only frames that
changed (`perform --ui-redraw always|changes`), measured side by side in one run.

Each run starts a private JACK dummy server (44.1 kHz, 128 frames, `jackd -r`: no real-time
scheduling, so CPU taken from JACK shows as xruns) and a private Xvfb
screen of the size asked, plays `musicmill perform` fullscreen with the model asked and
its input unconnected, in a scene (--scenes): `rest` (the voice silent, nothing touched)
or `playing` (the demo beatbox take looping as a pattern source), waits for
the UI to settle, and then reads the CPU time of every thread of the process from
/proc over a window of --seconds: the UI's own (the main thread, and Mesa's llvmpipe
threads that rasterise for it under software rendering) and the audio and model
threads'. The instrument's --report gives the xruns and late frames of the run, the UI
log the frames built and presented. Modes alternate run by run; each figure is the
median of --runs runs with its range.

  python3 bench/ui_cost.py [--size 1920x1080] [--seconds 20] [--runs 3]
                           [--model models/musicmill_drums.ts] [--scenes rest,playing]
                           [--modes always,changes] [--out bench/results/ui_cost.json]

Linux only (it reads /proc); needs Xvfb and jackd (scripts/setup.sh installs both).
No torch: any python3 runs it.
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TICK = os.sysconf("SC_CLK_TCK")


def thread_times(pid):
    """{tid: (name, cpu seconds)} for every thread of pid."""
    out = {}
    base = f"/proc/{pid}/task"
    for tid in os.listdir(base):
        try:
            with open(f"{base}/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"{base}/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            out[int(tid)] = (name, (int(fields[11]) + int(fields[12])) / TICK)
        except (FileNotFoundError, ProcessLookupError, IndexError):
            pass
    return out


def is_ui_thread(pid, tid, name):
    # The main thread runs the UI loop; llvmpipe-N rasterise for it; SDL's own helpers.
    return tid == pid or name.startswith("llvmpipe") or name.startswith("SDL")


SCENES = {
    # The voice silent, nothing touched, no LFO moving.
    "rest": [],
    # The demo beatbox take as a looping pattern (source.pattern): the model plays, the
    # output meter and the latent plot move every model frame.
    "playing": ["--pattern", os.path.join(ROOT, "models", "demo", "beatbox_demo.wav"), "--set", "source.pattern=1"],
}


def one_run(binary, model, mode, scene, width, height, seconds, settle, n):
    tmp = tempfile.mkdtemp(prefix="mm-uicost-")
    server = f"mmuicost{os.getpid()}_{n}"
    display = f":{150 + (os.getpid() + n) % 200}"
    env = dict(os.environ, JACK_DEFAULT_SERVER=server, DISPLAY=display)
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    jack = subprocess.Popen(["jackd", "-n", server, "-r", "-d", "dummy", "-r", "44100", "-p", "128"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    time.sleep(2.0)
    report, uilog = f"{tmp}/report.json", f"{tmp}/ui.json"
    cmd = [binary, "perform", "--audio-api", "jack", "--no-connect", "--no-autosave", "--model", model,
           "--duration", str(settle + seconds + 3), "--ui-redraw", mode, "--ui-log", uilog, "--report", report] + SCENES[scene]
    log = open(f"{tmp}/perform.log", "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        time.sleep(settle)
        t0, a = time.monotonic(), thread_times(proc.pid)
        time.sleep(seconds)
        t1, b = time.monotonic(), thread_times(proc.pid)
        proc.wait(timeout=settle + seconds + 60)
    finally:
        if proc.poll() is None:
            proc.kill()
        for p in (jack, xvfb):
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=10)
        log.close()
    wall = t1 - t0
    ui = other = 0.0
    for tid, (name, cpu) in b.items():
        d = cpu - a.get(tid, (name, 0.0))[1]
        if is_ui_thread(proc.pid, tid, name):
            ui += d
        else:
            other += d
    with open(report) as f:
        rep = json.load(f)
    with open(uilog) as f:
        ul = json.load(f)
    shutil.rmtree(tmp, ignore_errors=True)
    return {
        "mode": mode,
        "scene": scene,
        "ui_core_share": ui / wall,
        "engine_core_share": other / wall,
        "process_core_share": (ui + other) / wall,
        "frames": ul["frames"],
        "frames_presented": ul["frames_presented"],
        "seconds": ul["seconds"],
        "xruns": rep.get("xruns", 0),
        "late_frames": rep.get("late_frames", 0),
    }


def med(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--settle", type=float, default=8.0, help="seconds before measuring (the plot fills 4 s)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "musicmill_drums.ts"))
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "musicmill"))
    ap.add_argument("--modes", default="always,changes")
    ap.add_argument("--scenes", default="rest,playing")
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    for tool in ("Xvfb", "jackd"):
        if not shutil.which(tool):
            sys.exit(f"ui_cost: {tool} is not installed (scripts/setup.sh installs it)")
    if not os.path.exists(args.binary):
        sys.exit(f"ui_cost: {args.binary} not found: build first (scripts/setup.sh build)")
    modes = args.modes.split(",")
    scenes = args.scenes.split(",")
    for sc in scenes:
        if sc not in SCENES:
            sys.exit(f"ui_cost: --scenes takes {', '.join(SCENES)}, not '{sc}'")
    keys = [(sc, m) for sc in scenes for m in modes]
    runs = {k: [] for k in keys}
    n = 0
    for r in range(args.runs):
        for sc, m in keys:
            res = one_run(args.binary, args.model, m, sc, width, height, args.seconds, args.settle, n)
            n += 1
            runs[(sc, m)].append(res)
            print(f"run {r + 1} {sc:8s} {m:8s} UI {100 * res['ui_core_share']:5.1f} % of a core, audio+model "
                  f"{100 * res['engine_core_share']:5.1f} %, frames {res['frames']} presented "
                  f"{res['frames_presented']}, xruns {res['xruns']}, late {res['late_frames']}", flush=True)
    summary = {}
    for k in keys:
        rs = runs[k]
        s = {q: med([x[q] for x in rs]) for q in
             ("ui_core_share", "engine_core_share", "process_core_share", "xruns", "late_frames")}
        s["presented_per_second"] = med([x["frames_presented"] / x["seconds"] for x in rs])
        s["built_per_second"] = med([x["frames"] / x["seconds"] for x in rs])
        summary[k] = s
    print(f"\nUI cost at {args.size}, {os.path.basename(args.model)}, {args.seconds:.0f} s windows, "
          f"{args.runs} runs each (median [min-max]); xruns and late frames over the whole run:")
    print("| scene | --ui-redraw | UI, % of a core | audio + model, % of a core | frames built / s | "
          "frames drawn / s | xruns | late frames |")
    print("|---|---|---|---|---|---|---|---|")
    for sc, m in keys:
        s = summary[(sc, m)]
        f = lambda q, scale=100.0, fmt="{:.0f}": (fmt.format(scale * s[q]["median"]) + " [" +
                                                fmt.format(scale * s[q]["min"]) + "-" +
                                                fmt.format(scale * s[q]["max"]) + "]")
        print(f"| {sc} | {m} | {f('ui_core_share')} | {f('engine_core_share')} | "
              f"{f('built_per_second', 1.0)} | {f('presented_per_second', 1.0, '{:.1f}')} | "
              f"{f('xruns', 1.0)} | {f('late_frames', 1.0)} |")
    if args.out:
        with open(args.out, "w") as fo:
            json.dump({"size": args.size, "model": os.path.basename(args.model), "seconds": args.seconds,
                       "runs": [x for k in keys for x in runs[k]],
                       "summary": [dict(scene=k[0], mode=k[1], **summary[k]) for k in keys]}, fo, indent=1)


if __name__ == "__main__":
    main()
