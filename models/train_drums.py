#!/usr/bin/python3
"""Train the bundled MusicMill drum model and export it as TorchScript.

    /usr/bin/python3 models/train_drums.py            # train (7000 steps or 55 min) + export
    /usr/bin/python3 models/train_drums.py --export-only   # re-export from the last checkpoint

Seeded; a run with a step-based schedule (no time cap reached) is bit-reproducible for
a given machine and thread count (torch 1.13, CPU).
Data: real one-shots from Debian's hydrogen-drumkits (see drum_data.py), arranged
into random patterns; kit "ColomboAcousticDrumkit" is held out for eval_drums.py.
Model: causal streaming autoencoder (mmnn.py), 16-band patch front end, strides
4,4 -> R = 256 (5.8 ms at 44.1 kHz), 8 latent dims, VAE with a small KL weight.
Loss: multi-resolution STFT (spectral convergence + log magnitude) + beta * KL.
Logs and checkpoints go to models/work/ (git-ignored).
"""
import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import drum_data  # noqa: E402
import mmnn  # noqa: E402
import training  # noqa: E402

CONFIG = dict(
    sr=44100,
    bands=16,
    strides=[4, 4],
    enc_channels=[96, 128, 192],
    dec_channels=[192, 128, 96],
    res_dilations=[1],
    noise=16,
    latent=8,
    seed=1234,
    batch=8,
    seg=16384,
    lr=1e-3,
    lr_final=1e-4,
    beta=0.02,
    beta_warmup=2000,
    minutes=55.0,      # wall-clock cap; normally max_steps ends training first
    max_steps=7000,
    threads=1,          # 2 OpenMP threads ran ~8x slower next to a busy compiler
    scales=[2048, 1024, 512, 256, 128, 64],
)


