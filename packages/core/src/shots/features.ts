// Per-frame features for shot analysis, computed from one small decoded frame at a time (pure; the
// ffmpeg adapter feeds frames). State is a ring of the last MAX_LAG tiny frames, so memory does not
// grow with the film's length.

/** One decoded frame at analysis resolution, planar YUV 4:2:0 (chroma planes are half size). */
export interface AnalysisFrame {
  width: number;
  height: number;
  y: Uint8Array;
  u: Uint8Array;
  v: Uint8Array;
}

/** Lags (in frames) at which each frame is compared with earlier frames. */
export const SHORT_LAGS = [1, 2, 3, 4, 5, 6] as const;
/** Windows over which gradual transitions (dissolves, fades, wipes) are looked for. Even, so a window has a middle frame. */
export const LONG_LAGS = [6, 8, 12, 16, 24, 32, 48, 64] as const;
export const MAX_LAG = 64;

/** The tiny grid frames are compared on: 32 columns of square blocks, block means of Y, U and V. */
export const GRID_COLUMNS = 32;

export interface FrameFeatures {
  index: number;
  /** Mean Y, 0..255 (video range: black is about 16). */
  meanLuma: number;
  /** Fraction of pixels brighter than Y 48: near 0 on a black frame, whatever its noise. */
  brightFraction: number;
  /** Variance of the 4-neighbour Laplacian of Y: focus/detail. */
  sharpness: number;
  /** Mean |Y - previous Y| per pixel (0 on the first frame): motion energy. */
  motion: number;
  /** Half the L1 distance between this and the previous frame's Y/U/V histograms, 0..1. */
  histDiff: number;
  /**
   * diff[k]: mean over grid blocks of |ΔY|+|ΔU|+|ΔV| between this frame and frame index-k, for k in
   * SHORT_LAGS and LONG_LAGS (NaN where that frame does not exist or k is not a lag we compute).
   */
  diff: Float64Array;
  /**
   * mix[k] for k in LONG_LAGS: mean |M - (A+B)/2| where A = frame index-k, B = this frame and M the
   * frame halfway between. Near 0 inside a dissolve or fade (frames are linear mixes), about half of
   * diff[k] across a cut or a wipe. NaN where unavailable.
   */
  mix: Float64Array;
  /**
   * split[k] for k in LONG_LAGS: fraction of changed blocks whose middle frame is close to A or to B
   * (not in between): high across a wipe, low across a dissolve.
   */
  split: Float64Array;
  /**
   * cover[k] for k in LONG_LAGS: fraction of blocks that changed clearly between frame index-k and
   * this one. A transition replaces (nearly) the whole picture; a title fading in or a person walking
   * into a static shot changes a part of it.
   */
  cover: Float64Array;
  /**
   * corr[k] for k in LONG_LAGS: correlation of the Y block means of frame index-k and this one. Near 1
   * when the picture keeps its layout (light change, exposure pull, people moving through a fixed
   * view), low across a real transition; 0 when either frame is flat (black).
   */
  corr: Float64Array;
  /**
   * The frame's tiny picture: Y block means (gridCols × gridRows, row by row), then U's, then V's. The
   * boundary decision compares two of these directly where a window passes its other tests
   * (relitAcross), and replaces a frame's grid with an empty one once no window can reach that frame.
   */
  blocks: Float32Array;
}

/** The gains an exposure change may apply; a fade to or from black lies outside them. */
const RELIT_GAIN_MIN = 0.5;
const RELIT_GAIN_MAX = 2;
/** A block is explained when the gain's prediction misses it by less than this fraction of its change. */
const RELIT_MISS_MAX = 0.35;

const HIST_Y_BINS = 32;
const HIST_C_BINS = 16;
const HIST_SIZE = HIST_Y_BINS + 2 * HIST_C_BINS;

interface Tiny {
  /** Block means, Y then U then V, each gridCols*gridRows. */
  blocks: Float32Array;
  hist: Float32Array;
  /** Mean of the Y block means, and the sum of their squared deviations from it. */
  meanY: number;
  spreadY: number;
}

