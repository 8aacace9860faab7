// Single sign-on against a real OpenID Connect provider (oidc-provider) started on loopback: the
// code flow with PKCE ends in an ordinary session whose role comes from the provider's groups claim.
import { createServer as netServer } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './testing/fixture.js';

const GROUPS: Record<string, string[]> = { olive: ['staff', 'studio-rights'], mallory: ['contractors'] };

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = netServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

let t: TestServer;
let serverUrl = '';
let idp: HttpServer;

beforeAll(async () => {
  const idpPort = await freePort();
  const issuer = `http://127.0.0.1:${idpPort}`;
  t = await startTestServer({
    workers: 'none',
    oidc: { issuer, clientId: 'backlot', clientSecret: 'backlot-test-secret', roleClaim: 'groups', roleMap: { 'studio-admins': 'admin', 'studio-rights': 'rights' }, label: 'Studio SSO', allowInsecure: true },
  });
  serverUrl = (await t.server.listen(0)).url;
  const provider = new Provider(issuer, {
    clients: [{ client_id: 'backlot', client_secret: 'backlot-test-secret', redirect_uris: [`${serverUrl}/api/auth/oidc/callback`], grant_types: ['authorization_code'], response_types: ['code'] }],
    findAccount: async (_ctx: unknown, id: string) => ({ accountId: id, claims: async () => ({ sub: id, preferred_username: id, name: id.toUpperCase(), groups: GROUPS[id] ?? [] }) }),
    claims: { openid: ['sub'], profile: ['preferred_username', 'name', 'groups'] },
    cookies: { keys: ['test-only-cookie-key'] },
  });
  idp = provider.listen(idpPort);
});

afterAll(async () => {
  idp?.close();
  await t?.close();
});

/** A browser in miniature: follows redirects, keeps cookies per host, submits the provider's forms. */
async function signInThroughProvider(login: string): Promise<{ landing: string; cookies: Map<string, string> }> {
  const jars = new Map<string, Map<string, string>>();
  const jar = (url: URL) => jars.get(url.host) ?? jars.set(url.host, new Map()).get(url.host)!;
  let url = new URL('/api/auth/oidc/start?returnTo=/library', serverUrl);
  let method = 'GET';
  let body: string | undefined;
  for (let hop = 0; hop < 20; hop++) {
    const cookies = jar(url);
    const res = await fetch(url, {
      method,
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body,
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      cookies.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      const next = new URL(location, url);
      if (next.origin === serverUrl && !next.pathname.startsWith('/api/')) return { landing: next.pathname + next.search, cookies: jar(new URL(serverUrl)) };
      url = next;
      method = 'GET';
      body = undefined;
      continue;
    }
    const html = await res.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (!action) throw new Error(`stuck at ${url} (${res.status}): ${html.slice(0, 300)}`);
    const fields = new URLSearchParams();
    for (const m of html.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) fields.set(m[1]!, m[2]!);
    if (html.includes('name="login"')) {
      fields.set('login', login);
      fields.set('password', 'anything');
    }
    url = new URL(action.replace(/&amp;/g, '&'), url);
    method = 'POST';
    body = fields.toString();
  }
  throw new Error('too many hops');
}

describe('single sign-on (OpenID Connect)', () => {
  it('advertises itself on the sign-in options', async () => {
    const res = await t.call('GET', '/api/auth/config', { role: null });
    expect(await res.json()).toEqual({ password: true, sso: { label: 'Studio SSO', startUrl: '/api/auth/oidc/start' } });
  });

  it('signs a person in with the role mapped from their groups claim', async () => {
    const { landing, cookies } = await signInThroughProvider('olive');
    expect(landing).toBe('/library');
    const session = cookies.get('backlot_session');
    expect(session).toBeTruthy();
    const me = await fetch(`${serverUrl}/api/auth/me`, { headers: { cookie: `backlot_session=${session}` } });
    expect(me.status).toBe(200);
    const body = (await me.json()) as { user: { username: string; sso: boolean; displayName: string }; role: string };
    expect(body.role).toBe('rights');
    expect(body.user).toMatchObject({ username: 'olive', sso: true, displayName: 'OLIVE' });
    // The same identity signs in again as the same person.
    await signInThroughProvider('olive');
    const users = (await (await t.call('GET', '/api/users')).json()) as { users: Array<{ username: string }> };
    expect(users.users.filter((u) => u.username.startsWith('olive'))).toHaveLength(1);
  });

  it('refuses a person whose groups map to no role, saying why', async () => {
    const { landing, cookies } = await signInThroughProvider('mallory');
    expect(landing).toMatch(/^\/\?sso_error=/);
    expect(decodeURIComponent(landing)).toContain('no Backlot role');
    expect(cookies.get('backlot_session')).toBeUndefined();
  });

  it('rejects a callback with an unknown state', async () => {
    const res = await fetch(`${serverUrl}/api/auth/oidc/callback?code=x&state=forged`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(decodeURIComponent(res.headers.get('location')!)).toContain('expired or was already used');
  });
});
