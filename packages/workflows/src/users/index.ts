// The studio's people and how they prove who they are: users with one role each, argon2 passwords,
// sessions, API tokens (stored hashed, scoped to a role, revocable, expiring), single sign-on
// identities, and the sign-in rate limit. The CLI (`backlot users`) and the server both use these.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { z } from 'zod';
import { AuthError, InputError, NotFoundError } from '@backlot/core';
import type { Db } from '@backlot/adapters/db';
import { appendAudit } from '../audit/index.js';

export const ROLES = ['admin', 'rights', 'ml', 'creative', 'viewer'] as const;
export type Role = (typeof ROLES)[number];
export const RoleSchema = z.enum(ROLES);
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
export const USERNAME_RULE = 'lower-case letters, digits, dot, dash or underscore, starting with a letter or digit';
export const UsernameSchema = z.string().min(2).max(64).regex(USERNAME_PATTERN, USERNAME_RULE);
export const PasswordSchema = z.string().min(10, 'at least 10 characters').max(256);

/** Sessions last a working day; a person signs in again the next morning. */
export const SESSION_HOURS = 12;
/** Sign-in limits (per 15 minutes): failures per username, attempts per address. */
export const SIGN_IN_WINDOW_MINUTES = 15;
export const MAX_FAILURES_PER_USERNAME = 5;
export const MAX_ATTEMPTS_PER_IP = 30;
export const MAX_TOKEN_DAYS = 366;

type WithDb = { db: Db };
interface Opts {
  actor: string;
}

export interface User {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  disabled: boolean;
  sso: boolean;
  hasPassword: boolean;
  createdAt: string;
  createdBy: string;
}

interface UserRow {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  password_hash: string | null;
  oidc_subject: string | null;
  disabled_at: Date | string | null;
  created_at: Date | string;
  created_by: string;
}

const USER_COLUMNS = 'id, username, display_name, role, password_hash, oidc_subject, disabled_at, created_at, created_by';

