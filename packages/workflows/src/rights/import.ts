// `backlot rights import FILE`: read a JSON or CSV rights file, find every problem in it (schema,
// references, windows) and write all of it in one transaction, or nothing. Records upsert by id.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { Workspace } from '@backlot/adapters/workspace';
import type { Db } from '@backlot/adapters/db';
import {
  InputError,
  RightsImportError,
  jsonLocator,
  fileProblem,
  parseRightsCsv,
  parseRightsJson,
  resolveRightsImport,
  type ImportProblem,
  type ProgressSink,
  type RecordLocator,
  type ResolvedRightsImport,
  type PartialRightsImport,
} from '@backlot/core';
import { appendAudit } from '../audit/index.js';
import { GRANT_COLUMNS, grantFromRow } from './registry.js';
import { propagateRevocation, type TaintReport } from './revoke.js';

export interface RightsImportResult {
  file: string;
  sha256: string;
  format: 'json' | 'csv';
  counts: Record<'people' | 'grants' | 'consents' | 'appearances' | 'cues' | 'restrictions', number>;
  /** Consents the file marked revoked that were live before, and what they tainted. */
  revocations: TaintReport[];
  /** Consents the file lists as live that are revoked in the registry: they stay revoked. */
  keptRevoked: string[];
  auditSeq: number;
}

/** Parses and validates without touching the database beyond reading titles, people and grants. */
export async function validateRightsFile(db: Db, path: string, body?: string): Promise<{ resolved: ResolvedRightsImport; format: 'json' | 'csv'; sha256: string }> {
  let text: string;
  try {
    text = body ?? (await readFile(path, 'utf8'));
  } catch (e) {
    throw new InputError('rights_file_unreadable', `rights file ${path}: ${fileProblem(e)}`, path);
  }
  const sha256 = createHash('sha256').update(text).digest('hex');
  const ext = extname(path).toLowerCase();
  const format: 'json' | 'csv' = ext === '.csv' ? 'csv' : ext === '.json' ? 'json' : text.trimStart().startsWith('{') ? 'json' : 'csv';
  let parsed: { file: PartialRightsImport | null; problems: ImportProblem[] };
  let locate: RecordLocator = jsonLocator;
  if (format === 'json') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new RightsImportError(path, [{ where: jsonErrorWhere(text, e as Error), message: `not valid JSON: ${(e as Error).message}` }]);
    }
    parsed = parseRightsJson(value);
  } else {
    const csv = parseRightsCsv(text);
    parsed = csv;
    locate = csv.locate;
  }
  // Schema problems and reference problems of the records that are well-formed are reported together.
  if (!parsed.file) throw new RightsImportError(path, parsed.problems);
  const titles = await db.query<{ id: string; name: string; duration: number | null }>('SELECT t.id, t.name, max(m.duration_s) AS duration FROM titles t LEFT JOIN media_files m ON m.title_id = t.id GROUP BY t.id, t.name');
  const people = await db.query<{ id: string; name: string; aliases: string[] }>('SELECT id, name, aliases FROM people');
  const grants = (await db.query(`SELECT ${GRANT_COLUMNS} FROM rights_grants`)).map(grantFromRow);
  const { resolved, problems } = resolveRightsImport(
    parsed.file,
    { titles: titles.map((t) => ({ id: t.id, name: t.name, durationSeconds: t.duration })), people, grants: grants.map((g) => ({ ...g, revokedOn: g.revokedOn ?? null })) },
    locate,
  );
  if (!resolved || parsed.problems.length) throw new RightsImportError(path, format === 'csv' ? byRow([...parsed.problems, ...problems]) : [...parsed.problems, ...problems]);
  return { resolved, format, sha256 };
}

/** CSV problems in file order (stable: a row's problems keep the order they were found in). */
function byRow(problems: ImportProblem[]): ImportProblem[] {
  const row = (p: ImportProblem) => Number(/^row (\d+)/.exec(p.where)?.[1] ?? 0);
  return [...problems].sort((a, b) => row(a) - row(b));
}

function jsonErrorWhere(text: string, e: Error): string {
  // V8 names a position for most syntax errors; a truncated file fails at its end.
  const m = /position (\d+)/.exec(e.message);
  const upto = text.slice(0, m ? Number(m[1]) : text.length);
  const line = upto.split('\n').length;
  return `line ${line}, column ${upto.length - upto.lastIndexOf('\n')}`;
}

