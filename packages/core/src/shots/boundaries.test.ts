import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { FrameFeatureExtractor, MAX_LAG, type AnalysisFrame, type FrameFeatures } from './features.js';
import { detectShotBoundaries, ShotBoundaryDetector, BOUNDARY_DELAY, type Boundary } from './boundaries.js';

// Synthetic footage at analysis size: each shot is a random smooth picture that drifts (motion) and
// carries noise; transitions are made exactly as an editor's tool would: linear mixes, sweeps, dips.
const W = 64;
const H = 36;

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) % 1_000_000) / 1_000_000;
  };
}

interface Picture {
  y: Float32Array;
  u: Float32Array;
  v: Float32Array;
}

const textures = new Map<number, Picture>();

/** A shot's texture: random soft blobs on a base colour, three frames wide so that it can pan. */
function texture(seed: number): Picture {
  const cached = textures.get(seed);
  if (cached) return cached;
  const r = rng(seed);
  const TW = W * 3;
  const blobs = Array.from({ length: 12 }, () => ({ x: r() * TW, y: r() * H, rad: 6 + r() * 14, l: 30 + r() * 200, u: 60 + r() * 136, v: 60 + r() * 136 }));
  const base = { l: 40 + r() * 150, u: 100 + r() * 56, v: 100 + r() * 56 };
  const y = new Float32Array(TW * H);
  const u = new Float32Array(TW * H);
  const v = new Float32Array(TW * H);
  for (let py = 0; py < H; py++)
    for (let px = 0; px < TW; px++) {
      let l = base.l;
      let cu = base.u;
      let cv = base.v;
      for (const b of blobs) {
        const w = Math.max(0, 1 - Math.hypot(px - b.x, py - b.y) / b.rad);
        l += (b.l - l) * w;
        cu += (b.u - cu) * w;
        cv += (b.v - cv) * w;
      }
      y[py * TW + px] = l;
      u[py * TW + px] = cu;
      v[py * TW + px] = cv;
    }
  const t = { y, u, v };
  textures.set(seed, t);
  return t;
}

/** A shot's frame: its texture panned by `drift` pixels per frame (back and forth). */
function shotPicture(seed: number, frame: number, drift: number): Picture {
  const t = texture(seed);
  const TW = W * 3;
  const travel = 2 * W;
  const pos = (frame * drift) % (2 * travel);
  const off = pos > travel ? 2 * travel - pos : pos;
  const x0 = Math.floor(off);
  const fr = off - x0;
  const at = (plane: Float32Array, px: number, py: number) => plane[py * TW + x0 + px]! * (1 - fr) + plane[py * TW + Math.min(TW - 1, x0 + px + 1)]! * fr;
  const y = new Float32Array(W * H);
  const u = new Float32Array((W / 2) * (H / 2));
  const v = new Float32Array((W / 2) * (H / 2));
  for (let py = 0; py < H; py++) for (let px = 0; px < W; px++) y[py * W + px] = at(t.y, px, py);
  for (let py = 0; py < H / 2; py++)
    for (let px = 0; px < W / 2; px++) {
      u[py * (W / 2) + px] = at(t.u, px * 2, py * 2);
      v[py * (W / 2) + px] = at(t.v, px * 2, py * 2);
    }
  return { y, u, v };
}

const BLACK: Picture = { y: new Float32Array(W * H).fill(16), u: new Float32Array((W * H) / 4).fill(128), v: new Float32Array((W * H) / 4).fill(128) };

function mixPictures(a: Picture, b: Picture, t: number): Picture {
  const m = (x: Float32Array, z: Float32Array) => x.map((val, i) => val * (1 - t) + z[i]! * t);
  return { y: m(a.y, b.y), u: m(a.u, b.u), v: m(a.v, b.v) };
}

/** Left-to-right sweep: columns left of t*W show b. */
function wipePictures(a: Picture, b: Picture, t: number): Picture {
  const edge = t * W;
  const pick = (x: Float32Array, z: Float32Array, w: number) => x.map((val, i) => ((i % w) * (W / w) < edge ? z[i]! : val));
  return { y: pick(a.y, b.y, W), u: pick(a.u, b.u, W / 2), v: pick(a.v, b.v, W / 2) };
}

/** The picture pushed a share `level` of the way toward white (a flash as the demo films render it). */
function towardWhite(p: Picture, level: number): Picture {
  const mix = (x: Float32Array, white: number) => x.map((val) => val + level * (white - val));
  return { y: mix(p.y, 255), u: mix(p.u, 128), v: mix(p.v, 128) };
}

