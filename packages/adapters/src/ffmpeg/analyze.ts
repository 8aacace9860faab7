// Single-pass shot analysis of a video file: ffmpeg decodes once, scaled down to a small analysis
// size, and streams raw YUV frames through a pipe into the pure ShotAnalyser (@backlot/core).
// Presentation times come from ffmpeg's showinfo lines, so variable frame rates keep their real times.
import { basename } from 'node:path';
import { IngestError, ShotAnalyser, type BoundaryParams, type ProgressSink, type ShotAnalysis, type MediaProbe } from '@backlot/core';
import { probeMedia } from './probe.js';
import { FfmpegFailure, spawnFfmpeg, type FfmpegProcess } from './run.js';

export interface AnalyzeShotsOptions {
  onProgress?: ProgressSink;
  signal?: AbortSignal;
  /** Width of the analysis frames in pixels, a multiple of 64 (default 128). */
  analysisWidth?: number;
  /** Overrides for the boundary decision's thresholds (tuning, tests). */
  params?: Partial<BoundaryParams>;
  /** A probe already made for this file (ingest probes first); saves one ffprobe run. */
  probe?: MediaProbe;
  /** ffmpeg decoder threads; 0 leaves the choice to ffmpeg (default: see `analysisDecodeThreads`). */
  decodeThreads?: number;
  /** Keep every frame's signature (ShotAnalysis.frameSignatures: ingest's near-duplicate check). */
  signatures?: boolean;
}

export const DEFAULT_ANALYSIS_WIDTH = 128;

/** Analysis frame width: `width` rounded to a multiple of 64 (the feature grid's 32 columns of even blocks), at least 64. */
function analysisWidthOf(width = DEFAULT_ANALYSIS_WIDTH): number {
  return Math.max(64, Math.round(width / 64) * 64);
}

/** Analysis frame size: the display shape (sample aspect ratio and rotation applied) at `width` wide. */
export function analysisSize(probe: MediaProbe, width?: number): { width: number; height: number } {
  const w = analysisWidthOf(width);
  const [sn, sd] = (probe.video.sampleAspectRatio ?? '1:1').split(':').map(Number);
  const sar = sn && sd ? sn / sd : 1;
  let dw = probe.video.width * sar;
  let dh = probe.video.height;
  if (probe.video.rotation === 90 || probe.video.rotation === 270) [dw, dh] = [dh, dw];
  const h = Math.max(w / 16, 2 * Math.round((w * dh) / dw / 2));
  return { width: w, height: h };
}

/**
 * The same height as `analysisSize` gives, as an ffmpeg scale expression over the filter's input, which
 * autorotation has already turned (and whose sample aspect ratio it has inverted): the decode can start
 * before the probe has told us the source's shape. Every frame's size is checked against the probe's.
 */
function analysisHeightExpression(width: number): string {
  return `max(${width / 16}\\,2*round(${width}/(iw*sar/ih)/2))`;
}

/**
 * Decoder threads for the analysis of a source this size. The analysis takes about one core in Node
 * (~0.4 ms a frame), so on a small source, whose decode costs about as much, a second decoder thread
 * only competes with it: frame threading adds 25–40 % CPU (thread hand-offs) for little gain in wall time.
 * Sources above 640x360 need the decoder's parallelism more than the analysis does: ffmpeg chooses.
 */
export function analysisDecodeThreads(probe: MediaProbe): number | undefined {
  return probe.video.width * probe.video.height <= 640 * 360 ? 1 : undefined;
}

/**
 * ffmpeg arguments for the analysis decode (also used by the bench for its bare-decode baseline). A null
 * height leaves it to ffmpeg, from the input's shape (`analysisHeightExpression`).
 */
export function analysisDecodeArgs(path: string, size: { width: number; height: number | null }, pixFmt: 'yuv420p' | 'gray', withTimes: boolean, decodeThreads?: number): string[] {
  // area scaling averages every source pixel into the small frame: less aliasing on fine detail,
  // which would otherwise read as frame-to-frame change. Autorotation stays on (ffmpeg's default).
  // showinfo gives each frame's time; its per-frame checksums (~9% of the decode) are not needed.
  const showinfo = showinfoHasChecksumOption ? ',showinfo=checksum=0' : ',showinfo';
  const height = size.height ?? analysisHeightExpression(size.width);
  const vf = `scale=${size.width}:${height}:flags=area,format=${pixFmt}${withTimes ? showinfo : ''}`;
  const threads = decodeThreads ? ['-threads', String(decodeThreads)] : [];
  // One filter thread: slice threading of a scale to 128 px wide splits each frame into slivers whose
  // hand-offs cost more than they save (on a 512x288 source ffmpeg's default took 3.4 s and 4.4 s of
  // CPU for what one thread does in 2.8 s and 2.9 s).
  return ['-v', withTimes ? 'info' : 'error', '-nostats', ...threads, '-filter_threads', '1', '-i', path, '-map', '0:v:0', '-an', '-sn', '-dn', '-vf', vf, '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', pixFmt, 'pipe:1'];
}

