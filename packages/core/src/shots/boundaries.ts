// The shot-boundary decision: a pure, streaming function of per-frame features (features.ts).
// Hard cuts are isolated peaks of frame-to-frame change whose picture does not come back within a few
// frames (so flashes and dropouts are not cuts). Gradual transitions are windows over which the picture
// changes a lot but monotonically (the sum of the steps is about the direct change); the frame halfway
// is a mix of the ends for dissolves/fades and one-or-the-other for wipes. Decisions are final after
// `BOUNDARY_DELAY` frames, so memory is a small window whatever the film's length.
import { LONG_LAGS, relitAcross, type FrameFeatures } from './features.js';

export type BoundaryKind = 'cut' | 'dissolve' | 'fade' | 'wipe';

export interface Boundary {
  kind: BoundaryKind;
  /** First frame of the new shot (a gradual transition: its first frame). */
  frame: number;
  /** First frame fully of the incoming shot (a cut: equal to frame). */
  end: number;
}

export interface BoundaryParams {
  /** A cut's lag-1 change must be at least this (block distance units, 0..765). */
  cutMin: number;
  /** ...and this many times the largest change among the `cutWindow` frames either side. */
  cutPeakRatio: number;
  cutWindow: number;
  /** Histogram route to a cut (for cuts during fast motion): histDiff at least this... */
  cutHistMin: number;
  /** ...and this many times the largest neighbouring histDiff. */
  cutHistPeakRatio: number;
  /** Frames after (and before) a cut in which the picture must not return (flash, dropout). */
  returnSpan: number;
  /** "Returned" means the change across the event falls below this fraction of the cut's change. */
  returnRatio: number;
  /** A gradual transition's total change must be at least this. */
  gradualMin: number;
  /** Fraction of the picture's blocks a gradual transition must change (titles, people entering change less). */
  gradualCoverMin: number;
  /** A gradual transition's end frames may correlate (layout of Y) at most this much: above it, the same picture got brighter or something moved through it. */
  gradualCorrMax: number;
  /** A gradual window in which at least this fraction of the changed blocks follows one exposure gain is the same view relit, not a transition. */
  gradualRelitMax: number;
  /** Sum of frame-to-frame steps (above noise) over the total change: near 1 when every block moves one way. */
  gradualPathMax: number;
  /** Mean step (above the calmer flank's) inside the window over the calmer flank's median step must reach this. */
  gradualElevation: number;
  /** The window's change over the change the calmer shot makes by itself over the same number of frames. */
  gradualContrast: number;
  /** Total change over the flanks' own change (the larger of those measured) above which the elevation rule is waived: still shots. */
  gradualQuietContrast: number;
  /** No single step may carry more than this fraction of a gradual transition's change. */
  gradualStepMax: number;
  /** Middle-frame mix residual over total change below which the transition is a dissolve/fade. */
  dissolveMixMax: number;
  /** Fraction of changed blocks that are "all A or all B" at the middle above which it is a wipe. */
  wipeSplitMin: number;
  /** Flank length (frames) looked at before and after a gradual window. */
  flank: number;
  /** The content in a flank may change by at most this fraction of the transition's change. */
  flankStableMax: number;
  /** Two fades joined by at most this many frames (a dip to black) count as one fade. */
  dipMerge: number;
  /** ...and so do two fades with at most this many black frames between them of which at most `dipMerge` hold still: a dark picture reads as black before the bottom of its dip, while it still changes. */
  dipBlackMax: number;
  /** A dissolve/wipe followed within this many frames by one back to the picture before it is something passing through, not two transitions. */
  passMax: number;
}

