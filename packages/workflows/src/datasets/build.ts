// `backlot dataset build`: every shot in the library, in shotId order, goes through the rights policy
// and the dataset's rules; admitted shots are captioned, decoded to RGB and appended to their shard;
// everything left out is written with its reasons. One streaming pass into a temporary folder that is
// renamed into place, then recorded (datasets, dataset_clips) with an audit entry in one transaction.
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Workspace } from '@backlot/adapters/workspace';
import { ffmpeg, FfmpegFailure } from '@backlot/adapters/ffmpeg';
import {
  buildCaption,
  DATASET_FORMAT,
  DatasetAdmission,
  DatasetError,
  datasetRootOf,
  DEFAULT_SHARD_SPEC,
  denyReasons,
  exclusionLine,
  InputError,
  manifestLine,
  SortedLeafTree,
  splitByTitle,
  type CompiledRightsPolicy,
  type DatasetParams,
  type DatasetPurpose,
  type DatasetSnapshot,
  type ManifestEntry,
  type ProgressSink,
  type ShardSpec,
} from '@backlot/core';
import { appendAudit } from '../audit/index.js';
import { countShots, shotsInIdOrder, TitleTextCache, type CatalogueShot } from './catalogue.js';
import { loadCompiledPolicy } from '../rights/index.js';
import { ShardWriter } from './shards.js';

export interface BuildDatasetInput {
  name: string;
  purpose?: DatasetPurpose;
  minSeconds?: number;
  maxPerTitle?: number | null;
  valFraction?: number;
  /** Records per shard file. */
  shardSize?: number;
  shardSpec?: Partial<ShardSpec>;
  /** Judge rights as of this day (YYYY-MM-DD); default today (UTC). */
  asOf?: string;
}

export interface BuildOptions {
  actor: string;
  onProgress?: ProgressSink;
  signal?: AbortSignal;
}

export const DATASET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function checkInput(input: BuildDatasetInput): { params: DatasetParams; spec: ShardSpec } {
  if (!DATASET_NAME.test(input.name)) throw new InputError('bad_dataset_name', `dataset name "${input.name}" must be 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit`, 'NAME');
  const spec = { ...DEFAULT_SHARD_SPEC, ...input.shardSpec };
  for (const k of ['width', 'height', 'fps', 'maxFrames'] as const) {
    if (!Number.isInteger(spec[k]) || spec[k] < 1 || spec[k] > 4096) throw new InputError('bad_shard_spec', `shard ${k} must be a whole number from 1 to 4096 (got ${spec[k]})`, `--shard-${k}`);
  }
  const params: DatasetParams = {
    purpose: input.purpose ?? 'video',
    minSeconds: input.minSeconds ?? 0,
    maxPerTitle: input.maxPerTitle ?? null,
    valFraction: input.valFraction ?? 0.1,
    shardSize: input.shardSize ?? 64,
    asOf: input.asOf ?? new Date().toISOString().slice(0, 10),
  };
  if (!(params.minSeconds >= 0)) throw new InputError('bad_min_seconds', `--min-seconds must be 0 or more (got ${params.minSeconds})`, '--min-seconds');
  if (params.maxPerTitle !== null && !(Number.isInteger(params.maxPerTitle) && params.maxPerTitle >= 1)) throw new InputError('bad_max_per_title', `--max-per-title must be a whole number of at least 1 (got ${params.maxPerTitle})`, '--max-per-title');
  if (!(params.valFraction >= 0 && params.valFraction < 1)) throw new InputError('bad_val_fraction', `--val-fraction must be from 0 up to (not including) 1 (got ${params.valFraction})`, '--val-fraction');
  if (!(Number.isInteger(params.shardSize) && params.shardSize >= 1)) throw new InputError('bad_shard_size', `--shard-size must be a whole number of at least 1 (got ${params.shardSize})`, '--shard-size');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(params.asOf)) throw new InputError('bad_as_of', `--as-of must be a day like 2026-11-25 (got ${params.asOf})`, '--as-of');
  return { params, spec };
}

