// Film plans: from a seed, the demo library's films as lists of shots (what each shows, how the
// camera moves, where a flash goes, which dialogue is spoken) joined by transitions. Everything the
// renderer, the audio, the screenplay, the subtitles and the ground truth say comes from one plan.
import { DemoRandom } from './random.js';
import {
  DEMO_FPS,
  DEMO_HEIGHT,
  DEMO_WIDTH,
  WORLD,
  captionFor,
  trainingCombos,
  type Combo,
} from './world.js';
import {
  DEMO_ACTORS,
  DEMO_CHARACTER_NAMES,
  DEMO_COMPOSERS,
  DEMO_CUE_WORDS,
  DEMO_DIALOGUE,
  DEMO_DIRECTORS,
  DEMO_PERFORMERS,
  DEMO_SURNAMES,
  DEMO_TITLES,
  characterAliases,
} from './people.js';

export type DemoTransition =
  | { kind: 'none' }
  | { kind: 'cut' }
  /** Cross-dissolve over `frames` frames shared by both shots. */
  | { kind: 'dissolve'; frames: number }
  /** A vertical edge sweeps across over `frames` frames shared by both shots. */
  | { kind: 'wipe'; frames: number; from: 'left' | 'right' }
  /** The outgoing shot fades to black over `out` frames, `black` black frames, the incoming fades up over `in`. */
  | { kind: 'fade'; out: number; black: number; in: number };

export type DemoCamera =
  | { kind: 'static'; offset: number }
  /** Background scrolls `speed` px per frame (sign = direction) from `offset`. */
  | { kind: 'pan'; offset: number; speed: number }
  /** Zoom factor goes linearly from `from` to `to` over the shot. */
  | { kind: 'zoom'; offset: number; from: number; to: number };

export interface DemoDialogueLine {
  character: string;
  text: string;
  /** Global film frames, end exclusive. */
  startFrame: number;
  endFrame: number;
}

export interface DemoShotPlan {
  index: number;
  combo: Combo;
  caption: string;
  transitionIn: DemoTransition;
  /** Global frame where this shot's own pictures begin (for a gradual transition in, its first mixed frame). */
  filmStart: number;
  /** Frames this shot's pictures are visible, including those shared with gradual transitions. */
  frames: number;
  /** Leading and trailing frames shared with (or darkened by) transitions. */
  head: number;
  tail: number;
  camera: DemoCamera;
  /** Object size in pixels at zoom 1 and its centre's path on screen (start and end, screen pixels). */
  object: { size: number; from: readonly [number, number]; to: readonly [number, number] };
  /** A camera flash: `levels[k]` is how far frame `start + k` (local) is pushed toward white. */
  flash?: { start: number; levels: readonly number[] };
  dialogue: DemoDialogueLine[];
}

export interface DemoCastMember {
  character: string;
  person: string;
  aliases: string[];
}

export interface DemoMusicCue {
  id: string;
  title: string;
  /** Seconds. */
  in: number;
  out: number;
  composer: string;
  performer: string;
  usage: 'main title' | 'background instrumental' | 'end title';
  /** Synthesis: root frequency (Hz), seconds per note, scale degrees in semitones, voice. */
  root: number;
  noteSeconds: number;
  melody: readonly number[];
  voice: 'sine' | 'triangle' | 'square-soft';
}

export interface DemoFilmPlan {
  title: string;
  slug: string;
  year: number;
  director: string;
  width: number;
  height: number;
  fps: number;
  frames: number;
  shots: DemoShotPlan[];
  cast: DemoCastMember[];
  cues: DemoMusicCue[];
}

export interface DemoLibraryOptions {
  seed?: number;
  /** How many films (1..8, default 8). */
  films?: number;
  /** Make every film about this long instead of 30–90 s (tests use a few seconds). */
  filmSeconds?: number;
}

export const DEMO_MAX_FILMS = DEMO_TITLES.length;

