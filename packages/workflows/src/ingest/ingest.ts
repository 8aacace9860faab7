// Ingest: a studio's video files into the library as measured shots with keyframes, near-duplicate
// groups, attached documents and training proxies. Resumable at any point: a file's shots are
// written in one transaction together with its media_files row (status 'analysed'), proxies are
// added shot by shot, and the file turns 'ready' when the last usable shot has one. Running the same
// command again skips what is done and finishes the rest; store writes are temp + rename.
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  FRAME_SIG_BYTES,
  IngestError,
  ToolError,
  groupDuplicates,
  isBacklotError,
  isNearDuplicate,
  sameFootage,
  type AnalysedShot,
  type DuplicateCandidate,
  type MediaProbe,
  type OptOutSignal,
  type ProgressSink,
  type ShotAnalysis,
} from '@backlot/core';
import type { Db } from '@backlot/adapters/db';
import { analyzeShots, DEFAULT_PROXY, embeddedTitle, extractKeyframes, makeShotProxies, probeMedia, titleFromFileName, type ProxySpec } from '@backlot/adapters/ffmpeg';
import { readOptOutSignals } from '@backlot/adapters/optout';
import { sha256Bytes, sha256File, type ContentStore } from '@backlot/adapters/store';
import type { Workspace } from '@backlot/adapters/workspace';
import { appendAudit } from '../audit/index.js';
import { collectVideos, type CollectedVideo, type Sidecar } from './collect.js';
import { insertRows } from './insert-rows.js';
import { attachSidecar, type AttachResult } from './sidecars.js';

export interface IngestOptions {
  actor: string;
  onProgress?: ProgressSink;
  signal?: AbortSignal;
  /** Title for every file (default: the file's embedded title tag, else its base name). */
  title?: string;
  /** Also keep a copy of each original in the content store. */
  copy?: boolean;
  /** Subtitles for the film(s), instead of a same-name .srt/.vtt. */
  subs?: string;
  /** Fountain screenplay for the film(s), instead of a same-name .fountain. */
  script?: string;
  proxy?: Partial<ProxySpec>;
  /** Shots shorter than this get no training proxy (seconds, default 0.5). */
  minProxySeconds?: number;
  /** The shot analyser; tests and benches may pass another implementation. */
  analyze?: typeof analyzeShots;
}

export type IngestFileStatus = 'ingested' | 'resumed' | 'unchanged' | 'updated' | 'failed';

export interface IngestFileReport {
  path: string;
  status: IngestFileStatus;
  title?: string;
  titleId?: string;
  mediaFileId?: string;
  sha256?: string;
  durationSeconds?: number;
  shots?: number;
  proxies?: number;
  proxyBytes?: number;
  proxiesSkipped?: number;
  /** New shots that joined a near-duplicate group. */
  duplicates?: number;
  sidecars: AttachResult[];
  /** Sidecar documents that could not be attached (the video itself still ingests). */
  sidecarErrors?: Array<{ path: string; code: string; message: string }>;
  /** Training opt-out signals in the file's own metadata (IPTC plus:DataMining, C2PA/CAWG training-mining); the rights policy honours those that prohibit. */
  optOut?: OptOutSignal[];
  /** Wall seconds per stage (hash, probe, analyse, keyframes, record, sidecars, proxies). */
  timings: Record<string, number>;
  /** One line naming the file and what is wrong (failed files). */
  error?: { code: string; message: string };
  seconds: number;
}

export interface IngestReport {
  files: IngestFileReport[];
  ok: number;
  failed: number;
  seconds: number;
}

interface Ctx {
  ws: Workspace;
  opts: IngestOptions;
  proxy: ProxySpec;
  minProxySeconds: number;
  analyze: typeof analyzeShots;
}

