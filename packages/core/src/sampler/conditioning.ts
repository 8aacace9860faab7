// Masked-frame conditioning for the five generation modes. Known frames (a first image, two keyframes,
// the tail of a clip) go to the model as `cond` + `cond_mask`, and are also held on the sampling path
// by replacing them after every step with their own noised version at the current time (the
// "replacement" trick), so they come out exactly as given. Restyle instead starts from a noised clip.

export const GENERATION_MODES = ['t2v', 'i2v', 'interpolate', 'extend', 'restyle'] as const;
export type GenerationMode = (typeof GENERATION_MODES)[number];

/** One sample in the model's space, laid out [C, T, h, w] (batch of one). */
export interface VideoShape {
  channels: number;
  frames: number;
  height: number;
  width: number;
}

export function sizeOf(shape: VideoShape): number {
  return shape.channels * shape.frames * shape.height * shape.width;
}

/** What the denoiser receives besides x and t. */
export interface FrameConditioning {
  /** [C, T, h, w]: known frames in place, zeros elsewhere. */
  cond: Float32Array;
  /** [T]: 1 where the frame is known. */
  frameMask: Float32Array;
}

/** A known frame, [C, h, w] in model space, at frame index `index`. */
export interface KnownFrame {
  index: number;
  data: Float32Array;
}

export function noConditioning(shape: VideoShape): FrameConditioning {
  return { cond: new Float32Array(sizeOf(shape)), frameMask: new Float32Array(shape.frames) };
}

export function knownFrames(shape: VideoShape, frames: KnownFrame[]): FrameConditioning {
  const c = noConditioning(shape);
  const plane = shape.height * shape.width;
  for (const f of frames) {
    if (!Number.isInteger(f.index) || f.index < 0 || f.index >= shape.frames) throw new RangeError(`known frame ${f.index} is outside 0..${shape.frames - 1}`);
    if (f.data.length !== shape.channels * plane) throw new RangeError(`known frame ${f.index} has ${f.data.length} values, expected ${shape.channels * plane}`);
    for (let ch = 0; ch < shape.channels; ch++) {
      c.cond.set(f.data.subarray(ch * plane, (ch + 1) * plane), (ch * shape.frames + f.index) * plane);
    }
    c.frameMask[f.index] = 1;
  }
  return c;
}

/** Frame `index` of a [C, T, h, w] tensor with `frames` frames, as [C, h, w]. */
export function frameOf(video: Float32Array, shape: Omit<VideoShape, 'frames'>, frames: number, index: number): Float32Array {
  const plane = shape.height * shape.width;
  const out = new Float32Array(shape.channels * plane);
  for (let ch = 0; ch < shape.channels; ch++) out.set(video.subarray((ch * frames + index) * plane, (ch * frames + index + 1) * plane), ch * plane);
  return out;
}

/**
 * Conditioning for `extend`: the last `context` frames of a clip ([C, Tc, h, w]) become the first
 * `context` frames of the new clip, which then carries on from them.
 */
export function extendFrom(shape: VideoShape, clip: Float32Array, clipFrames: number, context: number): FrameConditioning {
  const k = Math.min(context, clipFrames, shape.frames - 1);
  if (k < 1) throw new RangeError('extend needs at least one frame of context and one new frame');
  const frames: KnownFrame[] = [];
  for (let i = 0; i < k; i++) frames.push({ index: i, data: frameOf(clip, shape, clipFrames, clipFrames - k + i) });
  return knownFrames(shape, frames);
}

/** x_t = (1-t)·x0 + t·noise. Restyle starts here with t = strength. */
export function noiseTo(x0: Float32Array, noise: Float32Array, t: number): Float32Array {
  const out = new Float32Array(x0.length);
  for (let i = 0; i < out.length; i++) out[i] = (1 - t) * x0[i]! + t * noise[i]!;
  return out;
}

/**
 * A `constrain` hook for the samplers: after each step, known frames are set to (1-t)·cond + t·noise
 * using the run's own initial noise, so at t = 0 they equal the given frames exactly.
 */
export function holdKnownFrames(shape: VideoShape, c: FrameConditioning, noise: Float32Array): (x: Float32Array, t: number) => void {
  const plane = shape.height * shape.width;
  const known = [...c.frameMask].flatMap((m, f) => (m > 0 ? [f] : []));
  return (x, t) => {
    for (const f of known) {
      for (let ch = 0; ch < shape.channels; ch++) {
        const base = (ch * shape.frames + f) * plane;
        for (let p = base; p < base + plane; p++) x[p] = (1 - t) * c.cond[p]! + t * noise[p]!;
      }
    }
  };
}

/**
 * Pixel frames covered by latent frame j of a causal video autoencoder that downsamples time by k:
 * G(0) = {0}, G(j) = {k(j-1)+1, …, kj} (docs/model-format.md).
 */
export function latentFrameGroup(j: number, k: number): number[] {
  if (j === 0) return [0];
  return Array.from({ length: k }, (_, i) => k * (j - 1) + 1 + i);
}

/**
 * For latent models: the pixel video to encode into `cond`, and which latent frames are given.
 * A latent frame is given iff a pixel frame in its group is; every pixel frame of a given group is
 * filled with the given frame nearest to it inside the group (ties: the earlier).
 */
export function latentConditioningVideo(given: KnownFrame[], pixelFrames: number, height: number, width: number, k: number): { video: Float32Array; givenLatent: number[] } {
  const plane = height * width;
  const video = new Float32Array(3 * pixelFrames * plane);
  const latentFrames = 1 + Math.floor((pixelFrames - 1) / k);
  const byIndex = new Map(given.map((g) => [g.index, g.data]));
  const givenLatent: number[] = [];
  for (let j = 0; j < latentFrames; j++) {
    const group = latentFrameGroup(j, k).filter((i) => i < pixelFrames);
    const inGroup = group.filter((i) => byIndex.has(i));
    if (!inGroup.length) continue;
    givenLatent.push(j);
    for (const i of group) {
      let best = inGroup[0]!;
      for (const g of inGroup) if (Math.abs(g - i) < Math.abs(best - i)) best = g;
      const frame = byIndex.get(best)!;
      for (let c = 0; c < 3; c++) video.set(frame.subarray(c * plane, (c + 1) * plane), (c * pixelFrames + i) * plane);
    }
  }
  return { video, givenLatent };
}
