"""Sampling: the Euler flow sampler with classifier-free guidance (docs/model-format.md "Sampler"),
loading a model file, and writing an MP4 grid (generations beside real clips) through ffmpeg.

    python3 -m trainer.sample --model RUN/model.pt --prompt "a red ball moving left at night" --out grid.mp4
"""
import argparse
import json
import os
import subprocess

import numpy as np
import torch

from .data import Snapshot, whole_clip
from .model import Tokenizer, VideoModel, merge_lora, preset_from_dict


def load(path):
    """(model in eval mode, tokenizer, the raw file) from model.pt or a training checkpoint.pt (EMA)."""
    ck = torch.load(path, map_location="cpu")
    state = ck["state"] if "state" in ck else ck["ema"]
    p = preset_from_dict(ck["preset"])
    model = VideoModel(p, len(ck["vocab"]))
    if any(".lora_a" in k for k in state):  # a LoRA checkpoint that was never merged
        from .model import apply_lora
        apply_lora(model, rank=state[next(k for k in state if k.endswith(".lora_a"))].shape[0])
        model.load_state_dict(state)
        merge_lora(model)
    else:
        model.load_state_dict(state)
    return model.eval(), Tokenizer(ck["vocab"], p.text_max_len), ck


# Where classifier-free guidance applies: noise levels lo < t <= hi (Kynkaanniemi et al. 2024, "Applying
# guidance in a limited interval"); the steps outside follow the conditional model alone. Measured on
# `small` and `tiny` in docs/model.md ("Guidance in an interval"); exports write it into model.json's defaults.
GUIDANCE_INTERVAL = (0.2, 0.8)
_AT_BOUND = 1e-9  # a time this close to a bound counts as on it (as in the TypeScript sampler)


def guided_at(t, interval):
    """Whether the step at time t is guided (lo < t <= hi)."""
    lo, hi = interval
    return lo + _AT_BOUND < t <= hi + _AT_BOUND


def check_interval(interval):
    lo, hi = interval
    if not (0 <= lo < hi <= 1):
        raise ValueError(f"guidance interval must satisfy 0 <= lo < hi <= 1, got {lo}:{hi}")
    return (float(lo), float(hi))


@torch.no_grad()
def sample(model, tok, captions, cond=None, cond_mask=None, steps=20, guidance=3.0, generator=None, guidance_interval=GUIDANCE_INTERVAL):
    """Model-space x0 for each caption. cond / cond_mask as built by VideoModel.build_cond. Steps whose
    time is outside `guidance_interval` run the captions' branch alone (guidance 1)."""
    B = len(captions)
    shape = model.preset.latent_shape()
    dev = next(model.parameters()).device
    x = torch.randn((B,) + shape, generator=generator).to(dev)    # drawn on the CPU: the same noise on any device
    if cond is None:
        cond = torch.zeros((B,) + shape, device=dev)
        cond_mask = torch.zeros(B, 1, shape[1], 1, 1, device=dev)
    check_interval(guidance_interval)
    tokens = torch.cat([tok.batch(captions), tok.batch([""] * B)]).to(dev)
    ctx = model.text(tokens)
    cmask = (tokens != 0).float()
    cond2, cm2 = torch.cat([cond, cond]), torch.cat([cond_mask, cond_mask])
    for i in range(steps):
        t, t_next = 1 - i / steps, 1 - (i + 1) / steps
        if guidance != 1 and guided_at(t, guidance_interval):
            v = model.dit(torch.cat([x, x]), torch.full((2 * B,), t, device=dev), ctx, cmask, cond2, cm2)
            vc, vu = v.chunk(2)
            v = vu + guidance * (vc - vu)
        else:
            v = model.dit(x, torch.full((B,), t, device=dev), ctx[:B], cmask[:B], cond, cond_mask)
        x = x + (t_next - t) * v
    return x


@torch.no_grad()
def generate_video(model, tok, captions, given_video=None, given=None, **kw):
    """uint8 [B,T,H,W,3] videos; given_video [B,3,T,H,W] in [-1,1] with given [B,T] bool frames."""
    cond = cond_mask = None
    if given is not None and given.any():
        cond, cond_mask = model.build_cond(given_video, given)
    x0 = sample(model, tok, captions, cond, cond_mask, **kw)
    return to_uint8(model.from_model_space(x0))


