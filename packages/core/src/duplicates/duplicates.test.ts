import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { groupDuplicates, isNearDuplicate, type DuplicateCandidate } from './duplicates.js';

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