/** Ingests files and folders. Never throws for a bad file: it is reported and the rest continue. */
export async function ingestPaths(ws: Workspace, paths: string[], opts: IngestOptions): Promise<IngestReport> {
  const t0 = performance.now();
  if (paths.length === 0) throw new IngestError('no_paths', 'nothing to ingest: give one or more video files or folders');
  const proxy: ProxySpec = { ...DEFAULT_PROXY, ...opts.proxy };
  if (!Number.isInteger(proxy.shortSide) || proxy.shortSide < 16 || proxy.shortSide > 4096) throw new IngestError('bad_proxy_size', `--proxy-size must be a whole number of pixels from 16 to 4096 (got ${proxy.shortSide})`, '--proxy-size');
  if (!(proxy.fps > 0 && proxy.fps <= 120)) throw new IngestError('bad_proxy_fps', `--proxy-fps must be between 0 and 120 (got ${proxy.fps})`, '--proxy-fps');
  const ctx: Ctx = { ws, opts, proxy, minProxySeconds: opts.minProxySeconds ?? 0.5, analyze: opts.analyze ?? analyzeShots };

  const { videos, failures } = await collectVideos(paths);
  const files: IngestFileReport[] = failures.map((f) => ({ path: f.path, status: 'failed', error: { code: f.code, message: f.message }, sidecars: [], seconds: 0, timings: {} }));
  const progress = opts.onProgress;
  const overall = (done: number, finished = false) =>
    progress?.({ task: 'ingest', label: 'ingest', done, total: videos.length, unit: 'files', message: finished ? `${files.filter((f) => f.status === 'failed').length} failed` : undefined, finished });
  overall(0);
  for (const [i, video] of videos.entries()) {
    opts.signal?.throwIfAborted();
    const r = await ingestOne(ctx, video);
    files.push(r);
    for (const e of r.sidecarErrors ?? []) files.push({ path: e.path, status: 'failed', error: { code: e.code, message: e.message }, sidecars: [], seconds: 0, timings: {} });
    overall(i + 1, i + 1 === videos.length);
  }
  const failed = files.filter((f) => f.status === 'failed').length;
  return { files, ok: files.length - failed, failed, seconds: (performance.now() - t0) / 1000 };
}

function sidecarsFor(ctx: Ctx, video: CollectedVideo): Sidecar[] {
  let s = video.sidecars;
  if (ctx.opts.subs) s = [...s.filter((x) => x.kind !== 'subtitles'), { kind: 'subtitles', path: ctx.opts.subs }];
  if (ctx.opts.script) s = [...s.filter((x) => x.kind !== 'screenplay'), { kind: 'screenplay', path: ctx.opts.script }];
  return s;
}

/** Runs one stage and adds its wall time to the report. */
async function timed<T>(report: IngestFileReport, stage: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    report.timings[stage] = (report.timings[stage] ?? 0) + (performance.now() - t0) / 1000;
  }
}

interface MediaRow {
  id: string;
  title_id: string;
  title: string;
  path: string;
  status: 'probed' | 'analysed' | 'ready' | 'failed';
  duration_s: number;
  fps_num: number;
  fps_den: number;
}