/** Buffered line writer: a million small writes would dominate the build otherwise. */
class LineFile {
  private chunks: string[] = [];
  private size = 0;
  private constructor(private readonly fh: FileHandle) {}
  static async create(path: string): Promise<LineFile> {
    return new LineFile(await open(path, 'wx'));
  }
  async write(line: string): Promise<void> {
    this.chunks.push(line, '\n');
    this.size += line.length + 1;
    if (this.size >= 1 << 20) await this.flush();
  }
  private async flush(): Promise<void> {
    if (!this.chunks.length) return;
    await this.fh.write(this.chunks.join(''));
    this.chunks = [];
    this.size = 0;
  }
  async close(): Promise<void> {
    await this.flush();
    await this.fh.sync();
    await this.fh.close();
  }
}

async function* readLines(path: string): AsyncGenerator<string> {
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of rl) if (line) yield line;
}

/**
 * The clip taken from a shot: from the first frame after its incoming dissolve, fade or wipe (those
 * frames blend in the shot before, or black, which the caption does not describe), at most maxFrames
 * at the shard rate. Frames are source frames, end inclusive; `offset` is seconds into the proxy,
 * which starts at the shot's first frame.
 */
function clipSpan(shot: CatalogueShot, spec: ShardSpec): { startFrame: number; endFrame: number; start: number; end: number; offset: number } {
  // At least the shot's last frame is left, whatever length was recorded.
  const head = Math.min(shot.transitionFrames, shot.endFrame - shot.startFrame);
  const offset = head / shot.fps;
  const start = shot.start + offset;
  const seconds = Math.min(shot.end - start, spec.maxFrames / spec.fps);
  const frames = Math.max(1, Math.round(seconds * shot.fps));
  const startFrame = shot.startFrame + head;
  return { startFrame, endFrame: Math.min(shot.endFrame, startFrame + frames - 1), start, end: start + seconds, offset };
}

/** Decodes a proxy to spec.width x spec.height RGB at spec.fps: short side scaled, centre crop. */
async function decodeClip(ws: Workspace, shotId: string, proxySha256: string, span: { offset: number; start: number; end: number }, spec: ShardSpec, signal?: AbortSignal): Promise<{ payload: Buffer; frames: number }> {
  const path = ws.store.pathOf(proxySha256);
  await stat(path).catch(() => {
    throw new DatasetError('proxy_missing', `shot ${shotId}: its training proxy ${proxySha256} is not in the content store (${path}); re-run ingest`, shotId);
  });
  const vf = `fps=${spec.fps},scale=${spec.width}:${spec.height}:force_original_aspect_ratio=increase:flags=area,crop=${spec.width}:${spec.height}`;
  let out: Buffer;
  try {
    ({ stdout: out } = await ffmpeg(['-v', 'error', ...(span.offset > 0 ? ['-ss', span.offset.toFixed(6)] : []), '-i', path, '-an', '-t', (span.end - span.start).toFixed(6), '-vf', vf, '-frames:v', String(spec.maxFrames), '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1'], { signal }));
  } catch (e) {
    if (e instanceof FfmpegFailure) throw new DatasetError('proxy_unreadable', `shot ${shotId}: ffmpeg cannot decode its proxy ${path}: ${e.reason}`, shotId);
    throw e;
  }
  const frameBytes = spec.width * spec.height * 3;
  const frames = Math.floor(out.length / frameBytes);
  if (frames < 1) throw new DatasetError('proxy_empty', `shot ${shotId}: its proxy ${path} decoded to no frames`, shotId);
  return { payload: out.subarray(0, frames * frameBytes), frames };
}

export interface BuildResult {
  snapshot: DatasetSnapshot;
  path: string;
  exclusionsByRule: Record<string, number>;
}

