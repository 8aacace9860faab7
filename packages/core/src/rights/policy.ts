// The training-rights policy: may this shot (and which time ranges inside it) enter a training set for
// a purpose? Pure and versioned. DEFAULT DENY: without a valid grant for the use, nothing is allowed.
//
// Use: const policy = compileRightsPolicy(registry, { purpose: 'video', asOf: '2026-11-25' });
//      for (const shot of shots) { const d = policy.decide(shot); ... }
// compile builds per-title indexes once; decide() is then cheap enough for millions of shots
// (rule objects are built at compile time and shared by every decision that cites them).
import { partitionPoint } from '../sorted.js';
import type {
  Appearance,
  Consent,
  ConsentScope,
  GrantUse,
  IsoDate,
  MusicCue,
  OptOutSignal,
  Person,
  Restriction,
  RightsGrant,
  RightsRegistry,
  TrainingPurpose,
} from './model.js';

/**
 * Bump when a rule's meaning changes: a dataset records the version it was built under.
 * 1: grants per use/window/territory, consents per on-screen/voice presence, cues when audio is used,
 *    restrictions, opt-out signals.
 */
export const RIGHTS_POLICY_VERSION = 'backlot-rights-policy/1';

export type PolicyRuleId =
  | 'grant.valid'
  | 'grant.none'
  | 'grant.expired'
  | 'grant.not-yet-valid'
  | 'grant.revoked'
  | 'grant.territory'
  | 'consent.valid'
  | 'consent.missing'
  | 'consent.revoked'
  | 'consent.not-yet-valid'
  | 'consent.scope'
  | 'consent.condition'
  | 'cue.cleared'
  | 'cue.uncleared'
  | 'restriction'
  | 'optout.signal';

/**
 * allow: this record permits what it covers. deny: this record excludes what it covers.
 * note: looked at, but does not decide (an expired grant beside a valid one, an allowed signal).
 */
export type RuleOutcome = 'allow' | 'deny' | 'note';

export interface PolicyRule {
  rule: PolicyRuleId;
  outcome: RuleOutcome;
  detail: string;
  /** The record looked at: "grant:<id>", "consent:<id>", "person:<id>", "cue:<id>", "restriction:<id>", "media:<id>"; null for grant.none. */
  ref: string | null;
  /** Time range in the title (seconds) the rule applies to; absent = the whole title. */
  start?: number;
  end?: number;
}

export interface PolicyContext {
  purpose: TrainingPurpose;
  /** The day the decision is made for: grants and consents must be valid on it. */
  asOf: IsoDate;
  /** Where the training happens; a grant must be "worldwide" or name this territory. Default "worldwide". */
  territory?: string;
  /** The project the dataset is for; consents conditioned on named projects need it. */
  project?: string;
}

/** The minimum the policy needs to know about a shot. Times in seconds within the title, end exclusive. */
export interface PolicyShot {
  id: string;
  titleId: string;
  mediaFileId?: string | null;
  start: number;
  end: number;
}

export interface PolicyRange {
  start: number;
  end: number;
  allowed: boolean;
}

export interface ShotDecision {
  shotId: string;
  titleId: string;
  /** The whole shot may be used. */
  allowed: boolean;
  /** Every rule that fired, title-wide first, then by time. Shared objects: do not mutate. */
  rules: readonly PolicyRule[];
  /** The shot cut at every boundary of a denying time-ranged record, each part allowed or not. */
  ranges: PolicyRange[];
}

export interface CompiledRightsPolicy {
  readonly version: string;
  readonly context: Readonly<Required<Omit<PolicyContext, 'project'>>> & { project?: string };
  decide(shot: PolicyShot): ShotDecision;
  /** decide() over a stream of shots. */
  decideAll(shots: Iterable<PolicyShot>): Iterable<ShotDecision>;
}

/** A record with a time range in a title, and the rules citing it (built once at compile time). */
interface RangedItem {
  start: number;
  end: number;
  rules: PolicyRule[];
  denies: boolean;
}

interface TitleIndex {
  /** Rules that hold for every shot of the title (grants). */
  titleRules: PolicyRule[];
  titleAllows: boolean;
  /** Ranged items sorted by start, and the running maximum of end (to stop scanning early). */
  items: RangedItem[];
  maxEnd: Float64Array;
}

const USES_FOR: Record<TrainingPurpose, GrantUse[]> = {
  video: ['train-video'],
  audio: ['train-audio'],
  audiovisual: ['train-video', 'train-audio'],
};

const EMPTY_TITLE: TitleIndex = {
  titleRules: [],
  titleAllows: false,
  items: [],
  maxEnd: new Float64Array(0),
};

