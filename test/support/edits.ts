// Test footage with a known edit: renders shots from ffmpeg's own sources and joins them with cuts,
// dissolves, wipes and fades, adding camera flashes, black frames and fast motion where asked.
// Returns the ground truth in the same shape as ../shared/library/groundtruth/*.json, so tests and the
// bench score everything the same way. Nothing is downloaded: every pixel comes from lavfi.
//
//   const clip = await makeEdit(path.join(dir, 'a.mp4'), {
//     shots: [{ scene: scenes.pattern(), frames: 48 }, { scene: scenes.fractal(), frames: 60, flashes: [20] }],
//     transitions: [{ kind: 'dissolve', frames: 12 }],
//   });
//   clip.truth.transitions // [{ kind: 'dissolve', start: 36, end: 48 }]
import { rm } from 'node:fs/promises';
import { ffmpeg, ffprobe } from '@backlot/adapters/ffmpeg';

/** A lavfi source chain producing one shot's picture at any size and rate (`{s}` and `{r}` are filled in). */
export type Scene = string;

/**
 * ffmpeg's `gradients` picks its default "random" colours from the system's entropy whatever `seed`
 * says, so the same scene differed from run to run: derive both colours from the seed instead.
 */
function gradientColours(seed: number): string {
  const hex = (n: number) => `0x${(n & 0xffffff).toString(16).padStart(6, '0')}`;
  const mix = (n: number) => Math.imul(n ^ (n >>> 15), 0x2c1b3c6d) >>> 0;
  return `c0=${hex(mix(seed * 2 + 1))}:c1=${hex(mix(seed * 2 + 2))}`;
}

/** Ready-made scenes. Each gives visibly different content; `hue` rotates colours to make siblings. */
export const scenes = {
  /** testsrc2: colour bars, a moving ball and a running counter. */
  pattern: (hue = 0): Scene => `testsrc2=s={s}:r={r}${hue ? `,hue=h=${hue}` : ''}`,
  /** Mandelbrot zoom: rich texture, slow continuous change. */
  fractal: (hue = 0): Scene => `mandelbrot=s={s}:r={r}:maxiter=256${hue ? `,hue=h=${hue}` : ''}`,
  /** Slowly moving colour gradients (like a sky). */
  gradient: (seed = 1): Scene => `gradients=s={s}:r={r}:speed=0.02:seed=${seed}:${gradientColours(seed)}`,
  /** Static SMPTE bars: a completely static shot. */
  bars: (): Scene => `smptehdbars=s={s}:r={r}`,
  /** Game of life: every frame changes a little everywhere (grain-like activity). */
  life: (): Scene => `life=s={s}:r={r}:mold=10:ratio=0.1:death_color=#203050:life_color=#f0c040`,
  /** A fast camera pan back and forth over a wide test pattern: large frame-to-frame change inside one shot. */
  fastPan: (pixelsPerFrame = 40, hue = 0): Scene =>
    `testsrc2=s={W3}:r={r}${hue ? `,hue=h=${hue}` : ''},crop={w}:{h}:x='abs(mod(n*${pixelsPerFrame},2*{W2})-{W2})':y=0`,
  /** A coloured square moving across a flat background. */
  ball: (background = 'navy', colour = 'red', speedPxPerFrame = 6): Scene =>
    `color=c=${background}:s={s}:r={r}[bg{i}];color=c=${colour}:s=40x40:r={r}[fg{i}];[bg{i}][fg{i}]overlay=x='mod(n*${speedPxPerFrame},W)':y='H/2-20':shortest=1`,
  /** A static shot that a large grey box slides into and stays in (like a person walking into a fixed camera's view). */
  entrance: (framesToArrive = 30): Scene =>
    `smptehdbars=s={s}:r={r}[bg{i}];color=c=gray:s={w}x{h}:r={r},scale=iw/3:ih*2/3[fg{i}];[bg{i}][fg{i}]overlay=x='max(W/3, W - (n*(2*W/3)/${framesToArrive}))':y='H/6':shortest=1`,
  /** A static view that a large box crosses from left to right (a car through a fixed camera's view). */
  crossing: (framesToCross = 40): Scene =>
    `gradients=s={s}:r={r}:speed=0.001:seed=4:${gradientColours(4)}[bg{i}];color=c=darkred:s={w}x{h}:r={r},scale=iw/2:ih/2[fg{i}];[bg{i}][fg{i}]overlay=x='-w + n*(W+w)/${framesToCross}':y='H/3':shortest=1`,
  /** A static view that a box three quarters of the frame wide and as tall drives through (a truck past a fixed camera): most of the picture changes and comes back. */
  passing: (framesToCross = 30, enterAt = 20): Scene =>
    `smptehdbars=s={s}:r={r}[bg{i}];color=c=0x2a3550:s={w}x{h}:r={r},scale=iw*3/4:ih[fg{i}];[bg{i}][fg{i}]overlay=x='-w + (n-${enterAt})*(W+w)/${framesToCross}':y=0:shortest=1`,
  /**
   * A fixed camera over dim, flat ground (a car park from above) that a bright box drives out of, while
   * the camera's exposure follows: every grey brightens by `gain` (Y above black times gain) over
   * `frames` frames from `at`. Most of the picture changes, and not by a transition.
   */
  exposureExit: (at = 20, frames = 30, gain = 1.8): Scene =>
    `gradients=s={s}:r={r}:speed=0.0005:seed=6:c0=0x464648:c1=0x4c4c4a[bg{i}];color=c=0xe8e8e8:s={w}x{h}:r={r},scale=iw/8:ih/3[fg{i}];` +
    `[bg{i}][fg{i}]overlay=x='W/3':y='H/4 - max(0,n-${at})*(H*3/4)/${frames}':shortest=1,` +
    `eq=eval=frame:contrast='1+${gain - 1}*clip((n-${at})/${frames},0,1)':brightness='${0.4375 * (gain - 1)}*clip((n-${at})/${frames},0,1)':saturation='1+${gain - 1}*clip((n-${at})/${frames},0,1)'`,
  /** Solid black (a black shot). */
  black: (): Scene => `color=c=black:s={s}:r={r}`,
} as const;

