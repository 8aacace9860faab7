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

/**
 * Encodes [start, end) seconds of the source as a proxy and commits it to the store. The encode goes
 * to a store temp file and is renamed into place only when complete, so a kill leaves no object.
 */
export async function makeShotProxy(
  store: ContentStore,
  source: string,
  span: { start: number; end: number },
  spec: ProxySpec = DEFAULT_PROXY,
  opts: { signal?: AbortSignal } = {},
): Promise<ProxyResult> {
  const tmp = await store.tempPath('.mp4');
  const duration = Math.max(span.end - span.start, 1 / spec.fps);
  try {
    await ffmpeg(
    [
      '-v', 'error',
      // -ss before -i seeks to the keyframe before, then decodes and drops frames up to start: exact and fast.
      '-ss', span.start.toFixed(6),
      '-i', source,
      '-t', duration.toFixed(6),
      '-map', '0:v:0', '-an', '-sn', '-dn',
      '-vf', proxyFilter(spec),
      '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-g', String(spec.fps),
      '-map_metadata', '-1', '-fflags', '+bitexact', '-flags:v', '+bitexact',
      '-movflags', '+faststart',
      '-f', 'mp4', tmp,
    ],
    { signal: opts.signal },
    );
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  const bytes = (await stat(tmp)).size;
  const sha256 = await store.commitTemp(tmp);
  return { sha256, bytes };
}
