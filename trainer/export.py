"""ONNX export for serving (docs/model-format.md): text_encoder.onnx, denoiser.onnx, vae_encoder.onnx /
vae_decoder.onnx for latent presets, model.json, and the attribution clip_index over every training clip.

    python3 -m trainer.export --model MODEL.pt --out DIR [--data DATASET_DIR] [--model-id ID] [--lineage FILE]
        [--parity DIR]   (also write sample inputs and PyTorch outputs for the ONNX Runtime parity check)
"""
import argparse
import inspect
import json
import os

import numpy as np
import torch

from .data import Snapshot, whole_clip
from .sample import GUIDANCE_INTERVAL, load

FORMAT_VERSION = 1
OPSET = 17  # the newest torch 1.13 can write
ATTRIBUTION_VERSION = "pool444-v1"


class Denoiser(torch.nn.Module):
    def __init__(self, dit):
        super().__init__()
        self.dit = dit

    def forward(self, x, t, context, context_mask, cond, cond_mask):
        return self.dit(x, t, context, context_mask, cond, cond_mask)


class Encoder(torch.nn.Module):
    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, video):
        return self.vae.encode(video)


class Decoder(torch.nn.Module):
    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, latent):
        return self.vae.decode(latent)


def onnx_export(*args, **kw):
    """torch.onnx.export with the TorchScript exporter on every torch: 2.9+ default to the dynamo one,
    which traces differently; the graphs here and their parity test are the TorchScript exporter's."""
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kw["dynamo"] = False
    torch.onnx.export(*args, **kw)


def attribution_embedding(x):
    """x [C,T,h,w] in model space -> L2-normalised [C + 64C] (docs/model-format.md "Attribution")."""
    C, T, h, w = x.shape
    m = x.reshape(C, -1).mean(1)
    xc = x - m[:, None, None, None]
    bins = torch.zeros(C, 4, 4, 4)
    count = torch.zeros(4, 4, 4)
    bt = (torch.arange(T) * 4) // T
    by = (torch.arange(h) * 4) // h
    bx = (torch.arange(w) * 4) // w
    for a in range(4):
        for b in range(4):
            for c in range(4):
                sel = xc[:, bt == a][:, :, by == b][:, :, :, bx == c].reshape(C, -1)
                if sel.shape[1]:  # an axis shorter than 4 leaves some bins empty: they stay 0
                    bins[:, a, b, c] = sel.mean(1)
    e = torch.cat([m, bins.flatten()])
    return e / e.norm().clamp(min=1e-12)


def example_inputs(model, B=2, seed=0):
    p = model.preset
    g = torch.Generator().manual_seed(seed)
    shape = (B,) + p.latent_shape()
    L = p.text_max_len
    tokens = torch.zeros(B, L, dtype=torch.long)
    tokens[:, 0] = 1
    tokens[:, 1:6] = torch.randint(3, model.text.tok.num_embeddings, (B, 5), generator=g)
    cond_mask = torch.zeros(B, 1, shape[2], 1, 1)
    cond_mask[0, 0, 0] = 1
    return {"tokens": tokens, "x": torch.randn(shape, generator=g), "t": torch.rand(B, generator=g) * 0.9 + 0.05,
            "cond": torch.randn(shape, generator=g) * cond_mask, "cond_mask": cond_mask}