/** Turns a stream of frames into FrameFeatures. One instance per film; frames must all be one size. */
export class FrameFeatureExtractor {
  readonly gridCols = GRID_COLUMNS;
  readonly gridRows: number;
  private readonly block: number;
  /**
   * The last MAX_LAG frames and the current one, in MAX_LAG + 1 slots allocated up front and reused
   * in turn: no allocation and no branch on "is there a spare" per frame. (Taking arrays from a spare
   * that was null for the first MAX_LAG frames sent V8's optimised push back to the interpreter tens
   * to hundreds of times per film: the first 200 frames took 150–180 ms instead of ~100 ms.)
   */
  private readonly slots: Tiny[];
  private prevY: Uint8Array | null = null;
  private count = 0;
  /** Scratch for one frame's integer block sums and histogram counts. */
  private readonly acc: Int32Array;
  private readonly counts = new Int32Array(HIST_SIZE);
  /** Two 256-level luma histograms (even and odd pixels), summed after the scan. */
  private readonly lumaCounts = new Int32Array(512);
  /** scanLuma's sums for the current frame. */
  private readonly scan = new Float64Array(4);

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    if (width % (2 * GRID_COLUMNS) !== 0) throw new Error(`analysis width must be a multiple of ${2 * GRID_COLUMNS}, got ${width}`);
    this.block = width / GRID_COLUMNS;
    this.gridRows = Math.max(1, Math.floor(height / this.block));
    this.acc = new Int32Array(GRID_COLUMNS * this.gridRows * 3);
    const cells = GRID_COLUMNS * this.gridRows;
    this.slots = Array.from({ length: MAX_LAG + 1 }, () => ({ blocks: new Float32Array(cells * 3), hist: new Float32Array(HIST_SIZE), meanY: 0, spreadY: 0 }));
  }

  get frameCount(): number {
    return this.count;
  }

  push(frame: AnalysisFrame): FrameFeatures {
    const { width: w, height: h, y, u, v } = frame;
    if (w !== this.width || h !== this.height) throw new Error(`frame is ${w}x${h}, expected ${this.width}x${this.height}`);
    const cells = this.gridCols * this.gridRows;
    // Sums and counts are integers: accumulate them in integer arrays (exact, and faster than float32
    // read-modify-write), then scale once into the float block means and histograms.
    const acc = this.acc.fill(0);
    const counts = this.counts.fill(0);
    const lumaCounts = this.lumaCounts.fill(0);
    const rowsUsed = this.gridRows * this.block;

    const prev = this.prevY;
    const scan = this.scan;
    scanLuma(y, prev, w, h, this.block, this.gridCols, rowsUsed, acc, lumaCounts, scan);
    const sum = scan[0]!;
    const motion = scan[1]!;
    const lapSum = scan[2]!;
    const lapSq = scan[3]!;
    let bright = 0;
    for (let p = 0; p < 256; p++) {
      const c = lumaCounts[p]! + lumaCounts[256 + p]!;
      counts[p >> 3]! += c;
      if (p > 48) bright += c;
    }
    const lapN = Math.max(0, h - 2) * Math.max(0, w - 2);
    const sharpness = lapN ? lapSq / lapN - (lapSum / lapN) * (lapSum / lapN) : 0;
    const n = w * h;
    const cw = w >> 1;
    const ch = h >> 1;
    const cblock = this.block >> 1;
    scanChroma(u, v, cw, ch, cblock, this.gridCols, this.gridRows * cblock, cells, acc, counts);
    const ypb = this.block * this.block;
    const cpb = cblock * cblock;
    // Frame `count` goes in slot count % (MAX_LAG + 1); the min(count, MAX_LAG) frames before it are behind it.
    const slots = this.slots;
    const head = this.count % slots.length;
    const filled = Math.min(this.count, MAX_LAG);
    const tiny = slots[head]!;
    const { blocks, hist } = tiny;
    for (let i = 0; i < cells; i++) {
      blocks[i] = acc[i]! / ypb;
      blocks[cells + i] = acc[cells + i]! / cpb;
      blocks[2 * cells + i] = acc[2 * cells + i]! / cpb;
    }
    for (let i = 0; i < HIST_Y_BINS; i++) hist[i] = counts[i]! / n;
    for (let i = HIST_Y_BINS; i < HIST_SIZE; i++) hist[i] = counts[i]! / (cw * ch);

    lumaSpread(tiny, cells);
    // One backing store for the five per-lag arrays: typed arrays this size are allocated off the heap.
    const L = MAX_LAG + 1;
    const lagStore = new Float64Array(5 * L).fill(NaN);
    const diff = lagStore.subarray(0, L);
    const mix = lagStore.subarray(L, 2 * L);
    const split = lagStore.subarray(2 * L, 3 * L);
    const cover = lagStore.subarray(3 * L, 4 * L);
    const corr = lagStore.subarray(4 * L, 5 * L);
    let histDiff = 0;
    const back = (k: number): Tiny | undefined => (k <= filled ? slots[(head - k + slots.length) % slots.length] : undefined);
    for (const k of SHORT_LAGS) {
      const a = back(k);
      if (a) diff[k] = blockDistance(a.blocks, blocks);
    }
    for (const k of LONG_LAGS) {
      const a = back(k);
      const m = back(k / 2);
      if (!a || !m) continue;
      const r = compareAcross(a.blocks, m.blocks, blocks, cells);
      diff[k] = r.diff;
      mix[k] = r.mix;
      split[k] = r.split;
      cover[k] = r.cover;
      corr[k] = lumaCorrelation(a, tiny, cells);
    }
    const p1 = back(1);
    if (p1) {
      let d = 0;
      for (let i = 0; i < HIST_SIZE; i++) d += Math.abs(hist[i]! - p1.hist[i]!);
      histDiff = d / 6; // three histograms, each with L1 distance up to 2
    }

    const copy = this.prevY && this.prevY.length === y.length ? this.prevY : new Uint8Array(y.length);
    copy.set(y);
    this.prevY = copy;
    const index = this.count++;
    return {
      index,
      meanLuma: sum / n,
      brightFraction: bright / n,
      sharpness,
      motion: prev ? motion / n : 0,
      histDiff,
      diff,
      mix,
      split,
      cover,
      corr,
      blocks: blocks.slice(),
    };
  }
}