function toUser(r: UserRow): User {
  return {
    id: r.id,
    username: r.username,
    displayName: r.display_name,
    role: r.role,
    disabled: r.disabled_at !== null,
    sso: r.oidc_subject !== null,
    hasPassword: r.password_hash !== null,
    createdAt: new Date(r.created_at).toISOString(),
    createdBy: r.created_by,
  };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const secret = () => randomBytes(32).toString('base64url');

async function userRow(db: Db, username: string): Promise<UserRow | undefined> {
  return (await db.query<UserRow & Record<string, unknown>>(`SELECT ${USER_COLUMNS} FROM users WHERE username = $1`, [username]))[0];
}

async function mustFind(db: Db, username: string): Promise<UserRow> {
  const row = await userRow(db, username);
  if (!row) throw new NotFoundError('unknown_user', `no user named ${username}`, 'username');
  return row;
}

export interface AddUserInput {
  username: string;
  displayName?: string;
  role: Role;
  password?: string;
}

export async function addUser(ws: WithDb, input: AddUserInput, opts: Opts): Promise<User> {
  const username = UsernameSchema.parse(input.username);
  const role = RoleSchema.parse(input.role);
  const password = input.password === undefined ? null : PasswordSchema.parse(input.password);
  const passwordHash = password === null ? null : await argon2Hash(password);
  return ws.db.transaction(async (tx) => {
    if (await userRow(tx, username)) throw new InputError('user_exists', `a user named ${username} already exists`, 'username');
    const rows = await tx.query<UserRow & Record<string, unknown>>(
      `INSERT INTO users (id, username, display_name, role, password_hash, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${USER_COLUMNS}`,
      [randomUUID(), username, input.displayName?.trim() || username, role, passwordHash, opts.actor],
    );
    const user = toUser(rows[0]!);
    await appendAudit(tx, { actor: opts.actor, action: 'user.add', subject: `user:${username}`, details: { role, password: passwordHash !== null } });
    return user;
  });
}

export async function listUsers(ws: WithDb): Promise<User[]> {
  return (await ws.db.query<UserRow & Record<string, unknown>>(`SELECT ${USER_COLUMNS} FROM users ORDER BY username`)).map(toUser);
}

export async function getUser(ws: WithDb, username: string): Promise<User> {
  return toUser(await mustFind(ws.db, username));
}

/** Disables a person: their sessions and tokens stop working at once; the record stays for the audit trail. */
export async function disableUser(ws: WithDb, input: { username: string }, opts: Opts): Promise<User> {
  return ws.db.transaction(async (tx) => {
    const row = await mustFind(tx, input.username);
    await tx.query('UPDATE users SET disabled_at = COALESCE(disabled_at, now()) WHERE id = $1', [row.id]);
    await tx.query('UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [row.id]);
    await tx.query('UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [row.id]);
    await appendAudit(tx, { actor: opts.actor, action: 'user.disable', subject: `user:${row.username}`, details: {} });
    return toUser((await mustFind(tx, input.username))!);
  });
}

export async function enableUser(ws: WithDb, input: { username: string }, opts: Opts): Promise<User> {
  return ws.db.transaction(async (tx) => {
    const row = await mustFind(tx, input.username);
    await tx.query('UPDATE users SET disabled_at = NULL WHERE id = $1', [row.id]);
    await appendAudit(tx, { actor: opts.actor, action: 'user.enable', subject: `user:${row.username}`, details: {} });
    return toUser(await mustFind(tx, input.username));
  });
}

export async function setRole(ws: WithDb, input: { username: string; role: Role }, opts: Opts): Promise<User> {
  const role = RoleSchema.parse(input.role);
  return ws.db.transaction(async (tx) => {
    const row = await mustFind(tx, input.username);
    await tx.query('UPDATE users SET role = $2 WHERE id = $1', [row.id, role]);
    // Tokens never carry more than their owner may do.
    if (role !== 'admin') await tx.query(`UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL AND role NOT IN ($2, 'viewer')`, [row.id, role]);
    await appendAudit(tx, { actor: opts.actor, action: 'user.role', subject: `user:${row.username}`, details: { from: row.role, to: role } });
    return toUser(await mustFind(tx, input.username));
  });
}

export async function setPassword(ws: WithDb, input: { username: string; password: string }, opts: Opts): Promise<User> {
  const passwordHash = await argon2Hash(PasswordSchema.parse(input.password));
  return ws.db.transaction(async (tx) => {
    const row = await mustFind(tx, input.username);
    await tx.query('UPDATE users SET password_hash = $2 WHERE id = $1', [row.id, passwordHash]);
    await tx.query('UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [row.id]);
    await appendAudit(tx, { actor: opts.actor, action: 'user.password', subject: `user:${row.username}`, details: {} });
    return toUser(row);
  });
}

// ---- signing in -------------------------------------------------------------------------------

// Verifying against a real hash for unknown usernames keeps response times from revealing who exists.
let decoyHash: Promise<string> | null = null;

/**
 * Checks a username and password, within the sign-in rate limit. Every attempt is recorded; the
 * message never says whether the username exists.
 */
export async function checkPassword(ws: WithDb, input: { username: string; password: string; ip: string }): Promise<User> {
  const username = input.username.toLowerCase().slice(0, 64);
  const [counts] = await ws.db.query<{ by_user: string | number; by_ip: string | number }>(
    `SELECT count(*) FILTER (WHERE username = $1 AND NOT ok) AS by_user, count(*) FILTER (WHERE ip = $2) AS by_ip
     FROM login_attempts WHERE at > now() - make_interval(mins => $3) AND (username = $1 OR ip = $2)`,
    [username, input.ip, SIGN_IN_WINDOW_MINUTES],
  );
  if (Number(counts?.by_user ?? 0) >= MAX_FAILURES_PER_USERNAME || Number(counts?.by_ip ?? 0) >= MAX_ATTEMPTS_PER_IP) {
    throw new AuthError('rate_limited', `too many sign-in attempts; try again in ${SIGN_IN_WINDOW_MINUTES} minutes`, 'username');
  }
  const row = await userRow(ws.db, username);
  decoyHash ??= argon2Hash(secret());
  const ok = await argon2Verify(row?.password_hash ?? (await decoyHash), input.password).catch(() => false);
  const good = Boolean(row?.password_hash) && ok;
  await ws.db.query('INSERT INTO login_attempts (username, ip, ok) VALUES ($1, $2, $3)', [username, input.ip, good]);
  if (!good || !row) throw new AuthError('bad_credentials', 'wrong username or password', 'password');
  if (row.disabled_at) throw new AuthError('account_disabled', `the account ${username} is disabled; ask an admin`, 'username');
  return toUser(row);
}

export interface NewSession {
  /** Goes into the HttpOnly cookie; only its hash is stored. */
  secret: string;
  csrfToken: string;
  expiresAt: string;
}

export async function createSession(ws: WithDb, user: User, via: 'password' | 'oidc'): Promise<NewSession> {
  const s = secret();
  const csrfToken = secret();
  const expires = new Date(Date.now() + SESSION_HOURS * 3600_000);
  await ws.db.query('INSERT INTO sessions (id_hash, user_id, csrf_token, via, expires_at) VALUES ($1, $2, $3, $4, $5)', [sha256(s), user.id, csrfToken, via, expires.toISOString()]);
  await appendAudit(ws.db, { actor: user.username, action: 'user.sign-in', subject: `user:${user.username}`, details: { via } });
  return { secret: s, csrfToken, expiresAt: expires.toISOString() };
}

export interface Principal {
  user: User;
  /** The role this request acts with: the user's, or the token's scope. */
  role: Role;
  via: 'session' | 'token';
  csrfToken?: string;
  tokenId?: string;
}

export async function resolveSession(ws: WithDb, sessionSecret: string): Promise<Principal | null> {
  const rows = await ws.db.query<UserRow & { csrf_token: string } & Record<string, unknown>>(
    `SELECT ${USER_COLUMNS.split(', ').map((c) => `u.${c}`).join(', ')}, s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.id_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.disabled_at IS NULL`,
    [sha256(sessionSecret)],
  );
  const r = rows[0];
  return r ? { user: toUser(r), role: r.role, via: 'session', csrfToken: r.csrf_token } : null;
}

export async function endSession(ws: WithDb, sessionSecret: string, opts: Opts): Promise<void> {
  const rows = await ws.db.query('UPDATE sessions SET revoked_at = now() WHERE id_hash = $1 AND revoked_at IS NULL RETURNING user_id', [sha256(sessionSecret)]);
  if (rows.length) await appendAudit(ws.db, { actor: opts.actor, action: 'user.sign-out', subject: `user:${opts.actor}`, details: {} });
}

// ---- API tokens -------------------------------------------------------------------------------

export interface ApiToken {
  id: string;
  username: string;
  name: string;
  role: Role;
  createdAt: string;
  expiresAt: string;
  revoked: boolean;
  lastUsedAt: string | null;
}

export interface IssuedToken extends ApiToken {
  /** `blt_<id>_<secret>`: shown once, never stored. */
  token: string;
}

const TOKEN_PATTERN = /^blt_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/**
 * Issues a token for a person. Its role is the person's own or viewer; admins may scope tokens to
 * any role (a service account for a render box, say).
 */
export async function issueToken(ws: WithDb, input: { username: string; name: string; role?: Role; days?: number }, opts: Opts): Promise<IssuedToken> {
  const days = input.days ?? 90;
  if (!Number.isInteger(days) || days < 1 || days > MAX_TOKEN_DAYS) throw new InputError('bad_days', `days must be a whole number from 1 to ${MAX_TOKEN_DAYS} (got ${days})`, 'days');
  const name = input.name.trim();
  if (!name || name.length > 100) throw new InputError('bad_name', 'token name must be 1 to 100 characters', 'name');
  return ws.db.transaction(async (tx) => {
    const row = await mustFind(tx, input.username);
    if (row.disabled_at) throw new InputError('user_disabled', `the account ${row.username} is disabled`, 'username');
    const role = input.role ?? row.role;
    if (row.role !== 'admin' && role !== row.role && role !== 'viewer') {
      throw new InputError('role_too_wide', `a token for ${row.username} (${row.role}) may only have role ${row.role} or viewer`, 'role');
    }
    const id = randomBytes(8).toString('hex');
    const s = secret();
    const expires = new Date(Date.now() + days * 86400_000).toISOString();
    const [t] = await tx.query<{ created_at: Date | string }>(
      'INSERT INTO api_tokens (id, user_id, name, role, secret_hash, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING created_at',
      [id, row.id, name, role, sha256(s), expires],
    );
    await appendAudit(tx, { actor: opts.actor, action: 'user.token-issue', subject: `user:${row.username}`, details: { tokenId: id, name, role, expiresAt: expires } });
    return { id, username: row.username, name, role, createdAt: new Date(t!.created_at).toISOString(), expiresAt: expires, revoked: false, lastUsedAt: null, token: `blt_${id}_${s}` };
  });
}

interface TokenRow {
  id: string;
  username: string;
  name: string;
  role: Role;
  created_at: Date | string;
  expires_at: Date | string;
  revoked_at: Date | string | null;
  last_used_at: Date | string | null;
}

function toToken(r: TokenRow): ApiToken {
  return {
    id: r.id,
    username: r.username,
    name: r.name,
    role: r.role,
    createdAt: new Date(r.created_at).toISOString(),
    expiresAt: new Date(r.expires_at).toISOString(),
    revoked: r.revoked_at !== null,
    lastUsedAt: r.last_used_at === null ? null : new Date(r.last_used_at).toISOString(),
  };
}

export async function listTokens(ws: WithDb, filter: { username?: string } = {}): Promise<ApiToken[]> {
  const rows = await ws.db.query<TokenRow & Record<string, unknown>>(
    `SELECT t.id, u.username, t.name, t.role, t.created_at, t.expires_at, t.revoked_at, t.last_used_at
     FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE ($1::text IS NULL OR u.username = $1) ORDER BY t.created_at DESC`,
    [filter.username ?? null],
  );
  return rows.map(toToken);
}

export async function revokeToken(ws: WithDb, input: { id: string; username?: string }, opts: Opts): Promise<ApiToken> {
  return ws.db.transaction(async (tx) => {
    const rows = await tx.query<TokenRow & Record<string, unknown>>(
      `UPDATE api_tokens t SET revoked_at = COALESCE(t.revoked_at, now()) FROM users u
       WHERE u.id = t.user_id AND t.id = $1 AND ($2::text IS NULL OR u.username = $2)
       RETURNING t.id, u.username, t.name, t.role, t.created_at, t.expires_at, t.revoked_at, t.last_used_at`,
      [input.id, input.username ?? null],
    );
    if (!rows[0]) throw new NotFoundError('unknown_token', `no API token ${input.id}`, 'id');
    await appendAudit(tx, { actor: opts.actor, action: 'user.token-revoke', subject: `user:${rows[0].username}`, details: { tokenId: input.id } });
    return toToken(rows[0]);
  });
}

/** The principal behind an `Authorization: Bearer blt_...` token, or null if it is unknown, wrong, revoked or expired. */
export async function resolveToken(ws: WithDb, token: string): Promise<Principal | null> {
  const m = TOKEN_PATTERN.exec(token);
  if (!m) return null;
  const rows = await ws.db.query<UserRow & { secret_hash: string; token_role: Role; token_id: string } & Record<string, unknown>>(
    `SELECT ${USER_COLUMNS.split(', ').map((c) => `u.${c}`).join(', ')}, t.secret_hash, t.role AS token_role, t.id AS token_id
     FROM api_tokens t JOIN users u ON u.id = t.user_id
     WHERE t.id = $1 AND t.revoked_at IS NULL AND t.expires_at > now() AND u.disabled_at IS NULL`,
    [m[1]],
  );
  const r = rows[0];
  if (!r) return null;
  const a = Buffer.from(r.secret_hash, 'hex');
  const b = Buffer.from(sha256(m[2]!), 'hex');
  if (a.length !== b.length || !timingSafeEqual(a, b)) return null;
  // Last use is informative; writing it at most once a minute keeps reads cheap.
  void ws.db.query(`UPDATE api_tokens SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, [r.token_id]).catch(() => {});
  return { user: toUser(r), role: r.token_role, via: 'token', tokenId: r.token_id };
}

// ---- single sign-on ---------------------------------------------------------------------------

/**
 * Finds or creates the person behind a single-sign-on identity. The role comes from the provider's
 * claim every time, so a change there takes effect at the next sign-in.
 */
export async function signInWithIdentity(
  ws: WithDb,
  input: { issuer: string; subject: string; preferredUsername?: string; displayName?: string; role: Role },
): Promise<User> {
  const oidcSubject = `${input.issuer} ${input.subject}`;
  return ws.db.transaction(async (tx) => {
    const found = (await tx.query<UserRow & Record<string, unknown>>(`SELECT ${USER_COLUMNS} FROM users WHERE oidc_subject = $1`, [oidcSubject]))[0];
    if (found) {
      if (found.disabled_at) throw new AuthError('account_disabled', `the account ${found.username} is disabled; ask an admin`, 'username');
      if (found.role !== input.role) {
        await tx.query('UPDATE users SET role = $2 WHERE id = $1', [found.id, input.role]);
        await appendAudit(tx, { actor: `sso:${input.issuer}`, action: 'user.role', subject: `user:${found.username}`, details: { from: found.role, to: input.role, via: 'oidc claim' } });
      }
      return toUser({ ...found, role: input.role });
    }
    const base = (input.preferredUsername ?? input.subject).toLowerCase().replace(/@.*$/, '').replace(/[^a-z0-9._-]/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 48) || 'sso-user';
    let username = base.length >= 2 ? base : `${base}-sso`;
    for (let n = 2; await userRow(tx, username); n++) username = `${base}-${n}`;
    const rows = await tx.query<UserRow & Record<string, unknown>>(
      `INSERT INTO users (id, username, display_name, role, oidc_subject, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${USER_COLUMNS}`,
      [randomUUID(), username, input.displayName?.trim() || username, input.role, oidcSubject, `sso:${input.issuer}`],
    );
    await appendAudit(tx, { actor: `sso:${input.issuer}`, action: 'user.add', subject: `user:${username}`, details: { role: input.role, via: 'oidc' } });
    return toUser(rows[0]!);
  });
}