export const DEFAULT_BOUNDARY_PARAMS: BoundaryParams = {
  cutMin: 18,
  cutPeakRatio: 2.2,
  cutWindow: 6,
  cutHistMin: 0.25,
  cutHistPeakRatio: 2.5,
  returnSpan: 4,
  returnRatio: 0.4,
  gradualMin: 16,
  gradualCoverMin: 0.5,
  gradualCorrMax: 0.8,
  gradualRelitMax: 0.75,
  gradualPathMax: 1.5,
  gradualStepMax: 0.4,
  gradualElevation: 1.3,
  gradualContrast: 1.6,
  gradualQuietContrast: 6,
  dissolveMixMax: 0.18,
  wipeSplitMin: 0.55,
  flank: 8,
  flankStableMax: 0.5,
  dipMerge: 8,
  dipBlackMax: 24,
  passMax: 40,
};

const MAX_WINDOW = LONG_LAGS[LONG_LAGS.length - 1]!;
/** A group of overlapping gradual candidates longer than this is ended by force (bounded memory). */
const MAX_GROUP = 240;
/** Frames after which every boundary at or before `received - BOUNDARY_DELAY` is final. */
export const BOUNDARY_DELAY = MAX_GROUP + 3 * MAX_WINDOW + 40;
const KEEP = BOUNDARY_DELAY + MAX_WINDOW + 40;
const NO_BLOCKS = new Float32Array(0);

export interface GradualCandidate {
  s: number;
  e: number;
  total: number;
  mixRatio: number;
  split: number;
  kind: 'dissolve' | 'wipe';
}

interface Group {
  s: number;
  e: number;
  candidates: GradualCandidate[];
}

/**
 * Black, as at the bottom of a fade: dark, and hardly a pixel above Y 48. A night shot with a small
 * bright object in it (2-5 % of the picture) is dark but not black: a dissolve into it is no fade.
 */
function isBlack(f: FrameFeatures): boolean {
  return f.meanLuma < 40 && f.brightFraction < 0.01;
}

/** Streaming detector: push features in frame order, collect final boundaries; call finish() at the end. */
export class ShotBoundaryDetector {
  private readonly p: BoundaryParams;
  private readonly frames: FrameFeatures[] = [];
  private first = 0; // index of frames[0]
  private received = 0;
  private cutChecked = 0; // next frame to test for a cut
  private gradualChecked = 0; // next window end to test
  private group: Group | null = null;
  private pending: Boundary[] = [];
  private emittedThrough = -1;
  private held: Boundary | null = null;
  private lastGradual: Boundary | null = null;
  private readonly blocksKept: number;

  constructor(
    params: Partial<BoundaryParams> = {},
    /** Sees every gradual candidate window (tuning and tests). */
    private readonly trace?: (candidate: GradualCandidate) => void,
  ) {
    this.p = { ...DEFAULT_BOUNDARY_PARAMS, ...params };
    // A window ending at frame e is weighed once frame e + max(flank, MAX_WINDOW) is in, and reaches back MAX_WINDOW from e.
    this.blocksKept = Math.max(this.p.flank, MAX_WINDOW) + MAX_WINDOW + 1;
  }

  /** Every boundary at a frame below this is final (has been returned). */
  get finalBefore(): number {
    return this.held ? Math.min(this.held.frame, this.emittedThrough + 1) : this.emittedThrough + 1;
  }

  private at(i: number): FrameFeatures | undefined {
    return i >= this.first ? this.frames[i - this.first] : undefined;
  }

  private d1(i: number): number {
    const v = this.at(i)?.diff[1];
    return v === undefined || Number.isNaN(v) ? 0 : v;
  }

  push(f: FrameFeatures): Boundary[] {
    if (f.index !== this.received) throw new Error(`features out of order: got frame ${f.index}, expected ${this.received}`);
    this.frames.push(f);
    this.received++;
    // No window reaches back further than this: let the frame's block grid go (the features stay).
    const done = this.at(this.received - 1 - this.blocksKept);
    if (done) done.blocks = NO_BLOCKS;
    if (this.frames.length > KEEP) {
      this.frames.shift();
      this.first++;
    }
    const { cutWindow, returnSpan, flank } = this.p;
    while (this.cutChecked <= this.received - 1 - Math.max(cutWindow, returnSpan)) this.checkCut(this.cutChecked++);
    while (this.gradualChecked <= this.received - 1 - Math.max(flank, MAX_WINDOW)) this.checkGradual(this.gradualChecked++);
    return this.release(this.received - BOUNDARY_DELAY);
  }

