// Health and the audit log (read and verify). Writing to the log happens in the workflows and in
// the request-audit middleware, never through a route.
import { z } from '@hono/zod-openapi';
import { listAudit, verifyAudit } from '@backlot/workflows/audit';
import { route, type Api } from '../http/api.js';

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

const AuditEntrySchema = z
  .object({ seq: z.number().int(), at: z.string(), actor: z.string(), action: z.string(), subject: z.string(), details: z.string(), prevHash: z.string(), hash: z.string() })
  .openapi('AuditEntry');

export function registerHealthAndAudit(api: Api): void {
  route(
    api,
    {
      method: 'get',
      path: '/api/health',
      summary: 'Liveness: the database answers',
      responses: { 200: json(z.object({ ok: z.literal(true), database: z.enum(['pglite', 'postgres']) }).openapi('Health'), 'Up') },
    },
    async (c) => {
      await api.ws.db.query('SELECT 1');
      return c.json({ ok: true as const, database: api.ws.db.dialect }, 200);
    },
  );

  route(
    api,
    {
      method: 'get',
      path: '/api/audit',
      summary: 'Audit log entries, newest first',
      request: {
        query: z.strictObject({
          actor: z.string().max(200).optional(),
          action: z.string().max(100).optional(),
          subject: z.string().max(300).optional().openapi({ description: 'Prefix, e.g. "user:" or "dataset:abc"' }),
          since: z.iso.datetime().optional(),
          until: z.iso.datetime().optional(),
          limit: z.coerce.number().int().min(1).max(1000).optional(),
        }),
      },
      responses: { 200: json(z.object({ entries: z.array(AuditEntrySchema) }), 'Entries') },
    },
    async (c) => c.json({ entries: await listAudit(api.ws.db, c.req.valid('query')) }, 200),
  );

  route(
    api,
    {
      method: 'get',
      path: '/api/audit/verify',
      summary: 'Re-derive the hash chain and name the first bad entry',
      responses: {
        200: json(
          z.object({ ok: z.boolean(), entries: z.number().int(), headSeq: z.number().int(), headHash: z.string(), firstProblem: z.object({}).passthrough().nullable() }).openapi('AuditVerification'),
          'Verification',
        ),
      },
    },
    async (c) => c.json(await verifyAudit(api.ws.db), 200),
  );
}
