// One exported model's forward passes as plain functions: text → context, the guided velocity the
// pure samplers call, and model space ↔ video. Tensor names and shapes: docs/model-format.md.
// Tensors come from ONNX Runtime's common package: plain JavaScript, no native library to load.
import { Tensor } from 'onnxruntime-common';
import { classifierFreeGuidance, FULL_GUIDANCE_INTERVAL, tokenize, type GuidanceInterval, type FrameConditioning, type Tokens, type VelocityModel, type VideoShape } from '@backlot/core';
import type { ModelConfig } from './model-config.js';
import type { LoadedModel } from './session.js';

/** Anything that carries an exported model's config: a loaded model or a model runner. */
export interface HasModelConfig {
  config: ModelConfig;
}

export interface TextContext {
  /** [B, L, D]. */
  context: Float32Array;
  /** [B, L]. */
  mask: Float32Array;
  batch: number;
}

/** The model's sample shape [C, T, h, w] (its latent shape; the video itself in pixel space). */
export function modelShape(model: HasModelConfig): VideoShape {
  const l = model.config.latent;
  return { channels: l.channels, frames: l.frames, height: l.height, width: l.width };
}

/** The video shape [3, T, H, W] the model makes. */
export function videoShape(model: HasModelConfig): VideoShape {
  const d = model.config.data;
  return { channels: 3, frames: d.frames, height: d.height, width: d.width };
}

export function tokenizePrompt(model: HasModelConfig, prompt: string): Tokens {
  return tokenize(prompt, model.config.text.tokenizer, model.config.text.maxLength);
}

export async function encodeText(model: LoadedModel, batch: Tokens[]): Promise<TextContext> {
  const L = model.config.text.maxLength;
  const ids = new BigInt64Array(batch.length * L);
  const mask = new Float32Array(batch.length * L);
  batch.forEach((t, b) => t.ids.forEach((id, i) => {
    ids[b * L + i] = BigInt(id);
    mask[b * L + i] = t.mask[i]!;
  }));
  const out = await model.textEncoder.run({ tokens: new Tensor('int64', ids, [batch.length, L]) });
  return { context: out.context!.data as Float32Array, mask, batch: batch.length };
}

function repeat(a: Float32Array, times: number): Float32Array {
  const out = new Float32Array(a.length * times);
  for (let i = 0; i < times; i++) out.set(a, i * a.length);
  return out;
}

/**
 * The velocity the samplers call. `text` holds the prompt's context first and, for guidance ≠ 1, the
 * empty caption's second; both branches go through the denoiser as one batch of 2. Where `interval`
 * leaves a step unguided, only the prompt's branch runs (batch 1).
 */
export function guidedVelocity(model: LoadedModel, text: TextContext, c: FrameConditioning, guidance: number, onCall?: (ms: number) => void, interval: GuidanceInterval = FULL_GUIDANCE_INTERVAL): VelocityModel {
  const shape = modelShape(model);
  const dims5 = (b: number) => [b, shape.channels, shape.frames, shape.height, shape.width];
  const L = model.config.text.maxLength;
  const D = model.config.text.dim;
  const B = guidance === 1 ? 1 : 2;
  if (text.batch < B) throw new Error(`guidance ${guidance} needs ${B} text contexts, got ${text.batch}`);
  const denoise = (b: number) => {
    const context = new Tensor('float32', text.context.subarray(0, b * L * D), [b, L, D]);
    const contextMask = new Tensor('float32', text.mask.subarray(0, b * L), [b, L]);
    const cond = new Tensor('float32', repeat(c.cond, b), dims5(b));
    const condMask = new Tensor('float32', repeat(c.frameMask, b), [b, 1, shape.frames, 1, 1]);
    return async (x: Float32Array, t: number): Promise<Float32Array> => {
      const started = performance.now();
      const out = await model.denoiser.run({
        x: new Tensor('float32', repeat(x, b), dims5(b)),
        t: new Tensor('float32', new Float32Array(b).fill(t), [b]),
        context,
        context_mask: contextMask,
        cond,
        cond_mask: condMask,
      });
      onCall?.(performance.now() - started);
      return out.v!.data as Float32Array;
    };
  };
  const conditional = denoise(1);
  if (B === 1) return conditional;
  const both = denoise(2);
  const n = x0Size(shape);
  return classifierFreeGuidance(async (x, t) => {
    const v = await both(x, t);
    return { cond: v.subarray(0, n), uncond: v.subarray(n, 2 * n) };
  }, guidance, { interval, conditional });
}

function x0Size(s: VideoShape): number {
  return s.channels * s.frames * s.height * s.width;
}

/** Model space → video [3, T, H, W] in [-1, 1] (clamped). Pixel space is the identity. */
export async function decodeToVideo(model: LoadedModel, x: Float32Array): Promise<Float32Array> {
  let video = x;
  if (model.config.space === 'latent') {
    const s = modelShape(model);
    const out = await model.vaeDecoder!.run({ latent: new Tensor('float32', x, [1, s.channels, s.frames, s.height, s.width]) });
    video = out.video!.data as Float32Array;
  }
  return video.map((v) => Math.min(1, Math.max(-1, v)));
}

/** Video [3, T, H, W] in [-1, 1] → model space. Pixel space is the identity. */
export async function encodeVideo(model: LoadedModel, video: Float32Array): Promise<Float32Array> {
  if (model.config.space !== 'latent') return video;
  const d = videoShape(model);
  const out = await model.vaeEncoder!.run({ video: new Tensor('float32', video, [1, 3, d.frames, d.height, d.width]) });
  return out.latent!.data as Float32Array;
}