  finish(): Boundary[] {
    while (this.cutChecked < this.received) this.checkCut(this.cutChecked++);
    while (this.gradualChecked < this.received) this.checkGradual(this.gradualChecked++);
    this.closeGroup();
    return this.release(Number.POSITIVE_INFINITY, true);
  }

  private checkCut(c: number): void {
    if (c === 0) return;
    const f = this.at(c)!;
    const d = this.d1(c);
    const { cutWindow, cutMin, cutPeakRatio, cutHistMin, cutHistPeakRatio, returnSpan, returnRatio } = this.p;
    let around = 0;
    let aroundHist = 0;
    for (let i = c - cutWindow; i <= c + cutWindow; i++) {
      if (i === c) continue;
      const g = this.at(i);
      if (!g || i === 0) continue;
      around = Math.max(around, this.d1(i));
      aroundHist = Math.max(aroundHist, g.histDiff);
    }
    const byBlocks = d >= cutMin && d >= cutPeakRatio * around;
    const byHist = d >= cutMin && f.histDiff >= cutHistMin && f.histDiff >= cutHistPeakRatio * aroundHist;
    if (!byBlocks && !byHist) return;
    // The picture must not come back: frame c-1 against frames after c, frame c against frames before c-1.
    for (let k = 1; k <= returnSpan; k++) {
      if (this.comesBack(c, k, d)) return;
      const before = f.diff[k + 1];
      if (before !== undefined && !Number.isNaN(before) && before < returnRatio * d) return;
    }
    this.pending.push({ kind: 'cut', frame: c, end: c });
  }

  private checkGradual(e: number): void {
    const fe = this.at(e)!;
    const { gradualMin, gradualCoverMin, gradualCorrMax, gradualRelitMax, gradualPathMax, gradualStepMax, gradualElevation, gradualContrast, gradualQuietContrast, dissolveMixMax, wipeSplitMin, flank, flankStableMax } = this.p;
    for (const L of LONG_LAGS) {
      const s = e - L;
      if (s < 0) break;
      const total = fe.diff[L]!;
      if (!(total >= gradualMin)) continue;
      const noise = this.noiseAround(s, e);
      let path = 0;
      let step = 0;
      for (let i = s + 1; i <= e; i++) {
        const d = this.d1(i);
        path += Math.max(0, d - noise);
        step = Math.max(step, d);
      }
      if (step > gradualStepMax * total || path > gradualPathMax * total) continue;
      // A transition changes faster than the calmer shot does by itself (a steady zoom or drift does
      // not), and over the window far more than that shot does over as many frames. The calmer side,
      // because the other may be the next transition (a fade out straight into a fade in).
      const shotBefore = this.at(s)?.diff[L];
      const shotAfter = this.at(e + L)?.diff[L];
      const sides = [shotBefore, shotAfter].filter((v): v is number => v !== undefined && !Number.isNaN(v));
      // A slow, low-contrast dissolve between two still shots hardly lifts the per-frame steps above
      // the grain; it is still a transition when both shots by themselves change far less over as many
      // frames (a steady zoom or drift never does: its own flanks change as much as the window).
      const quietShots = sides.length > 0 && total >= gradualQuietContrast * Math.max(...sides);
      if (path / L + noise < gradualElevation * noise && !quietShots) continue;
      if (sides.length && total < gradualContrast * Math.min(...sides)) continue;
      // At least one end must be settled: the picture there changes little within a flank (the other
      // end may be the next transition).
      const settled = [this.at(s)?.diff[flank], this.at(e + flank)?.diff[flank]].filter((v): v is number => v !== undefined && !Number.isNaN(v));
      if (settled.length && Math.min(...settled) > flankStableMax * total) continue;
      if (fe.cover[L]! < gradualCoverMin || fe.corr[L]! > gradualCorrMax) continue;
      // A window that starts or ends on a flash frame measures the flash fading, not a transition.
      if (this.inFlash(s, 0.25 * total) || this.inFlash(e, 0.25 * total)) continue;
      // The same view under another exposure (the camera following a bright car out of the frame).
      if (relitAcross(this.at(s)!.blocks, fe.blocks) >= gradualRelitMax) continue;
      const mixRatio = fe.mix[L]! / total;
      const split = fe.split[L]!;
      let kind: GradualCandidate['kind'] | null = null;
      if (mixRatio <= dissolveMixMax) kind = 'dissolve';
      else if (split >= wipeSplitMin) kind = 'wipe';
      if (!kind) continue;
      this.addCandidate({ s, e, total, mixRatio, split, kind });
    }
    if (this.group && (e - MAX_WINDOW > this.group.e || this.group.e - this.group.s > MAX_GROUP)) this.closeGroup();
  }

