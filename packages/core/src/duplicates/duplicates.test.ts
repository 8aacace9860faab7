import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { FRAME_SIG_BYTES, FRAME_SIG_PLANES } from '../shots/signature.js';
import { groupDuplicates, hueSignature, isNearDuplicate, sameFootage, type DuplicateCandidate } from './duplicates.js';

const base: DuplicateCandidate = { id: 'a-0', phash: 'f0f0a5a50f0f5a5a', colourSig: '40'.repeat(48), duration: 4, meanLuma: 100, isBlack: false, dupGroup: null };
const shot = (patch: Partial<DuplicateCandidate>): DuplicateCandidate => ({ ...base, ...patch });

describe('isNearDuplicate', () => {
  test('the same picture re-encoded (a few hash bits, small colour drift) is a duplicate', () => {
    expect(isNearDuplicate(base, shot({ id: 'b-0', phash: 'f0f0a5a50f0f5a5b', colourSig: '44'.repeat(48), meanLuma: 103 }))).toBe(true);
  });

  test('a trailer excerpt of the shot is a duplicate', () => {
    expect(isNearDuplicate(base, shot({ id: 'b-0', duration: 1.2 }))).toBe(true);
  });

  test('the same layout in another colour is not', () => {
    const sig = '40'.repeat(40) + 'c0'.repeat(8);
    expect(isNearDuplicate(base, shot({ id: 'b-0', colourSig: sig }))).toBe(false);
  });

  test('black shots and structureless pictures never group', () => {
    expect(isNearDuplicate(shot({ isBlack: true }), shot({ id: 'b-0', isBlack: true }))).toBe(false);
    expect(isNearDuplicate(shot({ phash: '0000000000000001' }), shot({ id: 'b-0', phash: '0000000000000001' }))).toBe(false);
  });

  test('different pictures are not duplicates', () => {
    expect(isNearDuplicate(base, shot({ id: 'b-0', phash: '0f0f5a5af0f0a5a5' }))).toBe(false);
  });
});

/** A 64x36 night-sky-like backdrop (dark, desaturated, a few grey stars) with a square of `colour` at (x, y). */
function picture(colour: [number, number, number] | null, x = 10, y = 10, size = 5, jitter = 0): Uint8Array {
  const w = 64;
  const h = 36;
  const rgb = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    const star = (i * 7919) % 97 === 0 ? 150 : 0;
    const noise = jitter ? ((i * 2654435761) >>> 0) % (2 * jitter + 1) - jitter : 0;
    rgb.set([20 + star + noise, 24 + star + noise, 40 + star], 3 * i);
  }
  if (colour) for (let yy = y; yy < y + size; yy++) for (let xx = x; xx < x + size; xx++) rgb.set(colour, 3 * (yy * w + xx));
  return rgb;
}
const RED: [number, number, number] = [220, 30, 30];
const BLUE: [number, number, number] = [40, 60, 230];

describe('hueSignature', () => {
  test('a desaturated picture has an empty histogram; a coloured object weighs its share of the frame', () => {
    expect(hueSignature(picture(null))).toBe('0'.repeat(48));
    const sig = hueSignature(picture(BLUE));
    const bins = sig.match(/.{4}/g)!.map((v) => parseInt(v, 16) / 65535);
    expect(bins.reduce((a, b) => a + b, 0)).toBeCloseTo(25 / (64 * 36), 4);
    expect(bins.indexOf(Math.max(...bins))).toBe(7); // blue, 225-255 degrees
  });

  test('a small object of another colour on the same backdrop is not a duplicate, the same object elsewhere is', () => {
    const red = shot({ hueSig: hueSignature(picture(RED)) });
    expect(isNearDuplicate(red, shot({ id: 'b-0', hueSig: hueSignature(picture(BLUE)) }))).toBe(false);
    expect(isNearDuplicate(red, shot({ id: 'b-0', hueSig: hueSignature(picture(RED, 40, 20)) }))).toBe(true);
    expect(isNearDuplicate(red, shot({ id: 'b-0', hueSig: hueSignature(picture(null)) }))).toBe(false);
  });

  test('re-encoding noise (every channel off by a few levels) keeps the histogram in agreement', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 6 }), (r, g, b, d) => {
        const a = picture([r, g, b]);
        const moved = a.map((v, i) => Math.max(0, Math.min(255, v + (((i * 40503) >>> 3) % (2 * d + 1)) - d)));
        expect(isNearDuplicate(shot({ hueSig: hueSignature(a) }), shot({ id: 'b-0', hueSig: hueSignature(moved) }))).toBe(true);
      }),
    );
  });
});

