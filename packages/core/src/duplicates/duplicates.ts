// Near-duplicate shots across the library: the same picture re-encoded, or cut into a trailer.
// Pure decision over what ingest measured per shot (keyframe perceptual hash, a 4x4 colour
// signature, a hue histogram, mean luma, duration) and, for a pair those call duplicates, each frame's
// signature (sameFootage); and the grouping that keeps one group id per set of duplicates.
import { hammingDistance } from '../shots/phash.js';
import { FRAME_SIG_BYTES } from '../shots/signature.js';

export interface DuplicateCandidate {
  id: string;
  /** 64-bit perceptual hash of the keyframe (16 hex). */
  phash: string;
  /** 4x4 RGB means of the keyframe, 96 hex characters; null when unknown. */
  colourSig: string | null;
  /** Hue histogram of the keyframe's saturated pixels (see hueSignature); null when unknown. */
  hueSig?: string | null;
  /** Seconds. */
  duration: number;
  meanLuma: number;
  isBlack: boolean;
  dupGroup: string | null;
}

/**
 * Thresholds. The perceptual hash sees structure but not colour (a red and a blue ball on the same
 * sky hash alike), so the colour signature must agree too. Duration only has to be plausible: a
 * trailer keeps a fraction of a shot, a re-encode keeps it whole.
 */
export const DUPLICATE_RULES = {
  maxHamming: 8,
  maxLumaDelta: 12,
  /** Largest allowed difference of any one cell's channel mean (0..255). Re-encodes stay under ~10. */
  maxCellDelta: 40,
  /** The shorter shot must be at least this fraction of the longer. */
  minDurationRatio: 0.15,
  /** Pictures with almost no structure (flat colour, title black) hash alike whatever they show. */
  minHashBits: 6,
  /**
   * Hue histograms: each bin (a fraction of the frame) may differ by this fraction of the larger
   * value, or by `hueFloor` of the frame, whichever is more. A small coloured object on a shared
   * backdrop (1-3 % of the frame) changes neither the hash nor any 4x4 cell much, but its colour
   * moves its pixels to another hue bin; re-encodes and trailer excerpts keep them where they were.
   */
  hueRelative: 0.35,
  hueFloor: 0.003,
} as const;

/** Hue bins of the histogram (30 degrees each). */
export const HUE_BINS = 12;
/** A pixel counts as coloured in proportion as its chroma (max - min of R, G, B; 0..255) rises from
 * the first value to the second: a ramp, so that a re-encode's few levels move little weight. */
const CHROMA_RAMP = [40, 88] as const;

/**
 * The hue histogram of a picture's coloured pixels, as fractions of all its pixels: `HUE_BINS`
 * 16-bit values (fraction × 65535) in 48 hex characters. Where a pixel lies between two bin centres
 * it is shared between them in proportion, so a small hue shift (a re-encode) moves little weight.
 * Position does not enter: a trailer keyframe taken at another moment of the same shot agrees.
 */
export function hueSignature(rgb: Uint8Array): string {
  const bins = new Float64Array(HUE_BINS);
  const pixels = Math.floor(rgb.length / 3);
  for (let i = 0; i < pixels; i++) {
    const r = rgb[3 * i]!;
    const g = rgb[3 * i + 1]!;
    const b = rgb[3 * i + 2]!;
    const max = Math.max(r, g, b);
    const chroma = max - Math.min(r, g, b);
    if (chroma <= CHROMA_RAMP[0]) continue;
    const weight = Math.min(1, (chroma - CHROMA_RAMP[0]) / (CHROMA_RAMP[1] - CHROMA_RAMP[0]));
    let h = max === r ? (g - b) / chroma : max === g ? (b - r) / chroma + 2 : (r - g) / chroma + 4; // sextants
    h = ((h % 6) + 6) % 6;
    const pos = (h * HUE_BINS) / 6 - 0.5; // bin centres at 0.5, 1.5, ...
    const lo = Math.floor(pos);
    const w = pos - lo;
    bins[(lo + HUE_BINS) % HUE_BINS]! += weight * (1 - w);
    bins[(lo + 1) % HUE_BINS]! += weight * w;
  }
  let hex = '';
  for (const v of bins) hex += Math.round((pixels ? v / pixels : 0) * 65535).toString(16).padStart(4, '0');
  return hex;
}

