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
    "version": "trainer-demo-world-v1",
    "colours": [
        {"name": "red", "rgb": [220, 40, 40]}, {"name": "orange", "rgb": [245, 140, 20]},
        {"name": "yellow", "rgb": [240, 220, 40]}, {"name": "green", "rgb": [40, 190, 60]},
        {"name": "blue", "rgb": [40, 90, 230]}, {"name": "purple", "rgb": [150, 50, 200]},
    ],
    "shapes": ["ball", "box", "star"],
    "directions": ["left", "right", "up", "down"],
    "backgrounds": [
        {"name": "night", "rgb": [15, 15, 40], "phrase": "at night"},
        {"name": "day", "rgb": [150, 200, 245], "phrase": "in the day"},
        {"name": "desert", "rgb": [205, 170, 110], "phrase": "in the desert"},
        {"name": "snow", "rgb": [235, 238, 242], "phrase": "in the snow"},
    ],
}


def caption(colour, shape, direction, bg):
    phrase = next(b["phrase"] for b in WORLD["backgrounds"] if b["name"] == bg)
    return f"a {colour} {shape} moving {direction} {phrase}"


def all_combos(world=WORLD):
    return [(c["name"], s, d, b["name"]) for c in world["colours"] for s in world["shapes"]
            for d in world["directions"] for b in world["backgrounds"]]


def held_out(n=40, seed=0, world=WORLD):
    """Combinations never rendered into training: each attribute value still appears in training."""
    combos = all_combos(world)
    random.Random(seed).shuffle(combos)
    return sorted(combos[:n])


def shape_mask(shape, size, cy, cx, H, W):
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    dy, dx = yy + 0.5 - cy, xx + 0.5 - cx
    r = size / 2
    if shape == "ball":
        return dx * dx + dy * dy <= r * r
    if shape == "box":
        return (np.abs(dx) <= r * 0.85) & (np.abs(dy) <= r * 0.85)
    # five-pointed star: radius oscillates with angle
    ang = np.arctan2(dy, dx)
    rad = np.sqrt(dx * dx + dy * dy)
    edge = r * (0.45 + 0.55 * (0.5 + 0.5 * np.cos(5 * (ang + np.pi / 2))) ** 2)
    return rad <= edge


def render(colour, shape, direction, bg, frames=48, size=64, rng=None):
    """uint8 [frames, size, size, 3]: the object crosses the centre of the frame at ~0.8 px/frame."""
    rng = rng or np.random.RandomState(0)
    col = np.array(next(c["rgb"] for c in WORLD["colours"] if c["name"] == colour), np.float32)
    bgc = np.array(next(b["rgb"] for b in WORLD["backgrounds"] if b["name"] == bg), np.float32)
    obj = size * rng.uniform(0.22, 0.3)
    speed = size * rng.uniform(0.011, 0.014)
    dx, dy = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}[direction]
    jitter = rng.uniform(-0.08, 0.08, size=2) * size
    c0 = np.array([size / 2 + jitter[0], size / 2 + jitter[1]])
    out = np.empty((frames, size, size, 3), np.uint8)
    for f in range(frames):
        s = (f - frames / 2) * speed
        cx, cy = c0[0] + dx * s, c0[1] + dy * s
        img = np.broadcast_to(bgc, (size, size, 3)).copy()
        img += rng.normal(0, 3, size=img.shape).astype(np.float32)  # film grain
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
        shards.append({"file": f"shards/{name}", "split": split, "records": n, "bytes": os.path.getsize(path),
                       "sha256": hashlib.sha256(open(path, "rb").read()).hexdigest()})

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


def demo_snapshot(root, per_combo=2, frames=48, size=64, n_held=40, seed=0, val_per_held=1, limit=None):
    """Every non-held-out combination `per_combo` times in train; held-out combinations only in val."""
    held = set(held_out(n_held, seed))
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
