import { expect, test } from 'vitest';
import fc from 'fast-check';
import { FrameFeatureExtractor, relitAcross, type AnalysisFrame } from './features.js';

// The extractor computes everything about the luma plane in one fused pass; these are the same
// measures written the plain way, one loop each, to check that pass against.

function laplacianVariance(y: Uint8Array, w: number, h: number): number {
  let s = 0;
  let s2 = 0;
  let n = 0;
  for (let r = 1; r < h - 1; r++) {
    for (let x = 1; x < w - 1; x++) {
      const i = r * w + x;
      const l = 4 * y[i]! - y[i - 1]! - y[i + 1]! - y[i - w]! - y[i + w]!;
      s += l;
      s2 += l * l;
      n++;
    }
  }
  return n ? s2 / n - (s / n) * (s / n) : 0;
}

function lumaHistogram(y: Uint8Array): number[] {
  const h = new Array<number>(32).fill(0);
  for (const p of y) h[p >> 3]!++;
  return h.map((c) => c / y.length);
}

const frameArb = (w: number, h: number) =>
  fc.record({
    y: fc.uint8Array({ minLength: w * h, maxLength: w * h }),
    u: fc.uint8Array({ minLength: (w * h) / 4, maxLength: (w * h) / 4 }),
    v: fc.uint8Array({ minLength: (w * h) / 4, maxLength: (w * h) / 4 }),
  });

test('luma measures of the fused pass equal the plain per-measure computations', () => {
  const W = 64;
  const H = 36;
  fc.assert(
    fc.property(fc.array(frameArb(W, H), { minLength: 2, maxLength: 4 }), (planes) => {
      const ex = new FrameFeatureExtractor(W, H);
      let prev: Uint8Array | null = null;
      let prevHist: number[] | null = null;
      for (const p of planes) {
        const frame: AnalysisFrame = { width: W, height: H, ...p };
        const f = ex.push(frame);
        const n = W * H;
        expect(f.meanLuma).toBeCloseTo(p.y.reduce((a, b) => a + b, 0) / n, 9);
        expect(f.brightFraction).toBeCloseTo(p.y.filter((q) => q > 48).length / n, 12);
        expect(f.sharpness).toBeCloseTo(laplacianVariance(p.y, W, H), 6);
        const motion = prev ? p.y.reduce((a, q, i) => a + Math.abs(q - prev![i]!), 0) / n : 0;
        expect(f.motion).toBeCloseTo(motion, 9);
        const hist = lumaHistogram(p.y);
        if (prevHist) {
          // histDiff covers Y, U and V; at least the luma part of it is there.
          const yPart = hist.reduce((a, c, i) => a + Math.abs(c - prevHist![i]!), 0) / 6;
          expect(f.histDiff).toBeGreaterThanOrEqual(yPart - 1e-6);
        }
        prev = p.y;
        prevHist = hist;
      }
    }),
    { numRuns: 40 },
  );
});

test('a flat frame has no sharpness and a bright frame counts only pixels above 48 as bright', () => {
  const W = 64;
  const H = 36;
  const ex = new FrameFeatureExtractor(W, H);
  const y = new Uint8Array(W * H).fill(48);
  y.fill(49, 0, W * 9); // the top quarter just above the threshold
  const f = ex.push({ width: W, height: H, y, u: new Uint8Array((W * H) / 4).fill(128), v: new Uint8Array((W * H) / 4).fill(128) });
  expect(f.brightFraction).toBe(0.25);
  // Only the rows at the step between 49 and 48 have a non-zero Laplacian.
  expect(f.sharpness).toBeGreaterThan(0);
  const flat = new FrameFeatureExtractor(W, H).push({ width: W, height: H, y: new Uint8Array(W * H).fill(90), u: new Uint8Array((W * H) / 4), v: new Uint8Array((W * H) / 4) });
  expect(flat.sharpness).toBe(0);
  expect(flat.brightFraction).toBe(1);
});

test('relit: the same view under a brighter exposure reads near 1; a mix into another picture, or a fade to black, does not', () => {
  const W = 128;
  const H = 72;
  // A textured grey view (the same in every frame) and a different, coloured one.
  const view = (x: number, y: number) => 60 + ((x * 7 + y * 13) % 40);
  const other = (x: number, y: number) => 40 + ((x * 3 + y * 29) % 150);
  const frame = (luma: (x: number, y: number) => number, chroma: [number, number]): AnalysisFrame => {
    const y = new Uint8Array(W * H);
    for (let r = 0; r < H; r++) for (let x = 0; x < W; x++) y[r * W + x] = Math.min(255, Math.round(luma(x, r)));
    return { width: W, height: H, y, u: new Uint8Array((W * H) / 4).fill(chroma[0]), v: new Uint8Array((W * H) / 4).fill(chroma[1]) };
  };
  const across = (a: (x: number, y: number) => number, b: (x: number, y: number) => number, ca: [number, number], cb: [number, number]) => {
    const ex = new FrameFeatureExtractor(W, H);
    return relitAcross(ex.push(frame(a, ca)).blocks, ex.push(frame(b, cb)).blocks);
  };
  const grey: [number, number] = [128, 128];
  expect(across(view, (x, y) => 16 + 1.8 * (view(x, y) - 16), grey, grey)).toBeGreaterThan(0.95);
  const bright = (x: number, y: number) => 60 + view(x, y);
  expect(across(bright, (x, y) => 16 + 0.55 * (bright(x, y) - 16), grey, grey)).toBeGreaterThan(0.95);
  expect(across(view, other, grey, [90, 170])).toBeLessThan(0.3);
  expect(across(view, () => 16, grey, grey)).toBe(0);
});