async function ingestOne(ctx: Ctx, video: CollectedVideo): Promise<IngestFileReport> {
  const t0 = performance.now();
  const { ws, opts } = ctx;
  const name = basename(video.path);
  const task = `ingest:${video.path}`;
  const report: IngestFileReport = { path: video.path, status: 'ingested', sidecars: [], seconds: 0, timings: {} };
  const step = (message: string, done = 0, total?: number, unit = 'steps') => opts.onProgress?.({ task, label: name, done, total, unit, message });
  try {
    // Hash first: a file already in the library needs no probe, and a resumed one only its probe.
    step('hashing');
    const sha256 = await timed(report, 'hash', () => sha256File(video.path)).catch(async (e: unknown) => {
      await probeMedia(video.path, { signal: opts.signal, decodeCheck: false }); // words the problem (missing, unreadable...)
      throw e;
    });
    report.sha256 = sha256;
    let media = await findMedia(ws.db, sha256);
    if (!media) {
      step('probing');
      const probe = await timed(report, 'probe', () => probeMedia(video.path, { signal: opts.signal }));
      report.durationSeconds = probe.durationSeconds;
      const analysis = await timed(report, 'analyse', () =>
        ctx.analyze(video.path, {
          probe,
          signal: opts.signal,
          signatures: true,
          onProgress: (e) => opts.onProgress?.({ ...e, task, label: name, message: 'analysing shots', finished: false }),
        }),
      );
      media = await recordAnalysedFile(ctx, video, probe, sha256, analysis, report, step);
    } else if (media.status === 'ready') {
      report.status = 'unchanged';
    } else {
      report.status = 'resumed';
    }
    report.durationSeconds ??= media.duration_s;
    report.mediaFileId = media.id;
    report.titleId = media.title_id;
    report.title = media.title;

    for (const sidecar of sidecarsFor(ctx, video)) {
      let r: AttachResult;
      try {
        r = await timed(report, 'sidecars', () => attachSidecar(ws.db, ws.store, media!.title_id, media!.id, sidecar));
      } catch (e) {
        // A bad subtitle file must not hold back the film: report it on its own line and go on.
        if (!(e instanceof IngestError)) throw e;
        (report.sidecarErrors ??= []).push({ path: sidecar.path, code: e.code, message: e.message });
        continue;
      }
      report.sidecars.push(r);
      if (r.attached && report.status === 'unchanged') report.status = 'updated';
    }

    if (media.status !== 'ready') await timed(report, 'proxies', () => makeProxies(ctx, media!, video.path, task, name));
    const [counts] = await ws.db.query<{ shots: string | number; proxies: string | number; skipped: string | number; dups: string | number }>(
      `SELECT count(*) AS shots, count(proxy_sha256) AS proxies, count(proxy_skip) AS skipped, count(dup_group) AS dups FROM shots WHERE media_file_id = $1`,
      [media.id],
    );
    report.shots = Number(counts?.shots ?? 0);
    report.proxies = Number(counts?.proxies ?? 0);
    report.proxiesSkipped = Number(counts?.skipped ?? 0);
    report.duplicates ??= Number(counts?.dups ?? 0);
    const proxies = await ws.db.query<{ proxy_sha256: string }>('SELECT proxy_sha256 FROM shots WHERE media_file_id = $1 AND proxy_sha256 IS NOT NULL', [media.id]);
    report.proxyBytes = 0;
    for (const p of proxies) report.proxyBytes += (await stat(ws.store.pathOf(p.proxy_sha256)).catch(() => ({ size: 0 }))).size;
    opts.onProgress?.({ task, label: name, done: 1, total: 1, unit: 'files', message: report.status, finished: true });
  } catch (e) {
    if (opts.signal?.aborted || e instanceof ToolError) throw e;
    const err = isBacklotError(e) ? e : new IngestError('ingest_failed', `${video.path}: ingest failed: ${(e as Error).message.split('\n')[0]}`, video.path);
    report.status = 'failed';
    report.error = { code: err.code, message: err.message.startsWith(video.path) ? err.message : `${video.path}: ${err.message}` };
    opts.onProgress?.({ task, label: name, done: 0, total: 1, unit: 'files', message: 'failed', finished: true });
  }
  report.seconds = (performance.now() - t0) / 1000;
  return report;
}

async function findMedia(db: Db, sha256: string): Promise<MediaRow | null> {
  const [m] = await db.query<MediaRow & Record<string, unknown>>(
    'SELECT m.id, m.title_id, t.name AS title, m.path, m.status, m.duration_s, m.fps_num, m.fps_den FROM media_files m JOIN titles t ON t.id = m.title_id WHERE m.sha256 = $1',
    [sha256],
  );
  return m ?? null;
}

function slug(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
}