function hueAgrees(a: string, b: string): boolean {
  const r = DUPLICATE_RULES;
  for (let i = 0; i + 4 <= Math.min(a.length, b.length); i += 4) {
    const x = parseInt(a.slice(i, i + 4), 16) / 65535;
    const y = parseInt(b.slice(i, i + 4), 16) / 65535;
    if (Math.abs(x - y) > Math.max(r.hueFloor, r.hueRelative * Math.max(x, y))) return false;
  }
  return true;
}

function popcount(hex: string): number {
  return hammingDistance(hex, '0'.repeat(hex.length));
}

function colourDelta(a: string, b: string): number {
  let worst = 0;
  for (let i = 0; i + 1 < Math.min(a.length, b.length); i += 2) {
    worst = Math.max(worst, Math.abs(parseInt(a.slice(i, i + 2), 16) - parseInt(b.slice(i, i + 2), 16)));
  }
  return worst;
}

export function isNearDuplicate(a: DuplicateCandidate, b: DuplicateCandidate): boolean {
  const r = DUPLICATE_RULES;
  if (a.id === b.id || a.isBlack || b.isBlack) return false;
  const bitsA = popcount(a.phash);
  const bitsB = popcount(b.phash);
  const len = a.phash.length * 4;
  if (bitsA < r.minHashBits || bitsB < r.minHashBits || bitsA > len - r.minHashBits || bitsB > len - r.minHashBits) return false;
  if (hammingDistance(a.phash, b.phash) > r.maxHamming) return false;
  if (Math.abs(a.meanLuma - b.meanLuma) > r.maxLumaDelta) return false;
  if (a.colourSig && b.colourSig && colourDelta(a.colourSig, b.colourSig) > r.maxCellDelta) return false;
  if (a.hueSig && b.hueSig && !hueAgrees(a.hueSig, b.hueSig)) return false;
  const shorter = Math.min(a.duration, b.duration);
  const longer = Math.max(a.duration, b.duration);
  return longer > 0 && shorter / longer >= r.minDurationRatio;
}

/**
 * Whether two shots' frames are the same footage: `a` and `b` hold one signature per frame
 * (shots/signature.ts), both at the same frame rate. True when the shorter, laid over the longer at
 * some offset, changes as the longer does (footageDistance); a re-encode, a rescale or an excerpt
 * does, another shot of the same set does not.
 */
export function sameFootage(a: Uint8Array, b: Uint8Array): boolean {
  return footageDistance(a, b) <= SAME_FOOTAGE.maxCellDelta;
}

/**
 * sameFootage's measure. Two copies of the same footage differ frame for frame by what the copying did to
 * every frame alike (a scaler's softness, another colour matrix, a re-grade) plus coding noise; another
 * shot of the same set differs where what moves in it is elsewhere. So frames are compared by how each
 * changed over `SAME_FOOTAGE.lag` frames (what a copy does to every frame alike cancels there; the lag
 * lets a slow object move far enough to show): at each offset of the shorter shot over the longer, a
 * frame pair differs by its largest cell difference between the two changes, and the measure is the
 * median over frame pairs at the best offset. 0 for a shot shorter than `SAME_FOOTAGE.minFrames` (too
 * short to tell: the keyframe measures decide alone).
 */
