import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  compileRightsPolicy,
  decideShot,
  emptyRegistry,
  type Appearance,
  type Consent,
  type MediaOptOut,
  type MusicCue,
  type PolicyContext,
  type PolicyShot,
  type Restriction,
  type RightsGrant,
  type RightsRegistry,
} from '../index.js';

const TITLES = ['t1', 't2', 't3'];
const PEOPLE = ['p1', 'p2', 'p3', 'p4'];
const day = fc.integer({ min: 0, max: 60 }).map((d) => new Date(Date.UTC(2026, 0, 1 + d)).toISOString().slice(0, 10));
const time = fc.integer({ min: 0, max: 100 });
const span = fc.tuple(time, fc.integer({ min: 1, max: 40 })).map(([s, len]) => [s, s + len] as const);

const grantArb: fc.Arbitrary<RightsGrant> = fc.record({
  id: fc.uuid(),
  titleId: fc.constantFrom(...TITLES),
  uses: fc.subarray(['train-video', 'train-audio', 'generate-likeness'] as const, { minLength: 1 }).map((u) => [...u]),
  grantor: fc.constant('Studio'),
  territory: fc.constantFrom('worldwide', 'GB', 'US'),
  startsOn: day,
  endsOn: fc.option(day),
  contractRef: fc.constant('C-1'),
  revokedOn: fc.option(day),
});
const consentArb: fc.Arbitrary<Consent> = fc.record({
  id: fc.uuid(),
  personId: fc.constantFrom(...PEOPLE),
  scopes: fc.subarray(['training-footage', 'likeness', 'voice', 'music'] as const, { minLength: 1 }).map((u) => [...u]),
  grantedOn: day,
  revokedOn: fc.option(day),
  documentRef: fc.constant('D-1'),
  conditions: fc.option(fc.record({ projects: fc.subarray(['alpha', 'beta'], { minLength: 1 }) }), { nil: undefined }),
});
const appearanceArb: fc.Arbitrary<Appearance> = fc.record({
  id: fc.uuid(),
  personId: fc.constantFrom(...PEOPLE, 'ghost'),
  titleId: fc.constantFrom(...TITLES),
  range: fc.option(span),
  presence: fc.constantFrom('on-screen', 'voice', 'both'),
}).map(({ range, ...a }) => ({ ...a, start: range ? range[0] : null, end: range ? range[1] : null }));
const cueArb: fc.Arbitrary<MusicCue> = fc.record({ id: fc.uuid(), titleId: fc.constantFrom(...TITLES), name: fc.constant('Cue'), range: span, cleared: fc.boolean() }).map(({ range, ...c }) => ({ ...c, start: range[0], end: range[1] }));
const restrictionArb: fc.Arbitrary<Restriction> = fc
  .record({ id: fc.uuid(), titleId: fc.constantFrom(...TITLES), range: span, kind: fc.constantFrom('third-party-footage', 'logo', 'minor', 'other'), note: fc.constant('') })
  .map(({ range, ...r }) => ({ ...r, start: range[0], end: range[1] }));
