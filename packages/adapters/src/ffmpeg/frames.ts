// Still pictures of shots: one JPEG keyframe per shot (a thumbnail, in the content store), and the
// contact sheet, a grid of keyframes labelled with timecode and how each shot begins, for a person
// to check what ingest found.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hueSignature, ToolError, type MediaProbe, type TransitionKind } from '@backlot/core';
import type { ContentStore } from '../store/index.js';
import { ffmpeg, FfmpegFailure } from './run.js';

/** Thumbnail width in pixels (height follows the display aspect). */
export const KEYFRAME_WIDTH = 320;

export interface Keyframe {
  /** The JPEG thumbnail in the content store. */
  sha256: string;
  /** 4x4 RGB cell means of the frame, 96 hex characters (colour check for near-duplicates). */
  colourSig: string;
  /** Hue histogram of the frame's coloured pixels at 64x36 (core's hueSignature), 48 hex characters. */
  hueSig: string;
}

/** The picture the hue histogram is taken from: small enough to be cheap, big enough for a small object. */
const HUE_SIZE = { width: 64, height: 36 } as const;

/** Keyframes per ffmpeg process: one process seeks into the file once per keyframe, so spawning
 * (costly on a loaded machine) is paid once per batch while memory stays a few decoders. */
const KEYFRAME_BATCH = 8;

/**
 * Extracts the frames shown at `times` (seconds from the first frame) as JPEGs into the store, with
 * each frame's 4x4 colour signature and hue histogram from the same decode. Seeks to half a frame
 * before each time so that rounding of timestamps cannot land on the neighbour. Given the source's
 * probe, a constant-rate source whose frames are cheap to decode next to the cost of a seek per
 * keyframe (a small picture, keyframes close together) is decoded once instead (`onePassPays`):
 * the same frames, the same bytes.
 */
export async function extractKeyframes(
  store: ContentStore,
  source: string,
  times: number[],
  fps: number,
  opts: { signal?: AbortSignal; width?: number; probe?: MediaProbe } = {},
): Promise<Keyframe[]> {
  if (opts.probe && times.length > 1 && onePassPays(opts.probe, times, fps)) {
    // A pass ffmpeg refuses falls back to seeking too: seeking reports what is wrong with the file itself.
    const found = await keyframesInOnePass(store, source, times, fps, opts.width ?? KEYFRAME_WIDTH, opts.signal).catch((e: unknown) => {
      if (e instanceof FfmpegFailure) return null;
      throw e;
    });
    if (found) return found;
  }
  return keyframesBySeeking(store, source, times, fps, opts);
}

/**
 * Whether one decode from the first keyframe to the last costs less than seeking to each: a seek costs
 * ~60 ms here (an input opened, a decoder started, the frames from the keyframe before decoded) and a
 * frame ~1.5 ms per megapixel, at least 0.1 ms (the demo films: 26 keyframes in 82 s of 320x180, one
 * pass 0.46 s against 2.2 s of seeks; a 2-hour 1080p film with 1,500 shots keeps its seeks). Variable-rate
 * sources always seek: the one pass picks frames by a window of half a frame around each time.
 */
export function onePassPays(probe: MediaProbe, times: number[], fps: number): boolean {
  if (probe.video.variableFrameRate) return false;
  const frames = (Math.max(...times) - Math.min(...times)) * fps;
  const perFrame = Math.max(0.1, (1.5 * probe.video.width * probe.video.height) / 1e6);
  return frames * perFrame < 60 * times.length;
}

/** Keyframes per pass of `keyframesInOnePass`: bounds its select expression, whose sum ffmpeg's
 * expression evaluator nests one level per term and refuses from 100 terms (measured with ffmpeg 5.1:
 * 99 pass, 100 fail; a 5-minute demo film's 97 shots failed its ingest at the old 200). */
export const ONE_PASS_CHUNK = 64;

/**
 * The keyframes of a constant-rate source from one decode per `ONE_PASS_CHUNK` keyframes: `select` keeps
 * the frame within half a frame of each time, and the same filters and encoder as `keyframesBySeeking`
 * make the same bytes from it. Null when a pass does not find exactly one frame for each time (the caller
 * then seeks).
 */
