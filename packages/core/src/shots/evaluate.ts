// Scores detected shot boundaries against a ground truth (the shared library's groundtruth/*.json
// format), split into hard cuts and gradual transitions. Used by tests and `npm run bench:shots`.
import type { TransitionKind } from '../domain/library.js';

export interface TruthTransition {
  kind: 'cut' | 'dissolve' | 'fade' | 'wipe';
  start: number;
  end: number;
  /** Only small text changes on black: scored separately, or ignored. */
  subtle?: boolean;
}

export interface DetectedTransition {
  kind: Exclude<TransitionKind, 'none'>;
  /** First frame of the new shot (a gradual transition: its first frame). */
  frame: number;
}

export interface Score {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface BoundaryScore {
  cuts: Score;
  gradual: Score;
  /** Gradual transitions found whose kind (dissolve/fade/wipe) also matches. */
  gradualKindMatches: number;
  /** Details for reports: which truths were missed and which detections were wrong. */
  missed: TruthTransition[];
  spurious: DetectedTransition[];
}

function score(tp: number, fp: number, fn: number): Score {
  const precision = tp + fp ? tp / (tp + fp) : 1;
  const recall = tp + fn ? tp / (tp + fn) : 1;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { truePositives: tp, falsePositives: fp, falseNegatives: fn, precision, recall, f1 };
}

export const CUT_TOLERANCE = 2;
export const GRADUAL_TOLERANCE = 4;

/**
 * A detected cut matches a true cut within ±CUT_TOLERANCE frames; a detected gradual transition
 * matches a true one if its first frame lies in [start - GRADUAL_TOLERANCE, end + GRADUAL_TOLERANCE].
 * Each truth matches at most one detection. Subtle truths are left out (and detections matching them
 * are neither right nor wrong) unless `includeSubtle`.
 */
export function scoreBoundaries(detected: DetectedTransition[], truth: TruthTransition[], opts: { includeSubtle?: boolean } = {}): BoundaryScore {
  const used = new Set<number>();
  const ignored = new Set<number>();
  const missed: TruthTransition[] = [];
  const counts = { cut: { tp: 0, fn: 0 }, gradual: { tp: 0, fn: 0 } };
  let kindMatches = 0;
  const ordered = [...truth].sort((a, b) => a.start - b.start);
  for (const t of ordered) {
    const cut = t.kind === 'cut';
    let best = -1;
    let bestDist = Infinity;
    detected.forEach((d, i) => {
      if (used.has(i) || (d.kind === 'cut') !== cut) return;
      const lo = t.start - (cut ? CUT_TOLERANCE : GRADUAL_TOLERANCE);
      const hi = (cut ? t.start : t.end) + (cut ? CUT_TOLERANCE : GRADUAL_TOLERANCE);
      if (d.frame < lo || d.frame > hi) return;
      const dist = Math.abs(d.frame - t.start);
      if (dist < bestDist) {
        bestDist = dist;
        best = i;
      }
    });
    if (t.subtle && !opts.includeSubtle) {
      if (best >= 0) ignored.add(best);
      continue;
    }
    const c = cut ? counts.cut : counts.gradual;
    if (best >= 0) {
      used.add(best);
      c.tp++;
      if (!cut && detected[best]!.kind === t.kind) kindMatches++;
    } else {
      c.fn++;
      missed.push(t);
    }
  }
  const spurious = detected.filter((_, i) => !used.has(i) && !ignored.has(i));
  const fpCut = spurious.filter((d) => d.kind === 'cut').length;
  return {
    cuts: score(counts.cut.tp, fpCut, counts.cut.fn),
    gradual: score(counts.gradual.tp, spurious.length - fpCut, counts.gradual.fn),
    gradualKindMatches: kindMatches,
    missed,
    spurious,
  };
}
