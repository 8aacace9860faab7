// Generates the demo library: the demo world's films rendered frame by frame and piped into ffmpeg
// (H.264 + AAC MP4), with what a studio keeps beside each film (screenplay, subtitles, cast list,
// music cue sheet) and the exact ground truth of the edit. Re-running with the same options skips
// films that are already there and identical.
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  DEMO_MAX_FILMS,
  DEMO_SAMPLE_RATE,
  DemoFilmRenderer,
  InputError,
  ToolError,
  comboKey,
  demoCastList,
  demoCueSheet,
  demoGroundTruth,
  demoScreenplay,
  demoSubtitles,
  planDemoLibrary,
  renderDemoAudio,
  trainingCombos,
  wavFile,
  worldDocument,
  type DemoFilmPlan,
  type ProgressSink,
} from '@backlot/core';
import { FfmpegFailure, spawnFfmpeg } from '@backlot/adapters/ffmpeg';

/** Bump when rendering changes, so re-running the demo re-renders films made by an older generator. */
export const DEMO_GENERATOR_VERSION = 2;

export interface GenerateDemoOptions {
  films?: number;
  seed?: number;
  /** Every film about this long (seconds) instead of 30–90 s; tests use a few seconds. */
  filmSeconds?: number;
  onProgress?: ProgressSink;
  signal?: AbortSignal;
}

export interface DemoFilmResult {
  title: string;
  slug: string;
  frames: number;
  seconds: number;
  shots: number;
  transitions: Record<string, number>;
  flashes: number;
  /** Wall time spent rendering and encoding this film; 0 when it was already up to date. */
  renderSeconds: number;
  upToDate: boolean;
  files: string[];
}

export interface DemoLibraryResult {
  outDir: string;
  seed: number;
  films: DemoFilmResult[];
  /** Every file written or kept, absolute paths (MP4s first within each film). */
  files: string[];
  shots: number;
  /** Distinct (colour, shape, direction, background) combinations shown, of `trainingCombos` available. */
  combos: number;
  trainingCombos: number;
  seconds: number;
}

/** Frames rendered per write to ffmpeg: big enough to amortise the pipe, small enough to stay responsive. */
const FRAMES_PER_WRITE = 12;

async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

/** Renders every frame of `film` into ffmpeg and encodes `mp4Path` with the film's soundtrack. */
async function encodeFilm(film: DemoFilmPlan, mp4Path: string, opts: GenerateDemoOptions): Promise<void> {
  const wavPath = `${mp4Path}.audio-${process.pid}.wav`;
  const tmpMp4 = `${mp4Path}.tmp-${process.pid}`;
  await writeFile(wavPath, wavFile(renderDemoAudio(film), DEMO_SAMPLE_RATE));
  const task = `demo:${film.slug}`;
  const label = `${film.slug}.mp4`;
  let ff: ReturnType<typeof spawnFfmpeg> | undefined;
  try {
    ff = spawnFfmpeg(
      [
        '-y',
        '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${film.width}x${film.height}`, '-framerate', String(film.fps), '-i', 'pipe:0',
        '-i', wavPath,
        '-map', '0:v', '-map', '1:a',
        '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-pix_fmt', 'yuv420p',
        '-c:a', 'aac', '-b:a', '96k',
        '-metadata', `title=${film.title}`, '-metadata', `date=${film.year}`, '-metadata', 'comment=Backlot demo library (generated)',
        '-movflags', '+faststart', '-f', 'mp4', tmpMp4,
      ],
      { signal: opts.signal },
    );
    const encoder = ff;
    const renderer = new DemoFilmRenderer(film);
    const fb = renderer.frameBytes;
    let writeError: unknown;
    const failed = ff.done.catch((e: unknown) => {
      writeError = e;
    });
    for (let f = 0; f < film.frames; f += FRAMES_PER_WRITE) {
      if (opts.signal?.aborted) throw abortError(opts.signal);
      if (writeError) break;
      const n = Math.min(FRAMES_PER_WRITE, film.frames - f);
      // A fresh buffer per write: the stream keeps a reference until ffmpeg has read it.
      const batch = Buffer.allocUnsafe(n * fb);
      for (let k = 0; k < n; k++) renderer.renderFrame(f + k, batch.subarray(k * fb, (k + 1) * fb));
      if (!encoder.stdin.write(batch)) await Promise.race([once(encoder.stdin, 'drain'), failed]);
      opts.onProgress?.({ task, label, done: f + n, total: film.frames, unit: 'frames', message: 'rendering' });
    }
    ff.stdin.end();
    await ff.done;
    await rename(tmpMp4, mp4Path);
    opts.onProgress?.({ task, label, done: film.frames, total: film.frames, unit: 'frames', finished: true });
  } catch (e) {
    // Wait for ffmpeg to be gone before removing its output, or a dying ffmpeg could write it again.
    if (ff && ff.exitCode === null && ff.signalCode === null) {
      ff.kill('SIGKILL');
      await ff.done.catch(() => {});
    }
    await rm(tmpMp4, { force: true });
    if (opts.signal?.aborted) throw abortError(opts.signal);
    if (e instanceof FfmpegFailure) throw new ToolError('ffmpeg_failed', `ffmpeg could not encode ${mp4Path}: ${e.reason}`, mp4Path);
    throw e;
  } finally {
    await rm(wavPath, { force: true });
  }
}

