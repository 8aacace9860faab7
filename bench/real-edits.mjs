// Real footage, edited again here: films cut together with ffmpeg from the shots of ../shared/library,
// joined by dissolves, dips to black, wipes and cuts whose frames are known exactly. The library's own
// edits hold 3 gradual transitions; these films hold many more, over the same real pictures (grain,
// motion, letterboxing, 10 and 12.5 fps cameras brought to 24), with new transitions (docs/shots.md
// says which seeds were looked at while the decision changed). Used by bench/shots.mjs and
// test/shots/analyze.test.ts; a film and its `.truth.json` are made once per seed and kept (delete the
// folder to make them again from another library).
//
// How a film is made: segments are drawn (seeded) from the settled parts of the library's shots, each
// from another shot than the one before; each is trimmed in its own frames, brought to 640x360 (scaled
// to fit, padded black: Tears of Steel stays letterboxed), square pixels, 24 fps, then joined to the
// film so far: a cut is a concat, a gradual transition an xfade of D frames whose offset is a whole
// frame. With the film so far L frames long, an xfade over its last D frames starts at frame L - D,
// which is still wholly the outgoing shot: the first mixed frame is L - D + 1 and the first frame
// wholly the incoming shot is L (the ground truth's start and end).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prng } from './prng.mjs';

const FPS = 24;
const WIDTH = 640;
const HEIGHT = 360;
/** Frames kept clear of the library's own transitions, on each side. */
const MARGIN = 6;
/** xfade transitions and the ground-truth kind each is. */
const GRADUAL = [
  ['fade', 'dissolve'],
  ['fadeblack', 'fade'],
  ['wipeleft', 'wipe'],
  ['wiperight', 'wipe'],
  ['wipeup', 'wipe'],
  ['wipedown', 'wipe'],
  ['diagtl', 'wipe'],
  ['circleopen', 'wipe'],
];
const DURATIONS = [12, 18, 24, 36, 48];
/** Least frames of a segment's own picture between the transitions at its ends (1.5 s). */
const SETTLED = 36;
/** Version of the recipe: a change here makes new files. */
const RECIPE = 1;

/** The settled spans of every title in the library: [{file, fps, shot, from, to}] in source frames. */
function settledSpans(library) {
  const spans = [];
  for (const slug of readdirSync(library).sort()) {
    const truthFile = join(library, 'groundtruth', `${slug}.json`);
    if (slug === 'groundtruth' || !existsSync(truthFile)) continue;
    const video = readdirSync(join(library, slug)).sort().find((f) => f.endsWith('.mp4'));
    if (!video) continue;
    const truth = JSON.parse(readFileSync(truthFile, 'utf8'));
    let from = 0;
    let shot = 0;
    const edges = [...truth.transitions].sort((a, b) => a.start - b.start);
    for (const t of [...edges, { start: truth.frames, end: truth.frames }]) {
      const to = t.start - 1 - MARGIN;
      if (to > from) spans.push({ file: join(library, slug, video), slug, fps: truth.fps, shot: `${slug}#${shot}`, from, to });
      from = (t.kind === 'cut' ? t.start : t.end) + MARGIN;
      shot++;
    }
  }
  return spans;
}

/** Plans one film: segments (source span and output length) and the transitions between them. */
function plan(spans, rand, segmentCount) {
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const joins = [];
  for (let i = 1; i < segmentCount; i++) {
    if (rand() < 0.2) joins.push({ xfade: null, kind: 'cut', frames: 0 });
    else {
      const [xfade, kind] = pick(GRADUAL);
      joins.push({ xfade, kind, frames: pick(DURATIONS) });
    }
  }
  const segments = [];
  let previous = null;
  for (let i = 0; i < segmentCount; i++) {
    // Each segment holds the transitions at both its ends and, between them, 1.5 to 4.5 s of its
    // own picture (films rarely hold less; the detector needs about a second of it, docs/shots.md).
    const around = (joins[i - 1]?.frames ?? 0) + (joins[i]?.frames ?? 0);
    const length = around + SETTLED + Math.floor(rand() * (SETTLED * 2 + 1));
    const usable = spans.filter((s) => s.shot !== previous && ((s.to - s.from + 1) * FPS) / s.fps >= length + 2);
    const span = pick(usable);
    const sourceFrames = Math.ceil((length * span.fps) / FPS) + 1;
    const start = span.from + Math.floor(rand() * (span.to - span.from + 1 - sourceFrames + 1));
    segments.push({ ...span, start, sourceFrames, length });
    previous = span.shot;
  }
  return { segments, joins };
}

