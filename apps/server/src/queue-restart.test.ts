// Many concurrent generation jobs (the real workflow on a small exported model) through a real
// `backlot serve`, the server killed with SIGKILL in the middle, then restarted: every job finishes,
// exactly once, and exactly one generation is recorded per job.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspace } from '@backlot/adapters/workspace';
import { addUser, issueToken } from '@backlot/workflows/users';
import { buildPlumbingModel } from '@backlot/adapters/onnx/fixtures';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const cli = join(root, 'apps/cli/bin/backlot.js');
const home = mkdtempSync(join(tmpdir(), 'backlot-restart-'));
let token = '';
const children: ChildProcess[] = [];

/** Starts `backlot serve` on a free port and resolves with its address once it listens. */
function serve(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [cli, '--workspace', home, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /at (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`backlot serve exited ${code}: ${out}`)));
  });
}

async function api<T>(url: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(`${url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

type Job = { id: string; state: string; result: { generationId: string } | null; error: { message: string } | null };

beforeAll(() => {
  // The CLI runs from dist/: build once (errors in other areas' files do not stop the emit).
  try {
    execFileSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'ignore' });
  } catch {
    /* type errors elsewhere still emit JavaScript */
  }
}, 300_000);

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

describe('job queue across a server crash', () => {
  it('finishes every job exactly once after kill -9 and a restart', async () => {
    const onnxDir = await buildPlumbingModel({ frames: 8, size: 16 });
    const ws = await openWorkspace({ home });
    await ws.db.exec(`INSERT INTO titles (id, name) VALUES ('ttl_0', 'Night Sky'), ('ttl_1', 'The Garden')`);
    await ws.db.query(`INSERT INTO models (id, lineage, path, export_path, dataset_root, created_by) VALUES ($1, $2, $3, $4, $5, 'test')`, [
      'mdl_plumb', JSON.stringify({ datasets: [{ id: 'ds_plumbing', merkleRoot: '0f'.repeat(32) }], bases: [] }), onnxDir, onnxDir, '0f'.repeat(32),
    ]);
    await addUser(ws, { username: 'boss', role: 'admin', password: 'boss-password-1' }, { actor: 'test' });
    token = (await issueToken(ws, { username: 'boss', name: 'test' }, { actor: 'test' })).token;
    await ws.close();

    const first = await serve();
    const N = 16;
    const ids = await Promise.all(
      Array.from({ length: N }, (_, i) => api<Job>(first.url, '/api/generations', { method: 'POST', body: { prompt: 'a red ball moving left at night', modelId: 'mdl_plumb', steps: 40, seed: i } }).then((j) => j.id)),
    );
    expect(new Set(ids).size).toBe(N);

    // Kill it while some jobs are done, some running and most still queued.
    for (;;) {
      const jobs = (await api<{ jobs: Job[] }>(first.url, '/api/jobs?limit=500')).jobs;
      if (jobs.filter((j) => j.state === 'completed').length >= 3 && jobs.some((j) => j.state === 'running')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    const second = await serve();
    const deadline = Date.now() + 120_000;
    let jobs: Job[] = [];
    while (Date.now() < deadline) {
      jobs = (await api<{ jobs: Job[] }>(second.url, '/api/jobs?limit=500')).jobs;
      if (jobs.every((j) => j.state === 'completed')) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(jobs.filter((j) => j.state !== 'completed').map((j) => `${j.state} ${j.error?.message}`)).toEqual([]);
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));

    const after = await openWorkspace({ home });
    try {
      const events = await after.db.query<{ job_id: string; event: string; n: number }>('SELECT job_id, event, count(*)::int AS n FROM job_events GROUP BY job_id, event');
      const count = (id: string, event: string) => events.find((e) => e.job_id === id && e.event === event)?.n ?? 0;
      for (const id of ids) expect(count(id, 'completed'), `job ${id}`).toBe(1);
      // The jobs the crash interrupted ran again, and only those.
      const rerun = ids.filter((id) => count(id, 'started') === 2);
      expect(rerun.length).toBeGreaterThan(0);
      for (const id of rerun) expect(count(id, 'retrying')).toBe(1);
      expect(ids.filter((id) => count(id, 'started') > 2)).toEqual([]);
      // pg-boss agrees: nothing left active or queued.
      const [left] = await after.db.query<{ n: number }>("SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'generate' AND state IN ('created', 'retry', 'active')");
      expect(left!.n).toBe(0);
      // One generation per job, also when the crash came after a generation was recorded.
      const [gens] = await after.db.query<{ n: number }>("SELECT count(*)::int AS n FROM generations WHERE status = 'done'");
      expect(gens!.n).toBe(N);
      const results = new Set(jobs.map((j) => j.result!.generationId));
      expect(results.size).toBe(N);
    } finally {
      await after.close();
    }
  }, 300_000);
});
