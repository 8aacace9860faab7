// The OpenAPI document describes what the server really answers: real responses (successes and
// errors) are validated against the response schema the document gives for their route and status.
import Ajv2020 from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './testing/fixture.js';

let t: TestServer;
let doc: { openapi: string; paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>> };
let ajv: InstanceType<typeof Ajv2020>;

beforeAll(async () => {
  t = await startTestServer({ workers: 'all' });
  doc = (await (await t.call('GET', '/openapi.json')).json()) as typeof doc;
  ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema({ ...doc, $id: 'openapi' } as object);
});
afterAll(async () => t?.close());

const pointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/** Validates one real response against the document; `template` is the OpenAPI path. */
async function conforms(res: Response, method: string, template: string): Promise<unknown> {
  const op = doc.paths[template]?.[method.toLowerCase()];
  expect(op, `${method} ${template} is documented`).toBeTruthy();
  const status = String(res.status);
  expect(Object.keys(op!.responses), `${method} ${template} documents ${status}`).toContain(status);
  const body = await res.json();
  if (op!.responses[status]!.content?.['application/json']) {
    const ref = `openapi#/paths/${pointer(template)}/${method.toLowerCase()}/responses/${status}/content/${pointer('application/json')}/schema`;
    const validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
    const ok = validate(body);
    expect(ok, `${method} ${template} ${status}: ${JSON.stringify(validate.errors)} for ${JSON.stringify(body).slice(0, 400)}`).toBe(true);
  }
  return body;
}

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1 and lists the roles on each protected operation', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(JSON.stringify(doc.paths['/api/users'])).toContain('Roles: admin.');
  });

  it('rejects a body that does not match (the check has teeth)', () => {
    const ref = `openapi#/paths/${pointer('/api/users')}/get/responses/200/content/${pointer('application/json')}/schema`;
    const validate = ajv.compile({ $ref: ref });
    expect(validate({ users: [{ id: 1 }] })).toBe(false);
  });

  it('matches real responses from the routes', async () => {
    await conforms(await t.call('GET', '/api/health', { role: null }), 'GET', '/api/health');
    await conforms(await t.call('GET', '/api/auth/config', { role: null }), 'GET', '/api/auth/config');
    await conforms(await t.call('POST', '/api/auth/sign-in', { role: null, body: { username: 'ml-user', password: 'test-password-123' } }), 'POST', '/api/auth/sign-in');
    await conforms(await t.call('POST', '/api/auth/sign-in', { role: null, body: { username: 'ml-user', password: 'wrong-password' } }), 'POST', '/api/auth/sign-in');
    await conforms(await t.call('GET', '/api/auth/me', { role: 'creative' }), 'GET', '/api/auth/me');
    await conforms(await t.call('GET', '/api/users'), 'GET', '/api/users');
    await conforms(await t.call('POST', '/api/users', { body: { username: 'new-person', role: 'viewer', password: 'long enough password' } }), 'POST', '/api/users');
    await conforms(await t.call('POST', '/api/users', { body: { username: 'new-person', role: 'viewer' } }), 'POST', '/api/users');
    await conforms(await t.call('PATCH', '/api/users/new-person', { body: { role: 'creative' } }), 'PATCH', '/api/users/{username}');
    await conforms(await t.call('POST', '/api/users/new-person/disable'), 'POST', '/api/users/{username}/disable');
    const issued = (await conforms(await t.call('POST', '/api/tokens', { role: 'ml', body: { name: 'doc' } }), 'POST', '/api/tokens')) as { id: string };
    await conforms(await t.call('GET', '/api/tokens', { role: 'ml' }), 'GET', '/api/tokens');
    await conforms(await t.call('DELETE', `/api/tokens/${issued.id}`, { role: 'ml' }), 'DELETE', '/api/tokens/{id}');

    const job = (await conforms(await t.call('POST', '/api/jobs/ping', { body: { ms: 50 } }), 'POST', '/api/jobs/ping')) as { id: string };
    for (let i = 0; i < 100; i++) {
      const j = (await (await t.call('GET', `/api/jobs/${job.id}`)).json()) as { state: string };
      if (j.state === 'completed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await conforms(await t.call('GET', `/api/jobs/${job.id}`), 'GET', '/api/jobs/{id}');
    await conforms(await t.call('GET', '/api/jobs?limit=5'), 'GET', '/api/jobs');
    await conforms(await t.call('POST', `/api/jobs/${job.id}/cancel`), 'POST', '/api/jobs/{id}/cancel');
    await conforms(await t.call('GET', '/api/jobs/00000000-0000-4000-8000-000000000000'), 'GET', '/api/jobs/{id}');

    await conforms(await t.call('POST', '/api/uploads?name=cast.csv', { rawBody: 'title,person\nA,B\n', headers: { 'content-type': 'text/csv' } }), 'POST', '/api/uploads');
    await conforms(await t.call('GET', '/api/titles'), 'GET', '/api/titles');
    await conforms(await t.call('GET', '/api/shots?limit=10'), 'GET', '/api/shots');
    await conforms(await t.call('GET', '/api/shots/nope-1'), 'GET', '/api/shots/{id}');
    await conforms(await t.call('GET', '/api/datasets', { role: 'ml' }), 'GET', '/api/datasets');
    await conforms(await t.call('GET', '/api/models', { role: 'creative' }), 'GET', '/api/models');
    await conforms(await t.call('GET', '/api/outputs', { role: 'viewer' }), 'GET', '/api/outputs');
    await conforms(await t.call('GET', '/api/rights', { role: 'rights' }), 'GET', '/api/rights');
    await conforms(await t.call('GET', '/api/rights/check', { role: 'rights' }), 'GET', '/api/rights/check');
    await conforms(await t.call('GET', '/api/royalties', { role: 'rights' }), 'GET', '/api/royalties');
    await conforms(await t.call('GET', '/api/audit?limit=20', { role: 'rights' }), 'GET', '/api/audit');
    await conforms(await t.call('GET', '/api/audit/verify', { role: 'rights' }), 'GET', '/api/audit/verify');

    // Errors have the documented shape too.
    await conforms(await t.call('GET', '/api/audit', { role: null }), 'GET', '/api/audit');
    await conforms(await t.call('GET', '/api/audit', { role: 'viewer' }), 'GET', '/api/audit');
    await conforms(await t.call('GET', '/api/audit?limit=0', { role: 'rights' }), 'GET', '/api/audit');
  });
});