def to_uint8(video):
    """[B,3,T,H,W] in [-1,1] -> uint8 [B,T,H,W,3]."""
    return ((video.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 4, 1).cpu().numpy()


def grid(videos, cols, scale=4):
    """uint8 [N,T,H,W,3] -> [T, rows*H*scale, cols*W*scale, 3] with 2-px gutters."""
    N, T, H, W, _ = videos.shape
    rows = (N + cols - 1) // cols
    out = np.full((T, rows * (H + 2), cols * (W + 2), 3), 255, np.uint8)
    for i in range(N):
        r, c = divmod(i, cols)
        out[:, r * (H + 2):r * (H + 2) + H, c * (W + 2):c * (W + 2) + W] = videos[i]
    return out.repeat(scale, axis=1).repeat(scale, axis=2)


def write_mp4(frames, path, fps):
    T, H, W, _ = frames.shape
    H2, W2 = H - H % 2, W - W % 2
    try:
        proc = subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W2}x{H2}",
                               "-r", str(fps), "-i", "-", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-crf", "18", path],
                              input=np.ascontiguousarray(frames[:, :H2, :W2]).tobytes(), capture_output=True)
    except FileNotFoundError:
        raise RuntimeError("ffmpeg is not installed (sudo apt-get install ffmpeg, or bash scripts/setup.sh)") from None
    if proc.returncode:
        raise RuntimeError(proc.stderr.decode()[-500:])


def write_grid(path, gen, recs, preset):
    """MP4 grid: the generations (uint8 [N,T,H,W,3]) in the top row, above the real clips of `recs` (as
    the model sees them) when there are any."""
    rows = [gen] + ([to_uint8(torch.stack([whole_clip(r, preset) for r in recs]))] if recs else [])
    write_mp4(grid(np.concatenate(rows), cols=len(gen)), path, fps=max(1, 12 // preset.frame_stride))


def preview(model, tok, snap, path, n=8, steps=20, guidance=3.0, seed=0):
    """Writes an MP4 grid: text-to-video generations from the captions of the first `n` held-out clips
    (training clips when the snapshot holds none) above those real clips, so a run's previews at
    successive steps can be set side by side. Same prompts and noise every time for one snapshot.
    Returns the captions."""
    recs = (snap.records("val") or snap.records("train"))[:n]
    captions = [r.header.get("caption", "") for r in recs]
    was_training = model.training
    model.eval()
    try:
        gen = generate_video(model, tok, captions, steps=steps, guidance=guidance, generator=torch.Generator().manual_seed(seed))
    finally:
        model.train(was_training)
    tmp = path + ".tmp.mp4"
    write_grid(tmp, gen, recs, model.preset)
    os.replace(tmp, path)
    return captions


def parse_interval(text):
    """argparse type for LO:HI."""
    try:
        lo, hi = (float(v) for v in text.split(":"))
        return check_interval((lo, hi))
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e) if "interval" in str(e) else f"expected two numbers LO:HI, got {text!r}") from None


def main():
    ap = argparse.ArgumentParser(prog="trainer.sample")
    ap.add_argument("--model", required=True)
    ap.add_argument("--prompt", action="append", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--guidance", type=float, default=3.0)
    ap.add_argument("--guidance-interval", type=parse_interval, default=GUIDANCE_INTERVAL, metavar="LO:HI",
                    help="guide only where lo < t <= hi (default %(default)s; 0:1 guides every step)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--real", help="dataset folder: put its first val clips beside the generations")
    a = ap.parse_args()
    model, tok, ck = load(a.model)
    vids = generate_video(model, tok, a.prompt, steps=a.steps, guidance=a.guidance, guidance_interval=a.guidance_interval,
                          generator=torch.Generator().manual_seed(a.seed))
    write_grid(a.out, vids, Snapshot(a.real).records("val")[: len(a.prompt)] if a.real else [], model.preset)
    print(json.dumps({"out": os.path.abspath(a.out), "prompts": a.prompt}))


if __name__ == "__main__":
    main()
