import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  BACKGROUND_NAMES,
  COLOUR_NAMES,
  DIRECTION_NAMES,
  HELD_OUT,
  SHAPE_NAMES,
  WORLD,
  allCombos,
  captionFor,
  comboKey,
  isHeldOut,
  trainingCombos,
  type Combo,
} from './world.js';
import { planDemoLibrary, DEMO_MAX_FILMS } from './plan.js';
import { worldDocument } from './world-document.js';
import { DEMO_DIALOGUE } from './people.js';

const FIELDS = ['colour', 'shape', 'direction', 'background'] as const;

describe('demo world', () => {
  it('holds out about 10% of the combinations, each once', () => {
    expect(allCombos()).toHaveLength(6 * 3 * 4 * 4);
    expect(new Set(HELD_OUT.map(comboKey)).size).toBe(HELD_OUT.length);
    expect(HELD_OUT.length / allCombos().length).toBeGreaterThan(0.08);
    expect(HELD_OUT.length / allCombos().length).toBeLessThan(0.12);
    expect(trainingCombos()).toHaveLength(allCombos().length - HELD_OUT.length);
  });

  it('still shows every single value and every pair of values in training combinations', () => {
    const train = trainingCombos();
    for (let i = 0; i < FIELDS.length; i++) {
      for (let j = i + 1; j < FIELDS.length; j++) {
        const fi = FIELDS[i]!;
        const fj = FIELDS[j]!;
        const pairs = new Set(train.map((c) => `${c[fi]}|${c[fj]}`));
        const all = new Set(allCombos().map((c) => `${c[fi]}|${c[fj]}`));
        expect(pairs, `${fi} x ${fj}`).toEqual(all);
      }
    }
  });

  it('gives every colour a distinct hue at least 25 degrees from the others', () => {
    const hues = WORLD.colours.map((c) => c.hue);
    for (let i = 0; i < hues.length; i++)
      for (let j = i + 1; j < hues.length; j++) {
        const d = Math.abs(hues[i]! - hues[j]!);
        expect(Math.min(d, 360 - d)).toBeGreaterThanOrEqual(25);
      }
  });

  it('phrases captions with all four words, e.g. "a red ball moving left at night"', () => {
    expect(captionFor({ colour: 'red', shape: 'ball', direction: 'left', background: 'night' })).toBe('a red ball moving left at night');
    expect(captionFor({ colour: 'orange', shape: 'star', direction: 'up', background: 'day' })).toBe('an orange star moving up by day');
    for (const c of allCombos()) {
      const words = captionFor(c).split(' ');
      for (const f of FIELDS) expect(words).toContain(c[f]);
    }
  });

  it('never renders a held-out combination in any film, whatever the seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: DEMO_MAX_FILMS }), (seed, films) => {
        for (const film of planDemoLibrary({ seed, films })) for (const shot of film.shots) if (isHeldOut(shot.combo)) return false;
        return true;
      }),
      { numRuns: 40 },
    );
  });

  it('covers most training combinations across the default library, with 200+ shots', () => {
    const shots = planDemoLibrary({ seed: 1 }).flatMap((f) => f.shots);
    expect(shots.length).toBeGreaterThanOrEqual(200);
    const seen = new Set(shots.map((s) => comboKey(s.combo)));
    expect(seen.size).toBeGreaterThanOrEqual(Math.min(shots.length, trainingCombos().length) * 0.95);
    // every value of every attribute appears
    for (const [field, values] of [['colour', COLOUR_NAMES], ['shape', SHAPE_NAMES], ['direction', DIRECTION_NAMES], ['background', BACKGROUND_NAMES]] as const) {
      for (const v of values) expect(shots.some((s) => (s.combo as Combo)[field] === v), `${field}=${v}`).toBe(true);
    }
  });

  it('keeps world words out of dialogue so screenplay captions are not muddied', () => {
    const words = new Set<string>([...COLOUR_NAMES, ...SHAPE_NAMES, ...DIRECTION_NAMES, ...BACKGROUND_NAMES, 'sky', 'morning', 'dusk', 'street']);
    for (const line of DEMO_DIALOGUE) {
      for (const w of line.toLowerCase().split(/[^a-z]+/)) expect(words.has(w), `"${line}" says ${w}`).toBe(false);
    }
  });

  it('documents held-out prompts in world.json', () => {
    const doc = worldDocument();
    expect(doc.heldOut).toHaveLength(HELD_OUT.length);
    expect(doc.heldOut[0]!.caption).toBe(captionFor(HELD_OUT[0]!));
    expect(JSON.parse(JSON.stringify(doc)).colours[0].rgb).toEqual([...WORLD.colours[0]!.rgb]);
    const night = doc.backgrounds.find((b) => b.name === 'night')!;
    const day = doc.backgrounds.find((b) => b.name === 'day')!;
    expect(Math.max(...night.meanRgb)).toBeLessThan(60);
    expect(Math.min(...day.meanRgb)).toBeGreaterThan(150);
  });
});