export async function importRights(
  ws: Workspace,
  input: { path: string; body?: string },
  opts: { actor: string; onProgress?: ProgressSink; signal?: AbortSignal },
): Promise<RightsImportResult> {
  const { resolved, format, sha256 } = await validateRightsFile(ws.db, input.path, input.body);
  opts.signal?.throwIfAborted();
  const counts = {
    people: resolved.people.length,
    grants: resolved.grants.length,
    consents: resolved.consents.length,
    appearances: resolved.appearances.length,
    cues: resolved.cues.length,
    restrictions: resolved.restrictions.length,
  };
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const progress = (done: number, finished = false) => opts.onProgress?.({ task: 'rights:import', label: basename(input.path), done, total, unit: 'records', finished });
  progress(0);

  const { newlyRevoked, keptRevoked, auditSeq } = await ws.db.transaction(async (tx) => {
    const before = await tx.query<{ id: string }>('SELECT id FROM consents WHERE revoked_on IS NULL AND id = ANY($1)', [resolved.consents.filter((c) => c.revokedOn).map((c) => c.id)]);
    // An import never un-revokes: a stale export must not bring a withdrawn consent back. A person
    // who consents again gets a new consent record (a new id).
    const kept = await tx.query<{ id: string }>('SELECT id FROM consents WHERE revoked_on IS NOT NULL AND id = ANY($1)', [resolved.consents.filter((c) => !c.revokedOn).map((c) => c.id)]);
    let done = 0;
    for (const p of resolved.people) {
      await tx.query(
        `INSERT INTO people (id, name, kind, aliases) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, aliases = excluded.aliases`,
        [p.id, p.name, p.kind, p.aliases],
      );
      done++;
    }
    for (const g of resolved.grants) {
      await tx.query(
        `INSERT INTO rights_grants (id, title_id, uses, grantor, territory, starts_on, ends_on, contract_ref, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (id) DO UPDATE SET title_id = excluded.title_id, uses = excluded.uses, grantor = excluded.grantor, territory = excluded.territory,
           starts_on = excluded.starts_on, ends_on = excluded.ends_on, contract_ref = excluded.contract_ref, note = excluded.note`,
        [g.id, g.titleId, g.uses, g.grantor, g.territory, g.startsOn, g.endsOn, g.contractRef, g.note ?? null],
      );
      done++;
    }
    for (const c of resolved.consents) {
      await tx.query(
        `INSERT INTO consents (id, person_id, scopes, granted_on, revoked_on, revoked_reason, document_ref, conditions) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (id) DO UPDATE SET person_id = excluded.person_id, scopes = excluded.scopes, granted_on = excluded.granted_on,
           revoked_on = coalesce(consents.revoked_on, excluded.revoked_on), revoked_reason = CASE WHEN consents.revoked_on IS NULL THEN excluded.revoked_reason ELSE consents.revoked_reason END,
           document_ref = excluded.document_ref, conditions = excluded.conditions`,
        [c.id, c.personId, c.scopes, c.grantedOn, c.revokedOn, c.revokedReason ?? null, c.documentRef, JSON.stringify(c.conditions)],
      );
      done++;
    }
    for (const a of resolved.appearances) {
      await tx.query(
        `INSERT INTO appearances (id, person_id, title_id, start_s, end_s, presence, character, source) VALUES ($1, $2, $3, $4, $5, $6, $7, 'import')
         ON CONFLICT (id) DO UPDATE SET person_id = excluded.person_id, title_id = excluded.title_id, start_s = excluded.start_s, end_s = excluded.end_s,
           presence = excluded.presence, character = excluded.character, source = 'import'`,
        [a.id, a.personId, a.titleId, a.start, a.end, a.presence, a.character ?? null],
      );
      done++;
    }
    for (const c of resolved.cues) {
      await tx.query(
        `INSERT INTO music_cues (id, title_id, name, start_s, end_s, composer, performer, cleared, cue_sheet_ref) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (id) DO UPDATE SET title_id = excluded.title_id, name = excluded.name, start_s = excluded.start_s, end_s = excluded.end_s,
           composer = excluded.composer, performer = excluded.performer, cleared = excluded.cleared, cue_sheet_ref = excluded.cue_sheet_ref`,
        [c.id, c.titleId, c.name, c.start, c.end, c.composer ?? null, c.performer ?? null, c.cleared, c.cueSheetRef ?? null],
      );
      done++;
    }
    for (const r of resolved.restrictions) {
      await tx.query(
        `INSERT INTO restrictions (id, title_id, start_s, end_s, kind, note, ref) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (id) DO UPDATE SET title_id = excluded.title_id, start_s = excluded.start_s, end_s = excluded.end_s, kind = excluded.kind, note = excluded.note, ref = excluded.ref`,
        [r.id, r.titleId, r.start, r.end, r.kind, r.note, r.ref ?? null],
      );
      done++;
      if (done % 500 === 0) progress(done);
    }
    const entry = await appendAudit(tx, {
      actor: opts.actor,
      action: 'rights.import',
      subject: `file:${basename(input.path)}`,
      details: { path: input.path, sha256, format, counts, keptRevoked: kept.map((r) => r.id), ids: Object.fromEntries(Object.entries(resolved).map(([k, v]) => [k, (v as Array<{ id: string }>).map((r) => r.id)])) },
    });
    return { newlyRevoked: before.map((r) => r.id), keptRevoked: kept.map((r) => r.id), auditSeq: entry.seq };
  });
  progress(total, true);

  const revocations: TaintReport[] = [];
  for (const id of newlyRevoked) {
    const c = resolved.consents.find((x) => x.id === id)!;
    revocations.push(await propagateRevocation(ws.db, { cause: `consent:${id}`, reason: `consent ${id} of ${c.personId} revoked ${c.revokedOn}${c.revokedReason ? `: ${c.revokedReason}` : ''} (imported)`, titleIds: null }, opts));
  }
  return { file: input.path, sha256, format, counts, revocations, keptRevoked, auditSeq };
}
