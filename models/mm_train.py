#!/usr/bin/python3
"""The training behind `musicmill train` (perform/TrainCommand.cpp): the C++ command reads
the user's folders with libsndfile, prepares the audio once (mono or stereo, the model's rate,
trimmed, level-normalised, a held-out part set aside) into PREPARED/, then runs

    /usr/bin/python3 models/mm_train.py --prepared PREPARED --out MODEL.ts --minutes M
        --ratio R --latent N --rate SR [--device cpu|cuda] [--name NAME] [--seed S]
        [--fresh] [--checkpoint-seconds 30] [--command "the command line"]

PREPARED/ holds index.json (the pieces of audio: [offset, length] in frames of train.f32 and
eval.f32, float32 little-endian at the model's rate, "channels" of them interleaved).  Training: a streaming VAE of
mmnn blocks (16 polyphase bands, strided causal convolutions, R = 16 * prod(strides)),
loss multi-resolution STFT + a small KL weight, Adam with a cosine schedule over the time
budget.  Examples are random crops of the long recordings and random patterns of the
short ones (one-shots), in proportion to how much audio each kind has.

Checkpoints (PREPARED/ckpt_r<R>_l<N>[_pitched].pt) are written atomically every 30 s, at the end and
on Ctrl-C / SIGTERM; the same command continues from one (after a kill -9 too), --fresh
starts over.  At the end: the export (TorchScript, RAVE v2 interface, checked block by
block against one call), MODEL.report.json and MODEL.report.png beside it.
"""
import argparse
import json
import math
import os
import signal
import sys
import tempfile
import time
import warnings

import numpy as np
import torch
import torch.nn as nn

# Flushing denormals (below, for speed) makes numpy's float-limits probe warn; harmless.
warnings.filterwarnings("ignore", message="The value of the smallest subnormal")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mmnn  # noqa: E402
import synthnn  # noqa: E402
import training  # noqa: E402

STRIDES = {128: [4, 2], 256: [4, 4], 512: [4, 8]}
BASE = dict(bands=16, enc_channels=[96, 128, 192], dec_channels=[192, 128, 96], res_dilations=[1],
            noise=16, batch=8, seg=16384, lr=1e-3, lr_final=1e-4, beta=0.02, beta_warmup_share=0.3,
            scales=[2048, 1024, 512, 256, 128, 64], threads=1, d_lr=1e-4, w_adv=1.0, w_fm=2.0)
SHORT_MAX_SECONDS = 2.0  # pieces shorter than a training example are arranged into patterns


def say(*a):
    print(*a, flush=True)


class Data:
    """The prepared audio: pieces of train.f32 / eval.f32 as numpy views, [length] each,
    or [2, length] for stereo (index.json's "channels"; the file interleaves them)."""

    def __init__(self, prepared: str, seg: int, rate: int):
        with open(os.path.join(prepared, "index.json")) as f:
            self.index = json.load(f)
        self.rate = rate
        self.seg = seg
        self.channels = int(self.index.get("channels", 1))

        def pieces(name):
            path = os.path.join(prepared, name + ".f32")
            audio = np.fromfile(path, dtype="<f4") if os.path.getsize(path) else np.zeros(0, np.float32)
            if self.channels == 1:
                return [audio[o:o + n] for o, n in self.index[name]]
            frames = audio.reshape(-1, self.channels)
            return [frames[o:o + n].T for o, n in self.index[name]]

        self.train = pieces("train")
        self.eval = pieces("eval")
        if not self.train:
            raise SystemExit("mm_train: the prepared folder has no training audio")

    @staticmethod
    def split(pieces, seg):
        long = [p for p in pieces if p.shape[-1] >= seg]
        short = [p[..., : int(SHORT_MAX_SECONDS * 48000)] for p in pieces if p.shape[-1] < seg]
        return long, short

    def example(self, pieces, rng):
        long, short = self.split(pieces, self.seg)
        n_long = sum(p.shape[-1] for p in long)
        n_short = sum(p.shape[-1] for p in short)
        if long and (not short or rng.random() < n_long / (n_long + n_short)):
            weights = np.array([p.shape[-1] - self.seg + 1 for p in long], np.float64)
            p = long[rng.choice(len(long), p=weights / weights.sum())]
            a = int(rng.integers(0, p.shape[-1] - self.seg + 1))
            y = p[..., a:a + self.seg].astype(np.float32)
            peak = np.abs(y).max()
            if peak > 1e-6:
                y = y * (10 ** (rng.uniform(-24, -1) / 20) / peak)
            return y
        return training.make_pattern(short, self.seg, rng, self.rate, SHORT_MAX_SECONDS)

    def batch(self, pieces, batch, rng):
        """[batch, channels, seg]"""
        x = np.stack([self.example(pieces, rng) for _ in range(batch)])
        return torch.from_numpy(x[:, None, :] if x.ndim == 2 else np.ascontiguousarray(x))


