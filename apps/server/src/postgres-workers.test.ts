// The scale-out shape: a workspace on Debian PostgreSQL (loopback), one `backlot serve` that runs no
// jobs itself, and two `backlot worker` processes sharing the queue. Every job is taken by one of
// the workers, both take some, and each job finishes exactly once.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspace } from '@backlot/adapters/workspace';
import { addUser, issueToken } from '@backlot/workflows/users';
import { startPostgres, type PostgresServer } from '../../../test/support/postgres.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const cli = join(root, 'apps/cli/bin/backlot.js');
const home = mkdtempSync(join(tmpdir(), 'backlot-pg-'));
const children: ChildProcess[] = [];
let pg: PostgresServer;
let dbUrl = '';

function start(args: string[], ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, [cli, '--workspace', home, '--db', dbUrl, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) resolve({ child, match: m });
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`backlot ${args[0]} exited ${code}: ${out}`)));
  });
}

beforeAll(async () => {
  try {
    execFileSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'ignore' });
  } catch {
    /* type errors elsewhere still emit JavaScript */
  }
  pg = await startPostgres();
  dbUrl = pg.createDatabase('backlot_workers');
}, 300_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await pg?.stop();
});

describe('PostgreSQL workspace with separate workers', () => {
  it('spreads jobs over two backlot worker processes, each job finished once', async () => {
    const ws = await openWorkspace({ home, databaseUrl: dbUrl });
    await addUser(ws, { username: 'boss', role: 'admin', password: 'boss-password-1' }, { actor: 'test' });
    const token = (await issueToken(ws, { username: 'boss', name: 'test' }, { actor: 'test' })).token;
    await ws.close();

    const server = await start(['serve', '--port', '0', '--workers', 'none'], /at (http:\/\/\S+) \(jobs run here: none\)/);
    const url = server.match[1]!;
    const workers = await Promise.all([start(['worker', '--kinds', 'ping'], /worker (\S+) taking ping/), start(['worker', '--kinds', 'ping'], /worker (\S+) taking ping/)]);
    const names = workers.map((w) => w.match[1]!);

    const call = async (path: string, body?: unknown) => {
      const res = await fetch(`${url}${path}`, { method: body ? 'POST' : 'GET', headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
      expect(res.status, await res.clone().text()).toBeLessThan(300);
      return res.json() as Promise<{ id: string; state: string; worker: string | null; jobs: Array<{ id: string; state: string; worker: string | null }> }>;
    };
    const N = 30;
    const ids = await Promise.all(Array.from({ length: N }, async () => (await call('/api/jobs/ping', { ms: 400 })).id));
    const deadline = Date.now() + 120_000;
    let jobs: Array<{ id: string; state: string; worker: string | null }> = [];
    while (Date.now() < deadline) {
      jobs = (await call('/api/jobs?kind=ping&limit=500')).jobs;
      if (jobs.length === N && jobs.every((j) => j.state === 'completed')) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(jobs.filter((j) => j.state !== 'completed')).toEqual([]);
    const byWorker = new Map<string, number>();
    for (const j of jobs) byWorker.set(j.worker ?? 'none', (byWorker.get(j.worker ?? 'none') ?? 0) + 1);
    expect([...byWorker.keys()].sort()).toEqual([...names].sort());
    for (const n of names) expect(byWorker.get(n)).toBeGreaterThan(0);

    const check = await openWorkspace({ home, databaseUrl: dbUrl });
    try {
      const rows = await check.db.query<{ job_id: string; n: number }>("SELECT job_id, count(*)::int AS n FROM job_events WHERE event = 'completed' GROUP BY job_id");
      expect(rows.length).toBe(N);
      expect(rows.every((r) => r.n === 1 && ids.includes(r.job_id))).toBe(true);
    } finally {
      await check.close();
    }
    for (const w of workers) w.child.kill('SIGTERM');
    server.child.kill('SIGTERM');
  }, 300_000);
});
