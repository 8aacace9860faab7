// The shot-boundary decision: a pure, streaming function of per-frame features (features.ts).
// Hard cuts are isolated peaks of frame-to-frame change whose picture does not come back within a few
// frames (so flashes and dropouts are not cuts). Gradual transitions are windows over which the picture
// changes a lot but monotonically (the sum of the steps is about the direct change); the frame halfway
// is a mix of the ends for dissolves/fades and one-or-the-other for wipes. Decisions are final after
// `BOUNDARY_DELAY` frames, so memory is a small window whatever the film's length.
import { LONG_LAGS, type FrameFeatures } from './features.js';

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
  /** Sum of frame-to-frame steps (above noise) over the total change: near 1 when every block moves one way. */
  gradualPathMax: number;
  /** Mean step inside the window over the busier flank's median step must reach this. */
  gradualElevation: number;
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
  gradualPathMax: 1.5,
  gradualStepMax: 0.4,
  gradualElevation: 1.6,
  dissolveMixMax: 0.18,
  wipeSplitMin: 0.55,
  flank: 8,
  flankStableMax: 0.5,
  dipMerge: 4,
};

const MAX_WINDOW = LONG_LAGS[LONG_LAGS.length - 1]!;
/** A group of overlapping gradual candidates longer than this is ended by force (bounded memory). */
const MAX_GROUP = 240;
/** Frames after which every boundary at or before `received - BOUNDARY_DELAY` is final. */
export const BOUNDARY_DELAY = MAX_GROUP + 2 * MAX_WINDOW + 40;
const KEEP = BOUNDARY_DELAY + MAX_WINDOW + 40;

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

