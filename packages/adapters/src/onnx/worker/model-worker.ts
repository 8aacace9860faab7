// The model on a worker thread: loads the exported model named in workerData as soon as the thread
// starts, then answers the ModelRunner calls that index.ts sends it (generate sends one at a time).
// The sampling loop runs here whole, so a clip costs two messages, not two per denoising step.
import { parentPort, workerData } from 'node:worker_threads';
import { flowSchedule, isBacklotError, noConditioning, sizeOf, tokenize } from '@backlot/core';
import { decodeToVideo, encodeText, encodeVideo, modelShape } from '../run.js';
import { runSampling } from '../runner.js';
import { loadModel, type LoadedModel, type LoadOptions } from '../session.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';

const port = parentPort!;
const { onnxDir, options } = workerData as { onnxDir: string; options: LoadOptions };
const post = (m: WorkerReply) => port.postMessage(m);
const failure = (e: unknown) => ({ message: (e as Error)?.message ?? String(e), code: isBacklotError(e) ? e.code : undefined });

/**
 * One small guided clip nobody sees: the first calls of a session and of the sampler's arithmetic are
 * far slower than the rest (buffers, kernels, JIT), and here that cost overlaps the database's start.
 */
async function warmUp(model: LoadedModel): Promise<void> {
  const shape = modelShape(model);
  const empty = tokenize('', model.config.text.tokenizer, model.config.text.maxLength);
  const text = await encodeText(model, [empty, empty]);
  const { x0 } = await runSampling(model, { sampler: 'euler', x: new Float32Array(sizeOf(shape)), schedule: flowSchedule(2), text, conditioning: noConditioning(shape), guidance: 2 });
  await decodeToVideo(model, x0);
}

const loaded = loadModel(onnxDir, options);
loaded.then(
  (m) => post({ type: 'ready', config: m.config, device: m.device, deviceNote: m.deviceNote }),
  (e) => post({ type: 'failed', ...failure(e) }),
);
const loading = loaded.then(async (m) => {
  await warmUp(m).catch(() => {}); // only a head start: a real call reports any problem
  return m;
});

const aborts = new Map<number, AbortController>();
port.on('message', async (msg: WorkerRequest) => {
  if (msg.op === 'abort') return aborts.get(msg.target)?.abort(new Error('aborted'));
  if (msg.op === 'close') {
    const m = await loading.catch(() => null);
    await m?.close();
    return process.exit(0); // in a worker: ends this thread only
  }
  const { id } = msg;
  try {
    const model = await loading;
    if (msg.op === 'encodeText') {
      const text = await encodeText(model, msg.batch);
      return post({ type: 'result', id, value: text });
    }
    if (msg.op === 'encodeVideo' || msg.op === 'decode') {
      const out = msg.op === 'decode' ? await decodeToVideo(model, msg.x) : await encodeVideo(model, msg.x);
      return post({ type: 'result', id, value: out });
    }
    if (msg.op !== 'sample') return;
    const controller = new AbortController();
    aborts.set(id, controller);
    try {
      const r = await runSampling(model, msg.req, { signal: controller.signal, onStep: (step, steps) => post({ type: 'step', id, step, steps }) });
      post({ type: 'result', id, value: r });
    } finally {
      aborts.delete(id);
    }
  } catch (e) {
    post({ type: 'error', id, ...failure(e) });
  }
});
