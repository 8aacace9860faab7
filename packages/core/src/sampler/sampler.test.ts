import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  checkGuidanceInterval, classifierFreeGuidance, extendFrom, guidanceAt, flowSchedule, gaussianNoise, holdKnownFrames, knownFrames, noiseTo,
  latentConditioningVideo, latentFrameGroup, sample, sampleEuler, sampleHeun, sizeOf, type VelocityModel, type VideoShape,
} from './index.js';

// Data x0 ~ N(mu, s²) element-wise. Under x_t = (1-t)x0 + t·n the marginal is N((1-t)mu, σ_t²) with
// σ_t² = (1-t)²s² + t², the exact velocity E[n - x0 | x_t] is affine in x, and the probability-flow
// ODE keeps (x - m_t)/σ_t fixed, so noise z at t = 1 lands exactly on mu + s·z at t = 0.
function gaussianVelocity(mu: Float32Array | number, s: number): VelocityModel {
  return async (x, t) => {
    const v = new Float32Array(x.length);
    const sigma2 = (1 - t) ** 2 * s * s + t * t;
    const k = (t - (1 - t) * s * s) / sigma2;
    for (let i = 0; i < x.length; i++) {
      const m = typeof mu === 'number' ? mu : mu[i]!;
      v[i] = -m + k * (x[i]! - (1 - t) * m);
    }
    return v;
  };
}

function exactEnd(mu: Float32Array | number, s: number, z: Float32Array): Float32Array {
  return z.map((zi, i) => (typeof mu === 'number' ? mu : mu[i]!) + s * zi);
}

function maxError(a: Float32Array, b: Float32Array): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i]! - b[i]!));
  return e;
}

const N = 512;
const mu = gaussianNoise(7, N).map((v) => 2 * v);
const s = 0.3;
const z = gaussianNoise(42, N);

describe('seeded noise', () => {
  it('gives the same values for the same seed and different values for another seed', () => {
    expect(gaussianNoise(123, 1000)).toEqual(gaussianNoise(123, 1000));
    expect(maxError(gaussianNoise(123, 1000), gaussianNoise(124, 1000))).toBeGreaterThan(1);
  });

  it('draws any slice exactly as the same slice of the whole (counter-based)', () => {
    fc.assert(
      fc.property(fc.nat(2 ** 40), fc.nat(200), fc.integer({ min: 1, max: 100 }), (seed, offset, count) => {
        const whole = gaussianNoise(seed, offset + count);
        expect(gaussianNoise(seed, count, offset)).toEqual(whole.subarray(offset));
      }),
      { numRuns: 50 },
    );
  });

  it('is standard normal: mean 0, variance 1, tails as expected', () => {
    const n = gaussianNoise(2026, 200_000);
    let sum = 0;
    let sq = 0;
    let beyond2 = 0;
    for (const v of n) {
      sum += v;
      sq += v * v;
      if (Math.abs(v) > 2) beyond2++;
    }
    const mean = sum / n.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(sq / n.length - mean * mean - 1)).toBeLessThan(0.02);
    expect(Math.abs(beyond2 / n.length - 0.0455)).toBeLessThan(0.003);
  });

  it('rejects seeds that are not non-negative integers', () => {
    expect(() => gaussianNoise(-1, 4)).toThrow(RangeError);
    expect(() => gaussianNoise(1.5, 4)).toThrow(RangeError);
  });
});

describe('flow schedule', () => {
  it('runs from start down to exactly 0, strictly decreasing, for any shift', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.double({ min: 0.05, max: 1, noNaN: true }), fc.double({ min: 0.2, max: 8, noNaN: true }), (steps, start, shift) => {
        const ts = flowSchedule(steps, { start, shift });
        expect(ts.length).toBe(steps + 1);
        expect(ts[0]).toBeCloseTo(start, 12);
        expect(ts[steps]).toBe(0);
        for (let i = 1; i < ts.length; i++) expect(ts[i]!).toBeLessThan(ts[i - 1]!);
      }),
    );
  });

  it('with shift > 1 spends more of the steps near noise', () => {
    const plain = flowSchedule(10);
    const shifted = flowSchedule(10, { shift: 3 });
    expect(shifted[5]!).toBeGreaterThan(plain[5]!);
  });
});