export async function generateDemoLibrary(outDir: string, opts: GenerateDemoOptions = {}): Promise<DemoLibraryResult> {
  const filmsWanted = opts.films ?? DEMO_MAX_FILMS;
  if (!Number.isInteger(filmsWanted) || filmsWanted < 1 || filmsWanted > DEMO_MAX_FILMS) {
    throw new InputError('bad_films', `--films must be a whole number from 1 to ${DEMO_MAX_FILMS} (got ${opts.films})`, '--films');
  }
  if (opts.filmSeconds !== undefined && !(opts.filmSeconds >= 2 && opts.filmSeconds <= 600)) {
    throw new InputError('bad_film_seconds', `film length must be 2..600 seconds (got ${opts.filmSeconds})`, 'filmSeconds');
  }
  const seed = opts.seed ?? 1;
  const dir = resolve(outDir);
  await mkdir(dir, { recursive: true });
  const plans = planDemoLibrary({ seed, films: filmsWanted, ...(opts.filmSeconds !== undefined ? { filmSeconds: opts.filmSeconds } : {}) });
  const started = Date.now();
  const films: DemoFilmResult[] = [];
  const files: string[] = [];
  const seen = new Set<string>();

  for (const [i, film] of plans.entries()) {
    opts.onProgress?.({ task: 'demo', label: 'demo library', done: i, total: plans.length, unit: 'films', message: film.title });
    const base = join(dir, film.slug);
    const truth = { ...demoGroundTruth(film), generator: { name: 'backlot demo', version: DEMO_GENERATOR_VERSION, seed, filmSeconds: opts.filmSeconds ?? null } };
    const truthJson = `${JSON.stringify(truth, null, 2)}\n`;
    const truthPath = `${base}.truth.json`;
    const mp4Path = `${base}.mp4`;
    // The truth file is written last, so its presence with identical content means the film is complete.
    const upToDate = existsSync(mp4Path) && existsSync(truthPath) && (await readFile(truthPath, 'utf8')) === truthJson;
    const t0 = Date.now();
    if (!upToDate) {
      await rm(truthPath, { force: true });
      await encodeFilm(film, mp4Path, opts);
    } else {
      opts.onProgress?.({ task: `demo:${film.slug}`, label: `${film.slug}.mp4`, done: film.frames, total: film.frames, unit: 'frames', message: 'up to date', finished: true });
    }
    const sidecars: Array<[string, string]> = [
      [`${base}.fountain`, demoScreenplay(film)],
      [`${base}.srt`, demoSubtitles(film)],
      [`${base}.cast.json`, `${JSON.stringify(demoCastList(film), null, 2)}\n`],
      [`${base}.cues.csv`, demoCueSheet(film)],
      [truthPath, truthJson],
    ];
    for (const [path, text] of sidecars) await writeAtomic(path, text);
    const filmFiles = [mp4Path, ...sidecars.map(([p]) => p)];
    files.push(...filmFiles);
    const transitions: Record<string, number> = {};
    for (const t of truth.transitions) transitions[t.kind] = (transitions[t.kind] ?? 0) + 1;
    for (const s of film.shots) seen.add(comboKey(s.combo));
    films.push({
      title: film.title,
      slug: film.slug,
      frames: film.frames,
      seconds: film.frames / film.fps,
      shots: film.shots.length,
      transitions,
      flashes: film.shots.filter((s) => s.flash).length,
      renderSeconds: upToDate ? 0 : (Date.now() - t0) / 1000,
      upToDate,
      files: filmFiles,
    });
  }

  const worldPath = join(dir, 'world.json');
  await writeAtomic(worldPath, `${JSON.stringify(worldDocument(), null, 2)}\n`);
  const readmePath = join(dir, 'README.md');
  await writeAtomic(readmePath, libraryReadme(films, seed));
  files.push(worldPath, readmePath);
  opts.onProgress?.({ task: 'demo', label: 'demo library', done: plans.length, total: plans.length, unit: 'films', finished: true });
  return {
    outDir: dir,
    seed,
    films,
    files,
    shots: films.reduce((s, f) => s + f.shots, 0),
    combos: seen.size,
    trainingCombos: trainingCombos().length,
    seconds: (Date.now() - started) / 1000,
  };
}