function grantWindow(g: RightsGrant): string {
  return `${g.startsOn}..${g.endsOn ?? 'perpetual'}`;
}

function grantRules(titleId: string, grants: RightsGrant[], ctx: Required<Omit<PolicyContext, 'project'>>): { rules: PolicyRule[]; allows: boolean } {
  const rules: PolicyRule[] = [];
  let allows = true;
  for (const use of USES_FOR[ctx.purpose]) {
    const withUse = grants.filter((g) => g.uses.includes(use));
    if (withUse.length === 0) {
      rules.push({ rule: 'grant.none', outcome: 'deny', detail: `no grant of ${use} for title ${titleId}: default deny`, ref: null });
      allows = false;
      continue;
    }
    const judged = withUse.map((g) => {
      const ref = `grant:${g.id}`;
      if (g.revokedOn && g.revokedOn <= ctx.asOf)
        return { ok: false, r: { rule: 'grant.revoked' as const, detail: `grant ${g.id} (${use}, contract ${g.contractRef}) revoked on ${g.revokedOn}${g.revokedReason ? `: ${g.revokedReason}` : ''}`, ref } };
      if (g.startsOn > ctx.asOf)
        return { ok: false, r: { rule: 'grant.not-yet-valid' as const, detail: `grant ${g.id} (${use}, contract ${g.contractRef}) starts ${g.startsOn}, after ${ctx.asOf}`, ref } };
      if (g.endsOn !== null && g.endsOn < ctx.asOf)
        return { ok: false, r: { rule: 'grant.expired' as const, detail: `grant ${g.id} (${use}, contract ${g.contractRef}) expired ${g.endsOn}`, ref } };
      if (g.territory !== 'worldwide' && g.territory !== ctx.territory)
        return { ok: false, r: { rule: 'grant.territory' as const, detail: `grant ${g.id} (${use}) covers ${g.territory}, not ${ctx.territory}`, ref } };
      return { ok: true, r: { rule: 'grant.valid' as const, detail: `grant ${g.id} of ${use} from ${g.grantor}, ${g.territory}, ${grantWindow(g)}, contract ${g.contractRef}`, ref } };
    });
    const anyValid = judged.some((j) => j.ok);
    if (!anyValid) allows = false;
    for (const j of judged) rules.push({ ...j.r, outcome: j.ok ? 'allow' : anyValid ? 'note' : 'deny' });
  }
  return { rules, allows };
}

/** Scopes a person's appearance needs for the purpose: on screen needs footage consent, a voice needs voice consent. */
function scopesNeeded(a: Appearance, purpose: TrainingPurpose): ConsentScope[] {
  const picture = purpose !== 'audio';
  const sound = purpose !== 'video';
  const out: ConsentScope[] = [];
  if (picture && a.presence !== 'voice') out.push('training-footage');
  if (sound && a.presence !== 'on-screen') out.push('voice');
  return out;
}

function rangeText(start: number, end: number): string {
  return Number.isFinite(end) && start > 0 ? `${start}-${end} s` : Number.isFinite(end) ? `0-${end} s` : start > 0 ? `from ${start} s` : 'whole title';
}

function consentRules(a: Appearance, person: Person | undefined, consents: Consent[], scope: ConsentScope, ctx: PolicyContext & { asOf: IsoDate }, start: number, end: number): PolicyRule[] {
  const who = person ? `${person.name} (${person.id})` : `unknown person ${a.personId}`;
  const as = a.character ? ` as ${a.character}` : '';
  const at = rangeText(start, end);
  const base = { start, end };
  const judged: Array<{ ok: boolean; rule: PolicyRule }> = [];
  for (const c of consents) {
    if (!c.scopes.includes(scope)) continue;
    const ref = `consent:${c.id}`;
    if (c.revokedOn && c.revokedOn <= ctx.asOf) {
      judged.push({ ok: false, rule: { ...base, rule: 'consent.revoked', outcome: 'deny', detail: `${who}${as} on screen ${at}: ${scope} consent ${c.id} revoked on ${c.revokedOn}${c.revokedReason ? `: ${c.revokedReason}` : ''}`, ref } });
    } else if (c.grantedOn > ctx.asOf) {
      judged.push({ ok: false, rule: { ...base, rule: 'consent.not-yet-valid', outcome: 'deny', detail: `${who}${as} ${at}: ${scope} consent ${c.id} starts ${c.grantedOn}`, ref } });
    } else if (c.conditions?.projects && c.conditions.projects.length > 0 && !(ctx.project && c.conditions.projects.includes(ctx.project))) {
      judged.push({ ok: false, rule: { ...base, rule: 'consent.condition', outcome: 'deny', detail: `${who}${as} ${at}: ${scope} consent ${c.id} holds only for project(s) ${c.conditions.projects.join(', ')}${ctx.project ? `, not ${ctx.project}` : '; no project given'}`, ref } });
    } else {
      judged.push({ ok: true, rule: { ...base, rule: 'consent.valid', outcome: 'allow', detail: `${who}${as} ${at}: ${scope} consent ${c.id} (document ${c.documentRef}) since ${c.grantedOn}`, ref } });
    }
  }
  if (judged.length === 0) {
    const other = consents.length > 0;
    return [{ ...base, rule: other ? 'consent.scope' : 'consent.missing', outcome: 'deny', detail: other ? `${who}${as} ${at}: consents on record do not cover ${scope}` : `${who}${as} ${at}: no consent on record`, ref: `person:${a.personId}` }];
  }
  const anyValid = judged.some((j) => j.ok);
  return judged.map((j) => (j.ok || !anyValid ? j.rule : { ...j.rule, outcome: 'note' as const }));
}

