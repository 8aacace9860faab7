"""Flow-matching (rectified flow) training of the studio's video model on a dataset snapshot.

    python3 -m trainer.train --data DATASET_DIR --run-dir RUN --preset tiny [--steps N] [--minutes M]
        [--resume] [--init-from MODEL.pt [--lora RANK]] [--ckpt-every N] [--threads 2]
    torchrun --nproc_per_node 2 -m trainer.train ...        (DDP: gloo on CPU, nccl on CUDA)

Progress is JSON lines on stdout ({"event": "start" | "step" | "checkpoint" | "preview" | "warning" | "done" |
"error", ...}). Every random draw of step s is derived from (seed, s), so --resume after a kill reproduces an
uninterrupted run exactly. The run writes RUN/checkpoint.pt (atomic), preview grids RUN/previews/step-N.mp4
(generations from held-out captions above the real clips: when the denoiser starts, every --preview-every
steps, at the end) and, when it finishes, RUN/model.pt (EMA weights, LoRA merged) and RUN/summary.json."""
import argparse
import collections
import contextlib
import copy
import hashlib
import json
import math
import os
import sys
import time

import torch
import torch.distributed as dist

from .data import ClipStream, Prefetcher, Snapshot, SnapshotError
from .model import (PRESETS, Tokenizer, VideoModel, apply_lora, encode_in_chunks, merge_lora, motion_weights, preset_from_dict,
                    preset_problem)
from .sample import preview

MIN_TORCH = (1, 13)
CPU_WATTS_PER_CORE = 12.0   # energy estimate: a server core under load; GPUs use their board power
GPU_WATTS = 700.0


def emit(event, **kw):
    if int(os.environ.get("RANK", "0")) == 0:
        sys.stdout.write(json.dumps({"event": event, **kw}) + "\n")
        sys.stdout.flush()


