import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '@backlot/core';
import { migrate, openPglite, type PgliteDb } from '../db/index.js';
import { JobQueue, type JobView } from './index.js';

let db: PgliteDb;
let queue: JobQueue;
const calls = new Map<string, number>();
let failOnce = new Set<string>();
let concurrentNow = 0;
let concurrentMax = 0;

async function until(fn: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  db = await openPglite(join(mkdtempSync(join(tmpdir(), 'backlot-queue-')), 'db'));
  await migrate(db);
  queue = await JobQueue.open(db, {
    kinds: {
      step: { concurrency: 3, retryLimit: 2, expireInSeconds: 60 },
      slow: { concurrency: 1, retryLimit: 0, expireInSeconds: 60 },
    },
    soleWorker: true,
  });
  await queue.work('step', async (input, ctx) => {
    const { n, fail } = input as { n: number; fail?: 'user' | 'bug' };
    calls.set(ctx.jobId, (calls.get(ctx.jobId) ?? 0) + 1);
    concurrentNow++;
    concurrentMax = Math.max(concurrentMax, concurrentNow);
    try {
      for (let i = 1; i <= 3; i++) {
        await new Promise((r) => setTimeout(r, 20));
        ctx.onProgress({ task: 'step', label: `job ${n}`, done: i, total: 3, unit: 'steps', finished: i === 3 });
      }
      if (fail === 'user') throw new InputError('bad_input', `input ${n} is not acceptable`);
      if (fail === 'bug' && !failOnce.has(ctx.jobId)) {
        failOnce.add(ctx.jobId);
        throw new Error('transient');
      }
      return { doubled: n * 2 };
    } finally {
      concurrentNow--;
    }
  });
  await queue.work('slow', async (_input, ctx) => {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, 20_000);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(t);
        reject(ctx.signal.reason);
      });
    });
    return 'finished';
  });
});

afterAll(async () => {
  await queue?.stop();
  await db?.close();
});

describe('job queue on embedded PGlite', () => {
  it('runs many jobs with bounded concurrency, stores progress and results, each finished once', async () => {
    const jobs: JobView[] = [];
    for (let n = 0; n < 24; n++) jobs.push(await queue.submit('step', { n }, { actor: 'test' }));
    await until(async () => (await queue.list({ kind: 'step', state: 'completed', limit: 500 })).length >= 24);
    for (const j of jobs) {
      const done = (await queue.get(j.id))!;
      expect(done.result).toEqual({ doubled: (j.input as { n: number }).n * 2 });
      expect(done.progress[0]).toMatchObject({ task: 'step', done: 3, total: 3 });
      const events = (await queue.events(j.id)).map((e) => e.event);
      expect(events).toEqual(['queued', 'started', 'completed']);
      expect(calls.get(j.id)).toBe(1);
    }
    expect(concurrentMax).toBeLessThanOrEqual(3);
    expect(concurrentMax).toBeGreaterThan(1);
  });

  it('fails a job on a user-caused error without retrying, keeping the message', async () => {
    const j = await queue.submit('step', { n: 1, fail: 'user' }, { actor: 'test' });
    await until(async () => (await queue.get(j.id))!.state === 'failed');
    const done = (await queue.get(j.id))!;
    expect(done.error).toEqual({ code: 'bad_input', message: 'input 1 is not acceptable' });
    expect(calls.get(j.id)).toBe(1);
  });

  it('retries a job after an unexpected error and then completes it', async () => {
    const j = await queue.submit('step', { n: 5, fail: 'bug' }, { actor: 'test' });
    await until(async () => (await queue.get(j.id))!.state === 'completed');
    expect(calls.get(j.id)).toBe(2);
    expect((await queue.events(j.id)).map((e) => e.event)).toEqual(['queued', 'started', 'retrying', 'started', 'completed']);
  });

  it('cancels a running job through its signal and a queued one before it starts', async () => {
    const a = await queue.submit('slow', {}, { actor: 'test' });
    const b = await queue.submit('slow', {}, { actor: 'test' });
    await until(async () => (await queue.get(a.id))!.state === 'running');
    const seen: string[] = [];
    const off = queue.subscribe(a.id, (job) => seen.push(job.state));
    expect((await queue.cancel(b.id))!.state).toBe('cancelled');
    await queue.cancel(a.id);
    await until(async () => seen.includes('cancelled'));
    off();
    expect((await queue.get(a.id))!.state).toBe('cancelled');
    expect(seen).toContain('cancelled');
    expect((await queue.events(b.id)).map((e) => e.event)).toEqual(['queued', 'cancelled']);
  });
});