function toFrame(p: Picture, noise: () => number, flash = 0): AnalysisFrame {
  const q = (x: Float32Array, isLuma: boolean) =>
    Uint8Array.from(x, (val) => Math.max(0, Math.min(255, Math.round((isLuma ? val * (1 + flash) + 90 * flash : val) + (noise() - 0.5) * 4))));
  return { width: W, height: H, y: q(p.y, true), u: q(p.u, false), v: q(p.v, false) };
}

export type SyntheticTransition = { kind: 'cut' } | { kind: 'dissolve' | 'wipe' | 'fade'; frames: number };

/** Renders shots joined by transitions and returns the features plus the true boundaries. */
function render(shots: Array<{ frames: number; drift: number; flashes?: number[]; fadingFlash?: { at: number; levels: number[] } }>, transitions: SyntheticTransition[], seed = 1): { features: FrameFeatures[]; truth: Boundary[] } {
  const ex = new FrameFeatureExtractor(W, H);
  const noise = rng(seed * 7919);
  const features: FrameFeatures[] = [];
  const truth: Boundary[] = [];
  const picture = (shot: number, f: number) => shotPicture(seed * 1000 + shot, f, shots[shot]!.drift);
  let n = 0;
  const emit = (p: Picture, flash = 0) => {
    features.push(ex.push(toFrame(p, noise, flash)));
    n++;
  };
  shots.forEach((shot, i) => {
    const t = transitions[i - 1];
    let first = 0;
    if (t && t.kind !== 'cut') {
      // The transition's frames replace the start of this shot; the first is already partly the new shot.
      for (let k = 1; k <= t.frames; k++) {
        const p = k / (t.frames + 1);
        const a = picture(i - 1, shots[i - 1]!.frames + k);
        const b = picture(i, k);
        if (k === 1) truth.push({ kind: t.kind, frame: n, end: n + t.frames });
        if (t.kind === 'dissolve') emit(mixPictures(a, b, p));
        else if (t.kind === 'wipe') emit(wipePictures(a, b, p));
        else emit(p < 0.5 ? mixPictures(a, BLACK, p * 2) : mixPictures(BLACK, b, p * 2 - 1));
      }
      first = t.frames + 1;
    } else if (t) truth.push({ kind: 'cut', frame: n, end: n });
    for (let f = first; f < shot.frames; f++) {
      const fading = shot.fadingFlash?.levels[f - shot.fadingFlash.at];
      if (fading !== undefined) emit(towardWhite(picture(i, f), fading));
      else emit(picture(i, f), shot.flashes?.includes(f) ? 1.2 : 0);
    }
  });
  return { features, truth };
}

/**
 * Fraction of the picture's blocks that clearly change between two shots (the detector's own cover
 * measure across a cut). A gradual transition must change at least half the picture (gradualCoverMin:
 * titles and people entering change less), so recovery is only promised above that, with a margin.
 */
function shotContrast(a: number, b: number, seed: number): number {
  const ex = new FrameFeatureExtractor(W, H);
  const noise = rng(seed);
  let last: FrameFeatures | null = null;
  for (let f = 0; f < 16; f++) last = ex.push(toFrame(shotPicture(f < 8 ? a : b, 0, 0), noise));
  return last!.cover[8]!;
}

function matches(found: Boundary[], truth: Boundary[]): { missed: Boundary[]; extra: Boundary[] } {
  const used = new Set<number>();
  const missed: Boundary[] = [];
  for (const t of truth) {
    const i = found.findIndex((f, j) => !used.has(j) && (f.kind === 'cut') === (t.kind === 'cut') && (t.kind === 'cut' ? Math.abs(f.frame - t.frame) <= 1 : f.frame >= t.frame - 3 && f.frame <= t.end + 3));
    if (i < 0) missed.push(t);
    else used.add(i);
  }
  return { missed, extra: found.filter((_, j) => !used.has(j)) };
}