/** The title row for a name, created on first use. Ids are readable slugs, made unique when two names slug alike. */
async function ensureTitle(tx: Db, name: string): Promise<{ id: string; name: string }> {
  const [found] = await tx.query<{ id: string; name: string }>('SELECT id, name FROM titles WHERE name = $1', [name]);
  if (found) return found;
  let id = slug(name) || 'title';
  const [taken] = await tx.query('SELECT 1 FROM titles WHERE id = $1', [id]);
  if (taken) id = `${id}-${sha256Bytes(name).slice(0, 6)}`;
  await tx.query('INSERT INTO titles (id, name) VALUES ($1, $2)', [id, name]);
  return { id, name };
}

function titleNameFor(ctx: Ctx, probe: MediaProbe, path: string): string {
  return ctx.opts.title?.trim() || embeddedTitle(probe) || titleFromFileName(path);
}

/**
 * Keyframes first (content store, harmless if orphaned by a kill), then the file row, all its shots,
 * their duplicate groups and the audit entry in one transaction.
 */
async function recordAnalysedFile(
  ctx: Ctx,
  video: CollectedVideo,
  probe: MediaProbe,
  sha256: string,
  analysis: ShotAnalysis,
  report: IngestFileReport,
  step: (message: string, done?: number, total?: number, unit?: string) => void,
): Promise<MediaRow> {
  const { ws, opts } = ctx;
  if (analysis.shots.length === 0) throw new IngestError('no_frames', `${video.path}: no frames could be decoded`, video.path);
  const mediaId = sha256.slice(0, 12);
  const fps = probe.video.fpsNum / probe.video.fpsDen;
  step('keyframes', 0, analysis.shots.length, 'shots');
  const keyframes = await timed(report, 'keyframes', () =>
    extractKeyframes(ws.store, video.path, analysis.shots.map((shot) => keyframeTime(shot, analysis)), fps, { signal: opts.signal, probe }),
  );
  const storedSha = ctx.opts.copy ? await ws.store.putFileCopy(video.path) : null;
  const sigsSha = analysis.frameSignatures ? await ws.store.putBytes(analysis.frameSignatures) : null;
  const titleName = titleNameFor(ctx, probe, video.path);
  step('reading opt-out signals');
  const optOut = await readOptOutSignals(video.path);
  report.optOut = optOut.signals;
  step('recording shots');
  return timed(report, 'record', () => ws.db.transaction(async (tx) => {
    const title = await ensureTitle(tx, titleName);
    await tx.query(
      `INSERT INTO media_files (id, sha256, title_id, path, stored_sha256, size_bytes, container, duration_s, video_codec, width, height,
         fps_num, fps_den, vfr, frame_count, rotation, probe, status, proxy_short_side, proxy_fps, opt_out, frame_sigs_sha256)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,'analysed',$18,$19,$20,$21)`,
      [mediaId, sha256, title.id, video.path, storedSha, probe.sizeBytes, probe.container, probe.durationSeconds, probe.video.codec, probe.video.width,
        probe.video.height, probe.video.fpsNum, probe.video.fpsDen, probe.video.variableFrameRate, analysis.frameCount, probe.video.rotation,
        JSON.stringify(probe), ctx.proxy.shortSide, ctx.proxy.fps, JSON.stringify(optOut.signals), sigsSha],
    );
    const rows = analysis.shots.map((s, i) => [
      `${mediaId}-${s.index}`, mediaId, title.id, s.index, s.startFrame, s.endFrame, s.start, s.end, s.transitionIn, s.keyframe,
      keyframes[i]!.sha256, s.meanLuma, s.sharpness, s.motion, s.isBlack, s.letterbox, s.phash, keyframes[i]!.colourSig, keyframes[i]!.hueSig, s.transitionFrames,
    ]);
    await insertRows(tx, 'shots', ['id', 'media_file_id', 'title_id', 'idx', 'start_frame', 'end_frame', 'start_s', 'end_s', 'transition_in', 'keyframe',
      'keyframe_sha256', 'mean_luma', 'sharpness', 'motion', 'is_black', 'letterbox', 'phash', 'colour_sig', 'hue_sig', 'transition_frames'], rows);
    report.duplicates = await groupNearDuplicates(tx, ws.store, mediaId);
    await appendAudit(tx, {
      actor: opts.actor,
      action: 'library.ingest',
      subject: `media:${mediaId}`,
      details: { path: video.path, sha256, title: title.name, titleId: title.id, shots: analysis.shots.length, durationSeconds: probe.durationSeconds, optOut: optOut.signals.filter((x) => x.prohibits).map((x) => `${x.source} ${x.key}=${x.value}`) },
    });
    return { id: mediaId, title_id: title.id, title: title.name, path: video.path, status: 'analysed', duration_s: probe.durationSeconds, fps_num: probe.video.fpsNum, fps_den: probe.video.fpsDen } as MediaRow;
  }));
}

