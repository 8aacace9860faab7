// The model on a worker thread gives the frames the model in this thread gives, bit for bit, and
// fails, aborts and closes cleanly. Runs the compiled worker (dist/), as the CLI does.
import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flowSchedule, gaussianNoise, knownFrames, noConditioning, sizeOf, tokenize } from '@backlot/core';
import { buildPlumbingModel } from '../fixtures/index.js';
import { inProcessRunner, loadModel, modelShape, startModelWorker, tokenizePrompt, type ModelRunner, type SampleRequest, type WorkerRunner } from '../index.js';

const root = fileURLToPath(new URL('../../../../../', import.meta.url));
const compiled = new URL('../../../dist/onnx/worker/model-worker.js', import.meta.url);

let dir: string;
let local: ModelRunner;
let worker: WorkerRunner;

beforeAll(async () => {
  spawnSync('npx', ['tsc', '-b', 'packages/adapters'], { cwd: root, stdio: 'ignore' });
  dir = await buildPlumbingModel();
  worker = startModelWorker(dir, { device: 'cpu', threads: 1 }, compiled);
  local = inProcessRunner(await loadModel(dir, { device: 'cpu', threads: 1 }));
  await worker.ready;
});
afterAll(async () => {
  await worker?.close();
  await local?.close();
});

async function request(r: ModelRunner, prompt: string, seed: number, given: boolean): Promise<SampleRequest> {
  const shape = modelShape(r);
  const text = await r.encodeText([tokenizePrompt(r, prompt), tokenize('', r.config.text.tokenizer, r.config.text.maxLength)]);
  const noise = gaussianNoise(seed, sizeOf(shape));
  const first = gaussianNoise(seed + 1, 3 * shape.height * shape.width).map((v) => Math.tanh(v));
  return {
    sampler: 'heun', x: noise, schedule: flowSchedule(4), text, guidance: 3,
    conditioning: given ? knownFrames(shape, [{ index: 0, data: first }]) : noConditioning(shape),
    holdNoise: given ? noise : undefined,
  };
}

describe('model runner on a worker thread', () => {
  it('knows the model once ready', () => {
    expect(worker.config).toEqual(local.config);
    expect(worker.device).toBe('cpu');
  });

  it('encodes, samples (with and without a given frame) and decodes exactly as in this thread, reporting each step', async () => {
    for (const given of [false, true]) {
      const steps: number[] = [];
      const a = await worker.sample(await request(worker, 'a red ball moving left', 7, given), { onStep: (i) => steps.push(i) });
      const b = await local.sample(await request(local, 'a red ball moving left', 7, given));
      expect(a.x0).toEqual(b.x0);
      expect(a.calls).toBe(b.calls);
      expect(steps).toEqual([1, 2, 3, 4]);
      expect(await worker.decode(a.x0)).toEqual(await local.decode(b.x0));
    }
  });

  it('stops sampling when the caller aborts, and keeps serving', async () => {
    const controller = new AbortController();
    const req = { ...(await request(worker, 'a blue box', 3, false)), schedule: flowSchedule(200) };
    const run = worker.sample(req, { signal: controller.signal, onStep: (i) => i === 2 && controller.abort() });
    await expect(run).rejects.toThrow(/abort/);
    expect((await worker.sample(await request(worker, 'a blue box', 3, false))).x0.length).toBe(sizeOf(modelShape(worker)));
  });

  it('reports a model it cannot load through ready, and closes cleanly', async () => {
    const bad = join(await mkdtemp(join(tmpdir(), 'backlot-worker-')), 'onnx');
    const missing = startModelWorker(bad, { device: 'cpu' }, compiled);
    await expect(missing.ready).rejects.toThrow(/model\.json missing/);
    await missing.close();
    const spare = startModelWorker(dir, { device: 'cpu', threads: 1 }, compiled);
    await spare.ready;
    await spare.close();
    await spare.close();
    await expect(spare.encodeText([])).rejects.toThrow(/closed/);
  });
});