function libraryReadme(films: DemoFilmResult[], seed: number): string {
  const rows = films.map((f) => `| \`${f.slug}\` | ${f.title} | ${f.seconds.toFixed(1)} s | ${f.frames} | ${f.shots} |`).join('\n');
  return `# Backlot demo library (generated)

Everything in this folder was generated by \`backlot demo\` (seed ${seed}, generator version ${DEMO_GENERATOR_VERSION}):
no real footage, no real people. Delete it and run the command again to get the same files.

Each film is 320x180 at 24 fps, H.264 (yuv420p) with an AAC soundtrack. Every shot shows one object
(a ball, box or star in one of six colours) moving left, right, up or down over one of four backdrops
(day sky, night sky, forest, city at dusk), sometimes with a camera pan or zoom or a camera flash.
Shots are joined by cuts, dissolves, fades through black and wipes.

| file | title | length | frames | shots |
| --- | --- | --- | --- | --- |
${rows}

Beside each \`<slug>.mp4\`:

- \`<slug>.fountain\`: the screenplay (Fountain). One scene per shot: the heading names the backdrop and
  time of day (\`EXT. NIGHT SKY - NIGHT #3#\`), the first action line says what is on screen
  (\`A red ball moving left.\`), then character cues and dialogue, then the transition (\`DISSOLVE TO:\`).
- \`<slug>.srt\`: the dialogue as subtitles, each line timed inside the shot where it is spoken.
- \`<slug>.cast.json\`: \`{title, year, director, cast: [{character, person, aliases, personAliases}]}\`;
  characters and actors are invented, and some actors appear in several films.
- \`<slug>.cues.csv\`: the music cue sheet (\`cue_id,title,in,out,composer,performer,usage\`, seconds);
  the soundtrack plays exactly these cues and is silent between them.
- \`<slug>.truth.json\`: the exact edit, in the format of the shared ground truth files: \`{fps, frames,
  transitions: [{kind, start, end}], nonTransitions: [flashes, pans, zooms], shots: [...]}\`. A cut has
  start == end == the first frame of the new shot; a dissolve, wipe or fade starts at its first mixed
  (or darkened) frame and ends at the first frame fully of the incoming shot. \`shots[]\` give each shot's
  span as \`backlot shots\` reports it, its clean frames, its combination and caption.

\`world.json\` describes the world: colours (with RGB), shapes, directions, backdrops, the caption
phrasing, and the held-out combinations that no film here ever shows (evaluation prompts use them).
`;
}

// The demo library's rights file (the rights step of `backlot demo`).
export { writeDemoRights, type DemoRightsResult, type DemoRightsStory } from './rights.js';
