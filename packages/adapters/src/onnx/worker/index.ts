// A ModelRunner whose model lives on a worker thread (model-worker.ts). Started before the embedded
// database, the worker reads the model files and builds the ONNX Runtime sessions on its own thread
// while the database starts on this one; the calls afterwards cost one message each way.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Tokens } from '@backlot/core';
import type { ModelConfig } from '../model-config.js';
import type { TextContext } from '../run.js';
import type { ModelRunner, SampleRequest, SampleRun } from '../runner.js';
import type { Device, LoadOptions } from '../session.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';

export interface WorkerRunner extends ModelRunner {
  /** Resolves when the model is loaded; rejects with the load error. */
  ready: Promise<void>;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onStep?: (step: number, steps: number) => void;
}

/** The compiled worker beside this module; absent when running from TypeScript sources (tests). */
const WORKER_URL = new URL('./model-worker.js', import.meta.url);

export function modelWorkerAvailable(file: URL = WORKER_URL): boolean {
  return existsSync(fileURLToPath(file));
}

/**
 * Starts loading the exported model in `onnxDir` on a worker thread and returns at once. Config and
 * device are filled in when `ready` resolves: use the runner only after awaiting it.
 */
export function startModelWorker(onnxDir: string, options: LoadOptions = {}, file: URL = WORKER_URL): WorkerRunner {
  const worker = new Worker(file, { workerData: { onnxDir, options } });
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let closed = false;
  let exited = false;
  let settleReady!: { resolve: () => void; reject: (e: Error) => void };
  const ready = new Promise<void>((resolve, reject) => (settleReady = { resolve, reject }));
  ready.catch(() => {}); // a caller that never awaits it must not crash the process
  const fail = (e: Error) => {
    settleReady.reject(e);
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  const runner: WorkerRunner = {
    dir: onnxDir,
    config: undefined as unknown as ModelConfig,
    device: 'cpu' as Device,
    ready,
    encodeText: (batch: Tokens[]) => call<TextContext>({ op: 'encodeText', id: 0, batch }),
    encodeVideo: (x: Float32Array) => call<Float32Array>({ op: 'encodeVideo', id: 0, x }),
    decode: (x: Float32Array) => call<Float32Array>({ op: 'decode', id: 0, x }),
    sample: (req: SampleRequest, run: SampleRun = {}) => {
      if (run.signal?.aborted) return Promise.reject(run.signal.reason ?? new Error('aborted'));
      const p = call<{ x0: Float32Array; calls: number }>({ op: 'sample', id: 0, req }, run.onStep);
      const id = nextId - 1;
      const onAbort = () => worker.postMessage({ op: 'abort', target: id } satisfies WorkerRequest);
      run.signal?.addEventListener('abort', onAbort, { once: true });
      return p.finally(() => run.signal?.removeEventListener('abort', onAbort));
    },
    close: async () => {
      if (closed) return;
      closed = true;
      fail(new Error('model runner closed'));
      if (exited) return;
      const gone = new Promise((r) => worker.once('exit', r));
      worker.postMessage({ op: 'close' } satisfies WorkerRequest);
      // A worker stuck in a native call would hold the process: give it a moment, then stop it.
      const timer = setTimeout(() => void worker.terminate(), 2000);
      await gone;
      clearTimeout(timer);
    },
  };

  function call<T>(msg: WorkerRequest & { id: number }, onStep?: Pending['onStep']): Promise<T> {
    if (closed) return Promise.reject(new Error('model runner closed'));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onStep });
      worker.postMessage({ ...msg, id });
    });
  }

  worker.on('message', (m: WorkerReply) => {
    if (m.type === 'ready') {
      Object.assign(runner, { config: m.config, device: m.device, deviceNote: m.deviceNote });
      settleReady.resolve();
    } else if (m.type === 'failed') {
      fail(Object.assign(new Error(m.message), { code: m.code }));
    } else if (m.type === 'step') {
      pending.get(m.id)?.onStep?.(m.step, m.steps);
    } else {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.type === 'result') p?.resolve(m.value);
      else p?.reject(Object.assign(new Error(m.message), { code: m.code }));
    }
  });
  worker.on('error', (e) => fail(e));
  worker.on('exit', (code) => {
    exited = true;
    if (!closed) fail(new Error(`model worker stopped (exit code ${code})`));
  });
  return runner;
}