/**
 * Y, one pass over the plane: block sums into `acc`, 256-level histograms of the even and of the odd
 * pixels into `lumaCounts` (which give both the 32-bin histogram and the bright fraction without a
 * branch per pixel), motion against the previous frame, and the Laplacian of the row above once its
 * lower neighbour is at hand. Writes sum, motion, Laplacian sum and sum of squares into `out`. The
 * per-pixel loops live in their own functions so that V8 optimises them as whole functions rather
 * than by on-stack replacement inside `push`, whose cached replacement code kept falling back to the
 * interpreter on branches that the first frames never took.
 */
function scanLuma(y: Uint8Array, prev: Uint8Array | null, w: number, h: number, bw: number, gridCols: number, rowsUsed: number, acc: Int32Array, lumaCounts: Int32Array, out: Float64Array): void {
  let sum = 0;
  let motion = 0;
  let lapSum = 0;
  let lapSq = 0;
  // Without a previous frame motion is not used: comparing the frame with itself keeps the loop branch-free.
  const before = prev ?? y;
  for (let yy = 0; yy < h; yy++) {
    const row = yy * w;
    const brow = yy < rowsUsed ? Math.floor(yy / bw) * gridCols : -1;
    // One block's width of pixels at a time: one block-sum update per run instead of per pixel.
    for (let x0 = 0, b = brow; x0 < w; x0 += bw, b++) {
      let run = 0;
      // Two pixels a step, each into its own histogram: flat areas send pixel after pixel to the
      // same bin, and one histogram would make every increment wait for the one before.
      for (let x = row + x0, end = x + bw; x < end; x += 2) {
        const p = y[x]!;
        const q = y[x + 1]!;
        run += p + q;
        lumaCounts[p]!++;
        lumaCounts[256 + q]!++;
        motion += Math.abs(p - before[x]!) + Math.abs(q - before[x + 1]!);
      }
      sum += run;
      if (brow >= 0) acc[b]! += run;
    }
    if (yy >= 2 && w >= 3) {
      // Left and centre carried along the row: three loads per pixel instead of five.
      const mid = row - w;
      let left = y[mid]!;
      let centre = y[mid + 1]!;
      for (let i = mid + 1, end = mid + w - 1; i < end; i++) {
        const right = y[i + 1]!;
        const l = 4 * centre - left - right - y[i - w]! - y[i + w]!;
        lapSum += l;
        lapSq += l * l;
        left = centre;
        centre = right;
      }
    }
  }
  out[0] = sum;
  out[1] = motion;
  out[2] = lapSum;
  out[3] = lapSq;
}

/** U and V at half resolution: block sums into `acc` after the Y cells, 16-bin histograms into `counts`. */
function scanChroma(u: Uint8Array, v: Uint8Array, cw: number, ch: number, cblock: number, gridCols: number, crowsUsed: number, cells: number, acc: Int32Array, counts: Int32Array): void {
  for (let yy = 0; yy < ch; yy++) {
    const row = yy * cw;
    const brow = yy < crowsUsed ? Math.floor(yy / cblock) * gridCols : -1;
    for (let x0 = 0, b = brow; x0 < cw; x0 += cblock, b++) {
      let runU = 0;
      let runV = 0;
      for (let x = row + x0, end = x + cblock; x < end; x++) {
        const pu = u[x]!;
        const pv = v[x]!;
        runU += pu;
        runV += pv;
        counts[HIST_Y_BINS + (pu >> 4)]!++;
        counts[HIST_Y_BINS + HIST_C_BINS + (pv >> 4)]!++;
      }
      if (brow >= 0) {
        acc[cells + b]! += runU;
        acc[2 * cells + b]! += runV;
      }
    }
  }
}

