// model.json of an exported model (docs/model-format.md), parsed once at the edge.
import { z } from 'zod';
import { isGuidanceInterval } from '@backlot/core';

export const SUPPORTED_FORMAT_VERSIONS = [1] as const;

const dims = { frames: z.number().int().positive(), height: z.number().int().positive(), width: z.number().int().positive() };

export const ModelConfigSchema = z.object({
  formatVersion: z.number().int(),
  modelId: z.string().min(1),
  preset: z.string(),
  space: z.enum(['pixel', 'latent']),
  data: z.object({ ...dims, fps: z.number().positive(), frameStride: z.number().int().positive().optional() }),
  latent: z.object({ channels: z.number().int().positive(), ...dims }),
  vae: z.object({ temporalDownsample: z.number().int().positive(), spatialDownsample: z.number().int().positive(), causal: z.boolean().optional() }).nullable().optional(),
  text: z.object({
    maxLength: z.number().int().positive(),
    dim: z.number().int().positive(),
    tokenizer: z.object({ lowercase: z.boolean(), pattern: z.string(), pad: z.number().int(), bos: z.number().int(), unk: z.number().int(), vocab: z.array(z.string()) }),
  }),
  flow: z.object({ convention: z.string(), noiseAt: z.number().optional() }).passthrough(),
  defaults: z.object({
    steps: z.number().int().positive(),
    guidance: z.number(),
    sampler: z.string(),
    // Where guidance applies, lo < t <= hi (docs/model-format.md "Sampler"); models exported before it guide every step.
    guidanceInterval: z.object({ lo: z.number(), hi: z.number() }).refine(isGuidanceInterval, 'guidanceInterval must have 0 <= lo < hi <= 1').optional(),
  }).passthrough(),
  modes: z.array(z.string()),
  extendFrames: z.number().int().positive().optional(),
  files: z.object({
    textEncoder: z.string(),
    denoiser: z.string(),
    vaeEncoder: z.string().nullable().optional(),
    vaeDecoder: z.string().nullable().optional(),
    clipIndex: z.string().nullable().optional(),
  }),
  datasetId: z.string().optional(),
  datasetRoot: z.string(),
  // The registry's models.lineage is authoritative; an export made without --lineage writes null.
  lineage: z.object({ datasets: z.array(z.object({ id: z.string(), merkleRoot: z.string() }).passthrough()), bases: z.array(z.unknown()) }).passthrough().nullable().optional(),
}).passthrough();

export type ModelConfig = z.infer<typeof ModelConfigSchema>;

export const ClipIndexSchema = z.object({
  version: z.string(),
  dim: z.number().int().positive(),
  count: z.number().int().nonnegative(),
  clips: z.array(z.object({ clipId: z.string(), titleId: z.string(), shotId: z.string().nullable().optional() }).passthrough()),
});
export type ClipIndexMeta = z.infer<typeof ClipIndexSchema>;