const optOutArb: fc.Arbitrary<MediaOptOut> = fc.record({
  mediaFileId: fc.constantFrom('m1', 'm2', 'm3'),
  titleId: fc.constantFrom(...TITLES),
  signals: fc.array(fc.record({ source: fc.constantFrom('iptc-xmp', 'c2pa'), label: fc.constant('x'), key: fc.constant('k'), value: fc.constant('v'), prohibits: fc.boolean(), where: fc.constant('w') }), { maxLength: 2 }),
});
const registryArb: fc.Arbitrary<RightsRegistry> = fc.record({
  grants: fc.array(grantArb, { maxLength: 6 }),
  people: fc.constant(PEOPLE.map((id) => ({ id, name: id.toUpperCase(), kind: 'actor' as const, aliases: [] }))),
  consents: fc.array(consentArb, { maxLength: 8 }),
  appearances: fc.array(appearanceArb, { maxLength: 6 }),
  cues: fc.array(cueArb, { maxLength: 4 }),
  restrictions: fc.array(restrictionArb, { maxLength: 3 }),
  mediaOptOuts: fc.uniqueArray(optOutArb, { selector: (m) => m.mediaFileId, maxLength: 3 }),
});
const contextArb: fc.Arbitrary<PolicyContext> = fc.record({
  purpose: fc.constantFrom('video', 'audio', 'audiovisual'),
  asOf: day,
  territory: fc.constantFrom('worldwide', 'GB'),
  project: fc.option(fc.constantFrom('alpha', 'beta'), { nil: undefined }),
});
const shotArb: fc.Arbitrary<PolicyShot> = fc
  .record({ id: fc.constant('s'), titleId: fc.constantFrom(...TITLES, 'unknown'), mediaFileId: fc.constantFrom('m1', 'm2', 'm3', null), range: span })
  .map(({ range, ...s }) => ({ ...s, start: range[0], end: range[1] }));

const overlaps = (a: { start: number | null; end: number | null }, s: PolicyShot) => (a.start ?? 0) < s.end && (a.end ?? Infinity) > s.start;
const usesFor = (p: PolicyContext['purpose']) => (p === 'video' ? ['train-video'] : p === 'audio' ? ['train-audio'] : ['train-video', 'train-audio']);
function validGrant(g: RightsGrant, ctx: PolicyContext, use: string): boolean {
  return g.uses.includes(use as never) && !(g.revokedOn && g.revokedOn <= ctx.asOf) && g.startsOn <= ctx.asOf && (g.endsOn === null || g.endsOn >= ctx.asOf) && (g.territory === 'worldwide' || g.territory === (ctx.territory ?? 'worldwide'));
}

