"""Fast trainer tests (a few steps on tiny tensors): shapes, masking, tokenizer, loss going down on an
overfit batch, checkpoint/resume equality, DDP with gloo on 2 processes, init-from (full and LoRA) with
lineage, corrupt shards, and ONNX export parity through onnxruntime-node.

    python3 -m unittest discover -s trainer/tests -t .
"""
import argparse
import contextlib
import copy
import io
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from trainer import train  # noqa: E402
from trainer.data import ClipStream, Snapshot, SnapshotError, mirror_caption, whole_clip  # noqa: E402
from trainer.demo_world import caption, render, write_snapshot  # noqa: E402
from trainer.evaluate import evaluate  # noqa: E402
from trainer.model import (PRESETS, DepthToSpace, SpaceToDepth, Tokenizer, VideoAutoencoder, VideoModel, apply_lora,  # noqa: E402
                           OutHead, Shortcut, detail_weights, edge_l1, edm_x0, latent_groups, mask_bias, merge_lora, motion_features, motion_weights,
                           preset_problem, preset_from_dict, shortcut_basis, sincos_3d)
from trainer.sample import generate_video, load, parse_interval, sample, to_uint8  # noqa: E402

# A pocket-sized tiny preset so every test runs in seconds on a loaded 2-core machine.
SMALL_SET = ["depth=1", "width_dit=32", "heads=2", "text_dim=32", "text_depth=0", "frames=8", "height=16",
             "width=16", "patch=2,8,8", "batch=4", "warmup=2", "extend_frames=2", "pos_motion=16",
             "high_noise_steps=2", "high_noise_batch=8"]
LATENT_SET = ["depth=1", "width_dit=32", "heads=2", "text_dim=32", "text_depth=1", "frames=5", "height=16",
              "width=16", "patch=1,2,2", "batch=2", "warmup=2", "latent_channels=4", "vae_base=8", "vae_steps=2",
              "extend_frames=2", "vae_space=4", "pos_motion=16", "vae_dec_steps=0", "vae_image_steps=0"]
ENV = dict(os.environ, OMP_NUM_THREADS="1", OMP_WAIT_POLICY="PASSIVE", PYTHONPATH=ROOT)


def read_json(path):
    with open(path) as f:
        return json.load(f)


def small(preset, overrides):
    return train.build_preset(preset, overrides)


def fixture_snapshot(root, n=12, frames=20, size=32):
    combos = [("red", "ball", "left", "night"), ("blue", "box", "up", "day"), ("green", "star", "right", "forest"),
              ("yellow", "ball", "down", "city")]
    rng = np.random.RandomState(0)
    clips = []
    for k in range(n):
        c = combos[k % len(combos)]
        clips.append({"clipId": f"c{k}", "titleId": f"t{k % 3}", "caption": caption(*c), "split": "train" if k % 4 else "val",
                      "frames": render(*c, frames=frames, size=size, rng=rng)})
    return write_snapshot(root, clips, snap_id="ds_fixture", shard_records=5)


def kill_after_checkpoint(args, step):
    """Starts a training run and kill -9s it once its checkpoint of `step` is written."""
    import signal
    p = subprocess.Popen([sys.executable, "-m", "trainer.train"] + args, cwd=ROOT, env=ENV,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in p.stdout:
        if '"checkpoint"' in line and json.loads(line)["step"] == step:
            break
    p.send_signal(signal.SIGKILL)
    p.wait()
    p.stdout.close()


def run_train(args, world=1, env=ENV):
    """One process, or `world` processes with the environment torchrun sets (--standalone). Debian's
    torchrun 1.13 cannot start under Python 3.11 (its Std.from_str("0") returns None), so the test
    launches the ranks itself; on current PyTorch `torchrun --nproc_per_node N -m trainer.train` works."""
    cmd = [sys.executable, "-m", "trainer.train"] + args
    if world == 1:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        return proc, [json.loads(l) for l in proc.stdout.splitlines() if l.startswith("{")]
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    procs = [subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=dict(ENV, RANK=str(r), LOCAL_RANK=str(r), WORLD_SIZE=str(world),
                                       MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port)))
             for r in range(world)]
    outs = [p.communicate(timeout=600) for p in procs]
    rc = max(p.returncode for p in procs)
    proc = subprocess.CompletedProcess(cmd, rc, outs[0][0], "".join(o[1] for o in outs))
    return proc, [json.loads(l) for l in outs[0][0].splitlines() if l.startswith("{")]


class Fixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.set_num_threads(1)
        cls.tmp = tempfile.mkdtemp(prefix="trainer-test-")
        cls.data = os.path.join(cls.tmp, "ds")
        fixture_snapshot(cls.data)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)


