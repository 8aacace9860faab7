"""Evaluation of a trained model on its dataset's held-out split:
validation flow loss, autoencoder PSNR, Fréchet distance in a fixed hand-designed feature space,
temporal consistency, and demo-world prompt adherence per mode (t2v, i2v, extend, interpolate)
judged by plain image analysis, against chance.

    python3 -m trainer.evaluate --model RUN/model.pt --data DATASET_DIR [--world world.json] [--out eval.json]

Feature space "backlot-stats-v1" (Fréchet distance): hand-designed, no learned weights, so it can never
leak a third party's training data and never drifts; bump the version if it changes. Per clip (RGB in
[0,1] at model resolution): mean colour of each of 2x2x2 space-time cells (24), per-channel std (3),
per-channel 4-bin histograms (12), mean |frame difference| per 2x2 spatial cell (4), mean |second
temporal difference| (1), mean spatial gradient magnitude (1) = 45 dimensions."""
import argparse
import json
import math
import os
import re
import time

import numpy as np
import torch

from .data import Snapshot, whole_clip
from .demo_world import HELD_OUT, WORLD
from .model import encode_in_chunks, latent_groups
from .sample import GUIDANCE_INTERVAL, generate_video, load, parse_interval, to_uint8, write_grid
from .train import step_draws

FEATURES_VERSION = "backlot-stats-v1"
# The adherence analyser's rules, recorded with the figures: v2 names colour by hue (figures without
# `analyserVersion` named it by RGB distance to the median, which read a dimmed orange as red); v3 measures
# shape and motion on each frame's largest connected object region, not on every object pixel (v2 read a
# box as a ball when one stray pixel beside it stretched its bounding box).
ANALYSER_VERSION = "backlot-adherence-v3"
MODES = ["t2v", "i2v", "extend", "interpolate"]
# The k-th sample of a prompt draws its noise from seed + stride * k (k = 0 is the single-sample draw).
SAMPLE_SEED_STRIDE = 1009


# ----------------------------------------------------------------------------- fixed feature space