describe('shot boundary decision on synthetic frame sequences', () => {
  test('finds a hard cut exactly at the first frame of the new shot', () => {
    const { features, truth } = render([{ frames: 40, drift: 0.3 }, { frames: 40, drift: 0.3 }], [{ kind: 'cut' }]);
    expect(detectShotBoundaries(features)).toEqual(truth);
  });

  test('a dissolve, a wipe and a dip to black are found as gradual transitions of their kind', () => {
    const { features, truth } = render(
      [{ frames: 50, drift: 0.2 }, { frames: 60, drift: 0.2 }, { frames: 60, drift: 0 }, { frames: 50, drift: 0.2 }],
      [{ kind: 'dissolve', frames: 16 }, { kind: 'wipe', frames: 12 }, { kind: 'fade', frames: 20 }],
    );
    const found = detectShotBoundaries(features);
    expect(matches(found, truth)).toEqual({ missed: [], extra: [] });
    expect(found.map((b) => b.kind)).toEqual(['dissolve', 'wipe', 'fade']);
  });

  test('a slow, low-contrast dissolve between still shots is found (its steps hardly rise above the grain)', () => {
    // Found by the property below (seed 6450): an 18-frame dissolve whose per-frame change is a third of the noise.
    const { features, truth } = render([{ frames: 45, drift: 0 }, { frames: 45, drift: 0 }, { frames: 45, drift: 0 }], [{ kind: 'dissolve', frames: 8 }, { kind: 'dissolve', frames: 18 }], 6450);
    expect(detectShotBoundaries(features)).toEqual(truth);
  });

  test('a dip to black whose fade in starts dark and slow is one fade', () => {
    // Found by the property below (seed 6885): the fade in's first steps out of black hid under the grain.
    const { features, truth } = render([{ frames: 71, drift: 0 }, { frames: 45, drift: 0 }], [{ kind: 'fade', frames: 33 }], 6885);
    expect(detectShotBoundaries(features)).toEqual(truth);
  });

  test('camera flashes (one to three bright frames) inside a shot are not cuts', () => {
    const { features } = render([{ frames: 120, drift: 0.4, flashes: [20, 50, 51, 80, 81, 82] }], []);
    expect(detectShotBoundaries(features)).toEqual([]);
  });

  test('a flash that dies away over a few frames in a moving shot is not a gradual transition', () => {
    // A photographer's flash: bright at once, then fading back over two or three frames. A window
    // that starts on the bright frame sees a smooth, monotonic change to a different (moved) picture.
    // (A four-frame flash during a fast pan stays a known limit: the cut test looks 4 frames ahead.)
    for (const drift of [0.4, 1, 3]) {
      for (const levels of drift < 3 ? [[0.9, 0.55, 0.25], [0.85, 0.85, 0.5, 0.2], [0.95, 0.4]] : [[0.9, 0.55, 0.25], [0.95, 0.4]]) {
        const { features } = render([{ frames: 120, drift, fadingFlash: { at: 50, levels } }], []);
        expect(detectShotBoundaries(features), `drift ${drift}, flash ${levels.join('/')}`).toEqual([]);
      }
    }
  });

  test('steady fast motion is not a transition', () => {
    const { features } = render([{ frames: 150, drift: 3 }], []);
    expect(detectShotBoundaries(features)).toEqual([]);
  });

  test('a completely static shot and a black shot give no boundary inside them', () => {
    const { features } = render([{ frames: 100, drift: 0 }], []);
    expect(detectShotBoundaries(features)).toEqual([]);
    const ex = new FrameFeatureExtractor(W, H);
    const noise = rng(3);
    const black = Array.from({ length: 80 }, () => ex.push(toFrame(BLACK, noise)));
    expect(detectShotBoundaries(black)).toEqual([]);
  });

  test('a short wipe after a long still shot starts where the wipe starts, not where a long window reaching into it does', () => {
    // Windows of 48 and 64 frames that end a few frames into the wipe pass the gradual tests too;
    // picked on their own they moved the start 20 to 44 frames early in these cases (before 2026-12-05).
    for (const [frames, seed] of [[8, 2], [12, 2], [12, 5], [16, 2], [16, 4]] as const) {
      const { features, truth } = render([{ frames: 100, drift: 0 }, { frames: 100, drift: 0 }], [{ kind: 'wipe', frames }], seed);
      const found = detectShotBoundaries(features);
      expect(found, `${frames}-frame wipe, seed ${seed}`).toHaveLength(1);
      expect(found[0]!.kind).toBe('wipe');
      expect(Math.abs(found[0]!.frame - truth[0]!.frame), `${frames}-frame wipe, seed ${seed}: ${JSON.stringify(found)}`).toBeLessThanOrEqual(3);
    }
  });

  test('decisions are final after BOUNDARY_DELAY frames and equal the whole-sequence answer', () => {
    const { features } = render([{ frames: 60, drift: 0.2 }, { frames: 70, drift: 0.2 }, { frames: 400, drift: 0.1 }], [{ kind: 'cut' }, { kind: 'dissolve', frames: 12 }]);
    const d = new ShotBoundaryDetector();
    const streamed: Boundary[] = [];
    for (const f of features) {
      for (const b of d.push(f)) {
        expect(b.frame).toBeLessThanOrEqual(f.index - BOUNDARY_DELAY + 1 + 0);
        streamed.push(b);
      }
    }
    streamed.push(...d.finish());
    expect(streamed).toEqual(detectShotBoundaries(features));
    expect(streamed.length).toBe(2);
    expect(MAX_LAG).toBeLessThan(BOUNDARY_DELAY);
  });

  test('an isolated spike in frame difference whose picture comes back is not a cut', () => {
    // Hand-made feature sequence: steady shot, one frame very different from both neighbours.
    const seq: FrameFeatures[] = [];
    for (let i = 0; i < 40; i++) {
      const diff = new Float64Array(MAX_LAG + 1).fill(NaN);
      for (const k of [1, 2, 3, 4, 5, 6]) if (i - k >= 0) diff[k] = i === 20 || i - k === 20 ? 80 : 2;
      const empty = new Float64Array(MAX_LAG + 1).fill(NaN);
      seq.push({ index: i, meanLuma: 100, brightFraction: 1, sharpness: 100, motion: 2, histDiff: i === 20 || i === 21 ? 0.5 : 0.01, diff, mix: empty, split: empty, cover: empty, corr: empty, blocks: new Float32Array(0) });
    }
    expect(detectShotBoundaries(seq)).toEqual([]);
    // The same spike where the picture does not come back is a cut.
    const cut = seq.map((f) => {
      const diff = f.diff.map((v, k) => (Number.isNaN(v) ? v : f.index >= 20 && f.index - k < 20 ? 80 : 2));
      return { ...f, diff, histDiff: f.index === 20 ? 0.5 : 0.01 };
    });
    expect(detectShotBoundaries(cut)).toEqual([{ kind: 'cut', frame: 20, end: 20 }]);
  });
});