class ModelTests(unittest.TestCase):
    def test_tokenizer_lowercases_pads_and_marks_unknown_words(self):
        tok = Tokenizer.build(["A red ball moving left.", "a blue box"], max_len=6)
        self.assertEqual(tok.vocab[:4], ["<pad>", "<bos>", "<unk>", "a"])
        ids = tok.encode("A RED zebra, left!")
        self.assertEqual(ids[0], 1)
        self.assertEqual(ids[1:5], [tok.index["a"], tok.index["red"], 2, tok.index["left"]])
        self.assertEqual(ids[5], 0)
        self.assertEqual(tok.encode(""), [1, 0, 0, 0, 0, 0])
        self.assertEqual(len(tok.encode("a " * 20)), 6)

    def test_shapes_of_every_preset_family(self):
        for name, over in (("tiny", SMALL_SET), ("small", LATENT_SET), ("small", LATENT_SET + ["vae_patch=1"]),
                           ("small", LATENT_SET + ["vae_space=2", "patch=1,4,4"]),
                           ("small", LATENT_SET + ["vae_space=2", "vae_patch=1", "patch=1,4,4"])):
            p = small(name, over)
            m = VideoModel(p, 20).eval()
            B = 2
            video = torch.rand(B, 3, p.frames, p.height, p.width) * 2 - 1
            x0 = m.to_model_space(video)
            self.assertEqual(tuple(x0.shape[1:]), p.latent_shape())
            tokens = torch.tensor([[1, 5, 6, 0, 0] + [0] * (p.text_max_len - 5)] * B)
            ctx = m.text(tokens)
            self.assertEqual(tuple(ctx.shape), (B, p.text_max_len, p.text_dim))
            cond, cm = m.build_cond(video, torch.zeros(B, p.frames, dtype=torch.bool))
            v = m.dit(x0, torch.rand(B), ctx, (tokens != 0).float(), cond, cm)
            self.assertEqual(v.shape, x0.shape)
            self.assertEqual(tuple(m.from_model_space(x0).shape), tuple(video.shape))
        self.assertEqual(PRESETS["tiny"].tokens(), 128)
        self.assertEqual((PRESETS["small"].latent_shape(), PRESETS["small"].tokens()), ((8, 5, 32, 32), 320))
        # a 4x autoencoder keeps half the detail; 2x2 patches over it make the same number of tokens
        four = small("small", ["vae_space=4", "patch=1,2,2"])
        self.assertEqual((four.latent_shape(), four.tokens()), ((8, 5, 16, 16), 320))
        self.assertEqual(PRESETS["base"].latent_shape(), (16, 13, 64, 64))

    def test_the_autoencoder_stem_folds_pixels_into_channels_and_back(self):
        x = torch.arange(2 * 3 * 5 * 8 * 8, dtype=torch.float32).reshape(2, 3, 5, 8, 8)
        y = SpaceToDepth(2)(x)
        self.assertEqual(tuple(y.shape), (2, 12, 5, 4, 4))
        # channel (c, i, j) of a folded pixel (y, x) is pixel (2y + i, 2x + j) of channel c
        self.assertEqual(float(y[1, 2 * 4 + 1 * 2 + 0, 3, 2, 1]), float(x[1, 2, 3, 5, 2]))
        self.assertTrue(torch.equal(DepthToSpace(2)(y), x))
        # with the stem no convolution sees the full-size frames: the first one takes 12 channels at half size
        self.assertEqual(VideoAutoencoder(4, 8, patch=2).enc[1].conv.in_channels, 12)

    def test_motion_features_are_constant_along_a_moving_path(self):
        # Grid of 8 temporal x 4 x 4 spatial tokens. Speed 1/2 of the frame width per clip = 2 tokens over
        # the 8 temporal tokens: one column right every 4 temporal tokens. Channels 0..3 are x at speed
        # -1 (k = 1, 2); 4..7 x at -1/2; 8..11 x at +1/2.
        t, h, w = 8, 4, 4
        f = motion_features(t, h, w, 32).reshape(t, h, w, 32)
        right_half = slice(8, 12)
        torch.testing.assert_close(f[0, 1, 0, right_half], f[4, 1, 1, right_half])
        torch.testing.assert_close(f[2, 3, 1, right_half], f[6, 0, 2, right_half])  # y does not matter for x channels
        self.assertFalse(torch.allclose(f[0, 1, 0, right_half], f[4, 1, 0, right_half]))  # standing still is not that path
        self.assertFalse(torch.allclose(f[0, 1, 1, 4:8], f[4, 1, 2, 4:8]))  # nor the leftward one
        # Every channel varies over the grid (none is a constant), and the embedding keeps its width.
        self.assertTrue(bool((f.reshape(-1, 32).std(0) > 0.1).all()))
        self.assertEqual(tuple(sincos_3d(t, h, w, 128, 32).shape), (t * h * w, 128))
        torch.testing.assert_close(sincos_3d(t, h, w, 128, 32)[:, :96], sincos_3d(t, h, w, 96))

    def test_high_noise_warm_up_draws_text_to_video_at_t_1_then_the_usual_mix(self):
        p = small("tiny", SMALL_SET + ["high_noise_steps=3"])
        warm = train.warm_up_steps(p, 2)        # after 2 autoencoder steps
        self.assertEqual(list(warm), [2, 3, 4])
        for step in warm:
            _, t, given, _ = train.step_draws(0, step, 16, p.frames, p, warm)
            self.assertTrue(bool((t == 1).all()))
            self.assertFalse(bool(given.any()))
        for step in (1, 5):
            _, t, given, _ = train.step_draws(0, step, 16, p.frames, p, warm)
            self.assertTrue(bool((t < 1).all()))
            self.assertTrue(bool(given.any()))
        # Evaluation draws (validation loss) never take the warm-up.
        _, t, _, _ = train.step_draws(0, 2, 16, p.frames, p)
        self.assertTrue(bool((t < 1).all()))

    def test_the_edge_loss_charges_a_softened_edge_more_than_a_shade_of_the_same_l1(self):
        video = torch.zeros(1, 3, 1, 16, 16)
        video[..., 5:11, 5:11] = 1.0                                   # a box
        soft = F.avg_pool2d(video[:, :, 0], 3, 1, 1)[:, :, None]       # its edges blurred
        shaded = video + (soft - video).abs().mean()                   # the same mean |error|, spread evenly
        self.assertAlmostEqual(float((soft - video).abs().mean()), float((shaded - video).abs().mean()), places=6)
        self.assertGreater(float(edge_l1(soft - video)), 0.1)
        self.assertLess(float(edge_l1(shaded - video)), 1e-6)
        vae = VideoAutoencoder(4, 8, 2, grad_weight=1.0)
        loss, parts = vae.loss(torch.rand(1, 3, 5, 16, 16), generator=torch.Generator().manual_seed(0))
        self.assertIn("ae_grad", parts)
        self.assertAlmostEqual(float(loss), parts["ae_l1"] + 1e-4 * parts["ae_kl"] + parts["ae_grad"], places=4)

    def test_the_detail_weights_pick_out_an_objects_outline_and_points_not_a_shaded_backdrop(self):
        video = torch.linspace(-1, 1, 16)[None, None, None, None, :].expand(1, 3, 2, 16, 16).clone()   # a smooth ramp
        video[:, 0, :, 6:9, 6:9] = 1.0                                                                  # a small red object
        w = detail_weights(video, 4.0)
        self.assertEqual(tuple(w.shape), (1, 1, 2, 16, 16))
        self.assertAlmostEqual(float(w[0, 0, 0, 12, 12]), 1.0, delta=0.05)    # backdrop: the ramp is its own 3x3 mean
        self.assertGreater(float(w[0, 0, 0, 6, 6]), 10.0)                       # the object's corner
        flat = detail_weights(torch.zeros(1, 3, 1, 8, 8), 4.0)
        self.assertTrue(torch.allclose(flat, torch.ones_like(flat)))
        vae = VideoAutoencoder(4, 8, 2, detail=4.0)
        loss, parts = vae.loss(torch.rand(1, 3, 5, 16, 16), generator=torch.Generator().manual_seed(0))
        self.assertAlmostEqual(float(loss), parts["ae_detail_l1"] + 1e-4 * parts["ae_kl"], places=4)
        self.assertNotAlmostEqual(parts["ae_detail_l1"], parts["ae_l1"], places=4)

    def test_the_motion_weights_pick_out_the_cells_an_object_crosses_not_a_still_backdrop(self):
        g = torch.Generator().manual_seed(0)
        still = (torch.rand(1, 3, 1, 16, 16, generator=g) * 2 - 1).expand(1, 3, 9, 16, 16)   # a textured backdrop, still
        video = still.clone()
        for t in range(9):
            video[:, 0, t, 4:6, 2 * t - 1 if t else 0:2 * t + 1] = 1.0      # an object moving right 2 pixels a frame
            video[:, 1:, t, 4:6, 2 * t - 1 if t else 0:2 * t + 1] = -1.0
        w = motion_weights(video, 1.0)
        self.assertEqual(tuple(w.shape), (1, 1, 9, 16, 16))
        self.assertEqual(float(w[0, 0, 4, 12, 12]), 1.0)                     # backdrop away from the path
        self.assertGreater(float(w[0, 0, 4, 4, 8]), 10.0)                    # where the object is in frame 4
        self.assertEqual(float(w[0, 0, 4, 4, 15]), 1.0)                      # where it has not come yet
        lat = motion_weights(video, 1.0, space=2)                            # the autoencoder's cells: 2x2 pixels, frame 0
        self.assertEqual(tuple(lat.shape), (1, 1, 3, 8, 8))                  # alone, then 4 frames each
        self.assertGreater(float(lat[0, 0, 1, 2, 3]), 5.0)                   # frames 1-4 cross pixels 0-8 of rows 4-5
        self.assertEqual(float(lat[0, 0, 1, 2, 7]), 1.0)
        self.assertAlmostEqual(float(motion_weights(video, 2.0)[0, 0, 4, 4, 8]) - 1, 2 * (float(w[0, 0, 4, 4, 8]) - 1), places=3)
        ones = motion_weights(still, 1.0, space=2)
        self.assertTrue(torch.equal(ones, torch.ones_like(ones)))
        jitter = motion_weights(still + 1e-3 * torch.randn(still.shape, generator=g), 1.0)
        self.assertLess(float(jitter.max()), 1.3)                        # the floor: a still frame's jitter stays near 1
        self.assertIn("loss_motion -1.0: must be 0 (off) or more", preset_problem(small("tiny", SMALL_SET + ["loss_motion=-1"])))
        d = small("tiny", SMALL_SET).to_dict()
        d.pop("loss_motion")
        self.assertEqual(preset_from_dict(d).loss_motion, 0.0)       # a checkpoint written before the field

    def test_the_denoisers_learning_rate_warms_up_then_falls_to_zero_over_its_last_lr_decay_steps(self):
        p = small("tiny", SMALL_SET + ["warmup=10", "lr_decay=100"])
        lr = [train.dit_lr_at(p, s, 1000) for s in (0, 9, 500, 900, 950, 999)]
        self.assertAlmostEqual(lr[0], p.lr / 10)
        self.assertEqual(lr[1:4], [p.lr] * 3)
        self.assertAlmostEqual(lr[4], p.lr / 2)
        self.assertAlmostEqual(lr[5], p.lr / 100)
        # it ends where the denoiser's steps end: before a decoder phase, not at the run's last step
        self.assertAlmostEqual(train.dit_lr_at(p, 699, 700), p.lr / 100)
        self.assertEqual(train.dit_lr_at(small("tiny", SMALL_SET + ["warmup=10"]), 999, 1000), p.lr)
        self.assertIn("lr_decay -1: must be 0 (off) or more", preset_problem(small("tiny", SMALL_SET + ["lr_decay=-1"])))
        # a checkpoint written before the field loads with it off
        d = small("tiny", SMALL_SET).to_dict()
        d.pop("lr_decay")
        self.assertEqual(preset_from_dict(d).lr_decay, 0)

    def test_the_autoencoders_learning_rate_falls_to_zero_over_its_last_vae_decay_steps(self):
        p = small("small", LATENT_SET + ["vae_steps=1000", "vae_decay=100"])
        lr = [train.vae_lr_at(p, s, 1000) for s in (0, 900, 950, 999)]
        self.assertEqual(lr[:2], [p.vae_lr, p.vae_lr])
        self.assertAlmostEqual(lr[2], p.vae_lr / 2)
        self.assertAlmostEqual(lr[3], p.vae_lr / 100)
        self.assertEqual(train.vae_lr_at(small("small", LATENT_SET + ["vae_decay=0"]), 999, 1000), p.vae_lr)
        self.assertIn("vae_decay -5: must be 0 (off) or more", preset_problem(small("small", LATENT_SET + ["vae_decay=-5"])))
        self.assertIsNone(preset_problem(p))

    def test_the_autoencoders_shortcut_carries_a_still_pictures_cells_and_the_convs_add_to_it(self):
        for space, channels, rows in ((2, 8, 6), (4, 16, 16), (4, 4, 4)):
            b = shortcut_basis(space, channels)
            self.assertEqual(tuple(b.shape), (rows, 3 * space * space))
            torch.testing.assert_close(b @ b.T, torch.eye(rows), atol=1e-6, rtol=0)
        cut = Shortcut(2, 8)
        # a still picture whose 2x2 cells each hold one colour, plus a luminance edge down the middle of each
        cells = torch.rand(1, 3, 1, 8, 8).repeat_interleave(2, 3).repeat_interleave(2, 4) * 1.6 - 0.8
        cells[..., 0::2] += 0.1
        cells[..., 1::2] -= 0.1
        still = cells.expand(1, 3, 9, 16, 16)
        z = cut.down(still)
        self.assertEqual(tuple(z.shape), (1, 6, 3, 8, 8))
        torch.testing.assert_close(cut.up(z), still, atol=1e-5, rtol=0)
        # a chroma edge inside a cell is what the basis leaves to the convolutions
        chroma = still.clone()
        chroma[:, 0, :, :, 0::2] += 0.2
        chroma[:, 1, :, :, 0::2] -= 0.2
        self.assertGreater(float((cut.up(cut.down(chroma)) - chroma).abs().max()), 0.05)
        # causal: frames 5-8 change latent frame 2 alone; a latent frame draws its own four frames alone
        moved = still.clone()
        moved[:, :, 5:] = torch.rand(1, 3, 4, 16, 16)
        zm = cut.down(moved)
        self.assertTrue(torch.equal(zm[:, :, :2], z[:, :, :2]))
        self.assertFalse(torch.equal(zm[:, :, 2], z[:, :, 2]))
        self.assertTrue(torch.equal(cut.up(zm)[:, :, :5], cut.up(z)[:, :, :5]))
        # frame 3: each latent frame stands for the third of its four frames alone, so a picture that moves
        # between frames comes back sharp on frames 0, 3 and 7 (an average would blend the four)
        pick = Shortcut(2, 8, frame=3)
        moving = torch.stack([cells.roll(2 * t, dims=4)[:, :, 0] for t in range(9)], dim=2)
        back = pick.up(pick.down(moving))
        for t in (0, 3, 7):
            torch.testing.assert_close(back[:, :, t], moving[:, :, t], atol=1e-5, rtol=0)
        torch.testing.assert_close(back[:, :, 1:5], moving[:, :, 3:4].expand(1, 3, 4, 16, 16), atol=1e-5, rtol=0)
        self.assertGreater(float((cut.up(cut.down(moving))[:, :, 3] - moving[:, :, 3]).abs().max()), 0.1)
        # in the autoencoder: with the last convolution of each side at zero, the convolutions add nothing and
        # the picture comes back through the shortcut alone; without it nothing comes back
        for shortcut in (True, False):
            vae = VideoAutoencoder(8, 8, 2, space=2, shortcut=shortcut).eval()
            for conv in (vae.enc[-1].conv, vae.dec[-2].conv):
                torch.nn.init.zeros_(conv.weight)
                torch.nn.init.zeros_(conv.bias)
            with torch.no_grad():
                err = float((vae.decode(vae.encode(still)) - still).abs().max())
            if shortcut:
                self.assertLess(err, 1e-5)
            else:
                self.assertGreater(err, 0.5)
        self.assertEqual(preset_problem(small("tiny", SMALL_SET + ["vae_shortcut=true"])),
                         "vae_shortcut true: a pixel-space preset has no autoencoder")
        self.assertIsNone(preset_problem(small("small", LATENT_SET + ["vae_shortcut=true"])))
        self.assertIsNone(preset_problem(small("small", LATENT_SET + ["vae_shortcut=true", "vae_shortcut_frame=4"])))
        self.assertEqual(preset_problem(small("small", LATENT_SET + ["vae_shortcut=true", "vae_shortcut_frame=5"])),
                         "vae_shortcut_frame 5: must be 0 (the 4 frames' mean) or 1 to 4 (that frame)")
        self.assertEqual(preset_problem(small("small", LATENT_SET + ["vae_shortcut_frame=2"])),
                         "vae_shortcut_frame 2: needs vae_shortcut true")

    def test_latent_norm_per_channel(self):
        """latent_norm channel: calibration brings each channel of the calibration batches to mean 0 and std 1
        (where one scale leaves channels of different spread apart), and decode undoes it exactly."""
        torch.manual_seed(0)
        # smooth pictures: each cell's mean colour spreads far wider than its detail bands
        video = F.interpolate(torch.rand(4, 3, 5, 4, 4) * 2 - 1, size=(5, 16, 16), mode="trilinear", align_corners=False)

        class Stream:
            def batch(self, step, rank, world):
                return (video[step % 4:step % 4 + 1],)

        for norm in ("global", "channel"):
            m = VideoModel(small("small", LATENT_SET + ["vae_shortcut=true", f"latent_norm={norm}"]), 10).eval()
            with torch.no_grad():
                z0 = m.vae.posterior(video)[0]
            self.assertGreater(float(z0.std((0, 2, 3, 4)).max() / z0.std((0, 2, 3, 4)).min()), 2)
            self.assertTrue(train.resume_scale_needed(m))
            train.calibrate_latent_scale(m, Stream(), 0, 0, 1, torch.device("cpu"))
            self.assertFalse(train.resume_scale_needed(m))
            with torch.no_grad():
                z = m.vae.encode(video)
                torch.testing.assert_close(m.vae.decode(z), m.vae.draw(z0), atol=1e-5, rtol=1e-5)
            mean = z.mean((0, 2, 3, 4))
            std = (z - mean.view(1, -1, 1, 1, 1)).pow(2).mean((0, 2, 3, 4)).sqrt()
            if norm == "channel":
                torch.testing.assert_close(std, torch.ones_like(std), atol=1e-3, rtol=0)
                torch.testing.assert_close(mean, torch.zeros_like(mean), atol=1e-4, rtol=0)
            else:
                self.assertAlmostEqual(float((z - z.mean()).pow(2).mean().sqrt()), 1.0, places=4)
                self.assertGreater(float(std.max() / std.min()), 2)
        self.assertEqual(preset_problem(small("small", LATENT_SET + ["latent_norm=pixel"])),
                         "latent_norm pixel: must be one of global, channel")
        self.assertEqual(preset_problem(small("tiny", SMALL_SET + ["latent_norm=channel"])),
                         "latent_norm channel: a pixel-space preset has no autoencoder")

    def test_autoencoder_is_causal_in_time(self):
        for over in (["vae_patch=1"], ["vae_patch=2"], ["vae_space=2", "patch=1,4,4"],
                     ["vae_space=2", "patch=1,4,4", "vae_shortcut=true"], ["vae_shortcut=true"],
                     ["vae_shortcut=true", "vae_shortcut_frame=4"]):
            p = small("small", LATENT_SET + over)
            m = VideoModel(p, 10).eval()
            a = torch.rand(1, 3, 5, 16, 16)
            b = a.clone()
            b[:, :, 1:] = torch.rand(1, 3, 4, 16, 16)   # change every frame after the first
            with torch.no_grad():
                za, zb = m.vae.encode(a), m.vae.encode(b)
            self.assertTrue(torch.equal(za[:, :, 0], zb[:, :, 0]))
            self.assertFalse(torch.equal(za[:, :, 1], zb[:, :, 1]))
        self.assertEqual(latent_groups(9), [[0], [1, 2, 3, 4], [5, 6, 7, 8]])

    def test_given_frames_come_out_exactly_as_given(self):
        p = small("tiny", SMALL_SET)
        m = VideoModel(p, 20).eval()
        tok = Tokenizer.build(["a red ball"], p.text_max_len)
        video = torch.rand(2, 3, p.frames, p.height, p.width) * 2 - 1
        given = torch.zeros(2, p.frames, dtype=torch.bool)
        given[0, 0] = True
        given[1, 0] = given[1, -1] = True
        cond, cm = m.build_cond(video, given)
        self.assertEqual(cm[:, 0, :, 0, 0].bool().tolist(), given.tolist())
        x = sample(m, tok, ["a red ball", "a red ball"], cond, cm, steps=4, generator=torch.Generator().manual_seed(0))
        self.assertTrue(torch.allclose(x[0, :, 0], video[0, :, 0], atol=1e-5))
        self.assertTrue(torch.allclose(x[1, :, -1], video[1, :, -1], atol=1e-5))
        self.assertFalse(torch.allclose(x[0, :, 1], video[0, :, 1], atol=1e-2))

    def test_guidance_applies_only_inside_its_interval(self):
        p = small("tiny", SMALL_SET)
        torch.manual_seed(0)
        m = VideoModel(p, 20).eval()
        with torch.no_grad():  # a fresh model's zero-started output ignores the caption: give every weight a value
            for q in m.parameters():
                q.add_(torch.randn_like(q) * 0.05)
        caps = ["a red ball", "a blue box"]
        tok = Tokenizer.build(caps, p.text_max_len)

        def run(**kw):
            return sample(m, tok, caps, steps=5, generator=torch.Generator().manual_seed(0), **kw)

        full, alone = run(guidance=3.0, guidance_interval=(0.0, 1.0)), run(guidance=1.0)
        self.assertGreater((full - alone).abs().max().item(), 1e-3)
        # No step time falls in (0.99, 0.999]: the captions' branch alone, as guidance 1.
        self.assertTrue(torch.allclose(run(guidance=3.0, guidance_interval=(0.99, 0.999)), alone, atol=1e-5))
        # (0.2, 0.8] guides the steps from t = 0.8, 0.6 and 0.4 and not those from 1 and 0.2: by hand.
        x = torch.randn((2,) + p.latent_shape(), generator=torch.Generator().manual_seed(0))
        tokens = torch.cat([tok.batch(caps), tok.batch([""] * 2)])
        with torch.no_grad():
            ctx, cmask = m.text(tokens), (tokens != 0).float()
            cond, cm = torch.zeros_like(x), torch.zeros(2, 1, p.latent_shape()[1], 1, 1)
            for t in (1.0, 0.8, 0.6, 0.4, 0.2):
                vc = m.dit(x, torch.full((2,), t), ctx[:2], cmask[:2], cond, cm)
                vu = m.dit(x, torch.full((2,), t), ctx[2:], cmask[2:], cond, cm)
                x = x - 0.2 * (vu + 3.0 * (vc - vu) if 0.2 < t < 0.9 else vc)
        part = run(guidance=3.0, guidance_interval=(0.2, 0.8))
        self.assertTrue(torch.allclose(part, x, atol=1e-4))
        self.assertGreater(min((part - full).abs().max().item(), (part - alone).abs().max().item()), 1e-3)
        with self.assertRaisesRegex(ValueError, "0 <= lo < hi <= 1"):
            run(guidance=3.0, guidance_interval=(0.5, 0.5))
        self.assertEqual(parse_interval("0.2:0.8"), (0.2, 0.8))
        for bad in ("0.8:0.2", "0.2", "a:b", "0:1.5"):
            with self.assertRaises(argparse.ArgumentTypeError):
                parse_interval(bad)

    def test_latent_conditioning_marks_whole_groups(self):
        p = small("small", LATENT_SET)
        m = VideoModel(p, 10).eval()
        video = torch.rand(2, 3, 5, 16, 16) * 2 - 1
        given = torch.tensor([[True, False, False, False, True], [False] * 5])
        with torch.no_grad():
            cond, cm = m.build_cond(video, given)
        self.assertEqual(cm[:, 0, :, 0, 0].tolist(), [[1.0, 1.0], [0.0, 0.0]])
        # the last group is filled with its one given frame (hold), exactly as the runtime must do
        P = video[:1].clone()
        P[:, :, 1:4] = video[:1, :, 4:5]
        with torch.no_grad():
            self.assertTrue(torch.allclose(cond[:1], m.vae.encode(P), atol=1e-6))
        self.assertEqual(tuple(cond.shape), (2,) + p.latent_shape())
        self.assertEqual(float(cond[1].abs().max()), 0.0)   # a text-to-video row gives nothing

    def test_loss_goes_down_on_an_overfit_batch(self):
        torch.manual_seed(0)
        p = small("tiny", SMALL_SET + ["width_dit=64"])
        m = VideoModel(p, 10)
        tok = Tokenizer.build(["a red ball", "a blue box"], p.text_max_len)
        x0 = torch.rand(2, 3, p.frames, p.height, p.width) * 2 - 1
        tokens = tok.batch(["a red ball", "a blue box"])
        opt = torch.optim.AdamW(m.parameters(), lr=2e-3)
        g = torch.Generator().manual_seed(0)
        noise = torch.randn(x0.shape, generator=g)
        t = torch.tensor([0.3, 0.7])
        zeros, zm = torch.zeros_like(x0), torch.zeros(2, 1, p.frames, 1, 1)
        losses = []
        for _ in range(60):
            tb = t[:, None, None, None, None]
            x0_hat = m.dit.predict_x0((1 - tb) * x0 + tb * noise, t, m.text(tokens), (tokens != 0).float(), zeros, zm)
            loss = ((x0_hat - x0) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        self.assertLess(losses[-1], 0.5 * losses[0])

    def test_edm_preconditioning_passes_the_noisy_input_through_at_low_noise(self):
        self.assertIn("precond karras: must be one of none, edm", preset_problem(small("tiny", SMALL_SET + ["precond=karras"])))
        p = small("tiny", SMALL_SET + ["precond=edm"])
        self.assertIsNone(preset_problem(p))
        m = VideoModel(p, 10).eval()     # the last layer starts at zero: x0_hat is c_skip * x_t alone
        x = torch.randn(3, *p.latent_shape())
        t = torch.tensor([1.0, 0.5, 0.02])
        tokens = torch.zeros(3, p.text_max_len, dtype=torch.long)
        cond, cm = torch.zeros_like(x), torch.zeros(3, 1, p.frames, 1, 1)
        with torch.no_grad():
            x0_hat = m.dit.predict_x0(x, t, m.text(tokens), torch.ones(3, p.text_max_len), cond, cm)
            plain = small("tiny", SMALL_SET)
            m0 = VideoModel(plain, 10).eval()
            x0_plain = m0.dit.predict_x0(x, t, m0.text(tokens), torch.ones(3, p.text_max_len), cond, cm)
        self.assertEqual(float(x0_hat[0].abs().max()), 0.0)                     # pure noise in: the network alone
        self.assertTrue(torch.allclose(x0_hat[1], x[1], atol=1e-6))              # c_skip(0.5) = 0.5 / 0.5 = 1
        self.assertTrue(torch.allclose(x0_hat[2], x[2] * 0.98 / (0.02 ** 2 + 0.98 ** 2), atol=1e-6))
        self.assertEqual(float(x0_plain.abs().max()), 0.0)                     # without it, zeros at every t
        y = torch.randn_like(x)                                                  # and at t = 1, c_out = 1
        self.assertTrue(torch.allclose(edm_x0(torch.zeros_like(x), t, y)[0], y[0]))

    def assert_computes_as(self, m, m0):
        """m given m0's weights (its own new parameters as they start) and both heads' last maps set alike and
        not zero: the two draw the same x0. (The keys m0 lacked, the tokens and their mask.)"""
        p = m.preset
        missing = m.load_state_dict(m0.state_dict(), strict=False).missing_keys
        torch.nn.init.normal_(m0.dit.head.last.weight.data, std=0.1)
        m.dit.head.last.weight.data.copy_(m0.dit.head.last.weight.data)
        x = torch.randn(2, *p.latent_shape())
        t = torch.tensor([0.9, 0.3])
        tokens = torch.tensor([[1, 3, 4, 5, 0, 0, 0, 0] + [0] * (p.text_max_len - 8)] * 2)
        mask = (tokens > 0).float()
        cond, cm = torch.zeros_like(x), torch.zeros(2, 1, p.latent_shape()[1], 1, 1)
        with torch.no_grad():
            a = m.dit.predict_x0(x, t, m.text(tokens), mask, cond, cm)
            b = m0.dit.predict_x0(x, t, m0.text(tokens), mask, cond, cm)
        self.assertGreater(float(a.abs().max()), 0.0)
        self.assertTrue(torch.allclose(a, b, atol=1e-6))
        return missing, tokens, mask

    def test_out_film_reads_the_caption_into_the_head_and_starts_as_the_head_without_it(self):
        self.assertIn("out_film 2: needs the convolutional head", preset_problem(small("small", LATENT_SET + ["out_conv=0", "out_film=2"])))
        self.assertIn("out_film -1: must be 0 (off) or more", preset_problem(small("small", LATENT_SET + ["out_conv=6", "out_film=-1"])))
        p = small("small", LATENT_SET + ["out_conv=6", "out_film=2"])
        self.assertIsNone(preset_problem(p))
        torch.manual_seed(0)
        m = VideoModel(p, 10).eval()
        m0 = VideoModel(small("small", LATENT_SET + ["out_conv=6"]), 10).eval()
        D, K, Tx = p.width_dit, 6, p.text_dim
        film = 2 * Tx + (2 * Tx * D + D) + (D * 4 * K + 4 * K)            # queries, their read, the scales and shifts
        self.assertEqual(m.param_counts()["dit"] - m0.param_counts()["dit"], film)
        # the same weights elsewhere: at the start (the scales and shifts zero) it computes what the head without it does
        missing, tokens, mask = self.assert_computes_as(m, m0)
        self.assertEqual(sorted(missing), ["dit.head.film.out.bias", "dit.head.film.out.weight", "dit.head.film.queries", "dit.head.film.read.bias", "dit.head.film.read.weight"])
        # trained, it moves the head's features with the caption's words, never with a padded place's
        torch.nn.init.normal_(m.dit.head.film.out.weight, std=0.1)
        ctx = m.text(tokens)
        bias = mask_bias(mask)
        c = torch.randn(2, D)
        with torch.no_grad():
            base = torch.cat(m.dit.head.film(ctx, bias, c), dim=1)
            other = tokens.clone()
            other[:, 2] = 7                                                       # another word in the caption
            worded = torch.cat(m.dit.head.film(m.text(other), bias, c), dim=1)
            padded = ctx.clone()
            padded[:, 6] += 1.0                                                   # anything where the mask says padding
            unread = torch.cat(m.dit.head.film(padded, bias, c), dim=1)
        self.assertEqual(tuple(base.shape), (2, 4 * K))
        self.assertGreater(float((worded - base).abs().max()), 1e-4)
        self.assertTrue(torch.allclose(unread, base, atol=1e-6))

    def test_out_blocks_start_as_the_head_without_them_reach_further_and_follow_the_noise_level(self):
        self.assertIn("out_blocks 2: needs the convolutional head", preset_problem(small("small", LATENT_SET + ["out_conv=0", "out_blocks=2"])))
        self.assertIn("out_blocks -1: must be 0 (off) or more", preset_problem(small("small", LATENT_SET + ["out_conv=6", "out_blocks=-1"])))
        p = small("small", LATENT_SET + ["out_conv=6", "out_blocks=2"])
        self.assertIsNone(preset_problem(p))
        torch.manual_seed(0)
        m, m0 = VideoModel(p, 10).eval(), VideoModel(small("small", LATENT_SET + ["out_conv=6"]), 10).eval()
        D, K = p.width_dit, 6
        block = (D * 2 * K + 2 * K) + 2 * (K * K * 9 + K)                     # its scale and shift, its two convolutions
        self.assertEqual(m.param_counts()["dit"] - m0.param_counts()["dit"], 2 * block)
        # added to a trained head (its last map not zero), the blocks leave what it computes unchanged
        missing = self.assert_computes_as(m, m0)[0]
        self.assertEqual(len(missing), 2 * 6)
        self.assertTrue(all(k.startswith("dit.head.blocks.") for k in missing))
        # trained, each block reaches two cells further (3 + 2 x 2 = 7 each way), still in its frame only,
        # and the same input is drawn differently at another noise level
        h = OutHead(5, 3, blocks=2, dim=4).eval()
        for q in [h.last.weight] + [b.c2.weight for b in h.blocks] + [b.ada.weight for b in h.blocks]:
            torch.nn.init.normal_(q, std=0.5)
        y, inp = torch.randn(1, 5, 3, 20, 20), torch.randn(1, 7, 3, 20, 20)
        moved = inp.clone()
        moved[0, 0, 1, 10, 10] += 1.0
        c = torch.randn(1, 4)
        with torch.no_grad():
            d = (h(y, moved, c=c) - h(y, inp, c=c)).abs().sum(1)[0]
            other = (h(y, inp, c=c + 1.0) - h(y, inp, c=c)).abs().max()
        reached = (d > 0).nonzero().tolist()
        self.assertEqual({f for f, _, _ in reached}, {1})
        self.assertEqual((min(r for _, r, _ in reached), max(r for _, r, _ in reached)), (3, 17))
        self.assertEqual((min(q for _, _, q in reached), max(q for _, _, q in reached)), (3, 17))
        self.assertGreater(float(other), 1e-4)

    def test_out_conv_head_starts_at_zero_and_sees_only_its_frame_and_neighbours(self):
        self.assertIn("out_conv -1: must be 0 (off) or more", preset_problem(small("tiny", LATENT_SET + ["out_conv=-1"])))
        p = small("small", LATENT_SET + ["out_conv=6"])
        self.assertIsNone(preset_problem(p))
        m, m0 = VideoModel(p, 10).eval(), VideoModel(small("small", LATENT_SET + ["out_conv=0"]), 10).eval()
        C = p.latent_channels
        # the head's three convolutions (their inputs: 6 features + the noisy input, the given frames, the mask)
        head = (6 + 2 * C + 1) * 6 * 9 + 6 + 6 * 6 * 9 + 6 + 6 * C * 9 + C
        out_diff = (32 + 1) * p.patch[1] * p.patch[2] * (6 - C)           # the linear output's width
        self.assertEqual(m.param_counts()["dit"] - m0.param_counts()["dit"], head + out_diff)
        x = torch.randn(2, *p.latent_shape())
        tokens = torch.zeros(2, p.text_max_len, dtype=torch.long)
        cond, cm = torch.zeros_like(x), torch.zeros(2, 1, p.latent_shape()[1], 1, 1)
        with torch.no_grad():                # the last convolution starts at zero, as the linear output does without it
            x0_hat = m.dit.predict_x0(x, torch.tensor([1.0, 0.3]), m.text(tokens), torch.ones(2, p.text_max_len), cond, cm)
        self.assertEqual(float(x0_hat.abs().max()), 0.0)
        # three 3x3 convolutions over each frame: a change at one cell reaches 3 cells each way, in its frame only
        h = OutHead(5, 3).eval()
        torch.nn.init.normal_(h.last.weight)
        y, inp = torch.randn(1, 5, 3, 12, 12), torch.randn(1, 7, 3, 12, 12)
        moved = inp.clone()
        moved[0, 0, 1, 6, 6] += 1.0
        with torch.no_grad():
            d = (h(y, moved) - h(y, inp)).abs().sum(1)[0]
        reached = (d > 0).nonzero().tolist()
        self.assertTrue(reached)
        self.assertEqual({f for f, _, _ in reached}, {1})
        self.assertEqual((min(r for _, r, _ in reached), max(r for _, r, _ in reached)), (3, 9))
        self.assertEqual((min(c for _, _, c in reached), max(c for _, _, c in reached)), (3, 9))

    def test_the_latent_cache_gives_each_clip_one_latent_whatever_the_batch_and_what_is_held(self):
        torch.manual_seed(0)
        vae = VideoAutoencoder(4, 8, 1, space=4).eval()
        clips = torch.rand(5, 3, 5, 16, 16) * 2 - 1
        with torch.no_grad():
            ref = vae.encode(torch.cat([clips, torch.zeros(3, 3, 5, 16, 16)]))   # each in a batch of 8, the chunk
            one_latent = ref[0].numel() * 4
            cache = train.LatentCache(vae, 3 * one_latent, chunk=8)
            first = cache.encode(clips[[0, 1, 2, 0]])         # the same clip twice is encoded once
            self.assertEqual((cache.hits, cache.misses), (1, 3))
            again = cache.encode(clips[[2, 0, 1]])            # another order: every row held, nothing re-encoded
            self.assertEqual((cache.hits, cache.misses), (4, 3))
            mixed = cache.encode(clips[[3, 1, 4]])            # two new rows beside a held one; the oldest two go
        for got, want in ((first, [0, 1, 2, 0]), (again, [2, 0, 1]), (mixed, [3, 1, 4])):
            for row, i in enumerate(want):
                self.assertTrue(torch.equal(got[row], ref[i]), (want, row))
        self.assertEqual((cache.hits, cache.misses), (5, 5))
        self.assertEqual(cache.bytes, 3 * one_latent)
        with torch.no_grad():
            cache.encode(clips[[4, 3, 1]])                # what is held now: the last three used
        self.assertEqual((cache.hits, cache.misses), (8, 5))
        self.assertEqual(cache.stats()["MiB"], 0)

    def test_lora_merge_equals_unmerged_forward(self):
        p = small("tiny", SMALL_SET)
        m = VideoModel(p, 10).eval()
        apply_lora(m, rank=2)
        for n, q in m.named_parameters():
            if n.endswith("lora_b"):
                q.data.normal_(0, 0.1)
        trainable = [n for n, q in m.named_parameters() if q.requires_grad]
        self.assertTrue(trainable and all("lora_" in n for n in trainable))
        tokens = torch.tensor([[1, 4, 5] + [0] * (p.text_max_len - 3)])
        args = (torch.randn(1, *p.latent_shape()), torch.tensor([0.5]))
        with torch.no_grad():
            ctx = m.text(tokens)
            cond, cm = torch.zeros(1, *p.latent_shape()), torch.zeros(1, 1, p.frames, 1, 1)
            before = m.dit(*args, ctx, (tokens != 0).float(), cond, cm)
            merged = merge_lora(copy.deepcopy(m))
            after = merged.dit(*args, merged.text(tokens), (tokens != 0).float(), cond, cm)
        self.assertTrue(torch.allclose(before, after, atol=1e-5))


class DataTests(Fixture):
    def test_batches_are_a_function_of_seed_and_step(self):
        snap = Snapshot(self.data)
        p = small("tiny", SMALL_SET)
        a = ClipStream(snap, "train", p, seed=3, global_batch=4)
        b = ClipStream(Snapshot(self.data), "train", p, seed=3, global_batch=4)
        va, ca, ia = a.batch(5)
        b.batch(0)
        vb, cb, ib = b.batch(5)
        self.assertTrue(torch.equal(va, vb))
        self.assertEqual(ia, ib)
        self.assertEqual(tuple(va.shape), (4, 3, p.frames, p.height, p.width))
        halves = [a.batch(5, rank=r, world=2) for r in range(2)]
        self.assertEqual(halves[0][2] + halves[1][2], ia)

    def test_warm_up_batch_reads_more_clips_and_the_order_runs_on(self):
        snap = Snapshot(self.data)
        p = small("tiny", SMALL_SET)
        plain = ClipStream(snap, "train", p, 0, 2)
        warm = ClipStream(snap, "train", p, 0, 2, range(1, 3), 4)
        self.assertEqual([warm.size(s) for s in range(4)], [2, 4, 4, 2])
        self.assertEqual(warm.items_between(0, 4), 12)
        self.assertEqual(warm.batch(0)[2], plain.batch(0)[2])     # before the warm-up: as without it
        # the two warm-up steps read the clips of plain steps 1-4 (in the same order), and step 3 goes on from there
        read = warm.batch(1)[2] + warm.batch(2)[2]
        self.assertEqual(len(read), 8)
        self.assertEqual(read, sum((plain.batch(s)[2] for s in range(1, 5)), []))
        self.assertEqual(warm.batch(3)[2], plain.batch(5)[2])
        self.assertEqual(tuple(warm.batch(1)[0].shape), (4, 3, p.frames, p.height, p.width))
        # split over two ranks, each takes half of the warm-up batch
        self.assertEqual(warm.batch(1, 0, 2)[2] + warm.batch(1, 1, 2)[2], warm.batch(1)[2])

    def test_mirroring_flips_frames_and_swaps_left_and_right_in_captions(self):
        self.assertEqual(mirror_caption("A red ball moving left. Right away, it turns; bright light."),
                         "A red ball moving right. Left away, it turns; bright light.")
        snap = Snapshot(self.data)
        plain = ClipStream(snap, "train", small("tiny", SMALL_SET + ["hflip=0"]), seed=3, global_batch=4).batch(2)
        always = ClipStream(snap, "train", small("tiny", SMALL_SET + ["hflip=1"]), seed=3, global_batch=4).batch(2)
        self.assertEqual(plain[2], always[2])                      # the same clips, the same crops
        self.assertTrue(torch.equal(always[0], plain[0].flip(-1)))
        self.assertEqual(always[1], [mirror_caption(c) for c in plain[1]])
        self.assertTrue(any("left" in c or "right" in c for c in plain[1]))
        half = ClipStream(snap, "train", small("tiny", SMALL_SET + ["hflip=0.5"]), seed=3, global_batch=4)
        flipped = [not torch.equal(v, w) for b in range(6) for v, w in zip(half.batch(b)[0], ClipStream(snap, "train", small("tiny", SMALL_SET + ["hflip=0"]), seed=3, global_batch=4).batch(b)[0])]
        self.assertTrue(0 < sum(flipped) < len(flipped))

    def test_a_corrupted_shard_is_refused(self):
        bad = os.path.join(self.tmp, "bad")
        shutil.copytree(self.data, bad)
        shard = os.path.join(bad, "shards", sorted(os.listdir(os.path.join(bad, "shards")))[0])
        with open(shard, "r+b") as f:
            f.seek(200)
            byte = f.read(1)
            f.seek(200)
            f.write(bytes([byte[0] ^ 0xFF]))
        with self.assertRaises(SnapshotError) as e:
            Snapshot(bad).verify()
        self.assertEqual(e.exception.code, "shard_corrupt")
        proc, events = run_train(["--data", bad, "--run-dir", os.path.join(self.tmp, "badrun"), "--steps", "1",
                                  *sum([["--set", s] for s in SMALL_SET], [])])
        self.assertNotEqual(proc.returncode, 0)
        self.assertEqual(events[-1]["event"], "error")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "badrun", "model.pt")))


