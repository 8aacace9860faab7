// The guardrail decision: which people a prompt names, and whether each has a live likeness consent
// covering this use. Refusals carry the reason and the consent records that were checked.
import { findVariant, capitalsInformative, promptWords, type NameMatch, type NameVariant } from './names.js';

/** A person as the guardrail sees them: the rights registry's name and aliases, and roles played. */
export interface LikenessSubject {
  personId: string;
  name: string;
  aliases: string[];
  characters: Array<{ name: string; title?: string }>;
}

/** The parts of a consent record (docs/rights-model.md) the guardrail reads. */
export interface LikenessConsent {
  id: string;
  personId: string;
  scopes: string[];
  /** YYYY-MM-DD. */
  grantedOn: string;
  revokedOn: string | null;
  documentRef?: string;
  conditions: { projects?: string[]; note?: string };
}

/** The consent scope that allows generating a person's likeness. */
export const LIKENESS_SCOPE = 'likeness';

export interface GuardrailContext {
  /** The day of the generation, YYYY-MM-DD. */
  on: string;
  /** The project the output is for; consents limited to projects require one. */
  project?: string | null;
}

export interface ConsentVerdict {
  consentId: string;
  documentRef?: string;
  usable: boolean;
  reason: string;
}

export interface PersonCheck {
  personId: string;
  personName: string;
  mentions: NameMatch[];
  allowed: boolean;
  /** The consent that allows it, when allowed. */
  consentId: string | null;
  /** Every likeness consent on record for the person, with why it does or does not apply. */
  consents: ConsentVerdict[];
  reason: string;
}

export interface GuardrailDecision {
  allowed: boolean;
  checks: PersonCheck[];
  /** One line per refused person; empty when allowed. */
  reasons: string[];
}

export function variantsOf(p: LikenessSubject): NameVariant[] {
  return [
    { personId: p.personId, kind: 'name', text: p.name },
    ...p.aliases.map((text): NameVariant => ({ personId: p.personId, kind: 'alias', text })),
    ...p.characters.map((c): NameVariant => ({ personId: p.personId, kind: 'character', text: c.name, title: c.title })),
  ];
}

/** People the prompt names, with every mention. */
export function findPeople(prompt: string, people: LikenessSubject[]): Array<{ person: LikenessSubject; mentions: NameMatch[] }> {
  const words = promptWords(prompt);
  const capitals = capitalsInformative(words);
  const found: Array<{ person: LikenessSubject; mentions: NameMatch[] }> = [];
  for (const person of people) {
    const mentions = variantsOf(person).flatMap((v) => findVariant(words, v, capitals));
    if (mentions.length) found.push({ person, mentions });
  }
  return found;
}

export function judgeConsent(c: LikenessConsent, ctx: GuardrailContext): ConsentVerdict {
  const base = { consentId: c.id, documentRef: c.documentRef };
  if (!c.scopes.includes(LIKENESS_SCOPE)) return { ...base, usable: false, reason: `consent ${c.id} does not cover likeness (scopes: ${c.scopes.join(', ') || 'none'})` };
  if (c.grantedOn > ctx.on) return { ...base, usable: false, reason: `consent ${c.id} starts on ${c.grantedOn}` };
  if (c.revokedOn && c.revokedOn <= ctx.on) return { ...base, usable: false, reason: `consent ${c.id} was revoked on ${c.revokedOn}` };
  const projects = c.conditions.projects;
  if (projects && projects.length) {
    if (!ctx.project) return { ...base, usable: false, reason: `consent ${c.id} is limited to project ${projects.join(' / ')}; no project was given` };
    if (!projects.includes(ctx.project)) return { ...base, usable: false, reason: `consent ${c.id} is limited to project ${projects.join(' / ')}, not ${ctx.project}` };
  }
  return { ...base, usable: true, reason: `consent ${c.id} allows likeness${projects?.length ? ` for ${ctx.project}` : ''}${c.conditions.note ? ` (${c.conditions.note})` : ''}` };
}

function describe(m: NameMatch): string {
  const what = m.variant.kind === 'character' ? `character ${m.variant.text}${m.variant.title ? ` (${m.variant.title})` : ''}` : m.variant.kind === 'alias' ? `alias ${m.variant.text}` : m.variant.text;
  return m.variant.kind === 'name' && m.matched.toLowerCase() === m.variant.text.toLowerCase() ? `"${m.matched}"` : `"${m.matched}" (${what})`;
}

/** Checks a prompt against the registry: refused if any named person lacks a usable likeness consent. */
export function checkPrompt(prompt: string, people: LikenessSubject[], consents: LikenessConsent[], ctx: GuardrailContext): GuardrailDecision {
  const checks: PersonCheck[] = [];
  for (const { person, mentions } of findPeople(prompt, people)) {
    const verdicts = consents.filter((c) => c.personId === person.personId).map((c) => judgeConsent(c, ctx));
    const likeness = verdicts.filter((v) => !/does not cover likeness/.test(v.reason));
    const usable = verdicts.find((v) => v.usable);
    const named = `prompt names ${person.name} as ${mentions.map(describe).join(', ')}`;
    let reason: string;
    if (usable) reason = `${named}: ${usable.reason}`;
    else if (likeness.length === 0) reason = `${named}: no likeness consent on record for ${person.name} (${person.personId})`;
    else reason = `${named}: ${likeness.map((v) => v.reason).join('; ')}`;
    checks.push({ personId: person.personId, personName: person.name, mentions, allowed: !!usable, consentId: usable?.consentId ?? null, consents: verdicts, reason });
  }
  const refused = checks.filter((c) => !c.allowed);
  return { allowed: refused.length === 0, checks, reasons: refused.map((c) => c.reason) };
}
