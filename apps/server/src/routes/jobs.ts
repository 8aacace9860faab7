// Jobs: list, show, follow live over server-sent events, cancel. Each area's routes submit jobs with
// `submitJob`; the workers (in this process with an embedded workspace, or `backlot worker`) run them.
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from '@hono/zod-openapi';
import { TERMINAL_STATES, type JobView } from '@backlot/adapters/queue';
import { route, principalOf, IdParam, type Api } from '../http/api.js';
import { actorOf, type Env } from '../http/auth.js';
import { ApiError } from '../http/errors.js';
import { JOB_KINDS, type JobKind } from '../jobs/kinds.js';

const ProgressSchema = z
  .object({ task: z.string(), label: z.string(), done: z.number(), total: z.number().optional(), unit: z.string(), message: z.string().optional(), finished: z.boolean().optional() })
  .openapi('Progress');

export const JobSchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    actor: z.string(),
    state: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']),
    input: z.unknown(),
    progress: z.array(ProgressSchema),
    result: z.unknown(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    attempts: z.number().int(),
    cancelRequested: z.boolean(),
    worker: z.string().nullable(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .openapi('Job');

const JobEventSchema = z
  .object({ event: z.enum(['queued', 'started', 'completed', 'failed', 'cancelled', 'retrying']), attempt: z.number().int(), worker: z.string().nullable(), detail: z.string().nullable(), at: z.string() })
  .openapi('JobEvent');

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const JobId = z.uuid().openapi({ param: { name: 'id', in: 'path' }, example: '0b8f5c1e-2f0a-4c61-9d7e-5d1f7f3a2b10' });

/** Queues a job for the caller and answers 202 with it; used by every area that starts long work. */
export async function submitJob(api: Api, c: Context<Env>, kind: JobKind, input: unknown) {
  const job = await api.queue.submit(kind, input, { actor: actorOf(principalOf(c)) });
  return c.json(job, 202);
}

/** Non-admins see only their own jobs. */
async function visibleJob(api: Api, c: Context<Env>, id: string): Promise<JobView> {
  const p = principalOf(c);
  const job = await api.queue.get(id);
  if (!job || (p.role !== 'admin' && job.actor !== actorOf(p))) throw new ApiError(404, 'unknown_job', `no job ${id}`, 'id');
  return job;
}

export function registerJobs(api: Api): void {
  route(
    api,
    {
      method: 'get',
      path: '/api/jobs',
      summary: 'Jobs, newest first (yours; everyone\'s for admins)',
      request: {
        query: z.strictObject({
          kind: z.enum(JOB_KINDS).optional(),
          state: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']).optional(),
          limit: z.coerce.number().int().min(1).max(500).optional(),
          before: z.iso.datetime().optional().openapi({ description: 'Only jobs created before this time (paging).' }),
        }),
      },
      responses: { 200: json(z.object({ jobs: z.array(JobSchema) }), 'Jobs') },
    },
    async (c) => {
      const p = principalOf(c);
      const q = c.req.valid('query');
      return c.json({ jobs: await api.queue.list({ ...q, actor: p.role === 'admin' ? undefined : actorOf(p) }) }, 200);
    },
  );

  route(
    api,
    {
      method: 'get',
      path: '/api/jobs/{id}',
      summary: 'One job with its history',
      request: { params: z.object({ id: JobId }) },
      responses: { 200: json(JobSchema.extend({ events: z.array(JobEventSchema) }).openapi('JobWithEvents'), 'The job'), 404: json(z.any(), 'No such job') },
    },
    async (c) => {
      const job = await visibleJob(api, c, c.req.valid('param').id);
      return c.json({ ...job, events: await api.queue.events(job.id) }, 200);
    },
  );

  route(
    api,
    {
      method: 'get',
      path: '/api/jobs/{id}/events',
      summary: 'Follow a job live (server-sent events)',
      description: 'Each `job` event carries the whole Job; the stream ends after the job reaches completed, failed or cancelled.',
      request: { params: z.object({ id: JobId }) },
      responses: { 200: { description: 'text/event-stream of `job` events', content: { 'text/event-stream': { schema: z.string() } } }, 404: json(z.any(), 'No such job') },
    },
    async (c) => {
      const first = await visibleJob(api, c, c.req.valid('param').id);
      return streamSSE(c, async (stream) => {
        let last = '';
        let wake: (() => void) | null = null;
        let latest: JobView = first;
        const send = async (job: JobView) => {
          const data = JSON.stringify(job);
          if (data === last) return;
          last = data;
          await stream.writeSSE({ event: 'job', data, id: String(Date.now()) });
        };
        // Live from this process's workers; a slower look at the table catches other workers.
        const off = api.queue.subscribe(first.id, (job) => {
          latest = job;
          wake?.();
        });
        stream.onAbort(() => wake?.());
        try {
          await send(first);
          let ticks = 0;
          while (!stream.aborted && !TERMINAL_STATES.includes(latest.state)) {
            await new Promise<void>((r) => {
              wake = r;
              setTimeout(r, 1000);
            });
            wake = null;
            if (stream.aborted) break;
            if (last === JSON.stringify(latest)) latest = (await api.queue.get(first.id)) ?? latest;
            await send(latest);
            if (++ticks % 15 === 0) await stream.write(': keep-alive\n\n');
          }
          // The final state as stored (progress writes may trail the live events).
          const final = await api.queue.get(first.id);
          if (final) await send(final);
        } finally {
          off();
        }
      });
    },
  );

  route(
    api,
    {
      method: 'post',
      path: '/api/jobs/{id}/cancel',
      summary: 'Cancel a job',
      description: 'A queued job is cancelled at once; a running one stops at its next check.',
      request: { params: z.object({ id: JobId }) },
      responses: { 200: json(JobSchema, 'The job after the request'), 404: json(z.any(), 'No such job') },
    },
    async (c) => {
      const job = await visibleJob(api, c, c.req.valid('param').id);
      return c.json((await api.queue.cancel(job.id))!, 200);
    },
  );

  route(
    api,
    {
      method: 'post',
      path: '/api/jobs/ping',
      summary: 'Send a ping job through the queue',
      description: 'Checks that workers take jobs; `ms` is how long the job runs.',
      request: { body: { required: true, content: { 'application/json': { schema: z.strictObject({ ms: z.number().int().min(0).max(60_000).default(0) }).openapi('Ping') } } } },
      responses: { 202: json(JobSchema, 'Queued') },
    },
    async (c) => submitJob(api, c, 'ping', c.req.valid('json')),
  );
}

export { IdParam };