def config_for(args):
    c = dict(BASE)
    c.update(ratio=args.ratio, latent=args.latent, rate=args.rate, strides=STRIDES[args.ratio],
             seed=args.seed, minutes=args.minutes, adversarial=args.adversarial, pitched=args.pitched,
             channels=2 if args.stereo else 1)
    assert c["bands"] * int(np.prod(c["strides"])) == args.ratio
    return c


def progress_line(step, loss, held, elapsed, budget):
    def mmss(s):
        s = max(0, int(s))
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    frac = min(1.0, elapsed / budget) if budget > 0 else 1.0
    bar = "#" * int(20 * frac) + "-" * (20 - int(20 * frac))
    h = f"{held:.3f}" if held is not None else "-"
    return (f"[{bar}] step {step}  loss {loss:.3f}  held-out {h}  "
            f"{mmss(elapsed)} elapsed, {mmss(budget - elapsed)} left")


def adversarial_step(vae, disc, loss_fn, g_opt, d_opt, x, lr, c):
    """One step of the adversarial phase: the discriminator, then the decoder."""
    with torch.no_grad():
        z, kl = vae.sample(vae.encoder(training.mono(x)))
    y = vae.decoder(z)
    for g in d_opt.param_groups:
        g["lr"] = c["d_lr"]
    n = x.shape[0] * x.shape[1]  # the discriminator sees each channel as an example
    both = disc(torch.cat([x, y.detach()]))
    d_real = [[f[:n] for f in feats] for feats in both]
    d_loss = training.discriminator_loss(d_real, [[f[n:] for f in feats] for feats in both])
    d_opt.zero_grad()
    d_loss.backward()
    d_opt.step()
    # Feature matching against the real audio's features as the discriminator saw them
    # before this update (one discriminator pass saved).
    disc.requires_grad_(False)  # the decoder's step needs no gradient for the discriminator's weights
    adv, fm = training.generator_adversarial_loss(d_real, disc(y))
    disc.requires_grad_(True)
    rec = loss_fn(y, x)
    loss = rec + c["w_adv"] * adv + c["w_fm"] * fm
    for g in g_opt.param_groups:
        g["lr"] = lr
    g_opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(vae.decoder.parameters(), 5.0)
    g_opt.step()
    return y, rec, kl, dict(d_loss=round(d_loss.item(), 4), adv=round(adv.item(), 4), fm=round(float(fm), 4))


