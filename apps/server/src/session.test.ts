// Sessions, CSRF, API token expiry and revocation, the sign-in rate limit, and the audit of requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '@backlot/workflows/audit';
import { PASSWORD, startTestServer, type TestServer } from './testing/fixture.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ workers: 'none' });
});
afterAll(async () => t?.close());

function cookiesOf(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const [k, v] = pair!.split('=');
    out[k!] = v ?? '';
  }
  return out;
}

async function signIn(username: string, password = PASSWORD) {
  const res = await t.call('POST', '/api/auth/sign-in', { role: null, body: { username, password } });
  return { res, cookies: cookiesOf(res), setCookie: res.headers.getSetCookie() };
}

describe('sessions', () => {
  it('sets an HttpOnly SameSite session cookie and a readable CSRF cookie', async () => {
    const { res, setCookie, cookies } = await signIn('ml-user');
    expect(res.status).toBe(200);
    const session = setCookie.find((c) => c.startsWith('backlot_session='))!;
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Strict/);
    const csrf = setCookie.find((c) => c.startsWith('backlot_csrf='))!;
    expect(csrf).not.toMatch(/HttpOnly/);
    const body = (await res.json()) as { csrfToken: string; user: { username: string } };
    expect(body.csrfToken).toBe(cookies.backlot_csrf);
    expect(body.user.username).toBe('ml-user');
    expect(JSON.stringify(body)).not.toMatch(/argon2|password_hash/);
  });

  it('answers a session cookie on reads, and requires the CSRF header on state changes', async () => {
    const { cookies } = await signIn('admin-user');
    const cookie = `backlot_session=${cookies.backlot_session}; backlot_csrf=${cookies.backlot_csrf}`;
    const me = await t.call('GET', '/api/auth/me', { role: null, headers: { cookie } });
    expect(me.status).toBe(200);
    const noHeader = await t.call('POST', '/api/users', { role: null, headers: { cookie }, body: { username: 'csrf-victim', role: 'admin', password: 'long enough password' } });
    expect(noHeader.status).toBe(403);
    expect(((await noHeader.json()) as { error: { code: string } }).error.code).toBe('csrf');
    const wrong = await t.call('POST', '/api/users', { role: null, headers: { cookie, 'x-csrf-token': 'forged' }, body: { username: 'csrf-victim', role: 'admin', password: 'long enough password' } });
    expect(wrong.status).toBe(403);
    const right = await t.call('POST', '/api/users', { role: null, headers: { cookie, 'x-csrf-token': cookies.backlot_csrf! }, body: { username: 'csrf-ok', role: 'viewer', password: 'long enough password' } });
    expect(right.status).toBe(201);
  });

  it('ends a session on sign-out', async () => {
    const { cookies } = await signIn('viewer-user');
    const cookie = `backlot_session=${cookies.backlot_session}`;
    expect((await t.call('POST', '/api/auth/sign-out', { role: null, headers: { cookie, 'x-csrf-token': cookies.backlot_csrf! } })).status).toBe(200);
    expect((await t.call('GET', '/api/auth/me', { role: null, headers: { cookie } })).status).toBe(401);
  });

  it('refuses a wrong password with 401 and rate-limits repeated failures with 429', async () => {
    const bad = await signIn('rights-user', 'not the password');
    expect(bad.res.status).toBe(401);
    expect(((await bad.res.json()) as { error: { message: string } }).error.message).toBe('wrong username or password');
    let last = 0;
    for (let i = 0; i < 6; i++) last = (await signIn('creative-user', 'not the password')).res.status;
    expect(last).toBe(429);
    expect((await signIn('creative-user')).res.status).toBe(429);
  });
});

describe('API tokens', () => {
  it('stops working when revoked', async () => {
    const issued = await t.call('POST', '/api/tokens', { role: 'ml', body: { name: 'ci', days: 1 } });
    expect(issued.status).toBe(201);
    const { token, id, role } = (await issued.json()) as { token: string; id: string; role: string };
    expect(role).toBe('ml');
    expect((await t.server.fetch(new Request('http://x/api/auth/me', { headers: { authorization: `Bearer ${token}` } }))).status).toBe(200);
    expect((await t.call('DELETE', `/api/tokens/${id}`, { role: 'ml' })).status).toBe(200);
    const after = await t.server.fetch(new Request('http://x/api/auth/me', { headers: { authorization: `Bearer ${token}` } }));
    expect(after.status).toBe(401);
    expect(((await after.json()) as { error: { code: string } }).error.code).toBe('bad_token');
  });

  it('stops working when expired', async () => {
    const { token, id } = (await (await t.call('POST', '/api/tokens', { role: 'viewer', body: { name: 'short' } })).json()) as { token: string; id: string };
    await t.ws.db.query(`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
    expect((await t.server.fetch(new Request('http://x/api/auth/me', { headers: { authorization: `Bearer ${token}` } }))).status).toBe(401);
  });

  it('cannot be widened beyond its owner', async () => {
    const res = await t.call('POST', '/api/tokens', { role: 'creative', body: { name: 'x', role: 'admin' } });
    expect(res.status).toBe(403);
  });

  it('stops working when its owner is disabled', async () => {
    const { token } = (await (await t.call('POST', '/api/tokens', { role: 'admin', body: { name: 'for-rights', username: 'rights-user' } })).json()) as { token: string };
    expect((await t.call('POST', '/api/users/rights-user/disable')).status).toBe(200);
    expect((await t.server.fetch(new Request('http://x/api/auth/me', { headers: { authorization: `Bearer ${token}` } }))).status).toBe(401);
    expect((await t.call('POST', '/api/users/rights-user/enable')).status).toBe(200);
  });
});

describe('audit of requests', () => {
  it('records every state-changing request with the user, refused ones included', async () => {
    await t.call('POST', '/api/jobs/ping', { role: 'viewer', body: { ms: 0 } });
    await t.call('POST', '/api/tokens', { role: 'ml', body: { name: 'audited' } });
    const entries = await listAudit(t.ws.db, { action: 'http', limit: 50 });
    expect(entries.find((e) => e.actor === 'user:viewer-user' && e.subject === 'route:POST /api/jobs/ping' && e.details.includes('"status":403'))).toBeTruthy();
    expect(entries.find((e) => e.actor === 'user:ml-user' && e.subject === 'route:POST /api/tokens' && e.details.includes('"status":201'))).toBeTruthy();
  });
});
