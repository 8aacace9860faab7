// Datasets: list, build (a job), show with composition and exclusions, verify, diff.
import { z } from '@hono/zod-openapi';
import { DATASET_PURPOSES } from '@backlot/core';
import { diffDatasets, listDatasets, showDataset, verifyDataset, DATASET_NAME } from '@backlot/workflows/datasets';
import { route, IdParam, type Api } from '../http/api.js';
import { withoutPaths } from '../http/redact.js';
import { submitJob, JobSchema } from './jobs.js';

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const Loose = (name: string) => z.object({}).passthrough().openapi(name);

const DatasetSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    purpose: z.string(),
    policyVersion: z.string(),
    merkleRoot: z.string(),
    createdAt: z.string(),
    createdBy: z.string(),
    counts: z.object({ train: z.number(), val: z.number(), excluded: z.number() }),
    tainted: z.string().nullable(),
  })
  .openapi('Dataset');

export const BuildDatasetSchema = z
  .strictObject({
    name: z.string().regex(DATASET_NAME, '1-64 letters, digits, dots, dashes or underscores'),
    purpose: z.enum(DATASET_PURPOSES).optional(),
    minSeconds: z.number().min(0).max(3600).optional(),
    maxPerTitle: z.number().int().min(1).max(1_000_000).nullable().optional(),
    valFraction: z.number().min(0).lt(1).optional(),
    shardSize: z.number().int().min(1).max(100_000).optional(),
    shardSpec: z
      .strictObject({ width: z.number().int().min(8).max(1024).optional(), height: z.number().int().min(8).max(1024).optional(), fps: z.number().int().min(1).max(120).optional(), maxFrames: z.number().int().min(1).max(4096).optional() })
      .optional(),
    asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day like 2026-11-25').optional(),
  })
  .openapi('BuildDataset');

const Ref = (name: string) => IdParam(name, 'demo-v1');

export function registerDatasets(api: Api): void {
  route(api, { method: 'get', path: '/api/datasets', summary: 'Dataset snapshots, newest first', responses: { 200: json(z.object({ datasets: z.array(DatasetSchema) }), 'Datasets') } }, async (c) =>
    c.json({ datasets: withoutPaths(await listDatasets(api.ws)) }, 200),
  );

  route(
    api,
    {
      method: 'post',
      path: '/api/datasets',
      summary: 'Build a dataset snapshot (a job)',
      request: { body: { required: true, content: { 'application/json': { schema: BuildDatasetSchema } } } },
      responses: { 202: json(JobSchema, 'Queued') },
    },
    async (c) => submitJob(api, c, 'dataset', c.req.valid('json')),
  );

  route(
    api,
    {
      method: 'get',
      path: '/api/datasets/{id}',
      summary: 'One dataset: snapshot, composition, exclusions by rule',
      request: { params: z.object({ id: Ref('id') }) },
      responses: { 200: json(DatasetSchema.passthrough(), 'The dataset'), 404: json(z.any(), 'No such dataset') },
    },
    async (c) => c.json(withoutPaths(await showDataset(api.ws, c.req.valid('param').id)), 200),
  );

  route(
    api,
    {
      method: 'post',
      path: '/api/datasets/{id}/verify',
      summary: 'Re-hash the snapshot against its manifest and Merkle root',
      request: { params: z.object({ id: Ref('id') }) },
      responses: { 200: json(Loose('DatasetVerification'), 'The verification'), 404: json(z.any(), 'No such dataset') },
    },
    async (c) => c.json(withoutPaths(await verifyDataset(api.ws, c.req.valid('param').id)) as unknown as Record<string, unknown>, 200),
  );

  route(
    api,
    {
      method: 'get',
      path: '/api/datasets/{id}/diff/{other}',
      summary: 'What changed between two datasets',
      request: { params: z.object({ id: Ref('id'), other: Ref('other') }), query: z.strictObject({ limit: z.coerce.number().int().min(1).max(10_000).optional() }) },
      responses: { 200: json(Loose('DatasetDiff'), 'The difference'), 404: json(z.any(), 'No such dataset') },
    },
    async (c) => {
      const { id, other } = c.req.valid('param');
      return c.json(withoutPaths(await diffDatasets(api.ws, id, other, c.req.valid('query'))) as unknown as Record<string, unknown>, 200);
    },
  );
}
