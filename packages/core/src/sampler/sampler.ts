// Rectified-flow samplers written like k-diffusion's: small functions of (model, noise, schedule).
// The model is any async velocity field v(x, t); ONNX, a test's analytic Gaussian, or a guided pair.

/** v(x, t) = dx/dt under x_t = (1-t)·x0 + t·noise. Must not modify x. */
export type VelocityModel = (x: Float32Array, t: number) => Promise<Float32Array>;

export interface SampleOptions {
  /** Called after each step, with the step just finished (1-based) and the step count. */
  onStep?: (step: number, steps: number, t: number) => void;
  /** Checked between model calls; aborting throws the signal's reason. */
  signal?: AbortSignal;
  /**
   * Runs on the new state after each step, in place, at the new time: how known frames are kept
   * (see conditioning.ts). Not called on the input state.
   */
  constrain?: (x: Float32Array, t: number) => void;
}

export type SamplerName = 'euler' | 'heun';

/** x + h·v, as a new array. */
function stepAlong(x: Float32Array, v: Float32Array, h: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! + h * v[i]!;
  return out;
}

function checkVelocity(v: Float32Array, x: Float32Array): void {
  if (v.length !== x.length) throw new Error(`velocity has ${v.length} values for a state of ${x.length}`);
}

/** First-order Euler: one model call per step. `x` is the state at schedule[0] (noise, or a noised clip). */
export async function sampleEuler(model: VelocityModel, x: Float32Array, schedule: ArrayLike<number>, opts: SampleOptions = {}): Promise<Float32Array> {
  const steps = schedule.length - 1;
  let cur = x;
  for (let i = 0; i < steps; i++) {
    opts.signal?.throwIfAborted();
    const t = schedule[i]!;
    const tNext = schedule[i + 1]!;
    const v = await model(cur, t);
    checkVelocity(v, cur);
    cur = stepAlong(cur, v, tNext - t);
    opts.constrain?.(cur, tNext);
    opts.onStep?.(i + 1, steps, tNext);
  }
  return cur;
}

/**
 * Heun's second-order method (Karras et al. 2022, Alg. 1): an Euler predictor, then the average of the
 * slopes at both ends. The step into t = 0 stays Euler, as in k-diffusion: exported denoisers must not
 * be called at t = 0 (docs/model-format.md). One Euler step's error is O(h²), so the method stays
 * second order overall.
 */
export async function sampleHeun(model: VelocityModel, x: Float32Array, schedule: ArrayLike<number>, opts: SampleOptions = {}): Promise<Float32Array> {
  const steps = schedule.length - 1;
  let cur = x;
  for (let i = 0; i < steps; i++) {
    opts.signal?.throwIfAborted();
    const t = schedule[i]!;
    const tNext = schedule[i + 1]!;
    const h = tNext - t;
    const v = await model(cur, t);
    checkVelocity(v, cur);
    let next = stepAlong(cur, v, h);
    if (tNext > 0) {
      opts.constrain?.(next, tNext);
      opts.signal?.throwIfAborted();
      const v2 = await model(next, tNext);
      checkVelocity(v2, cur);
      for (let k = 0; k < cur.length; k++) next[k] = cur[k]! + (h / 2) * (v[k]! + v2[k]!);
    }
    opts.constrain?.(next, tNext);
    cur = next;
    opts.onStep?.(i + 1, steps, tNext);
  }
  return cur;
}

export function sample(name: SamplerName, model: VelocityModel, x: Float32Array, schedule: ArrayLike<number>, opts: SampleOptions = {}): Promise<Float32Array> {
  return name === 'heun' ? sampleHeun(model, x, schedule, opts) : sampleEuler(model, x, schedule, opts);
}

/** Model calls a sampler makes over a schedule: progress totals and cost estimates. */
export function modelCalls(name: SamplerName, steps: number): number {
  return name === 'heun' ? 2 * steps - 1 : steps;
}

/** Conditional and unconditional velocities for the same (x, t), usually from one batch-2 call. */
export type GuidedPair = (x: Float32Array, t: number) => Promise<{ cond: Float32Array; uncond: Float32Array }>;

/**
 * Where guidance applies: times t with `lo < t <= hi` (Kynkäänniemi et al. 2024, "Applying guidance in a
 * limited interval"). Outside it the sampler follows the conditional model alone (scale 1). { lo: 0, hi: 1 }
 * is guidance at every step. An object, not a pair: C2PA assertions (where generations record it) turn
 * arrays of numbers into byte strings.
 */
export interface GuidanceInterval {
  readonly lo: number;
  readonly hi: number;
}

export const FULL_GUIDANCE_INTERVAL: GuidanceInterval = { lo: 0, hi: 1 };

/** Times within this of a bound count as on it: a schedule's 1 - 8/20 is 0.6 to the last bit or not. */
const AT_BOUND = 1e-9;

/** The guidance scale at time t: `scale` inside the interval, 1 outside. */
export function guidanceAt(t: number, scale: number, interval: GuidanceInterval = FULL_GUIDANCE_INTERVAL): number {
  return t > interval.lo + AT_BOUND && t <= interval.hi + AT_BOUND ? scale : 1;
}

/** Whether 0 <= lo < hi <= 1 (NaN fails): the rule every reader of an interval checks it by. */
export function isGuidanceInterval({ lo, hi }: GuidanceInterval): boolean {
  return lo >= 0 && lo < hi && hi <= 1;
}

/** Throws RangeError unless 0 <= lo < hi <= 1. */
export function checkGuidanceInterval(interval: GuidanceInterval): void {
  if (!isGuidanceInterval(interval)) throw new RangeError(`guidance interval must satisfy 0 <= lo < hi <= 1, got ${interval.lo}:${interval.hi}`);
}

/**
 * Classifier-free guidance (Ho & Salimans 2022) on velocities: v = v_u + g·(v_c - v_u).
 * g = 1 is the conditional model alone; g = 0 ignores the prompt. With an `interval`, g applies only
 * there and the steps outside it take the conditional velocity: from `conditional` when given (one
 * branch instead of two), else from the pair.
 */
export function classifierFreeGuidance(pair: GuidedPair, scale: number, opts: { interval?: GuidanceInterval; conditional?: VelocityModel } = {}): VelocityModel {
  const interval = opts.interval ?? FULL_GUIDANCE_INTERVAL;
  checkGuidanceInterval(interval);
  return async (x, t) => {
    const g = guidanceAt(t, scale, interval);
    if (g === 1 && opts.conditional) return opts.conditional(x, t);
    const { cond, uncond } = await pair(x, t);
    if (g === 1) return cond.slice();
    const v = new Float32Array(cond.length);
    for (let i = 0; i < v.length; i++) v[i] = uncond[i]! + g * (cond[i]! - uncond[i]!);
    return v;
  };
}
