// SubRip (.srt) and WebVTT (.vtt) parsing, and linking each subtitle line to the shots it overlaps
// in time. Pure: text in, lines out. Styling markup is dropped; the words are what captions use.
import { InputError } from '../errors.js';

export interface SubtitleLine {
  idx: number;
  /** Seconds. */
  start: number;
  end: number;
  text: string;
}

const TIME = /(?:(\d+):)?(\d{1,2}):(\d{1,2})[,.](\d{1,3})/;
const CUE_TIMES = new RegExp(`^\\s*${TIME.source}\\s*-->\\s*${TIME.source}`);

function seconds(h: string | undefined, m: string, s: string, ms: string): number {
  return Number(h ?? 0) * 3600 + Number(m) * 60 + Number(s) + Number(ms.padEnd(3, '0')) / 1000;
}

/** Drops <i>, <b>, <font>, <v Speaker>, <c.class>, timestamps inside cues and {\an8} style overrides. */
function cleanText(lines: string[]): string {
  return lines
    .map((l) =>
      l
        .replace(/<v(?:\.[^\s>]*)?\s+([^>]*)>/g, '')
        .replace(/<[^>]*>/g, '')
        .replace(/\{\\[^}]*\}/g, '')
        .replace(/&amp;/g, '&')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&nbsp;/g, ' ')
        .trim(),
    )
    .filter(Boolean)
    .join('\n');
}

/**
 * Parses SRT or WebVTT (detected from the "WEBVTT" header). Blocks without a timing line (VTT
 * NOTE/STYLE/REGION, stray text) are skipped; a file with no cue at all is an error.
 */
export function parseSubtitles(source: string): SubtitleLine[] {
  const text = source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const isVtt = /^WEBVTT/.test(text);
  const blocks = text.split(/\n[ \t]*\n/);
  const out: SubtitleLine[] = [];
  for (const [b, block] of blocks.entries()) {
    const lines = block.split('\n').filter((l) => l.trim() !== '');
    if (isVtt && b === 0 && /^WEBVTT/.test(lines[0] ?? '')) continue;
    if (isVtt && /^(NOTE|STYLE|REGION)\b/.test(lines[0] ?? '')) continue;
    const at = lines.findIndex((l) => CUE_TIMES.test(l));
    if (at < 0 || at > 1) continue;
    const m = CUE_TIMES.exec(lines[at]!)!;
    const start = seconds(m[1], m[2]!, m[3]!, m[4]!);
    const end = seconds(m[5], m[6]!, m[7]!, m[8]!);
    const words = cleanText(lines.slice(at + 1));
    if (!words || end < start) continue;
    out.push({ idx: out.length, start, end, text: words });
  }
  if (out.length === 0) throw new InputError('bad_subtitles', 'no subtitle cues found (expected SRT or WebVTT timings like 00:00:01,000 --> 00:00:02,500)');
  return out.sort((a, b) => a.start - b.start || a.idx - b.idx).map((l, idx) => ({ ...l, idx }));
}

export interface TimedShot {
  id: string;
  /** Seconds: the shot covers [start, end). */
  start: number;
  end: number;
}

/** For each subtitle line, the ids of shots whose time range overlaps it (in shot order). */
export function linkSubtitlesToShots(lines: SubtitleLine[], shots: TimedShot[]): string[][] {
  const ordered = [...shots].sort((a, b) => a.start - b.start);
  return lines.map((line) => ordered.filter((s) => s.start < line.end && line.start < s.end).map((s) => s.id));
}
