// Near-duplicate shots across the library: the same picture re-encoded, or cut into a trailer.
// Pure decision over what ingest measured per shot (keyframe perceptual hash, a 4x4 colour
// signature, mean luma, duration), and the grouping that keeps one group id per set of duplicates.
import { hammingDistance } from '../shots/phash.js';

export interface DuplicateCandidate {
  id: string;
  /** 64-bit perceptual hash of the keyframe (16 hex). */
  phash: string;
  /** 4x4 RGB means of the keyframe, 96 hex characters; null when unknown. */
  colourSig: string | null;
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
} as const;

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
  const shorter = Math.min(a.duration, b.duration);
  const longer = Math.max(a.duration, b.duration);
  return longer > 0 && shorter / longer >= r.minDurationRatio;
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
export function groupDuplicates(incoming: DuplicateCandidate[], library: DuplicateCandidate[]): DuplicateGrouping {
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
      if (!isNearDuplicate(a, b)) continue;
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
