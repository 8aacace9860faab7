// `backlot serve` and `backlot worker`: the studio server (which owns the workspace and, with the
// embedded database, runs the job workers itself) and extra job workers on a PostgreSQL workspace.
import type { Command } from 'commander';
import { z } from 'zod';
import { InputError, WorkspaceError } from '@backlot/core';
import { openWorkspace } from '@backlot/adapters/workspace';
import { createServer, oidcFromEnv, parseKinds, runWorker, JOB_KINDS } from '@backlot/server';
import { globals } from '../context.js';

const Port = z.coerce.number().int().min(0).max(65535);
const Host = z.string().regex(/^[A-Za-z0-9.:[\]-]+$/, 'a host name or address');

function kindsFlag(value: string): string[] | 'all' | 'none' {
  if (value === 'all' || value === 'none') return value;
  const kinds = value.split(',').map((k) => k.trim()).filter(Boolean);
  const bad = kinds.find((k) => !(JOB_KINDS as readonly string[]).includes(k));
  if (bad) throw new InputError('bad_flag', `--kinds: unknown job kind ${bad} (one of ${JOB_KINDS.join(', ')})`, '--kinds');
  return kinds;
}

/** Waits for Ctrl-C or SIGTERM, then runs stop once. */
export function untilSignal(stop: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      void stop().finally(resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the studio API and web app; with the embedded database it also runs the job workers')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--public-url <url>', 'address people use, e.g. https://backlot.example (single sign-on redirect, Secure cookies)')
    .option('--workers <kinds>', `job kinds this process runs: all, none, or a list of ${JOB_KINDS.join(',')}`, 'all')
    .action(async (opts: { port: string; host: string; publicUrl?: string; workers: string }, cmd: Command) => {
      const port = Port.safeParse(opts.port);
      if (!port.success) throw new InputError('bad_flag', `--port ${opts.port}: a whole number from 0 to 65535`, '--port');
      const host = Host.safeParse(opts.host);
      if (!host.success) throw new InputError('bad_flag', `--host ${opts.host}: ${host.error.issues[0]?.message}`, '--host');
      if (opts.publicUrl && !/^https?:\/\/[^\s/]+/.test(opts.publicUrl)) throw new InputError('bad_flag', `--public-url ${opts.publicUrl}: use http(s)://host[:port]`, '--public-url');
      let oidc;
      try {
        oidc = oidcFromEnv();
      } catch (e) {
        throw new InputError('bad_oidc', `BACKLOT_OIDC_* settings are incomplete or wrong: ${(e as z.ZodError).issues?.[0]?.path.join('.') ?? ''} ${(e as z.ZodError).issues?.[0]?.message ?? (e as Error).message}`);
      }
      const g = globals(cmd);
      const ws = await openWorkspace({ home: g.workspace, databaseUrl: g.db, command: 'backlot serve', resident: true });
      try {
        if (ws.access === 'embedded-via-owner') throw new WorkspaceError('workspace_in_use', `workspace ${ws.home} is already served by another process`);
        // Other local commands reach the embedded database through this process while it serves.
        if (ws.access === 'embedded-owner') await ws.shareDatabase();
        const server = await createServer(ws, { publicUrl: opts.publicUrl, workers: kindsFlag(opts.workers), oidc });
        const address = await server.listen(port.data, host.data);
        process.stdout.write(`backlot: serving ${ws.home} at ${address.url} (jobs run here: ${server.workerKinds.join(', ') || 'none'})\n`);
        await untilSignal(() => server.close());
      } finally {
        await ws.close();
      }
    });

  program
    .command('worker')
    .description('take jobs from a shared PostgreSQL workspace queue (run on GPU or CPU boxes)')
    .option('--kinds <kinds>', `job kinds to take: a list of ${JOB_KINDS.join(',')} or all`, 'all')
    .action(async (opts: { kinds: string }, cmd: Command) => {
      const kinds = parseKinds(kindsFlag(opts.kinds));
      const g = globals(cmd);
      const ws = await openWorkspace({ home: g.workspace, databaseUrl: g.db, command: 'backlot worker', mustExist: !g.db, resident: true });
      try {
        if (ws.access === 'embedded-owner') {
          throw new WorkspaceError('not_shared', `workspace ${ws.home} uses the embedded database and nobody serves it: run \`backlot serve\` (which runs the workers itself) or point --db at a PostgreSQL server`);
        }
        const worker = await runWorker(ws, { kinds });
        process.stdout.write(`backlot: worker ${worker.queue.workerName} taking ${worker.kinds.join(', ') || 'nothing'}\n`);
        await untilSignal(() => worker.stop());
      } finally {
        await ws.close();
      }
    });
}