function isBlack(f: FrameFeatures): boolean {
  return f.meanLuma < 40 && f.brightFraction < 0.05;
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

  constructor(
    params: Partial<BoundaryParams> = {},
    /** Sees every gradual candidate window (tuning and tests). */
    private readonly trace?: (candidate: GradualCandidate) => void,
  ) {
    this.p = { ...DEFAULT_BOUNDARY_PARAMS, ...params };
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
    if (this.frames.length > KEEP) {
      this.frames.shift();
      this.first++;
    }
    const { cutWindow, returnSpan, flank } = this.p;
    while (this.cutChecked <= this.received - 1 - Math.max(cutWindow, returnSpan)) this.checkCut(this.cutChecked++);
    while (this.gradualChecked <= this.received - 1 - flank) this.checkGradual(this.gradualChecked++);
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
      const after = this.at(c + k)?.diff[k + 1];
      if (after !== undefined && !Number.isNaN(after) && after < returnRatio * d) return;
      const before = f.diff[k + 1];
      if (before !== undefined && !Number.isNaN(before) && before < returnRatio * d) return;
    }
    this.pending.push({ kind: 'cut', frame: c, end: c });
  }

  private checkGradual(e: number): void {
    const fe = this.at(e)!;
    const { gradualMin, gradualCoverMin, gradualPathMax, gradualStepMax, gradualElevation, dissolveMixMax, wipeSplitMin, flank, flankStableMax } = this.p;
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
      // A transition changes faster than either shot does by itself (a slow zoom or pan does not).
      if (path / L + noise < gradualElevation * this.busierFlank(s, e)) continue;
      // The ends must be settled: the picture may not change much within a flank on either side.
      const before = this.at(s)?.diff[flank];
      const after = this.at(e + flank)?.diff[flank];
      if (before !== undefined && before > flankStableMax * total) continue;
      if (after !== undefined && after > flankStableMax * total) continue;
      if (fe.cover[L]! < gradualCoverMin) continue;
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

  private busierFlank(s: number, e: number): number {
    const { flank } = this.p;
    const before = s - flank >= 1 ? this.median(s - flank + 1, s) : 0;
    const after = this.at(e + flank) ? this.median(e + 1, e + flank) : 0;
    return Math.max(before, after);
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
   * Picks transitions from a group of overlapping candidate windows. The biggest change first; its
   * cluster (windows overlapping it) is a dissolve/fade if any dissolve-shaped window there changes
   * nearly as much (a window off the centre of a dissolve looks like a wipe), else a wipe; the
   * transition is the shortest window of that kind that holds 90% of the cluster's change.
   */
  private closeGroup(): void {
    const g = this.group;
    this.group = null;
    if (!g) return;
    let rest = [...g.candidates].sort((a, b) => b.total - a.total);
    const overlaps = (p: GradualCandidate, c: GradualCandidate) => Math.min(p.e, c.e) - Math.max(p.s, c.s) > 0.25 * Math.min(p.e - p.s, c.e - c.s);
    while (rest.length) {
      const top = rest[0]!;
      const cluster = rest.filter((c) => overlaps(top, c));
      rest = rest.filter((c) => !overlaps(top, c));
      const dissolves = cluster.filter((c) => c.kind === 'dissolve');
      const dissolveMax = Math.max(0, ...dissolves.map((c) => c.total));
      const pool = dissolveMax >= 0.85 * top.total ? dissolves : cluster.filter((c) => c.kind === 'wipe');
      if (!pool.length) continue;
      const max = Math.max(...pool.map((c) => c.total));
      const chosen = pool.filter((c) => c.total >= 0.9 * max).sort((a, b) => a.e - a.s - (b.e - b.s) || b.total - a.total)[0]!;
      this.refine(chosen);
    }
  }

  /** The transition's own frames around a window: where the step size stands out from both flanks. */
  private refine(c: GradualCandidate): void {
    const { flank } = this.p;
    const before = this.median(c.s - flank + 1, c.s);
    const after = this.at(c.e + 1) ? this.median(c.e + 1, c.e + flank) : before;
    const inside: number[] = [];
    for (let i = c.s + 1; i <= c.e; i++) inside.push(this.d1(i));
    inside.sort((a, b) => b - a);
    const plateau = inside[Math.floor(inside.length / 4)] ?? 0;
    let start = -1;
    let end = -1;
    for (let i = c.s + 1; i <= c.e; i++) {
      const d = this.d1(i);
      if (start < 0 && d > before + 0.5 * (plateau - before)) start = i;
      if (d > after + 0.5 * (plateau - after)) end = i;
    }
    if (start < 0 || end < start) {
      start = c.s + 1;
      end = c.e;
    }
    // Slow tails (eased transitions) reach past a tight window: follow them while steps stay raised.
    const raised = (i: number, base: number) => this.d1(i) > base + 0.25 * (plateau - base);
    while (start - 1 > Math.max(0, c.s - 2 * flank) && raised(start - 1, before)) start--;
    while (end + 1 <= c.e + 2 * flank && this.at(end + 1) && raised(end + 1, after)) end++;
    const blackNear = (i: number) => [i - 2, i - 1, i, i + 1].some((j) => {
      const f = this.at(j);
      return !!f && isBlack(f);
    });
    const fade = c.kind === 'dissolve' && (blackNear(start) || blackNear(end + 1));
    this.pending.push({ kind: fade ? 'fade' : c.kind, frame: start, end });
  }

  /** Resolves conflicts among boundaries before `upTo` and returns them in frame order. */
  private release(upTo: number, all = false): Boundary[] {
    if (!all && upTo <= this.emittedThrough) return [];
    this.pending.sort((a, b) => a.frame - b.frame || (a.kind === 'cut' ? -1 : 1));
    const ready: Boundary[] = [];
    const keep: Boundary[] = [];
    for (const b of this.pending) (all || b.frame < upTo ? ready : keep).push(b);
    this.pending = keep;
    // A cut wins over a gradual transition that contains it.
    const cuts = [...ready, ...keep].filter((b) => b.kind === 'cut');
    const out: Boundary[] = [];
    for (const b of ready) {
      if (b.kind !== 'cut' && cuts.some((c) => c.frame >= b.frame && c.frame <= b.end)) continue;
      out.push(b);
    }
    if (!all) this.emittedThrough = Math.max(this.emittedThrough, upTo - 1);
    else this.emittedThrough = Number.MAX_SAFE_INTEGER;
    return this.mergeDips(out, upTo, all);
  }

  /** A fade out and a fade in separated by a few black frames are one dip-to-black fade. */
  private mergeDips(bs: Boundary[], upTo: number, all: boolean): Boundary[] {
    const out: Boundary[] = [];
    const queue = this.held ? [this.held, ...bs] : bs;
    this.held = null;
    for (const b of queue) {
      const prev = out[out.length - 1];
      if (prev && prev.kind === 'fade' && b.kind === 'fade' && b.frame - prev.end <= this.p.dipMerge && b.frame > prev.frame) {
        out[out.length - 1] = { kind: 'fade', frame: prev.frame, end: b.end };
        continue;
      }
      out.push(b);
    }
    // Hold back a trailing fade while a fade in that would join it can still appear.
    const last = out[out.length - 1];
    if (!all && last && last.kind === 'fade' && upTo <= last.end + this.p.dipMerge) this.held = out.pop()!;
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