def export(model_path, out, data=None, model_id=None, lineage=None, parity=None, log=print):
    model, tok, ck = load(model_path)
    p = model.preset
    os.makedirs(out, exist_ok=True)
    ex = example_inputs(model)
    with torch.no_grad():
        ctx = model.text(ex["tokens"])
    cmask = (ex["tokens"] != 0).float()
    dyn = lambda *names: {n: {0: "B"} for n in names}
    onnx_export(model.text, (ex["tokens"],), os.path.join(out, "text_encoder.onnx"), opset_version=OPSET,
                      input_names=["tokens"], output_names=["context"], dynamic_axes=dyn("tokens", "context"))
    den_in = (ex["x"], ex["t"], ctx, cmask, ex["cond"], ex["cond_mask"])
    names = ["x", "t", "context", "context_mask", "cond", "cond_mask"]
    onnx_export(Denoiser(model.dit).eval(), den_in, os.path.join(out, "denoiser.onnx"), opset_version=OPSET,
                      input_names=names, output_names=["v"], dynamic_axes=dyn(*names, "v"))
    files = {"textEncoder": "text_encoder.onnx", "denoiser": "denoiser.onnx", "vaeEncoder": None, "vaeDecoder": None,
             "clipIndex": None}
    video = torch.rand(2, 3, p.frames, p.height, p.width, generator=torch.Generator().manual_seed(1)) * 2 - 1
    if model.vae is not None:
        onnx_export(Encoder(model.vae).eval(), (video,), os.path.join(out, "vae_encoder.onnx"), opset_version=OPSET,
                          input_names=["video"], output_names=["latent"], dynamic_axes=dyn("video", "latent"))
        with torch.no_grad():
            lat = model.vae.encode(video)
        onnx_export(Decoder(model.vae).eval(), (lat,), os.path.join(out, "vae_decoder.onnx"), opset_version=OPSET,
                          input_names=["latent"], output_names=["video"], dynamic_axes=dyn("latent", "video"))
        files["vaeEncoder"], files["vaeDecoder"] = "vae_encoder.onnx", "vae_decoder.onnx"

    if data:
        snap = Snapshot(data)
        recs = snap.records("train")
        rows, clips = [], []
        with torch.no_grad():
            for i in range(0, len(recs), 32):
                chunk = recs[i:i + 32]
                x = model.to_model_space(torch.stack([whole_clip(r, p) for r in chunk]))
                if model.vae is None:
                    x = x.clamp(-1, 1)
                rows.extend(attribution_embedding(xi) for xi in x)
                clips.extend({"clipId": r.header.get("clipId"), "titleId": r.header.get("titleId"),
                              "shotId": r.header.get("shotId")} for r in chunk)
        mat = torch.stack(rows).numpy().astype("<f4")
        mat.tofile(os.path.join(out, "clip_index.f32"))
        with open(os.path.join(out, "clip_index.json"), "w") as f:
            json.dump({"version": ATTRIBUTION_VERSION, "dim": int(mat.shape[1]), "count": int(mat.shape[0]),
                       "clips": clips}, f)
        files["clipIndex"] = "clip_index.json"

    C, T, h, w = p.latent_shape()
    meta = {
        "formatVersion": FORMAT_VERSION, "modelId": model_id, "preset": p.name, "space": p.space,
        "data": {"frames": p.frames, "height": p.height, "width": p.width, "fps": 12 / p.frame_stride,
                 "frameStride": p.frame_stride},
        "latent": {"channels": C, "frames": T, "height": h, "width": w},
        "vae": {"temporalDownsample": 4, "spatialDownsample": p.vae_space, "causal": True} if model.vae is not None else None,
        "text": {"maxLength": p.text_max_len, "dim": p.text_dim,
                 "tokenizer": {"lowercase": True, "pattern": "[a-z0-9]+", "pad": 0, "bos": 1, "unk": 2, "vocab": tok.vocab}},
        "flow": {"convention": "rectified", "xt": "(1-t)*x0 + t*noise", "v": "noise - x0", "noiseAt": 1},
        "defaults": {"steps": 20, "guidance": 3.0, "sampler": "euler", "guidanceInterval": dict(zip(("lo", "hi"), GUIDANCE_INTERVAL))},
        "modes": ["t2v", "i2v", "extend", "interpolate"],
        "extendFrames": min(p.extend_frames, p.frames - 1),
        "files": files,
        "datasetId": ck.get("datasetId"), "datasetRoot": ck.get("datasetRoot"),
        "lineage": json.load(open(lineage)) if lineage else ck.get("lineage"),
        "attribution": {"version": ATTRIBUTION_VERSION},
        "params": model.param_counts(),
    }
    with open(os.path.join(out, "model.json"), "w") as f:
        json.dump(meta, f, indent=1)

    if parity:
        write_parity(model, parity, ex, ctx, cmask, video)
    log(json.dumps({"event": "done", "out": os.path.abspath(out), "files": files}))
    return meta


def write_parity(model, folder, ex, ctx, cmask, video):
    """Inputs and PyTorch outputs as raw little-endian files + index.json for the ONNX Runtime check."""
    os.makedirs(folder, exist_ok=True)
    index = {}

    def put(group, name, tensor):
        arr = tensor.detach().numpy()
        arr = arr.astype("<i8") if arr.dtype == np.int64 else arr.astype("<f4")
        fname = f"{group}.{name}.bin"
        arr.tofile(os.path.join(folder, fname))
        index.setdefault(group, {})[name] = {"file": fname, "dtype": "int64" if arr.dtype == np.int64 else "float32",
                                             "shape": list(arr.shape)}

    with torch.no_grad():
        put("text_encoder", "tokens", ex["tokens"])
        put("text_encoder", "=context", model.text(ex["tokens"]))
        for n, v in zip(["x", "t", "context", "context_mask", "cond", "cond_mask"],
                        [ex["x"], ex["t"], ctx, cmask, ex["cond"], ex["cond_mask"]]):
            put("denoiser", n, v)
        put("denoiser", "=v", model.dit(ex["x"], ex["t"], ctx, cmask, ex["cond"], ex["cond_mask"]))
        if model.vae is not None:
            put("vae_encoder", "video", video)
            lat = model.vae.encode(video)
            put("vae_encoder", "=latent", lat)
            put("vae_decoder", "latent", lat)
            put("vae_decoder", "=video", model.vae.decode(lat))
    with open(os.path.join(folder, "index.json"), "w") as f:
        json.dump(index, f, indent=1)


def main():
    ap = argparse.ArgumentParser(prog="trainer.export")
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--data")
    ap.add_argument("--model-id")
    ap.add_argument("--lineage")
    ap.add_argument("--parity")
    a = ap.parse_args()
    export(a.model, a.out, a.data, a.model_id, a.lineage, a.parity)


if __name__ == "__main__":
    main()
