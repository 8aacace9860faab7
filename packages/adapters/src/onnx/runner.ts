// What generation asks of an exported model, as a handful of calls: encode the prompt, encode a clip,
// run the whole sampling loop, decode. In this process (inProcessRunner) or on a worker thread
// (startModelWorker, worker/), where loading the model files can overlap the embedded database's
// start; both run the same functions, so they give the same frames, bit for bit.
import { holdKnownFrames, sample, type FrameConditioning, type GuidanceInterval, type SamplerName, type Tokens } from '@backlot/core';
import type { ModelConfig } from './model-config.js';
import { decodeToVideo, encodeText, encodeVideo, guidedVelocity, modelShape, type TextContext } from './run.js';
import type { Device, LoadedModel } from './session.js';

export interface SampleRequest {
  sampler: SamplerName;
  /** The starting state: noise, or for restyle a clip noised to the schedule's first time. */
  x: Float32Array;
  schedule: Float64Array;
  /** The prompt's context and, for guidance ≠ 1, the empty caption's (see guidedVelocity). */
  text: TextContext;
  conditioning: FrameConditioning;
  guidance: number;
  /** Where guidance applies (lo < t <= hi); the conditional branch alone elsewhere. Default: every step. */
  guidanceInterval?: GuidanceInterval;
  /** Pixel-space models with given frames: the noise the given frames follow (holdKnownFrames). */
  holdNoise?: Float32Array;
}

export interface SampleRun {
  signal?: AbortSignal;
  /** After each step: the step just finished (1-based) and the step count. */
  onStep?: (step: number, steps: number) => void;
}

export interface ModelRunner {
  dir: string;
  config: ModelConfig;
  device: Device;
  deviceNote?: string;
  encodeText(batch: Tokens[]): Promise<TextContext>;
  /** Video [3, T, H, W] → model space (identity for pixel models). */
  encodeVideo(video: Float32Array): Promise<Float32Array>;
  sample(req: SampleRequest, run?: SampleRun): Promise<{ x0: Float32Array; calls: number }>;
  /** Model space → video [3, T, H, W] in [-1, 1]. */
  decode(x: Float32Array): Promise<Float32Array>;
  close(): Promise<void>;
}

/** The sampling loop of one request on a loaded model: what both runners execute. */
export async function runSampling(model: LoadedModel, req: SampleRequest, run: SampleRun = {}): Promise<{ x0: Float32Array; calls: number }> {
  let calls = 0;
  const velocity = guidedVelocity(model, req.text, req.conditioning, req.guidance, () => calls++, req.guidanceInterval);
  const x0 = await sample(req.sampler, velocity, req.x, req.schedule, {
    signal: run.signal,
    constrain: req.holdNoise ? holdKnownFrames(modelShape(model), req.conditioning, req.holdNoise) : undefined,
    onStep: run.onStep,
  });
  return { x0, calls };
}

export function inProcessRunner(model: LoadedModel): ModelRunner {
  return {
    dir: model.dir,
    config: model.config,
    device: model.device,
    deviceNote: model.deviceNote,
    encodeText: (batch) => encodeText(model, batch),
    encodeVideo: (video) => encodeVideo(model, video),
    sample: (req, run) => runSampling(model, req, run),
    decode: (x) => decodeToVideo(model, x),
    close: () => model.close(),
  };
}
