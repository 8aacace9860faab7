// SRT subtitles for a demo film: every dialogue line, timed inside the shot where it is spoken.
import type { DemoFilmPlan } from './plan.js';

export function srtTime(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  return `${pad(Math.floor(ms / 3_600_000), 2)}:${pad(Math.floor(ms / 60_000) % 60, 2)}:${pad(Math.floor(ms / 1000) % 60, 2)},${pad(ms % 1000, 3)}`;
}

export function demoSubtitles(film: DemoFilmPlan): string {
  const blocks: string[] = [];
  for (const shot of film.shots) {
    for (const d of shot.dialogue) {
      blocks.push(`${blocks.length + 1}\n${srtTime(d.startFrame / film.fps)} --> ${srtTime(d.endFrame / film.fps)}\n${d.text}\n`);
    }
  }
  return blocks.join('\n');
}