/** The ffmpeg filter graph for a plan, and the ground truth it makes. */
function graph({ segments, joins }) {
  const filters = segments.map(
    (s, i) =>
      `[${i}:v]trim=start_frame=${s.start}:end_frame=${s.start + s.sourceFrames},setpts=PTS-STARTPTS,` +
      `scale=iw*sar:ih,scale=${WIDTH}:${HEIGHT}:force_original_aspect_ratio=decrease,pad=${WIDTH}:${HEIGHT}:-1:-1:color=black,` +
      `setsar=1,fps=${FPS},trim=end_frame=${s.length},settb=1/${FPS},setpts=N,format=yuv420p[s${i}]`,
  );
  const transitions = [];
  let length = segments[0].length;
  let last = 's0';
  joins.forEach((j, k) => {
    const next = `s${k + 1}`;
    const out = `j${k}`;
    if (j.kind === 'cut') {
      filters.push(`[${last}][${next}]concat=n=2:v=1:a=0,settb=1/${FPS},setpts=N[${out}]`);
      transitions.push({ kind: 'cut', start: length, end: length });
      length += segments[k + 1].length;
    } else {
      const offset = length - j.frames;
      filters.push(`[${last}][${next}]xfade=transition=${j.xfade}:duration=${j.frames / FPS}:offset=${offset / FPS},settb=1/${FPS},setpts=N[${out}]`);
      transitions.push({ kind: j.kind, start: offset + 1, end: length, xfade: j.xfade });
      length += segments[k + 1].length - j.frames;
    }
    last = out;
  });
  return { filter: filters.join(';'), output: last, frames: length, transitions };
}

/**
 * Makes (or finds, already made) `films` re-edited films in `outDir` from the library at `library`.
 * Returns their paths; each has a `.truth.json` beside it in the library's ground-truth format.
 */
export function makeRealEdits(library, outDir, { films = 4, segments = 9, seed = 1, ffmpeg = 'ffmpeg' } = {}) {
  mkdirSync(outDir, { recursive: true });
  const spans = settledSpans(library);
  if (spans.length < 2) return [];
  const made = [];
  for (let n = 0; n < films; n++) {
    const file = join(outDir, `real-edit-r${RECIPE}-s${seed}-${n + 1}.mp4`);
    const truthFile = file.replace(/\.mp4$/, '.truth.json');
    made.push(file);
    if (existsSync(file) && existsSync(truthFile)) continue;
    const rand = prng(seed * 1000 + n); // the same films for the same seed, run after run
    const p = plan(spans, rand, segments);
    const g = graph(p);
    const inputs = p.segments.flatMap((s) => ['-i', s.file]);
    const partial = `${file}.partial.mp4`;
    const r = spawnSync(ffmpeg, ['-v', 'error', '-y', ...inputs, '-filter_complex', g.filter, '-map', `[${g.output}]`, '-an', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-pix_fmt', 'yuv420p', '-r', String(FPS), partial], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`real-edits: ffmpeg failed for ${file}: ${(r.stderr || '').trim().split('\n').slice(-2).join(' ')}`);
    renameSync(partial, file);
    const sources = p.segments.map((s) => ({ title: s.slug, shot: s.shot, sourceFrames: [s.start, s.start + s.sourceFrames - 1], frames: s.length }));
    writeFileSync(truthFile, JSON.stringify({ fps: FPS, frames: g.frames, transitions: g.transitions, sources, method: `bench/real-edits.mjs recipe ${RECIPE}, seed ${seed}, film ${n + 1}` }, null, 1));
  }
  return made;
}