describe('samplers against the analytic Gaussian velocity', () => {
  const model = gaussianVelocity(mu, s);
  const exact = exactEnd(mu, s, z);

  it('Euler converges to the exact answer, about first order in the step count', async () => {
    const errs: number[] = [];
    for (const steps of [5, 10, 20, 40, 80]) errs.push(maxError(await sampleEuler(model, z, flowSchedule(steps)), exact));
    for (let i = 1; i < errs.length; i++) {
      expect(errs[i]!).toBeLessThan(errs[i - 1]!);
      // Halving h roughly halves a first-order method's error.
      expect(errs[i - 1]! / errs[i]!).toBeGreaterThan(1.6);
    }
    expect(errs.at(-1)!).toBeLessThan(0.05);
  });

  it('Heun is more accurate than Euler for the same steps and converges faster', async () => {
    const heunErrs: number[] = [];
    for (const steps of [10, 20, 40, 80]) {
      const ts = flowSchedule(steps);
      const euler = maxError(await sampleEuler(model, z, ts), exact);
      const heun = maxError(await sampleHeun(model, z, ts), exact);
      expect(heun).toBeLessThan(euler / 2);
      heunErrs.push(heun);
    }
    // Second order: halving h divides the error by about 4.
    for (let i = 1; i < heunErrs.length; i++) expect(heunErrs[i - 1]! / heunErrs[i]!).toBeGreaterThan(3);
    expect(heunErrs.at(-1)!).toBeLessThan(0.002);
  });

  it('Heun beats Euler even at equal model calls', async () => {
    const euler = maxError(await sampleEuler(model, z, flowSchedule(39)), exact);
    const heun = maxError(await sampleHeun(model, z, flowSchedule(20)), exact);
    expect(heun).toBeLessThan(euler);
  });

  it('reports every step and stops when aborted', async () => {
    const seen: number[] = [];
    await sample('heun', model, z, flowSchedule(6), { onStep: (i) => seen.push(i) });
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    const ac = new AbortController();
    const run = sampleEuler(model, z, flowSchedule(10), { signal: ac.signal, onStep: (i) => i === 3 && ac.abort(new Error('stop')) });
    await expect(run).rejects.toThrow('stop');
  });
});