class MemoryTests(Fixture):
    def test_the_memory_estimate_stays_near_what_base_took_on_an_h200_and_refuses_compiled_base_on_80_gb(self):
        # peak GiB measured by trainer/bench_gpu.py on one H200, torch 2.11 (docs/model.md "On a GPU")
        measured = [([], False, 33.7), ([], True, 109.0), (["checkpointing=false", "batch=4"], False, 114.8),
                    (["checkpointing=false", "batch=4"], True, 98.2)]
        for sets, compiled, gib in measured:
            est = train.memory_needed(train.build_preset("base", sets), 1, True, compiled) / 2**30
            self.assertLess(abs(est / gib - 1), 0.3, (sets, compiled, est, gib))
        h100 = 79.0 * 2**30   # what an 80 GB card has free
        self.assertLess(train.memory_needed(PRESETS["base"], 1, True, False), h100)
        self.assertGreater(train.memory_needed(train.build_preset("base", ["compile=true"]), 1, True, True), h100)
        self.assertLess(train.memory_needed(train.build_preset("base", ["compile=true"]), 2, True, True), h100)  # 4 per GPU

    def test_a_preset_that_cannot_fit_is_refused_before_anything_is_allocated(self):
        proc, events = run_train(["--data", self.data, "--run-dir", os.path.join(self.tmp, "big"), "--preset", "base",
                                  "--steps", "1", "--device", "cpu"])
        self.assertEqual(proc.returncode, 4, proc.stderr[-500:])
        self.assertEqual(events[-1]["code"], "preset_too_big")
        self.assertIn("GiB", events[-1]["message"])