const TRANSITION_WEIGHTS = { cut: 0.5, dissolve: 0.18, fade: 0.16, wipe: 0.16 } as const;
const CAMERA_WEIGHTS = { static: 0.5, pan: 0.3, zoom: 0.2 } as const;
/** Zoom never exceeds this, so the object's largest size is known when its path is planned. */
export const DEMO_MAX_ZOOM = 1.25;
/** Clean (untouched by transitions) shot length, frames: 2–3.2 s; transitions add up to 1.5 s, so shots run 2–4.5 s. */
const CLEAN_MIN = 48;
const CLEAN_MAX = 76;

function chooseTransition(rng: DemoRandom): DemoTransition {
  switch (rng.weighted(TRANSITION_WEIGHTS)) {
    case 'cut':
      return { kind: 'cut' };
    case 'dissolve':
      return { kind: 'dissolve', frames: rng.int(12, 30) };
    case 'wipe':
      return { kind: 'wipe', frames: rng.int(10, 20), from: rng.next() < 0.5 ? 'left' : 'right' };
    case 'fade':
      return { kind: 'fade', out: rng.int(8, 16), black: rng.int(2, 8), in: rng.int(8, 16) };
  }
}

/** Frames of the outgoing shot's tail and the incoming shot's head that a transition uses. */
export function transitionOverlap(t: DemoTransition): { tail: number; head: number } {
  switch (t.kind) {
    case 'none':
    case 'cut':
      return { tail: 0, head: 0 };
    case 'dissolve':
    case 'wipe':
      return { tail: t.frames, head: t.frames };
    case 'fade':
      return { tail: t.out, head: t.in };
  }
}

function chooseCamera(rng: DemoRandom): DemoCamera {
  const offset = rng.int(0, 1023);
  switch (rng.weighted(CAMERA_WEIGHTS)) {
    case 'static':
      return { kind: 'static', offset };
    case 'pan':
      return { kind: 'pan', offset, speed: (rng.next() < 0.5 ? -1 : 1) * (1 + rng.int(0, 4) * 0.5) };
    case 'zoom':
      return rng.next() < 0.5 ? { kind: 'zoom', offset, from: 1, to: DEMO_MAX_ZOOM } : { kind: 'zoom', offset, from: DEMO_MAX_ZOOM, to: 1 };
  }
}

/** The object's size and straight path, inside the centred square that training crops keep. */
function chooseObjectPath(rng: DemoRandom, combo: Combo, camera: DemoCamera): DemoShotPlan['object'] {
  const size = rng.int(40, 50);
  const maxSize = camera.kind === 'zoom' ? Math.ceil(size * DEMO_MAX_ZOOM) : size;
  const { x0, x1 } = WORLD.safeRegion;
  const margin = 4 + maxSize / 2;
  const cx = (x0 + x1) / 2;
  const cy = DEMO_HEIGHT / 2;
  const across = rng.int(-24, 24);
  const lo = (c: number) => c - DEMO_HEIGHT / 2 + margin;
  const hi = (c: number) => c + DEMO_HEIGHT / 2 - margin;
  switch (combo.direction) {
    case 'left':
      return { size, from: [hi(cx), cy + across], to: [lo(cx), cy + across] };
    case 'right':
      return { size, from: [lo(cx), cy + across], to: [hi(cx), cy + across] };
    case 'up':
      return { size, from: [cx + across, hi(cy)], to: [cx + across, lo(cy)] };
    case 'down':
      return { size, from: [cx + across, lo(cy)], to: [cx + across, hi(cy)] };
  }
}

const FLASH_SHAPES: readonly (readonly number[])[] = [
  [0.9, 0.55, 0.25],
  [0.85, 0.85, 0.5, 0.2],
  [0.95, 0.4],
];

