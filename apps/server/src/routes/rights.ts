// Rights: the registry as it stands, importing a rights file (uploaded first), revoking a person's
// consent (and seeing what it taints), and the per-title / per-shot check.
import { z } from '@hono/zod-openapi';
import { checkRights, importRights, listRights, revokeConsent } from '@backlot/workflows/rights';
import { CONSENT_SCOPES, TRAINING_PURPOSES } from '@backlot/core';
import { route, principalOf, IdParam, type Api } from '../http/api.js';
import { actorOf } from '../http/auth.js';
import { ApiError } from '../http/errors.js';
import { withoutPaths } from '../http/redact.js';
import { FileName } from './uploads.js';

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day like 2026-11-25');
const Loose = (name: string) => z.object({}).passthrough().openapi(name);

export function registerRights(api: Api): void {
  route(
    api,
    {
      method: 'get',
      path: '/api/rights',
      summary: 'Rights per title and people with their consents',
      request: { query: z.strictObject({ asOf: Day.optional() }) },
      responses: { 200: json(z.object({ titles: z.array(Loose('TitleRights')), people: z.array(Loose('PersonConsents')) }).openapi('RightsRegistry'), 'The registry') },
    },
    async (c) => c.json(withoutPaths(await listRights(api.ws.db, c.req.valid('query').asOf)), 200),
  );

  route(
    api,
    {
      method: 'post',
      path: '/api/rights/import',
      summary: 'Import a rights file (JSON or CSV) uploaded with POST /api/uploads',
      description: 'All or nothing: a file with any bad row changes nothing and the message names the row and field.',
      request: { body: { required: true, content: { 'application/json': { schema: z.strictObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 in hex'), name: FileName }).openapi('RightsImportRequest') } } } },
      responses: { 200: json(Loose('RightsImportResult'), 'Imported'), 404: json(z.any(), 'No such upload'), 422: json(z.any(), 'The file has problems') },
    },
    async (c) => {
      const { sha256, name } = c.req.valid('json');
      if (!(await api.ws.store.has(sha256))) throw new ApiError(404, 'unknown_upload', `no upload ${sha256}`, 'sha256');
      const body = (await api.ws.store.read(sha256)).toString('utf8');
      // The workflow names problems by file name; give it the person's name for the file.
      const result = await importRights(api.ws, { path: name, body }, { actor: actorOf(principalOf(c)) });
      return c.json(withoutPaths({ ...result, file: name }), 200);
    },
  );

  route(
    api,
    {
      method: 'post',
      path: '/api/rights/people/{person}/revoke-consent',
      summary: "Revoke a person's consent and taint the datasets and models it reaches",
      request: {
        params: z.object({ person: IdParam('person', 'p_ada') }),
        body: { required: true, content: { 'application/json': { schema: z.strictObject({ reason: z.string().trim().min(1).max(1000), scope: z.enum(CONSENT_SCOPES).optional(), on: Day.optional() }).openapi('RevokeConsent') } } },
      },
      responses: { 200: json(Loose('ConsentRevocation'), 'Revoked, with the taints'), 404: json(z.any(), 'No such person') },
    },
    async (c) => {
      const { person } = c.req.valid('param');
      const body = c.req.valid('json');
      return c.json(withoutPaths(await revokeConsent(api.ws, { person, ...body }, { actor: actorOf(principalOf(c)) })), 200);
    },
  );

  route(
    api,
    {
      method: 'get',
      path: '/api/rights/check',
      summary: 'What may be used for training, per title (and per shot for one title), with reasons',
      request: { query: z.strictObject({ title: z.string().min(1).max(200).optional(), purpose: z.enum(TRAINING_PURPOSES).optional(), asOf: Day.optional(), project: z.string().max(200).optional(), territory: z.string().max(20).optional() }) },
      responses: { 200: json(Loose('RightsCheck'), 'Verdicts'), 404: json(z.any(), 'No such title') },
    },
    async (c) => c.json(withoutPaths(await checkRights(api.ws, c.req.valid('query'), { actor: actorOf(principalOf(c)) })) as unknown as Record<string, unknown>, 200),
  );
}
