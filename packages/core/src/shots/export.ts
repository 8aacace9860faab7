// Shot lists for people and editing tools: the stable JSON of `backlot shots`, CMX3600 EDL, CSV.
import type { AnalysedShot, ShotAnalysis, ShotSpan } from '../domain/library.js';

/** The `backlot shots --json` document. Other tools depend on it: add fields only behind an opt-in. */
export interface ShotList {
  fps: number;
  frameCount: number;
  shots: Array<ShotSpan & Partial<Omit<AnalysedShot, keyof ShotSpan>>>;
}

export function shotList(a: ShotAnalysis, opts: { measures?: boolean } = {}): ShotList {
  return {
    fps: a.fps,
    frameCount: a.frameCount,
    shots: a.shots.map((s) => {
      const span: ShotSpan = { index: s.index, startFrame: s.startFrame, endFrame: s.endFrame, start: s.start, end: s.end, transitionIn: s.transitionIn };
      return opts.measures ? { ...s, ...span } : span;
    }),
  };
}

/** SMPTE non-drop timecode HH:MM:SS:FF of a frame count at the nearest whole timecode rate (23.976 -> 24). */
export function timecode(frames: number, fps: number): string {
  const base = Math.max(1, Math.round(fps));
  const ff = frames % base;
  const totalSeconds = Math.floor(frames / base);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(Math.floor(totalSeconds / 3600))}:${p(Math.floor(totalSeconds / 60) % 60)}:${p(totalSeconds % 60)}:${p(ff)}`;
}

/**
 * CMX3600 EDL: one event per shot, source = record (the file is reel AX). A gradual transition is the
 * usual two-line event: a zero-length cut on the outgoing material, then D (dissolve, also used for
 * fades) or W000 (wipe) with the transition's length in frames. Out points are exclusive.
 */
export function shotsToEdl(a: ShotAnalysis, title: string): string {
  const lines = [`TITLE: ${title.replace(/[\r\n]/g, ' ').slice(0, 70)}`, 'FCM: NON-DROP FRAME', ''];
  const tc = (f: number) => timecode(f, a.fps);
  const reel = 'AX      ';
  a.shots.forEach((s, i) => {
    const n = String(i + 1).padStart(3, '0');
    const inTc = tc(s.startFrame);
    const outTc = tc(s.endFrame + 1);
    if (s.transitionIn === 'none' || s.transitionIn === 'cut' || i === 0) {
      lines.push(`${n}  ${reel} V     C        ${inTc} ${outTc} ${inTc} ${outTc}`);
    } else {
      const dur = String(Math.min(999, Math.max(1, s.transitionFrames ?? 1))).padStart(3, '0');
      const code = s.transitionIn === 'wipe' ? 'W000' : 'D   ';
      lines.push(`${n}  ${reel} V     C        ${inTc} ${inTc} ${inTc} ${inTc}`);
      lines.push(`${n}  ${reel} V     ${code} ${dur} ${inTc} ${outTc} ${inTc} ${outTc}`);
      lines.push(`* TRANSITION: ${s.transitionIn.toUpperCase()}`);
    }
    lines.push(`* FROM CLIP NAME: ${title}`);
    lines.push('');
  });
  return `${lines.join('\n')}`;
}

const csvCell = (v: string | number | boolean): string => {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** CSV with a header row; measures columns only when asked. */
export function shotsToCsv(a: ShotAnalysis, opts: { measures?: boolean } = {}): string {
  const head = ['index', 'start_frame', 'end_frame', 'start_seconds', 'end_seconds', 'start_timecode', 'end_timecode', 'transition_in'];
  const measures = ['transition_frames', 'keyframe', 'keyframe_seconds', 'mean_luma', 'sharpness', 'motion', 'is_black', 'letterbox', 'phash'];
  const rows = [opts.measures ? [...head, ...measures] : head];
  for (const s of a.shots) {
    const row: Array<string | number | boolean> = [s.index, s.startFrame, s.endFrame, s.start, s.end, timecode(s.startFrame, a.fps), timecode(s.endFrame + 1, a.fps), s.transitionIn];
    if (opts.measures) row.push(s.transitionFrames, s.keyframe, s.keyframeTime, s.meanLuma, s.sharpness, s.motion, s.isBlack, s.letterbox, s.phash);
    rows.push(row.map(csvCell));
  }
  return `${rows.map((r) => r.join(',')).join('\n')}\n`;
}
