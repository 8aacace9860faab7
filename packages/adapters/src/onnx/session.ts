// ONNX Runtime sessions for one exported model: text encoder, denoiser, and for latent presets the
// autoencoder. CPU here; the CUDA execution provider where the runtime has it (falls back to CPU,
// and says which device ran).
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { arch, availableParallelism, cpus } from 'node:os';
import type { InferenceSession } from 'onnxruntime-common';
import { threadId } from 'node:worker_threads';
import type * as OrtNode from 'onnxruntime-node';
import { GenerateError, NotFoundError } from '@backlot/core';
import { cacheDir } from '../install/index.js';
import { ClipIndexSchema, ModelConfigSchema, SUPPORTED_FORMAT_VERSIONS, type ClipIndexMeta, type ModelConfig } from './model-config.js';

export type Device = 'cpu' | 'cuda';

/** What generation uses of a session (an ONNX Runtime session; tests may stand in for one). */
export interface ModelSession {
  readonly inputNames: readonly string[];
  run(feeds: InferenceSession.FeedsType): Promise<InferenceSession.ReturnType>;
  release(): Promise<void>;
}

export interface LoadOptions {
  /** 'auto' (default): CUDA when BACKLOT_ONNX_DEVICE=cuda or the runtime bundles it, else CPU. */
  device?: Device | 'auto';
  /** Threads per operator on CPU; default min(available cores, 4) or BACKLOT_ONNX_THREADS. */
  threads?: number;
}

export interface ClipIndex {
  meta: ClipIndexMeta;
  /** count × dim, row-major, rows L2-normalised. */
  rows: Float32Array;
}

export interface LoadedModel {
  dir: string;
  config: ModelConfig;
  device: Device;
  /** Why the device is what it is, when CUDA was wanted and not used. */
  deviceNote?: string;
  textEncoder: ModelSession;
  denoiser: ModelSession;
  vaeEncoder: ModelSession | null;
  vaeDecoder: ModelSession | null;
  close(): Promise<void>;
}

/** Reads and checks model.json; refuses format versions this reader does not know. */
export async function readModelConfig(onnxDir: string): Promise<ModelConfig> {
  const path = join(onnxDir, 'model.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError('model_not_exported', `no exported model at ${onnxDir} (model.json missing): run \`backlot models export\``, path);
    throw new GenerateError('model_json_invalid', `${path} is not valid JSON: ${(e as Error).message}`, path);
  }
  const parsed = ModelConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new GenerateError('model_json_invalid', `${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`, path);
  }
  if (!(SUPPORTED_FORMAT_VERSIONS as readonly number[]).includes(parsed.data.formatVersion)) {
    throw new GenerateError('model_format_unsupported', `${path}: formatVersion ${parsed.data.formatVersion} is not supported (this Backlot reads ${SUPPORTED_FORMAT_VERSIONS.join(', ')})`, path);
  }
  return parsed.data;
}

type Ort = typeof OrtNode;
let runtime: Promise<Ort> | undefined;
/** ONNX Runtime's native library, loaded on first use: commands that only read records never pay for it,
 * and a generation whose model loads on a worker thread never loads it on the main thread. */
function onnxRuntime(): Promise<Ort> {
  return (runtime ??= import('onnxruntime-node'));
}

function wantCuda(ort: Ort, device: LoadOptions['device']): boolean {
  if (device === 'cuda') return true;
  if (device === 'cpu') return false;
  if (process.env.BACKLOT_ONNX_DEVICE) return process.env.BACKLOT_ONNX_DEVICE === 'cuda';
  return ort.listSupportedBackends().some((b) => b.name === 'cuda' && b.bundled);
}

function sessionOptions(device: Device, threads: number): OrtNode.InferenceSession.SessionOptions {
  return {
    executionProviders: device === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    // Idle threads sleep instead of spinning: on a shared, loaded machine spinning burns the cores
    // the other threads need.
    extra: { session: { intra_op: { allow_spinning: process.env.BACKLOT_ONNX_SPIN ?? '0' }, inter_op: { allow_spinning: process.env.BACKLOT_ONNX_SPIN ?? '0' } } },
  };
}

/**
 * Where the CPU-optimised graph of `path` is kept. ONNX Runtime spends ~0.1 s of every load fusing
 * and re-laying out the graph; the result depends on the file, the runtime version and the CPU, so
 * it is cached per (file, size, mtime, runtime, CPU) in the user's cache and loaded as is next time.
 */