  private median(from: number, to: number): number {
    const vals: number[] = [];
    for (let i = Math.max(1, from); i <= to; i++) if (this.at(i)) vals.push(this.d1(i));
    if (!vals.length) return 0;
    vals.sort((a, b) => a - b);
    return vals[Math.floor(vals.length / 2)]!;
  }

  /** What a shot does by itself (noise, motion) next to a window: the calmer flank's median step. */
  private noiseAround(s: number, e: number): number {
    const { flank } = this.p;
    const hasBefore = s - flank >= 1;
    const hasAfter = !!this.at(e + flank);
    const before = hasBefore ? this.median(s - flank + 1, s) : Infinity;
    const after = hasAfter ? this.median(e + 1, e + flank) : Infinity;
    const n = Math.min(before, after);
    return Number.isFinite(n) ? n : 0;
  }

  private addCandidate(c: GradualCandidate): void {
    this.trace?.(c);
    if (this.group && c.s <= this.group.e) {
      this.group.candidates.push(c);
      this.group.s = Math.min(this.group.s, c.s);
      this.group.e = Math.max(this.group.e, c.e);
      return;
    }
    this.closeGroup();
    this.group = { s: c.s, e: c.e, candidates: [c] };
  }

  /**
   * Picks transitions from a group of overlapping candidate windows. Dissolve-shaped windows first,
   * biggest change first: each with the windows overlapping it by more than half is one transition,
   * placed at the shortest of them that holds 90% of their change (and any window reaching into that
   * one, other than through black, goes with it). Then wipe-shaped windows the same
   * way, leaving out any that touch a dissolve already picked (a window off the centre of a dissolve,
   * or straddling two, looks like a wipe).
   */
  private closeGroup(): void {
    const g = this.group;
    this.group = null;
    if (!g) return;
    const overlap = (p: GradualCandidate, c: GradualCandidate) => Math.min(p.e, c.e) - Math.max(p.s, c.s);
    const pick = (candidates: GradualCandidate[]): GradualCandidate[] => {
      let rest = [...candidates].sort((x, y) => y.total - x.total);
      const picked: GradualCandidate[] = [];
      while (rest.length) {
        const top = rest[0]!;
        const same = (c: GradualCandidate) => overlap(top, c) > 0.5 * Math.min(top.e - top.s, c.e - c.s);
        const cluster = rest.filter(same);
        const max = Math.max(...cluster.map((c) => c.total));
        const chosen = cluster.filter((c) => c.total >= 0.9 * max).sort((x, y) => x.e - x.s - (y.e - y.s) || y.total - x.total)[0]!;
        picked.push(chosen);
        // A window that reaches into the chosen one sees that transition and some settled picture
        // beside it, even when it overlaps the biggest window by half or less: not another one. Unless
        // they meet in black: a fade out and the fade in after it share the bottom of the dip.
        rest = rest.filter((c) => !same(c) && (overlap(chosen, c) <= 0 || this.blackWithin(Math.max(chosen.s, c.s), Math.min(chosen.e, c.e))));
      }
      return picked;
    };
    const dissolves = pick(g.candidates.filter((c) => c.kind === 'dissolve'));
    const wipes = pick(g.candidates.filter((c) => c.kind === 'wipe' && !dissolves.some((d) => overlap(d, c) > 0)));
    for (const c of [...dissolves, ...wipes]) this.refine(c);
  }

