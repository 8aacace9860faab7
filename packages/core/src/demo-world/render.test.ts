import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { WORLD, colourOf } from './world.js';
import { planDemoLibrary, type DemoFilmPlan } from './plan.js';
import { DemoFilmRenderer, frameRecipe, objectAt } from './render.js';
import { demoGroundTruth } from './groundtruth.js';
import { cameraNote } from './screenplay.js';

const films = planDemoLibrary({ seed: 7, films: 2 });
const film = films[0]!;
const renderer = new DemoFilmRenderer(film);

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Centroid and count of pixels exactly the object's colour. */
function colourBlob(frame: Uint8Array, width: number, rgb: readonly number[]) {
  let n = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0, p = 0; i < frame.length; i += 3, p++) {
    if (frame[i] === rgb[0] && frame[i + 1] === rgb[1] && frame[i + 2] === rgb[2]) {
      n++;
      sx += p % width;
      sy += Math.floor(p / width);
    }
  }
  return { n, cx: sx / n, cy: sy / n };
}

describe('demo film plans', () => {
  it('are the same for the same seed and differ between seeds', () => {
    expect(planDemoLibrary({ seed: 7, films: 2 })).toEqual(films);
    expect(planDemoLibrary({ seed: 8, films: 2 })).not.toEqual(films);
  });

  it('keep every object inside the centred square that training crops keep', () => {
    const { x0, x1 } = WORLD.safeRegion;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), (seed) => {
        for (const f of planDemoLibrary({ seed, films: 2 })) {
          for (const shot of f.shots) {
            for (const local of [0, Math.floor(shot.frames / 2), shot.frames - 1]) {
              const o = objectAt(shot, local);
              if (o.cx - o.size / 2 < x0 || o.cx + o.size / 2 > x1 || o.cy - o.size / 2 < 0 || o.cy + o.size / 2 > f.height) return false;
              if (o.size < 0.2 * f.height || o.size > 0.4 * f.height) return false;
            }
          }
        }
        return true;
      }),
      { numRuns: 25 },
    );
  });

  it('never put two consecutive shots on the same backdrop, so every boundary is visible', () => {
    for (const seed of [1, 2, 3]) {
      for (const f of planDemoLibrary({ seed })) {
        for (let i = 1; i < f.shots.length; i++) expect(f.shots[i]!.combo.background).not.toBe(f.shots[i - 1]!.combo.background);
      }
    }
  });

  it('make shots 2 to 5 seconds long', () => {
    for (const shot of films.flatMap((f) => f.shots)) {
      expect(shot.frames).toBeGreaterThanOrEqual(2 * film.fps);
      expect(shot.frames).toBeLessThanOrEqual(5 * film.fps);
    }
  });
});