export interface EditShot {
  scene: Scene;
  frames: number;
  /** Frames (0-based within this shot) that get a camera flash: strongly brightened. */
  flashes?: number[];
  /** Length of each flash in frames (default 2). */
  flashFrames?: number;
  /** Light flooding the picture: brightness rises by `gain` (0..1) from frame `at` over `frames` frames (engine ignition, lights on). */
  brighten?: { at: number; frames: number; gain: number };
  /** A title (large white text) fading in over the shot from frame `at` during `frames` frames. */
  title?: { text: string; at: number; frames: number };
  /** Inclusive ranges (within this shot) turned to black, e.g. a dropout. */
  blackFrames?: Array<[number, number]>;
}

export type EditTransition =
  | { kind: 'cut' }
  /** Cross-dissolve over `frames` frames (xfade=fade). */
  | { kind: 'dissolve'; frames: number }
  /** A wipe over `frames` frames; direction as in xfade (wipeleft, wiperight, wipeup, wipedown, slideleft...). */
  | { kind: 'wipe'; frames: number; direction?: 'wipeleft' | 'wiperight' | 'wipeup' | 'wipedown' | 'slideleft' | 'slideright' | 'circleopen' }
  /** A dip to black inside `frames` frames (xfade=fadeblack): one fade transition. */
  | { kind: 'fadeblack'; frames: number }
  /** Fade the outgoing shot to black, hold black, fade the incoming shot in: two fades and a black shot. */
  | { kind: 'fade'; outFrames: number; blackFrames: number; inFrames: number };

export interface EditSpec {
  shots: EditShot[];
  /** One per gap between shots. */
  transitions: EditTransition[];
  /** "24", "24000/1001", "30000/1001", "25"... (default "24"). */
  fps?: string;
  width?: number;
  height?: number;
  /** Sample aspect ratio written into the file, e.g. "4/3" for anamorphic. */
  sar?: string;
  /** Rotation metadata in degrees (90, 180, 270) written into the MP4. */
  rotate?: number;
  /** Extra ffmpeg output options (codec etc.). Default libx264 veryfast crf 23, yuv420p. */
  outputArgs?: string[];
}

export interface TruthTransition {
  kind: 'cut' | 'dissolve' | 'fade' | 'wipe';
  /** First frame that is part of the transition (a cut: the first frame of the new shot). */
  start: number;
  /** First frame fully of the incoming shot (a cut: same as start). */
  end: number;
}

const TITLE_FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';

export interface TruthNonTransition {
  kind: 'flash' | 'black-frames' | 'text-overlay';
  approxStart: number;
  approxEnd: number;
}

export interface GroundTruth {
  fps: number;
  frames: number;
  transitions: TruthTransition[];
  nonTransitions: TruthNonTransition[];
}

export interface MadeEdit {
  path: string;
  truth: GroundTruth;
}

function fpsValue(fps: string): number {
  const [n, d] = fps.split('/').map(Number);
  return (n ?? 24) / (d ?? 1);
}

/**
 * Seconds for `frames` frames, a hair short: xfade then starts exactly at that frame (a hair long and it
 * emits one extra frame). Measured on ffmpeg 5.1: the frame at the offset is still all A, the next
 * `frames - 1` are mixes, and the frame after them is all B.
 */