class WorldTests(unittest.TestCase):
    def test_a_caption_names_the_objects_direction_even_where_it_says_how_the_camera_pans(self):
        from trainer.evaluate import World
        w = World({"colours": [{"name": "red", "rgb": [222, 36, 36]}], "shapes": ["ball", "box"],
                   "directions": ["left", "right", "up", "down"],
                   "backgrounds": [{"name": "night", "phrase": "at night"}]})
        attrs = lambda c: w.parse(c) and w.parse(c)["direction"]
        self.assertEqual(attrs("A red ball moving right. The camera pans left. Exterior, field, at night."), "right")
        self.assertEqual(attrs("The camera pans left. A red box moving down at night."), "down")
        self.assertEqual(attrs("a red ball moving up at night"), "up")
        self.assertEqual(attrs("a red ball drifts left at night"), "left")     # no "moving": the first direction word
        self.assertIsNone(w.parse("a red ball moving left"))                    # no backdrop: not a world caption


    def test_an_objects_colour_is_named_by_hue_so_a_dimmed_soft_edged_object_keeps_its_name(self):
        import numpy as np
        from trainer.evaluate import World, analyse
        rgb = {"red": [222, 36, 36], "orange": [250, 128, 16], "yellow": [240, 228, 30],
               "green": [36, 196, 64], "blue": [40, 96, 240], "purple": [158, 58, 216]}   # world.ts
        w = World({"colours": [{"name": n, "rgb": c} for n, c in rgb.items()], "shapes": ["box"],
                   "directions": ["left", "right"], "backgrounds": [{"name": "night", "phrase": "at night"}]})
        night = np.array([18, 21, 46], float)
        for name, c in rgb.items():
            for dim in (1.0, 0.75):
                v = np.tile(night, (4, 32, 32, 1))
                v[:, 8:24, 8:24] = 0.5 * dim * np.array(c) + 0.5 * night   # soft edge blended into the sky
                v[:, 10:22, 10:22] = dim * np.array(c)
                self.assertEqual(analyse(v.astype(np.uint8), w)["colour"], name, f"{name} at {dim:.0%}")
        # the case that named orange red by RGB distance: a dim orange generated at night
        v = np.tile(night, (4, 32, 32, 1)); v[:, 8:24, 8:24] = [188, 85, 7]
        self.assertEqual(analyse(v.astype(np.uint8), w)["colour"], "orange")
        v[:, 8:24, 8:24] = [162, 57, 25]                                      # hue 13 degrees: red's side
        self.assertEqual(analyse(v.astype(np.uint8), w)["colour"], "red")

    def test_shape_and_motion_are_read_on_the_largest_object_region_so_a_stray_pixel_moves_nothing(self):
        import numpy as np
        from trainer.evaluate import World, analyse, largest_regions
        w = World({"colours": [{"name": "red", "rgb": [222, 36, 36]}], "shapes": ["ball", "box", "star"],
                   "directions": ["left", "right", "up", "down"], "backgrounds": [{"name": "night", "phrase": "at night"}]})
        protos = {"shape": {"box": 0.98, "ball": 0.79, "star": 0.52}}
        v = np.tile(np.array([18, 21, 46], np.uint8), (6, 48, 48, 1))
        for t in range(6):                                   # a 12 x 12 red box moving right, 2 px a frame
            v[t, 18:30, 8 + 2 * t:20 + 2 * t] = [222, 36, 36]
        self.assertEqual(analyse(v, w, protos=protos)["shape"], "box")
        # one stray red pixel 2 px beside it in every frame, and a 2-pixel speck far away that never moves:
        # v2 measured one bounding box over all three (fill 0.22) and read a star
        for t in range(6):
            v[t, 24, 22 + 2 * t] = [222, 36, 36]
            v[t, 40, 40:42] = [222, 36, 36]
        a = analyse(v, w, protos=protos)
        self.assertEqual((a["shape"], a["direction"], a["colour"]), ("box", "right", "red"))
        # regions are 8-connected, per frame, and the largest wins (a diagonal chain is one region)
        m = np.zeros((2, 8, 8), bool)
        m[0, 0, 0] = m[0, 1, 1] = m[0, 2, 2] = True          # 3 pixels touching at corners
        m[0, 5:7, 5] = True                                  # 2 pixels
        m[1, 6, 6] = True                                    # frame 1: one pixel alone
        r = largest_regions(m)
        self.assertEqual(sorted(zip(*np.nonzero(r[0]))), [(0, 0), (1, 1), (2, 2)])
        self.assertEqual(r[1].sum(), 1)

    def test_adherence_is_counted_over_every_sample_with_a_95_percent_interval(self):
        from trainer.evaluate import adherence_figures, wilson
        lo, hi = wilson(0.5, 100)
        self.assertAlmostEqual(lo, 0.404, places=3)
        self.assertAlmostEqual(hi, 0.596, places=3)
        self.assertEqual(wilson(0.0, 10)[0], 0.0)
        self.assertLess(wilson(1.0, 10)[0], 1.0)                       # 10 of 10 is not certainty
        self.assertLess(wilson(0.25, 116)[1] - wilson(0.25, 116)[0], wilson(0.25, 29)[1] - wilson(0.25, 29)[0])
        row = lambda d: {"colour": True, "shape": False, "direction": d, "background": True, "colourDirectionBackground": d}
        f = adherence_figures([row(True), row(False), row(False), row(False)], n_prompts=2, novel=2, samples=2)
        self.assertEqual((f["n"], f["samplesPerPrompt"], f["direction"], f["colour"]), (2, 2, 0.25, 1.0))
        self.assertTrue(f["ci95"]["direction"][0] <= 0.25 <= f["ci95"]["direction"][1])

    def test_the_shape_confusion_counts_what_each_asked_shape_was_read_as(self):
        from trainer.evaluate import adherence_figures, judge
        asked = {"colour": "red", "direction": "left", "background": "night"}
        read = lambda shape: {**asked, "shape": shape}
        rows = [judge(read("ball"), {**asked, "shape": "box"}), judge(read("box"), {**asked, "shape": "box"}),
                judge(read("ball"), {**asked, "shape": "box"}), judge(read(None), {**asked, "shape": "star"}),
                judge(read("ball"), {**asked, "shape": "ball"})]
        f = adherence_figures(rows, n_prompts=5, novel=5, samples=1)
        self.assertEqual(f["shapeConfusion"], {"ball": {"ball": 1}, "box": {"ball": 2, "box": 1}, "star": {"none": 1}})
        self.assertAlmostEqual(f["shape"], 2 / 5)
        self.assertEqual(f["colour"], 1.0)


