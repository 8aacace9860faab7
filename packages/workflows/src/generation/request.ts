// What a caller may ask of `generate`, validated once at the edge (CLI flags and HTTP bodies alike).
import { extname } from 'node:path';
import { z } from 'zod';
import { InputError, isGuidanceInterval, type GenerationMode } from '@backlot/core';

export const LIMITS = {
  steps: { min: 1, max: 200 },
  guidance: { min: 0, max: 20 },
  strength: { min: 0.01, max: 1 },
  frames: { min: 2 },
} as const;

export const GenerateRequestSchema = z.object({
  prompt: z.string().trim().min(1, 'the prompt is empty').max(2000, 'the prompt is longer than 2000 characters'),
  modelId: z.string().min(1),
  output: z.string().min(1).refine((p) => extname(p).toLowerCase() === '.mp4', 'the output must be an .mp4 file'),
  image: z.string().min(1).optional(),
  last: z.string().min(1).optional(),
  extend: z.string().min(1).optional(),
  restyle: z.string().min(1).optional(),
  strength: z.number().min(LIMITS.strength.min, `strength must be between ${LIMITS.strength.min} and 1`).max(LIMITS.strength.max, `strength must be between ${LIMITS.strength.min} and 1`).optional(),
  frames: z.number().int('frames must be a whole number').min(LIMITS.frames.min, `frames must be at least ${LIMITS.frames.min}`).optional(),
  steps: z.number().int('steps must be a whole number').min(LIMITS.steps.min, `steps must be between ${LIMITS.steps.min} and ${LIMITS.steps.max}`).max(LIMITS.steps.max, `steps must be between ${LIMITS.steps.min} and ${LIMITS.steps.max}`).optional(),
  guidance: z.number().min(LIMITS.guidance.min, `guidance must be between ${LIMITS.guidance.min} and ${LIMITS.guidance.max}`).max(LIMITS.guidance.max, `guidance must be between ${LIMITS.guidance.min} and ${LIMITS.guidance.max}`).optional(),
  seed: z.number().int('seed must be a whole number').min(0, 'seed must be 0 or more').max(Number.MAX_SAFE_INTEGER).optional(),
  guidanceInterval: z
    .object({ lo: z.number(), hi: z.number() }, { message: 'the guidance interval must be two numbers, lo:hi' })
    .refine(isGuidanceInterval, 'the guidance interval lo:hi must have 0 <= lo < hi <= 1')
    .optional(),
  sampler: z.enum(['euler', 'heun']).optional(),
  project: z.string().trim().min(1).optional(),
});

export type GenerateRequest = z.infer<typeof GenerateRequestSchema>;

const FLAG: Record<string, string> = { prompt: 'PROMPT', modelId: '--model', output: '-o', image: '--image', last: '--last', extend: '--extend', restyle: '--restyle', strength: '--strength', frames: '--frames', steps: '--steps', guidance: '--guidance', guidanceInterval: '--guidance-interval', seed: '--seed', sampler: '--sampler', project: '--project' };

export function parseGenerateRequest(input: unknown): GenerateRequest {
  const r = GenerateRequestSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const key = String(issue.path[0] ?? '');
    throw new InputError('bad_generate_request', `${FLAG[key] ?? key}: ${issue.message}`, FLAG[key] ?? key);
  }
  return r.data;
}

/** The mode the given inputs ask for, or a one-line error for combinations that make no sense. */
export function modeOf(req: GenerateRequest): GenerationMode {
  const given = (['image', 'last', 'extend', 'restyle'] as const).filter((k) => req[k] !== undefined);
  if (req.strength !== undefined && !req.restyle) throw new InputError('bad_generate_request', '--strength only applies with --restyle', '--strength');
  if (req.extend && given.length > 1) throw new InputError('bad_generate_request', '--extend cannot be combined with --image, --last or --restyle', '--extend');
  if (req.restyle && given.length > 1) throw new InputError('bad_generate_request', '--restyle cannot be combined with --image, --last or --extend', '--restyle');
  if (req.extend) return 'extend';
  if (req.restyle) return 'restyle';
  if (req.last && !req.image) throw new InputError('bad_generate_request', '--last needs --image (the first keyframe) to interpolate between', '--last');
  if (req.image && req.last) return 'interpolate';
  if (req.image) return 'i2v';
  return 't2v';
}
