// The kinds of long work the studio runs as jobs, how many of each one process takes at once, which
// are retried after a crash, and the workflow each one calls. `backlot serve` and `backlot worker`
// both run jobs from here, so a job runs the same wherever it lands.
import { link, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Workspace } from '@backlot/adapters/workspace';
import { JobQueue, type JobContext, type JobKindSpec } from '@backlot/adapters/queue';
import { loadSigningKeys } from '@backlot/adapters/c2pa';
import { ingestPaths } from '@backlot/workflows/ingest';
import { buildDataset, type BuildDatasetInput } from '@backlot/workflows/datasets';
import { trainModel, evaluateModel, exportModel, type TrainInput, type EvalInput } from '@backlot/workflows/training';
import { findGeneration, generate } from '@backlot/workflows/generation';
import { withoutPaths } from '../http/redact.js';

export const JOB_KINDS = ['ingest', 'dataset', 'train', 'eval', 'generate', 'ping'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/**
 * Sized for a small box (2 cores): one CPU-heavy job of each kind at a time. Training is not retried
 * (hours of work; a person decides to start again); the rest are safe to repeat: ingest is keyed by
 * content hash, dataset snapshots are written to a temporary folder then renamed, evaluation and
 * generation only add records.
 */
export const DEFAULT_KIND_SPECS: Record<JobKind, JobKindSpec> = {
  ingest: { concurrency: 1, retryLimit: 2, expireInSeconds: 4 * 3600 },
  dataset: { concurrency: 1, retryLimit: 2, expireInSeconds: 4 * 3600 },
  train: { concurrency: 1, retryLimit: 0, expireInSeconds: 23 * 3600 },
  eval: { concurrency: 1, retryLimit: 1, expireInSeconds: 3600 },
  generate: { concurrency: 2, retryLimit: 2, expireInSeconds: 1800 },
  ping: { concurrency: 4, retryLimit: 3, expireInSeconds: 60 },
};

export type JobRunner = (ws: Workspace, input: unknown, ctx: JobContext) => Promise<unknown>;

/** A queue round trip with nothing heavy behind it: health checks of workers, the queue benchmark. */
async function ping(_ws: Workspace, input: unknown, ctx: JobContext): Promise<unknown> {
  const { ms = 0 } = (input ?? {}) as { ms?: number };
  const steps = 10;
  for (let i = 1; i <= steps; i++) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (ms > 0) await new Promise((r) => setTimeout(r, ms / steps));
    ctx.onProgress({ task: 'ping', label: 'ping', done: i, total: steps, unit: 'steps', finished: i === steps });
  }
  return { pong: true, worker: process.pid, attempt: ctx.attempt };
}

const opts = (ctx: JobContext) => ({ actor: ctx.actor, onProgress: ctx.onProgress, signal: ctx.signal });

/**
 * Uploaded films keep their content-store name; ingest wants a file named like a video, so each gets
 * a hard link (no copy) with the name the person gave, in a folder of its own.
 */
async function ingest(ws: Workspace, input: unknown, ctx: JobContext): Promise<unknown> {
  const { files, title } = input as { files: Array<{ sha256: string; name: string }>; title?: string };
  const paths: string[] = [];
  for (const f of files) {
    const dir = join(ws.home, 'uploads', f.sha256.slice(0, 16));
    await mkdir(dir, { recursive: true });
    const path = join(dir, f.name);
    await link(ws.store.pathOf(f.sha256), path).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
    paths.push(path);
  }
  const report = await ingestPaths(ws, paths, { ...opts(ctx), title });
  return withoutPaths(report);
}

/**
 * Generation reads uploads from the content store and writes its output into the workspace. A job
 * retried after a crash that came between recording its generation and finishing the job returns
 * that generation (`recovered: true`) rather than making, signing and billing a second one.
 */
