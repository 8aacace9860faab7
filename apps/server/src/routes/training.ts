// Training runs and evaluations (jobs), and the models they register.
import { basename, join } from 'node:path';
import { z } from '@hono/zod-openapi';
import { listModels, showModel, PRESETS } from '@backlot/workflows/training';
import { route, IdParam, type Api } from '../http/api.js';
import { ApiError } from '../http/errors.js';
import { sendStoredFile } from '../http/media.js';
import { withoutPaths } from '../http/redact.js';
import { submitJob, JobSchema } from './jobs.js';

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

const ModelSchema = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    kind: z.string(),
    preset: z.string().nullable(),
    datasetId: z.string().nullable(),
    datasetRoot: z.string().nullable(),
    createdAt: z.string(),
    tainted: z.string().nullable(),
    exported: z.boolean(),
    finalLoss: z.number().nullable(),
    adherence: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi('Model');

export const TrainSchema = z
  .strictObject({
    dataset: z.string().min(1).max(128),
    preset: z.enum(PRESETS),
    steps: z.number().int().min(1).max(1_000_000).optional(),
    minutes: z.number().min(0.1).max(7 * 24 * 60).optional(),
    initFrom: z.string().min(1).max(128).optional(),
    lora: z.number().int().min(0).max(256).optional(),
    name: z.string().min(1).max(100).optional(),
    seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
  })
  .openapi('TrainRequest');

export const EvalSchema = z
  .strictObject({ model: z.string().min(1).max(128), steps: z.number().int().min(1).max(200).optional(), maxPrompts: z.number().int().min(1).max(10_000).optional(), samples: z.number().int().min(1).max(16).optional() })
  .openapi('EvalRequest');

export function registerTraining(api: Api): void {
  route(
    api,
    {
      method: 'post',
      path: '/api/training/runs',
      summary: 'Start a training run (a job; follow its loss on /api/jobs/{id}/events)',
      request: { body: { required: true, content: { 'application/json': { schema: TrainSchema } } } },
      responses: { 202: json(JobSchema, 'Queued') },
    },
    async (c) => submitJob(api, c, 'train', c.req.valid('json')),
  );

  route(
    api,
    {
      method: 'post',
      path: '/api/evaluations',
      summary: 'Evaluate a model on held-out prompts (a job)',
      request: { body: { required: true, content: { 'application/json': { schema: EvalSchema } } } },
      responses: { 202: json(JobSchema, 'Queued') },
    },
    async (c) => submitJob(api, c, 'eval', c.req.valid('json')),
  );

  route(api, { method: 'get', path: '/api/models', summary: 'Models', responses: { 200: json(z.object({ models: z.array(ModelSchema) }), 'Models') } }, async (c) =>
    c.json({ models: await listModels(api.ws) }, 200),
  );

  route(
    api,
    {
      method: 'get',
      path: '/api/models/{id}',
      summary: 'One model: lineage, curves, evaluation, compute, card',
      request: { params: z.object({ id: IdParam('id', 'mdl_0123') }) },
      responses: { 200: json(z.object({ id: z.string() }).passthrough().openapi('ModelDetail'), 'The model'), 404: json(z.any(), 'No such model') },
    },
    async (c) => {
      const m = await showModel(api.ws, c.req.valid('param').id);
      const { path: _p, export_path: _e, ...rest } = m;
      return c.json(withoutPaths({ ...rest, exported: m.export_path !== null, createdAt: new Date(m.created_at).toISOString(), created_at: undefined }), 200);
    },
  );

  route(
    api,
    {
      method: 'get',
      path: '/api/models/{id}/previews/{step}',
      summary: "A preview grid from the model's training run (MP4, range requests): generations from held-out captions above the real clips, at that step",
      request: { params: z.object({ id: IdParam('id', 'mdl_0123'), step: z.string().regex(/^\d{1,9}$/, 'a step number').openapi({ param: { name: 'step', in: 'path' }, example: '0' }) }) },
      responses: { 200: { description: 'video/mp4' }, 206: { description: 'A byte range' }, 404: json(z.any(), 'No such model or no preview at that step') },
    },
    async (c) => {
      const { id, step } = c.req.valid('param');
      const m = await showModel(api.ws, id);
      const previews = (m.card?.previews ?? []) as Array<{ step: number; path: string }>;
      const pv = previews.find((p) => p.step === Number(step));
      if (!pv) throw new ApiError(404, 'no_preview', `model ${id} has no preview at step ${step}${previews.length ? ` (steps: ${previews.map((p) => p.step).join(', ')})` : ''}`, 'step');
      return sendStoredFile(c, join(m.path, 'previews', basename(pv.path)), 'video/mp4', `the preview of ${id} at step ${step}`) as never;
    },
  );
}
