import { expect, test } from 'vitest';
import { ShotAnalyser } from './analyser.js';
import { perceptualHash } from './phash.js';

// The analyser copies each frame's Y plane and reuses those copies once a frame is neither held nor a
// keyframe candidate. A copy reused too early would be overwritten by a frame hundreds of frames
// later, from another shot: the pHash of the reported keyframe would then not be that frame's.

const W = 64;
const H = 36;

/**
 * A seeded noise texture twice the frame's width over a brightness of its own (so that shots are cut
 * apart), scrolled one pixel a frame: every frame differs.
 */
function texture(seed: number, level: number): Uint8Array {
  const t = new Uint8Array(2 * W * H);
  let s = seed >>> 0;
  for (let i = 0; i < t.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    t[i] = level + ((s >>> 24) - 128) * 0.4;
  }
  // Smooth it a little along rows so the scroll reads as motion rather than as noise.
  for (let r = 0; r < H; r++) for (let x = 1; x < 2 * W; x++) t[r * 2 * W + x] = (t[r * 2 * W + x]! + t[r * 2 * W + x - 1]!) >> 1;
  return t;
}

function frameY(tex: Uint8Array, offset: number): Uint8Array {
  const y = new Uint8Array(W * H);
  for (let r = 0; r < H; r++) for (let x = 0; x < W; x++) y[r * W + x] = tex[r * 2 * W + ((x + offset) % (2 * W))]!;
  return y;
}

test('each shot keeps its own keyframe pixels while the Y copies are reused across a long stream', () => {
  const shotLength = 300; // long enough that keyframe candidates are thinned several times
  const textures = [40, 200, 90, 170, 60, 220].map((level, i) => texture(11 * (i + 1), level));
  const analyser = new ShotAnalyser(W, H, 1 / 24);
  // The caller reuses one buffer for every frame, as the ffmpeg adapter may.
  const y = new Uint8Array(W * H);
  const u = new Uint8Array((W * H) / 4).fill(128);
  const v = new Uint8Array((W * H) / 4).fill(128);
  const truth: Uint8Array[] = [];
  textures.forEach((tex, s) => {
    for (let i = 0; i < shotLength; i++) {
      const f = frameY(tex, i);
      truth.push(f);
      y.set(f);
      analyser.push({ width: W, height: H, y, u, v }, (s * shotLength + i) / 24);
    }
  });
  const shots = analyser.finish();
  expect(shots.map((s) => s.startFrame)).toEqual(textures.map((_, s) => s * shotLength));
  for (const shot of shots) {
    expect(shot.keyframe).toBeGreaterThanOrEqual(shot.startFrame);
    expect(shot.keyframe).toBeLessThanOrEqual(shot.endFrame);
    expect(shot.phash).toBe(perceptualHash(truth[shot.keyframe]!, W, H));
  }
  // The hashes tell the shots apart, so a keyframe overwritten by another shot's frame would show.
  expect(new Set(shots.map((s) => s.phash)).size).toBe(shots.length);
});