export async function buildDataset(ws: Workspace, input: BuildDatasetInput, opts: BuildOptions): Promise<BuildResult> {
  const { params, spec } = checkInput(input);
  const progress = opts.onProgress ?? (() => {});
  const policy = await loadCompiledPolicy(ws.db, { purpose: params.purpose, asOf: params.asOf });
  const total = await countShots(ws.db);

  await mkdir(ws.datasetsDir, { recursive: true });
  const tmp = join(ws.datasetsDir, `.building-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(join(tmp, 'shards'), { recursive: true });
  try {
    // The split is fixed before any shot is judged, over the titles whose grants allow the purpose,
    // so the build is one streaming pass: each admitted shot goes straight to its shard.
    const split = splitByTitle(await grantedTitles(ws, policy), params.valFraction);
    const exclusions = await LineFile.create(join(tmp, 'exclusions.jsonl'));
    const manifest = await LineFile.create(join(tmp, 'manifest.jsonl'));
    const exclusionTree = new SortedLeafTree('exclusions.jsonl');
    const clipTree = new SortedLeafTree('manifest.jsonl');
    const shardsDir = join(tmp, 'shards');
    const writers = { train: new ShardWriter(shardsDir, 'train', params.shardSize), val: new ShardWriter(shardsDir, 'val', params.shardSize) };
    const admission = new DatasetAdmission({ minSeconds: params.minSeconds, maxPerTitle: params.maxPerTitle });
    const texts = new TitleTextCache(ws.db);
    const byRule: Record<string, number> = {};
    const counts = { train: 0, val: 0, excluded: 0 };
    let seen = 0;
    // Decodes run a few clips ahead (ffmpeg start-up dominates small proxies); clips are still
    // written to shards and the manifest strictly in shotId order.
    const pending: PendingClip[] = [];
    const writeClip = async ({ shot, span, caption, decoded }: PendingClip) => {
      const { payload, frames } = await decoded;
      const clipId = `${shot.id}:${span.startFrame}-${span.endFrame}`;
      const side = split.get(shot.titleId) ?? 'train';
      const at = await writers[side].write({ clipId, titleId: shot.titleId, caption, frames, height: spec.height, width: spec.width, channels: 3, fps: spec.fps }, payload);
      const entry: ManifestEntry = {
        clipId, shotId: shot.id, titleId: shot.titleId, title: shot.title, sourceSha256: shot.sourceSha256, proxySha256: shot.proxySha256!,
        startFrame: span.startFrame, endFrame: span.endFrame, start: span.start, end: span.end, caption,
        split: side, shard: at.shard, record: at.record, frames, clipSha256: at.clipSha256,
        attributes: { meanLuma: round3(shot.meanLuma), motion: round3(shot.motion), seconds: round3(shot.end - shot.start) },
      };
      const text = manifestLine(entry);
      clipTree.push(entry.shotId, text);
      await manifest.write(text);
      counts[side]++;
      progress({ task: 'dataset:shards', label: `${input.name}: clips`, done: counts.train + counts.val, unit: 'clips', message: shot.id });
    };
    for await (const shot of shotsInIdOrder(ws.db)) {
      if (opts.signal?.aborted) throw new DatasetError('cancelled', `dataset build ${input.name} was cancelled`);
      const decision = policy.decide({ id: shot.id, titleId: shot.titleId, mediaFileId: shot.mediaFileId, start: shot.start, end: shot.end });
      const verdict = { allowed: decision.allowed, reasons: decision.allowed ? [] : denyReasons(decision) };
      const span = clipSpan(shot, spec);
      const out = admission.admit({ ...shot, shotId: shot.id, transitionSeconds: span.offset }, verdict);
      seen++;
      if (!out.included) {
        const line = exclusionLine(out.exclusion);
        exclusionTree.push(shot.id, line);
        await exclusions.write(line);
        counts.excluded++;
        for (const r of new Set(out.exclusion.reasons.map((x) => x.rule))) byRule[r] = (byRule[r] ?? 0) + 1;
      } else {
        const { alignment, subtitles } = await texts.get(shot.titleId);
        const caption = buildCaption({ title: { name: shot.title, year: shot.year }, shot: { start: span.start, end: span.end, meanLuma: shot.meanLuma, motion: shot.motion }, alignment, subtitles });
        const decoded = decodeClip(ws, shot.id, shot.proxySha256!, span, spec, opts.signal);
        decoded.catch(() => {}); // awaited in order below; this only stops an early failure counting as unhandled
        pending.push({ shot, span, caption, decoded });
        if (pending.length >= DECODE_AHEAD) await writeClip(pending.shift()!);
      }
      if (seen % 100 === 0 || seen === total) progress({ task: 'dataset:policy', label: `${input.name}: rights`, done: seen, total, unit: 'shots', message: `${counts.train + counts.val} admitted` });
    }
    while (pending.length) await writeClip(pending.shift()!);
    progress({ task: 'dataset:policy', label: `${input.name}: rights`, done: seen, total: seen, unit: 'shots', message: `${counts.train + counts.val} admitted, ${counts.excluded} excluded`, finished: true });
    progress({ task: 'dataset:shards', label: `${input.name}: clips`, done: counts.train + counts.val, total: counts.train + counts.val, unit: 'clips', finished: true });
    await exclusions.close();
    await manifest.close();
    const shards = [...(await writers.train.close()), ...(await writers.val.close())];

    const clipsRoot = clipTree.rootHex();
    const exclusionsRoot = exclusionTree.rootHex();
    const merkleRoot = datasetRootOf({ policyVersion: policy.version, purpose: params.purpose, shardSpec: spec, clipsRoot, exclusionsRoot });
    const createdAt = new Date().toISOString();
    const id = `${input.name}-${merkleRoot.slice(0, 12)}`;
    const titles = { train: [...split].filter(([, s]) => s === 'train').map(([t]) => t).sort(), val: [...split].filter(([, s]) => s === 'val').map(([t]) => t).sort() };
    const snapshot: DatasetSnapshot = {
      format: DATASET_FORMAT, id, name: input.name, createdAt, createdBy: opts.actor, purpose: params.purpose, policyVersion: policy.version,
      merkleRoot, clipsRoot, exclusionsRoot, counts, titles, params, shardSpec: spec, shards,
    };
    await writeFile(join(tmp, 'snapshot.json'), `${JSON.stringify(snapshot, null, 2)}\n`, { flag: 'wx', flush: true });

    const existing = await ws.db.query<{ id: string }>('SELECT id FROM datasets WHERE id = $1', [id]);
    if (existing.length) throw new InputError('dataset_exists', `dataset ${input.name} already exists with exactly these contents (${id}); nothing to build`, input.name);
    const path = join(ws.datasetsDir, id);
    if (await stat(path).then(() => true, () => false)) {
      throw new DatasetError('snapshot_folder_exists', `${path} already exists but no dataset ${id} is recorded in the database; move it away or build under another name`, id);
    }
    await rename(tmp, path);
    try {
      await record(ws, snapshot, path, opts.actor, byRule);
    } catch (e) {
      await rm(path, { recursive: true, force: true });
      throw e;
    }
    return { snapshot, path, exclusionsByRule: byRule };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** How many proxies are decoding at once: enough to overlap ffmpeg start-up on two cores. */
const DECODE_AHEAD = 3;

interface PendingClip {
  shot: CatalogueShot;
  span: ReturnType<typeof clipSpan>;
  caption: string;
  decoded: Promise<{ payload: Buffer; frames: number }>;
}

/**
 * Titles with shots whose grants allow the purpose: the policy's verdict on an empty range at the
 * title's start sees only title-wide rules (grants), not people, cues or ranged restrictions.
 */
async function grantedTitles(ws: Workspace, policy: CompiledRightsPolicy): Promise<string[]> {
  const titles = await ws.db.query<{ title_id: string }>('SELECT DISTINCT title_id FROM shots');
  return titles.map((t) => t.title_id).filter((titleId) => policy.decide({ id: `title:${titleId}`, titleId, mediaFileId: null, start: 0, end: 0 }).allowed);
}

/** The datasets row, its dataset_clips (for revocation) and the audit entry, all or nothing. */
async function record(ws: Workspace, s: DatasetSnapshot, path: string, actor: string, byRule: Record<string, number>): Promise<void> {
  await ws.db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO datasets (id, name, purpose, policy_version, merkle_root, path, counts, params, created_by, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [s.id, s.name, s.purpose, s.policyVersion, s.merkleRoot, path, JSON.stringify(s.counts), JSON.stringify({ ...s.params, shardSpec: s.shardSpec }), actor, s.createdAt],
    );
    let batch: string[][] = [];
    const flush = async () => {
      if (!batch.length) return;
      const values = batch.map((_, i) => `($1, $${i * 4 + 2}, $${i * 4 + 3}, $${i * 4 + 4}, $${i * 4 + 5})`).join(', ');
      await tx.query(`INSERT INTO dataset_clips (dataset_id, clip_id, shot_id, title_id, split) VALUES ${values}`, [s.id, ...batch.flat()]);
      batch = [];
    };
    for await (const line of readLines(join(path, 'manifest.jsonl'))) {
      const e = JSON.parse(line) as ManifestEntry;
      batch.push([e.clipId, e.shotId, e.titleId, e.split]);
      if (batch.length >= 500) await flush();
    }
    await flush();
    await appendAudit(tx, {
      actor,
      action: 'dataset.build',
      subject: `dataset:${s.id}`,
      details: { name: s.name, merkleRoot: s.merkleRoot, policyVersion: s.policyVersion, purpose: s.purpose, counts: s.counts, excludedByRule: byRule, params: s.params },
    });
  });
}