export async function keyframesInOnePass(store: ContentStore, source: string, times: number[], fps: number, width: number, signal?: AbortSignal): Promise<Keyframe[] | null> {
  const half = 0.5 / fps;
  const wanted = [...new Set(times)].sort((a, b) => a - b);
  const byTime = new Map<number, Keyframe>();
  const work = await mkdtemp(await store.tempPath('-'));
  try {
    for (let c = 0; c < wanted.length; c += ONE_PASS_CHUNK) {
      const chunk = wanted.slice(c, c + ONE_PASS_CHUNK);
      const seek = Math.max(0, chunk[0]! - 1);
      const windows = chunk.map((t) => `gte(t\\,${(t - half - seek).toFixed(6)})*lt(t\\,${(t + half - seek).toFixed(6)})`).join('+');
      const graph = `[0:v:0]select='${windows}',${thumbnailChain(width, '')}`;
      const jpg = join(work, `c${c}-%05d.jpg`);
      const sigs = join(work, `c${c}.rgb`);
      const hues = join(work, `c${c}.hue`);
      await ffmpeg(['-v', 'error', '-ss', seek.toFixed(6), '-t', (chunk.at(-1)! - seek + 1).toFixed(6), '-i', source, '-filter_complex', graph,
        '-map', '[t]', '-fps_mode', 'passthrough', ...jpegArgs(), '-f', 'image2', jpg,
        '-map', '[g]', '-fps_mode', 'passthrough', '-f', 'rawvideo', sigs,
        '-map', '[u]', '-fps_mode', 'passthrough', '-f', 'rawvideo', hues], { signal });
      const sig = await readFile(sigs).catch(() => Buffer.alloc(0));
      const hue = await readFile(hues).catch(() => Buffer.alloc(0));
      const hueBytes = HUE_SIZE.width * HUE_SIZE.height * 3;
      if (sig.length !== 48 * chunk.length || hue.length !== hueBytes * chunk.length) return null;
      for (const [i, t] of chunk.entries()) {
        const tmp = await store.tempPath('.jpg');
        await rename(join(work, `c${c}-${String(i + 1).padStart(5, '0')}.jpg`), tmp);
        byTime.set(t, { sha256: await store.commitTemp(tmp), colourSig: sig.subarray(48 * i, 48 * (i + 1)).toString('hex'), hueSig: hueSignature(hue.subarray(hueBytes * i, hueBytes * (i + 1))) });
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return times.map((t) => byTime.get(t)!);
}

/** Thumbnail, colour signature and hue picture of one stream, as outputs [t`i`], [g`i`] and [u`i`]. */
function thumbnailChain(width: number, i: string): string {
  return `scale='trunc(iw*sar/2)*2':ih,setsar=1,scale=${width}:-2:flags=area,split=3[t${i}][s${i}][h${i}];[s${i}]scale=4:4:flags=area,format=rgb24[g${i}];[h${i}]scale=${HUE_SIZE.width}:${HUE_SIZE.height}:flags=area,format=rgb24[u${i}]`;
}

/** The thumbnail's JPEG encoder: same frame, same bytes. */
function jpegArgs(): string[] {
  return ['-q:v', '3', '-map_metadata', '-1', '-fflags', '+bitexact', '-flags:v', '+bitexact', '-c:v', 'mjpeg'];
}

/** One input per keyframe, seeking to half a frame before it; `KEYFRAME_BATCH` inputs per ffmpeg run. */
async function keyframesBySeeking(store: ContentStore, source: string, times: number[], fps: number, opts: { signal?: AbortSignal; width?: number }): Promise<Keyframe[]> {
  const out: Keyframe[] = [];
  const width = opts.width ?? KEYFRAME_WIDTH;
  for (let b = 0; b < times.length; b += KEYFRAME_BATCH) {
    const batch = times.slice(b, b + KEYFRAME_BATCH);
    const jpgs = await Promise.all(batch.map(() => store.tempPath('.jpg')));
    const sigs = jpgs.map((j) => `${j}.rgb`);
    const hues = jpgs.map((j) => `${j}.hue`);
    const args = ['-v', 'error'];
    for (const t of batch) args.push('-ss', Math.max(0, t - 0.5 / fps).toFixed(6), '-i', source);
    const graph = batch.map((_, i) => `[${i}:v:0]${thumbnailChain(width, String(i))}`).join(';');
    args.push('-filter_complex', graph);
    batch.forEach((_, i) => {
      args.push('-map', `[t${i}]`, '-frames:v', '1', ...jpegArgs(), '-f', 'image2', jpgs[i]!);
      args.push('-map', `[g${i}]`, '-frames:v', '1', '-f', 'rawvideo', sigs[i]!);
      args.push('-map', `[u${i}]`, '-frames:v', '1', '-f', 'rawvideo', hues[i]!);
    });
    try {
      await ffmpeg(args, { signal: opts.signal });
      for (const [i, jpg] of jpgs.entries()) {
        const sig = await readFile(sigs[i]!).catch(() => Buffer.alloc(0));
        const hue = await readFile(hues[i]!).catch(() => Buffer.alloc(0));
        if (sig.length < 48 || hue.length < HUE_SIZE.width * HUE_SIZE.height * 3) throw new Error(`keyframe of ${source}: no frame decoded at ${batch[i]!.toFixed(3)} s`);
        out.push({ sha256: await store.commitTemp(jpg), colourSig: sig.subarray(0, 48).toString('hex'), hueSig: hueSignature(hue) });
      }
    } finally {
      await Promise.all([...jpgs, ...sigs, ...hues].map((f) => rm(f, { force: true })));
    }
  }
  return out;
}

/** One keyframe: see extractKeyframes. */
export async function extractKeyframe(store: ContentStore, source: string, time: number, fps: number, opts: { signal?: AbortSignal; width?: number } = {}): Promise<Keyframe> {
  const [k] = await extractKeyframes(store, source, [time], fps, opts);
  return k!;
}

const FONT_CANDIDATES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
];

/** The TrueType font drawtext uses; Debian's fonts-dejavu-core provides it. */
export function contactSheetFont(): string {
  const font = FONT_CANDIDATES.find((f) => existsSync(f));
  if (!font) throw new ToolError('font_missing', 'no font for contact sheet labels: run `sudo apt-get install fonts-dejavu-core` (or bash scripts/setup.sh)', 'fonts-dejavu-core');
  return font;
}

export interface SheetCell {
  /** Path of the keyframe JPEG. */
  image: string;
  /** Top label, e.g. "#12  00:01:02:05". */
  label: string;
  transitionIn: TransitionKind;
}

/** Colour of the strip on each cell's left edge: how the shot begins, readable at a glance. */
const TRANSITION_COLOURS: Record<TransitionKind, string> = {
  none: 'gray',
  cut: 'white',
  dissolve: 'deepskyblue',
  fade: 'orange',
  wipe: 'magenta',
};

/** HH:MM:SS:FF at the given rate (non-drop-frame). */
export function timecode(seconds: number, fps: number): string {
  const rate = Math.max(1, Math.round(fps));
  const frames = Math.round(seconds * fps);
  const ff = frames % rate;
  const total = Math.floor(frames / rate);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(total / 3600))}:${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}:${pad(ff)}`;
}

/**
 * Draws cells in a grid, `columns` wide, into one JPEG at `out`. Labels go through text files so no
 * title or timecode needs filter escaping.
 */
export async function renderContactSheet(
  cells: SheetCell[],
  out: string,
  opts: { columns?: number; cellWidth?: number; signal?: AbortSignal } = {},
): Promise<{ columns: number; rows: number; width: number; height: number }> {
  if (cells.length === 0) throw new Error('renderContactSheet needs at least one cell');
  const font = contactSheetFont();
  const columns = Math.min(opts.columns ?? 6, cells.length);
  const rows = Math.ceil(cells.length / columns);
  const w = opts.cellWidth ?? 240;
  const h = Math.round((w * 9) / 16 / 2) * 2;
  const work = await mkdtemp(join(tmpdir(), 'backlot-sheet-'));
  try {
    const inputs: string[] = [];
    const chains: string[] = [];
    for (const [i, c] of cells.entries()) {
      const top = join(work, `top-${i}.txt`);
      const bottom = join(work, `bottom-${i}.txt`);
      await writeFile(top, c.label);
      await writeFile(bottom, c.transitionIn === 'none' ? 'start' : c.transitionIn.toUpperCase());
      inputs.push('-i', c.image);
      const text = (file: string, y: string) =>
        `drawtext=fontfile=${font}:textfile=${file}:fontsize=13:fontcolor=white:box=1:boxcolor=black@0.65:boxborderw=3:x=8:y=${y}`;
      chains.push(
        `[${i}:v]scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,` +
          `drawbox=x=0:y=0:w=5:h=ih:color=${TRANSITION_COLOURS[c.transitionIn]}:t=fill,` +
          `${text(top, '5')},${text(bottom, 'h-th-6')},pad=${w + 4}:${h + 4}:2:2:color=0x202020[c${i}]`,
      );
    }
    const layout = cells.map((_, i) => `${(i % columns) * (w + 4)}_${Math.floor(i / columns) * (h + 4)}`).join('|');
    const stack = cells.length === 1 ? '[c0]null[sheet]' : `${cells.map((_, i) => `[c${i}]`).join('')}xstack=inputs=${cells.length}:layout=${layout}:fill=0x202020[sheet]`;
    const graph = join(work, 'graph.txt');
    await writeFile(graph, [...chains, stack].join(';\n'));
    await ffmpeg(['-v', 'error', ...inputs, '-filter_complex_script', graph, '-map', '[sheet]', '-frames:v', '1', '-q:v', '3', '-update', '1', out], { signal: opts.signal });
    return { columns, rows, width: columns * (w + 4), height: rows * (h + 4) };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