class CaptionRelianceTests(Fixture):
    def test_a_word_the_denoiser_cannot_tell_apart_reads_zero_and_one_it_can_does_not(self):
        from trainer.evaluate import HELD_OUT, WORLD, World, caption_reliance, swap_word
        dirs = ["left", "right", "up", "down"]
        # the object's direction is the word after "moving", wherever the camera's is
        self.assertEqual(swap_word("The camera pans left. A red box moving down at night.", dirs, "moving"),
                         "The camera pans left. A red box moving left at night.")
        self.assertEqual(swap_word("a red ball drifts up", dirs, "moving"), "a red ball drifts down")
        self.assertEqual(swap_word("A Purple star.", ["red", "purple"]), "A red star.")
        self.assertIsNone(swap_word("a red ball", ["box", "star"]))
        p = small("tiny", SMALL_SET)
        recs = Snapshot(self.data).records("val")
        tok = Tokenizer.build([r.header["caption"] for r in recs] + ["box star ball"], p.text_max_len)
        torch.manual_seed(0)
        m = VideoModel(p, len(tok.vocab)).eval()
        for q in (m.dit.out, m.dit.ada_out):           # zero at init: every caption would read 0
            torch.nn.init.normal_(q.weight, std=0.2)
        world = World({**WORLD, "heldOut": [list(h) for h in HELD_OUT]})
        # the three shape words given one embedding: the denoiser cannot tell them apart
        e = m.text.tok.weight.data
        e[[tok.index[w] for w in ("box", "star")]] = e[tok.index["ball"]].clone()
        r = caption_reliance(m, tok, recs, world, p)
        self.assertEqual(r["clips"], len(recs))
        self.assertEqual(r["shape"], [0.0, 0.0, 0.0])
        for k in ("colour", "direction", "noCaption"):     # untrained: another word may help or hurt, never nothing
            self.assertEqual(len(r[k]), 3)
            self.assertTrue(all(abs(x) > 0.01 for x in r[k]), (k, r[k]))
        # captions that name no attribute word are left out; none at all gives None
        for rec in recs:
            rec.header["caption"] = "a shot"
        self.assertIsNone(caption_reliance(m, tok, recs, world, p))