async function generateClip(ws: Workspace, input: unknown, ctx: JobContext): Promise<unknown> {
  const [done] = await ws.db.query<{ id: string }>("SELECT id FROM generations WHERE job_id = $1 AND status = 'done'", [ctx.jobId]);
  if (done) {
    const g = await findGeneration(ws, done.id);
    return withoutPaths({ generationId: g.id, modelId: g.model_id, mode: g.mode, prompt: g.prompt, project: g.project, sha256: g.sha256, output: g.output_path, video: { seconds: g.seconds }, recovered: true });
  }
  const req = input as Record<string, unknown> & { image?: string; last?: string; extend?: string; restyle?: string };
  const dir = join(ws.home, 'outputs');
  await mkdir(dir, { recursive: true });
  const stored = (sha?: string) => (sha ? ws.store.pathOf(sha) : undefined);
  const result = await generate(
    ws,
    { ...req, image: stored(req.image), last: stored(req.last), extend: stored(req.extend), restyle: stored(req.restyle), output: join(dir, `${ctx.jobId}.mp4`) },
    { ...opts(ctx), jobId: ctx.jobId },
  );
  return withoutPaths(result);
}

/**
 * A run started from the studio ends with a model the creatives can use at once: registered, then
 * exported to ONNX for generation (the CLI keeps the two steps apart: `backlot models export`).
 */
async function trainAndExport(ws: Workspace, input: unknown, ctx: JobContext): Promise<unknown> {
  const trained = await trainModel(ws, input as TrainInput, opts(ctx));
  await exportModel(ws, trained.model.id, opts(ctx));
  return withoutPaths({ ...trained, model: { ...trained.model, exported: true } });
}

/** Each kind's workflow call; the route validated the input with the kind's schema before queueing. */
export const JOB_RUNNERS: Partial<Record<JobKind, JobRunner>> = {
  ping,
  ingest,
  dataset: async (ws, input, ctx) => withoutPaths(await buildDataset(ws, input as BuildDatasetInput, opts(ctx))),
  train: trainAndExport,
  eval: async (ws, input, ctx) => withoutPaths(await evaluateModel(ws, input as EvalInput, opts(ctx))),
  generate: generateClip,
};

export function kindSpecs(overrides: Record<string, Partial<JobKindSpec>> = {}): Record<JobKind, JobKindSpec> {
  const out = { ...DEFAULT_KIND_SPECS };
  for (const k of JOB_KINDS) out[k] = { ...out[k], ...(overrides[k] ?? {}) };
  return out;
}

export function parseKinds(list: 'all' | 'none' | string[]): JobKind[] {
  if (list === 'none') return [];
  if (list === 'all') return JOB_KINDS.filter((k) => JOB_RUNNERS[k]);
  return list.map((k) => {
    if (!(JOB_KINDS as readonly string[]).includes(k)) throw new Error(`unknown job kind ${k}`);
    return k as JobKind;
  });
}

/** Starts workers for the given kinds on a queue; kinds whose workflow has not landed are refused. */
export async function startWorkers(ws: Workspace, queue: JobQueue, kinds: JobKind[]): Promise<JobKind[]> {
  const started: JobKind[] = [];
  // Concurrent first generations in one process would each try to make the development signing
  // chain (its temporary folder is per process); make it once before any generation job starts.
  if (kinds.includes('generate') && JOB_RUNNERS.generate) await loadSigningKeys(ws.home);
  for (const kind of kinds) {
    const runner = JOB_RUNNERS[kind];
    if (!runner) continue;
    await queue.work(kind, (input, ctx) => runner(ws, input, ctx));
    started.push(kind);
  }
  return started;
}

export interface WorkerHandle {
  queue: JobQueue;
  kinds: JobKind[];
  stop(): Promise<void>;
}

/** `backlot worker`: takes jobs of some kinds from the workspace's queue until stopped. */
export async function runWorker(ws: Workspace, opts: { kinds: JobKind[]; specs?: Record<string, Partial<JobKindSpec>> }): Promise<WorkerHandle> {
  const queue = await JobQueue.open(ws.db, { kinds: kindSpecs(opts.specs), soleWorker: false });
  const kinds = await startWorkers(ws, queue, opts.kinds);
  return { queue, kinds, stop: () => queue.stop() };
}
