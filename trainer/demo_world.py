"""The demo world rendered straight into a dataset snapshot (TEAM.md shard format), for the trainer's
tests, bench and quick learning experiments before/without the demo library. The world definition
mirrors the demo generator's (colours x shapes x directions x backgrounds, objects in the centre
square); evaluate.py reads the real one from world.json when given."""
import hashlib
import json
import os
import random
import struct

import numpy as np

WORLD = {
    # Mirrors packages/core/src/demo-world/world.ts (colours, shapes, directions, backgrounds, phrases,
    # held-out list); backgrounds are textured there and carry no RGB, so eval calibrates them from data.
    "version": "trainer-demo-world-v2",
    "colours": [
        {"name": "red", "rgb": [222, 36, 36]}, {"name": "orange", "rgb": [250, 128, 16]},
        {"name": "yellow", "rgb": [240, 228, 30]}, {"name": "green", "rgb": [36, 196, 64]},
        {"name": "blue", "rgb": [40, 96, 240]}, {"name": "purple", "rgb": [158, 58, 216]},
    ],
    "shapes": ["ball", "box", "star"],
    "directions": ["left", "right", "up", "down"],
    "backgrounds": [
        {"name": "day", "phrase": "by day"}, {"name": "night", "phrase": "at night"},
        {"name": "forest", "phrase": "in the forest"}, {"name": "city", "phrase": "in the city"},
    ],
}
HELD_OUT = [tuple(c.split("/")) for c in """red/ball/right/city red/ball/up/forest red/ball/down/forest red/star/right/city
red/star/down/city orange/ball/left/night orange/ball/down/night orange/box/left/night orange/star/left/day
orange/star/right/day yellow/ball/right/city yellow/ball/up/night yellow/box/down/day yellow/box/down/forest
green/ball/left/city green/box/left/city green/box/up/city green/star/right/night green/star/up/forest
blue/box/left/night blue/box/right/day blue/box/right/forest blue/star/up/day blue/star/down/night
purple/ball/down/forest purple/box/right/day purple/box/down/night purple/star/left/city purple/star/up/forest""".split()]