  /**
   * How many of the frames from i to j hold still (mean luma within 0.5 of the frame before) when all
   * of them are black; Infinity when one is not (or is no longer held). A black hold between a fade
   * out and a fade in holds still; the darkest steps of a fade in from a dark picture do not.
   */
  private blackStillFor(i: number, j: number): number {
    let still = 0;
    for (let k = i; k <= j; k++) {
      const f = this.at(k);
      const before = this.at(k - 1);
      if (!f || !before || !isBlack(f)) return Number.POSITIVE_INFINITY;
      if (Math.abs(f.meanLuma - before.meanLuma) < 0.5) still++;
    }
    return still;
  }

  /** Some frame from i to j is black. */
  private blackWithin(i: number, j: number): boolean {
    for (let k = i; k <= j; k++) {
      const f = this.at(k);
      if (f && isBlack(f)) return true;
    }
    return false;
  }

  /**
   * Step i goes into or out of a flash (one to three frames after which the picture comes back): such
   * steps are not part of a gradual transition, however large.
   */
  private flashStep(i: number): boolean {
    for (let m = 1; m <= 3; m++) if (this.isFlash(i, m) || this.isFlash(i - m, m)) return true;
    return false;
  }

  /**
   * Frame i is one of the frames of a flash: a jump of at least `minJump` into at most `returnSpan`
   * frames after which the picture before them comes back (grain in a still shot is no flash).
   */
  private inFlash(i: number, minJump: number): boolean {
    for (let m = 1; m <= this.p.returnSpan; m++) {
      for (let j = i - m + 1; j <= i; j++) if (this.isFlash(j, m, minJump)) return true;
    }
    return false;
  }

  /** Frames j..j+m-1 are a flash: a jump (of at least `minJump`) into frame j, and frame j+m is close to frame j-1 again. */
  private isFlash(j: number, m: number, minJump = 0): boolean {
    const up = j > 0 && this.at(j) ? this.d1(j) : 0;
    return up > 0 && up >= minJump && this.comesBack(j, m, up);
  }

  /** After the change `d` into frame j, frame j+k is back within returnRatio·d of frame j-1. */
  private comesBack(j: number, k: number, d: number): boolean {
    const v = this.at(j + k)?.diff[k + 1];
    return v !== undefined && !Number.isNaN(v) && v < this.p.returnRatio * d;
  }

