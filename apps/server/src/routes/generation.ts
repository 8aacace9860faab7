// Generation: queue a clip (prompt, optional uploaded first/last frame or clip), list and show the
// signed outputs with provenance and attribution, play them, and the likeness usage and royalty
// ledgers built from them.
import { z } from '@hono/zod-openapi';
import { findGeneration, likenessUsage, royalties, showAttribution, LIMITS } from '@backlot/workflows/generation';
import type { Db } from '@backlot/adapters/db';
import { route, IdParam, type Api } from '../http/api.js';
import { ApiError } from '../http/errors.js';
import { sendStoredFile } from '../http/media.js';
import { withoutPaths } from '../http/redact.js';
import { submitJob, JobSchema } from './jobs.js';

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const Upload = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 from POST /api/uploads');
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day like 2026-11-25');
const GenId = z.string().regex(/^gen_[0-9a-f]+$/, 'a generation id (gen_...)').openapi({ param: { name: 'id', in: 'path' }, example: 'gen_0123abcd' });

export const GenerateSchema = z
  .strictObject({
    prompt: z.string().trim().min(1).max(2000),
    modelId: z.string().min(1).max(128),
    image: Upload.optional().openapi({ description: 'First frame (PNG/JPEG upload).' }),
    last: Upload.optional().openapi({ description: 'Last frame (PNG/JPEG upload).' }),
    extend: Upload.optional().openapi({ description: 'Clip to continue (MP4 upload).' }),
    restyle: Upload.optional().openapi({ description: 'Clip to restyle (MP4 upload).' }),
    strength: z.number().min(LIMITS.strength.min).max(LIMITS.strength.max).optional(),
    frames: z.number().int().min(LIMITS.frames.min).max(1024).optional(),
    steps: z.number().int().min(LIMITS.steps.min).max(LIMITS.steps.max).optional(),
    guidance: z.number().min(LIMITS.guidance.min).max(LIMITS.guidance.max).optional(),
    guidanceInterval: z.object({ lo: z.number().min(0).max(1), hi: z.number().min(0).max(1) }).optional().openapi({ description: 'Guide only where lo < t <= hi (default: the model\'s).' }),
    seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    sampler: z.enum(['euler', 'heun']).optional(),
    project: z.string().trim().min(1).max(200).optional(),
  })
  .openapi('GenerateRequest');

const OutputSchema = z
  .object({ id: z.string(), modelId: z.string(), mode: z.string(), prompt: z.string(), project: z.string().nullable(), actor: z.string(), createdAt: z.string(), status: z.string(), sha256: z.string().nullable(), seconds: z.number().nullable() })
  .openapi('Output');

