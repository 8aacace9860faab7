// The rights policy a build runs: the registry read from the workspace database (tables of
// migration 0002) compiled by the pure policy in @backlot/core for the dataset's purpose and day.
import type { Db } from '@backlot/adapters/db';
import { compileRightsPolicy, type CompiledRightsPolicy, type OptOutSignal, type RightsRegistry, type TrainingPurpose } from '@backlot/core';

type Rows = Array<Record<string, unknown>>;
const day = (col: string) => `to_char(${col}, 'YYYY-MM-DD')`;

export async function loadRightsRegistry(db: Db): Promise<RightsRegistry> {
  const [grants, people, consents, appearances, cues, restrictions, media] = await Promise.all([
    db.query(`SELECT id, title_id, uses, grantor, territory, ${day('starts_on')} AS starts_on, ${day('ends_on')} AS ends_on, contract_ref, note, ${day('revoked_on')} AS revoked_on, revoked_reason FROM rights_grants ORDER BY id`),
    db.query('SELECT id, name, kind, aliases FROM people ORDER BY id'),
    db.query(`SELECT id, person_id, scopes, ${day('granted_on')} AS granted_on, ${day('revoked_on')} AS revoked_on, revoked_reason, document_ref, conditions FROM consents ORDER BY id`),
    db.query('SELECT id, person_id, title_id, start_s, end_s, presence, character, source FROM appearances ORDER BY id'),
    db.query('SELECT id, title_id, name, start_s, end_s, composer, performer, cleared, cue_sheet_ref FROM music_cues ORDER BY id'),
    db.query('SELECT id, title_id, start_s, end_s, kind, note, ref FROM restrictions ORDER BY id'),
    db.query("SELECT id, title_id, opt_out FROM media_files WHERE jsonb_array_length(opt_out) > 0 ORDER BY id"),
  ]) as Rows[];
  return {
    grants: grants!.map((r) => ({ id: r.id as string, titleId: r.title_id as string, uses: r.uses as RightsRegistry['grants'][number]['uses'], grantor: r.grantor as string, territory: r.territory as string, startsOn: r.starts_on as string, endsOn: (r.ends_on as string | null) ?? null, contractRef: r.contract_ref as string, note: r.note as string | null, revokedOn: r.revoked_on as string | null, revokedReason: r.revoked_reason as string | null })),
    people: people!.map((r) => ({ id: r.id as string, name: r.name as string, kind: r.kind as RightsRegistry['people'][number]['kind'], aliases: r.aliases as string[] })),
    consents: consents!.map((r) => ({ id: r.id as string, personId: r.person_id as string, scopes: r.scopes as RightsRegistry['consents'][number]['scopes'], grantedOn: r.granted_on as string, revokedOn: r.revoked_on as string | null, revokedReason: r.revoked_reason as string | null, documentRef: r.document_ref as string, conditions: (r.conditions ?? {}) as RightsRegistry['consents'][number]['conditions'] })),
    appearances: appearances!.map((r) => ({ id: r.id as string, personId: r.person_id as string, titleId: r.title_id as string, start: r.start_s as number | null, end: r.end_s as number | null, presence: r.presence as RightsRegistry['appearances'][number]['presence'], character: r.character as string | null })),
    cues: cues!.map((r) => ({ id: r.id as string, titleId: r.title_id as string, name: r.name as string, start: r.start_s as number, end: r.end_s as number, composer: r.composer as string | null, performer: r.performer as string | null, cleared: r.cleared as boolean, cueSheetRef: r.cue_sheet_ref as string | null })),
    restrictions: restrictions!.map((r) => ({ id: r.id as string, titleId: r.title_id as string, start: r.start_s as number, end: r.end_s as number, kind: r.kind as RightsRegistry['restrictions'][number]['kind'], note: r.note as string, ref: r.ref as string | null })),
    mediaOptOuts: media!.map((r) => ({ mediaFileId: r.id as string, titleId: r.title_id as string, signals: r.opt_out as OptOutSignal[] })),
  };
}

export async function loadRightsPolicy(db: Db, purpose: TrainingPurpose, asOf: string): Promise<CompiledRightsPolicy> {
  return compileRightsPolicy(await loadRightsRegistry(db), { purpose, asOf });
}