class BenchTests(unittest.TestCase):
    def test_the_mfu_flop_formula_matches_a_count_of_every_matrix_product_the_step_runs(self):
        from trainer import model as model_mod
        from trainer.bench_gpu import dit_train_flops
        for name, sets in (("small", LATENT_SET), ("base", ["depth=2", "width_dit=48", "heads=3", "text_dim=24", "text_depth=2",
                                                             "frames=9", "height=32", "width=32", "vae_base=8", "batch=2"])):
            p = small(name, sets)
            m = VideoModel(p, 40)
            head = train.X0Head(m)
            counted = [0]

            def linear(mod, inp, out):
                counted[0] += 2 * inp[0].numel() * mod.out_features

            def conv(mod, inp, out):
                counted[0] += 2 * out.numel() * mod.in_channels * int(np.prod(mod.kernel_size))

            for mod in head.modules():
                if isinstance(mod, torch.nn.Linear):
                    mod.register_forward_hook(linear)
                elif isinstance(mod, torch.nn.Conv3d):
                    mod.register_forward_hook(conv)
            plain = model_mod.attention

            def attention(q, k, v, bias):   # scores and weighted sum: 2 products of q's size times k's length
                counted[0] += 4 * q.numel() * k.shape[-2]
                return plain(q, k, v, bias)

            C, T, h, w = p.latent_shape()
            B = 2
            x = torch.randn(B, C, T, h, w)
            tokens = torch.randint(3, 40, (B, p.text_max_len))
            with mock.patch.object(model_mod, "attention", attention), torch.no_grad():
                head(x, torch.rand(B), tokens, None, torch.zeros_like(x), torch.zeros(B, 1, T, 1, 1))
            self.assertEqual(dit_train_flops(p), 3 * counted[0] // B, name)

    def test_the_gpu_bench_runs_end_to_end_and_reports_each_measurement(self):
        sets = ["depth=1", "width_dit=32", "heads=2", "text_dim=32", "text_depth=1", "frames=9", "height=16", "width=16",
                "vae_base=8", "batch=2", "checkpointing=false", "bf16=false"]
        proc = subprocess.run([sys.executable, "-m", "trainer.bench_gpu", "--cpu", "--steps", "2", "--train-steps", "6",
                               *sum([["--set", s] for s in sets], [])], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stderr[-1500:])
        recs = {r["bench"]: r for r in map(json.loads, filter(lambda l: l.startswith("{"), proc.stdout.splitlines()))}
        self.assertEqual(set(recs), {"denoiser", "autoencoder-encode", "trainer"})
        for kind in ("denoiser", "trainer"):
            self.assertGreater(recs[kind]["per_step_s"], 0)
            self.assertAlmostEqual(recs[kind]["samples_s"] * recs[kind]["per_step_s"], 2, places=6)
        self.assertFalse(recs["denoiser"]["compiled"])   # never on a CPU
        self.assertGreater(recs["autoencoder-encode"]["fp32_s"], 0)


class TrainTests(Fixture):
    def args(self, run, steps, *extra, preset="tiny", sets=SMALL_SET):
        return ["--data", self.data, "--run-dir", os.path.join(self.tmp, run), "--preset", preset, "--steps", str(steps),
                "--ckpt-every", "2", "--log-every", "1", "--threads", "1", *sum([["--set", s] for s in sets], []), *extra]

    def state(self, run, name="model.pt"):
        return torch.load(os.path.join(self.tmp, run, name), map_location="cpu")

    def test_an_autoencoder_shape_it_cannot_build_or_a_bad_override_is_refused_in_one_line(self):
        for bad in ("vae_frames=8", "frames=6", "vae_patch=3", "vae_space=8", "height=20",
                    "nope=1", "compile=maybe", "patch=1,2", "depth=two", "lr", "name=big"):
            proc, events = run_train(self.args("bad-vae", 2, preset="small", sets=LATENT_SET + [bad]))
            self.assertEqual(proc.returncode, 2, bad)
            self.assertEqual([e["code"] for e in events if e["event"] == "error"], ["bad_preset"], bad)
            self.assertIn(bad.split("=")[0], events[-1]["message"])
            self.assertNotIn("Traceback", proc.stderr)

    def test_a_warm_up_batch_that_does_not_split_over_the_processes_is_refused(self):
        proc, events = run_train(self.args("odd", 1, sets=SMALL_SET + ["high_noise_batch=5"]), world=2)
        self.assertEqual(proc.returncode, 2, proc.stderr[-500:])
        self.assertEqual((events[-1]["code"], events[-1]["message"]), ("bad_batch", "high_noise_batch 5 does not split over 2 processes"))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "odd", "model.pt")))

    def test_loss_motion_weighs_the_denoisers_loss(self):
        losses = {}
        for run, sets in (("plain", SMALL_SET), ("motion", SMALL_SET + ["loss_motion=4"])):
            proc, ev = run_train(self.args(run, 1, sets=sets))
            self.assertEqual(proc.returncode, 0, proc.stderr[-500:])
            losses[run] = [e["loss"] for e in ev if e["event"] == "step"]
        # the same draws and the same starting weights: only the weighting tells the first step's losses apart
        self.assertEqual(len(losses["plain"]), 1)
        self.assertNotAlmostEqual(losses["plain"][0], losses["motion"][0], places=3)

    def test_resume_after_a_stop_gives_the_uninterrupted_result(self):
        # one warm-up step: a third of the 3 steps the stopped run planned is what the full run takes too
        sets = [s for s in SMALL_SET if not s.startswith("high_noise_steps")] + ["high_noise_steps=1"]
        proc, ev = run_train(self.args("full", 6, sets=sets))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual([e["step"] for e in ev if e["event"] == "step"], [1, 2, 3, 4, 5, 6])
        proc, _ = run_train(self.args("part", 3, sets=sets))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        proc, ev = run_train(self.args("part", 6, "--resume", sets=sets))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertTrue(ev[0]["resumed"])
        a, b = self.state("full", "checkpoint.pt"), self.state("part", "checkpoint.pt")
        for k in a["model"]:
            self.assertTrue(torch.equal(a["model"][k], b["model"][k]), k)
        for k in a["ema"]:
            self.assertTrue(torch.equal(a["ema"][k], b["ema"][k]), k)

    def test_kill_9_mid_run_then_resume_gives_the_uninterrupted_result(self):
        proc, _ = run_train(self.args("ref", 7))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        kill_after_checkpoint(self.args("killed", 7), 4)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "killed", "model.pt")))
        proc, ev = run_train(self.args("killed", 7, "--resume"))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(ev[0]["step"], 4)
        a, b = self.state("ref"), self.state("killed")
        for k in a["state"]:
            self.assertTrue(torch.equal(a["state"][k], b["state"][k]), k)

    def test_previews_put_generations_above_the_real_clips_at_the_start_every_n_steps_and_at_the_end(self):
        proc, ev = run_train(self.args("prev", 5, "--preview-every", "2"))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual([e["step"] for e in ev if e["event"] == "preview"], [0, 2, 4, 5])
        with open(os.path.join(self.tmp, "prev", "summary.json")) as f:
            self.assertEqual([pv["step"] for pv in json.load(f)["previews"]], [0, 2, 4, 5])
        p = small("tiny", SMALL_SET)
        recs = Snapshot(self.data).records("val")[:8]
        real = to_uint8(torch.stack([whole_clip(r, p) for r in recs])).astype(np.int16)
        cell = p.height * 4 + 8                    # 4x scale, 2-pixel gutter scaled too
        for step in (0, 5):
            path = os.path.join(self.tmp, "prev", "previews", f"step-{step:06d}.mp4")
            out = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                                 capture_output=True, check=True).stdout
            W, H = len(recs) * cell, 2 * cell
            video = np.frombuffer(out, np.uint8).reshape(-1, H, W, 3).astype(np.int16)
            self.assertEqual(video.shape[0], p.frames)
            for i in range(len(recs)):
                x = i * cell
                shown_real = video[:, cell:cell + p.height * 4:4, x:x + p.width * 4:4]
                shown_gen = video[:, :p.height * 4:4, x:x + p.width * 4:4]
                self.assertLess(np.abs(shown_real - real[i]).mean(), 12, f"step {step}: clip {i} is not the real clip")
                if step == 0:   # the untrained denoiser draws noise, nothing like the clip
                    self.assertGreater(np.abs(shown_gen - real[i]).mean(), 25, f"clip {i}")

    def test_ddp_ranks_stop_together_on_a_time_budget_while_rank_0_writes_previews(self):
        # Rank 0 leaves its previews out of the budget; were each rank to read its own clock, the others
        # would stop a step earlier and rank 0 would wait in the next all-reduce for ever.
        proc, ev = run_train(self.args("ddp-budget", 100000, "--minutes", "0.05", "--preview-every", "3"), world=2)
        self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
        done = ev[-1]
        self.assertEqual(done["event"], "done")
        self.assertGreater(done["step"], 3)
        self.assertEqual([e["step"] for e in ev if e["event"] == "preview"][-1], done["step"])

    def test_a_preview_that_cannot_be_written_is_a_warning_not_a_failure(self):
        proc, ev = run_train(self.args("noffmpeg", 2), env=dict(ENV, PATH="/nonexistent"))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        warnings = [e for e in ev if e["event"] == "warning"]
        self.assertEqual([w["code"] for w in warnings], ["preview_failed", "preview_failed"])
        self.assertEqual(warnings[0]["message"], "preview at step 0 not written: ffmpeg is not installed "
                         "(sudo apt-get install ffmpeg, or bash scripts/setup.sh)")
        self.assertTrue(os.path.exists(os.path.join(self.tmp, "noffmpeg", "model.pt")))
        with open(os.path.join(self.tmp, "noffmpeg", "summary.json")) as f:
            self.assertEqual(json.load(f)["previews"], [])

    def test_latent_preset_trains_autoencoder_then_denoiser(self):
        proc, ev = run_train(self.args("latent", 4, preset="small", sets=LATENT_SET))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        steps = [e for e in ev if e["event"] == "step"]
        self.assertEqual([e["phase"] for e in steps], ["vae", "vae", "dit", "dit"])
        # the autoencoder phase's ETA runs to its own end (the denoiser's pace is not known yet)
        self.assertEqual(ev[0]["vaeSteps"], 2)
        self.assertEqual(steps[1]["etaSeconds"], 0.0)
        self.assertGreater(steps[2]["etaSeconds"], 0.0)
        m, tok, _ = load(os.path.join(self.tmp, "latent", "model.pt"))
        self.assertNotEqual(float(m.vae.scale), 1.0)
        vid = generate_video(m, tok, ["a red ball"], steps=2)
        self.assertEqual(vid.shape, (1, 5, 16, 16, 3))
        # the evaluation reads the analyser on the autoencoder's reconstructions too (the denoiser's ceiling)
        with contextlib.redirect_stdout(io.StringIO()):
            res = evaluate(os.path.join(self.tmp, "latent", "model.pt"), self.data, steps=1, max_prompts=3, modes=("t2v",))
        self.assertEqual(res["analyserOnReconstruction"]["n"], res["analyserOnReal"]["n"])
        self.assertEqual(res["analyserVersion"], "backlot-adherence-v3")
        self.assertEqual(set(res["analyserOnReconstruction"]), set(res["analyserOnReal"]))
        # and what each caption word steers, on the held-out clips it scores (every fixture caption names all three)
        self.assertEqual(res["captionReliance"]["clips"], res["analyserOnReal"]["n"])
        self.assertEqual([len(res["captionReliance"][k]) for k in ("colour", "shape", "direction", "noCaption")], [3] * 4)
        # PSNR by latent frame: frame 0 alone, then frames 1-4 (5 frames make 2 latent frames)
        by = res["aePsnrByLatentFrame"]
        self.assertEqual(len(by), m.preset.latent_shape()[1])
        self.assertEqual(len(by), 2)
        self.assertTrue(all(math.isfinite(x) and x > 0 for x in by), by)
        # the denoiser's two steps took the frozen autoencoder's latents through the cache; a run stopped
        # after its first and resumed (with nothing cached) ends exactly where the uninterrupted one did
        cache = ev[-1]["latentCache"]
        self.assertGreater(cache["misses"], 0)
        self.assertTrue(4 <= cache["hits"] + cache["misses"] <= 8, cache)   # 2 clips a step, and their given frames
        proc, _ = run_train(self.args("latent-part", 3, preset="small", sets=LATENT_SET))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        proc, ev = run_train(self.args("latent-part", 4, "--resume", preset="small", sets=LATENT_SET))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(ev[0]["step"], 3)
        a, b = self.state("latent", "checkpoint.pt"), self.state("latent-part", "checkpoint.pt")
        for k in a["model"]:
            self.assertTrue(torch.equal(a["model"][k], b["model"][k]), k)

    def test_single_frames_are_distinct_frames_of_each_clip(self):
        B, T = 3, 6
        video = torch.arange(B * T, dtype=torch.float32).view(B, 1, T, 1, 1).expand(B, 3, T, 4, 4).contiguous()
        a = train.single_frames(video, 2, torch.Generator().manual_seed(5))
        self.assertEqual(a.shape, (B * 2, 3, 1, 4, 4))
        ids = a[:, 0, 0, 0, 0].long().view(B, 2)
        for b in range(B):   # frame ids of clip b are b*T .. b*T+T-1; the two differ
            self.assertTrue(all(b * T <= int(i) < (b + 1) * T for i in ids[b]), ids)
            self.assertNotEqual(int(ids[b, 0]), int(ids[b, 1]))
        self.assertTrue(torch.equal(a, train.single_frames(video, 2, torch.Generator().manual_seed(5))))
        self.assertFalse(torch.equal(a, train.single_frames(video, 2, torch.Generator().manual_seed(6))))

    def test_the_autoencoders_image_steps_come_first_and_resume_exactly(self):
        sets = LATENT_SET + ["high_noise_steps=0", "vae_steps=3", "vae_image_steps=2"]
        proc, ev = run_train(self.args("img-a", 5, preset="small", sets=sets))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        steps = [e for e in ev if e["event"] == "step"]
        self.assertEqual([e["phase"] for e in steps], ["img", "img", "vae", "dit", "dit"])
        self.assertEqual(steps[1]["etaSeconds"], 0.0)     # the image phase's ETA runs to its own end
        self.assertGreater(steps[0]["lr"], 0.0)
        # not the run without them: the image steps trained the autoencoder on something else
        proc, _ = run_train(self.args("img-none", 5, preset="small", sets=sets[:-1] + ["vae_image_steps=0"]))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        a, n = self.state("img-a"), self.state("img-none")
        self.assertFalse(all(torch.equal(a["state"][k], n["state"][k]) for k in a["state"] if k.startswith("vae.")))
        # killed inside the image steps and resumed: the uninterrupted result
        kill_after_checkpoint(self.args("img-k", 5, "--ckpt-every", "1", preset="small", sets=sets), 1)
        proc, ev = run_train(self.args("img-k", 5, "--resume", preset="small", sets=sets))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(ev[0]["step"], 1)
        c = self.state("img-k")
        for k in a["state"]:
            self.assertTrue(torch.equal(a["state"][k], c["state"][k]), k)
        # a pixel-space preset has no autoencoder to train on frames
        proc, ev = run_train(self.args("img-px", 2, sets=["vae_image_steps=5"]))
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("vae_image_steps 5: a pixel-space preset has no autoencoder", proc.stderr + json.dumps(ev))

    def test_the_decoder_phase_closes_the_run_moves_the_decoder_alone_and_resumes_exactly(self):
        sets = LATENT_SET + ["high_noise_steps=0"]
        proc, _ = run_train(self.args("dec-a", 4, preset="small", sets=sets + ["vae_dec_steps=0"]))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        proc, ev = run_train(self.args("dec-b", 6, preset="small", sets=sets + ["vae_dec_steps=2"]))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(ev[0]["decSteps"], 2)
        steps = [e for e in ev if e["event"] == "step"]
        self.assertEqual([e["phase"] for e in steps], ["vae", "vae", "dit", "dit", "dec", "dec"])
        self.assertGreater(steps[4]["lr"], 0.0)
        # the same run without the phase, stopped where the phase starts: everything but the decoder is
        # what it was (so the latents the denoiser learnt, and the denoiser), the decoder has moved
        a, b = self.state("dec-a"), self.state("dec-b")
        moved = [k for k in a["state"] if not torch.equal(a["state"][k], b["state"][k])]
        self.assertTrue(moved)
        self.assertTrue(all(k.startswith("vae.dec.") for k in moved), moved)
        m, tok, _ = load(os.path.join(self.tmp, "dec-b", "model.pt"))
        self.assertEqual(generate_video(m, tok, ["a red ball"], steps=2).shape, (1, 5, 16, 16, 3))
        # killed inside the phase and resumed: the uninterrupted result
        kill_after_checkpoint(self.args("dec-k", 6, "--ckpt-every", "1", preset="small", sets=sets + ["vae_dec_steps=2"]), 5)
        proc, ev = run_train(self.args("dec-k", 6, "--resume", preset="small", sets=sets + ["vae_dec_steps=2"]))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(ev[0]["step"], 5)
        c = self.state("dec-k")
        for k in b["state"]:
            self.assertTrue(torch.equal(b["state"][k], c["state"][k]), k)
        # a pixel-space preset has no autoencoder to refine
        proc, ev = run_train(self.args("dec-pixel", 2, sets=SMALL_SET + ["vae_dec_steps=2"]))
        self.assertEqual(proc.returncode, 2)
        self.assertEqual([e["message"] for e in ev if e["event"] == "error"],
                         ["preset tiny: vae_dec_steps 2: a pixel-space preset has no autoencoder"])

    def test_evaluation_draws_several_samples_per_prompt_the_first_as_a_single_sample_run_does(self):
        proc, _ = run_train(self.args("eval-samples", 2))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        model = os.path.join(self.tmp, "eval-samples", "model.pt")
        with contextlib.redirect_stdout(io.StringIO()):
            one = evaluate(model, self.data, steps=2, max_prompts=3, modes=("t2v",), samples=1)
            two = evaluate(model, self.data, steps=2, max_prompts=3, modes=("t2v",), samples=2)
        a1, a2 = one["adherence"]["t2v"], two["adherence"]["t2v"]
        self.assertEqual((a1["n"], a1["samplesPerPrompt"]), (a2["n"], 1))
        self.assertEqual(a2["samplesPerPrompt"], 2)
        self.assertEqual(two["sampler"]["samplesPerPrompt"], 2)
        for k in ("colour", "direction", "background", "colourDirectionBackground"):
            self.assertAlmostEqual(a2[k] * 2 * a2["n"], round(a2[k] * 2 * a2["n"]))   # counted over 2n generations
            lo, hi = a2["ci95"][k]
            self.assertTrue(lo <= a2[k] <= hi, k)
        # the first sample of each prompt is the single-sample run's draw: same generations, same distance
        self.assertEqual(one["frechet"], two["frechet"])
        self.assertEqual(two["adherence"]["t2vWorldHeldOut"]["samplesPerPrompt"], 2)

    def test_the_step_runs_in_bf16_on_a_cpu_that_has_it_and_says_so(self):
        from trainer.train import cpu_has_bf16
        native = cpu_has_bf16()
        for run, sets, want in (("amp-default", SMALL_SET, "bf16" if native else "fp32"),
                                ("amp-off", SMALL_SET + ["cpu_bf16=false"], "fp32")):
            proc, ev = run_train(self.args(run, 2, "--no-previews", sets=sets))
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertEqual(ev[0]["autocast"], want, run)
            self.assertEqual([e for e in ev if e["event"] == "done"][0]["compute"]["autocast"], want, run)
            self.assertEqual(self.state(run, "checkpoint.pt")["config"]["cpuBf16"], want == "bf16", run)
        if native:   # the two runs computed differently, from the same draws
            a, b = self.state("amp-default")["state"], self.state("amp-off")["state"]
            self.assertFalse(all(torch.equal(a[k], b[k]) for k in a))

    def test_a_short_run_spends_at_most_a_third_of_its_steps_in_the_warm_up_and_a_resume_keeps_that(self):
        sets = SMALL_SET + ["high_noise_steps=1000"]
        proc, ev = run_train(self.args("short-warm", 6, "--no-previews", sets=sets))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(ev[0]["warmUpSteps"], 2)
        self.assertEqual(self.state("short-warm", "checkpoint.pt")["config"]["warmUpSteps"], 2)
        # continued to 9 steps, the run keeps the 2 warm-up steps it started with (a third of 9 would be 3)
        proc, ev = run_train(self.args("short-warm", 9, "--no-previews", "--resume", sets=[]))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(ev[0]["warmUpSteps"], 2)

    def test_the_autoencoder_trains_on_clips_of_vae_frames(self):
        seen, loss = [], VideoAutoencoder.loss

        def spy(vae, video, generator=None, decoder_only=False):
            seen.append((video.shape[2], decoder_only))
            return loss(vae, video, generator, decoder_only)

        events = io.StringIO()
        with mock.patch.object(VideoAutoencoder, "loss", spy), contextlib.redirect_stdout(events):
            rc = train.main(self.args("vae-frames", 4, "--no-previews", preset="small",
                                      sets=LATENT_SET + ["frames=9", "vae_frames=5", "vae_dec_steps=1"]))
        self.assertEqual(rc, 0, events.getvalue())
        # two autoencoder steps on 5 of the clips' 9 frames, a denoiser step, then the decoder alone on all 9
        self.assertEqual(seen, [(5, False), (5, False), (9, True)])

    def test_ddp_with_gloo_on_two_processes_matches_one_process(self):
        # in fp32: bf16 rounds each half batch's activations on its own, which no tolerance of 1e-5 survives
        fp32 = SMALL_SET + ["cpu_bf16=false"]
        proc, _ = run_train(self.args("one", 2, sets=fp32))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        proc, ev = run_train(self.args("two", 2, sets=fp32), world=2)
        self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
        self.assertEqual(ev[0]["world"], 2)
        a, b = self.state("one", "checkpoint.pt")["model"], self.state("two", "checkpoint.pt")["model"]
        for k in a:
            self.assertTrue(torch.allclose(a[k], b[k], atol=1e-5), k)

    def test_init_from_full_and_lora_keep_vocab_and_record_lineage(self):
        proc, _ = run_train(self.args("base", 2))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        base = os.path.join(self.tmp, "base", "model.pt")
        lineage = os.path.join(self.tmp, "lineage.json")
        with open(lineage, "w") as f:
            json.dump({"datasets": [{"id": "ds_fixture", "merkleRoot": "r"}], "bases": [{"modelId": "m0", "card": {}}]}, f)
        no_warm_up = [s for s in SMALL_SET if not s.startswith("high_noise_")]
        for mode, extra, sets in (("ft", [], no_warm_up), ("lora", ["--lora", "4"], SMALL_SET)):
            proc, ev = run_train(self.args(mode, 2, "--init-from", base, "--lineage", lineage, *extra, sets=sets))
            self.assertEqual(proc.returncode, 0, proc.stderr)
            st = self.state(mode)
            self.assertEqual(st["vocab"][: len(self.state("base")["vocab"])], self.state("base")["vocab"])
            self.assertEqual(st["lineage"]["bases"][0]["modelId"], "m0")
            # the base's t = 1 warm-up is not repeated unless asked for with --set
            self.assertEqual(self.state("base")["preset"]["high_noise_steps"], 2)
            self.assertEqual(st["preset"]["high_noise_steps"], 0 if sets is no_warm_up else 2)
            self.assertFalse(any("lora_" in k for k in st["state"]))
            m, tok, _ = load(os.path.join(self.tmp, mode, "model.pt"))
        # a fine-tune may change how it trains, not the shape it inherits; naming the same value is no change
        proc, ev = run_train(self.args("ft-deeper", 2, "--init-from", base, "--lineage", lineage, sets=no_warm_up + ["depth=3"]))
        self.assertEqual(proc.returncode, 2, proc.stderr[-500:])
        self.assertEqual(ev[-1]["code"], "bad_preset")
        self.assertIn("--set depth=3: a fine-tune keeps its base's depth (1)", ev[-1]["message"])
        b = self.state("base")["state"]
        lo = self.state("lora")["state"]
        # LoRA leaves the embedding (not adapted) untouched and changes adapted linears only a little
        self.assertTrue(torch.equal(b["text.tok.weight"], lo["text.tok.weight"]))