async function optimisedPath(ort: Ort, path: string): Promise<string> {
  const s = await stat(path);
  const key = createHash('sha256').update(JSON.stringify([resolve(path), s.size, s.mtimeMs, ort.env.versions.common, cpus()[0]?.model ?? '', arch()])).digest('hex').slice(0, 24);
  return join(cacheDir(), 'onnx', `${key}.onnx`);
}

async function openSession(ort: Ort, path: string, device: Device, threads: number): Promise<ModelSession> {
  if (!existsSync(path)) throw new GenerateError('model_file_missing', `exported model file missing: ${path}`, path);
  const options = sessionOptions(device, threads);
  if (device === 'cuda') return ort.InferenceSession.create(path, options);
  const cached = await optimisedPath(ort, path);
  if (existsSync(cached)) {
    try {
      return await ort.InferenceSession.create(cached, { ...options, graphOptimizationLevel: 'disabled' });
    } catch {
      await rm(cached, { force: true }).catch(() => {}); // unreadable: made again below
    }
  }
  const partial = `${cached}.${process.pid}.${threadId}.partial`;
  try {
    await mkdir(dirname(cached), { recursive: true });
    // Severity 3: the runtime's warning that an optimised graph suits this CPU only is the point here.
    const session = await ort.InferenceSession.create(path, { ...options, optimizedModelFilePath: partial, logSeverityLevel: 3 });
    await rename(partial, cached);
    return session;
  } catch {
    await rm(partial, { force: true }).catch(() => {});
    return ort.InferenceSession.create(path, options); // a cache we cannot write only costs time
  }
}

export async function loadModel(onnxDir: string, opts: LoadOptions = {}): Promise<LoadedModel> {
  const config = await readModelConfig(onnxDir);
  const threads = opts.threads ?? (Number(process.env.BACKLOT_ONNX_THREADS) || Math.min(availableParallelism(), 4));
  const ort = await onnxRuntime();
  let device: Device = wantCuda(ort, opts.device) ? 'cuda' : 'cpu';
  let deviceNote: string | undefined;
  const f = config.files;
  const open = async (d: Device) => ({
    textEncoder: await openSession(ort, join(onnxDir, f.textEncoder), d, threads),
    denoiser: await openSession(ort, join(onnxDir, f.denoiser), d, threads),
    vaeEncoder: config.space === 'latent' && f.vaeEncoder ? await openSession(ort, join(onnxDir, f.vaeEncoder), d, threads) : null,
    vaeDecoder: config.space === 'latent' && f.vaeDecoder ? await openSession(ort, join(onnxDir, f.vaeDecoder), d, threads) : null,
  });
  let sessions;
  try {
    sessions = await open(device);
  } catch (e) {
    if (device !== 'cuda' || e instanceof GenerateError) throw e;
    deviceNote = `CUDA execution provider unavailable (${(e as Error).message.split('\n')[0]}); ran on CPU`;
    device = 'cpu';
    sessions = await open(device);
  }
  if (config.space === 'latent' && (!sessions.vaeDecoder || !sessions.vaeEncoder)) {
    throw new GenerateError('model_file_missing', `${onnxDir}: a latent model needs vae_encoder and vae_decoder files`, onnxDir);
  }
  const all = Object.values(sessions).filter((s): s is ModelSession => !!s);
  return { dir: onnxDir, config, device, deviceNote, ...sessions, close: async () => { await Promise.all(all.map((s) => s.release())); } };
}

/** Node pools small Buffers: copy out exactly this buffer's bytes before viewing them as floats. */
export async function readFloat32File(path: string): Promise<Float32Array> {
  const buf = await readFile(path);
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

export async function readClipIndex(onnxDir: string, config: ModelConfig): Promise<ClipIndex | null> {
  if (!config.files.clipIndex) return null;
  const metaPath = join(onnxDir, config.files.clipIndex);
  if (!existsSync(metaPath)) return null;
  const parsed = ClipIndexSchema.safeParse(JSON.parse(await readFile(metaPath, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new GenerateError('clip_index_invalid', `${metaPath}: ${issue.path.join('.')}: ${issue.message}`, metaPath);
  }
  const meta = parsed.data;
  const rows = await readFloat32File(metaPath.replace(/\.json$/, '.f32'));
  if (rows.length !== meta.count * meta.dim) throw new GenerateError('clip_index_invalid', `${metaPath}: ${rows.length} floats for ${meta.count} × ${meta.dim}`, metaPath);
  return { meta, rows };
}
