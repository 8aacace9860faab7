// The exact edit of a demo film, in the format of ../shared/library/groundtruth/*.json (frames 0-based,
// presentation order; a cut has start == end == first frame of the new shot; a gradual transition's
// start is its first mixed or darkened frame and its end the first frame fully of the incoming shot),
// plus each shot's span and what it shows.
import { backgroundOf, type Combo } from './world.js';
import type { DemoCamera, DemoFilmPlan } from './plan.js';
import type { ShotSpan } from '../domain/library.js';

export interface DemoTruthTransition {
  kind: 'cut' | 'dissolve' | 'fade' | 'wipe';
  start: number;
  end: number;
}

export interface DemoTruthNonTransition {
  kind: 'flash' | 'camera-pan' | 'camera-zoom';
  approxStart: number;
  approxEnd: number;
  note: string;
}

/** A shot's span exactly as `backlot shots` reports it, plus what the generator knows about it. */
export interface DemoTruthShot extends ShotSpan {
  /** Frames that show only this shot, untouched by any transition (inclusive). */
  cleanStart: number;
  cleanEnd: number;
  combo: Combo;
  caption: string;
  heading: string;
  camera: DemoCamera['kind'];
  flash: boolean;
}

export interface DemoGroundTruth {
  title: string;
  fps: number;
  frames: number;
  width: number;
  height: number;
  transitions: DemoTruthTransition[];
  nonTransitions: DemoTruthNonTransition[];
  shots: DemoTruthShot[];
  conventions: string;
  method: string;
}

/** The transition into shot i (i ≥ 1) on the film's frame line. */
export function transitionSpan(film: DemoFilmPlan, i: number): DemoTruthTransition {
  const shot = film.shots[i]!;
  const t = shot.transitionIn;
  switch (t.kind) {
    case 'none':
      throw new RangeError('the first shot has no transition in');
    case 'cut':
      return { kind: 'cut', start: shot.filmStart, end: shot.filmStart };
    case 'dissolve':
    case 'wipe':
      return { kind: t.kind, start: shot.filmStart, end: shot.filmStart + t.frames };
    case 'fade': {
      const prev = film.shots[i - 1]!;
      return { kind: 'fade', start: prev.filmStart + prev.frames - t.out, end: shot.filmStart + t.in };
    }
  }
}

export function demoGroundTruth(film: DemoFilmPlan): DemoGroundTruth {
  const transitions = film.shots.slice(1).map((_, k) => transitionSpan(film, k + 1));
  const nonTransitions: DemoTruthNonTransition[] = [];
  const shots: DemoTruthShot[] = film.shots.map((shot, i) => {
    const startFrame = i === 0 ? 0 : transitions[i - 1]!.start;
    const endFrame = i === film.shots.length - 1 ? film.frames - 1 : transitions[i]!.start - 1;
    const cleanStart = shot.filmStart + shot.head;
    const cleanEnd = shot.filmStart + shot.frames - shot.tail - 1;
    if (shot.flash) {
      const s = shot.filmStart + shot.flash.start;
      nonTransitions.push({ kind: 'flash', approxStart: s, approxEnd: s + shot.flash.levels.length - 1, note: `camera flash (exact), peak ${shot.flash.levels[0]} toward white` });
    }
    if (shot.camera.kind === 'pan') {
      nonTransitions.push({ kind: 'camera-pan', approxStart: shot.filmStart, approxEnd: shot.filmStart + shot.frames - 1, note: `backdrop scrolls ${Math.abs(shot.camera.speed)} px/frame (exact)` });
    } else if (shot.camera.kind === 'zoom') {
      nonTransitions.push({ kind: 'camera-zoom', approxStart: shot.filmStart, approxEnd: shot.filmStart + shot.frames - 1, note: `zoom ${shot.camera.from} -> ${shot.camera.to} (exact)` });
    }
    return {
      index: i,
      startFrame,
      endFrame,
      start: round3(startFrame / film.fps),
      end: round3((endFrame + 1) / film.fps),
      transitionIn: shot.transitionIn.kind,
      cleanStart,
      cleanEnd,
      combo: shot.combo,
      caption: shot.caption,
      heading: backgroundOf(shot.combo.background).heading,
      camera: shot.camera.kind,
      flash: shot.flash !== undefined,
    };
  });
  nonTransitions.sort((a, b) => a.approxStart - b.approxStart);
  return {
    title: film.title,
    fps: film.fps,
    frames: film.frames,
    width: film.width,
    height: film.height,
    transitions,
    nonTransitions,
    shots,
    conventions:
      'frames 0-based (presentation order; constant frame rate); cut: start=end=first frame of the new shot; dissolve/wipe/fade: start=first frame that is part of the transition (for a fade, the first darkened frame of the outgoing shot), end=first frame fully of the incoming shot (inclusive). shots[].startFrame/endFrame follow `backlot shots` (a gradual transition begins the incoming shot; endFrame inclusive); cleanStart/cleanEnd bound the frames untouched by any transition.',
    method: 'generated: the demo library renderer composes every frame from this plan, so the edit is exact; nonTransitions ranges are exact too',
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
