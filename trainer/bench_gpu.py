"""GPU figures for the `base` preset: training steps per second, samples per second and model FLOPs
utilisation (MFU) in bf16, measured two ways.

1. The denoiser's own step on random latents (text encoder + DiT forward, loss, backward, clipping,
   AdamW, the weight average): what the GPU does for the model, with nothing waiting on data.
2. The real trainer (`python -m trainer.train --preset base`) on a rendered 49x256x256 demo-world
   snapshot: the same step plus reading clips, the frozen autoencoder's encoding and the given frames.

MFU counts the model's FLOPs only (forward + backward = 3x forward; activation checkpointing's
recomputation and the autoencoder are not counted), against a dense bf16 peak (989 TFLOP/s for an
H100/H200 SXM, or --peak-tflops). `dit_train_flops` counts every matrix product per sample by shape:
self-attention over all tokens, cross-attention to the caption's tokens, the linears each token goes
through, and the adaLN / timestep linears that run once per sample.

  python -m trainer.bench_gpu [--set k=v ...] [--variants "compile=false;heads=16"] [--train-steps 24]
                              [--skip-train] [--budget-s 420]

Each measurement runs the preset as trainer.train would: compiled where the preset says so and torch has
torch.compile (its warm-up steps, which compile, are left out of the time and reported as warm_s).

Prints one JSON line per measurement (`{"bench": ...}`), which bench/train.mjs turns into sentences."""

import argparse
import contextlib
import gc
import json
import os
import subprocess
import sys
import tempfile
import time

import torch

