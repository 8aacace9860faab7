// What each area's route file gets: the app to register on, the workspace, the job queue, the
// configuration, and `route()`, which registers an OpenAPI route behind its role-table entry.
import type { Context } from 'hono';
import type { OpenAPIHono, RouteConfig, RouteHandler } from '@hono/zod-openapi';
import { z } from '@hono/zod-openapi';
import type { Workspace } from '@backlot/adapters/workspace';
import type { JobQueue } from '@backlot/adapters/queue';
import type { Principal } from '@backlot/workflows/users';
import { rolesFor, PUBLIC } from '../roles.js';
import type { ServerConfig } from '../config.js';
import { authorize, type Env } from './auth.js';
import { ApiError, ErrorSchema } from './errors.js';

export interface Api {
  app: OpenAPIHono<Env>;
  ws: Workspace;
  queue: JobQueue;
  config: ServerConfig;
}

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ErrorSchema } } });

/** Responses every protected route can give besides its own. */
export const COMMON_ERRORS = {
  400: errorResponse('Invalid request: the message names the field'),
  401: errorResponse('No valid session or API token'),
  403: errorResponse("The caller's role may not use this route, or the CSRF header is missing"),
} as const;

/**
 * Registers a route. The role-table entry for "METHOD /path" is mandatory and its check runs
 * before validation; a route without an entry stops the server from starting.
 */
export function route<R extends RouteConfig>(api: Api, spec: R, handler: RouteHandler<R, Env>): void {
  const key = `${spec.method.toUpperCase()} ${spec.path}`;
  const roles = rolesFor(key);
  if (!roles) throw new Error(`route ${key} has no entry in the role table (apps/server/src/roles.ts)`);
  const description = roles === PUBLIC ? 'Open without credentials.' : `Roles: ${roles.join(', ')}.`;
  const responses = roles === PUBLIC ? spec.responses : { ...COMMON_ERRORS, ...spec.responses };
  api.app.openapi(
    { ...spec, responses, description: [spec.description, description].filter(Boolean).join(' '), middleware: [authorize(key, roles)], ...(roles === PUBLIC ? {} : { security: [{ session: [] }, { token: [] }] }) } as R,
    handler as never,
  );
}

/** The caller of a protected route (authorize has run). */
export function principalOf(c: Context<Env>): Principal {
  const p = c.get('principal');
  if (!p) throw new ApiError(401, 'unauthenticated', 'sign in or send an API token');
  return p;
}

export const IdParam = (name: string, example: string) =>
  z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'letters, digits, dot, dash, colon or underscore')
    .openapi({ param: { name, in: 'path' }, example });

export const OkSchema = z.object({ ok: z.literal(true) }).openapi('Ok');