export function footageDistance(a: Uint8Array, b: Uint8Array): number {
  const [s, l] = a.length <= b.length ? [a, b] : [b, a];
  const B = FRAME_SIG_BYTES;
  const m = s.length / B;
  const n = l.length / B;
  if (m < SAME_FOOTAGE.minFrames) return 0;
  const lag = Math.max(1, Math.min(SAME_FOOTAGE.lag, Math.floor(m / 3)));
  const step = Math.max(1, Math.ceil((m - lag) / SAME_FOOTAGE.frames));
  const picked: number[] = [];
  for (let i = 0; i + lag < m; i += step) picked.push(i);
  const d = new Float64Array(picked.length);
  const L = lag * B;
  let best = Number.POSITIVE_INFINITY;
  for (let o = 0; o + m <= n; o++) {
    for (const [p, i] of picked.entries()) {
      const si = i * B;
      const lj = (o + i) * B;
      let worst = 0;
      for (let k = 0; k < B; k++) worst = Math.max(worst, Math.abs(s[si + L + k]! - s[si + k]! - (l[lj + L + k]! - l[lj + k]!)));
      d[p] = worst;
    }
    best = Math.min(best, median(d));
    if (best <= SAME_FOOTAGE.maxCellDelta / 4) break; // lined up: no offset can do meaningfully better
  }
  return best;
}

/** sameFootage's thresholds. */
export const SAME_FOOTAGE = {
  /** Largest difference (0..255) between the two copies' changes of a cell over `lag` frames, typical frame pair, best offset. */
  maxCellDelta: 10,
  /** Frames a change is taken over (a third of the shorter shot where that is less). */
  lag: 12,
  /** Shots shorter than this many frames are not compared frame by frame. */
  minFrames: 3,
  /** Frames of the shorter shot compared at most. */
  frames: 96,
} as const;

function median(v: Float64Array): number {
  const sorted = Float64Array.from(v).sort();
  const h = sorted.length >> 1;
  return sorted.length % 2 ? sorted[h]! : (sorted[h - 1]! + sorted[h]!) / 2;
}

export interface DuplicateGrouping {
  /** Shot id -> group id for every shot whose group is new or changes. */
  assign: Map<string, string>;
  /** Existing groups folded into another: every shot of `from` moves to `to`. */
  merge: Array<{ from: string; to: string }>;
}

/**
 * Groups newly ingested shots with each other and with the library. A group's id is an existing
 * group's id when the set touches one (the smallest, when a new shot bridges several), else the
 * smallest shot id in the set; a shot with no duplicate gets no group.
 */
export function groupDuplicates(
  incoming: DuplicateCandidate[],
  library: DuplicateCandidate[],
  /** Whether two shots are duplicates: the keyframe measures, unless the caller decided the pairs already
   * (ingest adds its frame signatures: sameFootage). */
  duplicates: (a: DuplicateCandidate, b: DuplicateCandidate) => boolean = isNearDuplicate,
): DuplicateGrouping {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let p = parent.get(x) ?? x;
    if (p !== x) {
      p = find(p);
      parent.set(x, p);
    }
    return p;
  };
  const union = (a: string, b: string) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  };
  const touched = new Map<string, DuplicateCandidate>();
  const incomingIds = new Set(incoming.map((s) => s.id));
  const others = library.filter((s) => !incomingIds.has(s.id));
  for (const [i, a] of incoming.entries()) {
    for (const b of [...incoming.slice(i + 1), ...others]) {
      if (!duplicates(a, b)) continue;
      touched.set(a.id, a).set(b.id, b);
      union(`s:${a.id}`, `s:${b.id}`);
      if (b.dupGroup) union(`s:${b.id}`, `g:${b.dupGroup}`);
    }
  }
  const members = new Map<string, { shots: DuplicateCandidate[]; groups: Set<string> }>();
  for (const s of touched.values()) {
    const root = find(`s:${s.id}`);
    const m = members.get(root) ?? { shots: [], groups: new Set<string>() };
    m.shots.push(s);
    if (s.dupGroup) m.groups.add(s.dupGroup);
    members.set(root, m);
  }
  const assign = new Map<string, string>();
  const merge: Array<{ from: string; to: string }> = [];
  for (const m of members.values()) {
    const groups = [...m.groups].sort();
    const target = groups[0] ?? m.shots.map((s) => s.id).sort()[0]!;
    for (const g of groups.slice(1)) merge.push({ from: g, to: target });
    for (const s of m.shots) if (s.dupGroup !== target) assign.set(s.id, target);
  }
  return { assign, merge };
}