/** Older ffmpeg builds have no showinfo `checksum` option; a failed first decode turns it off. */
let showinfoHasChecksumOption = true;

const SHOWINFO = /\bn:\s*(\d+)\s+pts:\s*(\S+)\s+pts_time:(\S+)/;
const SHOWINFO_SIZE = /\ss:(\d+)x(\d+)\s/;

/** The decode started before the probe came back made frames of another size than the probe implies. */
class SizeMismatch extends Error {}

/** Decodes `path` once and returns its shots with their measures. Bad files throw a one-line IngestError. */
export async function analyzeShots(path: string, opts: AnalyzeShotsOptions = {}): Promise<ShotAnalysis> {
  if (opts.probe) return decodeAndAnalyse(path, opts.probe, opts, null);
  // ffprobe takes ~0.2 s here, most of it ffmpeg's libraries loading, and the analysis decode needs
  // from it only the frame size (which its scale filter can work out itself) and the decoder threads
  // (one for the small sources that most short clips are). So both start at once, and the decode is
  // started again only when the probe says the source is large or the frame size came out otherwise.
  const threads = opts.decodeThreads ?? 1;
  const early = startDecode(path, { width: analysisWidthOf(opts.analysisWidth), height: null }, threads, opts.signal);
  early.child.done.catch(() => {}); // read (or dropped) below
  let probe: MediaProbe;
  try {
    probe = await probeMedia(path, { signal: opts.signal, decodeCheck: false });
  } catch (e) {
    early.child.kill('SIGKILL');
    throw e;
  }
  if (opts.decodeThreads === undefined && analysisDecodeThreads(probe) !== threads) {
    early.child.kill('SIGKILL');
    return decodeAndAnalyse(path, probe, opts, null);
  }
  try {
    return await decodeAndAnalyse(path, probe, opts, early);
  } catch (e) {
    if (e instanceof SizeMismatch) return decodeAndAnalyse(path, probe, opts, null);
    throw e;
  }
}

interface Decode {
  child: FfmpegProcess;
  /** Hands ffmpeg's stderr lines so far, then those of each later chunk, to `handler`. */
  takeLines(handler: (lines: string[]) => void): void;
}

/** Starts the analysis decode; its stderr is read into lines from the start, so no showinfo line is lost. */
function startDecode(path: string, size: { width: number; height: number | null }, threads: number | undefined, signal: AbortSignal | undefined): Decode {
  const child = spawnFfmpeg(analysisDecodeArgs(path, size, 'yuv420p', true, threads), { signal });
  let held: string[] = [];
  let handler: ((lines: string[]) => void) | null = null;
  let partial = '';
  child.stderr.on('data', (b: Buffer) => {
    const lines = (partial + b.toString('latin1')).split('\n');
    partial = lines.pop()!;
    if (handler) handler(lines);
    else held.push(...lines);
  });
  return {
    child,
    takeLines(h) {
      handler = h;
      const lines = held;
      held = [];
      h(lines);
    },
  };
}

