// The rights registry as stored in the workspace database (migration 0002): load it whole for the
// policy, list it for people, show one record with what refers to it.
import type { Db } from '@backlot/adapters/db';
import {
  NotFoundError,
  compileRightsPolicy,
  type Appearance,
  type CompiledRightsPolicy,
  type Consent,
  type MusicCue,
  type OptOutSignal,
  type Person,
  type PolicyContext,
  type Restriction,
  type RightsGrant,
  type RightsRegistry,
} from '@backlot/core';

type R = Record<string, unknown>;
const day = (col: string) => `to_char(${col}, 'YYYY-MM-DD') AS ${col}`;
const str = (v: unknown) => v as string;
const opt = (v: unknown) => (v === null || v === undefined ? null : (v as string));

export const GRANT_COLUMNS = `id, title_id, uses, grantor, territory, ${day('starts_on')}, ${day('ends_on')}, contract_ref, note, ${day('revoked_on')}, revoked_reason`;
export const CONSENT_COLUMNS = `id, person_id, scopes, ${day('granted_on')}, ${day('revoked_on')}, revoked_reason, document_ref, conditions`;

export function grantFromRow(r: R): RightsGrant {
  return {
    id: str(r.id), titleId: str(r.title_id), uses: r.uses as RightsGrant['uses'], grantor: str(r.grantor), territory: str(r.territory),
    startsOn: str(r.starts_on), endsOn: opt(r.ends_on), contractRef: str(r.contract_ref), note: opt(r.note), revokedOn: opt(r.revoked_on), revokedReason: opt(r.revoked_reason),
  };
}
export function consentFromRow(r: R): Consent {
  return {
    id: str(r.id), personId: str(r.person_id), scopes: r.scopes as Consent['scopes'], grantedOn: str(r.granted_on), revokedOn: opt(r.revoked_on),
    revokedReason: opt(r.revoked_reason), documentRef: str(r.document_ref), conditions: (r.conditions ?? {}) as Consent['conditions'],
  };
}
export function personFromRow(r: R): Person {
  return { id: str(r.id), name: str(r.name), kind: r.kind as Person['kind'], aliases: (r.aliases as string[]) ?? [] };
}
export function appearanceFromRow(r: R): Appearance {
  return {
    id: str(r.id), personId: str(r.person_id), titleId: str(r.title_id), start: (r.start_s as number | null) ?? null, end: (r.end_s as number | null) ?? null,
    presence: r.presence as Appearance['presence'], character: opt(r.character), source: r.source as Appearance['source'],
  };
}
export function cueFromRow(r: R): MusicCue {
  return {
    id: str(r.id), titleId: str(r.title_id), name: str(r.name), start: r.start_s as number, end: r.end_s as number, composer: opt(r.composer),
    performer: opt(r.performer), cleared: r.cleared as boolean, cueSheetRef: opt(r.cue_sheet_ref),
  };
}
export function restrictionFromRow(r: R): Restriction {
  return { id: str(r.id), titleId: str(r.title_id), start: r.start_s as number, end: r.end_s as number, kind: r.kind as Restriction['kind'], note: str(r.note), ref: opt(r.ref) };
}

/** Everything the policy reads, in id order (so a compiled policy is the same for the same rows). */
export async function loadRightsRegistry(db: Db): Promise<RightsRegistry> {
  const grants = await db.query(`SELECT ${GRANT_COLUMNS} FROM rights_grants ORDER BY id`);
  const people = await db.query('SELECT id, name, kind, aliases FROM people ORDER BY id');
  const consents = await db.query(`SELECT ${CONSENT_COLUMNS} FROM consents ORDER BY id`);
  const appearances = await db.query('SELECT * FROM appearances ORDER BY id');
  const cues = await db.query('SELECT * FROM music_cues ORDER BY id');
  const restrictions = await db.query('SELECT * FROM restrictions ORDER BY id');
  const media = await db.query("SELECT id, title_id, opt_out FROM media_files WHERE jsonb_array_length(opt_out) > 0 ORDER BY id");
  return {
    grants: grants.map(grantFromRow),
    people: people.map(personFromRow),
    consents: consents.map(consentFromRow),
    appearances: appearances.map(appearanceFromRow),
    cues: cues.map(cueFromRow),
    restrictions: restrictions.map(restrictionFromRow),
    mediaOptOuts: media.map((r) => ({ mediaFileId: str(r.id), titleId: str(r.title_id), signals: r.opt_out as OptOutSignal[] })),
  };
}

export async function loadCompiledPolicy(db: Db, context: PolicyContext): Promise<CompiledRightsPolicy> {
  return compileRightsPolicy(await loadRightsRegistry(db), context);
}