def atomic_save(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


# ----------------------------------------------------------------------------- per-step randomness

def warm_up_steps(p, first, count=None):
    """The steps of the `t = 1` warm-up: the first `count` denoiser steps, which begin at `first` (after
    the autoencoder's steps; 0 in a fine-tune, which keeps its base's autoencoder). A new run takes
    `high_noise_steps`, but at most a third of its denoiser steps, so that a short run still trains
    mostly on the usual mix (`warm_up_count`); the count is kept in the run's config for its resumes."""
    return range(first, first + (p.high_noise_steps if count is None else count))


def warm_up_count(p, first):
    return min(p.high_noise_steps, max(0, p.steps - first) // 3)


def step_draws(seed, step, B, T, p, warm=range(0)):
    """Global-batch draws for one step: timesteps, which pixel frames are given, caption dropout.
    Steps in `warm` (training only) are all text-to-video at t = 1: pure noise in, the caption's
    expected clip out. Where the caption puts the object is learned there first (docs/model.md); the
    usual mix follows."""
    g = torch.Generator().manual_seed(seed * 1000003 + step)
    t = torch.rand(B, generator=g)
    mode = torch.rand(B, generator=g)
    drop = torch.rand(B, generator=g) < p.caption_dropout
    given = torch.zeros(B, T, dtype=torch.bool)
    if step in warm:
        return g, torch.ones(B), given, drop
    E = min(p.extend_frames, T - 1)
    for b in range(B):
        m = mode[b].item()
        if m < 0.40:
            pass                          # t2v
        elif m < 0.60:
            given[b, 0] = True            # i2v
        elif m < 0.75:
            given[b, :E] = True           # extend
        elif m < 0.90:
            given[b, 0] = given[b, -1] = True  # interpolate
        else:
            given[b, -1] = True           # end frame only
    return g, t, given, drop


class LatentCache:
    """The frozen autoencoder's latents of what a run has already encoded. Once the autoencoder freezes,
    a clip window (the same frames, mirrored or not) and the given frames built from it always encode to
    the same latents, and encoding them took close to half of a `small` denoiser step on 2 CPU cores
    (docs/model.md). Keyed by a hash of the input's bytes. What is not held is encoded in batches of
    exactly `chunk` rows (zeros fill the last): a row's latent then never depends on which others were
    beside it or already held, so a resumed run, whose cache starts empty, stays bit for bit the
    uninterrupted one (one row alone would take another, much slower, convolution on torch 1.13). Past
    `max_bytes` the least recently used go."""

    def __init__(self, vae, max_bytes, chunk=8):
        self.vae, self.max_bytes, self.chunk = vae, max_bytes, chunk
        self.held = collections.OrderedDict()
        self.bytes = self.hits = self.misses = 0

    def encode(self, video):
        keys = [(tuple(v.shape), hashlib.blake2b(v.contiguous().numpy(), digest_size=16).digest()) for v in video]
        first = {}                                 # each input not held, at its first row
        for i, k in enumerate(keys):
            if k not in self.held:
                first.setdefault(k, i)
        new = list(first.items())
        self.misses += len(new)
        self.hits += len(keys) - len(new)
        if new:
            z = encode_in_chunks(self.vae.encode, video[[i for _, i in new]], self.chunk)
            for (k, _), zk in zip(new, z):
                self.held[k] = zk.clone()
                self.bytes += zk.numel() * zk.element_size()
        out = []
        for k in keys:
            self.held.move_to_end(k)
            out.append(self.held[k])
        while self.bytes > self.max_bytes and self.held:
            _, old = self.held.popitem(last=False)
            self.bytes -= old.numel() * old.element_size()
        return torch.stack(out)

    def stats(self):
        return {"hits": self.hits, "misses": self.misses, "MiB": round(self.bytes / 2**20)}


class X0Head(torch.nn.Module):
    """What DDP wraps: text encoder + DiT forward to x0_hat (one module so gradients are all-reduced)."""

    def __init__(self, model):
        super().__init__()
        self.text = model.text
        self.dit = model.dit

    def forward(self, xt, t, tokens, _unused, cond, cond_mask):
        ctx = self.text(tokens)
        return self.dit.predict_x0(xt, t, ctx, (tokens != 0).float(), cond, cond_mask)


# ----------------------------------------------------------------------------- main

def parse(argv=None):
    ap = argparse.ArgumentParser(prog="trainer.train")
    ap.add_argument("--data", required=True, help="dataset snapshot folder (snapshot.json, shards/)")
    ap.add_argument("--run-dir", required=True)
    ap.add_argument("--preset", default="tiny", choices=sorted(PRESETS))
    ap.add_argument("--steps", type=int)
    ap.add_argument("--minutes", type=float, help="stop (and finish normally) after this wall time")
    ap.add_argument("--batch", type=int)
    ap.add_argument("--lr", type=float)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--resume", action="store_true", help="continue from RUN/checkpoint.pt")
    ap.add_argument("--init-from", help="model.pt / checkpoint.pt of a registered model")
    ap.add_argument("--lora", type=int, default=0, help="LoRA rank with --init-from (0 = full fine-tune)")
    ap.add_argument("--lineage", help="JSON file with the lineage to record in model.pt")
    ap.add_argument("--ckpt-every", type=int, default=200)
    ap.add_argument("--log-every", type=int, default=10)
    ap.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "2")))
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--no-verify", action="store_true", help="skip the shard sha256 check")
    ap.add_argument("--set", action="append", default=[], help="override a preset field, e.g. --set depth=4")
    ap.add_argument("--preview-every", type=int, default=0,
                    help="also write a preview grid every N steps (one is always written when the denoiser starts and at the end)")
    ap.add_argument("--no-previews", action="store_true", help="write no preview grids")
    ap.add_argument("--latent-cache-mb", type=int, default=3072,
                    help="on a CPU, keep up to this many MiB of the frozen autoencoder's latents for clips seen again (0: off)")
    return ap.parse_args(argv)


# What a fine-tune may change with --set: how it trains, not the shape of the model it starts from.
TRAINING_FIELDS = ("batch", "lr", "lr_decay", "steps", "warmup", "ema", "caption_dropout", "hflip", "vae_steps", "vae_decay", "high_noise_steps",
                   "high_noise_batch", "loss_motion", "bf16", "cpu_bf16", "checkpointing", "compile")


def vae_lr_at(p, step, vae_steps):
    """The autoencoder's learning rate at `step`: `vae_lr`, falling linearly over the last `vae_decay` of its
    `vae_steps` to vae_lr / vae_decay on the last one (a function of the step alone, so a resume matches)."""
    if not p.vae_decay:
        return p.vae_lr
    return p.vae_lr * min(1.0, (vae_steps - step) / p.vae_decay)