describe('rights policy', () => {
  it('allows exactly when no rule denies, and lists grant rules for every shot', () => {
    fc.assert(
      fc.property(registryArb, contextArb, shotArb, (reg, ctx, shot) => {
        const d = decideShot(reg, ctx, shot);
        expect(d.allowed).toBe(!d.rules.some((r) => r.outcome === 'deny'));
        expect(d.rules.some((r) => r.rule.startsWith('grant.'))).toBe(true);
        for (const r of d.rules) expect(r.detail.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('default deny: without a valid grant for every use of the purpose nothing is allowed', () => {
    fc.assert(
      fc.property(registryArb, contextArb, shotArb, (reg, ctx, shot) => {
        const d = decideShot(reg, ctx, shot);
        const granted = usesFor(ctx.purpose).every((use) => reg.grants.some((g) => g.titleId === shot.titleId && validGrant(g, ctx, use)));
        if (!granted) {
          expect(d.allowed).toBe(false);
          expect(d.rules.some((r) => r.outcome === 'deny' && r.rule.startsWith('grant.'))).toBe(true);
        }
        expect(decideShot(emptyRegistry(), ctx, shot).allowed).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it("excludes every shot where a person whose consents are all revoked appears", () => {
    fc.assert(
      fc.property(registryArb, contextArb, shotArb, fc.constantFrom(...PEOPLE), (reg, ctx, shot, who) => {
        const revoked = { ...reg, consents: reg.consents.map((c) => (c.personId === who ? { ...c, revokedOn: ctx.asOf, revokedReason: 'withdrawn' } : c)) };
        const d = decideShot(revoked, ctx, shot);
        const seen = reg.appearances.some(
          (a) => a.personId === who && a.titleId === shot.titleId && overlaps(a, shot) &&
            ((ctx.purpose !== 'audio' && a.presence !== 'voice') || (ctx.purpose !== 'video' && a.presence !== 'on-screen')),
        );
        if (seen) {
          expect(d.allowed).toBe(false);
          expect(d.rules.some((r) => r.outcome === 'deny' && (r.ref === `person:${who}` || revoked.consents.some((c) => c.personId === who && r.ref === `consent:${c.id}`)))).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('lists every overlapping restriction, uncleared cue (with audio) and prohibiting signal as a deny', () => {
    fc.assert(
      fc.property(registryArb, contextArb, shotArb, (reg, ctx, shot) => {
        const d = decideShot(reg, ctx, shot);
        const refs = new Set(d.rules.filter((r) => r.outcome === 'deny').map((r) => r.ref));
        for (const r of reg.restrictions) if (r.titleId === shot.titleId && overlaps(r, shot)) expect(refs.has(`restriction:${r.id}`)).toBe(true);
        for (const c of reg.cues) {
          if (c.titleId === shot.titleId && overlaps(c, shot) && !c.cleared) expect(refs.has(`cue:${c.id}`)).toBe(ctx.purpose !== 'video');
        }
        const m = reg.mediaOptOuts.find((x) => x.mediaFileId === shot.mediaFileId);
        if (m?.signals.some((s) => s.prohibits)) {
          expect(refs.has(`media:${m.mediaFileId}`)).toBe(true);
          expect(d.allowed).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('cuts the shot into ranges that cover it exactly, allowed only where no ranged record denies', () => {
    fc.assert(
      fc.property(registryArb, contextArb, shotArb, (reg, ctx, shot) => {
        const d = decideShot(reg, ctx, shot);
        expect(d.ranges[0]!.start).toBe(shot.start);
        expect(d.ranges[d.ranges.length - 1]!.end).toBe(shot.end);
        for (let i = 1; i < d.ranges.length; i++) expect(d.ranges[i]!.start).toBe(d.ranges[i - 1]!.end);
        expect(d.allowed).toBe(d.ranges.every((r) => r.allowed));
        for (const range of d.ranges.filter((r) => r.allowed)) {
          for (const rule of d.rules) {
            if (rule.outcome === 'deny') expect(rule.start !== undefined && rule.end !== undefined && (rule.end <= range.start || rule.start >= range.end)).toBe(true);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('gives the same decision compiled once or per shot (no state leaks between shots)', () => {
    fc.assert(
      fc.property(registryArb, contextArb, fc.array(shotArb, { maxLength: 20 }), (reg, ctx, shots) => {
        const p = compileRightsPolicy(reg, ctx);
        const streamed = [...p.decideAll(shots)];
        shots.forEach((s, i) => expect(streamed[i]).toEqual(decideShot(reg, ctx, s)));
      }),
      { numRuns: 300 },
    );
  });

  it('excludes a person on screen without a consent record, and admits them with one', () => {
    const reg: RightsRegistry = {
      ...emptyRegistry(),
      grants: [{ id: 'g', titleId: 't', uses: ['train-video'], grantor: 'S', territory: 'worldwide', startsOn: '2026-01-01', endsOn: null, contractRef: 'C' }],
      people: [{ id: 'ann', name: 'Ann', kind: 'actor', aliases: [] }],
      appearances: [{ id: 'a', personId: 'ann', titleId: 't', start: 10, end: 20, presence: 'on-screen', character: 'Red' }],
    };
    const ctx: PolicyContext = { purpose: 'video', asOf: '2026-06-01' };
    const d = decideShot(reg, ctx, { id: 's', titleId: 't', start: 5, end: 15 });
    expect(d.allowed).toBe(false);
    expect(d.rules.map((r) => [r.rule, r.outcome])).toEqual([['grant.valid', 'allow'], ['consent.missing', 'deny']]);
    expect(d.ranges).toEqual([{ start: 5, end: 10, allowed: true }, { start: 10, end: 15, allowed: false }]);
    const ok = decideShot({ ...reg, consents: [{ id: 'c', personId: 'ann', scopes: ['training-footage'], grantedOn: '2026-01-01', documentRef: 'D' }] }, ctx, { id: 's', titleId: 't', start: 5, end: 15 });
    expect(ok.allowed).toBe(true);
    expect(decideShot(reg, ctx, { id: 's2', titleId: 't', start: 20, end: 30 }).allowed).toBe(true);
  });
});
