// Attribution: embed a generation the way the trainer embedded every training clip (pool444-v1 in
// docs/model-format.md), find the nearest training clips, and turn similarities into shares that sum
// to 1 — per clip, then per title, a ledger the studio can pay royalties from.
import type { VideoShape } from './conditioning.js';

/** Per-channel means, then a 4×4×4 grid of mean-centred averages; L2-normalised. Length C + 64·C. */
export function clipEmbedding(x: Float32Array, shape: VideoShape, opts: { clamp?: boolean } = {}): Float32Array {
  const { channels: C, frames: T, height: H, width: W } = shape;
  const plane = H * W;
  const e = new Float64Array(C + 64 * C);
  const counts = new Float64Array(64);
  for (let t = 0; t < T; t++) for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) counts[Math.floor((t * 4) / T) * 16 + Math.floor((y * 4) / H) * 4 + Math.floor((xx * 4) / W)]! += 1;
  for (let c = 0; c < C; c++) {
    const base = c * T * plane;
    let sum = 0;
    const value = (i: number) => {
      const v = x[base + i]!;
      return opts.clamp ? Math.min(1, Math.max(-1, v)) : v;
    };
    for (let i = 0; i < T * plane; i++) sum += value(i);
    const mean = sum / (T * plane);
    e[c] = mean;
    for (let t = 0; t < T; t++) {
      for (let y = 0; y < H; y++) {
        for (let xx = 0; xx < W; xx++) {
          const bin = Math.floor((t * 4) / T) * 16 + Math.floor((y * 4) / H) * 4 + Math.floor((xx * 4) / W);
          e[C + c * 64 + bin]! += value(t * plane + y * W + xx) - mean;
        }
      }
    }
    for (let b = 0; b < 64; b++) e[C + c * 64 + b]! /= Math.max(1, counts[b]!);
  }
  let norm = 0;
  for (const v of e) norm += v * v;
  norm = Math.sqrt(norm) || 1;
  return Float32Array.from(e, (v) => v / norm);
}

export interface Neighbour {
  row: number;
  similarity: number;
}

/** The k rows of an N×dim row-major index most similar (dot product) to e, best first. */
export function nearestRows(e: Float32Array, index: Float32Array, dim: number, k: number): Neighbour[] {
  if (e.length !== dim) throw new RangeError(`embedding has ${e.length} values, the index ${dim}`);
  const n = Math.floor(index.length / dim);
  const all: Neighbour[] = [];
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += e[j]! * index[r * dim + j]!;
    all.push({ row: r, similarity: s });
  }
  all.sort((a, b) => b.similarity - a.similarity || a.row - b.row);
  return all.slice(0, k);
}

/**
 * Shares by a softmax over similarity with a temperature: closer clips earn more, every listed clip
 * earns something, and the shares sum to 1 (the largest share absorbs floating-point rounding).
 * τ = 0.05 on cosine similarity: a clip 0.05 less similar earns e⁻¹ as much.
 */
export function attributionShares(similarities: number[], temperature = 0.05): number[] {
  if (similarities.length === 0) return [];
  const top = Math.max(...similarities);
  const w = similarities.map((s) => Math.exp((s - top) / temperature));
  const total = w.reduce((a, b) => a + b, 0);
  const shares = w.map((v) => v / total);
  // The rounding remainder goes to the largest share: given to a near-zero one it could turn negative.
  const big = similarities.indexOf(top);
  const rest = shares.reduce((a, b, i) => (i === big ? a : a + b), 0);
  shares[big] = 1 - rest;
  return shares;
}

/** Sums shares per key (a title), largest first; the result still sums to 1. */
export function sharesBy<K extends string>(items: Array<{ key: K; share: number }>): Array<{ key: K; share: number }> {
  const by = new Map<K, number>();
  for (const it of items) by.set(it.key, (by.get(it.key) ?? 0) + it.share);
  return [...by].map(([key, share]) => ({ key, share })).sort((a, b) => b.share - a.share || (a.key < b.key ? -1 : 1));
}