describe('groupDuplicates', () => {
  test('a new shot joins the existing group of its library twin', () => {
    const lib = [shot({ id: 'old-1', dupGroup: 'old-0' }), shot({ id: 'old-0', dupGroup: 'old-0' })];
    const g = groupDuplicates([shot({ id: 'new-3' })], lib);
    expect(g.assign.get('new-3')).toBe('old-0');
    expect(g.merge).toEqual([]);
  });

  test('two new copies of an ungrouped library shot form one group named after the smallest id', () => {
    const g = groupDuplicates([shot({ id: 'n-2' }), shot({ id: 'n-1' })], [shot({ id: 'm-5' })]);
    expect(Object.fromEntries(g.assign)).toEqual({ 'n-2': 'm-5', 'n-1': 'm-5', 'm-5': 'm-5' });
  });

  test('a new shot bridging two groups merges them into the smaller id', () => {
    const lib = [shot({ id: 'x-0', dupGroup: 'g2', phash: 'f0f0a5a50f0f5a50' }), shot({ id: 'y-0', dupGroup: 'g1', phash: 'f0f0a5a50f0f5a5f' })];
    const g = groupDuplicates([shot({ id: 'z-0' })], lib);
    expect(g.merge).toEqual([{ from: 'g2', to: 'g1' }]);
    expect(g.assign.get('z-0')).toBe('g1');
  });

  test('shots without a twin get no group', () => {
    const g = groupDuplicates([shot({ id: 'n-0' })], [shot({ id: 'm-0', phash: '0f0f5a5af0f0a5a5' })]);
    expect(g.assign.size).toBe(0);
  });

  test('grouping is the same whatever order the incoming shots come in', () => {
    const hashes = ['f0f0a5a50f0f5a5a', 'f0f0a5a50f0f5a5b', '0f0f5a5af0f0a5a5', '0f0f5a5af0f0a5a4', 'ffff0000ffff0000'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...hashes), { minLength: 1, maxLength: 8 }), (picks) => {
        const shots = picks.map((h, i) => shot({ id: `s-${i}`, phash: h }));
        const a = groupDuplicates(shots, []);
        const b = groupDuplicates([...shots].reverse(), []);
        expect(Object.fromEntries([...a.assign].sort())).toEqual(Object.fromEntries([...b.assign].sort()));
        for (const [id, g] of a.assign) for (const [id2, g2] of a.assign) {
          const same = shots.find((s) => s.id === id)!.phash.slice(0, 8) === shots.find((s) => s.id === id2)!.phash.slice(0, 8);
          expect(g === g2).toBe(same);
        }
      }),
    );
  });
});

describe('sameFootage', () => {
  /** Frame signatures of a shot: a grey gradient with a bright cell at `path(f)` on frame f. */
  const footage = (frames: number, path: (f: number) => number, lift = 0, noise = 0, seed = 1): Uint8Array => {
    let s = seed;
    const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 2 * noise;
    const out = new Uint8Array(frames * FRAME_SIG_BYTES);
    for (let f = 0; f < frames; f++) {
      for (let k = 0; k < FRAME_SIG_BYTES; k++) {
        const v = 40 + 4 * (k % FRAME_SIG_PLANES[0].cols) + (k === path(f) % FRAME_SIG_BYTES ? 30 : 0) + lift + rand();
        out[f * FRAME_SIG_BYTES + k] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
    return out;
  };
  const across = (f: number) => 8 + Math.floor(f / 6);

  test('an excerpt of the same frames, re-graded and re-encoded, lines up; the same set with the object elsewhere does not', () => {
    const film = footage(96, across);
    const excerpt = footage(30, (f) => across(f + 40), 12, 2, 7);
    expect(sameFootage(film, excerpt)).toBe(true);
    expect(sameFootage(excerpt, film)).toBe(true);
    const otherWay = footage(96, (f) => 23 - Math.floor(f / 6));
    expect(sameFootage(film, otherWay)).toBe(false);
    const stillObject = footage(30, () => 12, 0, 2, 3);
    expect(sameFootage(film, stillObject)).toBe(false);
  });

  test('a shot too short to tell, and a long shot compared on its sampled frames', () => {
    expect(sameFootage(footage(2, across), footage(96, (f) => 23 - f))).toBe(true);
    const long = footage(600, (f) => 8 + Math.floor(f / 8));
    expect(sameFootage(long, footage(400, (f) => 8 + Math.floor((f + 150) / 8), 0, 2, 5))).toBe(true);
    expect(sameFootage(long, footage(400, (f) => 100 - Math.floor(f / 8)))).toBe(false);
  });

  test('groupDuplicates leaves a pair apart when the caller\'s pair decision says no', () => {
    const a = shot({ id: 'a-0' });
    const b = shot({ id: 'b-0' });
    expect(groupDuplicates([a], [b]).assign.size).toBe(2);
    expect(groupDuplicates([a], [b], () => false).assign.size).toBe(0);
  });
});
