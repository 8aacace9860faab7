// What people browse in the web app beyond each area's own records: search across the library's
// text, a whole title's video, the rights registry record by record, and a generated clip's
// content credentials checked live against the studio's trust anchors.
import { z } from '@hono/zod-openapi';
import { searchLibrary } from '@backlot/workflows/library';
import { loadRightsRegistry } from '@backlot/workflows/rights';
import { findGeneration, verifyFile } from '@backlot/workflows/generation';
import { route, IdParam, type Api } from '../http/api.js';
import { ApiError } from '../http/errors.js';
import { sendStoredFile } from '../http/media.js';
import { withoutPaths } from '../http/redact.js';

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const Loose = (name: string) => z.object({}).passthrough().openapi(name);

const SearchHitSchema = z
  .object({ titleId: z.string(), title: z.string(), source: z.enum(['title', 'subtitles', 'screenplay']), text: z.string(), start: z.number().nullable(), shotId: z.string().nullable() })
  .openapi('SearchHit');

export function registerBrowse(api: Api): void {
  route(
    api,
    {
      method: 'get',
      path: '/api/search',
      summary: 'Search titles, subtitles and screenplays',
      request: { query: z.strictObject({ q: z.string().trim().min(2, 'at least 2 characters').max(200), limit: z.coerce.number().int().min(1).max(500).default(50) }) },
      responses: { 200: json(z.object({ hits: z.array(SearchHitSchema) }), 'Hits, titles first, then in film order') },
    },
    async (c) => {
      const { q, limit } = c.req.valid('query');
      return c.json({ hits: await searchLibrary(api.ws.db, q, { limit }) }, 200);
    },
  );

  route(
    api,
    {
      method: 'get',
      path: '/api/titles/{id}/video',
      summary: "The title's video (its first media file; range requests)",
      request: { params: z.object({ id: IdParam('id', 'a1b2c3') }) },
      responses: { 200: { description: 'video' }, 206: { description: 'A byte range' }, 404: json(z.any(), 'No such title or no readable file') },
    },
    async (c) => {
      const { id } = c.req.valid('param');
      const [m] = await api.ws.db.query<{ path: string; stored_sha256: string | null; container: string }>(
        `SELECT path, stored_sha256, container FROM media_files WHERE title_id = $1 AND status <> 'failed' ORDER BY ingested_at LIMIT 1`,
        [id],
      );
      if (!m) throw new ApiError(404, 'no_video', `title ${id} has no ingested video`, 'id');
      // Originals are referenced in place unless ingested with --copy; prefer the stored copy.
      const path = m.stored_sha256 ? api.ws.store.pathOf(m.stored_sha256) : m.path;
      const type = /webm|matroska/.test(m.container) ? 'video/webm' : /mov|mp4/.test(m.container) ? 'video/mp4' : 'application/octet-stream';
      return sendStoredFile(c, path, type, `the video of title ${id}`) as never;
    },
  );

  route(
    api,
    {
      method: 'get',
      path: '/api/rights/registry',
      summary: 'Every rights record: grants, people, consents, appearances, cues, restrictions',
      responses: { 200: json(Loose('RightsRecords'), 'The registry, with title names') },
    },
    async (c) => {
      const registry = await loadRightsRegistry(api.ws.db);
      const titles = await api.ws.db.query<{ id: string; name: string }>('SELECT id, name FROM titles');
      return c.json(withoutPaths({ ...registry, titles: Object.fromEntries(titles.map((t) => [t.id, t.name])) }) as unknown as Record<string, unknown>, 200);
    },
  );

  route(
    api,
    {
      method: 'get',
      path: '/api/outputs/{id}/credentials',
      summary: "The output's C2PA content credentials, validated now",
      request: { params: z.object({ id: IdParam('id', 'gen_0123') }) },
      responses: { 200: json(Loose('Credentials'), 'State (Trusted, Valid, Invalid or none), signer, lineage'), 404: json(z.any(), 'No such output') },
    },
    async (c) => {
      const g = await findGeneration(api.ws, c.req.valid('param').id);
      if (!g.sha256) throw new ApiError(404, 'no_output', `generation ${g.id} has no output`, 'id');
      const report = await verifyFile(api.ws, api.ws.store.pathOf(g.sha256));
      return c.json(withoutPaths(report) as unknown as Record<string, unknown>, 200);
    },
  );
}