def dit_lr_at(p, step, dec_from):
    """The denoiser's learning rate at `step`: up over `warmup` steps to `lr`, and with `lr_decay` down
    linearly over the last `lr_decay` of its steps (which end at `dec_from`, where the decoder phase begins
    or the run ends) to lr / lr_decay on the last one. A function of the step alone, so a resume matches."""
    lr = p.lr * min(1.0, (step + 1) / max(1, p.warmup))
    return lr * min(1.0, (dec_from - step) / p.lr_decay) if p.lr_decay else lr


def vae_dec_lr_at(p, step, dec_from):
    """The decoder phase's learning rate at `step` (the phase runs from `dec_from` to `p.steps`): up from 0
    over its first 25 steps (its optimizer starts empty), `vae_dec_lr`, down to 0 over its last quarter."""
    n, i = p.steps - dec_from, step - dec_from
    return p.vae_dec_lr * min(1.0, (i + 1) / 25, (n - i) / max(1, n // 4))


def single_frames(video, k, generator):
    """`k` distinct frames of each clip of a [B, C, T, H, W] batch, drawn with `generator`, each a one-frame
    video [B*k, C, 1, H, W]: what the autoencoder's first steps train on (a causal one encodes a frame alone)."""
    pick = torch.rand(video.shape[0], video.shape[2], generator=generator).argsort(dim=1)[:, :k]
    frames = video[torch.arange(video.shape[0])[:, None], :, pick.to(video.device)]   # [B, k, C, H, W]
    return frames.flatten(0, 1).unsqueeze(2)


def cpu_has_bf16():
    """Whether this CPU multiplies bf16 in hardware (AVX-512 BF16 or AMX; Linux's /proc/cpuinfo flags).
    There bf16 autocast about doubles a `tiny` step's rate; elsewhere bf16 is emulated and slower than fp32."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line for line in f if line.startswith("flags")), "")
    except OSError:
        return False
    return bool({"avx512_bf16", "amx_bf16"} & set(flags.split()))


def bf16_step(p, cuda, cpu_bf16=False):
    """Whether the denoiser's step runs under bf16 autocast: on CUDA for the presets that ask for it
    (`bf16`), on a CPU when the run decided so (`cpuBf16` in its config)."""
    return p.bf16 if cuda else cpu_bf16


def step_autocast(p, cuda, cpu_bf16=False):
    """The denoiser step's autocast context (`bf16_step`). torch 1.13 CPU builds fail inside
    autocast("cuda") even when disabled, so elsewhere it is not built at all."""
    if not bf16_step(p, cuda, cpu_bf16):
        return contextlib.nullcontext()
    return torch.autocast("cuda" if cuda else "cpu", dtype=torch.bfloat16)


def compiles(p, cuda):
    """Whether the step runs under torch.compile: `compile` set, on CUDA, with a torch that has it (2.0+)."""
    return bool(cuda and p.compile and hasattr(torch, "compile"))


def build_preset(name, overrides):
    """The named preset with `--set field=value` overrides; ValueError names a bad one."""
    return apply_overrides(copy.deepcopy(PRESETS[name]), overrides)


def apply_overrides(p, overrides, allowed=None):
    """Sets `field=value` overrides on preset p (only `allowed` fields, when given); ValueError names a bad one."""
    for kv in overrides:
        k, sep, v = kv.partition("=")
        if not sep or k == "name" or not hasattr(p, k):
            raise ValueError(f"--set {kv}: not a preset field; use field=value with one of "
                             f"{', '.join(f for f in p.to_dict() if f != 'name')}")
        cur = getattr(p, k)
        try:
            if isinstance(cur, bool):
                if v.lower() not in ("1", "0", "true", "false"):
                    raise ValueError
                val = v.lower() in ("1", "true")
            elif isinstance(cur, tuple):
                val = tuple(int(x) for x in v.split(","))
                if len(val) != len(cur):
                    raise ValueError
            else:
                val = type(cur)(v)
        except ValueError:
            kind = ("true or false" if isinstance(cur, bool) else f"{len(cur)} whole numbers joined by commas"
                    if isinstance(cur, tuple) else "a whole number" if isinstance(cur, int) else "a number" if isinstance(cur, float) else "text")
            raise ValueError(f"--set {kv}: {k} takes {kind}") from None
        if allowed is not None and k not in allowed and val != cur:
            raise ValueError(f"--set {kv}: a fine-tune keeps its base's {k} ({cur}); it may change {', '.join(allowed)}")
        setattr(p, k, val)
    return p


def load_model_file(path):
    try:
        ck = torch.load(path, map_location="cpu")
    except FileNotFoundError:
        raise SnapshotError("model_missing", f"{path}: model weights not found")
    if "state" not in ck and "ema" in ck:      # a training checkpoint
        ck = {"preset": ck["preset"], "vocab": ck["vocab"], "state": ck["ema"], "lineage": ck.get("lineage")}
    return ck


def main(argv=None):
    a = parse(argv)
    if tuple(int(x) for x in torch.__version__.split(".")[:2]) < MIN_TORCH:
        emit("error", code="torch_too_old", message=f"torch {torch.__version__} is older than 1.13")
        return 2
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    cuda = a.device == "cuda" or (a.device == "auto" and torch.cuda.is_available())
    device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0"))) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
        torch.backends.cuda.matmul.allow_tf32 = True
    else:
        torch.set_num_threads(max(1, a.threads // world))
    if world > 1:
        dist.init_process_group("nccl" if cuda else "gloo")

    os.makedirs(a.run_dir, exist_ok=True)
    ckpt_path = os.path.join(a.run_dir, "checkpoint.pt")
    try:
        snap = Snapshot(a.data)
        if not a.no_verify and rank == 0:
            snap.verify()
        resume = torch.load(ckpt_path, map_location="cpu") if a.resume and os.path.exists(ckpt_path) else None
        if a.resume and resume is None:
            raise SnapshotError("no_checkpoint", f"{ckpt_path}: nothing to resume from")
        base = load_model_file(a.init_from) if a.init_from and resume is None else None
    except SnapshotError as e:
        emit("error", code=e.code, message=str(e))
        return 3

    if resume is not None:
        p = preset_from_dict(resume["preset"])
        cfg = resume["config"]
        tok = Tokenizer(resume["vocab"], p.text_max_len)
    else:
        if base is not None:
            p = preset_from_dict(base["preset"])
            p.high_noise_steps = 0      # the base had its warm-up; a fine-tune trains on the usual mix
        try:
            p = apply_overrides(p, a.set, TRAINING_FIELDS) if base is not None else build_preset(a.preset, a.set)
        except ValueError as e:
            emit("error", code="bad_preset", message=f"preset {p.name if base is not None else a.preset}: {e}")
            return 2
        if a.batch:
            p.batch = a.batch
        if a.lr:
            p.lr = a.lr
        if a.steps:
            p.steps = a.steps
        tok = Tokenizer.build(snap.captions("train"), p.text_max_len, base_vocab=base["vocab"] if base else None)
        cfg = {"seed": a.seed, "lora": a.lora if base else 0, "initFrom": a.init_from, "data": os.path.abspath(a.data),
               "datasetId": snap.id, "datasetRoot": snap.merkle_root, "world": world,
               # decided once per run, so a resumed run computes as the run it continues did
               "cpuBf16": bool(not cuda and p.cpu_bf16 and cpu_has_bf16())}
    if a.steps and resume is not None:
        p.steps = a.steps
    problem = preset_problem(p)
    if problem:
        emit("error", code="bad_preset", message=f"preset {p.name}: {problem}")
        return 2
    for name, b in (("batch", p.batch), ("high_noise_batch", p.high_noise_batch)):
        if b % world:
            emit("error", code="bad_batch", message=f"{name} {b} does not split over {world} processes")
            return 2

    # --set compile=true, torch 2.0+ on CUDA: the first steps compile (about 2 minutes for `base` on an H200),
    # the rest run 1.2-1.25x as fast (docs/model.md "On a GPU"). Weights, checkpoints and exports are the same.
    compiled = compiles(p, cuda)
    need, have = memory_estimate(p, world, cuda, device, compiled)
    if have and need > have:
        emit("error", code="preset_too_big", message=f"preset {p.name} needs about {need / 2**30:.1f} GiB per process "
             f"(batch {p.batch // world}, {p.tokens()} tokens) but {'the GPU' if cuda else 'this machine'} has "
             f"{have / 2**30:.1f} GiB free: use a smaller preset, a smaller --batch or more processes")
        return 4

    torch.manual_seed(cfg["seed"])  # same initial weights on every rank
    model = VideoModel(p, len(tok.vocab))
    if base is not None:
        state = base["state"]
        model.text.resize_vocab(state["text.tok.weight"].shape[0])
        model.load_state_dict(state)
        model.text.resize_vocab(len(tok.vocab))
    if cfg["lora"]:
        apply_lora(model, rank=cfg["lora"])
    model.to(device)
    ema = copy.deepcopy(model).eval()
    for q in ema.parameters():
        q.requires_grad_(False)

    # The averaged weights, and the autoencoder's (copied, not averaged: it is frozen by then). One
    # multi-tensor update per step instead of ~1,000 small ones: ~8 % of a CPU `tiny` step.
    pairs = list(zip(ema.named_parameters(), model.parameters()))
    ema_avg = ([pe for (n, pe), _ in pairs if not n.startswith("vae.")], [pm for (n, _), pm in pairs if not n.startswith("vae.")])
    ema_copy = [(pe, pm) for (n, pe), pm in pairs if n.startswith("vae.")]

    dit_params = [q for n, q in model.named_parameters() if q.requires_grad and not n.startswith("vae.")]
    opt = torch.optim.AdamW(dit_params, lr=p.lr, betas=(0.9, 0.99), weight_decay=0.0, foreach=True)
    opt_vae = torch.optim.AdamW(model.vae.parameters(), lr=p.vae_lr, foreach=True) if model.vae is not None else None
    # a fine-tune keeps its base's autoencoder (and latent scale) frozen
    vae_steps = p.vae_steps if model.vae is not None and not cfg["lora"] and not cfg["initFrom"] else 0
    # the decoder phase closes the run (after the denoiser, which never reads the decoder): a run with it
    # trains the same denoiser as one without, and a finished run resumed with more steps can add it
    dec_from = max(vae_steps, p.steps - p.vae_dec_steps) if p.vae_dec_steps and vae_steps else p.steps
    img_to = min(p.vae_image_steps, vae_steps)   # the autoencoder's steps on single frames come first
    opt_dec = torch.optim.AdamW(model.vae.dec.parameters(), lr=p.vae_dec_lr, foreach=True) if dec_from < p.steps else None
    step, curves, wall_before, samples_before = 0, [], 0.0, 0
    previews = []   # [{"step", "path"}]: the run's preview grids, relative to the run folder
    if resume is not None:
        model.load_state_dict(resume["model"])
        ema.load_state_dict(resume["ema"])
        opt.load_state_dict(resume["opt"])
        if opt_vae is not None and resume.get("opt_vae"):
            opt_vae.load_state_dict(resume["opt_vae"])
        if opt_dec is not None and resume.get("opt_dec"):
            opt_dec.load_state_dict(resume["opt_dec"])
        step, curves = resume["step"], resume["curves"]
        previews = resume.get("previews", [])
        wall_before, samples_before = resume.get("wall", 0.0), resume.get("samples", 0)

    head = X0Head(model)
    if world > 1:
        head = torch.nn.parallel.DistributedDataParallel(head, device_ids=[device.index] if cuda else None)
    if compiled:
        head = torch.compile(head)
    # on a GPU the autoencoder encodes a batch in a few ms: nothing to save there. On a CPU the cache takes
    # at most half of the memory the run leaves free.
    cache_bytes = a.latent_cache_mb * 2**20
    if have:
        cache_bytes = min(cache_bytes, max(0, have - need) // 2)
    latents = LatentCache(model.vae, cache_bytes) if model.vae is not None and not cuda and cache_bytes > 0 else None
    cached_encode = latents.encode if latents else None   # stands in for the autoencoder's encode below
    if resume is None:
        cfg["warmUpSteps"] = warm_up_count(p, vae_steps)
    warm = warm_up_steps(p, vae_steps, cfg.get("warmUpSteps"))   # (runs from before the cap: the preset's count)
    try:
        stream = ClipStream(snap, "train", p, cfg["seed"], p.batch, warm, p.high_noise_batch)
    except SnapshotError as e:
        emit("error", code=e.code, message=str(e))
        return 3
    counts = model.param_counts()
    cpu_bf16 = cfg.get("cpuBf16", False)
    autocast = "bf16" if bf16_step(p, cuda, cpu_bf16) else "fp32"   # for the start event and the compute record
    emit("start", preset=p.name, params=counts, tokens=p.tokens(), latentShape=list(p.latent_shape()),
         vocab=len(tok.vocab), trainClips=len(stream.recs), step=step, total=p.steps, vaeSteps=vae_steps,
         decSteps=p.steps - dec_from, device=str(device),
         world=world, resumed=resume is not None, compiled=compiled, autocast=autocast,
         warmUpSteps=len(warm))

    t0 = time.time()
    seen = 0
    # the current phase's own clock: an autoencoder step costs a fraction of a denoiser step
    phase_t0, phase_seen = t0, 0
    acc, acc_n = 0.0, 0
    amp = step_autocast(p, cuda, cpu_bf16)

    def save(path_step):
        state = {"preset": p.to_dict(), "config": cfg, "vocab": tok.vocab, "model": model.state_dict(),
                 "ema": ema.state_dict(), "opt": opt.state_dict(),
                 "opt_vae": opt_vae.state_dict() if opt_vae else None, "opt_dec": opt_dec.state_dict() if opt_dec else None,
                 "step": path_step, "curves": curves, "previews": previews,
                 "wall": wall_before + time.time() - t0, "samples": samples_before + seen * world}
        atomic_save(state, ckpt_path)
        emit("checkpoint", step=path_step, path=ckpt_path)

    def write_preview(at):
        """Preview grid of the averaged weights (what the run registers) at step `at`: generations from
        held-out captions above the real clips. Returns the seconds it took, which the run's wall time
        and `--minutes` budget leave out. A preview that cannot be written is a warning, never a failure."""
        if a.no_previews or rank != 0 or any(pv["step"] == at for pv in previews):
            return 0.0
        started = time.time()
        rel = os.path.join("previews", f"step-{at:06d}.mp4")
        try:
            os.makedirs(os.path.join(a.run_dir, "previews"), exist_ok=True)
            prompts = preview(ema, tok, snap, os.path.join(a.run_dir, rel), seed=cfg["seed"])
            previews.append({"step": at, "path": rel})
            emit("preview", step=at, path=os.path.join(a.run_dir, rel), prompts=prompts)
        except Exception as e:  # noqa: BLE001 - ffmpeg missing or failing must not cost the run
            why = (str(e).strip().splitlines() or [type(e).__name__])[-1]
            emit("warning", code="preview_failed", message=f"preview at step {at} not written: {why}")
        return time.time() - started

    prefetch = Prefetcher(stream, step, p.steps, rank, world) if cuda else None
    while step < p.steps:
        if a.minutes:
            over = time.time() - t0 > a.minutes * 60
            if world > 1:   # rank 0's clock decides (its previews are left out of it): every rank stops at the same step
                flag = torch.tensor([float(over)], device=device)
                dist.broadcast(flag, 0)
                over = bool(flag.item())
            if over:
                break
        if step == vae_steps:
            t0 += write_preview(step)    # the denoiser as initialised: what later previews are compared with
        if step in (img_to, vae_steps, dec_from):
            phase_t0, phase_seen = time.time(), 0
        video, caps, _ = prefetch.get(step) if prefetch else stream.batch(step, rank, world)
        video = video.to(device)
        B = stream.size(step)
        per = B // world
        sl = slice(rank * per, (rank + 1) * per)
        model.train()
        if step < vae_steps or step >= dec_from:
            # the autoencoder on single frames (its first `img_to` steps), then on `vae_frames`-long clips (for
            # speed); then, closing the run, its decoder alone on whole clips (it draws frames past `vae_frames`
            # worse otherwise), the encoder (so the latents the denoiser learnt) unchanged
            dec_only = step >= vae_steps
            phase = "dec" if dec_only else "img" if step < img_to else "vae"
            g = torch.Generator().manual_seed(cfg["seed"] * 1000003 + step)
            if phase == "img":
                shown = single_frames(video, p.vae_image_frames, g)
            else:
                shown = video if dec_only else video[:, :, :p.vae_frames or None]
            loss, parts = model.vae.loss(shown, generator=None if cuda else g, decoder_only=dec_only)
            o, trained = (opt_dec, model.vae.dec) if dec_only else (opt_vae, model.vae)
            for gr in o.param_groups:
                gr["lr"] = vae_dec_lr_at(p, step, dec_from) if dec_only else vae_lr_at(p, step, vae_steps)
            o.zero_grad(set_to_none=True)
            loss.backward()
            if world > 1:
                for q in trained.parameters():
                    dist.all_reduce(q.grad)
                    q.grad /= world
            o.step()
            with torch.no_grad():
                for pe, pm in zip(ema.vae.parameters(), model.vae.parameters()):
                    pe.copy_(pm)
        else:
            if model.vae is not None and step == vae_steps and not cfg["lora"] and resume_scale_needed(model):
                calibrate_latent_scale(model, stream, step, rank, world, device)
            g, t, given, drop = step_draws(cfg["seed"], step, B, p.frames, p, warm)
            caps = ["" if d else c for d, c in zip(drop[sl].tolist(), caps)]
            tokens = tok.batch(caps).to(device)
            with torch.no_grad():
                x0 = cached_encode(video) if cached_encode else model.to_model_space(video)
                cond, cond_mask = model.build_cond(video, given[sl].to(device), cached_encode)
            noise = torch.randn((B,) + tuple(x0.shape[1:]), generator=g)[sl].to(device)
            t = t[sl].to(device)
            lr = dit_lr_at(p, step, dec_from)
            for gr in opt.param_groups:
                gr["lr"] = lr
            with amp:
                tb = t[:, None, None, None, None]
                xt = (1 - tb) * x0 + tb * noise
                x0_hat = head(xt, t, tokens, None, cond, cond_mask)
            w = 1.0 / t.clamp(min=p.loss_tmin) ** 2
            sq = (x0_hat.float() - x0) ** 2 * (1 - cond_mask)
            if p.loss_motion:
                m = motion_weights(video, p.loss_motion, model.vae.space if model.vae is not None else 1)
                sq = sq * m / m.mean((1, 2, 3, 4), keepdim=True)
            loss = (w * sq.flatten(1).mean(1)).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(dit_params, 1.0)
            opt.step()
            d = min(p.ema, (1 + step) / (10 + step))
            with torch.no_grad():
                torch._foreach_mul_(ema_avg[0], d)
                torch._foreach_add_(ema_avg[0], ema_avg[1], alpha=1 - d)
                for pe, pm in ema_copy:
                    pe.copy_(pm)
                for be, bm in zip(ema.buffers(), model.buffers()):
                    be.copy_(bm)
            phase = "dit"
        lval = loss.item()
        if world > 1:
            lt = torch.tensor([lval], device=device)
            dist.all_reduce(lt)
            lval = lt.item() / world
        acc += lval
        acc_n += 1
        step += 1
        seen += per
        phase_seen += per
        if step % a.log_every == 0 or step == p.steps:
            el = time.time() - t0
            sps = phase_seen * world / max(time.time() - phase_t0, 1e-9)
            # the ETA is to the end of the phase while the next one's pace is not known yet
            remaining = stream.items_between(step, {"img": img_to, "vae": vae_steps, "dit": dec_from}.get(phase, p.steps)) / max(sps, 1e-9)
            if a.minutes:
                remaining = min(remaining, max(0.0, a.minutes * 60 - el))
            curves.append({"step": step, "loss": acc / acc_n, "phase": phase})
            emit("step", step=step, total=p.steps, phase=phase, loss=acc / acc_n,
                 lr={"dit": opt, "img": opt_vae, "vae": opt_vae, "dec": opt_dec}[phase].param_groups[0]["lr"], samplesPerSec=sps,
                 etaSeconds=remaining, elapsed=wall_before + el)
            acc, acc_n = 0.0, 0
        if a.preview_every and step % a.preview_every == 0 and vae_steps < step < p.steps:
            spent = write_preview(step)
            t0 += spent
            phase_t0 += spent
        if step % a.ckpt_every == 0 and rank == 0:
            save(step)
    if rank == 0:
        if step > vae_steps:
            t0 += write_preview(step)
        if step % a.ckpt_every or (previews and previews[-1]["step"] == step):
            save(step)      # the last checkpoint lists the last preview too: a longer resumed run keeps it
        wall = wall_before + time.time() - t0
        final = copy.deepcopy(ema).cpu()
        if cfg["lora"]:
            merge_lora(final)
        lineage = json.load(open(a.lineage)) if a.lineage else None
        atomic_save({"format": "backlot-model-v1", "preset": p.to_dict(), "vocab": tok.vocab,
                     "state": final.state_dict(), "config": cfg, "lineage": lineage,
                     "datasetId": cfg["datasetId"], "datasetRoot": cfg["datasetRoot"]},
                    os.path.join(a.run_dir, "model.pt"))
        samples = samples_before + seen * world
        watts = (GPU_WATTS * world) if cuda else (CPU_WATTS_PER_CORE * a.threads)
        summary = {"preset": p.name, "steps": step, "params": counts, "curves": curves, "config": cfg, "previews": previews,
                   "compute": {"device": torch.cuda.get_device_name(device) if cuda else f"cpu x{a.threads} threads",
                               "processes": world, "autocast": autocast, "wallSeconds": wall, "samplesSeen": samples,
                               "energyKwh": watts * wall / 3.6e6, "energyAssumption": f"{watts:.0f} W while training"}}
        with open(os.path.join(a.run_dir, "summary.json"), "w") as f:
            json.dump(summary, f, indent=1)
        emit("done", step=step, model=os.path.join(a.run_dir, "model.pt"), **{k: summary[k] for k in ("params", "compute")},
             **({"latentCache": latents.stats()} if latents else {}))
    if world > 1:
        dist.destroy_process_group()
    return 0


def memory_needed(p, world, cuda, compiled=False):
    """Bytes one process needs, before anything is allocated: weights, grads, Adam and EMA (5 copies of
    fp32 params) plus activations (~34 floats per token per width per block kept for backward). With
    activation checkpointing on CUDA: each block's fp32 input plus one block's worth, recomputed in
    backward; compiled, checkpointing kept about a third of the blocks' worth (`base` on an H200: 109 GiB
    against 34 GiB uncompiled, docs/model.md "On a GPU"). Rough on purpose: it exists to refuse the
    hopeless early, not after minutes of compiling; a test holds it to the H200 measurements."""
    W, Td = p.width_dit, p.text_dim
    params = p.depth * (20 * W * W + 2 * W * Td) + p.text_depth * 12 * Td * Td
    per = max(p.batch, p.high_noise_batch) // world
    block = per * p.tokens() * W * 34 * 4 // (2 if cuda and p.bf16 else 1)
    if p.checkpointing and cuda:
        act = per * p.tokens() * W * 4 * p.depth + block * (max(1, p.depth // 3) if compiled else 1)
    else:
        act = block * p.depth
    return params * 4 * 5 + act


def memory_estimate(p, world, cuda, device, compiled=False):
    """(bytes needed, bytes free) for one process."""
    if cuda:
        free = torch.cuda.mem_get_info(device)[0] if hasattr(torch.cuda, "mem_get_info") else 0
    else:
        free = 0
        try:
            with open("/proc/meminfo") as f:
                for line in f:
                    if line.startswith("MemAvailable:"):
                        free = int(line.split()[1]) * 1024 // world
        except OSError:
            pass
    return memory_needed(p, world, cuda, compiled), free


def resume_scale_needed(model):
    return bool((model.vae.scale == 1.0).all())


@torch.no_grad()
def calibrate_latent_scale(model, stream, step, rank, world, device):
    """Once, when the autoencoder freezes: scale latents to unit std (deterministic batches), all channels
    together, or (latent_norm channel) each channel to mean 0 and std 1."""
    vae = model.vae
    vae.eval()
    z = torch.cat([vae.posterior(stream.batch(step + k, rank, world)[0].to(device))[0] for k in range(4)])
    z = z.transpose(0, 1).flatten(1)                    # [C, everything else]
    if vae.shift is None:
        z = z.flatten()
    mean, sq = z.mean(-1), z.pow(2).mean(-1)
    if world > 1:
        for v in (mean, sq):
            dist.all_reduce(v)
            v /= world
    std = (sq - mean.pow(2)).clamp(min=0).sqrt()
    vae.scale.copy_(1.0 / std.clamp(min=1e-4))
    if vae.shift is not None:
        vae.shift.copy_(mean)


if __name__ == "__main__":
    sys.exit(main())