/**
 * Hands out combinations so that every non-held-out one is used once before any is used twice.
 * Consecutive shots never share a backdrop: a cut between two night skies that differ only in a
 * small object is one a shot detector rightly misses, and a missed boundary would give a training
 * clip two objects under one caption.
 */
class ComboDeck {
  private deck: Combo[] = [];
  constructor(private readonly rng: DemoRandom) {}
  draw(notBackground?: Combo['background']): Combo {
    if (this.deck.length === 0) this.deck = this.rng.shuffle(trainingCombos());
    for (let k = this.deck.length - 1; k >= 0; k--) {
      if (this.deck[k]!.background !== notBackground) return this.deck.splice(k, 1)[0]!;
    }
    // Only combinations on that backdrop are left in this pass: start the next pass early.
    const rest = this.deck;
    this.deck = this.rng.shuffle(trainingCombos());
    const next = this.draw(notBackground);
    this.deck.push(...rest);
    return next;
  }
}

function filmSecondsFor(rng: DemoRandom, index: number): number {
  // One short film (36–44 s) shows the range; the rest are 72–90 s so the library has 200+ shots.
  return index === 3 ? rng.int(36, 44) : rng.int(72, 90);
}

function castFor(rng: DemoRandom, filmIndex: number, count: number): DemoCastMember[] {
  const names = rng.shuffle(DEMO_CHARACTER_NAMES).slice(0, count);
  // Actors rotate through the pool so several appear in more than one film.
  return names.map((character, k) => {
    const actor = DEMO_ACTORS[(filmIndex * 2 + k) % DEMO_ACTORS.length]!;
    return { character, person: actor.person, aliases: characterAliases(character, rng.pick(DEMO_SURNAMES)) };
  });
}

function cuesFor(rng: DemoRandom, filmIndex: number, title: string, seconds: number): DemoMusicCue[] {
  const cues: DemoMusicCue[] = [];
  const composer = DEMO_COMPOSERS[filmIndex % DEMO_COMPOSERS.length]!;
  const word = rng.shuffle(DEMO_CUE_WORDS);
  const scale = [0, 2, 4, 7, 9, 12, 14, 16];
  const voices = ['sine', 'triangle', 'square-soft'] as const;
  const round3 = (x: number) => Math.round(x * 1000) / 1000;
  let t = 0;
  let n = 1;
  while (t < seconds - 4) {
    const isFirst = n === 1;
    const length = isFirst ? rng.int(8, 12) : rng.int(8, 18);
    const out = Math.min(seconds - 0.5, t + length);
    const isLast = out >= seconds - 6;
    const usage = isFirst ? 'main title' : isLast ? 'end title' : 'background instrumental';
    const melody = Array.from({ length: rng.int(4, 8) }, () => rng.pick(scale));
    cues.push({
      id: `${filmIndex + 1}M${n}`,
      title: isFirst ? `${title} (Main Title)` : `${word[n % word.length]} No. ${n}`,
      in: round3(t),
      out: round3(out),
      composer,
      performer: rng.pick(DEMO_PERFORMERS),
      usage,
      root: rng.pick([196, 220, 246.94, 261.63, 293.66]),
      noteSeconds: rng.pick([0.25, 0.3, 0.4, 0.5]),
      melody,
      voice: rng.pick(voices),
    });
    n += 1;
    t = out + rng.int(3, 7);
  }
  return cues;
}