function byTitle<T extends { titleId: string }>(items: T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const list = m.get(it.titleId);
    if (list) list.push(it);
    else m.set(it.titleId, [it]);
  }
  return m;
}

function signalRules(mediaFileId: string, signals: OptOutSignal[]): { rules: PolicyRule[]; denies: boolean } {
  const rules: PolicyRule[] = signals.map((s) => ({
    rule: 'optout.signal',
    outcome: s.prohibits ? 'deny' : 'note',
    detail: `${s.source} ${s.label}${s.key !== s.label ? ` ${s.key}` : ''} = ${s.value} in ${s.where}`,
    ref: `media:${mediaFileId}`,
  }));
  return { rules, denies: signals.some((s) => s.prohibits) };
}

export function compileRightsPolicy(registry: RightsRegistry, context: PolicyContext): CompiledRightsPolicy {
  const ctx = { purpose: context.purpose, asOf: context.asOf, territory: context.territory ?? 'worldwide', ...(context.project ? { project: context.project } : {}) };
  const usesAudio = ctx.purpose !== 'video';
  const people = new Map(registry.people.map((p) => [p.id, p]));
  const consentsOf = new Map<string, Consent[]>();
  for (const c of registry.consents) {
    const list = consentsOf.get(c.personId);
    if (list) list.push(c);
    else consentsOf.set(c.personId, [c]);
  }

  const grants = byTitle(registry.grants);
  const appearances = byTitle(registry.appearances);
  const cues = byTitle(registry.cues);
  const restrictions = byTitle(registry.restrictions);
  const titleIds = new Set<string>([...grants.keys(), ...appearances.keys(), ...cues.keys(), ...restrictions.keys()]);

  const titles = new Map<string, TitleIndex>();
  for (const titleId of titleIds) {
    const g = grantRules(titleId, grants.get(titleId) ?? [], ctx);
    const items: RangedItem[] = [];
    for (const a of appearances.get(titleId) ?? []) {
      const start = a.start ?? 0;
      const end = a.end ?? Infinity;
      const rules = scopesNeeded(a, ctx.purpose).flatMap((scope) => consentRules(a, people.get(a.personId), consentsOf.get(a.personId) ?? [], scope, ctx, start, end));
      if (rules.length) items.push({ start, end, rules, denies: rules.some((r) => r.outcome === 'deny') });
    }
    if (usesAudio) {
      for (const c of cues.get(titleId) ?? []) items.push(cueItem(c));
    }
    for (const r of restrictions.get(titleId) ?? []) items.push(restrictionItem(r));
    items.sort((x, y) => x.start - y.start || x.end - y.end);
    const maxEnd = new Float64Array(items.length);
    let m = -Infinity;
    items.forEach((it, i) => {
      m = Math.max(m, it.end);
      maxEnd[i] = m;
    });
    titles.set(titleId, { titleRules: g.rules, titleAllows: g.allows, items, maxEnd });
  }
  // Titles nobody granted anything for: one shared grant.none per title, made on first use.
  const ungranted = new Map<string, TitleIndex>();
  const indexFor = (titleId: string): TitleIndex => {
    const t = titles.get(titleId) ?? ungranted.get(titleId);
    if (t) return t;
    const made = { ...EMPTY_TITLE, titleRules: grantRules(titleId, [], ctx).rules };
    ungranted.set(titleId, made);
    return made;
  };

  const media = new Map<string, { rules: PolicyRule[]; denies: boolean }>();
  for (const mo of registry.mediaOptOuts) if (mo.signals.length) media.set(mo.mediaFileId, signalRules(mo.mediaFileId, mo.signals));

  // Scratch for the denying items of the current shot; reused across calls (decide is synchronous).
  const hitStart: number[] = [];
  const hitEnd: number[] = [];

  function decide(shot: PolicyShot): ShotDecision {
    const t = indexFor(shot.titleId);
    const m = shot.mediaFileId ? media.get(shot.mediaFileId) : undefined;
    const s = shot.start;
    const e = shot.end;
    let allowed = t.titleAllows && !(m && m.denies);
    const wholeAllowed = allowed;

    // Items overlapping [s, e): start < e and end > s. Binary search the first item starting at or
    // after e, then walk back while some earlier item may still reach past s.
    const items = t.items;
    const lo = partitionPoint(items.length, (mid) => items[mid]!.start < e);
    let first = lo;
    while (first > 0 && t.maxEnd[first - 1]! > s) first--;

    let rules: readonly PolicyRule[] = t.titleRules;
    let owned: PolicyRule[] | null = null;
    if (m) owned = t.titleRules.concat(m.rules);
    hitStart.length = 0;
    hitEnd.length = 0;
    for (let i = first; i < lo; i++) {
      const it = items[i]!;
      if (it.end <= s || it.start >= e) continue;
      if (!owned) owned = t.titleRules.slice();
      for (const r of it.rules) owned.push(r);
      if (it.denies) {
        allowed = false;
        hitStart.push(Math.max(s, it.start));
        hitEnd.push(Math.min(e, it.end));
      }
    }
    if (owned) rules = owned;
    return { shotId: shot.id, titleId: shot.titleId, allowed, rules, ranges: cutRanges(s, e, wholeAllowed, hitStart, hitEnd) };
  }

  return {
    version: RIGHTS_POLICY_VERSION,
    context: ctx,
    decide,
    *decideAll(shots) {
      for (const shot of shots) yield decide(shot);
    },
  };
}