describe('classifier-free guidance', () => {
  const muC = 1.5;
  const muU = -0.5;
  const pair = async (x: Float32Array, t: number) => ({ cond: await gaussianVelocity(muC, s)(x, t), uncond: await gaussianVelocity(muU, s)(x, t) });

  it('scale 1 is the conditional model and scale 0 the unconditional one', async () => {
    const ts = flowSchedule(30);
    const g1 = await sampleHeun(classifierFreeGuidance(pair, 1), z, ts);
    const g0 = await sampleHeun(classifierFreeGuidance(pair, 0), z, ts);
    expect(maxError(g1, exactEnd(muC, s, z))).toBeLessThan(0.01);
    expect(maxError(g0, exactEnd(muU, s, z))).toBeLessThan(0.01);
  });

  it('scale above 1 pushes the sample further from the unconditional mean', async () => {
    const ts = flowSchedule(30);
    const mean = (a: Float32Array) => a.reduce((p, v) => p + v, 0) / a.length;
    const g1 = mean(await sampleHeun(classifierFreeGuidance(pair, 1), z, ts));
    const g3 = mean(await sampleHeun(classifierFreeGuidance(pair, 3), z, ts));
    expect(g3).toBeGreaterThan(g1 + 0.5);
  });

  it('with an interval, guides where lo < t <= hi and follows the conditional model elsewhere', async () => {
    const ts = flowSchedule(20);
    // Guided only on (0.2, 0.8]: the same as a velocity that switches scale by hand at those times.
    const byHand: VelocityModel = async (x, t) => {
      const { cond, uncond } = await pair(x, t);
      const g = t > 0.2 + 1e-6 && t < 0.8 + 1e-6 ? 3 : 1;
      return cond.map((c, i) => uncond[i]! + g * (c - uncond[i]!));
    };
    const limited = await sampleEuler(classifierFreeGuidance(pair, 3, { interval: { lo: 0.2, hi: 0.8 } }), z, ts);
    expect(maxError(limited, await sampleEuler(byHand, z, ts))).toBeLessThan(1e-6);
    const full = await sampleEuler(classifierFreeGuidance(pair, 3), z, ts);
    const alone = await sampleEuler(classifierFreeGuidance(pair, 1), z, ts);
    expect(maxError(limited, full)).toBeGreaterThan(0.1);
    expect(maxError(limited, alone)).toBeGreaterThan(0.1);
    // An interval no step falls in is the conditional model alone.
    expect(maxError(await sampleEuler(classifierFreeGuidance(pair, 3, { interval: { lo: 0.99, hi: 0.999 } }), z, ts), alone)).toBeLessThan(1e-6);
  });

  it('calls only the conditional branch outside the interval when one is given', async () => {
    const seen: string[] = [];
    const counted: typeof pair = async (x, t) => (seen.push(`pair ${t.toFixed(2)}`), pair(x, t));
    const conditional: VelocityModel = async (x, t) => (seen.push(`cond ${t.toFixed(2)}`), gaussianVelocity(muC, s)(x, t));
    await sampleEuler(classifierFreeGuidance(counted, 3, { interval: { lo: 0.2, hi: 0.8 }, conditional }), z, flowSchedule(5));
    expect(seen).toEqual(['cond 1.00', 'pair 0.80', 'pair 0.60', 'pair 0.40', 'cond 0.20']);
    expect([0.2, 0.21, 0.8, 0.81].map((t) => guidanceAt(t, 3, { lo: 0.2, hi: 0.8 }))).toEqual([1, 3, 3, 1]);
  });

  it('refuses an interval that is empty or outside [0, 1]', () => {
    for (const [lo, hi] of [[0.5, 0.5], [0.8, 0.2], [-0.1, 0.5], [0.2, 1.5], [Number.NaN, 1]]) {
      const bad = { lo: lo!, hi: hi! };
      expect(() => checkGuidanceInterval(bad)).toThrow(/guidance interval must satisfy 0 <= lo < hi <= 1/);
      expect(() => classifierFreeGuidance(pair, 3, { interval: bad })).toThrow(RangeError);
    }
  });
});