from .model import VideoModel
from .train import X0Head, build_preset, compiles, step_autocast

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def dit_train_flops(p, text_len=None):
    """Training FLOPs per sample of the text encoder + DiT (forward + backward = 3x forward)."""
    _, T, h, w = p.latent_shape()
    pt, ph, pw = p.patch
    N = (T // pt) * (h // ph) * (w // pw)
    L = text_len or p.text_max_len
    D, Dt, C = p.width_dit, p.text_dim, p.latent_channels
    per_block = (
        2 * N * D * (3 * D)          # self-attention q, k, v
        + 2 * N * D * D              # its output
        + 4 * N * N * D              # scores and weighted sum
        + 2 * N * D * D + 2 * L * Dt * (2 * D)  # cross-attention q; k, v of the caption tokens
        + 2 * N * D * D              # its output
        + 4 * N * L * D              # cross scores and weighted sum
        + 2 * N * D * (8 * D)        # MLP (ratio 4, two linears)
        + 2 * D * 6 * D              # adaLN, once per sample
    )
    embed = 2 * N * (2 * C + 1) * pt * ph * pw * D
    K = p.out_conv                   # the convolutional head: K features per latent cell, three 3x3 convolutions
    out = 2 * N * D * (pt * ph * pw * (K or C)) + 2 * D * 2 * D
    if K:
        out += 2 * T * h * w * 9 * ((K + 2 * C + 1) * K + K * K + K * C)
    t_mlp = 2 * (256 * D + D * D) + 2 * Dt * D
    text = p.text_depth * (2 * L * Dt * 4 * Dt + 4 * L * L * Dt + 2 * L * Dt * 8 * Dt)
    return 3 * (p.depth * per_block + embed + out + t_mlp + text)


def sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize()


def counted_forward_flops(head, args, amp):
    """The same forward counted by torch's FlopCounterMode (torch >= 2.1), or None."""
    try:
        from torch.utils.flop_counter import FlopCounterMode
    except ImportError:
        return None
    head.eval()
    try:
        with torch.no_grad(), amp, FlopCounterMode(display=False) as fc:
            head(*args)
        return fc.get_total_flops()
    finally:
        head.train()


def build(p, vocab, dev):
    """The model, initialised on `dev` itself where torch can (2.0+: seconds instead of a CPU init of ~0.9 G weights)."""
    with dev if hasattr(torch, "set_default_device") else contextlib.nullcontext():
        return VideoModel(p, vocab).to(dev)


def time_denoiser(p, steps, peak, dev, vocab=600):
    torch.manual_seed(0)
    model = build(p, vocab, dev)
    model.vae = None  # frozen in this phase: the step below never touches it
    head = X0Head(model)
    compiled = compiles(p, dev.type == "cuda")
    amp = step_autocast(p, dev.type == "cuda")
    run = torch.compile(head) if compiled else head
    warm = 3 if compiled else 2
    params = [q for q in head.parameters()]
    ema = [q.detach().clone() for q in params]
    opt = torch.optim.AdamW(params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, foreach=True)
    C, T, h, w = p.latent_shape()
    B = p.batch
    g = torch.Generator(device=dev).manual_seed(0)
    x0 = torch.randn(B, C, T, h, w, device=dev, generator=g)
    noise = torch.randn(B, C, T, h, w, device=dev, generator=g)
    t = torch.rand(B, device=dev, generator=g)
    tokens = torch.randint(4, vocab, (B, p.text_max_len), device=dev, generator=g)
    tokens[:, p.text_max_len // 2:] = 0  # padded captions, as real ones are
    cond_mask = (torch.rand(B, 1, T, 1, 1, device=dev, generator=g) < 0.3).float()
    cond = x0 * cond_mask
    xt = (1 - t[:, None, None, None, None]) * x0 + t[:, None, None, None, None] * noise
    args = (xt, t, tokens, None, cond, cond_mask)
    counted = counted_forward_flops(head, args, amp)
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats()

    def step():
        with amp:
            x0_hat = run(*args)
        loss = (((x0_hat.float() - x0) ** 2) * (1 - cond_mask)).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        with torch.no_grad():
            torch._foreach_mul_(ema, 0.9999)
            torch._foreach_add_(ema, params, alpha=1e-4)
        return loss

    t0 = time.time()
    for _ in range(warm):
        step()
    sync(dev)
    warm_s = time.time() - t0
    t0 = time.time()
    for _ in range(steps):
        loss = step()
    sync(dev)
    per = (time.time() - t0) / steps
    flops = dit_train_flops(p)
    res = {"compiled": compiled, "per_step_s": per, "samples_s": B / per, "mfu": flops * B / per / peak, "flops_per_sample": flops,
           "counted_fwd_flops_per_sample": counted / B if counted else None,
           "peak_mem_gib": torch.cuda.max_memory_allocated() / 2**30 if dev.type == "cuda" else None, "warm_s": warm_s, "loss": loss.item(),
           "params_dit_text": sum(q.numel() for q in params)}
    del model, head, run, opt, params, ema
    if dev.type == "cuda":
        torch.cuda.empty_cache()
    return res


def time_autoencoder(p, dev, reps=3):
    """Encoding one batch of clips with the frozen autoencoder: fp32 (TF32) against bf16 autocast."""
    vae = build(p, 16, dev).vae.eval()
    video = torch.rand(p.batch, 3, p.frames, p.height, p.width, device=dev) * 2 - 1
    out = {}
    for name, ctx in (("fp32_s", contextlib.nullcontext()), ("bf16_s", step_autocast(p, dev.type == "cuda"))):
        with torch.no_grad(), ctx:
            vae.encode(video)
            sync(dev)
            t0 = time.time()
            for _ in range(reps):
                vae.encode(video)
            sync(dev)
        out[name] = (time.time() - t0) / reps
    del vae, video
    return out


def time_trainer(p_sets, steps, peak, extra=()):
    """The real trainer on a rendered 49x256x256 snapshot; per-step time from its JSON lines."""
    p = build_preset("base", p_sets)
    from .demo_world import demo_snapshot
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "ds")
        demo_snapshot(data, per_combo=1, limit=4 * p.batch, frames=p.frames, size=p.height)
        cmd = [sys.executable, "-m", "trainer.train", "--data", data, "--run-dir", os.path.join(tmp, "run"), "--preset", "base",
               "--steps", str(steps), "--log-every", "1", "--ckpt-every", "1000000", "--no-verify", "--no-previews",
               "--set", "vae_steps=0", *sum([["--set", s] for s in p_sets], []), *extra]
        proc = subprocess.run(cmd, cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True, text=True)
        ev = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
        st = [e for e in ev if e.get("event") == "step"]
        if proc.returncode != 0 or len(st) < 6:
            return {"error": (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1], "events": ev[-3:]}
        warm = len(st) // 3
        per = (st[-1]["elapsed"] - st[warm - 1]["elapsed"]) / (len(st) - warm)
        flops = dit_train_flops(p)
        start = next((e for e in ev if e.get("event") == "start"), {})
        return {"compiled": start.get("compiled"), "per_step_s": per, "samples_s": p.batch / per, "mfu": flops * p.batch / per / peak, "timed_steps": len(st) - warm,
                "loss_first": st[0]["loss"], "loss_last": st[-1]["loss"]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", action="append", default=[], help="override a base preset field, k=v")
    ap.add_argument("--variants", default="", help="';'-separated extra override sets for the denoiser step, e.g. 'compile=false;heads=16'")
    ap.add_argument("--steps", type=int, default=5, help="timed denoiser steps per variant")
    ap.add_argument("--train-steps", type=int, default=24)
    ap.add_argument("--skip-train", action="store_true")
    ap.add_argument("--budget-s", type=float, default=1e9, help="skip later measurements once this much time has passed")
    ap.add_argument("--peak-tflops", type=float, default=989.0)
    ap.add_argument("--cpu", action="store_true", help="smoke-test this script on the CPU (with --set shrinking the preset)")
    a = ap.parse_args(argv)
    if not torch.cuda.is_available() and not a.cpu:
        print("bench_gpu: no CUDA GPU here (figures for `base` need one)", file=sys.stderr)
        return 2
    variants = [a.set] + [a.set + v.split(",") for v in a.variants.split(";") if v]
    for sets in variants:
        try:
            build_preset("base", sets)
        except ValueError as e:
            print(f"bench_gpu: {e}", file=sys.stderr)
            return 2
    dev = torch.device("cpu" if a.cpu else "cuda")
    t_start = time.time()
    peak = a.peak_tflops * 1e12
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    gpu = "cpu" if a.cpu else torch.cuda.get_device_name(0)

    def report(kind, sets, res):
        print(json.dumps({"bench": kind, "gpu": gpu, "torch": torch.__version__, "set": sets, **res}), flush=True)

    best = None
    for sets in variants:
        if time.time() - t_start > a.budget_s:
            break
        try:
            res = time_denoiser(build_preset("base", sets), a.steps, peak, dev)
        except getattr(torch.cuda, "OutOfMemoryError", MemoryError) as e:  # a variant too big is a figure, not the end of the bench
            res = {"error": str(e).splitlines()[0]}
        if dev.type == "cuda":  # the failed variant's tensors go with its traceback, after the except clause
            gc.collect()
            torch.cuda.empty_cache()
        report("denoiser", sets, res)
        if "mfu" in res and (best is None or res["mfu"] > best[1]["mfu"]):
            best = (sets, res)
    if time.time() - t_start < a.budget_s:
        report("autoencoder-encode", a.set, time_autoencoder(build_preset("base", a.set), dev))
    if not a.skip_train and best is not None and time.time() - t_start < a.budget_s:
        sets = best[0]
        report("trainer", sets, time_trainer(sets, a.train_steps, peak, ["--device", "cpu", "--threads", "2"] if a.cpu else []))
    return 0


if __name__ == "__main__":
    sys.exit(main())
