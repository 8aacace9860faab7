import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openPglite, type PgliteDb } from '@backlot/adapters/db';
import { verifyAudit } from '../audit/index.js';
import * as users from './index.js';

let db: PgliteDb;
const ws = () => ({ db });
const admin = { actor: 'cli:test' };

beforeAll(async () => {
  db = await openPglite(join(mkdtempSync(join(tmpdir(), 'backlot-users-')), 'db'));
  await migrate(db);
});
afterAll(async () => db?.close());

describe('users', () => {
  it('stores argon2 hashes, never the password, and checks it', async () => {
    await users.addUser(ws(), { username: 'ada', role: 'ml', password: 'correct horse battery' }, admin);
    const [row] = await db.query<{ password_hash: string }>("SELECT password_hash FROM users WHERE username = 'ada'");
    expect(row!.password_hash).toMatch(/^\$argon2id\$/);
    expect(row!.password_hash).not.toContain('correct horse');
    const user = await users.checkPassword(ws(), { username: 'ada', password: 'correct horse battery', ip: '10.0.0.1' });
    expect(user.role).toBe('ml');
    await expect(users.checkPassword(ws(), { username: 'ada', password: 'wrong password!', ip: '10.0.0.1' })).rejects.toThrow('wrong username or password');
    await expect(users.checkPassword(ws(), { username: 'nobody', password: 'wrong password!', ip: '10.0.0.1' })).rejects.toThrow('wrong username or password');
  });

  it('refuses a duplicate username and a short password, naming the field', async () => {
    await expect(users.addUser(ws(), { username: 'ada', role: 'viewer', password: 'another long one' }, admin)).rejects.toMatchObject({ code: 'user_exists', subject: 'username' });
    await expect(users.addUser(ws(), { username: 'bob', role: 'viewer', password: 'short' }, admin)).rejects.toThrow(/10 characters/);
  });

  it('rate-limits sign-in after repeated failures for one username', async () => {
    await users.addUser(ws(), { username: 'cy', role: 'viewer', password: 'cy-password-123' }, admin);
    for (let i = 0; i < users.MAX_FAILURES_PER_USERNAME; i++) {
      await expect(users.checkPassword(ws(), { username: 'cy', password: 'nope nope nope', ip: `10.1.0.${i}` })).rejects.toMatchObject({ code: 'bad_credentials' });
    }
    await expect(users.checkPassword(ws(), { username: 'cy', password: 'cy-password-123', ip: '10.1.0.99' })).rejects.toMatchObject({ code: 'rate_limited' });
  });

  it('issues tokens stored hashed, scoped to a role, and stops honouring them when revoked or the user is disabled', async () => {
    await users.addUser(ws(), { username: 'dee', role: 'creative', password: 'dee-password-123' }, admin);
    await expect(users.issueToken(ws(), { username: 'dee', name: 'x', role: 'admin' }, admin)).rejects.toMatchObject({ code: 'role_too_wide' });
    const t = await users.issueToken(ws(), { username: 'dee', name: 'render box', role: 'viewer', days: 1 }, admin);
    const stored = await db.query<{ secret_hash: string }>('SELECT secret_hash FROM api_tokens WHERE id = $1', [t.id]);
    expect(t.token).not.toContain(stored[0]!.secret_hash);
    expect((await users.resolveToken(ws(), t.token))!.role).toBe('viewer');
    expect(await users.resolveToken(ws(), `${t.token.slice(0, -1)}${t.token.endsWith('A') ? 'B' : 'A'}`)).toBeNull();
    await users.revokeToken(ws(), { id: t.id }, admin);
    expect(await users.resolveToken(ws(), t.token)).toBeNull();

    const t2 = await users.issueToken(ws(), { username: 'dee', name: 'laptop' }, admin);
    const session = await users.createSession(ws(), await users.getUser(ws(), 'dee'), 'password');
    expect((await users.resolveSession(ws(), session.secret))!.user.username).toBe('dee');
    await users.disableUser(ws(), { username: 'dee' }, admin);
    expect(await users.resolveToken(ws(), t2.token)).toBeNull();
    expect(await users.resolveSession(ws(), session.secret)).toBeNull();
  });

  it('treats an expired token as unknown', async () => {
    const t = await users.issueToken(ws(), { username: 'ada', name: 'short-lived', days: 1 }, admin);
    await db.query(`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, [t.id]);
    expect(await users.resolveToken(ws(), t.token)).toBeNull();
  });

  it('creates a single-sign-on user once and follows the role claim', async () => {
    const a = await users.signInWithIdentity(ws(), { issuer: 'https://idp', subject: 's1', preferredUsername: 'Eve@studio.example', role: 'viewer' });
    const b = await users.signInWithIdentity(ws(), { issuer: 'https://idp', subject: 's1', preferredUsername: 'eve', role: 'rights' });
    expect(a.id).toBe(b.id);
    expect(a.username).toBe('eve');
    expect(b.role).toBe('rights');
  });

  it('audits every change in an intact chain', async () => {
    expect((await verifyAudit(db)).ok).toBe(true);
    const [n] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_log WHERE action LIKE 'user.%'");
    expect(n!.n).toBeGreaterThanOrEqual(8);
  });
});