/** One film: shots with clean lengths and transitions first, then laid out on the film's frame line. */
function planFilm(rng: DemoRandom, deck: ComboDeck, filmIndex: number, seconds: number): DemoFilmPlan {
  const meta = DEMO_TITLES[filmIndex]!;
  const target = Math.round(seconds * DEMO_FPS);
  const drafts: Array<{ combo: Combo; clean: number; transitionIn: DemoTransition }> = [];
  let visible = 0;
  while (visible < target) {
    const transitionIn = drafts.length === 0 ? ({ kind: 'none' } as const) : chooseTransition(rng);
    const clean = Math.min(rng.int(CLEAN_MIN, CLEAN_MAX), Math.max(CLEAN_MIN, target - visible));
    const t = transitionIn;
    visible += clean + (t.kind === 'dissolve' || t.kind === 'wipe' ? t.frames : t.kind === 'fade' ? t.out + t.black + t.in : 0);
    drafts.push({ combo: deck.draw(drafts.at(-1)?.combo.background), clean, transitionIn });
  }

  const cast = castFor(rng, filmIndex, rng.int(3, 4));
  // Lines are dealt without repeats within a film, so each subtitle matches one screenplay line.
  let lines: string[] = [];
  const nextLine = () => {
    if (lines.length === 0) lines = rng.shuffle(DEMO_DIALOGUE);
    return lines.pop()!;
  };
  const shots: DemoShotPlan[] = [];
  let filmStart = 0;
  for (let i = 0; i < drafts.length; i++) {
    const d = drafts[i]!;
    const next = drafts[i + 1];
    const head = transitionOverlap(d.transitionIn).head;
    const tail = next ? transitionOverlap(next.transitionIn).tail : 0;
    const frames = head + d.clean + tail;
    const camera = chooseCamera(rng);
    const object = chooseObjectPath(rng, d.combo, camera);
    const flashShape = rng.next() < 0.22 ? rng.pick(FLASH_SHAPES) : undefined;
    const flash = flashShape && d.clean > 40 ? { start: head + rng.int(12, d.clean - 12 - flashShape.length), levels: flashShape } : undefined;
    const dialogue: DemoDialogueLine[] = [];
    if (rng.next() < 0.75) {
      // Lines sit inside the clean part of the shot so each subtitle belongs to exactly one shot.
      const cleanStart = filmStart + head;
      const cleanEnd = cleanStart + d.clean;
      let at = cleanStart + rng.int(4, 10);
      const count = d.clean >= 70 && rng.next() < 0.5 ? 2 : 1;
      for (let k = 0; k < count; k++) {
        const length = rng.int(28, 40);
        if (at + length > cleanEnd - 2) break;
        dialogue.push({ character: rng.pick(cast).character, text: nextLine(), startFrame: at, endFrame: at + length });
        at += length + rng.int(4, 8);
      }
    }
    shots.push({ index: i, combo: d.combo, caption: captionFor(d.combo), transitionIn: d.transitionIn, filmStart, frames, head, tail, camera, object, ...(flash ? { flash } : {}), dialogue });
    if (next) {
      const t = next.transitionIn;
      filmStart += t.kind === 'dissolve' || t.kind === 'wipe' ? frames - t.frames : t.kind === 'fade' ? frames + t.black : frames;
    } else {
      filmStart += frames;
    }
  }
  const frames = filmStart;
  return {
    title: meta.title,
    slug: meta.slug,
    year: meta.year,
    director: DEMO_DIRECTORS[filmIndex % DEMO_DIRECTORS.length]!,
    width: DEMO_WIDTH,
    height: DEMO_HEIGHT,
    fps: DEMO_FPS,
    frames,
    shots,
    cast,
    cues: cuesFor(rng, filmIndex, meta.title, frames / DEMO_FPS),
  };
}

/** The whole demo library's plans; the same options always give the same plans. */
export function planDemoLibrary(opts: DemoLibraryOptions = {}): DemoFilmPlan[] {
  const films = opts.films ?? DEMO_MAX_FILMS;
  if (!Number.isInteger(films) || films < 1 || films > DEMO_MAX_FILMS) throw new RangeError(`films must be 1..${DEMO_MAX_FILMS}`);
  const rng = new DemoRandom(opts.seed ?? 1);
  const deck = new ComboDeck(rng);
  const out: DemoFilmPlan[] = [];
  for (let i = 0; i < films; i++) out.push(planFilm(rng, deck, i, opts.filmSeconds ?? filmSecondsFor(rng, i)));
  return out;
}
