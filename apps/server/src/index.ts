// The studio server: a JSON API over the same workflows as the CLI (Hono on Node), role-checked and
// audited, with its OpenAPI document built from the schemas that validate requests, long work on the
// job queue, and the web app's static build.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import type { Workspace } from '@backlot/adapters/workspace';
import { JobQueue } from '@backlot/adapters/queue';
import { installRoot, webDist as defaultWebDist } from '@backlot/adapters/install';
import type { ServerConfig } from './config.js';
import { type Api } from './http/api.js';
import { auditRequests, authenticate, authorize, type Env } from './http/auth.js';
import { ApiError, errorBody, setScrubRoots, toResponse } from './http/errors.js';
import { validationHook } from './http/validation.js';
import { kindSpecs, parseKinds, startWorkers, type JobKind } from './jobs/kinds.js';
import { rolesFor } from './roles.js';
import { registerAuth } from './routes/auth.js';
import { registerOidc } from './routes/oidc.js';
import { registerJobs } from './routes/jobs.js';
import { registerHealthAndAudit } from './routes/audit.js';
import { registerAreas } from './routes/areas.js';

export type { ServerConfig, OidcConfig } from './config.js';
export { oidcFromEnv, OidcConfigSchema } from './config.js';
export { ROLE_TABLE, ROLES, PUBLIC, type Role } from './roles.js';
export { JOB_KINDS, runWorker, parseKinds, type JobKind, type WorkerHandle } from './jobs/kinds.js';

export interface Server {
  readonly app: OpenAPIHono<Env>;
  readonly queue: JobQueue;
  /** Job kinds this process runs. */
  readonly workerKinds: JobKind[];
  fetch(request: Request): Promise<Response>;
  /** Listens on host:port (port 0 picks a free one) and resolves with the address. */
  listen(port: number, host?: string): Promise<{ host: string; port: number; url: string }>;
  /** Stops listening and the workers (running jobs go back to the queue); leaves the workspace open. */
  close(): Promise<void>;
}


export async function createServer(ws: Workspace, config: ServerConfig = {}): Promise<Server> {
  setScrubRoots([ws.home, resolve(ws.home), installRoot()]);
  // With an embedded workspace this process is the only one that can run jobs (it holds the lock).
  const soleWorker = ws.access === 'embedded-owner';
  const queue = await JobQueue.open(ws.db, { kinds: kindSpecs(config.kinds), soleWorker });
  const app = new OpenAPIHono<Env>({ defaultHook: validationHook });
  const api: Api = { app, ws, queue, config };

  app.onError((e, c) => toResponse(c, e));
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        mediaSrc: ["'self'", 'blob:'],
        styleSrc: ["'self'", "'unsafe-inline'"],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
      },
      strictTransportSecurity: config.publicUrl?.startsWith('https://') ? 'max-age=31536000' : false,
      crossOriginResourcePolicy: 'same-origin',
    }),
  );
  const jsonLimit = config.jsonLimitBytes ?? 1 << 20;
  const uploadLimit = config.uploadLimitBytes ?? 256 << 20;
  const tooLarge = (limit: number) => (c: Parameters<Parameters<typeof bodyLimit>[0]['onError'] & object>[0]) =>
    c.json(errorBody('too_large', `request body is larger than ${limit} bytes`, 'body'), 413);
  app.use('/api/uploads', bodyLimit({ maxSize: uploadLimit, onError: tooLarge(uploadLimit) }));
  app.use('/api/*', async (c, next) => (c.req.path === '/api/uploads' ? next() : bodyLimit({ maxSize: jsonLimit, onError: tooLarge(jsonLimit) })(c, next)));
  app.use('/api/*', authenticate(ws));
  app.use('/openapi.json', authenticate(ws));
  app.use('/api/*', auditRequests(ws));

  registerHealthAndAudit(api);
  registerAuth(api);
  registerOidc(api);
  registerJobs(api);
  await registerAreas(api);

  app.openAPIRegistry.registerComponent('securitySchemes', 'session', { type: 'apiKey', in: 'cookie', name: 'backlot_session', description: 'Session cookie from POST /api/auth/sign-in; state-changing requests also need the x-csrf-token header.' });
  app.openAPIRegistry.registerComponent('securitySchemes', 'token', { type: 'http', scheme: 'bearer', description: 'API token (blt_...) from POST /api/tokens or `backlot users token`.' });
  app.use('/openapi.json', authorize('GET /openapi.json', rolesFor('GET /openapi.json')!));
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Backlot studio API', version: '1', description: 'Roles per route are listed in each operation and in docs/api.md. Errors are {error:{code,message,field?}}.' },
  });

  // Unknown API paths: 401 before 404, so the route list is not open to strangers.
  app.all('/api/*', (c) => {
    if (!c.get('principal')) throw new ApiError(401, 'unauthenticated', 'sign in or send an API token');
    throw new ApiError(404, 'not_found', `no route ${c.req.method} ${c.req.path}`);
  });

  const webDist = config.webDist === undefined ? defaultWebDist() : config.webDist;
  if (webDist && existsSync(join(webDist, 'index.html'))) {
    const root = webDist;
    app.use('/*', serveStatic({ root }));
    // Single-page app: any other GET that wants a page gets index.html and the app routes it.
    const index = () => readFile(join(root, 'index.html'), 'utf8');
    app.get('*', async (c) => c.html(await index()));
  }
  app.notFound((c) => c.json(errorBody('not_found', `no route ${c.req.method} ${c.req.path}`), 404));

  const workerKinds = await startWorkers(ws, queue, parseKinds(config.workers ?? (ws.access === 'postgres' ? 'all' : 'all')));

  let server: ServerType | null = null;
  return {
    app,
    queue,
    workerKinds,
    fetch: async (request) => app.fetch(request),
    listen: (port, host = '127.0.0.1') =>
      new Promise((resolvePromise, reject) => {
        const s = serve({ fetch: app.fetch, port, hostname: host }, (info: AddressInfo) => {
          const shown = info.address.includes(':') ? `[${info.address}]` : info.address;
          resolvePromise({ host: info.address, port: info.port, url: `http://${shown}:${info.port}` });
        });
        s.once('error', reject);
        server = s;
      }),
    close: async () => {
      if (server) {
        const s = server;
        await new Promise<void>((r) => s.close(() => r()));
        (s as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }
      await queue.stop();
    },
  };
}
