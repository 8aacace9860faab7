"""The studio's video model: a word tokenizer and text encoder trained from scratch, a causal video
autoencoder, and a diffusion transformer (flow matching) with cross-attention to the text and
masked-frame conditioning. Everything here is plain PyTorch that runs on 1.13 CPU and on current CUDA.
Shapes and conventions are the contract in docs/model-format.md."""
import math
import re
from dataclasses import dataclass, asdict, field

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint  # a submodule torch 1.13 does not import with torch

# torch >= 2.0 has a fused attention kernel; 1.13 does not (and cannot export it), so it stays optional.
HAS_SDPA = hasattr(F, "scaled_dot_product_attention")
MASK_NEG = -1e4  # finite so bf16 / fp16 / ONNX never see inf - inf


# ----------------------------------------------------------------------------- presets

@dataclass
class Preset:
    name: str
    space: str                 # "pixel" | "latent"
    frames: int                # pixel frames T
    height: int
    width: int
    frame_stride: int          # take every n-th frame of the shard's clip
    patch: tuple               # (pt, ph, pw) over model space
    width_dit: int
    depth: int
    heads: int
    text_dim: int
    text_depth: int
    text_max_len: int
    latent_channels: int = 3   # = 3 in pixel space
    vae_base: int = 0          # autoencoder channels (latent presets)
    vae_patch: int = 1         # autoencoder stem: 2 folds 2x2 pixels into channels, so no conv runs at full size
    vae_space: int = 4         # the autoencoder's spatial compression, 4 or 2 (2 keeps detail finer than 4 px: docs/model.md)
    vae_frames: int = 0        # the autoencoder trains on clips this long (0 or more than `frames`: whole clips); causal, convolutional in time
    batch: int = 16            # global batch
    lr: float = 5e-4
    warmup: int = 100
    steps: int = 3000
    ema: float = 0.998
    lr_decay: int = 0          # the denoiser's learning rate falls linearly to 0 over its last N steps (docs/model.md)
    vae_steps: int = 0         # latent presets train the autoencoder first, then freeze it
    vae_lr: float = 1e-3
    vae_decay: int = 0         # the autoencoder's learning rate falls linearly to 0 over its last N steps (docs/model.md)
    vae_grad: float = 0.0      # weight of an L1 loss on the reconstruction's spatial differences (edges: docs/model.md)
    vae_detail: float = 0.0    # the autoencoder's L1 weighs each pixel 1 + this x its detail (docs/model.md)
    vae_shortcut: bool = False  # fixed, parameter-free paths around the autoencoder: pixels -> latents (each colour's
                               # mean and luminance's detail bands over a latent cell) and back; the convs learn
                               # what they miss (docs/model.md)
    vae_shortcut_frame: int = 0  # 0: the shortcut averages each latent frame's 4 frames; 1-4: it takes that one of
                               # the 4 alone (sharp, where an average smears what moves: docs/model.md)
    vae_image_steps: int = 0   # the autoencoder's first N steps train on single frames (each a one-frame video: its
                               # image path), `vae_image_frames` of each clip: under half a clip step's cost (docs/model.md)
    vae_image_frames: int = 2  # frames drawn from each clip of the batch in those steps
    vae_dec_steps: int = 0     # the run's last N steps train the decoder alone on whole clips, the encoder (so every
                               # latent) unchanged: frames past `vae_frames` are drawn as well as the first (docs/model.md)
    vae_dec_lr: float = 3e-4   # its learning rate (25 steps up from 0, down to 0 over the phase's last quarter)
    caption_dropout: float = 0.1
    hflip: float = 0.0         # share of clips mirrored left-right, "left"/"right" swapped in their captions
    loss_tmin: float = 0.2     # velocity-loss weight 1/t^2 is capped at t = loss_tmin
    loss_motion: float = 0.0   # the denoiser's loss weighs each model-space cell 1 + this x how far its pixels are from
                               # the clip's median over time (per frame, over the frame's mean): what moves against a
                               # still backdrop, the object, outweighs it (docs/model.md)
    extend_frames: int = 4
    bf16: bool = False         # autocast on CUDA
    cpu_bf16: bool = True      # autocast on a CPU that multiplies bf16 natively (AVX-512 BF16 / AMX): 2x tiny's step rate
    checkpointing: bool = False  # activation checkpointing of DiT blocks
    compile: bool = False      # torch.compile the text encoder + DiT step on CUDA (torch 2.0+; docs/model.md "On a GPU")
    pos_motion: int = 0        # position dims given to space-time diagonals (sinusoids of x - v*t, y - v*t)
    high_noise_steps: int = 0  # the first N denoiser steps are text-to-video at t = 1 only (docs/model.md)
    high_noise_batch: int = 0  # global batch of those steps (0: `batch`); a bigger one averages out what no caption says
    precond: str = "none"      # "edm": x0 = c_skip(t) x_t + c_out(t) F, the noisy input passed through at low noise (docs/model.md)
    latent_norm: str = "global"  # "channel": each latent channel shifted and scaled to mean 0, std 1 when the autoencoder
                               # freezes, so its detail bands are not drowned by noise long before colour (docs/model.md)
    out_conv: int = 0          # > 0: tokens unpatchify to this many features per latent cell, and three 3x3 convolutions
                               # over each latent frame, which also see the noisy input, draw x0 across token borders
    out_film: int = 0          # > 0 (needs out_conv): the head's convolutions are scaled and shifted per feature by the
                               # caption, read by this many learnt queries, and the noise level (docs/model.md)
    out_blocks: int = 0        # > 0 (needs out_conv): this many residual blocks of two 3x3 convolutions in the head, each
                               # scaled and shifted by the noise level and pooled caption, a wider reach (docs/model.md)

    def latent_shape(self):
        if self.space == "pixel":
            return (3, self.frames, self.height, self.width)
        f = self.vae_space
        return (self.latent_channels, 1 + (self.frames - 1) // 4, self.height // f, self.width // f)

    def tokens(self):
        c, t, h, w = self.latent_shape()
        pt, ph, pw = self.patch
        return (t // pt) * (h // ph) * (w // pw)

    def to_dict(self):
        d = asdict(self)
        d["patch"] = list(self.patch)
        return d


PRECONDS = ("none", "edm")
LATENT_NORMS = ("global", "channel")

PRESETS = {
    # Pixel space, 128 tokens: what DEPENDENCIES.md measured learning the demo world in ~10 CPU minutes.
    # loss_tmin 0.5: less weight on nearly clean inputs, more on the noisy ones where the caption decides
    # what is drawn (colour adherence from text 38 -> 86 % on the demo world, docs/model.md). Direction from
    # text needs the t = 1 warm-up at batch 48 and the space-time diagonals (pos_motion); in bf16 on a CPU
    # that has it, both fit in 15 minutes on 2 cores with ~2,800 steps of the usual mix after them.
    # Text depth 0: each word's embedding (plus its position) as it is, unmixed by self-attention, so a
    # combination of words that no training caption had still reads word by word (docs/model.md).
    "tiny": Preset("tiny", "pixel", 16, 32, 32, 2, (2, 8, 8), 128, 6, 4, 128, 0, 24, batch=16, lr=5e-4, steps=3600,
                   hflip=0.5, loss_tmin=0.5, pos_motion=32, high_noise_steps=1000, high_noise_batch=48),
    # Through the causal autoencoder: 17x64x64 -> 8x5x32x32 latents (2x in space: a 4x one loses the stars'
    # points), 4x4 patches, 320 tokens. CPU-hours: the autoencoder's stem and 9-frame training clips keep its
    # step near 2 s on 2 cores; its L1 weighs detail (vae_detail) and its rate falls over the last 400 steps.
    # The text is read as tiny reads it (depth 0, loss_tmin 0.5, pos_motion, a short t = 1 warm-up): with a
    # 4-block text encoder, colour from text stayed at chance (12 %), without it 100 % (docs/model.md).
    # A convolutional head after the tokens (out_conv) draws objects across token borders: shape 38-42 % ->
    # 62-75 % (docs/model.md "A convolutional head after the tokens"). Its last 300 steps train the decoder
    # alone on whole clips: trained on 9 frames, it drew frames 9-16 at 28 and 26 dB against 33 before
    # them; after, 33 and 32 (docs/model.md "The decoder on whole clips").
    "small": Preset("small", "latent", 17, 64, 64, 1, (1, 4, 4), 256, 8, 4, 256, 0, 32, latent_channels=8,
                    vae_base=32, vae_patch=2, vae_space=2, vae_frames=9, batch=16, lr=3e-4, steps=8300, vae_steps=2000,
                    vae_dec_steps=300,
                    vae_decay=400, vae_detail=4.0, hflip=0.5, loss_tmin=0.5, pos_motion=32, high_noise_steps=300,
                    high_noise_batch=32, out_conv=64),
    # GPU: 49x256x256 -> 16x13x64x64 latents, 13312 tokens; bf16, fused attention, checkpointing (34 GiB at
    # batch 8, so it fits an 80 GB H100). 9 heads of 128: 1.34x the step rate of 16 heads of 72 on an H200.
    # --set compile=true is 1.25x faster again but took 109 GiB: docs/model.md "On a GPU".
    "base": Preset("base", "latent", 49, 256, 256, 1, (1, 2, 2), 1152, 28, 9, 768, 6, 64, latent_channels=16,
                   vae_base=128, vae_patch=2, vae_frames=17, batch=8, lr=1e-4, warmup=1000, steps=200000, vae_steps=20000, ema=0.9999,
                   bf16=True, checkpointing=True),
}


def preset_problem(p: Preset):
    """What makes a preset unbuildable (fields set by hand with --set), or None."""
    if p.precond not in PRECONDS:
        return f"precond {p.precond}: must be one of {', '.join(PRECONDS)}"
    if p.latent_norm not in LATENT_NORMS:
        return f"latent_norm {p.latent_norm}: must be one of {', '.join(LATENT_NORMS)}"
    for name in ("vae_grad", "vae_detail", "vae_decay", "lr_decay", "out_conv", "out_film", "out_blocks", "vae_dec_steps",
                 "vae_image_steps", "loss_motion"):
        if getattr(p, name) < 0:
            return f"{name} {getattr(p, name)}: must be 0 (off) or more"
    for name in ("out_film", "out_blocks"):
        if getattr(p, name) and not p.out_conv:
            return f"{name} {getattr(p, name)}: needs the convolutional head (out_conv more than 0)"
    for name in ("vae_dec_steps", "vae_image_steps", "vae_shortcut", "latent_norm"):
        if p.space == "pixel" and getattr(p, name) not in (0, False, "global"):
            value = getattr(p, name)
            return f"{name} {str(value).lower() if isinstance(value, bool) else value}: a pixel-space preset has no autoencoder"
    if not 0 <= p.vae_shortcut_frame <= 4:
        return f"vae_shortcut_frame {p.vae_shortcut_frame}: must be 0 (the 4 frames' mean) or 1 to 4 (that frame)"
    if p.vae_shortcut_frame and not p.vae_shortcut:
        return f"vae_shortcut_frame {p.vae_shortcut_frame}: needs vae_shortcut true"
    if p.vae_image_steps and not 1 <= p.vae_image_frames <= p.frames:
        return f"vae_image_frames {p.vae_image_frames}: must be 1 to frames ({p.frames})"
    if p.space == "latent":
        if p.vae_patch not in (1, 2, 4):
            return f"vae_patch {p.vae_patch}: must be 1, 2 or 4"
        if p.vae_space not in (2, 4) or p.vae_patch > p.vae_space:
            return f"vae_space {p.vae_space}: must be 2 or 4, and at least vae_patch ({p.vae_patch})"
        c, t, h, w = p.latent_shape()
        pt, ph, pw = p.patch
        if h * p.vae_space != p.height or w * p.vae_space != p.width or h % ph or w % pw or t % pt:
            return (f"height {p.height} and width {p.width} make {h}x{w} latents (vae_space {p.vae_space}), "
                    f"which the patch {list(p.patch)} does not divide")
        for name in ("frames", "vae_frames"):
            n = getattr(p, name)
            if n and n % 4 != 1:
                return f"{name} {n}: the causal autoencoder needs 1 + 4k frames (5, 9, 17, ...)"
    return None


def preset_from_dict(d):
    d = dict(d)
    d["patch"] = tuple(d["patch"])
    return Preset(**d)


# ----------------------------------------------------------------------------- tokenizer

WORD = re.compile(r"[a-z0-9]+")
PAD, BOS, UNK = 0, 1, 2


class Tokenizer:
    """Word tokenizer built from the dataset's own captions (docs/model-format.md, "Tokenizer")."""

    def __init__(self, vocab, max_len):
        self.vocab = list(vocab)
        self.max_len = max_len
        self.index = {w: i for i, w in enumerate(self.vocab)}

    @staticmethod
    def build(captions, max_len, max_vocab=8192, base_vocab=None):
        counts = {}
        for c in captions:
            for w in WORD.findall(c.lower()):
                counts[w] = counts.get(w, 0) + 1
        words = sorted(counts, key=lambda w: (-counts[w], w))
        vocab = list(base_vocab) if base_vocab else ["<pad>", "<bos>", "<unk>"]
        known = set(vocab)
        for w in words:
            if len(vocab) >= max_vocab:
                break
            if w not in known:
                vocab.append(w)
                known.add(w)
        return Tokenizer(vocab, max_len)

    def encode(self, text):
        ids = [BOS] + [self.index.get(w, UNK) for w in WORD.findall(text.lower())]
        ids = ids[: self.max_len]
        return ids + [PAD] * (self.max_len - len(ids))

    def batch(self, texts):
        return torch.tensor([self.encode(t) for t in texts], dtype=torch.long)


# ----------------------------------------------------------------------------- building blocks

def attention(q, k, v, bias):
    """q [B,H,N,d], k/v [B,H,L,d], bias additive [B,1,1,L] or None."""
    if HAS_SDPA:  # a float mask must match q's dtype under bf16 autocast
        return F.scaled_dot_product_attention(q, k, v, attn_mask=None if bias is None else bias.to(q.dtype))
    w = (q @ k.transpose(-2, -1)) * (q.shape[-1] ** -0.5)
    if bias is not None:
        w = w + bias
    return w.softmax(dim=-1) @ v


class LoRALinear(nn.Module):
    """A frozen Linear plus a trainable low-rank update; merge() folds it back for export."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float):
        super().__init__()
        self.base = base
        self.scale = alpha / rank
        self.lora_a = nn.Parameter(torch.randn(rank, base.in_features) / math.sqrt(base.in_features))
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank))

    def forward(self, x):
        return self.base(x) + (x @ self.lora_a.t() @ self.lora_b.t()) * self.scale

    def merge(self):
        with torch.no_grad():
            self.base.weight += (self.lora_b @ self.lora_a) * self.scale
        return self.base


class Attention(nn.Module):
    def __init__(self, dim, heads, ctx_dim=None):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(ctx_dim or dim, 2 * dim)
        self.o = nn.Linear(dim, dim)

    def forward(self, x, ctx=None, bias=None):
        B, N, D = x.shape
        ctx = x if ctx is None else ctx
        H = self.heads
        q = self.q(x).reshape(B, N, H, D // H).transpose(1, 2)
        k, v = self.kv(ctx).reshape(B, ctx.shape[1], 2, H, D // H).permute(2, 0, 3, 1, 4)
        y = attention(q, k, v, bias)
        return self.o(y.transpose(1, 2).reshape(B, N, D))


def mlp(dim, ratio=4):
    return nn.Sequential(nn.Linear(dim, dim * ratio), nn.GELU(), nn.Linear(dim * ratio, dim))


def mask_bias(mask):
    """[B,L] 1/0 -> additive [B,1,1,L]."""
    return ((1.0 - mask) * MASK_NEG)[:, None, None, :]


def sincos_1d(n, dim):
    pos = torch.arange(n, dtype=torch.float32)[:, None]
    freq = torch.exp(-math.log(10000.0) * torch.arange(0, dim, 2, dtype=torch.float32) / dim)
    return torch.cat([torch.sin(pos * freq), torch.cos(pos * freq)], dim=1)


def motion_features(t, h, w, dim):
    """[t*h*w, dim] sinusoids of moving-frame coordinates: for each axis (x, y), speed v (in frame
    extents per clip: -1, -1/2, 1/2, 1) and wave number k = 1, 2, ..., sin and cos of pi k (x - v t),
    with x and t normalised to [0, 1); as many k as fill `dim`. Something moving at speed v is constant
    along its feature, so a caption can select a motion by weighting channels, as it selects a colour."""
    tt = (torch.arange(t, dtype=torch.float32) / t)[:, None, None]
    yy = (torch.arange(h, dtype=torch.float32) / h)[None, :, None]
    xx = (torch.arange(w, dtype=torch.float32) / w)[None, None, :]
    feats = []
    speeds = (-1.0, -0.5, 0.5, 1.0)
    n_k = -(-dim // (2 * 2 * len(speeds)))  # enough wave numbers to fill dim; the surplus is cut off
    for axis in (xx, yy):
        for v in speeds:
            u = (axis - v * tt).expand(t, h, w)
            for k in range(1, n_k + 1):
                a = math.pi * k * u
                feats += [torch.sin(a), torch.cos(a)]
    return torch.stack(feats, dim=-1).reshape(t * h * w, -1)[:, :dim]


def sincos_3d(t, h, w, dim, motion=0):
    """Fixed 3D position embedding [t*h*w, dim]; DEPENDENCIES.md: without it objects fell apart into
    patch fragments and direction stayed at chance. `motion` of the dims carry space-time diagonals."""
    if motion:
        base = sincos_3d(t, h, w, dim - motion)
        return torch.cat([base, motion_features(t, h, w, motion)], dim=1)
    dt = 2 * (dim // 6)
    dh = 2 * (dim // 6)
    dw = dim - dt - dh
    et = sincos_1d(t, dt)[:, None, None, :].expand(t, h, w, dt)
    eh = sincos_1d(h, dh)[None, :, None, :].expand(t, h, w, dh)
    ew = sincos_1d(w, dw)[None, None, :, :].expand(t, h, w, dw)
    return torch.cat([et, eh, ew], dim=-1).reshape(t * h * w, dim)


def timestep_embedding(t, dim=256):
    half = dim // 2
    freq = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    a = (t.float() * 1000.0)[:, None] * freq[None]
    return torch.cat([torch.cos(a), torch.sin(a)], dim=1)


# ----------------------------------------------------------------------------- text encoder

class TextBlock(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.n1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.n2 = nn.LayerNorm(dim)
        self.mlp = mlp(dim)

    def forward(self, x, bias):
        x = x + self.attn(self.n1(x), bias=bias)
        return x + self.mlp(self.n2(x))


class TextEncoder(nn.Module):
    """tokens int64 [B,L] -> context [B,L,D]; trained from scratch with the denoiser."""

    def __init__(self, vocab_size, dim, depth, max_len, heads=4):
        super().__init__()
        self.tok = nn.Embedding(vocab_size, dim)
        self.pos = nn.Parameter(torch.randn(max_len, dim) * 0.02)
        self.blocks = nn.ModuleList([TextBlock(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        nn.init.normal_(self.tok.weight, std=0.02)

    def forward(self, tokens):
        mask = (tokens != PAD).float()
        bias = mask_bias(mask)
        x = self.tok(tokens) + self.pos[None, : tokens.shape[1]]
        for b in self.blocks:
            x = b(x, bias)
        return self.norm(x)

    def resize_vocab(self, n):
        old = self.tok.weight.data
        if n == old.shape[0]:
            return
        emb = nn.Embedding(n, old.shape[1])
        nn.init.normal_(emb.weight, std=0.02)
        emb.weight.data[: old.shape[0]] = old[:n]
        self.tok = emb


# ----------------------------------------------------------------------------- causal video autoencoder

class CausalConv3d(nn.Module):
    """3x3x3 conv padded only on the past side in time: an output frame never sees a later frame."""

    def __init__(self, cin, cout, k=3):
        super().__init__()
        self.k = k
        self.conv = nn.Conv3d(cin, cout, k, padding=(0, k // 2, k // 2))

    def forward(self, x):
        if self.k > 1:
            x = torch.cat([x[:, :, :1].expand(-1, -1, self.k - 1, -1, -1), x], dim=2)
        return self.conv(x)


class FrameNorm(nn.GroupNorm):
    """GroupNorm per frame: statistics over the whole clip would let later frames leak into earlier ones."""

    def forward(self, x):
        B, C, T, H, W = x.shape
        y = super().forward(x.transpose(1, 2).reshape(B * T, C, H, W))
        return y.reshape(B, T, C, H, W).transpose(1, 2)


class ResBlock3d(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.n1 = FrameNorm(8, c)
        self.c1 = CausalConv3d(c, c)
        self.n2 = FrameNorm(8, c)
        self.c2 = CausalConv3d(c, c)

    def forward(self, x):
        return x + self.c2(F.silu(self.n2(self.c1(F.silu(self.n1(x))))))


class Down(nn.Module):
    """Divides H, W by `space` (2 or 1) and maps T = 1 + 2k frames to 1 + k: frame 0 alone, then pairs (2i+1, 2i+2)."""

    def __init__(self, cin, cout, space=2):
        super().__init__()
        self.first = nn.Conv3d(cin, cout, (1, space, space), stride=(1, space, space))
        self.rest = nn.Conv3d(cin, cout, (2, space, space), stride=(2, space, space))

    def forward(self, x):
        a = self.first(x[:, :, :1])
        if x.shape[2] == 1:
            return a
        return torch.cat([a, self.rest(x[:, :, 1:])], dim=2)


class Up(nn.Module):
    """Inverse of Down: 1 + k frames -> 1 + 2k, H, W multiplied by `space`."""

    def __init__(self, cin, cout, space=2):
        super().__init__()
        self.first = nn.ConvTranspose3d(cin, cout, (1, space, space), stride=(1, space, space))
        self.rest = nn.ConvTranspose3d(cin, cout, (2, space, space), stride=(2, space, space))

    def forward(self, x):
        a = self.first(x[:, :, :1])
        if x.shape[2] == 1:
            return a
        return torch.cat([a, self.rest(x[:, :, 1:])], dim=2)


class SpaceToDepth(nn.Module):
    """[B, C, T, H, W] -> [B, C*f*f, T, H/f, W/f]: each f x f block of pixels becomes channels."""

    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, x):
        B, C, T, H, W = x.shape
        f = self.f
        x = x.reshape(B, C, T, H // f, f, W // f, f).permute(0, 1, 4, 6, 2, 3, 5)
        return x.reshape(B, C * f * f, T, H // f, W // f)


class DepthToSpace(SpaceToDepth):
    """Inverse of SpaceToDepth."""

    def forward(self, x):
        B, Cff, T, h, w = x.shape
        f = self.f
        x = x.reshape(B, Cff // (f * f), f, f, T, h, w).permute(0, 1, 4, 5, 2, 6, 3)
        return x.reshape(B, Cff // (f * f), T, h * f, w * f)


def detail_weights(video, strength):
    """Per-pixel weights 1 + strength * d / mean(d), d = the largest over colours of |pixel - mean of its 3x3
    neighbourhood| in the target frame, the mean taken per frame: a flat or smoothly shaded backdrop keeps
    weight 1, an object's outline and points weigh more, and each frame's detail gets the same share
    however much of it the frame has. [B, C, T, H, W] -> [B, 1, T, H, W]."""
    B, C, T, H, W = video.shape
    frames = video.transpose(1, 2).reshape(B * T, C, H, W)
    local = F.avg_pool2d(frames, 3, stride=1, padding=1, count_include_pad=False)
    d = (frames - local).abs().amax(1, keepdim=True)
    d = d / (d.mean((2, 3), keepdim=True) + 1e-3)
    return (1 + strength * d).reshape(B, T, 1, H, W).transpose(1, 2)


def motion_weights(video, strength, space=1, floor=0.02):
    """Per-cell weights 1 + strength * d / max(mean(d), floor) for the denoiser's loss, from the clip's pixels
    [B, 3, T, H, W] in [-1, 1]: d = each pixel's largest |difference over colours| from the clip's per-pixel
    median over time (a still shot's backdrop: what moves against it stands out), averaged over the pixels a
    model-space cell stands for (`space` x `space`, and the frames of its latent frame where `space` > 1: the
    causal autoencoder's groups), the mean taken per frame. A still backdrop keeps weight 1, the cells an
    object crosses weigh more, each frame's share is the same however much moves in it; in a pan everything
    moves and the weights stay near even. The floor keeps a nearly still frame's jitter from being blown up
    to full weight. -> [B, 1, T', H / space, W / space]; all ones for a still clip."""
    video = video.contiguous()     # torch 1.13's median over an expanded (stride 0) dimension returns wrong values
    d = (video - video.median(2, keepdim=True).values).abs().amax(1, keepdim=True)
    if space > 1:
        d = torch.stack([d[:, :, g].mean(2) for g in latent_groups(video.shape[2])], 2)
        d = F.avg_pool3d(d, (1, space, space))
    d = d / d.mean((3, 4), keepdim=True).clamp(min=floor)
    return 1 + strength * d


def edge_l1(err):
    """Mean |difference of neighbouring pixels' errors|, down and across: 0 for an error that is the same
    over a region (a shade off), large for one that changes at an edge (an edge blurred or moved)."""
    return (err[..., 1:, :] - err[..., :-1, :]).abs().mean() + (err[..., 1:] - err[..., :-1]).abs().mean()


def shortcut_basis(space, channels):
    """Orthonormal rows over a `space` x `space` RGB patch folded as SpaceToDepth folds it (colour, dy, dx): each
    colour's mean first, then luminance's 2-D DCT bands from the lowest frequency up, as many as fit in
    `channels` (space 2: the three Haar details; every band when `channels` allows). [n, 3 * space * space]."""
    s = space
    k = torch.arange(s, dtype=torch.float64)
    dct = torch.stack([torch.cos(math.pi * (k + 0.5) * u / s) for u in range(s)])
    dct = dct / dct.norm(dim=1, keepdim=True)
    rows = []
    for c in range(3):
        r = torch.zeros(3, s, s, dtype=torch.float64)
        r[c] = torch.outer(dct[0], dct[0])
        rows.append(r.flatten())
    bands = sorted(((u, v) for u in range(s) for v in range(s) if u or v), key=lambda b: (b[0] + b[1], b[0]))
    for u, v in bands[:max(0, channels - 3)]:
        rows.append(torch.outer(dct[u], dct[v]).expand(3, s, s).flatten() / math.sqrt(3))
    return torch.stack(rows).float()


class Shortcut(nn.Module):
    """The autoencoder's parameter-free paths (after Chen et al.'s deep compression autoencoder, 2024: space folded
    into channels, so the convolutions learn a residual rather than the whole picture). `down`: video
    [B, 3, 1 + 4k, H, W] -> [B, n, 1 + k, H/s, W/s], each latent frame's pixels (frame 0 alone, then 4 at a
    time, averaged, as the causal autoencoder groups them; or, with `frame` 1-4, that one of each 4 alone)
    projected on the basis; `up`: its transpose, each latent frame held for the frames it stands for.
    up(down(x)) keeps each cell's mean colour and luminance's coarse detail of a still picture."""

    def __init__(self, space, channels, frame=0):
        super().__init__()
        self.frame = frame
        self.fold, self.unfold = SpaceToDepth(space), DepthToSpace(space)
        self.register_buffer("basis", shortcut_basis(space, channels))
        self.n = self.basis.shape[0]

    def down(self, video):
        x = self.fold(video)
        if x.shape[2] > 1:
            B, C, T, h, w = x.shape
            groups = x[:, :, 1:].reshape(B, C, (T - 1) // 4, 4, h, w)
            x = torch.cat([x[:, :, :1], groups[:, :, :, self.frame - 1] if self.frame else groups.mean(3)], dim=2)
        return torch.einsum("kc,bcthw->bkthw", self.basis, x)

    def up(self, z):
        x = torch.einsum("kc,bkthw->bcthw", self.basis, z[:, :self.n])
        if x.shape[2] > 1:
            B, C, T, h, w = x.shape
            rest = x[:, :, 1:, None].expand(B, C, T - 1, 4, h, w).reshape(B, C, 4 * (T - 1), h, w)
            x = torch.cat([x[:, :, :1], rest], dim=2)
        return self.unfold(x)


class VideoAutoencoder(nn.Module):
    """Causal in time, 4x in time (after the first frame) and `space` (4 or 2) x in space. encode() returns the scaled
    posterior mean; the KL term keeps the latent near N(0,1) so the DiT sees unit-scale inputs.
    patch 2 (a stem): 2x2 pixels folded into channels first, one spatial halving left for the convs, so no
    convolution runs at full size (2 CPU cores, batch 16 of 17x64x64: a training step 22-32 s without, 4.5 s with).
    shortcut: the Shortcut paths added to the encoder's posterior mean and to the decoder's output."""

    def __init__(self, latent_channels, base, patch=1, grad_weight=0.0, space=4, detail=0.0, shortcut=False,
                 shortcut_frame=0, channel_norm=False):
        super().__init__()
        self.grad_weight = grad_weight
        self.detail = detail
        self.space = space
        c = base
        f = patch
        # The stem folds f x f pixels; the two Down stages halve space or keep it, f * s1 * s2 = space.
        s1 = 2 if space // f >= 2 else 1
        s2 = space // (f * s1)
        stem, unstem = ([SpaceToDepth(f)], [DepthToSpace(f)]) if f > 1 else ([], [])
        self.enc = nn.Sequential(
            *stem, CausalConv3d(3 * f * f, c), ResBlock3d(c), Down(c, 2 * c, s1), ResBlock3d(2 * c), Down(2 * c, 2 * c, s2),
            ResBlock3d(2 * c), FrameNorm(8, 2 * c), nn.SiLU(), CausalConv3d(2 * c, 2 * latent_channels))
        self.dec = nn.Sequential(
            CausalConv3d(latent_channels, 2 * c), ResBlock3d(2 * c), Up(2 * c, 2 * c, s2), ResBlock3d(2 * c),
            Up(2 * c, c, s1), ResBlock3d(c), FrameNorm(8, c), nn.SiLU(), CausalConv3d(c, 3 * f * f), *unstem)
        self.shortcut = Shortcut(space, latent_channels, shortcut_frame) if shortcut else None
        # latent = (posterior mean - shift) * scale: one scale for all channels, or (channel_norm) a shift and a
        # scale per channel; set once when the autoencoder freezes (train.calibrate_latent_scale)
        self.register_buffer("scale", torch.ones(latent_channels) if channel_norm else torch.tensor(1.0))
        self.register_buffer("shift", torch.zeros(latent_channels) if channel_norm else None)

    def posterior(self, video):
        mean, logvar = self.enc(video).chunk(2, dim=1)
        if self.shortcut is not None:
            n = self.shortcut.n
            mean = torch.cat([mean[:, :n] + self.shortcut.down(video), mean[:, n:]], dim=1)
        return mean, logvar.clamp(-20, 10)

    def encode(self, video):
        z = self.posterior(video)[0]
        if self.shift is not None:
            z = z - self.shift.view(1, -1, 1, 1, 1)
        return z * self.scale.view(1, -1, 1, 1, 1)

    def draw(self, z):
        """The decoder on unscaled latents z (what the posterior gives)."""
        y = self.dec(z)
        return y if self.shortcut is None else y + self.shortcut.up(z)

    def decode(self, latent):
        z = latent / self.scale.view(1, -1, 1, 1, 1)
        return self.draw(z if self.shift is None else z + self.shift.view(1, -1, 1, 1, 1))

    def loss(self, video, generator=None, decoder_only=False):
        """(loss, parts). decoder_only: the encoder runs without gradients and the KL term is left out, so
        training on this loss moves the decoder alone and every latent stays what it was."""
        with torch.set_grad_enabled(torch.is_grad_enabled() and not decoder_only):
            mean, logvar = self.posterior(video)
            z = mean + torch.randn(mean.shape, generator=generator, device=mean.device) * (0.5 * logvar).exp()
        rec = self.draw(z)
        err = rec - video
        l1 = err.abs().mean()
        kl = 0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).mean()
        fit, parts = l1, {"ae_l1": l1.item(), "ae_kl": kl.item()}
        if self.detail:
            # An object a few pixels wide is a small share of a mean L1 and its points a smaller one: weighted
            # by the target's detail (normalised so a perfect fit and a uniform error keep their L1 scale).
            w = detail_weights(video, self.detail)
            fit = (err.abs() * w).mean() / w.mean()
            parts["ae_detail_l1"] = fit.item()
        loss = fit if decoder_only else fit + 1e-4 * kl
        if self.grad_weight:
            # An object a few pixels wide is a small share of a mean L1, and its corners a smaller one; the
            # error of neighbouring pixels' differences is large exactly there (an edge drawn soft or moved).
            grad = edge_l1(err)
            loss = loss + self.grad_weight * grad
            parts["ae_grad"] = grad.item()
        return loss, parts


def encode_in_chunks(encode, video, chunk):
    """`encode` over the rows of `video` in batches of exactly `chunk` rows, zeros filling the last: a row's
    result then never depends on how many rows were beside it, and a batch of one row alone, which takes
    another, much slower convolution on torch 1.13, never happens."""
    out = []
    for s in range(0, len(video), chunk):
        x = video.new_zeros((chunk,) + tuple(video.shape[1:]))
        part = video[s:s + chunk]
        x[:len(part)] = part
        out.append(encode(x)[:len(part)])
    return torch.cat(out)


def latent_groups(T):
    """Pixel frames covered by each latent frame of a causal 4x autoencoder: G(0)={0}, G(j)={4j-3..4j}."""
    return [[0]] + [list(range(4 * j - 3, 4 * j + 1)) for j in range(1, 1 + (T - 1) // 4)]


# ----------------------------------------------------------------------------- diffusion transformer

def modulate(x, shift, scale):
    return x * (1 + scale[:, None]) + shift[:, None]


class DiTBlock(nn.Module):
    def __init__(self, dim, heads, ctx_dim):
        super().__init__()
        self.n1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.n2 = nn.LayerNorm(dim)
        self.cross = Attention(dim, heads, ctx_dim)
        self.n3 = nn.LayerNorm(dim)
        self.mlp = mlp(dim)
        self.ada = nn.Linear(dim, 6 * dim)
        nn.init.zeros_(self.ada.weight)
        nn.init.zeros_(self.ada.bias)

    def forward(self, x, c, ctx, ctx_bias):
        s1, sc1, g1, s2, sc2, g2 = self.ada(F.silu(c)).chunk(6, dim=1)
        x = x + g1[:, None] * self.attn(modulate(self.n1(x), s1, sc1))
        x = x + self.cross(self.n2(x), ctx, ctx_bias)
        return x + g2[:, None] * self.mlp(modulate(self.n3(x), s2, sc2))


def edm_x0(x, t, y):
    """x0 from the network's output y by Karras et al.'s preconditioning (EDM, 2022), written for x_t =
    (1 - t) x0 + t noise and unit-variance latents: x0 = c_skip x_t + c_out y with c_skip = (1 - t) / n^2,
    c_out = t / n, n^2 = t^2 + (1 - t)^2. At t = 1 the network draws x0 itself (as with no
    preconditioning); towards t = 0 x_t passes through and the network adds a correction, so detail the
    noise has not yet covered is kept rather than redrawn through a token's 256 numbers."""
    tb = t[:, None, None, None, None]
    n2 = tb ** 2 + (1 - tb) ** 2
    return (1 - tb) / n2 * x + tb / n2.sqrt() * y


class OutHead(nn.Module):
    """Three 3x3 convolutions over each latent frame after the tokens are unpatchified (U-ViT, Bao et al.
    2023, ends with one): a token draws its 4x4 latent cells alone through a linear map, so an object that
    spans a token border is drawn in pieces; these see the neighbouring cells, and the noisy input at full
    latent resolution, and join them. The last is zero at the start, like the linear output it follows."""

    def __init__(self, k, c, film=None, blocks=0, dim=0):
        super().__init__()
        self.c1 = nn.Conv3d(k + 2 * c + 1, k, (1, 3, 3), padding=(0, 1, 1))
        self.c2 = nn.Conv3d(k, k, (1, 3, 3), padding=(0, 1, 1))
        self.blocks = nn.ModuleList([HeadBlock(k, dim) for _ in range(blocks)])
        self.last = nn.Conv3d(k, c, (1, 3, 3), padding=(0, 1, 1))
        self.film = film

    def forward(self, y, inp, ctx=None, ctx_bias=None, c=None):
        y = self.c1(torch.cat([y, inp], dim=1))
        if self.film is None:
            y = self.c2(F.silu(y))
        else:
            s1, b1, s2, b2 = self.film(ctx, ctx_bias, c)
            y = modulate_cells(self.c2(F.silu(modulate_cells(y, b1, s1))), b2, s2)
        for blk in self.blocks:
            y = blk(y, c)
        return self.last(F.silu(y))


class HeadBlock(nn.Module):
    """One residual block of the head (`out_blocks`): two 3x3 convolutions over each latent frame, the first's
    input scaled and shifted by the noise level and pooled caption (the adaLN vector `c`), the second zero at
    the start, so a block added to a trained head leaves what it computes unchanged. Each block reaches two
    latent cells further: the three convolutions alone reach 7 cells (14 pixels), about one object."""

    def __init__(self, k, dim):
        super().__init__()
        self.ada = nn.Linear(dim, 2 * k)
        self.c1 = nn.Conv3d(k, k, (1, 3, 3), padding=(0, 1, 1))
        self.c2 = nn.Conv3d(k, k, (1, 3, 3), padding=(0, 1, 1))
        for m in (self.ada, self.c2):
            nn.init.zeros_(m.weight)
            nn.init.zeros_(m.bias)

    def forward(self, y, c):
        shift, scale = self.ada(F.silu(c)).chunk(2, dim=1)
        return y + self.c2(F.silu(self.c1(F.silu(modulate_cells(y, shift, scale)))))


def modulate_cells(y, shift, scale):
    """y [B,K,T,h,w] scaled and shifted per feature: shift, scale [B,K]."""
    return y * (1 + scale[:, :, None, None, None]) + shift[:, :, None, None, None]


class HeadFilm(nn.Module):
    """What the convolutional head is told about the caption (`out_film`): the tokens carry the caption
    only as each one's cross-attention read it, at 8x8 pixels a token, so an outline smaller than that has
    to be drawn from a few numbers per token. Here `n` learnt queries read the caption once (one softmax
    over its words each: a query can settle on the word that names the shape), join the timestep and
    pooled caption of the blocks' adaLN, and scale and shift each of the head's features, the same at
    every cell: three convolutions that learn how to draw a box's corners around a blob learn it once for
    every place in the frame. Zero at the start, so the head begins as it is without it (FiLM, Perez et
    al. 2018)."""

    def __init__(self, n, ctx_dim, dim, k):
        super().__init__()
        self.queries = nn.Parameter(torch.randn(n, ctx_dim) / math.sqrt(ctx_dim))
        self.read = nn.Linear(n * ctx_dim, dim)
        self.out = nn.Linear(dim, 4 * k)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, ctx, ctx_bias, c):
        q = self.queries.to(ctx.dtype).expand(ctx.shape[0], 1, *self.queries.shape)   # one head: [B, 1, n, d]
        read = attention(q, ctx[:, None], ctx[:, None], ctx_bias).flatten(1)
        return self.out(F.silu(self.read(read) + c)).chunk(4, dim=1)


class DiT(nn.Module):
    """Predicts the clean sample x0 from (x_t, t, text, given frames) and returns the velocity."""

    def __init__(self, p: Preset):
        super().__init__()
        C, T, h, w = p.latent_shape()
        self.shape = (C, T, h, w)
        self.patch = p.patch
        self.checkpointing = p.checkpointing
        self.precond = p.precond
        D = p.width_dit
        self.embed = nn.Conv3d(2 * C + 1, D, kernel_size=p.patch, stride=p.patch)
        pt, ph, pw = p.patch
        self.grid = (T // pt, h // ph, w // pw)
        self.register_buffer("pos", sincos_3d(*self.grid, D, p.pos_motion)[None], persistent=False)
        self.t_mlp = nn.Sequential(nn.Linear(256, D), nn.SiLU(), nn.Linear(D, D))
        self.text_pool = nn.Linear(p.text_dim, D)  # pooled caption joins the timestep in adaLN
        self.blocks = nn.ModuleList([DiTBlock(D, p.heads, p.text_dim) for _ in range(p.depth)])
        self.n_out = nn.LayerNorm(D)
        self.ada_out = nn.Linear(D, 2 * D)
        K = p.out_conv
        self.out = nn.Linear(D, pt * ph * pw * (K or C))
        self.head = OutHead(K, C, HeadFilm(p.out_film, p.text_dim, D, K) if p.out_film else None, p.out_blocks, D) if K else None
        for m in (self.ada_out, self.head.last if K else self.out):
            nn.init.zeros_(m.weight)
            nn.init.zeros_(m.bias)

    def predict_x0(self, x, t, context, context_mask, cond, cond_mask):
        B = x.shape[0]
        C, T, h, w = self.shape
        pt, ph, pw = self.patch
        gt, gh, gw = self.grid
        inp = torch.cat([x, cond, cond_mask.expand(B, 1, T, h, w)], dim=1)
        tok = self.embed(inp).flatten(2).transpose(1, 2) + self.pos
        pooled = (context * context_mask[:, :, None]).sum(1) / context_mask.sum(1, keepdim=True).clamp(min=1.0)
        c = self.t_mlp(timestep_embedding(t)) + self.text_pool(pooled)
        bias = mask_bias(context_mask)
        for blk in self.blocks:
            if self.checkpointing and self.training:
                tok = torch.utils.checkpoint.checkpoint(blk, tok, c, context, bias, use_reentrant=False)
            else:
                tok = blk(tok, c, context, bias)
        shift, scale = self.ada_out(F.silu(c)).chunk(2, dim=1)
        y = self.out(modulate(self.n_out(tok), shift, scale))
        K = y.shape[-1] // (pt * ph * pw)
        y = y.reshape(B, gt, gh, gw, K, pt, ph, pw).permute(0, 4, 1, 5, 2, 6, 3, 7).reshape(B, K, T, h, w)
        if self.head is not None:
            y = self.head(y, inp, context, bias, c)
        if self.precond == "edm":
            return edm_x0(x, t, y)
        return y

    def forward(self, x, t, context, context_mask, cond, cond_mask):
        x0 = self.predict_x0(x, t, context, context_mask, cond, cond_mask)
        x0 = cond_mask * cond + (1 - cond_mask) * x0
        return (x - x0) / t.clamp(min=1e-3)[:, None, None, None, None]


# ----------------------------------------------------------------------------- the whole model

class VideoModel(nn.Module):
    def __init__(self, p: Preset, vocab_size: int):
        super().__init__()
        self.preset = p
        self.text = TextEncoder(vocab_size, p.text_dim, p.text_depth, p.text_max_len)
        self.dit = DiT(p)
        self.vae = VideoAutoencoder(p.latent_channels, p.vae_base, p.vae_patch, p.vae_grad, p.vae_space, p.vae_detail,
                                    p.vae_shortcut, p.vae_shortcut_frame, p.latent_norm == "channel") if p.space == "latent" else None

    def to_model_space(self, video):
        return video if self.vae is None else self.vae.encode(video)

    def from_model_space(self, x):
        return x if self.vae is None else self.vae.decode(x)

    def build_cond(self, video, given, encode=None):
        """video [B,3,T,H,W] in [-1,1], given [B,T] bool pixel frames -> (cond, cond_mask) in model
        space, exactly as docs/model-format.md "Given frames" describes for the runtime. `encode` stands
        in for the autoencoder's (training passes its cache of latents)."""
        B, _, T = video.shape[:3]
        g = given.float()
        if self.vae is None:
            m = g[:, None, :, None, None]
            return video * m, m
        groups = latent_groups(T)
        lat_given = torch.zeros(B, len(groups), device=video.device)
        P = torch.zeros_like(video)
        for b in range(B):
            for j, G in enumerate(groups):
                have = [i for i in G if given[b, i]]
                if not have:
                    continue
                lat_given[b, j] = 1
                for i in G:
                    src = min(have, key=lambda k: (abs(k - i), k))
                    P[b, :, i] = video[b, :, src]
        m = lat_given[:, None, :, None, None]
        cond = torch.zeros(B, self.preset.latent_channels, len(groups), video.shape[3] // self.vae.space, video.shape[4] // self.vae.space,
                           device=video.device)
        rows = lat_given.any(1).nonzero().flatten()
        if len(rows):   # text-to-video rows give nothing: only the others go through the encoder
            cond[rows] = (encode or self.vae.encode)(P[rows]) * m[rows]
        return cond, m

    def param_counts(self):
        n = lambda m: sum(p.numel() for p in m.parameters()) if m is not None else 0
        return {"text": n(self.text), "dit": n(self.dit), "vae": n(self.vae), "total": n(self)}


def apply_lora(model: VideoModel, rank=8, alpha=8.0):
    """Freeze everything, wrap the DiT and text encoder's attention / MLP linears with LoRA."""
    for p in model.parameters():
        p.requires_grad_(False)
    for root in (model.dit, model.text):
        for mod in list(root.modules()):
            for name, child in list(mod.named_children()):
                if isinstance(child, nn.Linear) and name in ("q", "kv", "o", "0", "2"):
                    setattr(mod, name, LoRALinear(child, rank, alpha))
    return model


def merge_lora(model: nn.Module):
    for mod in list(model.modules()):
        for name, child in list(mod.named_children()):
            if isinstance(child, LoRALinear):
                setattr(mod, name, child.merge())
    return model