@torch.no_grad()
def held_out_distance(vae, loss_fn, batch):
    h = vae.encoder(training.mono(batch))
    return loss_fn(vae.decoder(h[:, :vae.latent]), batch).item()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--prepared", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--ratio", type=int, choices=sorted(STRIDES), default=256)
    ap.add_argument("--latent", type=int, default=8)
    ap.add_argument("--rate", type=int, default=44100)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--name", default="")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--fresh", action="store_true")
    ap.add_argument("--checkpoint-seconds", type=float, default=30.0)
    ap.add_argument("--command", default="")
    ap.add_argument("--adversarial", type=float, default=0.0,
                    help="the share of the budget, at its end, trained adversarially (0 = reconstruction only)")
    ap.add_argument("--pitched", action="store_true",
                    help="the pitched family (synthnn.py): pitch and loudness of the input are latent dims 0 and 1")
    ap.add_argument("--stereo", action="store_true",
                    help="two output channels (the prepared audio must be stereo); the input stays mono")
    args = ap.parse_args()

    c = config_for(args)
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("musicmill train: --device cuda, but this torch (" + torch.__version__ +
                         ") has no CUDA device; train on the CPU (--device cpu) or install a CUDA torch")
    device = torch.device(args.device)
    torch.set_num_threads(c["threads"])
    torch.set_flush_denormal(True)
    np.random.seed(c["seed"])
    torch.manual_seed(c["seed"])

    data = Data(args.prepared, c["seg"], c["rate"])
    if data.channels != c["channels"]:
        raise SystemExit(f"mm_train: the prepared audio has {data.channels} channel(s) and the model "
                         f"{c['channels']}: prepare it again (musicmill train with or without --stereo)")
    if c["pitched"] and c["channels"] != 1:
        raise SystemExit("mm_train: the pitched family is mono")
    tty = sys.stdout.isatty()
    kind = f"r{c['ratio']}_l{c['latent']}" + ("_pitched" if c["pitched"] else "") + \
        ("_stereo" if c["channels"] == 2 else "")
    ckpt = os.path.join(args.prepared, f"ckpt_{kind}.pt")
    log_path = os.path.join(args.prepared, f"log_{kind}.jsonl")

    vae = (synthnn.SynthVAE(c) if c["pitched"] else training.StreamingVAE(c)).to(device)
    loss_fn = training.MRSTFT(c["scales"]).to(device)
    opt = torch.optim.Adam(vae.parameters(), lr=c["lr"], betas=(0.9, 0.99))
    # The adversarial phase (the last --adversarial share of the budget): the encoder is
    # frozen, the decoder learns against a multi-scale spectral discriminator with feature
    # matching, beside the reconstruction loss.
    disc = training.SpectralDiscriminator().to(device) if c["adversarial"] > 0 else None
    d_opt = torch.optim.Adam(disc.parameters(), lr=c["d_lr"], betas=(0.5, 0.9)) if disc else None
    g_opt = torch.optim.Adam(vae.decoder.parameters(), lr=c["lr"], betas=(0.5, 0.9)) if disc else None
    rng = np.random.default_rng(c["seed"])
    step, elapsed = 0, 0.0
    curve, held_curve = [], []  # [step, loss EMA], [step, held-out distance]
    if os.path.exists(ckpt) and not args.fresh:
        ck = torch.load(ckpt, map_location=device)
        if ck.get("signature") == data.index.get("signature"):
            vae.load_state_dict(ck["model"])
            opt.load_state_dict(ck["opt"])
            step, elapsed = ck["step"], ck["elapsed"]
            rng.bit_generator.state = ck["rng"]
            torch.set_rng_state(ck["torch_rng"])
            curve, held_curve = ck.get("curve", []), ck.get("held_curve", [])
            if disc and "disc" in ck:
                disc.load_state_dict(ck["disc"])
                d_opt.load_state_dict(ck["d_opt"])
                g_opt.load_state_dict(ck["g_opt"])
            say(f"musicmill train: resuming from step {step} ({elapsed / 60:.1f} min trained; --fresh starts over)")
        else:
            say("musicmill train: the checkpoint there is for other audio; starting over")
    n_params = sum(p.numel() for p in vae.parameters())
    eval_pieces = data.eval if data.eval else data.train
    eval_batch = data.batch(eval_pieces, 4, np.random.default_rng(c["seed"] + 99)).to(device)

    stop = {"why": None}

    def on_signal(sig, _frame):
        stop["why"] = "Ctrl-C" if sig == signal.SIGINT else "SIGTERM"

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    def checkpoint():
        training.save_atomically(dict(model=vae.state_dict(), opt=opt.state_dict(), step=step, elapsed=elapsed,
                                      rng=rng.bit_generator.state, torch_rng=torch.get_rng_state(), config=c,
                                      signature=data.index.get("signature"), curve=curve,
                                      held_curve=held_curve,
                                      **(dict(disc=disc.state_dict(), d_opt=d_opt.state_dict(),
                                              g_opt=g_opt.state_dict()) if disc else {})), ckpt)

    budget = c["minutes"] * 60
    eval_every = min(60.0, max(10.0, budget / 30))  # the held-out distance, some 30 times a run
    say(f"musicmill train: {n_params / 1e6:.2f} M parameters, ratio {c['ratio']} "
        f"({1000 * c['ratio'] / c['rate']:.1f} ms at {c['rate']} Hz), {c['latent']} latent dims, "
        f"{c['minutes']:g} min on {args.device}")
    t0 = time.time() - elapsed
    t_ck = t_line = t_eval = time.time()
    ema, held = None, (held_curve[-1][1] if held_curve else None)
    adversarial_said = False
    with open(log_path, "a") as log:
        while True:
            elapsed = time.time() - t0
            if elapsed >= budget or stop["why"]:
                break
            frac = min(1.0, elapsed / budget)
            lr = c["lr_final"] + 0.5 * (c["lr"] - c["lr_final"]) * (1 + math.cos(math.pi * frac))
            for g in opt.param_groups:
                g["lr"] = lr
            beta = c["beta"] * min(1.0, frac / c["beta_warmup_share"])
            vae.train()
            x = data.batch(data.train, c["batch"], rng).to(device)
            if disc is not None and frac >= 1.0 - c["adversarial"]:
                if not adversarial_said:
                    say(f"musicmill train: adversarial phase from step {step} (encoder frozen; the decoder "
                        f"learns against a spectral discriminator with feature matching)")
                    adversarial_said = True
                y, rec, kl, adv_terms = adversarial_step(vae, disc, loss_fn, g_opt, d_opt, x, lr, c)
            else:
                y, rec, kl = training.reconstruction_step(vae, loss_fn, opt, x, beta)
                adv_terms = None
            step += 1
            ema = rec.item() if ema is None else 0.95 * ema + 0.05 * rec.item()
            now = time.time()
            if step % 10 == 0:
                curve.append([step, round(ema, 5)])
            if now - t_eval > eval_every or step == 1:
                vae.eval()
                held = held_out_distance(vae, loss_fn, eval_batch)
                held_curve.append([step, round(held, 5)])
                t_eval = now
                log.write(json.dumps(dict(step=step, t=round(elapsed, 1), lr=lr, rec=ema, kl=kl.item(),
                                          held_out=held, **(adv_terms or {}))) + "\n")
                log.flush()
            if tty:
                sys.stdout.write("\r" + progress_line(step, ema, held, elapsed, budget) + "\x1b[K")
                sys.stdout.flush()
            elif now - t_line >= 30:
                say(progress_line(step, ema, held, elapsed, budget))
                t_line = now
            if now - t_ck >= args.checkpoint_seconds:
                checkpoint()
                t_ck = now
    if tty:
        sys.stdout.write("\n")
    elapsed = time.time() - t0
    checkpoint()
    if stop["why"]:
        say(f"musicmill train: stopped ({stop['why']}) at step {step}; the checkpoint is kept: run the same "
            f"command again to continue")
        return 130
    say(f"musicmill train: trained {step} steps in {elapsed / 60:.1f} min; exporting")

    # --- export, checked --------------------------------------------------------
    vae.eval()
    vae.cpu()
    if c["pitched"]:  # dims 0 and 1 mean pitch and loudness: no rotation
        enc, dec, evals = vae.encoder, vae.decoder, []
    else:
        enc, dec, evals = training.fold_latent_pca(vae, lambda g: data.batch(data.train, c["batch"], g), c["seed"] + 7)
    model = mmnn.ExportedModel(enc, dec, c["rate"], c["ratio"], c["latent"], c["latent"], out_ch=c["channels"],
                               **(dict(pitch_dim=0, loudness_dim=1) if c["pitched"] else {}))
    tmp = args.out + ".tmp.ts"
    mmnn.script_and_save(model, tmp)
    check = mmnn.check_export(tmp, c["ratio"], c["latent"], seconds=1.0, sr=c["rate"], out_ch=c["channels"])

    # --- the report: held-out excerpt through the export, block by block ----------
    rng_eval = np.random.default_rng(c["seed"] + 5)
    pieces = []
    for _ in range(40):  # about 15 s
        pieces.append(data.example(eval_pieces, rng_eval))
    xs = np.concatenate(pieces, -1)  # [T], or [2, T] for stereo
    xs = xs[..., : xs.shape[-1] // c["ratio"] * c["ratio"]]
    x = xs if xs.ndim == 1 else xs.mean(0)  # what the model hears
    ys = training.render_stream(tmp, x, c["ratio"])
    y = ys if ys.ndim == 1 else ys.mean(0)
    with torch.no_grad():  # stereo: both channels against the recording's
        dist = loss_fn.cpu()(torch.from_numpy(np.ascontiguousarray(ys)).reshape(1, c["channels"], -1),
                             torch.from_numpy(np.ascontiguousarray(xs)).reshape(1, c["channels"], -1)).item()
    with tempfile.TemporaryDirectory() as td:
        onsets = training.onset_report(training.aubio_onsets(x, td, "in", c["rate"]),
                                       training.aubio_onsets(y, td, "out", c["rate"]))
    pitch = training.pitch_report(x, y, c["rate"]) if c["pitched"] else None
    if c["channels"] == 2:  # how far apart the two sides are, in the recording and in the output
        def side_ratio(a):
            return round(float(np.sqrt(np.mean((a[0] - a[1]) ** 2) / (np.mean((a[0] + a[1]) ** 2) + 1e-12))), 4)
        stereo = dict(side_to_mid_in=side_ratio(xs), side_to_mid_out=side_ratio(ys))
    else:
        stereo = None
    os.replace(tmp, args.out)
    base = os.path.splitext(args.out)[0]
    report = dict(name=args.name or os.path.basename(base), model=os.path.abspath(args.out), command=args.command,
                  ratio=c["ratio"], latent=c["latent"], rate=c["rate"], channels=c["channels"],
                  frame_ms=round(1000 * c["ratio"] / c["rate"], 3),
                  parameters=n_params, steps=step, train_minutes=round(elapsed / 60, 2), device=args.device,
                  data=dict(train_minutes=data.index.get("train_minutes"), eval_minutes=data.index.get("eval_minutes"),
                            files=data.index.get("files_used"), eval_from=data.index.get("eval_from")),
                  held_out_mrstft=round(dist, 4), held_out_onsets=onsets,
                  **({"held_out_pitch": pitch} if pitch else {}), **({"held_out_stereo": stereo} if stereo else {}),
                  held_out_seconds=round(len(x) / c["rate"], 2),
                  export_check=check, latent_pca_variances=evals, loss_curve=curve, held_out_curve=held_curve,
                  config=c, png=base + ".report.png")
    # The picture: loss (orange) and held-out distance (cyan) over the steps, then the
    # held-out excerpt's input and output spectrograms side by side.
    w, h = 1200, 700
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = (9, 11, 14)
    img[10:290, 10:w - 10] = training.curves_image([[v for _, v in curve], [v for _, v in held_curve]],
                                                  [(255, 140, 40), (40, 200, 230)], 280, w - 20)
    half = (w - 30) // 2
    img[300:h - 10, 10:10 + half] = training.spectrogram_image(x, h - 310, half)
    img[300:h - 10, 20 + half:20 + 2 * half] = training.spectrogram_image(y, h - 310, half)
    training.write_png(report["png"], img)
    tmpj = base + ".report.json.tmp"
    with open(tmpj, "w") as f:
        json.dump(report, f, indent=1)
    os.replace(tmpj, base + ".report.json")
    say(f"musicmill train: held-out multi-resolution STFT distance {dist:.3f}, onset F {onsets['f_measure']:.2f} "
        f"({onsets['n_ref']} onsets in {len(x) / c['rate']:.0f} s)")
    if pitch:
        say(f"musicmill train: held-out pitch following: {pitch['voiced_out_share']:.0%} of the voiced frames voiced, "
            f"median error {pitch['median_abs_cents']} cents")
    return 0


if __name__ == "__main__":
    sys.exit(main())
