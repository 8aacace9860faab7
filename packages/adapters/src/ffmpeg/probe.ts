// Reads what a media file is (ffprobe) and turns every way a file can be unusable into one
// IngestError line naming the file: missing, empty, truncated, not media, audio only, a still
// image, an undecodable codec, unreadable.
import { constants } from 'node:fs';
import { access, open, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { IngestError, type MediaProbe } from '@backlot/core';
import { FfmpegFailure, ffmpeg, ffprobe } from './run.js';

interface RawStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  codec_tag_string?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  sample_aspect_ratio?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  nb_frames?: string;
  duration?: string;
  channels?: number;
  sample_rate?: string;
  disposition?: { attached_pic?: number; still_image?: number };
  tags?: Record<string, string>;
  side_data_list?: Array<{ side_data_type?: string; rotation?: number }>;
}

interface RawProbe {
  streams?: RawStream[];
  format?: { format_name?: string; duration?: string; size?: string; tags?: Record<string, string> };
}

/** Image formats ffmpeg reads as a one-frame "video". */
const STILL_CODECS = new Set(['png', 'mjpeg', 'jpegls', 'bmp', 'gif', 'webp', 'tiff', 'ppm', 'pgm', 'pam', 'jpeg2000', 'targa', 'exr', 'svg', 'qoi']);
const STILL_FORMATS = /(^|,)(image2|png_pipe|jpeg_pipe|bmp_pipe|gif|webp_pipe|tiff_pipe|svg_pipe|ppm_pipe|jpegls_pipe|qoi_pipe)(,|$)/;

/** Extensions a folder walk treats as video. Explicitly named files are probed whatever their name. */
export const VIDEO_EXTENSIONS = new Set(['.mp4', '.m4v', '.mov', '.mkv', '.webm', '.avi', '.mxf', '.mpg', '.mpeg', '.ts', '.m2ts', '.mts', '.wmv', '.flv', '.ogv', '.3gp']);

function parseRate(r: string | undefined): { num: number; den: number } | null {
  if (!r) return null;
  const [n, d] = r.split('/').map(Number);
  if (!n || !d || !Number.isFinite(n) || !Number.isFinite(d)) return null;
  return { num: n, den: d };
}

/** First bytes of the file: tells a truncated MP4 from a text file that only has a video's name. */
async function sniff(path: string): Promise<'iso-bmff' | 'text' | 'other'> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(512);
    const { bytesRead } = await fh.read(buf, 0, 512, 0);
    const head = buf.subarray(0, bytesRead);
    const box = head.subarray(4, 8).toString('latin1');
    if (['ftyp', 'moov', 'mdat', 'free', 'wide', 'skip'].includes(box)) return 'iso-bmff';
    let printable = 0;
    for (const b of head) if (b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127) || b >= 0xc2) printable++;
    return bytesRead > 0 && printable / bytesRead > 0.95 ? 'text' : 'other';
  } finally {
    await fh.close();
  }
}

/** Walks the top-level ISO-BMFF boxes: an interrupted copy or recording has ftyp/mdat but no moov. */
async function hasMoov(path: string, size: number): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const hdr = Buffer.alloc(16);
    let pos = 0;
    while (pos + 8 <= size) {
      await fh.read(hdr, 0, 16, pos);
      let len = hdr.readUInt32BE(0);
      const type = hdr.subarray(4, 8).toString('latin1');
      if (type === 'moov') return true;
      if (len === 1) len = Number(hdr.readBigUInt64BE(8));
      else if (len === 0) return false; // box runs to the end of the file
      if (len < 8) return false;
      pos += len;
    }
    return false;
  } finally {
    await fh.close();
  }
}

function fail(path: string, code: string, problem: string): IngestError {
  return new IngestError(code, `${path}: ${problem}`, path);
}