/** Mean over blocks of |ΔY| + |ΔU| + |ΔV|: 0..765, a luma-only change of 30 levels reads 30. */
function blockDistance(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += Math.abs(a[i]! - b[i]!);
  return d / (a.length / 3);
}

/**
 * One pass over the blocks of A (frame index-k), M (the middle frame) and B (this frame): diff[k] as
 * blockDistance gives it, and mix, split and cover. Block means are multiples of 1/16, so the sums
 * are exact whatever their order.
 */
function compareAcross(a: Float32Array, m: Float32Array, b: Float32Array, cells: number): { diff: number; mix: number; split: number; cover: number } {
  let total = 0;
  let resid = 0;
  let changed = 0;
  let near = 0;
  for (let c = 0; c < cells; c++) {
    let dab = 0;
    let dam = 0;
    let dbm = 0;
    for (let ch = 0; ch < 3; ch++) {
      const i = ch * cells + c;
      const av = a[i]!;
      const bv = b[i]!;
      const mv = m[i]!;
      resid += Math.abs(mv - (av + bv) / 2);
      dab += Math.abs(av - bv);
      dam += Math.abs(av - mv);
      dbm += Math.abs(bv - mv);
    }
    total += dab;
    if (dab > 40) {
      changed++;
      if (Math.min(dam, dbm) < 0.2 * dab) near++;
    }
  }
  return { diff: total / cells, mix: resid / cells, split: changed ? near / changed : 0, cover: changed / cells };
}

/**
 * How far the change from tiny picture A to B (FrameFeatures.blocks) is the same view under another
 * exposure: near 1 when the same view got brighter or darker (a camera's exposure following a bright
 * car out of the frame), low across a transition to another picture.
 * Of the blocks whose Y+U+V changed by more than 40 between A and B, the fraction that a single
 * exposure gain g explains: B's Y above black (16) is g times A's, and B's U and V are g times as far
 * from grey (128) as A's, within RELIT_MISS_MAX of the block's change. g is the median of the changed,
 * not-black blocks' Y gains; 0 when it falls outside [RELIT_GAIN_MIN, RELIT_GAIN_MAX] or when most
 * changed blocks are black at either end (a fade).
 */
export function relitAcross(a: Float32Array, b: Float32Array): number {
  const cells = a.length / 3;
  const change = (c: number) => Math.abs(a[c]! - b[c]!) + Math.abs(a[cells + c]! - b[cells + c]!) + Math.abs(a[2 * cells + c]! - b[2 * cells + c]!);
  const gains: number[] = [];
  let changed = 0;
  for (let c = 0; c < cells; c++) {
    if (change(c) <= 40) continue;
    changed++;
    if (a[c]! > 24 && b[c]! > 24) gains.push((b[c]! - 16) / (a[c]! - 16));
  }
  if (changed === 0 || gains.length < 0.5 * changed) return 0;
  const g = gains.sort((x, y) => x - y)[gains.length >> 1]!;
  if (g < RELIT_GAIN_MIN || g > RELIT_GAIN_MAX) return 0;
  let explained = 0;
  for (let c = 0; c < cells; c++) {
    const d = change(c);
    if (d <= 40) continue;
    const miss =
      Math.abs(b[c]! - (16 + g * (a[c]! - 16))) +
      Math.abs(b[cells + c]! - (128 + g * (a[cells + c]! - 128))) +
      Math.abs(b[2 * cells + c]! - (128 + g * (a[2 * cells + c]! - 128)));
    if (miss < RELIT_MISS_MAX * d) explained++;
  }
  return explained / changed;
}

/** Sets the mean and summed squared deviation of a frame's Y block means (the first `cells` values). */
function lumaSpread(tiny: Tiny, cells: number): void {
  const blocks = tiny.blocks;
  let s = 0;
  for (let i = 0; i < cells; i++) s += blocks[i]!;
  const meanY = s / cells;
  let spreadY = 0;
  for (let i = 0; i < cells; i++) {
    const x = blocks[i]! - meanY;
    spreadY += x * x;
  }
  tiny.meanY = meanY;
  tiny.spreadY = spreadY;
}

/** Pearson correlation of the Y block means of two frames; 0 if either is flat. */
function lumaCorrelation(a: Tiny, b: Tiny, cells: number): number {
  // Flat: a standard deviation under 2 levels (black, a plain card).
  if (a.spreadY < 4 * cells || b.spreadY < 4 * cells) return 0;
  let cab = 0;
  for (let i = 0; i < cells; i++) cab += (a.blocks[i]! - a.meanY) * (b.blocks[i]! - b.meanY);
  return cab / Math.sqrt(a.spreadY * b.spreadY);
}
