// Turns the paths a user gave into the video files to ingest, with the sidecar documents found next
// to each (same base name). Paths that cannot yield a video become failures to report, not throws.
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { VIDEO_EXTENSIONS } from '@backlot/adapters/ffmpeg';
import { fileProblem } from '@backlot/core';

export type SidecarKind = 'subtitles' | 'screenplay' | 'cast' | 'cues';

export interface Sidecar {
  kind: SidecarKind;
  path: string;
}

export interface CollectedVideo {
  path: string;
  sidecars: Sidecar[];
}

export interface CollectFailure {
  path: string;
  code: string;
  message: string;
}

/** Sidecar suffixes after the video's base name, most specific first. */
const SIDECAR_SUFFIXES: Array<[string, SidecarKind]> = [
  ['.cast.json', 'cast'],
  ['.cues.csv', 'cues'],
  ['.fountain', 'screenplay'],
  ['.srt', 'subtitles'],
  ['.vtt', 'subtitles'],
];

async function sidecarsOf(video: string): Promise<Sidecar[]> {
  const dir = dirname(video);
  const base = basename(video, extname(video));
  const out: Sidecar[] = [];
  for (const [suffix, kind] of SIDECAR_SUFFIXES) {
    const candidate = join(dir, base + suffix);
    const s = await stat(candidate).catch(() => null);
    // .srt wins over .vtt for the same film: one subtitle track per title.
    if (s?.isFile() && !(kind === 'subtitles' && out.some((o) => o.kind === 'subtitles'))) out.push({ kind, path: candidate });
  }
  return out;
}

async function walk(dir: string, into: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, into);
    else if (e.isFile() && VIDEO_EXTENSIONS.has(extname(e.name).toLowerCase())) into.push(p);
  }
}

/**
 * Files are taken as given (probing decides whether they are video); folders are walked recursively
 * for files with a video extension. A file named twice is ingested once.
 */
export async function collectVideos(paths: string[]): Promise<{ videos: CollectedVideo[]; failures: CollectFailure[] }> {
  const videos: CollectedVideo[] = [];
  const failures: CollectFailure[] = [];
  const seen = new Set<string>();
  const add = async (p: string) => {
    if (seen.has(p)) return;
    seen.add(p);
    videos.push({ path: p, sidecars: await sidecarsOf(p) });
  };
  for (const given of paths) {
    const p = resolve(given);
    const s = await stat(p).catch((e: NodeJS.ErrnoException) => e);
    if (s instanceof Error) {
      // A missing file still goes to the prober, which words every file problem the same way.
      if (s.code === 'ENOENT' && extname(p)) await add(p);
      else if (s.code === 'ENOENT') failures.push({ path: given, code: 'missing', message: `${given}: no such file or folder` });
      else failures.push({ path: given, code: 'unreadable', message: `${given}: ${fileProblem(s)}` });
      continue;
    }
    if (s.isDirectory()) {
      const found: string[] = [];
      try {
        await walk(p, found);
      } catch (e) {
        failures.push({ path: given, code: 'unreadable', message: `${given}: cannot read the folder (${(e as NodeJS.ErrnoException).code})` });
        continue;
      }
      if (found.length === 0) {
        failures.push({ path: given, code: 'no_video', message: `${given}: no video files in this folder (looked for ${[...VIDEO_EXTENSIONS].join(' ')})` });
      }
      for (const f of found) await add(f);
    } else {
      await add(p);
    }
  }
  return { videos, failures };
}