function keyframeTime(shot: AnalysedShot, analysis: ShotAnalysis): number {
  const t = (shot as AnalysedShot & { keyframeTime?: number }).keyframeTime;
  return typeof t === 'number' ? t : shot.keyframe / analysis.fps;
}

interface CandidateRow {
  id: string;
  media_file_id: string;
  phash: string;
  colour_sig: string | null;
  hue_sig: string | null;
  duration: number;
  mean_luma: number;
  is_black: boolean;
  dup_group: string | null;
  start_frame: number;
  end_frame: number;
  fps: number;
  vfr: boolean;
  frame_sigs_sha256: string | null;
}

/**
 * Groups the file's new shots with near-duplicates anywhere in the library; returns how many joined a
 * group. A pair the keyframe measures call duplicates is then laid frame over frame where both files
 * have frame signatures at the same constant rate (sameFootage), read from the store only for such pairs.
 */
async function groupNearDuplicates(tx: Db, store: ContentStore, mediaId: string): Promise<number> {
  const rows = await tx.query<CandidateRow & Record<string, unknown>>(
    `SELECT s.id, s.media_file_id, s.phash, s.colour_sig, s.hue_sig, s.end_s - s.start_s AS duration, s.mean_luma, s.is_black, s.dup_group,
            s.start_frame, s.end_frame, m.fps_num::float8 / m.fps_den AS fps, m.vfr, m.frame_sigs_sha256
       FROM shots s JOIN media_files m ON m.id = s.media_file_id WHERE NOT s.is_black`,
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  const toCandidate = (r: CandidateRow): DuplicateCandidate => ({
    id: r.id, phash: r.phash, colourSig: r.colour_sig, hueSig: r.hue_sig, duration: Number(r.duration), meanLuma: Number(r.mean_luma), isBlack: r.is_black, dupGroup: r.dup_group,
  });
  const incoming = rows.filter((r) => r.media_file_id === mediaId).map(toCandidate);
  const library = rows.filter((r) => r.media_file_id !== mediaId).map(toCandidate);
  // The pairs the keyframe measures call duplicates, measured once here; the signatures of every file such
  // a pair touches, read once. A file the store no longer has (null) leaves its pairs to the measures, as
  // for files ingested before signatures.
  const sigs = new Map<string, Uint8Array | null>();
  const near = new Set<string>();
  const pairKey = (a: DuplicateCandidate, b: DuplicateCandidate) => (a.id < b.id ? `${a.id} ${b.id}` : `${b.id} ${a.id}`);
  const comparable = (a: CandidateRow, b: CandidateRow) =>
    a.frame_sigs_sha256 !== null && b.frame_sigs_sha256 !== null && !a.vfr && !b.vfr && Math.abs(Number(a.fps) - Number(b.fps)) <= 1e-3 * Number(a.fps);
  for (const [i, a] of incoming.entries()) {
    const ra = byId.get(a.id)!;
    for (let j = i + 1; j < incoming.length + library.length; j++) {
      const b = j < incoming.length ? incoming[j]! : library[j - incoming.length]!;
      if (!isNearDuplicate(a, b)) continue;
      near.add(pairKey(a, b));
      const rb = byId.get(b.id)!;
      if (!comparable(ra, rb)) continue;
      for (const sha of [ra.frame_sigs_sha256!, rb.frame_sigs_sha256!]) {
        if (!sigs.has(sha)) sigs.set(sha, await store.read(sha).then((buf) => new Uint8Array(buf), () => null));
      }
    }
  }
  const framesOf = (r: CandidateRow) => sigs.get(r.frame_sigs_sha256!)?.subarray(r.start_frame * FRAME_SIG_BYTES, (r.end_frame + 1) * FRAME_SIG_BYTES);
  const duplicates = (a: DuplicateCandidate, b: DuplicateCandidate) => {
    if (!near.has(pairKey(a, b))) return false;
    const ra = byId.get(a.id)!;
    const rb = byId.get(b.id)!;
    const fa = comparable(ra, rb) ? framesOf(ra) : undefined;
    const fb = fa ? framesOf(rb) : undefined;
    return !fa || !fb || sameFootage(fa, fb);
  };
  const { assign, merge } = groupDuplicates(incoming, library, duplicates);
  for (const m of merge) await tx.query('UPDATE shots SET dup_group = $2 WHERE dup_group = $1', [m.from, m.to]);
  for (const [id, group] of assign) await tx.query('UPDATE shots SET dup_group = $2 WHERE id = $1', [id, group]);
  return incoming.filter((s) => assign.has(s.id)).length;
}

/** Makes the missing proxies of a file, one committed UPDATE per shot, then marks the file ready. */
async function makeProxies(ctx: Ctx, media: MediaRow, path: string, task: string, label: string): Promise<void> {
  const { ws, opts } = ctx;
  const [all] = await ws.db.query<{ n: string | number }>('SELECT count(*) AS n FROM shots WHERE media_file_id = $1', [media.id]);
  const pending = await ws.db.query<{ id: string; start_s: number; end_s: number; is_black: boolean }>(
    'SELECT id, start_s, end_s, is_black FROM shots WHERE media_file_id = $1 AND proxy_sha256 IS NULL AND proxy_skip IS NULL ORDER BY idx',
    [media.id],
  );
  const total = Number(all?.n ?? 0);
  let done = total - pending.length;
  const progress = () => opts.onProgress?.({ task, label, done, total, unit: 'shots', message: 'writing proxies' });
  const encode: typeof pending = [];
  for (const shot of pending) {
    if (shot.is_black) await ws.db.query(`UPDATE shots SET proxy_skip = 'black' WHERE id = $1`, [shot.id]);
    else if (shot.end_s - shot.start_s < ctx.minProxySeconds) await ws.db.query(`UPDATE shots SET proxy_skip = 'too_short' WHERE id = $1`, [shot.id]);
    else {
      encode.push(shot);
      continue;
    }
    done++;
  }
  progress();
  // A batch of shots per ffmpeg run; each proxy is recorded as its run commits it, so a kill loses one run at most.
  await makeShotProxies(ws.store, path, encode.map((s) => ({ start: s.start_s, end: s.end_s })), ctx.proxy, {
    signal: opts.signal,
    sourceFps: media.fps_num / media.fps_den,
    onProxy: async (i, p) => {
      await ws.db.query('UPDATE shots SET proxy_sha256 = $2 WHERE id = $1', [encode[i]!.id, p.sha256]);
      done++;
      progress();
    },
  });
  await ws.db.query(`UPDATE media_files SET status = 'ready', proxy_short_side = $2, proxy_fps = $3 WHERE id = $1`, [media.id, ctx.proxy.shortSide, ctx.proxy.fps]);
}

