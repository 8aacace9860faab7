// A real server on a fresh embedded workspace, with one person and one API token per role, for the
// server's tests and the benchmark. Requests go through app.fetch (no socket) unless a test listens.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWorkspace, type Workspace } from '@backlot/adapters/workspace';
import { addUser, issueToken } from '@backlot/workflows/users';
import { createServer, type Server, type ServerConfig } from '../index.js';
import { ROLES, type Role } from '../roles.js';

export const PASSWORD = 'test-password-123';

export interface TestServer {
  ws: Workspace;
  server: Server;
  tokens: Record<Role, string>;
  /** A request as a role (via its API token), or anonymous with role null. */
  call(method: string, path: string, opts?: { role?: Role | null; body?: unknown; rawBody?: NonNullable<RequestInit['body']>; headers?: Record<string, string> }): Promise<Response>;
  close(): Promise<void>;
}

export async function startTestServer(config: ServerConfig = {}, home = mkdtempSync(join(tmpdir(), 'backlot-server-'))): Promise<TestServer> {
  const ws = await openWorkspace({ home, command: 'backlot serve (test)' });
  const tokens = {} as Record<Role, string>;
  for (const role of ROLES) {
    await addUser(ws, { username: `${role}-user`, role, password: PASSWORD }, { actor: 'test' });
    tokens[role] = (await issueToken(ws, { username: `${role}-user`, name: 'test' }, { actor: 'test' })).token;
  }
  const server = await createServer(ws, { webDist: null, ...config });
  return {
    ws,
    server,
    tokens,
    call: (method, path, opts = {}) => {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      const role = opts.role === undefined ? 'admin' : opts.role;
      if (role) headers.authorization = `Bearer ${tokens[role]}`;
      let body: NonNullable<RequestInit['body']> | undefined = opts.rawBody;
      if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      }
      return server.fetch(new Request(`http://backlot.test${path}`, { method, headers, body }));
    },
    close: async () => {
      await server.close();
      await ws.close();
    },
  };
}