def seed_all(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def make_batch(samples, c, rng):
    xs = [training.make_pattern(samples, c["seg"], rng, drum_data.SR, drum_data.MAX_SAMPLE_SECONDS)
          for _ in range(c["batch"])]
    return torch.from_numpy(np.stack(xs)[:, None, :])


def export(vae: training.StreamingVAE, samples, c, path: str):
    enc, dec, evals = training.fold_latent_pca(vae, lambda rng: make_batch(samples, c, rng), c["seed"] + 7)
    R = c["bands"] * int(np.prod(c["strides"]))
    model = mmnn.ExportedModel(enc, dec, c["sr"], R, c["latent"], c["latent"])
    mmnn.script_and_save(model, path)
    report = mmnn.check_export(path, R, c["latent"], seconds=2.0)
    size = os.path.getsize(path)
    assert size <= 20 * 1024 * 1024
    report["file_bytes"] = size
    report["latent_pca_variances"] = evals
    return report


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=CONFIG["minutes"],
                    help="wall-clock cap on training (default 55)")
    ap.add_argument("--max-steps", type=int, default=CONFIG["max_steps"])
    ap.add_argument("--out", default=os.path.join(HERE, "musicmill_drums.ts"))
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--noise", type=int, default=CONFIG["noise"],
                    help="noise channels in the decoder (0 = none)")
    ap.add_argument("--threads", type=int, default=CONFIG["threads"])
    ap.add_argument("--export-only", action="store_true")
    ap.add_argument("--time-steps", type=int, default=0,
                    help="only time this many training steps and exit")
    args = ap.parse_args()
    c = dict(CONFIG)
    c["minutes"] = args.minutes
    c["max_steps"] = args.max_steps
    c["noise"] = args.noise
    c["threads"] = args.threads
    torch.set_num_threads(c["threads"])
    torch.set_flush_denormal(True)  # denormals made training ~30x slower
    seed_all(c["seed"])
    os.makedirs(args.work, exist_ok=True)
    ckpt_path = os.path.join(args.work, "drums_ckpt.pt")
    log_path = os.path.join(args.work, "train_log.jsonl")

    train_kits, held_out = drum_data.train_eval_kits()
    samples = drum_data.load_kits(train_kits)
    print(f"train kits ({len(samples)} samples): {train_kits}; held out: {held_out}",
          flush=True)

    ck = None
    if os.path.exists(ckpt_path) and not args.time_steps:
        ck = torch.load(ckpt_path)
        for k in ("bands", "strides", "enc_channels", "dec_channels", "res_dilations",
                  "noise", "latent", "seg", "batch"):
            c[k] = ck["config"][k]  # architecture comes from the checkpoint
    vae = training.StreamingVAE(c)
    n_params = sum(p.numel() for p in vae.parameters())
    loss_fn = training.MRSTFT(c["scales"])
    opt = torch.optim.Adam(vae.parameters(), lr=c["lr"], betas=(0.9, 0.99))
    step, elapsed = 0, 0.0
    rng = np.random.default_rng(c["seed"])

    if ck is not None:
        vae.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, elapsed = ck["step"], ck["elapsed"]
        rng.bit_generator.state = ck["rng"]
        torch.set_rng_state(ck["torch_rng"])
        print(f"resumed at step {step}, {elapsed / 60:.1f} min", flush=True)

    budget = c["minutes"] * 60
    if not args.export_only:
        log = open(log_path, "a")
        t_last_ck = time.time()
        t0 = time.time() - elapsed
        ema = None
        while step < c["max_steps"]:
            elapsed = time.time() - t0
            if elapsed >= budget or (args.time_steps and step >= args.time_steps):
                break
            # cosine schedule over training progress: steps, or the time cap if the
            # machine is slow (then the run is no longer step-reproducible)
            frac = min(1.0, max(step / c["max_steps"], elapsed / budget))
            lr = c["lr_final"] + 0.5 * (c["lr"] - c["lr_final"]) * (1 + math.cos(math.pi * frac))
            for g in opt.param_groups:
                g["lr"] = lr
            beta = c["beta"] * min(1.0, step / c["beta_warmup"])
            x = make_batch(samples, c, rng)
            y, rec, kl = training.reconstruction_step(vae, loss_fn, opt, x, beta)
            step += 1
            ema = rec.item() if ema is None else 0.98 * ema + 0.02 * rec.item()
            if step % 50 == 0:
                rec_d = dict(step=step, t=round(time.time() - t0, 1), lr=lr, rec=rec.item(),
                             rec_ema=ema, kl=kl.item(), beta=beta)
                log.write(json.dumps(rec_d) + "\n")
                log.flush()
                print(rec_d, flush=True)
            if time.time() - t_last_ck > 120:
                torch.save(dict(model=vae.state_dict(), opt=opt.state_dict(), step=step,
                                elapsed=time.time() - t0, rng=rng.bit_generator.state,
                                torch_rng=torch.get_rng_state(), config=c), ckpt_path)
                t_last_ck = time.time()
        elapsed = time.time() - t0
        if args.time_steps:
            print(f"{step} steps in {elapsed:.1f} s = {elapsed / max(step, 1):.3f} s/step, "
                  f"params {n_params}")
            return
        torch.save(dict(model=vae.state_dict(), opt=opt.state_dict(), step=step,
                        elapsed=elapsed, rng=rng.bit_generator.state,
                        torch_rng=torch.get_rng_state(), config=c), ckpt_path)
        print(f"training done: {step} steps, {elapsed / 60:.1f} min", flush=True)

    vae.eval()
    report = export(vae, samples, c, args.out)
    info = dict(config=c, params=n_params, steps=step, train_minutes=round(elapsed / 60, 2),
                export_check=report, train_kits=train_kits, held_out_kits=held_out,
                n_train_samples=len(samples))
    with open(os.path.join(args.work, "train_summary.json"), "w") as f:
        json.dump(info, f, indent=1)
    with open(os.path.join(HERE, "train_summary.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(json.dumps(info, indent=1))


if __name__ == "__main__":
    main()
