// Library: titles (workflows/library), shots a page at a time, keyframes and training proxies as
// media with range requests, and ingest of uploaded films as a job.
import { z } from '@hono/zod-openapi';
import { listTitles, showTitle } from '@backlot/workflows/library';
import type { Db } from '@backlot/adapters/db';
import { route, IdParam, type Api } from '../http/api.js';
import { ApiError } from '../http/errors.js';
import { sendStoredFile } from '../http/media.js';
import { submitJob, JobSchema } from './jobs.js';
import { FileName } from './uploads.js';

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 in hex (from POST /api/uploads)');

const TitleSchema = z
  .object({ id: z.string(), name: z.string(), year: z.number().nullable(), files: z.number(), shots: z.number(), proxies: z.number(), durationSeconds: z.number(), ready: z.boolean(), documents: z.array(z.string()) })
  .openapi('Title');

export const ShotSchema = z
  .object({
    id: z.string(),
    titleId: z.string(),
    mediaFileId: z.string(),
    index: z.number().int(),
    startFrame: z.number().int(),
    endFrame: z.number().int(),
    start: z.number(),
    end: z.number(),
    transitionIn: z.string(),
    meanLuma: z.number(),
    sharpness: z.number(),
    motion: z.number(),
    isBlack: z.boolean(),
    letterbox: z.boolean(),
    phash: z.string(),
    dupGroup: z.string().nullable(),
    hasKeyframe: z.boolean(),
    hasProxy: z.boolean(),
  })
  .openapi('Shot');

const SHOT_COLUMNS = 'id, title_id, media_file_id, idx, start_frame, end_frame, start_s, end_s, transition_in, mean_luma, sharpness, motion, is_black, letterbox, phash, dup_group, keyframe_sha256, proxy_sha256';

function toShot(r: Record<string, unknown>): z.infer<typeof ShotSchema> {
  return {
    id: String(r.id),
    titleId: String(r.title_id),
    mediaFileId: String(r.media_file_id),
    index: Number(r.idx),
    startFrame: Number(r.start_frame),
    endFrame: Number(r.end_frame),
    start: Number(r.start_s),
    end: Number(r.end_s),
    transitionIn: String(r.transition_in),
    meanLuma: Number(r.mean_luma),
    sharpness: Number(r.sharpness),
    motion: Number(r.motion),
    isBlack: Boolean(r.is_black),
    letterbox: Boolean(r.letterbox),
    phash: String(r.phash),
    dupGroup: (r.dup_group as string | null) ?? null,
    hasKeyframe: r.keyframe_sha256 !== null,
    hasProxy: r.proxy_sha256 !== null,
  };
}

/**
 * One page of shots in id order (keyset paging: stable and O(page) at any depth). The library
 * workflow lists a whole title; a browser paging through 100k shots needs this.
 */
async function shotPage(db: Db, q: { title?: string; after?: string; limit: number }) {
  const rows = await db.query(
    `SELECT ${SHOT_COLUMNS} FROM shots WHERE ($1::text IS NULL OR title_id = $1) AND ($2::text IS NULL OR id > $2) ORDER BY id LIMIT $3`,
    [q.title ?? null, q.after ?? null, q.limit],
  );
  const shots = rows.map(toShot);
  return { shots, next: shots.length === q.limit ? shots[shots.length - 1]!.id : null };
}

async function shotRow(db: Db, id: string): Promise<Record<string, unknown>> {
  const [r] = await db.query(`SELECT ${SHOT_COLUMNS} FROM shots WHERE id = $1`, [id]);
  if (!r) throw new ApiError(404, 'shot_not_found', `no shot ${id}`, 'id');
  return r;
}