function cueItem(c: MusicCue): RangedItem {
  const by = [c.composer && `composer ${c.composer}`, c.performer && `performer ${c.performer}`].filter(Boolean).join(', ');
  const rule: PolicyRule = {
    rule: c.cleared ? 'cue.cleared' : 'cue.uncleared',
    outcome: c.cleared ? 'allow' : 'deny',
    detail: `music cue "${c.name}"${by ? ` (${by})` : ''} ${c.start}-${c.end} s ${c.cleared ? 'cleared' : 'not cleared'} for training`,
    ref: `cue:${c.id}`,
    start: c.start,
    end: c.end,
  };
  return { start: c.start, end: c.end, rules: [rule], denies: !c.cleared };
}

function restrictionItem(r: Restriction): RangedItem {
  const rule: PolicyRule = {
    rule: 'restriction',
    outcome: 'deny',
    detail: `${r.kind} ${r.start}-${r.end} s${r.note ? `: ${r.note}` : ''}`,
    ref: `restriction:${r.id}`,
    start: r.start,
    end: r.end,
  };
  return { start: r.start, end: r.end, rules: [rule], denies: true };
}

/** Splits [s, e) at the edges of the denied intervals; merges neighbours with the same verdict. */
function cutRanges(s: number, e: number, wholeAllowed: boolean, ds: number[], de: number[]): PolicyRange[] {
  if (!wholeAllowed || ds.length === 0) return [{ start: s, end: e, allowed: wholeAllowed && ds.length === 0 }];
  const edges = [s, e, ...ds, ...de].sort((a, b) => a - b);
  const out: PolicyRange[] = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    const a = edges[i]!;
    const b = edges[i + 1]!;
    if (b <= a) continue;
    let denied = false;
    for (let k = 0; k < ds.length; k++) {
      if (ds[k]! < b && de[k]! > a) {
        denied = true;
        break;
      }
    }
    const last = out[out.length - 1];
    if (last && last.allowed === !denied && last.end === a) last.end = b;
    else out.push({ start: a, end: b, allowed: !denied });
  }
  return out;
}

/** One-off decision (compiles the registry each call): for tests and single lookups, not loops. */
export function decideShot(registry: RightsRegistry, context: PolicyContext, shot: PolicyShot): ShotDecision {
  return compileRightsPolicy(registry, context).decide(shot);
}

/** The rules that excluded a shot, as exclusions.jsonl wants them. */
export function denyReasons(d: ShotDecision): Array<{ rule: PolicyRuleId; detail: string; ref: string | null }> {
  return d.rules.filter((r) => r.outcome === 'deny').map((r) => ({ rule: r.rule, detail: r.detail, ref: r.ref }));
}
