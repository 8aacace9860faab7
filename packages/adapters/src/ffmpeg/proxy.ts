// Training proxies: each usable shot re-encoded small (short side 256 px, 24 fps by default), square
// pixels, no audio, H.264, into the content store. The dataset builder reads frames from these,
// never from the original film, so originals may stay on slow or remote disks.
import { rm, stat } from 'node:fs/promises';
import type { ContentStore } from '../store/index.js';
import { ffmpeg } from './run.js';

export interface ProxySpec {
  /** Pixels on the short side after square-pixel correction; smaller sources are not upscaled. */
  shortSide: number;
  fps: number;
}

export const DEFAULT_PROXY: ProxySpec = { shortSide: 256, fps: 24 };

export interface ProxyResult {
  sha256: string;
  bytes: number;
}

/** The ffmpeg filter chain: square pixels, the short side scaled down to spec, even sizes, constant rate. */
export function proxyFilter(spec: ProxySpec): string {
  const n = spec.shortSide;
  // Anamorphic sources (SAR != 1) are first stretched to their display shape, so a circle stays round.
  return [
    `scale='trunc(iw*sar/2)*2':'ih'`,
    'setsar=1',
    `scale='if(gte(iw,ih),-2,min(${n},trunc(iw/2)*2))':'if(gte(iw,ih),min(${n},trunc(ih/2)*2),-2)':flags=area`,
    `fps=${spec.fps}`,
    'format=yuv420p',
  ].join(',');
}

/** Shots per ffmpeg run in `makeShotProxies`: one decode feeds this many trims and encoders at once. */
export const PROXY_BATCH = 8;

/** [start, end) seconds of a source: one shot. */
export interface ProxySpan {
  start: number;
  end: number;
}

/**
 * x264 for a proxy: fast, one keyframe a second, no varying metadata, one thread, so the same frames give
 * the same bytes. (With x264's own threads, eight encoders in one busy process gave a shot different bytes
 * on 1 run in 6, the frames going in being the same; on one thread each, 8 of 8 runs agreed, as fast.)
 */
function encoderArgs(spec: ProxySpec, out: string): string[] {
  return [
    '-c:v', 'libx264', '-threads', '1', '-preset', 'veryfast', '-crf', '23', '-g', String(spec.fps),
    '-map_metadata', '-1', '-fflags', '+bitexact', '-flags:v', '+bitexact',
    '-movflags', '+faststart',
    '-f', 'mp4', out,
  ];
}

/**
 * Encodes [start, end) seconds of the source as a proxy and commits it to the store. The encode goes
 * to a store temp file and is renamed into place only when complete, so a kill leaves no object.
 */
export async function makeShotProxy(
  store: ContentStore,
  source: string,
  span: ProxySpan,
  spec: ProxySpec = DEFAULT_PROXY,
  opts: { signal?: AbortSignal; sourceFps?: number } = {},
): Promise<ProxyResult> {
  return (await makeShotProxies(store, source, [span], spec, opts))[0]!;
}

/**
 * A proxy for each span (in order of start), `PROXY_BATCH` shots to an ffmpeg run: the source is decoded
 * once for the run and every shot has its own trim and encoder, instead of one process, seek and decode
 * per shot (a demo film's 26 proxies in ingest: 3.2 s instead of 8.6 s). A frame belongs to the span its time falls
 * in to within half a source frame (`sourceFps`), so times rounded to the millisecond pick whole frames;
 * each shot's frames are re-timed from its first, so they, and its encoder's bytes, do not depend on
 * which other shots share the run. `onProxy` is called as each run's proxies are committed, so a caller
 * can record them before the next run starts (a kill loses at most one run's work).
 */
export async function makeShotProxies(
  store: ContentStore,
  source: string,
  spans: ProxySpan[],
  spec: ProxySpec = DEFAULT_PROXY,
  opts: { signal?: AbortSignal; sourceFps?: number; onProxy?: (index: number, result: ProxyResult) => Promise<void> | void } = {},
): Promise<ProxyResult[]> {
  const order = spans.map((span, index) => ({ span, index })).sort((x, y) => x.span.start - y.span.start);
  const half = 0.5 / (opts.sourceFps ?? spec.fps);
  const results: ProxyResult[] = new Array(spans.length);
  for (let b = 0; b < order.length; b += PROXY_BATCH) {
    opts.signal?.throwIfAborted();
    const batch = order.slice(b, b + PROXY_BATCH);
    // -ss before -i seeks to the keyframe before and drops the frames up to the seek point; a second
    // early, so the first shot's first frame is kept whatever its rounding.
    const seek = Math.max(0, batch[0]!.span.start - 1);
    const last = Math.max(...batch.map(({ span }) => span.end));
    const graph = [`[0:v:0]split=${batch.length}${batch.map((_, i) => `[s${i}]`).join('')}`];
    const outputs: string[] = [];
    const temps: string[] = [];
    for (const [i, { span }] of batch.entries()) {
      const duration = Math.max(span.end - span.start, 1 / spec.fps);
      const from = Math.max(0, span.start - half - seek);
      const to = Math.max(from + 2 * half, span.end - half - seek);
      // fps at the end of a branch can repeat its last frame up to where the whole graph ends: the
      // second trim keeps the shot's own length.
      graph.push(`[s${i}]trim=start=${from.toFixed(6)}:end=${to.toFixed(6)},setpts=PTS-STARTPTS,${proxyFilter(spec)},trim=end=${duration.toFixed(6)}[o${i}]`);
      const tmp = await store.tempPath('.mp4');
      temps.push(tmp);
      outputs.push('-map', `[o${i}]`, ...encoderArgs(spec, tmp));
    }
    try {
      await ffmpeg(['-v', 'error', '-ss', seek.toFixed(6), '-t', (last - seek + 1).toFixed(6), '-i', source, '-filter_complex', graph.join(';'), ...outputs], { signal: opts.signal });
      for (const [i, { span, index }] of batch.entries()) {
        const bytes = await stat(temps[i]!).then((st) => st.size, () => 0);
        if (bytes === 0) throw new Error(`${source}: no frames between ${span.start.toFixed(3)} and ${span.end.toFixed(3)} s for a proxy`);
        results[index] = { sha256: await store.commitTemp(temps[i]!), bytes };
        await opts.onProxy?.(index, results[index]!);
      }
    } finally {
      await Promise.all(temps.map((t) => rm(t, { force: true })));
    }
  }
  return results;
}