function seconds(frames: number, fps: string): string {
  return (frames / fpsValue(fps) - 1e-6).toFixed(6);
}

/** Renders the edit to `path` and returns its ground truth. */
export async function makeEdit(path: string, spec: EditSpec): Promise<MadeEdit> {
  if (spec.transitions.length !== Math.max(0, spec.shots.length - 1)) throw new Error('makeEdit: need one transition per gap between shots');
  const fps = spec.fps ?? '24';
  const w = spec.width ?? 320;
  const h = spec.height ?? 180;
  const graph: string[] = [];
  const truth: GroundTruth = { fps: Math.round(fpsValue(fps) * 1000) / 1000, frames: 0, transitions: [], nonTransitions: [] };

  spec.shots.forEach((shot, i) => {
    let frames = shot.frames;
    const t = spec.transitions[i];
    // A fade out lengthens nothing: the last outFrames of this shot fade down.
    const filters: string[] = [];
    for (const f of shot.flashes ?? []) {
      const n = shot.flashFrames ?? 2;
      filters.push(`lutyuv=y='min(255,val*1.7+70)':enable='between(n,${f},${f + n - 1})'`);
    }
    for (const [a, b] of shot.blackFrames ?? []) filters.push(`lutyuv=y=16:u=128:v=128:enable='between(n,${a},${b})'`);
    if (shot.brighten) {
      const { at, frames: n, gain } = shot.brighten;
      filters.push(`eq=eval=frame:brightness='${gain}*clip((n-${at})/${n},0,1)':contrast='1-${gain / 2}*clip((n-${at})/${n},0,1)'`);
    }
    if (shot.title) {
      const { text, at, frames: n } = shot.title;
      filters.push(`drawtext=fontfile=${TITLE_FONT}:text='${text.replace(/[':\\]/g, '')}':fontsize=h/5:fontcolor=white:x=(w-tw)/2:y=(h-th)/2:alpha='clip((n-${at})/${n},0,1)'`);
    }
    if (t?.kind === 'fade') filters.push(`fade=t=out:start_frame=${frames - t.outFrames}:nb_frames=${t.outFrames}`);
    const prev = spec.transitions[i - 1];
    if (prev?.kind === 'fade') filters.push(`fade=t=in:start_frame=0:nb_frames=${prev.inFrames}`);
    const source = shot.scene
      .replaceAll('{s}', `${w}x${h}`)
      .replaceAll('{r}', fps)
      .replaceAll('{w}', String(w))
      .replaceAll('{h}', String(h))
      .replaceAll('{W3}', `${w * 3}x${h}`)
      .replaceAll('{W2}', String(w * 2))
      .replaceAll('{i}', String(i));
    graph.push(`${source},trim=end_frame=${frames},setpts=PTS-STARTPTS,format=yuv420p,setsar=1${filters.map((f) => `,${f}`).join('')},settb=AVTB[s${i}]`);
    frames = 0;
  });

  // Chain the shots; `length` tracks the output length in frames so far.
  let length = spec.shots[0]?.frames ?? 0;
  let current = 's0';
  const flashTruth = (shotIndex: number, shotStart: number) => {
    const shot = spec.shots[shotIndex]!;
    for (const f of shot.flashes ?? []) truth.nonTransitions.push({ kind: 'flash', approxStart: shotStart + f, approxEnd: shotStart + f + (shot.flashFrames ?? 2) - 1 });
    for (const [a, b] of shot.blackFrames ?? []) truth.nonTransitions.push({ kind: 'black-frames', approxStart: shotStart + a, approxEnd: shotStart + b });
    if (shot.title) truth.nonTransitions.push({ kind: 'text-overlay', approxStart: shotStart + shot.title.at, approxEnd: shotStart + shot.title.at + shot.title.frames });
  };
  flashTruth(0, 0);
  for (let i = 1; i < spec.shots.length; i++) {
    const t = spec.transitions[i - 1]!;
    const next = spec.shots[i]!;
    const out = `j${i}`;
    if (t.kind === 'cut') {
      graph.push(`[${current}][s${i}]concat=n=2:v=1:a=0,settb=AVTB[${out}]`);
      truth.transitions.push({ kind: 'cut', start: length, end: length });
      flashTruth(i, length);
      length += next.frames;
    } else if (t.kind === 'fade') {
      // Outgoing fade (already applied to the previous shot), a black hold, the incoming fade.
      graph.push(`color=c=black:s=${w}x${h}:r=${fps},trim=end_frame=${t.blackFrames},setpts=PTS-STARTPTS,format=yuv420p,settb=AVTB[k${i}]`);
      graph.push(`[${current}][k${i}][s${i}]concat=n=3:v=1:a=0,settb=AVTB[${out}]`);
      // ffmpeg's fade leaves its first frame untouched (fade out) or black (fade in): the transition
      // proper starts one frame later.
      truth.transitions.push({ kind: 'fade', start: length - t.outFrames + 1, end: length });
      truth.transitions.push({ kind: 'fade', start: length + t.blackFrames + 1, end: length + t.blackFrames + t.inFrames });
      flashTruth(i, length + t.blackFrames);
      length += t.blackFrames + next.frames;
    } else {
      const transition = t.kind === 'dissolve' ? 'fade' : t.kind === 'fadeblack' ? 'fadeblack' : (t.direction ?? 'wipeleft');
      const offset = length - t.frames;
      graph.push(`[${current}][s${i}]xfade=transition=${transition}:duration=${seconds(t.frames, fps)}:offset=${seconds(offset, fps)},settb=AVTB[${out}]`);
      truth.transitions.push({ kind: t.kind === 'fadeblack' ? 'fade' : t.kind, start: offset + 1, end: length });
      flashTruth(i, offset);
      length += next.frames - t.frames;
    }
    current = out;
  }
  truth.frames = length;
  const sar = spec.sar ? `,setsar=${spec.sar}` : ',setsar=1';
  graph.push(`[${current}]format=yuv420p${sar}[out]`);

  const output = spec.outputArgs ?? ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p'];
  if (!spec.rotate) {
    await ffmpeg(['-v', 'error', '-filter_complex', graph.join(';'), '-map', '[out]', '-frames:v', String(length), ...output, path]);
    return { path, truth };
  }
  // ffmpeg 5.1 writes the rotation (display matrix) only when remuxing with stream copy.
  const unrotated = `${path}.unrotated.mp4`;
  await ffmpeg(['-v', 'error', '-filter_complex', graph.join(';'), '-map', '[out]', '-frames:v', String(length), ...output, unrotated]);
  await ffmpeg(['-v', 'error', '-i', unrotated, '-c', 'copy', '-metadata:s:v:0', `rotate=${spec.rotate}`, path]);
  await rm(unrotated, { force: true });
  return { path, truth };
}