  /** The transition's own frames around a window: where the step size stands out from both flanks. */
  private refine(c: GradualCandidate): void {
    const { flank } = this.p;
    const before = this.median(c.s - flank + 1, c.s);
    const after = this.at(c.e + 1) ? this.median(c.e + 1, c.e + flank) : before;
    const stepAt = (i: number) => (this.flashStep(i) ? Math.min(before, after) : this.d1(i));
    const inside: number[] = [];
    for (let i = c.s + 1; i <= c.e; i++) inside.push(stepAt(i));
    inside.sort((a, b) => b - a);
    const plateau = inside[Math.floor(inside.length / 4)] ?? 0;
    let start = -1;
    let end = -1;
    for (let i = c.s + 1; i <= c.e; i++) {
      const d = stepAt(i);
      if (start < 0 && d > before + 0.5 * (plateau - before)) start = i;
      if (d > after + 0.5 * (plateau - after)) end = i;
    }
    // A neighbouring transition may follow at once (its steps fill a flank): then measure against
    // the calmer side.
    const calm = Math.min(before, after);
    if (end < 0) for (let i = c.s + 1; i <= c.e; i++) if (stepAt(i) > calm + 0.5 * (plateau - calm)) end = i;
    if (start < 0) for (let i = c.s + 1; i <= c.e && start < 0; i++) if (stepAt(i) > calm + 0.5 * (plateau - calm)) start = i;
    if (start < 0) start = c.s + 1;
    if (end < start) end = c.e;
    // Never through black: that is the bottom of a dip, where a fade out meets a fade in.
    const raised = (i: number, base: number) => stepAt(i) > base + 0.25 * (plateau - base);
    const black = (i: number) => {
      const f = this.at(i);
      return !f || isBlack(f);
    };
    while (start - 1 > Math.max(0, c.s - flank) && raised(start - 1, before) && !black(start - 1) && !black(start - 2)) start--;
    while (end + 1 <= c.e + flank && !black(end) && this.at(end + 1) && raised(end + 1, after)) end++;
    // A fade in from black whose first, darkest steps hid under the grain: walk back from the start
    // while the picture keeps getting darker; reaching black makes it a fade that starts right after
    // the black. The same forward from the end of a fade out.
    const darkeningTo = (from: number, dir: -1 | 1): number | null => {
      for (let j = from, n = 0; n < flank; n++, j += dir) {
        const f = this.at(j);
        const g = this.at(j + dir);
        if (!f || !g) return null;
        if (isBlack(g)) return j + dir;
        if (g.meanLuma > f.meanLuma + 0.5) return null;
      }
      return null;
    };
    let fade = c.kind === 'dissolve' && (this.blackWithin(start - 2, start + 1) || this.blackWithin(end - 1, end + 2));
    if (c.kind === 'dissolve' && !fade) {
      const blackBefore = darkeningTo(start, -1);
      const blackAfter = blackBefore === null ? darkeningTo(end, 1) : null;
      if (blackBefore !== null) start = blackBefore + 1;
      if (blackAfter !== null) end = blackAfter;
      fade = blackBefore !== null || blackAfter !== null;
    }
    this.pending.push({ kind: fade ? 'fade' : c.kind, frame: start, end });
  }

  /** Distance between frames i < j (block distance) where j - i is a lag the features carry. */
  private distance(i: number, j: number): number | undefined {
    const v = this.at(j)?.diff[j - i];
    return v === undefined || Number.isNaN(v) ? undefined : v;
  }

  /**
   * Something large crossed a still shot: the picture after `b` is again the picture before `a`
   * (within `returnRatio` of how far it went in between). A static camera that a truck drives past
   * changes most of the picture and back, which reads as a wipe in and a wipe out.
   */
  private passesThrough(a: Boundary, b: Boundary): boolean {
    const { flank, returnRatio } = this.p;
    let away = 0;
    let back = Number.POSITIVE_INFINITY;
    for (let p = Math.max(0, a.frame - flank); p < a.frame; p++) {
      for (let m = a.end; m <= b.frame; m++) away = Math.max(away, this.distance(p, m) ?? 0);
      for (let q = b.end; q <= b.end + flank; q++) back = Math.min(back, this.distance(p, q) ?? Number.POSITIVE_INFINITY);
    }
    return away >= this.p.gradualMin && back < returnRatio * away;
  }

