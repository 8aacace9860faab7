// Which shots enter a dataset: the rights policy's decision plus the dataset's own rules, each
// recorded as a reason so nothing is left out silently. Fed shots in shotId order; keeps one counter
// per title and one entry per duplicate group, never the shots themselves.
import type { Exclusion, ExclusionReason } from './types.js';

export interface AdmissionShot {
  shotId: string;
  titleId: string;
  start: number;
  end: number;
  /** Seconds at the head that belong to the incoming dissolve, fade or wipe: the clip starts after them. */
  transitionSeconds?: number;
  isBlack: boolean;
  /** Shots that are the same picture share a group (ingest's perceptual hash). */
  dupGroup: string | null;
  proxySha256: string | null;
  /** Why ingest made no proxy on purpose ('black', 'too_short'), when it says. */
  proxySkip?: string | null;
}

/** What the rights policy said about one shot for the dataset's purpose. */
export interface RightsVerdict {
  allowed: boolean;
  /** The rules that exclude the shot (empty when allowed). */
  reasons: ExclusionReason[];
}

export interface AdmissionRules {
  minSeconds: number;
  maxPerTitle: number | null;
}

export type Admission = { included: true } | { included: false; exclusion: Exclusion };

export class DatasetAdmission {
  private readonly perTitle = new Map<string, number>();
  private readonly dupKeeper = new Map<string, string>();

  constructor(readonly rules: AdmissionRules) {}

  admit(shot: AdmissionShot, verdict: RightsVerdict): Admission {
    const reasons: ExclusionReason[] = [];
    if (!verdict.allowed) {
      reasons.push(...verdict.reasons);
      // A policy that says no must say why; an empty list would be a silent refusal.
      if (!verdict.reasons.length) reasons.push({ rule: 'rights.denied', detail: 'the rights policy refused this shot without a reason', ref: null });
    }
    if (!shot.proxySha256) reasons.push({ rule: 'dataset.no_proxy', detail: `ingest made no training proxy for this shot${shot.proxySkip ? ` (${shot.proxySkip === 'too_short' ? 'shorter than its minimum' : shot.proxySkip === 'black' ? 'black frames' : shot.proxySkip})` : ''}`, ref: null });
    if (shot.isBlack) reasons.push({ rule: 'dataset.black', detail: 'the shot is black frames only', ref: null });
    const head = shot.transitionSeconds ?? 0;
    const seconds = shot.end - shot.start - head;
    if (seconds < this.rules.minSeconds) {
      const what = head > 0 ? `${seconds.toFixed(2)} s after its incoming transition (${head.toFixed(2)} s)` : `${seconds.toFixed(2)} s`;
      reasons.push({ rule: 'dataset.min_seconds', detail: `${what} is shorter than --min-seconds ${this.rules.minSeconds}`, ref: null });
    }
    if (!reasons.length && shot.dupGroup) {
      const first = this.dupKeeper.get(shot.dupGroup);
      if (first) reasons.push({ rule: 'dataset.duplicate', detail: `same picture as shot ${first}, already in the dataset`, ref: `shot:${first}` });
    }
    if (!reasons.length && this.rules.maxPerTitle !== null && (this.perTitle.get(shot.titleId) ?? 0) >= this.rules.maxPerTitle) {
      reasons.push({ rule: 'dataset.max_per_title', detail: `title already has ${this.rules.maxPerTitle} clips (--max-per-title)`, ref: `title:${shot.titleId}` });
    }
    if (reasons.length) return { included: false, exclusion: { shotId: shot.shotId, titleId: shot.titleId, reasons } };
    this.perTitle.set(shot.titleId, (this.perTitle.get(shot.titleId) ?? 0) + 1);
    if (shot.dupGroup) this.dupKeeper.set(shot.dupGroup, shot.shotId);
    return { included: true };
  }

  /** Titles with at least one admitted shot: the ones the split divides. */
  titlesAdmitted(): string[] {
    return [...this.perTitle.keys()];
  }
}
