// Generated from the role table: every route refuses a caller without credentials (401) and every
// role the table does not list for it (403); the roles it lists get past authorisation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLE_TABLE, ROLES, PUBLIC } from './roles.js';
import { startTestServer, type TestServer } from './testing/fixture.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ workers: 'none' });
});
afterAll(async () => t?.close());

const entries = Object.entries(ROLE_TABLE) as Array<[string, readonly string[] | typeof PUBLIC]>;
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, 'x0');

describe('role table', () => {
  it('lists exactly the routes the server registers', async () => {
    const doc = (await (await t.call('GET', '/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    const registered = [...documented, 'GET /openapi.json'].sort();
    expect(registered).toEqual(entries.map(([k]) => k).sort());
  });
});

for (const [key, allowed] of entries) {
  const [method, path] = key.split(' ') as [string, string];
  describe(key, () => {
    if (allowed === PUBLIC) {
      it('is open without credentials', async () => {
        const res = await t.call(method, concrete(path), { role: null });
        expect(res.status).not.toBe(401);
        expect(res.status).not.toBe(403);
      });
      return;
    }
    it('answers 401 without credentials', async () => {
      const res = await t.call(method, concrete(path), { role: null, body: method === 'GET' ? undefined : {} });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
    });
    for (const role of ROLES.filter((r) => !allowed.includes(r))) {
      it(`answers 403 to the ${role} role`, async () => {
        const res = await t.call(method, concrete(path), { role, body: method === 'GET' ? undefined : {} });
        expect(res.status).toBe(403);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('forbidden');
      });
    }
    it(`lets ${allowed.join(', ')} past authorisation`, async () => {
      for (const role of allowed as readonly (typeof ROLES)[number][]) {
        const res = await t.call(method, concrete(path), { role, body: method === 'GET' || path.endsWith('/events') ? undefined : {} });
        expect([401, 403], `${role} got ${res.status}`).not.toContain(res.status);
        await res.body?.cancel();
      }
    });
  });
}
