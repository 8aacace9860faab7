import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { partitionPoint } from './sorted.js';

describe('partitionPoint', () => {
  it('finds the first element not below a value, as a scan from the start does', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -20, max: 20 }), { maxLength: 40 }), fc.integer({ min: -25, max: 25 }), (xs, x) => {
        const sorted = [...xs].sort((a, b) => a - b);
        const scanned = sorted.findIndex((v) => v >= x);
        expect(partitionPoint(sorted.length, (i) => sorted[i]! < x)).toBe(scanned < 0 ? sorted.length : scanned);
      }),
    );
  });
});
