// The edits the shot detector is tuned and tested on (all made by ffmpeg, see test/support/edits.ts).
// ../shared/library is held out: it is only used to evaluate.
import { join } from 'node:path';
import { makeEdit, scenes, type EditSpec, type MadeEdit } from '../support/edits.js';

export const SCENARIOS: Record<string, EditSpec> = {
  cuts: {
    shots: [
      { scene: scenes.pattern(), frames: 40 },
      { scene: scenes.fractal(), frames: 36 },
      { scene: scenes.fastPan(40), frames: 40 },
      { scene: scenes.fastPan(40, 150), frames: 30 },
      { scene: scenes.bars(), frames: 30 },
      { scene: scenes.gradient(3), frames: 30 },
      { scene: scenes.ball('darkgreen', 'yellow'), frames: 30 },
      { scene: scenes.pattern(120), frames: 30 },
    ],
    transitions: [{ kind: 'cut' }, { kind: 'cut' }, { kind: 'cut' }, { kind: 'cut' }, { kind: 'cut' }, { kind: 'cut' }, { kind: 'cut' }],
  },
  dissolves: {
    shots: [
      { scene: scenes.pattern(), frames: 60 },
      { scene: scenes.fractal(), frames: 70 },
      { scene: scenes.gradient(5), frames: 70 },
      { scene: scenes.ball('maroon', 'cyan'), frames: 60 },
    ],
    transitions: [{ kind: 'dissolve', frames: 12 }, { kind: 'dissolve', frames: 30 }, { kind: 'dissolve', frames: 20 }],
  },
  fades: {
    shots: [
      { scene: scenes.fractal(60), frames: 60 },
      { scene: scenes.pattern(), frames: 70 },
      { scene: scenes.gradient(7), frames: 60 },
    ],
    transitions: [{ kind: 'fade', outFrames: 16, blackFrames: 12, inFrames: 16 }, { kind: 'fadeblack', frames: 24 }],
  },
  wipes: {
    shots: [
      { scene: scenes.pattern(), frames: 50 },
      { scene: scenes.fractal(), frames: 50 },
      { scene: scenes.gradient(9), frames: 50 },
      { scene: scenes.ball('navy', 'orange'), frames: 50 },
    ],
    transitions: [
      { kind: 'wipe', frames: 16, direction: 'wipeleft' },
      { kind: 'wipe', frames: 12, direction: 'wipeup' },
      { kind: 'wipe', frames: 20, direction: 'wiperight' },
    ],
  },
  negatives: {
    shots: [
      { scene: scenes.pattern(), frames: 80, flashes: [20, 50], flashFrames: 2 },
      { scene: scenes.fastPan(60), frames: 60, flashes: [30], flashFrames: 1 },
      { scene: scenes.bars(), frames: 50, blackFrames: [[20, 21]] },
      { scene: scenes.life(), frames: 60 },
      { scene: scenes.fractal(), frames: 60, flashes: [25], flashFrames: 3 },
    ],
    transitions: [{ kind: 'cut' }, { kind: 'cut' }, { kind: 'cut' }, { kind: 'cut' }],
  },
  overlays: {
    shots: [
      { scene: scenes.gradient(11), frames: 90, title: { text: 'THE STUDIO PRESENTS', at: 20, frames: 24 } },
      { scene: scenes.entrance(30), frames: 80 },
      { scene: scenes.fractal(200), frames: 90, title: { text: 'BACKLOT', at: 30, frames: 30 } },
      { scene: scenes.pattern(40), frames: 90, brighten: { at: 20, frames: 30, gain: 0.45 } },
      { scene: scenes.crossing(40), frames: 80 },
      { scene: scenes.passing(30), frames: 70 },
    ],
    transitions: [{ kind: 'cut' }, { kind: 'cut' }, { kind: 'cut' }, { kind: 'cut' }, { kind: 'cut' }],
  },
  exposure: {
    shots: [
      { scene: scenes.pattern(), frames: 40 },
      { scene: scenes.exposureExit(), frames: 90 },
      { scene: scenes.fractal(), frames: 40 },
    ],
    transitions: [{ kind: 'cut' }, { kind: 'cut' }],
  },
  darkDips: {
    // Long dips to black (xfade's fadeblack) out of and into a night-dark shot: the darkest steps of the
    // fade in read as black for more than `dipMerge` frames, yet still move.
    shots: [
      { scene: `${scenes.fractal(220)},eq=brightness=-0.3`, frames: 90 },
      { scene: scenes.pattern(), frames: 110 },
      { scene: `${scenes.gradient(5)},eq=brightness=-0.3`, frames: 110 },
    ],
    transitions: [{ kind: 'fadeblack', frames: 48 }, { kind: 'fadeblack', frames: 48 }],
  },
  nightDissolves: {
    // Dissolves into and out of a night shot: dark (mean Y under 40) but for a small bright ball, about
    // 3 % of the picture; not black, so these are dissolves, not fades.
    shots: [
      { scene: scenes.pattern(), frames: 70 },
      { scene: scenes.ball('0x0c1428', 'yellow', 4), frames: 80 },
      { scene: scenes.gradient(3), frames: 70 },
    ],
    transitions: [{ kind: 'dissolve', frames: 20 }, { kind: 'dissolve', frames: 20 }],
  },
};

export async function makeScenario(dir: string, name: keyof typeof SCENARIOS | string, extra: Partial<EditSpec> = {}): Promise<MadeEdit> {
  return makeEdit(join(dir, `${name}.mp4`), { ...SCENARIOS[name]!, ...extra });
}