describe('masked-frame conditioning', () => {
  const shape: VideoShape = { channels: 3, frames: 8, height: 4, width: 5 };
  const frame = (v: number) => new Float32Array(3 * 4 * 5).fill(v);
  const plane = 20;
  const at = (x: Float32Array, ch: number, f: number) => x.subarray((ch * 8 + f) * plane, (ch * 8 + f + 1) * plane);

  it('places known frames in cond and marks them, leaving the rest zero', () => {
    const c = knownFrames(shape, [{ index: 0, data: frame(0.25) }, { index: 7, data: frame(-0.5) }]);
    expect([...c.frameMask]).toEqual([1, 0, 0, 0, 0, 0, 0, 1]);
    for (let ch = 0; ch < 3; ch++) {
      expect([...at(c.cond, ch, 0)].every((v) => v === 0.25)).toBe(true);
      expect([...at(c.cond, ch, 7)].every((v) => v === -0.5)).toBe(true);
      expect([...at(c.cond, ch, 3)].every((v) => v === 0)).toBe(true);
    }
    expect(() => knownFrames(shape, [{ index: 8, data: frame(0) }])).toThrow(RangeError);
  });

  it('holds known frames along the path so they come out exactly (interpolation)', async () => {
    const c = knownFrames(shape, [{ index: 0, data: frame(0.25) }, { index: 7, data: frame(-0.5) }]);
    const noise = gaussianNoise(9, sizeOf(shape));
    const out = await sampleHeun(gaussianVelocity(0, 0.5), noise, flowSchedule(8), { constrain: holdKnownFrames(shape, c, noise) });
    for (let ch = 0; ch < 3; ch++) {
      expect(maxError(at(out, ch, 0), frame(0.25).subarray(0, plane))).toBeLessThan(1e-6);
      expect(maxError(at(out, ch, 7), frame(-0.5).subarray(0, plane))).toBeLessThan(1e-6);
    }
  });

  it('extend takes the last frames of the clip as the first frames of the new one', () => {
    const clipFrames = 5;
    const clip = new Float32Array(3 * clipFrames * plane);
    for (let ch = 0; ch < 3; ch++) for (let f = 0; f < clipFrames; f++) clip.fill(10 * ch + f, (ch * clipFrames + f) * plane, (ch * clipFrames + f + 1) * plane);
    const c = extendFrom(shape, clip, clipFrames, 2);
    expect([...c.frameMask]).toEqual([1, 1, 0, 0, 0, 0, 0, 0]);
    expect(at(c.cond, 1, 0)[0]).toBe(13);
    expect(at(c.cond, 1, 1)[0]).toBe(14);
    expect(at(c.cond, 2, 1)[0]).toBe(24);
  });

  it('restyle keeps more of the input the lower the strength', async () => {
    const model = gaussianVelocity(mu, s);
    const input = exactEnd(mu, s, gaussianNoise(5, N));
    const noise = gaussianNoise(6, N);
    const dist: number[] = [];
    for (const strength of [0.1, 0.4, 0.7, 1]) {
      const out = await sampleHeun(model, noiseTo(input, noise, strength), flowSchedule(20, { start: strength }));
      let d = 0;
      for (let i = 0; i < N; i++) d += (out[i]! - input[i]!) ** 2;
      dist.push(Math.sqrt(d / N));
    }
    for (let i = 1; i < dist.length; i++) expect(dist[i]!).toBeGreaterThan(dist[i - 1]!);
    // Strength 1 forgets the input (an independent draw); strength 0.1 keeps most of it.
    expect(dist[0]!).toBeLessThan(0.3 * dist[3]!);
  });

  it('the same seed gives the same sample; another seed a different one', async () => {
    const model = gaussianVelocity(mu, s);
    const run = (seed: number) => sampleHeun(model, gaussianNoise(seed, N), flowSchedule(10));
    expect(await run(11)).toEqual(await run(11));
    expect(maxError(await run(11), await run(12))).toBeGreaterThan(0.1);
  });
});

describe('latent conditioning (causal autoencoder groups)', () => {
  it('groups pixel frames as G(0) = {0}, G(j) = {4j-3..4j}', () => {
    expect(latentFrameGroup(0, 4)).toEqual([0]);
    expect(latentFrameGroup(1, 4)).toEqual([1, 2, 3, 4]);
    expect(latentFrameGroup(3, 4)).toEqual([9, 10, 11, 12]);
  });
  it('fills a given group with the nearest given frame and marks that latent frame', () => {
    const f = (v: number) => new Float32Array(3 * 2 * 2).fill(v);
    const { video, givenLatent } = latentConditioningVideo([{ index: 0, data: f(1) }, { index: 12, data: f(-1) }, { index: 10, data: f(0.5) }], 13, 2, 2, 4);
    expect(givenLatent).toEqual([0, 3]);
    const frame = (i: number) => video[(0 * 13 + i) * 4];
    expect([frame(0), frame(1), frame(9), frame(10), frame(11), frame(12)]).toEqual([1, 0, 0.5, 0.5, 0.5, -1]);
  });
});