def backdrop(name, W, H, rng):
    """A wide texture like the demo renderer's: gradient plus clouds / stars / trunks / buildings."""
    top, bottom = {"day": ([140, 176, 216], [206, 224, 240]), "night": ([8, 10, 30], [28, 32, 62]),
                   "forest": ([156, 168, 152], [112, 124, 110]), "city": ([118, 116, 138], [186, 176, 182])}[name]
    k = np.linspace(0, 1, H, dtype=np.float32)[:, None, None]
    tex = np.broadcast_to(np.array(top, np.float32) * (1 - k) + np.array(bottom, np.float32) * k, (H, W, 3)).copy()
    if name == "day":
        for _ in range(W // 12):
            cx, cy, rx, ry = rng.randint(0, W), rng.randint(0, H * 2 // 3), rng.randint(3, 7), rng.randint(2, 4)
            yy, xx = np.mgrid[0:H, 0:W]
            tex[((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1] = [242, 245, 250]
    elif name == "night":
        for _ in range(W * H // 60):
            v = rng.randint(140, 230)
            tex[rng.randint(0, H), rng.randint(0, W)] = [v, v, min(255, v + 10)]
    elif name == "forest":
        x = 0
        while x < W:
            tex[:, x:x + rng.randint(1, 3)] = [104, 104, 96]
            x += rng.randint(5, 10)
        x = rng.randint(0, 7)
        while x < W:
            v = rng.randint(46, 66)
            tex[:, x:x + rng.randint(3, 8)] = [v + 6, v, v - 6]
            x += rng.randint(13, 27)
        tex[H - H // 8:] = [72, 80, 64]
    else:
        x = 0
        while x < W:
            w, h, v = rng.randint(9, 23), rng.randint(H // 3, H * 5 // 6), rng.randint(58, 104)
            tex[H - h:, x:x + w - 1] = [v, v, v + 4]
            for wy in range(H - h + 2, H - 3, 4):
                for wx in range(x + 1, x + w - 3, 3):
                    if rng.rand() < 0.55:
                        tex[wy:wy + 2, wx:wx + 1] = [196, 192, 172]
            x += w
    return tex


def caption(colour, shape, direction, bg):
    phrase = next(b["phrase"] for b in WORLD["backgrounds"] if b["name"] == bg)
    return f"{'an' if colour == 'orange' else 'a'} {colour} {shape} moving {direction} {phrase}"


def all_combos(world=WORLD):
    return [(c["name"], s, d, b["name"]) for c in world["colours"] for s in world["shapes"]
            for d in world["directions"] for b in world["backgrounds"]]


def held_out(world=WORLD):
    """The demo world's frozen held-out combinations (never rendered into training)."""
    return sorted(HELD_OUT)


def shape_mask(shape, size, cy, cx, H, W):
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    dy, dx = yy + 0.5 - cy, xx + 0.5 - cx
    r = size / 2
    if shape == "ball":
        return dx * dx + dy * dy <= r * r
    if shape == "box":
        return (np.abs(dx) <= r * 0.8) & (np.abs(dy) <= r * 0.8)
    # five-pointed star, point up: radius between 0.45 r (inner) and r (tips)
    ang = np.arctan2(dy, dx) + np.pi / 2
    rad = np.sqrt(dx * dx + (dy - 0.1 * r) ** 2)
    frac = np.abs(((ang / (2 * np.pi / 5)) % 1) - 0.5) * 2  # 1 at a tip, 0 between tips
    return rad <= r * (0.45 + 0.55 * frac)


def render(colour, shape, direction, bg, frames=48, size=64, rng=None):
    """uint8 [frames, size, size, 3]: a textured backdrop (slowly panning, like the demo's camera) and
    the object crossing the frame in a straight line."""
    rng = rng or np.random.RandomState(0)
    col = np.array(next(c["rgb"] for c in WORLD["colours"] if c["name"] == colour), np.float32)
    tex = backdrop(bg, size * 3, size, rng)
    pan = rng.uniform(-0.3, 0.3) * (rng.rand() < 0.5)
    obj = size * rng.uniform(0.22, 0.28)
    travel = size * rng.uniform(0.45, 0.6)
    dx, dy = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}[direction]
    across = rng.uniform(-0.12, 0.12) * size
    out = np.empty((frames, size, size, 3), np.uint8)
    for f in range(frames):
        s = (f / max(1, frames - 1) - 0.5) * travel
        cx = size / 2 + dx * s + (across if dy else 0)
        cy = size / 2 + dy * s + (across if dx else 0)
        off = int(round(size + pan * f)) % (2 * size)
        img = tex[:, off:off + size].copy()
        img[shape_mask(shape, obj, cy, cx, size, size)] = col
        out[f] = np.clip(img, 0, 255).astype(np.uint8)
    return out


def write_snapshot(root, clips, snap_id="ds_demo", shard_records=64, fps=12):
    """clips: iterable of dict(clipId, titleId, caption, split, frames uint8 [T,H,W,3]). Writes the
    TEAM.md layout: snapshot.json, manifest.jsonl, exclusions.jsonl, shards/<split>-NNNNN.bls."""
    os.makedirs(os.path.join(root, "shards"), exist_ok=True)
    shards, manifest, open_shards = [], [], {}
    counts = {"train": 0, "val": 0, "excluded": 0}
    leaves = []

    def close(split):
        f, name, n = open_shards.pop(split)
        f.close()
        path = os.path.join(root, "shards", name)
        with open(path, "rb") as shard:
            digest = hashlib.sha256(shard.read()).hexdigest()
        shards.append({"file": f"shards/{name}", "split": split, "records": n, "bytes": os.path.getsize(path), "sha256": digest})

    next_no = {"train": 0, "val": 0}
    H = W = None
    for c in clips:
        split = c["split"]
        fr = c["frames"]
        T, H, W, _ = fr.shape
        if split in open_shards and open_shards[split][2] >= shard_records:
            close(split)
        if split not in open_shards:
            name = f"{split}-{next_no[split]:05d}.bls"
            next_no[split] += 1
            open_shards[split] = [open(os.path.join(root, "shards", name), "wb"), name, 0]
        f, name, n = open_shards[split]
        hdr = json.dumps({"clipId": c["clipId"], "titleId": c["titleId"], "caption": c["caption"], "frames": T,
                          "height": H, "width": W, "channels": 3, "fps": fps}).encode()
        payload = fr.tobytes()
        f.write(struct.pack("<I", len(hdr)) + hdr + payload)
        sha = hashlib.sha256(payload).hexdigest()
        manifest.append({"clipId": c["clipId"], "shotId": c.get("shotId", c["clipId"]), "titleId": c["titleId"],
                         "title": c["titleId"], "caption": c["caption"], "split": split, "shard": name,
                         "record": n, "frames": T, "clipSha256": sha})
        leaves.append(sha)
        open_shards[split][2] += 1
        counts[split] += 1
    for split in list(open_shards):
        close(split)
    merkle = hashlib.sha256("".join(sorted(leaves)).encode()).hexdigest()
    meta = {"id": snap_id, "name": snap_id, "createdAt": "1970-01-01T00:00:00Z", "purpose": "trainer-fixture",
            "policyVersion": "fixture", "merkleRoot": merkle, "counts": counts,
            "shardSpec": {"width": W, "height": H, "fps": fps, "maxFrames": 48}, "shards": shards}
    with open(os.path.join(root, "snapshot.json"), "w") as f:
        json.dump(meta, f, indent=1)
    with open(os.path.join(root, "manifest.jsonl"), "w") as f:
        f.writelines(json.dumps(m) + "\n" for m in manifest)
    open(os.path.join(root, "exclusions.jsonl"), "w").close()
    return meta


def demo_snapshot(root, per_combo=2, frames=48, size=64, seed=0, val_per_held=1, limit=None):
    """Every non-held-out combination `per_combo` times in train; held-out combinations only in val."""
    held = set(held_out())
    rng = np.random.RandomState(seed)

    def gen():
        k = 0
        combos = [c for c in all_combos() if c not in held]
        if limit:
            combos = combos[:limit]
        for rep in range(per_combo):
            for c in combos:
                yield {"clipId": f"clip{k:05d}", "titleId": f"title-{c[0]}-{c[3]}", "caption": caption(*c),
                       "split": "train", "frames": render(*c, frames=frames, size=size, rng=rng)}
                k += 1
        for c in sorted(held)[: (limit or len(held))]:
            for rep in range(val_per_held):
                yield {"clipId": f"val{k:05d}", "titleId": "title-held-out", "caption": caption(*c),
                       "split": "val", "frames": render(*c, frames=frames, size=size, rng=rng)}
                k += 1

    meta = demo_snapshot_meta = write_snapshot(root, gen(), snap_id=f"ds_demo_{seed}")
    with open(os.path.join(root, "world.json"), "w") as f:
        json.dump({**WORLD, "heldOut": [list(c) for c in sorted(held)]}, f, indent=1)
    return meta


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description="render the demo world into a dataset snapshot")
    ap.add_argument("out")
    ap.add_argument("--per-combo", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    m = demo_snapshot(a.out, per_combo=a.per_combo, seed=a.seed)
    print(json.dumps(m["counts"]))
