// Messages between index.ts (the generating thread) and model-worker.ts (the model's thread).
import type { Tokens } from '@backlot/core';
import type { ModelConfig } from '../model-config.js';
import type { SampleRequest } from '../runner.js';
import type { Device } from '../session.js';

export type WorkerRequest =
  | { op: 'encodeText'; id: number; batch: Tokens[] }
  | { op: 'encodeVideo' | 'decode'; id: number; x: Float32Array }
  | { op: 'sample'; id: number; req: SampleRequest }
  | { op: 'abort'; target: number }
  | { op: 'close' };

export type WorkerReply =
  | { type: 'ready'; config: ModelConfig; device: Device; deviceNote?: string }
  | { type: 'failed'; message: string; code?: string }
  | { type: 'step'; id: number; step: number; steps: number }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; message: string; code?: string };