  /**
   * Drops pairs of dissolves/wipes between which something passed through a still shot
   * (passesThrough), with the other picks of the same windows. Pairs are taken from the boundaries as
   * `release` will give them (`resolve`); the second of a pair is always found long before the first
   * is released (BOUNDARY_DELAY).
   */
  private dropPassings(): void {
    const { passMax, flank } = this.p;
    const seq = this.resolve(this.pending, this.pending.filter((b) => b.kind === 'cut'));
    const gradual = (b: Boundary) => b.kind === 'dissolve' || b.kind === 'wipe';
    const drop: Boundary[] = [];
    for (let i = 0; i + 1 < seq.length; i++) {
      const a = seq[i]!;
      const b = seq[i + 1]!;
      if (!gradual(a) || !gradual(b) || b.frame - a.end > passMax || !this.at(b.end + flank)) continue;
      if (!this.passesThrough(a, b)) continue;
      drop.push(a, b);
      i++;
    }
    if (!drop.length) return;
    const overlapsDropped = (x: Boundary) => x.kind !== 'cut' && drop.some((d) => x.frame <= d.end && x.end >= d.frame);
    this.pending = this.pending.filter((x) => !overlapsDropped(x));
  }

  /**
   * `list` (frame order) as it is given out: a cut in `cuts` wins over a gradual transition that
   * contains it, and of two picks of one gradual transition (windows that overlapped by less than
   * half) the first is kept, also across calls (`lastGradual`).
   */
  private resolve(list: readonly Boundary[], cuts: readonly Boundary[]): Boundary[] {
    const out: Boundary[] = [];
    for (const b of list) {
      if (b.kind !== 'cut' && cuts.some((c) => c.frame >= b.frame && c.frame <= b.end)) continue;
      const prev = out[out.length - 1] ?? this.lastGradual;
      if (b.kind !== 'cut' && prev && prev.kind !== 'cut' && b.frame <= prev.end) continue;
      out.push(b);
    }
    return out;
  }

  /** Resolves conflicts among boundaries before `upTo` and returns them in frame order. */
  private release(upTo: number, all = false): Boundary[] {
    if (!all && upTo <= this.emittedThrough) return [];
    this.pending.sort((a, b) => a.frame - b.frame || (a.kind === 'cut' ? -1 : 1));
    this.dropPassings();
    const ready: Boundary[] = [];
    const keep: Boundary[] = [];
    for (const b of this.pending) (all || b.frame < upTo ? ready : keep).push(b);
    this.pending = keep;
    const out = this.resolve(ready, [...ready, ...keep].filter((b) => b.kind === 'cut'));
    this.lastGradual = out.findLast((b) => b.kind !== 'cut') ?? this.lastGradual;
    if (!all) this.emittedThrough = Math.max(this.emittedThrough, upTo - 1);
    else this.emittedThrough = Number.MAX_SAFE_INTEGER;
    return this.mergeDips(out, upTo, all);
  }

  /** A fade out and a fade in separated by a few black frames are one dip-to-black fade. */
  private mergeDips(bs: Boundary[], upTo: number, all: boolean): Boundary[] {
    const out: Boundary[] = [];
    const queue = this.held ? [this.held, ...bs] : bs;
    this.held = null;
    const { dipMerge, dipBlackMax } = this.p;
    for (const b of queue) {
      const prev = out[out.length - 1];
      const gap = prev ? b.frame - prev.end : Infinity;
      if (prev && prev.kind === 'fade' && b.kind === 'fade' && b.frame > prev.frame && (gap <= dipMerge || (gap <= dipBlackMax && this.blackStillFor(prev.end + 1, b.frame - 1) <= dipMerge))) {
        out[out.length - 1] = { kind: 'fade', frame: prev.frame, end: b.end };
        continue;
      }
      out.push(b);
    }
    // Hold back a trailing fade while a fade in that would join it can still appear.
    const last = out[out.length - 1];
    if (!all && last && last.kind === 'fade' && upTo <= last.end + Math.max(dipMerge, dipBlackMax)) this.held = out.pop()!;
    return out;
  }
}

/** The whole decision over a finite feature sequence (tests, offline use). */
export function detectShotBoundaries(features: Iterable<FrameFeatures>, params: Partial<BoundaryParams> = {}): Boundary[] {
  const d = new ShotBoundaryDetector(params);
  const out: Boundary[] = [];
  for (const f of features) out.push(...d.push(f));
  out.push(...d.finish());
  return out;
}