/** Checks the file exists, is a readable non-empty regular file. */
async function checkReadable(path: string): Promise<number> {
  let size: number;
  try {
    const s = await stat(path);
    if (s.isDirectory()) throw fail(path, 'not_a_file', 'is a folder, not a video file');
    if (!s.isFile()) throw fail(path, 'not_a_file', 'is not a regular file');
    size = s.size;
  } catch (e) {
    if (e instanceof IngestError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw fail(path, 'missing', 'no such file');
    if (code === 'EACCES') throw fail(path, 'unreadable', 'permission denied (cannot read the file)');
    throw fail(path, 'unreadable', `cannot read the file (${code ?? (e as Error).message})`);
  }
  try {
    await access(path, constants.R_OK);
    // access() says yes to root even without read bits; opening is the real test.
    await (await open(path, 'r')).close();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw fail(path, 'unreadable', code === 'EACCES' || code === 'EPERM' ? 'permission denied (cannot read the file)' : `cannot read the file (${code})`);
  }
  if (size === 0) throw fail(path, 'empty', 'empty file (0 bytes)');
  return size;
}

function rotationOf(s: RawStream): number {
  const side = s.side_data_list?.find((d) => d.rotation !== undefined)?.rotation;
  const raw = side ?? (s.tags?.rotate !== undefined ? Number(s.tags.rotate) : 0);
  if (!Number.isFinite(raw)) return 0;
  return ((Math.round(raw / 90) * 90) % 360 + 360) % 360;
}

function containerOf(formatName: string, path: string): string {
  const names = formatName.split(',');
  const ext = extname(path).slice(1).toLowerCase();
  if (names.includes(ext)) return ext;
  if (names.includes('matroska') && ext === 'mkv') return 'matroska';
  return names[0] ?? formatName;
}

/**
 * Probes one media file. Throws IngestError (one line, naming the file) when the file cannot be
 * ingested as a video; ToolError when ffprobe itself is missing.
 */
export async function probeMedia(path: string, opts: { signal?: AbortSignal; decodeCheck?: boolean } = {}): Promise<MediaProbe> {
  const sizeBytes = await checkReadable(path);
  let raw: RawProbe;
  try {
    const { stdout } = await ffprobe(['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path], { signal: opts.signal });
    raw = JSON.parse(stdout.toString('utf8')) as RawProbe;
  } catch (e) {
    if (!(e instanceof FfmpegFailure)) throw e;
    const kind = await sniff(path);
    if (kind === 'iso-bmff' && !(await hasMoov(path, sizeBytes))) {
      throw fail(path, 'truncated', 'truncated or unfinished MP4 (moov atom not found): copy the file again from its source');
    }
    if (kind === 'text') throw fail(path, 'not_media', `is a text file, not a video (despite its ${extname(path) || 'name'})`);
    throw fail(path, 'not_media', `is not a video file ffmpeg can read (${e.reason.replace(`${path}: `, '')})`);
  }
  const streams = raw.streams ?? [];
  const format = raw.format ?? {};
  const formatName = format.format_name ?? 'unknown';
  const videos = streams.filter((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const audio = streams.filter((s) => s.codec_type === 'audio');
  const v = videos[0];
  if (!v) {
    if (audio.length) throw fail(path, 'audio_only', `has no video stream (audio only: ${audio.map((a) => a.codec_name ?? 'unknown').join(', ')})`);
    throw fail(path, 'no_video', 'has no video stream');
  }
  const codec = v.codec_name ?? 'none';
  if (STILL_CODECS.has(codec) && (STILL_FORMATS.test(formatName) || Number(v.nb_frames ?? '0') <= 1)) {
    throw fail(path, 'still_image', `is a still image (${codec}), not a video`);
  }
  if (codec === 'none' || codec === 'unknown') {
    throw fail(path, 'unsupported_codec', `unsupported video codec (fourcc ${v.codec_tag_string ?? 'unknown'}): ffmpeg has no decoder for it`);
  }
  const r = parseRate(v.r_frame_rate);
  const avg = parseRate(v.avg_frame_rate);
  const rate = r ?? avg;
  if (!rate) throw fail(path, 'no_frame_rate', `video stream has no frame rate (${codec})`);
  // Constant-rate files have r_frame_rate == avg_frame_rate; a phone's variable-rate recording
  // has an average below its base rate. 1% tolerance absorbs rounding of avg over odd lengths.
  const vfr = !!(r && avg && Math.abs(r.num / r.den - avg.num / avg.den) / (r.num / r.den) > 0.01);
  const exact = vfr && avg ? avg : rate;
  const durationSeconds = Number(format.duration ?? v.duration ?? NaN);
  if (!Number.isFinite(durationSeconds) || durationSeconds <= 0) {
    throw fail(path, 'no_duration', 'video has no readable duration (damaged or still being written?)');
  }
  if (opts.decodeCheck !== false) {
    // A file can probe fine and still not decode (codec without a decoder, damaged first GOP).
    try {
      await ffmpeg(['-v', 'error', '-xerror', '-i', path, '-map', '0:v:0', '-frames:v', '1', '-f', 'null', '-'], { signal: opts.signal });
    } catch (e) {
      if (!(e instanceof FfmpegFailure)) throw e;
      if (/decoder|codec|not supported|unsupported/i.test(e.reason)) {
        throw fail(path, 'unsupported_codec', `unsupported video codec ${codec}: ${e.reason.replace(`${path}: `, '')}`);
      }
      throw fail(path, 'undecodable', `video cannot be decoded (${e.reason.replace(`${path}: `, '')})`);
    }
  }
  const tags: Record<string, string> = {};
  for (const [k, val] of Object.entries(format.tags ?? {})) tags[k.toLowerCase()] = String(val);
  const sar = v.sample_aspect_ratio && v.sample_aspect_ratio !== '0:1' && v.sample_aspect_ratio !== 'N/A' ? v.sample_aspect_ratio : null;
  const nb = Number(v.nb_frames);
  return {
    path,
    container: containerOf(formatName, path),
    durationSeconds,
    sizeBytes,
    video: {
      codec,
      width: v.width ?? 0,
      height: v.height ?? 0,
      fpsNum: exact.num,
      fpsDen: exact.den,
      variableFrameRate: vfr,
      frameCount: Number.isInteger(nb) && nb > 0 ? nb : null,
      rotation: rotationOf(v),
      pixelFormat: v.pix_fmt ?? 'unknown',
      sampleAspectRatio: sar,
    },
    audio: audio.map((a) => ({
      index: a.index,
      codec: a.codec_name ?? 'unknown',
      channels: a.channels ?? 0,
      sampleRate: Number(a.sample_rate ?? 0),
      language: a.tags?.language && a.tags.language !== 'und' ? a.tags.language : null,
    })),
    tags,
  };
}

/** The title a file's own metadata names, if any. */
export function embeddedTitle(probe: MediaProbe): string | null {
  const t = probe.tags.title?.trim();
  return t ? t : null;
}

/** The file's name without extension: the title of last resort. */
export function titleFromFileName(path: string): string {
  return basename(path, extname(path));
}