/** The analysis decode of a probed file: `started` is a decode already running with a computed height. */
async function decodeAndAnalyse(path: string, probe: MediaProbe, opts: AnalyzeShotsOptions, started: Decode | null): Promise<ShotAnalysis> {
  const size = analysisSize(probe, opts.analysisWidth);
  const fps = probe.video.fpsNum / probe.video.fpsDen;
  const frameDuration = 1 / fps;
  const expected = probe.video.frameCount ?? Math.round(probe.durationSeconds * fps);
  const analyser = new ShotAnalyser(size.width, size.height, frameDuration, opts.params, opts.signatures);
  const task = `shots:${basename(path)}`;
  const progress = (done: number, finished = false) =>
    opts.onProgress?.({ task, label: basename(path), done, total: Math.max(expected, done), unit: 'frames', message: 'analysing shots', finished });

  const decode = started ?? startDecode(path, size, opts.decodeThreads ?? analysisDecodeThreads(probe), opts.signal);
  const child = decode.child;
  // A decode started before the probe sizes its frames itself: each frame's size (from showinfo) must be
  // the probe's, the first before any frame is analysed and every later one too (a stream whose picture
  // size changes part-way would rescale to another height; the fixed size keeps every frame alike).
  const checkSizes = started !== null;
  let sizeChecked = !checkSizes;
  let failure: unknown = null;
  const ySize = size.width * size.height;
  const cSize = ySize / 4;
  const frameBytes = ySize + 2 * cSize;

  // Frames and their times arrive on different pipes; pair them in order.
  const times: number[] = [];
  const waiting: Buffer[] = [];
  let paired = 0;
  let lastTime = -frameDuration;
  const feed = (buf: Buffer, time: number) => {
    analyser.push({ width: size.width, height: size.height, y: buf.subarray(0, ySize), u: buf.subarray(ySize, ySize + cSize), v: buf.subarray(ySize + cSize) }, time);
    paired++;
    if (paired % 250 === 0) progress(paired);
  };
  const drain = (final: boolean) => {
    while (sizeChecked && waiting.length && (times.length || final)) {
      let t = times.shift();
      if (t === undefined || !Number.isFinite(t)) t = lastTime + frameDuration;
      lastTime = t;
      feed(waiting.shift()!, t);
    }
  };

  decode.takeLines((lines) => {
    if (failure) return;
    for (const line of lines) {
      const m = SHOWINFO.exec(line);
      if (!m) continue;
      if (checkSizes) {
        const s = SHOWINFO_SIZE.exec(line);
        if (!s || Number(s[1]) !== size.width || Number(s[2]) !== size.height) {
          failure = new SizeMismatch();
          child.kill('SIGKILL');
          return;
        }
        sizeChecked = true;
      }
      times.push(m[3] === 'NOPTS' ? Number.NaN : Number(m[3]));
    }
    drain(false);
  });

  let frame = Buffer.allocUnsafe(frameBytes);
  let filled = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    try {
      let off = 0;
      while (off < chunk.length) {
        // A whole frame inside the chunk is used where it lies (each chunk is a fresh buffer);
        // only a frame split across chunks is copied together.
        if (filled === 0 && chunk.length - off >= frameBytes) {
          waiting.push(chunk.subarray(off, off + frameBytes));
          off += frameBytes;
          continue;
        }
        const n = Math.min(frameBytes - filled, chunk.length - off);
        chunk.copy(frame, filled, off, off + n);
        filled += n;
        off += n;
        if (filled === frameBytes) {
          waiting.push(frame);
          frame = Buffer.allocUnsafe(frameBytes);
          filled = 0;
        }
      }
      drain(false);
    } catch (e) {
      failure = e;
      child.kill('SIGKILL');
    }
  });

  try {
    await child.done;
  } catch (e) {
    if (failure) throw failure;
    // Nothing decoded: an old ffmpeg refusing the option, or a broken file. Once, try without it.
    if (e instanceof FfmpegFailure && showinfoHasChecksumOption && paired === 0) {
      showinfoHasChecksumOption = false;
      try {
        return await analyzeShots(path, { ...opts, probe });
      } catch (again) {
        showinfoHasChecksumOption = true; // the file was the problem, not the option
        throw again;
      }
    }
    if (e instanceof FfmpegFailure) throw new IngestError('undecodable', `${path}: video cannot be decoded (${e.reason.replace(`${path}: `, '')})`, path);
    throw e;
  }
  if (failure) throw failure;
  if (!sizeChecked && waiting.length) throw new SizeMismatch(); // no showinfo line to check the size by
  drain(true);
  if (paired === 0) throw new IngestError('undecodable', `${path}: no video frame could be decoded`, path);
  if (probe.video.frameCount && paired < 0.9 * probe.video.frameCount - 2) {
    throw new IngestError('truncated', `${path}: truncated or damaged: only ${paired} of ${probe.video.frameCount} frames decode`, path);
  }
  const shots = analyser.finish();
  progress(paired, true);
  return {
    fps: Math.round(fps * 1000) / 1000,
    frameCount: paired,
    width: size.width,
    height: size.height,
    shots,
    ...(opts.signatures ? { frameSignatures: analyser.frameSignatures() } : {}),
  };
}
