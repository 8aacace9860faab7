// Media in and out of model space, through the one ffmpeg runner: still images and clip frames become
// [3, H, W] / [3, T, H, W] float32 in [-1, 1] (scale the short side, centre-crop, as the dataset
// shards do), and generated frames become an H.264 MP4.
import { stat } from 'node:fs/promises';
import { InputError, fileProblem, isBacklotError } from '@backlot/core';
import { FfmpegFailure, ffmpeg, ffprobe, probeMedia, spawnFfmpeg } from '@backlot/adapters/ffmpeg';

/** The smallest and largest still image accepted as a first or last frame. */
export const IMAGE_LIMITS = { minSide: 16, maxSide: 8192 } as const;
const STILL_CODECS = new Set(['png', 'mjpeg', 'bmp', 'webp', 'tiff', 'ppm', 'pgm', 'pam', 'qoi', 'targa', 'jpeg2000', 'jpegls']);

export interface StillInfo {
  codec: string;
  width: number;
  height: number;
}

/** Checks that `path` (given as `flag`) is one still image of a sensible size. */
export async function checkStill(path: string, flag: string): Promise<StillInfo> {
  const bad = (problem: string) => new InputError('bad_image', `${flag} ${path}: ${problem}`, flag);
  try {
    const s = await stat(path);
    if (!s.isFile()) throw bad('is not a file');
    if (s.size === 0) throw bad('is empty (0 bytes)');
  } catch (e) {
    if (isBacklotError(e)) throw e;
    throw bad(fileProblem(e));
  }
  let raw: { streams?: Array<{ codec_type?: string; codec_name?: string; width?: number; height?: number; nb_frames?: string }>; format?: { format_name?: string } };
  try {
    raw = JSON.parse((await ffprobe(['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path])).stdout.toString('utf8'));
  } catch (e) {
    if (e instanceof FfmpegFailure) throw bad('is not an image ffmpeg can read');
    throw e;
  }
  const v = raw.streams?.find((st) => st.codec_type === 'video');
  if (!v) throw bad('is not an image (no picture in it)');
  const codec = v.codec_name ?? 'unknown';
  const formatName = raw.format?.format_name ?? '';
  const still = STILL_CODECS.has(codec) && (/_pipe|image2/.test(formatName) || Number(v.nb_frames ?? '1') <= 1);
  if (!still) throw bad(`is a video (${codec} in ${formatName}), not a still image: use --extend or --restyle for clips`);
  const width = v.width ?? 0;
  const height = v.height ?? 0;
  if (Math.min(width, height) < IMAGE_LIMITS.minSide) throw bad(`is ${width}×${height}; images must be at least ${IMAGE_LIMITS.minSide} pixels on each side`);
  if (Math.max(width, height) > IMAGE_LIMITS.maxSide) throw bad(`is ${width}×${height}; images must be at most ${IMAGE_LIMITS.maxSide} pixels on each side`);
  return { codec, width, height };
}

export interface ClipInfo {
  fps: number;
  durationSeconds: number;
  width: number;
  height: number;
}

/** Checks that `path` (given as `flag`) is a video clip ffmpeg can decode. */
export async function checkClip(path: string, flag: string): Promise<ClipInfo> {
  try {
    const p = await probeMedia(path);
    return { fps: p.video.fpsNum / p.video.fpsDen, durationSeconds: p.durationSeconds, width: p.video.width, height: p.video.height };
  } catch (e) {
    if (isBacklotError(e)) throw new InputError('bad_clip', `${flag} ${e.message}`, flag);
    throw e;
  }
}

function cropFilter(width: number, height: number): string {
  return `scale=${width}:${height}:force_original_aspect_ratio=increase:flags=area,crop=${width}:${height}`;
}

/** Bytes rgb24 HWC frame-major → [3, T, H, W] float32 in [-1, 1]. */
export function bytesToVideo(bytes: Uint8Array, frames: number, height: number, width: number): Float32Array {
  const plane = height * width;
  const out = new Float32Array(3 * frames * plane);
  for (let t = 0; t < frames; t++) {
    for (let p = 0; p < plane; p++) {
      const src = (t * plane + p) * 3;
      for (let c = 0; c < 3; c++) out[(c * frames + t) * plane + p] = bytes[src + c]! / 127.5 - 1;
    }
  }
  return out;
}

/** [3, T, H, W] in [-1, 1] → rgb24 bytes, frame-major HWC. */
export function videoToBytes(video: Float32Array, frames: number, height: number, width: number): Uint8Array {
  const plane = height * width;
  const out = new Uint8Array(3 * frames * plane);
  for (let t = 0; t < frames; t++) {
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) {
        const v = Math.min(1, Math.max(-1, video[(c * frames + t) * plane + p]!));
        out[(t * plane + p) * 3 + c] = Math.round((v + 1) * 127.5);
      }
    }
  }
  return out;
}

/** A still image as [3, H, W] in [-1, 1] at the model's size. */
export async function readStill(path: string, width: number, height: number): Promise<Float32Array> {
  const { stdout } = await ffmpeg(['-v', 'error', '-i', path, '-frames:v', '1', '-vf', cropFilter(width, height), '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
  if (stdout.length !== width * height * 3) throw new InputError('bad_image', `${path}: decoded to ${stdout.length} bytes, expected one ${width}×${height} frame`, path);
  return bytesToVideo(stdout, 1, height, width);
}

/**
 * Frames of a clip resampled to `fps` at the model's size: the first `count` (restyle) or the last
 * `count` (extend). Returns how many frames the clip had (fewer than `count` when it is short).
 */
export async function readClipFrames(path: string, info: ClipInfo, opts: { width: number; height: number; fps: number; count: number; from: 'start' | 'end' }): Promise<{ video: Float32Array; frames: number }> {
  const args = ['-v', 'error'];
  // Only decode the tail when extending a long clip: a margin of two seconds absorbs GOP alignment.
  if (opts.from === 'end' && info.durationSeconds > opts.count / opts.fps + 2) args.push('-sseof', `-${(opts.count / opts.fps + 2).toFixed(3)}`);
  args.push('-i', path, '-map', '0:v:0', '-vf', `fps=${opts.fps},${cropFilter(opts.width, opts.height)}`);
  if (opts.from === 'start') args.push('-frames:v', String(opts.count));
  args.push('-f', 'rawvideo', '-pix_fmt', 'rgb24', '-');
  const { stdout } = await ffmpeg(args);
  const frameBytes = opts.width * opts.height * 3;
  const total = Math.floor(stdout.length / frameBytes);
  if (total === 0) throw new InputError('bad_clip', `${path}: no frames could be decoded`, path);
  const keep = Math.min(total, opts.count);
  const start = opts.from === 'end' ? total - keep : 0;
  return { video: bytesToVideo(stdout.subarray(start * frameBytes, (start + keep) * frameBytes), keep, opts.height, opts.width), frames: keep };
}

/** An H.264 MP4 encoder (yuv420p, so every player opens it) waiting for its frames. */
export interface Mp4Writer {
  /** Encodes [3, T, H, W] and finishes the file. */
  write(video: Float32Array, frames: number): Promise<void>;
  /** Stops the encoder if it has not been given frames (the generation failed). */
  cancel(): void;
}

/**
 * Starts ffmpeg now and gives it the frames later: its start-up (~0.15 s of loading libraries) then
 * overlaps the sampling instead of following it.
 */
export function startMp4Writer(path: string, height: number, width: number, fps: number, signal?: AbortSignal): Mp4Writer {
  const child = spawnFfmpeg([
    '-y', '-v', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(fps), '-i', '-',
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '10', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', '-f', 'mp4', path,
  ], { signal });
  let written = false;
  // A cancelled encoder's exit is expected; whoever writes awaits `done` itself.
  child.done.catch(() => {});
  return {
    async write(video, frames) {
      written = true;
      const raw = videoToBytes(video, frames, height, width);
      child.stdin.end(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength));
      await child.done;
    },
    cancel() {
      if (!written && child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
