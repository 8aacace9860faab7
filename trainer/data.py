"""Streams clips out of a dataset snapshot's shards (docs/dataset-format.md, TEAM.md "Dataset snapshot
on disk"). Only an index of record offsets is kept in memory; frames are read per batch. The batch for
a step is a pure function of (seed, step), so a resumed run sees exactly the data an uninterrupted run
would, and every DDP rank takes its own slice of the same global batch."""
import hashlib
import json
import os
import re
import struct
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F


class SnapshotError(Exception):
    """A snapshot is missing, malformed or does not match its recorded hashes (code, message)."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


@dataclass
class Record:
    shard: str
    payload: int      # byte offset of the first frame
    header: dict


def read_records(path):
    """Yield Records of one shard by reading headers and seeking over payloads."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        pos = 0
        while pos < size:
            raw = f.read(4)
            if len(raw) < 4:
                raise SnapshotError("shard_truncated", f"{path}: truncated record header at byte {pos}")
            (n,) = struct.unpack("<I", raw)
            hdr = f.read(n)
            if len(hdr) < n:
                raise SnapshotError("shard_truncated", f"{path}: truncated header at byte {pos}")
            try:
                h = json.loads(hdr.decode("utf8"))
            except ValueError:
                raise SnapshotError("shard_corrupt", f"{path}: record header at byte {pos} is not JSON")
            payload = pos + 4 + n
            nbytes = h["frames"] * h["height"] * h["width"] * h.get("channels", 3)
            if payload + nbytes > size:
                raise SnapshotError("shard_truncated", f"{path}: record {h.get('clipId')} runs past the end of the shard")
            yield Record(path, payload, h)
            pos = payload + nbytes
            f.seek(pos)


