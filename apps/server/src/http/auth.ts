// Who is asking and may they: resolves a session cookie or an API token, checks the role table,
// guards cookie-authenticated state changes against cross-site requests, and writes every
// state-changing request to the audit log with the user.
import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { getConnInfo } from '@hono/node-server/conninfo';
import { appendAudit } from '@backlot/workflows/audit';
import { resolveSession, resolveToken, type Principal } from '@backlot/workflows/users';
import type { Workspace } from '@backlot/adapters/workspace';
import { PUBLIC, type Role } from '../roles.js';
import { ApiError } from './errors.js';

export const SESSION_COOKIE = 'backlot_session';
export const CSRF_COOKIE = 'backlot_csrf';
export const CSRF_HEADER = 'x-csrf-token';

export type Env = { Variables: { principal: Principal | null; routeKey: string } };

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const actorOf = (p: Principal): string => `user:${p.user.username}`;

/** Looks up credentials on every /api request; whether they are required is decided per route. */
export function authenticate(ws: Workspace): MiddlewareHandler<Env> {
  return async (c, next) => {
    let principal: Principal | null = null;
    const header = c.req.header('authorization');
    if (header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      principal = m ? await resolveToken(ws, m[1]!) : null;
      // A wrong token is an error even where a cookie would do: the caller meant to use it.
      if (!principal) throw new ApiError(401, 'bad_token', 'the API token is unknown, revoked or expired', 'authorization');
    } else {
      const cookie = getCookie(c, SESSION_COOKIE);
      if (cookie) principal = await resolveSession(ws, cookie);
    }
    c.set('principal', principal);
    await next();
  };
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Enforces one role-table entry; runs before the request is validated, so 401/403 come first. */
export function authorize(key: string, allowed: readonly Role[] | typeof PUBLIC): MiddlewareHandler<Env> {
  return async (c, next) => {
    c.set('routeKey', key);
    if (allowed === PUBLIC) return next();
    const p = c.get('principal');
    if (!p) throw new ApiError(401, 'unauthenticated', 'sign in or send an API token (Authorization: Bearer ...)');
    if (!allowed.includes(p.role)) throw new ApiError(403, 'forbidden', `the ${p.role} role may not use ${key}`);
    if (p.via === 'session' && !SAFE_METHODS.has(c.req.method)) {
      // Double submit: the token is in a cookie the page can read and must come back in a header,
      // which a cross-site form or image cannot set.
      const sent = c.req.header(CSRF_HEADER) ?? '';
      if (!p.csrfToken || !sameToken(sent, p.csrfToken)) throw new ApiError(403, 'csrf', `missing or wrong ${CSRF_HEADER} header for a signed-in request`, CSRF_HEADER);
    }
    return next();
  };
}

export function clientIp(c: Parameters<MiddlewareHandler>[0]): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Every state-changing request, allowed or refused, is recorded with who made it. */
export function auditRequests(ws: Workspace): MiddlewareHandler<Env> {
  return async (c, next) => {
    await next();
    if (SAFE_METHODS.has(c.req.method)) return;
    const p = c.get('principal');
    const key = c.get('routeKey');
    // Sign-in is recorded by the users workflow (success) and login_attempts (failure).
    if (!p || !key) return;
    await appendAudit(ws.db, {
      actor: actorOf(p),
      action: `http.${c.req.method.toLowerCase()}`,
      subject: `route:${key}`,
      details: { path: c.req.path, status: c.res.status, role: p.role, via: p.via, ...(p.tokenId ? { tokenId: p.tokenId } : {}) },
    }).catch((e: Error) => process.stderr.write(`backlot serve: could not audit ${c.req.method} ${c.req.path}: ${e.message}\n`));
  };
}