def clip_features(v):
    """uint8 [T,H,W,3] -> float64 [45]."""
    x = v.astype(np.float64) / 255.0
    T, H, W, _ = x.shape
    f = []
    for a in range(2):
        for b in range(2):
            for c in range(2):
                cell = x[a * T // 2:(a + 1) * T // 2, b * H // 2:(b + 1) * H // 2, c * W // 2:(c + 1) * W // 2]
                f.extend(cell.reshape(-1, 3).mean(0))
    f.extend(x.reshape(-1, 3).std(0))
    for ch in range(3):
        f.extend(np.histogram(x[..., ch], bins=4, range=(0, 1))[0] / x[..., ch].size)
    d = np.abs(np.diff(x, axis=0)).mean(-1) if T > 1 else np.zeros((1, H, W))
    for b in range(2):
        for c in range(2):
            f.append(d[:, b * H // 2:(b + 1) * H // 2, c * W // 2:(c + 1) * W // 2].mean())
    f.append(np.abs(np.diff(x, n=2, axis=0)).mean() if T > 2 else 0.0)
    gy, gx = np.abs(np.diff(x, axis=1)).mean(), np.abs(np.diff(x, axis=2)).mean()
    f.append(gx + gy)
    return np.array(f)


def _sqrtm_psd(a):
    w, q = np.linalg.eigh((a + a.T) / 2)
    return (q * np.sqrt(np.clip(w, 0, None))) @ q.T


def frechet(fa, fb):
    """Fréchet distance between Gaussians fitted to two feature sets [N,D] (None below 2 clips a side)."""
    if len(fa) < 2 or len(fb) < 2:
        return None
    ma, mb = fa.mean(0), fb.mean(0)
    ca, cb = np.cov(fa, rowvar=False), np.cov(fb, rowvar=False)
    sa = _sqrtm_psd(ca)
    covmean_tr = np.sqrt(np.clip(np.linalg.eigvalsh(sa @ cb @ sa), 0, None)).sum()
    return float(((ma - mb) ** 2).sum() + np.trace(ca) + np.trace(cb) - 2 * covmean_tr)


def temporal_stats(videos):
    x = videos.astype(np.float64) / 255.0
    return {"meanAbsFrameDiff": float(np.abs(np.diff(x, axis=1)).mean()),
            "flicker": float(np.abs(np.diff(x, n=2, axis=1)).mean())}


# ----------------------------------------------------------------------------- demo-world analysis

class World:
    def __init__(self, spec):
        self.colours = [(c["name"], np.array(c["rgb"], float)) for c in spec["colours"]]
        self.shapes = list(spec["shapes"])
        self.directions = list(spec["directions"])
        self.backgrounds = [(b["name"], b.get("phrase", b["name"])) for b in spec["backgrounds"]]
        self.held_out = spec.get("heldOut", [])

    def caption(self, h):
        phrase = next(ph for n, ph in self.backgrounds if n == h["background"])
        return f"{'an' if h['colour'][0] in 'aeiou' else 'a'} {h['colour']} {h['shape']} moving {h['direction']} {phrase}"

    def parse(self, caption):
        """Attributes named by a caption (word match), or None when it is not a demo-world caption."""
        words = caption.lower().replace(".", " ").replace(",", " ").split()
        text = " ".join(words)
        col = next((n for n, _ in self.colours if n in words), None)
        shp = next((s for s in self.shapes if s in words), None)
        # the object's direction follows "moving"; another direction word may say how the camera pans
        after = {words[i + 1] for i, w in enumerate(words[:-1]) if w == "moving"}
        drn = next((d for d in self.directions if d in after), None) or next((d for d in self.directions if d in words), None)
        bg = next((n for n, ph in self.backgrounds if ph.lower() in text or n.lower() in words), None)
        if None in (col, shp, drn, bg):
            return None
        return {"colour": col, "shape": shp, "direction": drn, "background": bg}


def hue_vector(rgb):
    """Opponent-colour vector (2R-G-B, sqrt(3)(G-B)) of [..., 3] RGB: its angle is the hue in degrees
    (within a few degrees of HSV's, and 0 = red), its length the chroma, so the vectors of an object's
    pixels sum to its chroma-weighted mean hue."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return np.stack([2 * r - g - b, np.sqrt(3) * (g - b)], -1)


def hue_of(vec):
    return float(np.degrees(np.arctan2(vec[1], vec[0])) % 360)


def nearest_hue(h, table):
    """The name in (name, rgb) table whose hue is nearest h, around the circle."""
    return min(table, key=lambda e: abs((hue_of(hue_vector(e[1])) - h + 180) % 360 - 180))[0]


def object_mask(v):
    """The demo world's objects are the only saturated, bright pixels (world.ts: every backdrop is
    desaturated or dark): HSV saturation > 0.45 and value > 0.35."""
    mx, mn = v.max(-1), v.min(-1)
    return ((mx - mn) > 0.45 * mx) & (mx > 0.35 * 255)


def largest_regions(mask):
    """[T, H, W] bool -> the largest 8-connected region of each frame's mask (of equal ones, one). Labels
    spread to the largest label among each pixel's neighbours until nothing changes."""
    T, H, W = mask.shape
    lab = np.where(mask, np.arange(1, H * W + 1).reshape(1, H, W), 0)
    while True:
        p = np.pad(lab, ((0, 0), (1, 1), (1, 1)))
        spread = np.where(mask, np.max([p[:, dy:dy + H, dx:dx + W] for dy in range(3) for dx in range(3)], axis=0), 0)
        if np.array_equal(spread, lab):
            break
        lab = spread
    out = np.zeros_like(mask)
    for t in range(T):
        if mask[t].any():
            counts = np.bincount(lab[t].ravel())
            counts[0] = 0
            out[t] = lab[t] == counts.argmax()
    return out


def backdrop_feature(v, mask):
    """Mean and std of the non-object pixels' RGB: enough to tell the world's backdrops apart."""
    px = v[~mask]
    if len(px) == 0:
        px = v.reshape(-1, 3)
    return np.concatenate([px.mean(0), px.std(0)])


def analyse(video, world, skip_frames=(), protos=None):
    """Plain image analysis of one uint8 [T,H,W,3] clip: object = saturated bright pixels; colour =
    world colour nearest their mean hue; backdrop = nearest calibrated backdrop feature; direction =
    sign of the larger slope of a line fitted to the object centroid over time (given frames left
    out); shape = fill ratio of the object in its bounding box vs calibrated prototypes. Centroid and fill
    are measured on each frame's largest connected region of object pixels: a stray pixel or two beside
    an object (a reconstruction's ringing, a generation's speck) would otherwise move its bounding box."""
    v = video.astype(float)
    T, H, W, _ = v.shape
    mask = object_mask(v)
    out = {"bgFeature": backdrop_feature(v, mask), "background": None, "shape": None}
    if protos and protos.get("background"):
        out["background"] = min(protos["background"], key=lambda n: float(((protos["background"][n] - out["bgFeature"]) ** 2).sum()))
    obj = v[mask]
    # By hue, as world.ts spaces the colours (>= 25 degrees apart): a soft edge blended into a dark
    # backdrop dims an object without turning it; in RGB distance a dim orange (188,85,7) is nearer
    # red (222,36,36) than orange (250,128,16), by hue (25 degrees) it is orange (29).
    out["colour"] = nearest_hue(hue_of(hue_vector(obj).sum(0)), world.colours) if len(obj) >= 3 else None
    ts, xs, ys, fills = [], [], [], []
    yy, xx = np.mgrid[0:H, 0:W]
    main = largest_regions(mask)
    for t in range(T):
        m = main[t]
        if m.sum() < 2:
            continue
        ys_t, xs_t = yy[m], xx[m]
        fills.append(m.sum() / ((ys_t.max() - ys_t.min() + 1) * (xs_t.max() - xs_t.min() + 1)))
        if t in skip_frames:
            continue
        ts.append(t)
        xs.append(xs_t.mean())
        ys.append(ys_t.mean())
    out["direction"] = None
    if len(ts) >= 3:
        sx = np.polyfit(ts, xs, 1)[0]
        sy = np.polyfit(ts, ys, 1)[0]
        if max(abs(sx), abs(sy)) > 0.05:  # px/frame; below that the object is standing still
            out["direction"] = ("right" if sx > 0 else "left") if abs(sx) >= abs(sy) else ("down" if sy > 0 else "up")
    out["fill"] = float(np.median(fills)) if fills else None
    if protos and protos.get("shape") and out["fill"] is not None:
        out["shape"] = min(protos["shape"], key=lambda s: abs(protos["shape"][s] - out["fill"]))
    return out


def calibrate(clips, attrs_list, world):
    """Backdrop features and shape fill ratios per name, measured on real training clips."""
    bg, shp = {}, {}
    for clip, attrs in zip(clips, attrs_list):
        if not attrs:
            continue
        a = analyse(clip, world)
        bg.setdefault(attrs["background"], []).append(a["bgFeature"])
        if a["fill"] is not None:
            shp.setdefault(attrs["shape"], []).append(a["fill"])
    return {"background": {n: np.mean(f, axis=0) for n, f in bg.items()},
            "shape": {n: float(np.median(f)) for n, f in shp.items()}}


def given_frames(mode, T, extend):
    g = torch.zeros(T, dtype=torch.bool)
    if mode == "i2v":
        g[0] = True
    elif mode == "extend":
        g[:extend] = True
    elif mode == "interpolate":
        g[0] = g[-1] = True
    return g


# ----------------------------------------------------------------------------- evaluation

@torch.no_grad()
def val_loss(model, tok, recs, p, n_batches=4, batch=8, seed=1234):
    """Flow loss on held-out clips with fixed draws (comparable between models of a preset)."""
    total, n = 0.0, 0
    for b in range(n_batches):
        chunk = [recs[(b * batch + i) % len(recs)] for i in range(batch)]
        video = torch.stack([whole_clip(r, p) for r in chunk])
        caps = [r.header.get("caption", "") for r in chunk]
        g, t, given, _ = step_draws(seed, b, batch, p.frames, p)
        x0 = model.to_model_space(video)
        cond, cond_mask = model.build_cond(video, given)
        noise = torch.randn(x0.shape, generator=g)
        tb = t[:, None, None, None, None]
        tokens = tok.batch(caps)
        x0_hat = model.dit.predict_x0((1 - tb) * x0 + tb * noise, t, model.text(tokens), (tokens != 0).float(), cond, cond_mask)
        w = 1.0 / t.clamp(min=0.2) ** 2
        total += float((w * ((x0_hat - x0) ** 2 * (1 - cond_mask)).flatten(1).mean(1)).mean())
        n += 1
    return total / n


# Noise levels at which `caption_reliance` reads the denoiser: low (the outline is being drawn), middle
# (the object takes form), high (where and what colour).
RELIANCE_T = (0.2, 0.5, 0.8)


def swap_word(caption, values, after=None):
    """`caption` with its first word from `values` (the first one following the word `after`, when the
    caption has it) replaced by the next value of the list; None when it names none of them."""
    alt = "|".join(map(re.escape, values))
    m = after and re.search(rf"\b{re.escape(after)}\s+({alt})\b", caption, flags=re.I)
    m = m or re.search(rf"\b({alt})\b", caption, flags=re.I)
    if not m:
        return None
    new = values[(values.index(m.group(1).lower()) + 1) % len(values)]
    return caption[:m.start(1)] + new + caption[m.end(1):]


@torch.no_grad()
def caption_reliance(model, tok, recs, world, p, ts=RELIANCE_T, batch=8, seed=4321):
    """How much the denoiser listens to each attribute word of a caption. On held-out clips, text to video
    (nothing given), the error of its clean-clip estimate at fixed noise levels with the clip's own caption,
    and again with one word swapped for another value of its attribute (colour, shape, direction) or with
    no caption, the same noise for every variant. Each figure is how far, in per cent, the error rises over
    the own caption's: a word the model ignores reads about 0 however well the model draws; `noCaption` is
    what the whole caption is worth at that noise level. None when no clip's caption names all three."""
    kinds = {"colour": ([n for n, _ in world.colours], None), "shape": (world.shapes, None),
             "direction": (world.directions, "moving")}
    rows = []
    for r in recs:
        cap = r.header.get("caption", "")
        swapped = {k: swap_word(cap, v, after) for k, (v, after) in kinds.items()}
        if all(swapped.values()):
            rows.append((r, {"own": cap, **swapped, "noCaption": ""}))
    if not rows:
        return None
    B = len(rows)
    x0 = encode_in_chunks(model.to_model_space, torch.stack([whole_clip(r, p) for r, _ in rows]), batch)
    cond, cond_mask = torch.zeros_like(x0), torch.zeros(B, 1, x0.shape[2], 1, 1)
    tokens = {name: tok.batch([v[name] for _, v in rows]) for name in ("own", *kinds, "noCaption")}
    g = torch.Generator().manual_seed(seed)
    out = {"t": list(ts), "clips": B, **{k: [] for k in (*kinds, "noCaption")}}
    for t in ts:
        xt = (1 - t) * x0 + t * torch.randn(x0.shape, generator=g)
        err = {}
        for name, tk in tokens.items():
            e = 0.0
            for i in range(0, B, batch):
                sl = slice(i, i + batch)
                x0_hat = model.dit.predict_x0(xt[sl], torch.full((len(tk[sl]),), t), model.text(tk[sl]), (tk[sl] != 0).float(),
                                              cond[sl], cond_mask[sl])
                e += float(((x0_hat - x0[sl]) ** 2).sum())
            err[name] = e
        for name in (*kinds, "noCaption"):
            out[name].append(round(100 * (err[name] / max(err["own"], 1e-12) - 1), 2))
    return out


def psnr(a, b):
    mse = float(((a.astype(float) - b.astype(float)) ** 2).mean())
    return 10 * np.log10(255.0 ** 2 / max(mse, 1e-10))


def wilson(p, n, z=1.96):
    """95 % interval of a success fraction p over n trials (Wilson score)."""
    if n == 0:
        return [0.0, 1.0]
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [round(max(0.0, c - h), 4), round(min(1.0, c + h), 4)]


ADHERENCE_KEYS = ["colour", "shape", "direction", "background", "colourDirectionBackground"]


def adherence_figures(rows, n_prompts, novel, samples):
    """Fractions over every sample of every prompt, with their 95 % intervals. The samples of one prompt
    share its caption, so they are not independent: the interval is the narrowest the data allow."""
    figs = {k: sum(o[k] for o in rows) / len(rows) for k in ADHERENCE_KEYS}
    # Which shape each asked-for shape was read as ("none": no object found): a single figure hides
    # whether every shape is drawn a little wrong or one shape is always drawn as another.
    confusion = {}
    for o in rows:
        if "shapeAsked" in o:
            read, key = confusion.setdefault(o["shapeAsked"], {}), o["shapeRead"] or "none"
            read[key] = read.get(key, 0) + 1
    return {"n": n_prompts, "novelCombinations": novel, "samplesPerPrompt": samples, **figs,
            "ci95": {k: wilson(figs[k], len(rows)) for k in ADHERENCE_KEYS},
            "shapeConfusion": {k: dict(sorted(v.items())) for k, v in sorted(confusion.items())}}


def judge(a, attrs):
    ok = {k: a[k] == attrs[k] for k in ("colour", "shape", "direction", "background")}
    ok["colourDirectionBackground"] = ok["colour"] and ok["direction"] and ok["background"]
    ok["shapeAsked"], ok["shapeRead"] = attrs["shape"], a["shape"]
    return ok


def evaluate(model_path, data, world_path=None, steps=20, guidance=3.0, seed=0, max_prompts=48, modes=MODES, log=None,
             samples=4, plan=None, guidance_interval=GUIDANCE_INTERVAL):
    """`samples` generations per prompt and mode (each with its own noise): one 15-minute `tiny` scored
    on one sample of 29 prompts moved by 17 points between two seeds of the same recipe. `plan` is told
    the names of the sets to be scored, in order, before the first; `log` each one's figures as it ends."""
    t0 = time.time()
    model, tok, ck = load(model_path)
    p = model.preset
    snap = Snapshot(data)
    val = snap.records("val")
    if not val:
        raise ValueError(f"{data}: no val clips")
    res = {"featuresVersion": FEATURES_VERSION, "analyserVersion": ANALYSER_VERSION, "modelPath": os.path.abspath(model_path), "valClips": len(val),
           "sampler": {"steps": steps, "guidance": guidance, "guidanceInterval": dict(zip(("lo", "hi"), guidance_interval)), "seed": seed, "samplesPerPrompt": samples}}
    res["valLoss"] = val_loss(model, tok, val, p)
    real_t = torch.stack([whole_clip(r, p) for r in val[:max_prompts]])
    real = to_uint8(real_t)
    rec = None
    if model.vae is not None:
        rec = to_uint8(model.vae.decode(model.vae.encode(real_t)))
        res["aePsnr"] = float(np.mean([psnr(a, b) for a, b in zip(rec, real)]))
        # by latent frame (the pixel frames each one decodes to): a causal autoencoder trained on clips
        # shorter than the model's draws the frames past its training length worse (docs/model.md)
        res["aePsnrByLatentFrame"] = [float(np.mean([psnr(a[g], b[g]) for a, b in zip(rec, real)])) for g in latent_groups(rec.shape[1])]
    else:
        res["aePsnr"] = None
        res["aeNote"] = "pixel-space preset: no autoencoder"

    wpath = world_path or (os.path.join(data, "world.json") if os.path.exists(os.path.join(data, "world.json")) else None)
    world = World(json.load(open(wpath)) if wpath else {**WORLD, "heldOut": [list(h) for h in HELD_OUT]})
    # A prompt is "novel" when its colour/shape/direction/background combination is named by no training
    # caption (the demo films never render the world's held-out combinations).
    train_combos = {tuple(a.values()) for a in map(world.parse, snap.captions("train")) if a}
    prompts = []
    for r, v in zip(val[:max_prompts], real_t):
        cap = r.header.get("caption", "")
        attrs = world.parse(cap)
        prompts.append((cap, attrs, v, bool(attrs) and tuple(attrs.values()) not in train_combos))
    caps = [c for c, _, _, _ in prompts]
    E = min(p.extend_frames, p.frames - 1)

    # Calibrate backdrop and shape prototypes on training clips; check the analyser on held-out real clips.
    train_recs = snap.records("train")
    cal = train_recs[:: max(1, len(train_recs) // 160)]
    cal_clips = to_uint8(torch.stack([whole_clip(r, p) for r in cal]))
    protos = calibrate(cal_clips, [world.parse(r.header.get("caption", "")) for r in cal], world)
    res["shapePrototypes"] = protos["shape"]

    res["captionReliance"] = caption_reliance(model, tok, val[:max_prompts], world, p)
    judged = [(attrs, is_novel) for _, attrs, _, is_novel in prompts if attrs]
    # The world's held-out combinations that no training caption names, scored with text to video only.
    held = [h if isinstance(h, dict) else dict(zip(("colour", "shape", "direction", "background"), h)) for h in world.held_out]
    held = [h for h in held if (h["colour"], h["shape"], h["direction"], h["background"]) not in train_combos][:max_prompts] if "t2v" in modes else []
    if plan:
        plan(list(modes) + (["t2vWorldHeldOut"] if held else []))

    def score(video_sets, skip):
        """Adherence over one or more sets of videos, each set one per prompt in order."""
        rows = [judge(analyse(vid, world, skip_frames=skip, protos=protos), attrs)
                for videos in video_sets for (_, attrs, _, _), vid in zip(prompts, videos) if attrs]
        return adherence_figures(rows, len(judged), sum(n for _, n in judged), len(video_sets)) if rows else None

    def sample_sets(captions, seed0, given_video=None, given=None):
        """`samples` sets of generations, one per caption in each; the k-th set draws its noise from
        seed0 + SAMPLE_SEED_STRIDE * k, in chunks of 16 captions (each chunk seeded by its offset)."""
        sets = []
        for k in range(samples):
            chunks = []
            for i in range(0, len(captions), 16):
                sl = slice(i, i + 16)
                chunks.append(generate_video(model, tok, captions[sl], given_video=None if given_video is None else given_video[sl],
                                             given=None if given is None else given[sl], steps=steps, guidance=guidance, guidance_interval=guidance_interval,
                                             generator=torch.Generator().manual_seed(seed0 + i + SAMPLE_SEED_STRIDE * k)))
            sets.append(np.concatenate(chunks))
        return sets

    res["analyserOnReal"] = score([real], ())
    # The same analysis on the autoencoder's reconstructions of those clips: a ceiling for what the denoiser
    # can reach through this autoencoder (an edge it cannot decode is a shape no sample will show).
    res["analyserOnReconstruction"] = score([rec], ()) if rec is not None else None
    nC, nS, nD, nB = len(world.colours), len(world.shapes), len(world.directions), len(world.backgrounds)
    res["chance"] = {"colour": 1 / nC, "shape": 1 / nS, "direction": 1 / nD, "background": 1 / nB,
                     "colourDirectionBackground": 1 / (nC * nD * nB)}
    res["adherence"] = {}
    gen_t2v = None
    for mode in modes:
        g = given_frames(mode, p.frames, E)
        sets = sample_sets(caps, seed, given_video=real_t, given=g[None].expand(len(prompts), -1).clone())
        if mode == "t2v":
            gen_t2v = sets[0]
        skip = tuple(i for i in range(p.frames) if g[i])
        res["adherence"][mode] = score(sets, skip)
        if log:
            log(mode, res["adherence"][mode])
    if held:
        hcaps = [h.get("caption") or world.caption(h) for h in held]
        rows = [judge(analyse(vid, world, protos=protos), h) for vids in sample_sets(hcaps, seed + 7) for h, vid in zip(held, vids)]
        res["adherence"]["t2vWorldHeldOut"] = {**adherence_figures(rows, len(held), len(held), samples), "prompts": hcaps[:3]}
        if log:
            log("t2vWorldHeldOut", res["adherence"]["t2vWorldHeldOut"])
    if gen_t2v is not None:
        res["frechet"] = frechet(np.stack([clip_features(v) for v in gen_t2v]), np.stack([clip_features(v) for v in real]))
        res["frechetRealHalves"] = frechet(np.stack([clip_features(v) for v in real[::2]]),
                                           np.stack([clip_features(v) for v in real[1::2]]))
        res["temporal"] = {"generated": temporal_stats(gen_t2v), "real": temporal_stats(real)}
        res["_t2v"] = gen_t2v
    res["seconds"] = time.time() - t0
    return res


def main():
    ap = argparse.ArgumentParser(prog="trainer.evaluate")
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--world")
    ap.add_argument("--out")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--guidance", type=float, default=3.0)
    ap.add_argument("--guidance-interval", type=parse_interval, default=GUIDANCE_INTERVAL, metavar="LO:HI",
                    help="guide only where lo < t <= hi (default %(default)s; 0:1 guides every step)")
    ap.add_argument("--max-prompts", type=int, default=48)
    ap.add_argument("--samples", type=int, default=4, help="generations per prompt and mode")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--grid", help="write an MP4 grid: t2v generations above the real held-out clips")
    ap.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "2")))
    a = ap.parse_args()
    if a.samples < 1:
        ap.error(f"--samples {a.samples}: must be 1 or more")
    torch.set_num_threads(a.threads)
    log = lambda mode, r: print(json.dumps({"event": "mode", "mode": mode, "adherence": r}), flush=True)
    plan = lambda names: print(json.dumps({"event": "plan", "modes": names}), flush=True)
    res = evaluate(a.model, a.data, a.world, a.steps, a.guidance, max_prompts=a.max_prompts,
                   modes=a.modes.split(","), log=log, samples=a.samples, plan=plan, guidance_interval=a.guidance_interval)
    gen = res.pop("_t2v", None)
    if a.grid and gen is not None:
        n = min(8, len(gen))
        write_grid(a.grid, gen[:n], Snapshot(a.data).records("val")[:n], load(a.model)[0].preset)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(res, f, indent=1)
    print(json.dumps({"event": "done", "eval": res}), flush=True)


if __name__ == "__main__":
    main()