export function registerLibrary(api: Api): void {
  route(api, { method: 'get', path: '/api/titles', summary: 'Titles in the library', responses: { 200: json(z.object({ titles: z.array(TitleSchema) }), 'Titles') } }, async (c) =>
    c.json({ titles: await listTitles(api.ws.db) }, 200),
  );

  route(
    api,
    {
      method: 'get',
      path: '/api/titles/{id}',
      summary: 'One title: files, documents, credits, counts',
      request: { params: z.object({ id: IdParam('id', 'a1b2c3') }) },
      responses: { 200: json(TitleSchema.extend({ kind: z.string(), transitions: z.record(z.string(), z.number()), credits: z.array(z.object({ character: z.string(), person: z.string(), role: z.string() })) }).passthrough(), 'The title'), 404: json(z.any(), 'No such title') },
    },
    async (c) => {
      const t = await showTitle(api.ws.db, c.req.valid('param').id);
      // Where the originals sit on the server's disk is nobody else's business.
      return c.json({ ...t, mediaFiles: t.mediaFiles.map(({ path: _p, ...m }) => m), documentsAttached: t.documentsAttached.map(({ path: _p, ...d }) => d) }, 200);
    },
  );

  route(
    api,
    {
      method: 'get',
      path: '/api/shots',
      summary: 'Shots a page at a time, in id order',
      request: {
        query: z.strictObject({
          title: IdParam('title', 'a1b2c3').optional().openapi({ param: { name: 'title', in: 'query' } }),
          after: IdParam('after', 'abcdef012345-17').optional().openapi({ param: { name: 'after', in: 'query' }, description: 'The `next` of the previous page.' }),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
      },
      responses: { 200: json(z.object({ shots: z.array(ShotSchema), next: z.string().nullable() }).openapi('ShotPage'), 'A page') },
    },
    async (c) => c.json(await shotPage(api.ws.db, c.req.valid('query')), 200),
  );

  route(
    api,
    {
      method: 'get',
      path: '/api/shots/{id}',
      summary: 'One shot',
      request: { params: z.object({ id: IdParam('id', 'abcdef012345-17') }) },
      responses: { 200: json(ShotSchema, 'The shot'), 404: json(z.any(), 'No such shot') },
    },
    async (c) => c.json(toShot(await shotRow(api.ws.db, c.req.valid('param').id)), 200),
  );

  for (const [kind, column, type] of [
    ['keyframe', 'keyframe_sha256', 'image/jpeg'],
    ['proxy', 'proxy_sha256', 'video/mp4'],
  ] as const) {
    route(
      api,
      {
        method: 'get',
        path: `/api/shots/{id}/${kind}`,
        summary: kind === 'keyframe' ? "The shot's keyframe (JPEG)" : "The shot's training proxy (MP4, range requests)",
        request: { params: z.object({ id: IdParam('id', 'abcdef012345-17') }) },
        responses: { 200: { description: type }, 206: { description: 'A byte range' }, 404: json(z.any(), 'No such shot or no media for it') },
      },
      async (c) => {
        const { id } = c.req.valid('param');
        const sha = (await shotRow(api.ws.db, id))[column] as string | null;
        if (!sha) throw new ApiError(404, `no_${kind}`, `shot ${id} has no ${kind}`, 'id');
        return sendStoredFile(c, api.ws.store.pathOf(sha), type, `the ${kind} of shot ${id}`) as never;
      },
    );
  }

  route(
    api,
    {
      method: 'post',
      path: '/api/ingest',
      summary: 'Ingest uploaded films (a job)',
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z
                .strictObject({
                  files: z.array(z.strictObject({ sha256: Sha256, name: FileName })).min(1).max(50),
                  title: z.string().trim().min(1).max(200).optional(),
                })
                .openapi('IngestRequest'),
            },
          },
        },
      },
      responses: { 202: json(JobSchema, 'Queued'), 404: json(z.any(), 'An upload is missing') },
    },
    async (c) => {
      const input = c.req.valid('json');
      for (const f of input.files) if (!(await api.ws.store.has(f.sha256))) throw new ApiError(404, 'unknown_upload', `no upload ${f.sha256}`, 'files');
      return submitJob(api, c, 'ingest', input);
    },
  );
}