class ExportTests(Fixture):
    def test_onnx_runtime_matches_pytorch(self):
        for label, name, sets in (("tiny", "tiny", SMALL_SET), ("small", "small", LATENT_SET),
                                  # the autoencoder's shortcut paths on the 4 frames' mean
                                  ("small-cut", "small", LATENT_SET + ["vae_shortcut=true"]),
                                  # an autoencoder that compresses space 2x with its shortcut paths (one frame of each
                                  # 4) and a latent shift and scale per channel, the denoiser's EDM preconditioning
                                  # and its convolutional head, told the caption (out_film), with a residual block (out_blocks)
                                  ("small-2x", "small", LATENT_SET + ["vae_space=2", "vae_shortcut=true", "vae_shortcut_frame=3",
                                                                      "precond=edm", "out_conv=8", "out_film=2", "out_blocks=1",
                                                                      "latent_norm=channel"])):
            run = os.path.join(self.tmp, f"exp-{label}")
            proc, _ = run_train(["--data", self.data, "--run-dir", run, "--preset", name, "--steps", "3",
                                 "--threads", "1", *sum([["--set", s] for s in sets], [])])
            self.assertEqual(proc.returncode, 0, proc.stderr)
            out, par = os.path.join(run, "onnx"), os.path.join(run, "parity")
            proc = subprocess.run([sys.executable, "-m", "trainer.export", "--model", os.path.join(run, "model.pt"),
                                   "--out", out, "--data", self.data, "--parity", par], cwd=ROOT, env=ENV,
                                  capture_output=True, text=True)
            self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
            meta = read_json(os.path.join(out, "model.json"))
            self.assertEqual(meta["formatVersion"], 1)
            if name == "small":
                self.assertEqual(meta["vae"]["spatialDownsample"], 2 if label == "small-2x" else 4)
            idx = read_json(os.path.join(out, "clip_index.json"))
            mat = np.fromfile(os.path.join(out, "clip_index.f32"), dtype="<f4").reshape(idx["count"], idx["dim"])
            self.assertTrue(np.allclose(np.linalg.norm(mat, axis=1), 1, atol=1e-5))
            node = subprocess.run(["node", os.path.join(ROOT, "trainer", "tests", "onnx_parity.mjs"), out, par],
                                  cwd=ROOT, capture_output=True, text=True)
            self.assertEqual(node.returncode, 0, node.stderr)
            res = json.loads(node.stdout)
            graphs = {"text_encoder", "denoiser"} | ({"vae_encoder", "vae_decoder"} if name == "small" else set())
            self.assertEqual(set(res), graphs)
            for g, r in res.items():
                # stated tolerance: 1e-4 absolute (measured ~2e-6 on the tiny denoiser)
                self.assertLess(r["maxAbs"], 1e-4, f"{label}/{g}: {r}")


if __name__ == "__main__":
    unittest.main()