describe('demo frame renderer', () => {
  it('puts the object where the plan says, in its exact colour, moving its way', () => {
    let checked = 0;
    for (const [i, shot] of film.shots.entries()) {
      if (shot.flash) continue;
      const rgb = colourOf(shot.combo.colour).rgb;
      const a = shot.head + 2;
      const b = shot.frames - shot.tail - 3;
      const pa = colourBlob(renderer.renderShotFrame(i, a), film.width, rgb);
      const pb = colourBlob(renderer.renderShotFrame(i, b), film.width, rgb);
      const oa = objectAt(shot, a);
      const ob = objectAt(shot, b);
      // The solid interior of the shape is the colour exactly; its centroid is the planned centre.
      expect(pa.n).toBeGreaterThan(0.2 * oa.size * oa.size);
      expect(Math.abs(pa.cx - oa.cx)).toBeLessThan(2.5);
      expect(Math.abs(pb.cy - ob.cy)).toBeLessThan(2.5);
      const dx = pb.cx - pa.cx;
      const dy = pb.cy - pa.cy;
      const moved = { left: -dx, right: dx, up: -dy, down: dy }[shot.combo.direction];
      expect(moved, `${shot.caption}`).toBeGreaterThan(30);
      checked++;
    }
    expect(checked).toBeGreaterThan(5);
  });

  it('draws a ball, a box and a star as different silhouettes', () => {
    const all = films.flatMap((f) => f.shots.map((s) => ({ f, s })));
    const look = (shape: string) => {
      const { f, s } = all.find(({ s }) => s.combo.shape === shape && !s.flash)!;
      const local = s.head + 1;
      const frame = new DemoFilmRenderer(f).renderShotFrame(s.index, local);
      const rgb = colourOf(s.combo.colour).rgb;
      const o = objectAt(s, local);
      const at = (x: number, y: number) => {
        const i = (Math.round(y) * f.width + Math.round(x)) * 3;
        return frame[i] === rgb[0] && frame[i + 1] === rgb[1] && frame[i + 2] === rgb[2];
      };
      // Near a corner of the object's box (35 % of the side from the centre on both axes).
      const d = 0.35 * o.size;
      return { fill: colourBlob(frame, f.width, rgb).n / o.size ** 2, corner: at(o.cx + d, o.cy + d) && at(o.cx - d, o.cy - d) };
    };
    const box = look('box');
    const ball = look('ball');
    const star = look('star');
    expect(box.fill).toBeGreaterThan(0.5);
    expect(ball.fill).toBeGreaterThan(0.5);
    expect(star.fill).toBeLessThan(0.4);
    expect(box.corner).toBe(true);
    expect(ball.corner).toBe(false);
  });

  it('scrolls a pan\'s backdrop against the way the screenplay says the camera pans', () => {
    const pans = films.flatMap((f) => f.shots.filter((s) => s.camera.kind === 'pan' && !s.flash).map((s) => ({ f, s })));
    expect(new Set(pans.map(({ s }) => cameraNote(s)))).toEqual(new Set(['The camera pans left.', 'The camera pans right.']));
    for (const { f, s } of pans) {
      const r = new DemoFilmRenderer(f);
      const speed = (s.camera as { speed: number }).speed;
      const a = r.renderShotFrame(s.index, 0);
      const b = r.renderShotFrame(s.index, 2);
      const { cy, size } = objectAt(s, 0);
      const y = cy > f.height / 2 ? 0 : f.height - 1;   // a row the object is far from
      expect(Math.abs(y - cy)).toBeGreaterThan(size);
      // Two frames later the row's pixels sit 2 x speed columns to the left for a right pan, to the right for a left pan.
      const shift = 2 * speed;
      let same = 0;
      for (let x = Math.max(0, -shift); x < f.width - Math.max(0, shift); x++) {
        const i = (y * f.width + x) * 3;
        const j = (y * f.width + x + shift) * 3;
        if (b[i] === a[j] && b[i + 1] === a[j + 1] && b[i + 2] === a[j + 2]) same++;
      }
      expect(same).toBe(f.width - Math.abs(shift));
      expect(cameraNote(s)).toBe(`The camera pans ${shift > 0 ? 'right' : 'left'}.`);
    }
  });

  it('brightens flash frames and leaves their neighbours alone', () => {
    const withFlash = films.flatMap((f) => f.shots.map((s) => ({ f, s }))).find(({ s }) => s.flash);
    expect(withFlash).toBeDefined();
    const { f, s } = withFlash!;
    const r = new DemoFilmRenderer(f);
    const mean = (x: Uint8Array) => x.reduce((a, v) => a + v, 0) / x.length;
    const start = s.filmStart + s.flash!.start;
    const before = mean(r.renderFrame(start - 1));
    expect(mean(r.renderFrame(start))).toBeGreaterThan(before + 80);
    expect(frameRecipe(f, start)).toEqual({ kind: 'shot', shot: s.index, local: s.flash!.start });
  });
});

describe('demo ground truth', () => {
  for (const f of films) {
    it(`matches what is rendered at every transition of ${f.slug}`, () => {
      const r = new DemoFilmRenderer(f);
      const truth = demoGroundTruth(f);
      expect(truth.transitions).toHaveLength(f.shots.length - 1);
      const pure = (shot: number, frame: number) => r.renderShotFrame(shot, frame - f.shots[shot]!.filmStart);
      truth.transitions.forEach((t, k) => {
        const inc = k + 1;
        const out = k;
        // The frame before the transition is purely the outgoing shot, its end purely the incoming one.
        expect(same(r.renderFrame(t.start - 1), pure(out, t.start - 1)), `${t.kind} ${t.start}: before`).toBe(true);
        expect(same(r.renderFrame(t.end), pure(inc, t.end)), `${t.kind} ${t.end}: end`).toBe(true);
        if (t.kind === 'cut') {
          expect(t.start).toBe(t.end);
        } else {
          expect(t.end).toBeGreaterThan(t.start + 5);
          for (let g = t.start; g < t.end; g++) {
            const frame = r.renderFrame(g);
            const inPure = g >= f.shots[inc]!.filmStart && same(frame, pure(inc, g));
            expect(inPure, `${t.kind} frame ${g} is mid-transition`).toBe(false);
          }
        }
      });
    });
  }

  it('gives contiguous shot spans that cover the film and flags flashes and camera moves', () => {
    for (const f of films) {
      const truth = demoGroundTruth(f);
      expect(truth.shots[0]!.startFrame).toBe(0);
      expect(truth.shots.at(-1)!.endFrame).toBe(f.frames - 1);
      for (let i = 1; i < truth.shots.length; i++) {
        expect(truth.shots[i]!.startFrame).toBe(truth.shots[i - 1]!.endFrame + 1);
        expect(truth.shots[i]!.startFrame).toBe(truth.transitions[i - 1]!.start);
      }
      for (const s of truth.shots) expect(s.cleanEnd - s.cleanStart + 1).toBeGreaterThanOrEqual(48);
      expect(truth.nonTransitions.filter((n) => n.kind === 'flash')).toHaveLength(f.shots.filter((s) => s.flash).length);
    }
  });
});