describe('shot boundary decision, properties', () => {
  const transition = fc.oneof(
    fc.constant<SyntheticTransition>({ kind: 'cut' }),
    fc.record({ kind: fc.constantFrom('dissolve' as const, 'wipe' as const), frames: fc.integer({ min: 8, max: 30 }) }),
    // A dip to black: half out, half in, each half at least 8 frames.
    fc.record({ kind: fc.constant('fade' as const), frames: fc.integer({ min: 16, max: 40 }) }),
  );
  // Recovery is asserted for static and slowly panning shots (0.2 px per frame at 64 px wide: across
  // the frame in about 13 s); gradual transitions between faster-moving shots are a known limit
  // (docs/shots.md), so faster motion is only used for the structural property.
  const shot = fc.record({ frames: fc.integer({ min: 45, max: 90 }), drift: fc.constantFrom(0, 0.2), flashes: fc.option(fc.constant([30]), { nil: undefined }) });
  const anyShot = fc.record({ frames: fc.integer({ min: 45, max: 90 }), drift: fc.constantFrom(0, 0.2, 0.5, 1, 3), flashes: fc.option(fc.constant([30]), { nil: undefined }) });

  test('every edit made of random shots and transitions is recovered: cuts to ±1 frame, gradual within ±3 of their span, nothing extra', () => {
    fc.assert(
      fc.property(fc.array(shot, { minLength: 2, maxLength: 5 }), fc.array(transition, { minLength: 4, maxLength: 4 }), fc.integer({ min: 1, max: 10_000 }), (shots, ts, seed) => {
        for (let i = 1; i < shots.length; i++) {
          // Each shot is seen settled for a second (24 frames) after the transition into it, and
          // differs from the one before over most of the picture.
          const t = ts[i - 1]!;
          fc.pre(shots[i]!.frames - (t.kind === 'cut' ? 0 : t.frames + 1) >= 24);
          fc.pre(shotContrast(seed * 1000 + i - 1, seed * 1000 + i, seed) >= 0.6);
        }
        const { features, truth } = render(shots, ts.slice(0, shots.length - 1), seed);
        const found = detectShotBoundaries(features);
        expect(matches(found, truth)).toEqual({ missed: [], extra: [] });
      }),
      // A fixed seed keeps CI repeatable. A longer random search (BACKLOT_FC_RUNS=300 BACKLOT_FC_SEED=$RANDOM)
      // still finds the known limits listed in docs/shots.md; use it when changing the detector.
      { numRuns: Number(process.env.BACKLOT_FC_RUNS ?? 12), seed: Number(process.env.BACKLOT_FC_SEED ?? 20261202) },
    );
  });

  test('boundaries come out in frame order, each inside the film, gradual ones with end >= frame', () => {
    fc.assert(
      fc.property(fc.array(anyShot, { minLength: 1, maxLength: 4 }), fc.array(transition, { minLength: 3, maxLength: 3 }), fc.integer({ min: 1, max: 10_000 }), (shots, ts, seed) => {
        const { features } = render(shots, ts.slice(0, shots.length - 1), seed);
        const found = detectShotBoundaries(features);
        for (let i = 0; i < found.length; i++) {
          const b = found[i]!;
          expect(b.frame).toBeGreaterThan(0);
          expect(b.end).toBeGreaterThanOrEqual(b.frame);
          expect(b.end).toBeLessThan(features.length);
          if (i) expect(b.frame).toBeGreaterThan(found[i - 1]!.frame);
        }
      }),
      { numRuns: 8 },
    );
  });
});