/** Today as the policy's day (UTC). */
export function todayIso(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

export interface RightsSummaryRow {
  titleId: string;
  title: string;
  grants: number;
  validGrants: string[];
  appearances: number;
  people: number;
  cues: number;
  unclearedCues: number;
  restrictions: number;
  optOutFiles: number;
}

/** One line per title: what the registry holds for it. */
export async function listRights(db: Db, asOf: string = todayIso()): Promise<{ titles: RightsSummaryRow[]; people: Array<Person & { consents: Consent[] }> }> {
  const titles = await db.query<{ id: string; name: string }>('SELECT id, name FROM titles ORDER BY name');
  const reg = await loadRightsRegistry(db);
  const rows = titles.map((t) => {
    const grants = reg.grants.filter((g) => g.titleId === t.id);
    const apps = reg.appearances.filter((a) => a.titleId === t.id);
    const cues = reg.cues.filter((c) => c.titleId === t.id);
    return {
      titleId: t.id,
      title: t.name,
      grants: grants.length,
      validGrants: grants.filter((g) => !g.revokedOn && g.startsOn <= asOf && (g.endsOn === null || g.endsOn >= asOf)).flatMap((g) => g.uses),
      appearances: apps.length,
      people: new Set(apps.map((a) => a.personId)).size,
      cues: cues.length,
      unclearedCues: cues.filter((c) => !c.cleared).length,
      restrictions: reg.restrictions.filter((r) => r.titleId === t.id).length,
      optOutFiles: reg.mediaOptOuts.filter((m) => m.titleId === t.id && m.signals.some((s) => s.prohibits)).length,
    };
  });
  const people = reg.people.map((p) => ({ ...p, consents: reg.consents.filter((c) => c.personId === p.id) }));
  return { titles: rows, people };
}

export type ShownRecord =
  | { kind: 'title'; title: { id: string; name: string }; grants: RightsGrant[]; appearances: Appearance[]; cues: MusicCue[]; restrictions: Restriction[]; optOut: Array<{ mediaFileId: string; signals: OptOutSignal[] }> }
  | { kind: 'person'; person: Person; consents: Consent[]; appearances: Appearance[] }
  | { kind: 'grant'; grant: RightsGrant }
  | { kind: 'consent'; consent: Consent; person: Person | null }
  | { kind: 'cue'; cue: MusicCue }
  | { kind: 'restriction'; restriction: Restriction };

/** Finds a record by id, or a title / person by name or alias. */
export async function showRights(db: Db, key: string): Promise<ShownRecord> {
  const reg = await loadRightsRegistry(db);
  const k = key.trim().toLowerCase();
  const [title] = await db.query<{ id: string; name: string }>('SELECT id, name FROM titles WHERE id = $1 OR lower(name) = $2 LIMIT 1', [key, k]);
  if (title) {
    return {
      kind: 'title', title,
      grants: reg.grants.filter((g) => g.titleId === title.id),
      appearances: reg.appearances.filter((a) => a.titleId === title.id),
      cues: reg.cues.filter((c) => c.titleId === title.id),
      restrictions: reg.restrictions.filter((r) => r.titleId === title.id),
      optOut: reg.mediaOptOuts.filter((m) => m.titleId === title.id).map((m) => ({ mediaFileId: m.mediaFileId, signals: m.signals })),
    };
  }
  const person = findPerson(reg.people, key);
  if (person) return { kind: 'person', person, consents: reg.consents.filter((c) => c.personId === person.id), appearances: reg.appearances.filter((a) => a.personId === person.id) };
  const grant = reg.grants.find((g) => g.id === key);
  if (grant) return { kind: 'grant', grant };
  const consent = reg.consents.find((c) => c.id === key);
  if (consent) return { kind: 'consent', consent, person: reg.people.find((p) => p.id === consent.personId) ?? null };
  const cue = reg.cues.find((c) => c.id === key);
  if (cue) return { kind: 'cue', cue };
  const restriction = reg.restrictions.find((r) => r.id === key);
  if (restriction) return { kind: 'restriction', restriction };
  throw new NotFoundError('rights_record_not_found', `no title, person, grant, consent, cue or restriction called ${JSON.stringify(key)}`, key);
}

/** A person by id, exact name or alias (case-insensitive); null when none or ambiguous. */
export function findPerson(people: Person[], key: string): Person | null {
  const byId = people.find((p) => p.id === key);
  if (byId) return byId;
  const k = key.trim().toLowerCase();
  const named = people.filter((p) => p.name.toLowerCase() === k || p.aliases.some((a) => a.toLowerCase() === k));
  return named.length === 1 ? named[0]! : null;
}
