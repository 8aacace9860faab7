import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { attributionShares, clipEmbedding, gaussianNoise, nearestRows, sharesBy, tokenize } from './index.js';

const spec = { lowercase: true, pattern: '[a-z0-9]+', pad: 0, bos: 1, unk: 2, vocab: ['<pad>', '<bos>', '<unk>', 'a', 'red', 'ball', 'moving', 'left'] };

describe('tokenizer (docs/model-format.md)', () => {
  it('lowercases, splits on the pattern, starts with BOS, maps unknown words to UNK and pads', () => {
    const t = tokenize('A RED ball, moving-left... quickly!', spec, 10);
    expect(t.ids).toEqual([1, 3, 4, 5, 6, 7, 2, 0, 0, 0]);
    expect(t.mask).toEqual([1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
    expect(t.unknown).toEqual(['quickly']);
  });
  it('gives the empty caption as BOS alone, and truncates long prompts', () => {
    expect(tokenize('', spec, 4)).toEqual({ ids: [1, 0, 0, 0], mask: [1, 0, 0, 0], unknown: [], truncated: 0 });
    const long = tokenize('a red ball a red ball', spec, 4);
    expect(long.ids).toEqual([1, 3, 4, 5]);
    expect(long.truncated).toBe(3);
  });
});

describe('attribution', () => {
  const shape = { channels: 3, frames: 8, height: 8, width: 8 };
  it('embeds to a unit vector of length C + 64·C, the same for the same clip', () => {
    const x = gaussianNoise(1, 3 * 8 * 64);
    const e = clipEmbedding(x, shape);
    expect(e.length).toBe(3 + 64 * 3);
    expect(e.reduce((s, v) => s + v * v, 0)).toBeCloseTo(1, 5);
    expect(clipEmbedding(x, shape)).toEqual(e);
  });
  it('finds a clip itself as its nearest neighbour', () => {
    const rows = [2, 3, 4, 5].map((seed) => clipEmbedding(gaussianNoise(seed, 3 * 8 * 64), shape));
    const index = new Float32Array(rows.flatMap((r) => [...r]));
    const hit = nearestRows(rows[2]!, index, rows[0]!.length, 2);
    expect(hit[0]!.row).toBe(2);
    expect(hit[0]!.similarity).toBeCloseTo(1, 5);
  });
  it('a near-zero share stays non-negative after rounding (found by the property below)', () => {
    const shares = attributionShares([0.9999970062441935, 0, 0, -0.836843022239662]);
    shares.forEach((s) => expect(s).toBeGreaterThanOrEqual(0));
    expect(Math.abs(shares.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
  });
  it('shares are positive, ordered like similarity, and sum to 1', () => {
    fc.assert(fc.property(fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 1, maxLength: 30 }), (sims) => {
      const shares = attributionShares(sims);
      expect(Math.abs(shares.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
      shares.forEach((s) => expect(s).toBeGreaterThanOrEqual(0));
      for (let i = 0; i < sims.length; i++) for (let j = 0; j < sims.length; j++) if (sims[i]! > sims[j]! + 1e-9) expect(shares[i]!).toBeGreaterThanOrEqual(shares[j]! - 1e-12);
      const byTitle = sharesBy(shares.map((share, i) => ({ key: `t${i % 3}`, share })));
      expect(Math.abs(byTitle.reduce((a, b) => a + b.share, 0) - 1)).toBeLessThan(1e-12);
    }));
  });
});
