// Many concurrent generation requests through the API and the queue, with the real generation
// workflow on a small exported model: all are queued, none is lost, each finishes once with a
// signed, playable output and its attribution; a refused prompt fails its job with the reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlumbingModel } from '@backlot/adapters/onnx/fixtures';
import { startTestServer, type TestServer } from './testing/fixture.js';
import { JOB_RUNNERS } from './jobs/kinds.js';

let t: TestServer;

beforeAll(async () => {
  const onnxDir = await buildPlumbingModel({ frames: 8, size: 16 });
  t = await startTestServer({ workers: 'all' });
  await t.ws.db.exec(`
    INSERT INTO titles (id, name) VALUES ('ttl_0', 'Night Sky'), ('ttl_1', 'The Garden');
    INSERT INTO people (id, name, kind, aliases) VALUES ('p_maya', 'Maya Okonkwo', 'actor', '{}');
  `);
  await t.ws.db.query(`INSERT INTO models (id, lineage, path, export_path, dataset_root, created_by) VALUES ($1, $2, $3, $4, $5, 'test')`, [
    'mdl_plumb', JSON.stringify({ datasets: [{ id: 'ds_plumbing', merkleRoot: '0f'.repeat(32) }], bases: [] }), onnxDir, onnxDir, '0f'.repeat(32),
  ]);
}, 300_000);
afterAll(async () => t?.close());

type Job = { id: string; state: string; result: { generationId: string } | null; error: { code: string; message: string } | null };

describe('generation jobs', () => {
  it('queues many concurrent requests and finishes each exactly once with a signed output', async () => {
    const N = 12;
    const submitted = await Promise.all(
      Array.from({ length: N }, (_, i) => t.call('POST', '/api/generations', { role: 'creative', body: { prompt: 'a red ball moving left at night', modelId: 'mdl_plumb', steps: 3, seed: i } })),
    );
    expect(submitted.map((r) => r.status)).toEqual(Array(N).fill(202));
    const ids = await Promise.all(submitted.map(async (r) => ((await r.json()) as Job).id));
    const deadline = Date.now() + 240_000;
    let jobs: Job[] = [];
    while (Date.now() < deadline) {
      jobs = ((await (await t.call('GET', '/api/jobs?kind=generate&limit=100', { role: 'creative' })).json()) as { jobs: Job[] }).jobs;
      if (jobs.length === N && jobs.every((j) => j.state !== 'queued' && j.state !== 'running')) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(jobs.map((j) => `${j.state} ${j.error?.message ?? ''}`.trim())).toEqual(Array(N).fill('completed'));
    const events = await t.ws.db.query<{ job_id: string; n: number }>("SELECT job_id, count(*)::int AS n FROM job_events WHERE event = 'completed' GROUP BY job_id");
    expect(events.filter((e) => ids.includes(e.job_id)).map((e) => e.n)).toEqual(Array(N).fill(1));
    const [gens] = await t.ws.db.query<{ n: number }>("SELECT count(*)::int AS n FROM generations WHERE status = 'done'");
    expect(gens!.n).toBe(N);

    const genId = jobs[0]!.result!.generationId;
    const detail = (await (await t.call('GET', `/api/outputs/${genId}`, { role: 'viewer' })).json()) as { generation: { signer: string }; attribution: { titles: Array<{ share: number }> } };
    expect(detail.generation.signer).toBe('development');
    expect(detail.attribution.titles.reduce((s, x) => s + x.share, 0)).toBeCloseTo(1, 9);
    const video = await t.call('GET', `/api/outputs/${genId}/video`, { role: 'viewer', headers: { range: 'bytes=0-11' } });
    expect(video.status).toBe(206);
    expect(Buffer.from(await video.arrayBuffer()).subarray(4, 8).toString()).toBe('ftyp');
    const list = (await (await t.call('GET', '/api/outputs?limit=5', { role: 'viewer' })).json()) as { outputs: unknown[]; next: string | null };
    expect(list.outputs).toHaveLength(5);
    expect(list.next).toBeTruthy();
  }, 300_000);

  it('fails a refused prompt with the guardrail reason and does not retry it', async () => {
    const res = await t.call('POST', '/api/generations', { role: 'creative', body: { prompt: 'Maya Okonkwo waving by day', modelId: 'mdl_plumb', steps: 2 } });
    const { id } = (await res.json()) as Job;
    let job: Job;
    for (;;) {
      job = (await (await t.call('GET', `/api/jobs/${id}`, { role: 'creative' })).json()) as Job & { events: unknown[] };
      if (job.state !== 'queued' && job.state !== 'running') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(job.state).toBe('failed');
    expect(job.error!.message).toMatch(/Maya Okonkwo.*no likeness consent/);
    expect(((job as unknown as { events: Array<{ event: string }> }).events).map((e) => e.event)).toEqual(['queued', 'started', 'failed']);
  }, 120_000);

  it('a job run again after its generation was recorded returns that generation, not a second one', async () => {
    const ctx = { jobId: 'job-retried-after-crash', actor: 'test', attempt: 1, onProgress: () => {}, signal: new AbortController().signal };
    const input = { prompt: 'a blue box moving up by day', modelId: 'mdl_plumb', steps: 2, seed: 5 };
    const first = (await JOB_RUNNERS.generate!(t.ws, input, ctx)) as { generationId: string; recovered?: boolean };
    const again = (await JOB_RUNNERS.generate!(t.ws, input, { ...ctx, attempt: 2 })) as { generationId: string; recovered?: boolean; sha256: string };
    expect(first.recovered).toBeUndefined();
    expect(again).toMatchObject({ generationId: first.generationId, recovered: true });
    expect(again.sha256).toMatch(/^[0-9a-f]{64}$/);
    const rows = await t.ws.db.query<{ id: string }>('SELECT id FROM generations WHERE job_id = $1', [ctx.jobId]);
    expect(rows.map((r) => r.id)).toEqual([first.generationId]);
  }, 120_000);
});