class Snapshot:
    def __init__(self, root):
        self.root = root
        meta = os.path.join(root, "snapshot.json")
        if not os.path.exists(meta):
            raise SnapshotError("snapshot_missing", f"{root}: no snapshot.json")
        with open(meta) as f:
            self.meta = json.load(f)
        self._index = {}

    @property
    def id(self):
        return self.meta.get("id")

    @property
    def merkle_root(self):
        return self.meta.get("merkleRoot")

    def shard_entries(self, split):
        return [s for s in self.meta.get("shards", []) if s.get("split") == split]

    def verify(self):
        """Check every shard exists with the recorded size and sha256 (streamed)."""
        for s in self.meta.get("shards", []):
            path = os.path.join(self.root, "shards", os.path.basename(s["file"]))
            if not os.path.exists(path):
                raise SnapshotError("shard_missing", f"{path}: shard listed in snapshot.json is missing")
            if "bytes" in s and os.path.getsize(path) != s["bytes"]:
                raise SnapshotError("shard_corrupt", f"{path}: {os.path.getsize(path)} bytes, snapshot.json says {s['bytes']}")
            if "sha256" in s:
                h = hashlib.sha256()
                with open(path, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        h.update(chunk)
                if h.hexdigest() != s["sha256"]:
                    raise SnapshotError("shard_corrupt", f"{path}: sha256 does not match snapshot.json")

    def records(self, split):
        if split not in self._index:
            recs = []
            for s in self.shard_entries(split):
                recs.extend(read_records(os.path.join(self.root, "shards", os.path.basename(s["file"]))))
            self._index[split] = recs
        return self._index[split]

    def captions(self, split="train"):
        return [r.header.get("caption", "") for r in self.records(split)]


def read_frames(rec: Record, indices):
    """uint8 [len(indices), H, W, 3] for the given frame indices of a record."""
    h = rec.header
    fb = h["height"] * h["width"] * h.get("channels", 3)
    lo, hi = min(indices), max(indices)
    with open(rec.shard, "rb") as f:
        f.seek(rec.payload + lo * fb)
        buf = f.read((hi - lo + 1) * fb)
    arr = np.frombuffer(buf, dtype=np.uint8).reshape(hi - lo + 1, h["height"], h["width"], h.get("channels", 3))
    return arr[[i - lo for i in indices]]


def to_video(frames, height, width):
    """uint8 [T,H,W,3] -> float [3,T,height,width] in [-1,1]; area-average down (shards are 64x64)."""
    x = torch.from_numpy(np.ascontiguousarray(frames)).float().permute(3, 0, 1, 2) / 127.5 - 1.0
    if x.shape[2:] != (height, width):
        mode = "area" if x.shape[2] >= height else "bilinear"
        x = F.interpolate(x, size=(height, width), mode=mode, **({} if mode == "area" else {"align_corners": False}))
    return x


MIRRORED = re.compile(r"\b(left|right)\b", re.IGNORECASE)


def mirror_caption(text):
    """The caption of a clip mirrored left-right: "left" and "right" trade places (case kept)."""
    def swap(m):
        word = "right" if m.group(0).lower() == "left" else "left"
        return word.capitalize() if m.group(0)[0].isupper() else word
    return MIRRORED.sub(swap, text)


def clip_indices(n_frames, T, stride, offset_u):
    """T frame indices with the given stride, starting at a position chosen by offset_u in [0,1);
    clips shorter than the span hold their last frame."""
    span = (T - 1) * stride + 1
    start = int(offset_u * max(0, n_frames - span + 1))
    return [min(start + i * stride, n_frames - 1) for i in range(T)]


class ClipStream:
    """Deterministic batches: epoch e is a permutation seeded by (seed, e); step s takes the next global
    batch of the endless concatenation of epochs. Steps in `warm` (a range) take `warm_batch` items
    instead of `global_batch`; the order of the clips runs on through both."""

    def __init__(self, snapshot: Snapshot, split, preset, seed, global_batch, warm=range(0), warm_batch=0):
        self.recs = snapshot.records(split)
        if not self.recs:
            raise SnapshotError("split_empty", f"{snapshot.root}: no {split} records")
        self.p = preset
        self.seed = seed
        self.B = global_batch
        self.warm = warm
        self.warm_B = warm_batch or global_batch
        self._perm = {}

    def size(self, step):
        """The global batch of `step`."""
        return self.warm_B if step in self.warm else self.B

    def _first(self, step):
        warm_before = min(max(step - self.warm.start, 0), len(self.warm))
        return step * self.B + warm_before * (self.warm_B - self.B)

    def items_between(self, a, b):
        """Clips read by steps a .. b-1."""
        return self._first(b) - self._first(a)

    def _item(self, g):
        n = len(self.recs)
        e, i = divmod(g, n)
        if e not in self._perm:
            self._perm = {e: np.random.RandomState((self.seed * 1000003 + e) % 2**32).permutation(n)}
        return self.recs[self._perm[e][i]]

    def batch(self, step, rank=0, world=1):
        B = self.size(step)
        per = B // world
        first = self._first(step)
        items = range(first + rank * per, first + (rank + 1) * per)
        rng = np.random.RandomState((self.seed * 7919 + step) % 2**32)
        offsets = rng.random_sample(B)[rank * per:(rank + 1) * per]
        # Mirroring (preset.hflip) doubles what a small library shows of sideways motion; drawn after the
        # offsets so that a preset without it reads exactly the clips it always did.
        flips = rng.random_sample(B)[rank * per:(rank + 1) * per] < getattr(self.p, "hflip", 0.0)
        vids, caps, ids = [], [], []
        for g, u, flip in zip(items, offsets, flips):
            r = self._item(g)
            idx = clip_indices(r.header["frames"], self.p.frames, self.p.frame_stride, u)
            video = to_video(read_frames(r, idx), self.p.height, self.p.width)
            caption = r.header.get("caption", "")
            vids.append(video.flip(-1) if flip else video)
            caps.append(mirror_caption(caption) if flip else caption)
            ids.append(r.header.get("clipId"))
        return torch.stack(vids), caps, ids


def whole_clip(rec: Record, preset):
    """The clip as the model sees it at evaluation / indexing: centred crop in time."""
    idx = clip_indices(rec.header["frames"], preset.frames, preset.frame_stride, 0.5)
    return to_video(read_frames(rec, idx), preset.height, preset.width)


class Prefetcher:
    """Reads the next steps' batches on a background thread (GPU runs, where reading would otherwise
    leave the device idle). Order is unchanged: batch s is still ClipStream.batch(s)."""

    def __init__(self, stream, start, stop, rank=0, world=1, depth=2):
        import queue
        import threading
        self.q = queue.Queue(maxsize=depth)
        self.thread = threading.Thread(target=self._run, args=(stream, start, stop, rank, world), daemon=True)
        self.thread.start()

    def _run(self, stream, start, stop, rank, world):
        for s in range(start, stop):
            self.q.put((s, stream.batch(s, rank, world)))

    def get(self, step):
        s, b = self.q.get()
        assert s == step, f"prefetcher out of order: {s} != {step}"
        return b