/** Outputs newest first, a page at a time (keyset on creation time and id). */
async function outputPage(db: Db, q: { before?: string; limit: number; mine?: string }) {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT g.id, g.model_id, g.mode, g.prompt, g.project, g.actor, g.created_at, g.status, o.sha256, o.seconds
       FROM generations g LEFT JOIN generation_outputs o ON o.generation_id = g.id
      WHERE ($1::text IS NULL OR g.id < $1) AND ($3::text IS NULL OR g.actor = $3)
      ORDER BY g.id DESC LIMIT $2`,
    [q.before ?? null, q.limit, q.mine ?? null],
  );
  const outputs = rows.map((r) => ({
    id: String(r.id),
    modelId: String(r.model_id),
    mode: String(r.mode),
    prompt: String(r.prompt),
    project: (r.project as string | null) ?? null,
    actor: String(r.actor),
    createdAt: new Date(r.created_at as string).toISOString(),
    status: String(r.status),
    sha256: (r.sha256 as string | null) ?? null,
    seconds: r.seconds === null || r.seconds === undefined ? null : Number(r.seconds),
  }));
  return { outputs, next: outputs.length === q.limit ? outputs[outputs.length - 1]!.id : null };
}

export function registerGeneration(api: Api): void {
  route(
    api,
    {
      method: 'post',
      path: '/api/generations',
      summary: 'Generate a clip (a job); refusals by the likeness guardrail come back as the job error',
      request: { body: { required: true, content: { 'application/json': { schema: GenerateSchema } } } },
      responses: { 202: json(JobSchema, 'Queued'), 404: json(z.any(), 'An upload is missing') },
    },
    async (c) => {
      const input = c.req.valid('json');
      for (const k of ['image', 'last', 'extend', 'restyle'] as const) {
        const sha = input[k];
        if (sha && !(await api.ws.store.has(sha))) throw new ApiError(404, 'unknown_upload', `no upload ${sha}`, k);
      }
      return submitJob(api, c, 'generate', input);
    },
  );

  route(
    api,
    {
      method: 'get',
      path: '/api/outputs',
      summary: 'Generated outputs, newest first',
      request: { query: z.strictObject({ before: z.string().regex(/^gen_[0-9a-f]+$/).optional().openapi({ description: 'The `next` of the previous page.' }), limit: z.coerce.number().int().min(1).max(200).default(50) }) },
      responses: { 200: json(z.object({ outputs: z.array(OutputSchema), next: z.string().nullable() }).openapi('OutputPage'), 'A page') },
    },
    async (c) => c.json(await outputPage(api.ws.db, c.req.valid('query')), 200),
  );

  route(
    api,
    {
      method: 'get',
      path: '/api/outputs/{id}',
      summary: 'One output with its attribution to titles',
      request: { params: z.object({ id: GenId }) },
      responses: { 200: json(z.object({ generation: z.object({}).passthrough(), attribution: z.object({}).passthrough() }).openapi('OutputDetail'), 'The output'), 404: json(z.any(), 'No such output') },
    },
    async (c) => {
      const { id } = c.req.valid('param');
      const [generation, attribution] = await Promise.all([findGeneration(api.ws, id), showAttribution(api.ws, id)]);
      const [detail] = await api.ws.db.query('SELECT params, guardrail, o.manifest_label, o.signer FROM generations g LEFT JOIN generation_outputs o ON o.generation_id = g.id WHERE g.id = $1', [id]);
      return c.json(withoutPaths({ generation: { ...generation, ...detail }, attribution }) as unknown as { generation: Record<string, unknown>; attribution: Record<string, unknown> }, 200);
    },
  );

  route(
    api,
    {
      method: 'get',
      path: '/api/outputs/{id}/video',
      summary: 'The signed MP4 (range requests)',
      request: { params: z.object({ id: GenId }) },
      responses: { 200: { description: 'video/mp4' }, 206: { description: 'A byte range' }, 404: json(z.any(), 'No such output') },
    },
    async (c) => {
      const { id } = c.req.valid('param');
      const g = await findGeneration(api.ws, id);
      if (!g.sha256) throw new ApiError(404, 'no_output', `generation ${id} has no output`, 'id');
      return sendStoredFile(c, api.ws.store.pathOf(g.sha256), 'video/mp4', `the output of ${id}`) as never;
    },
  );

  route(
    api,
    {
      method: 'get',
      path: '/api/usage',
      summary: "A person's likeness usage in generated clips",
      request: { query: z.strictObject({ person: IdParam('person', 'p_ada').openapi({ param: { name: 'person', in: 'query' } }), from: Day.optional(), to: Day.optional() }) },
      responses: { 200: json(z.object({}).passthrough().openapi('UsageReport'), 'Usage') },
    },
    async (c) => c.json(withoutPaths(await likenessUsage(api.ws, c.req.valid('query'))) as unknown as Record<string, unknown>, 200),
  );

  route(
    api,
    {
      method: 'get',
      path: '/api/royalties',
      summary: 'Royalty shares per title from attribution',
      request: { query: z.strictObject({ from: Day.optional(), to: Day.optional() }) },
      responses: { 200: json(z.object({}).passthrough().openapi('Royalties'), 'Royalties') },
    },
    async (c) => c.json(withoutPaths(await royalties(api.ws, c.req.valid('query'))) as unknown as Record<string, unknown>, 200),
  );
}