/**
 * A variable-frame-rate file: `parts` are shots rendered at their own rate and concatenated with cuts,
 * kept at their native timestamps (no frame duplication). Ground truth is in presentation frames.
 */
export async function makeVariableRateEdit(path: string, parts: Array<{ scene: Scene; frames: number; fps: number }>, size = { width: 320, height: 180 }): Promise<MadeEdit & { cutTimes: number[] }> {
  const graph: string[] = [];
  const truth: GroundTruth = { fps: 0, frames: 0, transitions: [], nonTransitions: [] };
  const cutTimes: number[] = [];
  let frames = 0;
  let time = 0;
  parts.forEach((p, i) => {
    const src = p.scene
      .replaceAll('{s}', `${size.width}x${size.height}`)
      .replaceAll('{r}', String(p.fps))
      .replaceAll('{w}', String(size.width))
      .replaceAll('{h}', String(size.height))
      .replaceAll('{W3}', `${size.width * 3}x${size.height}`)
      .replaceAll('{W2}', String(size.width * 2))
      .replaceAll('{i}', String(i));
    graph.push(`${src},trim=end_frame=${p.frames},setpts=PTS-STARTPTS,format=yuv420p,settb=1/1000[p${i}]`);
    if (i > 0) {
      truth.transitions.push({ kind: 'cut', start: frames, end: frames });
      cutTimes.push(time);
    }
    frames += p.frames;
    time += p.frames / p.fps;
  });
  graph.push(`${parts.map((_, i) => `[p${i}]`).join('')}concat=n=${parts.length}:v=1:a=0,setsar=1[out]`);
  truth.frames = frames;
  truth.fps = Math.round((frames / time) * 1000) / 1000;
  await ffmpeg(['-v', 'error', '-filter_complex', graph.join(';'), '-map', '[out]', '-fps_mode', 'vfr', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-video_track_timescale', '1000', path]);
  // The muxer may drop the very last frame of a rate change; count what was written.
  const counted = await ffprobe(['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', path]);
  truth.frames = Number(counted.stdout.toString().trim());
  return { path, truth, cutTimes };
}

/** A long file made by looping `source` (stream copy) until it lasts at least `minutes`. */
export async function makeLoopedFile(path: string, source: string, sourceSeconds: number, minutes: number): Promise<string> {
  const loops = Math.max(0, Math.ceil((minutes * 60) / sourceSeconds) - 1);
  await ffmpeg(['-v', 'error', '-stream_loop', String(loops), '-i', source, '-map', '0:v:0', '-c', 'copy', path]);
  return path;
}
