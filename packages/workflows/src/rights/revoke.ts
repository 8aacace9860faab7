// Revocation and expiry: revoke a consent or a grant, find grants that expire, and taint every
// dataset (via dataset_clips) and model (via lineage, through base models too) that holds a clip the
// policy now forbids because of it. The next dataset build leaves those clips out by itself: the
// policy reads the same registry.
import type { Db } from '@backlot/adapters/db';
import type { Workspace } from '@backlot/adapters/workspace';
import { NotFoundError, RightsError, compileRightsPolicy, CONSENT_SCOPES, TRAINING_PURPOSES, type ConsentScope, type PolicyContext, type ProgressSink, type TrainingPurpose } from '@backlot/core';
import { appendAudit } from '../audit/index.js';
import { CONSENT_COLUMNS, GRANT_COLUMNS, consentFromRow, findPerson, grantFromRow, loadRightsRegistry, personFromRow, todayIso } from './registry.js';

export interface TaintReport {
  /** "consent:<id>" or "grant:<id>": the record whose change forbids the clips. */
  cause: string;
  reason: string;
  datasets: Array<{ id: string; name: string; clips: number; newlyTainted: boolean }>;
  models: Array<{ id: string; via: string; newlyTainted: boolean }>;
  auditSeq: number | null;
}

type Opts = { actor: string; onProgress?: ProgressSink; signal?: AbortSignal; asOf?: string };

async function tableExists(db: Db, name: string): Promise<boolean> {
  const [r] = await db.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [name]);
  return !!r?.t;
}

/**
 * Re-judges the clips of every dataset that may hold affected titles; a clip counts when a deny
 * rule cites `cause`. Taints are recorded once per (dataset|model, cause).
 */
export async function propagateRevocation(db: Db, input: { cause: string; reason: string; titleIds: string[] | null }, opts: Opts): Promise<TaintReport> {
  const asOf = opts.asOf ?? todayIso();
  const registry = await loadRightsRegistry(db);
  const datasets = await db.query<{ id: string; name: string; purpose: string; params: Record<string, unknown> | null }>(
    `SELECT d.id, d.name, d.purpose, d.params FROM datasets d
     WHERE EXISTS (SELECT 1 FROM dataset_clips c WHERE c.dataset_id = d.id AND ($1::text[] IS NULL OR c.title_id = ANY($1)))
     ORDER BY d.created_at, d.id`,
    [input.titleIds],
  );
  const policies = new Map<string, ReturnType<typeof compileRightsPolicy>>();
  const affected: Array<{ id: string; name: string; clips: number }> = [];
  let n = 0;
  for (const d of datasets) {
    opts.signal?.throwIfAborted();
    const purpose: TrainingPurpose = (TRAINING_PURPOSES as readonly string[]).includes(d.purpose) ? (d.purpose as TrainingPurpose) : 'video';
    const project = typeof d.params?.project === 'string' ? d.params.project : undefined;
    const ctx: PolicyContext = { purpose, asOf, ...(project ? { project } : {}) };
    const key = JSON.stringify(ctx);
    let policy = policies.get(key);
    if (!policy) policies.set(key, (policy = compileRightsPolicy(registry, ctx)));
    let clips = 0;
    let after = '';
    for (;;) {
      const rows = await db.query<{ clip_id: string; shot_id: string; title_id: string; start_s: number; end_s: number; media_file_id: string }>(
        `SELECT c.clip_id, c.shot_id, s.title_id, s.start_s, s.end_s, s.media_file_id FROM dataset_clips c JOIN shots s ON s.id = c.shot_id
         WHERE c.dataset_id = $1 AND c.clip_id > $2 AND ($3::text[] IS NULL OR c.title_id = ANY($3)) ORDER BY c.clip_id LIMIT 5000`,
        [d.id, after, input.titleIds],
      );
      for (const r of rows) {
        const decision = policy.decide({ id: r.shot_id, titleId: r.title_id, mediaFileId: r.media_file_id, start: r.start_s, end: r.end_s });
        if (!decision.allowed && decision.rules.some((rule) => rule.outcome === 'deny' && rule.ref === input.cause)) clips++;
      }
      if (rows.length < 5000) break;
      after = rows[rows.length - 1]!.clip_id;
    }
    n++;
    opts.onProgress?.({ task: 'rights:taint', label: input.cause, done: n, total: datasets.length, unit: 'datasets', finished: n === datasets.length });
    if (clips > 0) affected.push({ id: d.id, name: d.name, clips });
  }

  return db.transaction(async (tx) => {
    const report: TaintReport = { cause: input.cause, reason: input.reason, datasets: [], models: [], auditSeq: null };
    for (const d of affected) {
      const inserted = await tx.query('INSERT INTO taints (subject_kind, subject_id, reason, cause, clip_count) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id', ['dataset', d.id, input.reason, input.cause, d.clips]);
      if (inserted.length) {
        await tx.query(
          `UPDATE datasets SET tainted_at = coalesce(tainted_at, now()), tainted_reason = CASE WHEN tainted_reason IS NULL THEN $2 ELSE tainted_reason || '; ' || $2 END WHERE id = $1`,
          [d.id, input.reason],
        );
      }
      report.datasets.push({ ...d, newlyTainted: inserted.length > 0 });
    }
    if (affected.length && (await tableExists(tx, 'models'))) {
      // Models trained on an affected dataset, then models built on those (bases), to a fixed point.
      const reached = new Map<string, string>();
      let frontier = await tx.query<{ id: string; via: string }>(
        `SELECT m.id, 'dataset ' || coalesce(
           CASE WHEN m.dataset_id = ANY($1) THEN m.dataset_id END,
           (SELECT e->>'id' FROM jsonb_array_elements(coalesce(m.lineage->'datasets', '[]'::jsonb)) e WHERE e->>'id' = ANY($1) LIMIT 1)) AS via
         FROM models m
         WHERE m.dataset_id = ANY($1) OR EXISTS (SELECT 1 FROM jsonb_array_elements(coalesce(m.lineage->'datasets', '[]'::jsonb)) e WHERE e->>'id' = ANY($1))`,
        [affected.map((d) => d.id)],
      );
      while (frontier.length) {
        for (const m of frontier) if (!reached.has(m.id)) reached.set(m.id, m.via);
        frontier = (
          await tx.query<{ id: string; base: string }>(
            `SELECT m.id, b->>'modelId' AS base FROM models m, jsonb_array_elements(coalesce(m.lineage->'bases', '[]'::jsonb)) b WHERE b->>'modelId' = ANY($1)`,
            [frontier.map((m) => m.id)],
          )
        )
          .filter((m) => !reached.has(m.id))
          .map((m) => ({ id: m.id, via: `base model ${m.base}` }));
      }
      for (const [id, via] of reached) {
        const inserted = await tx.query('INSERT INTO taints (subject_kind, subject_id, reason, cause) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING id', ['model', id, `${input.reason} (via ${via})`, input.cause]);
        if (inserted.length) {
          await tx.query(`UPDATE models SET tainted_reason = CASE WHEN tainted_reason IS NULL THEN $2 ELSE tainted_reason || '; ' || $2 END WHERE id = $1`, [id, input.reason]);
        }
        report.models.push({ id, via, newlyTainted: inserted.length > 0 });
      }
    }
    const fresh = report.datasets.some((d) => d.newlyTainted) || report.models.some((m) => m.newlyTainted);
    if (fresh) {
      const entry = await appendAudit(tx, {
        actor: opts.actor,
        action: 'rights.taint',
        subject: input.cause,
        details: { reason: input.reason, asOf, datasets: report.datasets.filter((d) => d.newlyTainted).map((d) => ({ id: d.id, clips: d.clips })), models: report.models.filter((m) => m.newlyTainted).map((m) => ({ id: m.id, via: m.via })) },
      });
      report.auditSeq = entry.seq;
      await tx.query('UPDATE taints SET audit_seq = $1 WHERE cause = $2 AND audit_seq IS NULL', [entry.seq, input.cause]);
    }
    return report;
  });
}

export interface ConsentRevocation {
  person: { id: string; name: string };
  revoked: Array<{ id: string; scopes: string[] }>;
  revokedOn: string;
  auditSeq: number;
  taints: TaintReport[];
}

/** Revokes a person's live consents (all, or only those covering one scope) and taints what they reach. */
export async function revokeConsent(ws: Workspace, input: { person: string; reason: string; scope?: ConsentScope; on?: string }, opts: Opts): Promise<ConsentRevocation> {
  if (!input.reason.trim()) throw new RightsError('reason_required', 'revoking a consent needs --reason (it goes into the audit log and the taint)', '--reason');
  if (input.scope && !(CONSENT_SCOPES as readonly string[]).includes(input.scope)) throw new RightsError('bad_scope', `unknown consent scope ${input.scope} (one of ${CONSENT_SCOPES.join(', ')})`, '--scope');
  const on = input.on ?? opts.asOf ?? todayIso();
  const people = (await ws.db.query('SELECT id, name, kind, aliases FROM people')).map(personFromRow);
  const person = findPerson(people, input.person);
  if (!person) throw new NotFoundError('person_not_found', `no person (or more than one) called ${JSON.stringify(input.person)}: use the id from \`backlot rights ls\``, input.person);
  const { revoked, seq, titles } = await ws.db.transaction(async (tx) => {
    const live = (await tx.query(`SELECT ${CONSENT_COLUMNS} FROM consents WHERE person_id = $1 AND revoked_on IS NULL ORDER BY id`, [person.id])).map(consentFromRow).filter((c) => !input.scope || c.scopes.includes(input.scope));
    if (live.length === 0) throw new RightsError('nothing_to_revoke', `${person.name} (${person.id}) has no live consent${input.scope ? ` covering ${input.scope}` : ''} to revoke`, input.person);
    await tx.query('UPDATE consents SET revoked_on = $2, revoked_reason = $3 WHERE id = ANY($1)', [live.map((c) => c.id), on, input.reason]);
    const entry = await appendAudit(tx, {
      actor: opts.actor,
      action: 'rights.revoke-consent',
      subject: `person:${person.id}`,
      details: { consents: live.map((c) => c.id), scope: input.scope ?? null, revokedOn: on, reason: input.reason },
    });
    const titleRows = await tx.query<{ title_id: string }>('SELECT DISTINCT title_id FROM appearances WHERE person_id = $1', [person.id]);
    return { revoked: live, seq: entry.seq, titles: titleRows.map((r) => r.title_id) };
  });
  const taints: TaintReport[] = [];
  for (const c of revoked) {
    taints.push(await propagateRevocation(ws.db, { cause: `consent:${c.id}`, reason: `consent ${c.id} of ${person.name} revoked ${on}: ${input.reason}`, titleIds: titles }, { ...opts, asOf: opts.asOf ?? on }));
  }
  return { person: { id: person.id, name: person.name }, revoked: revoked.map((c) => ({ id: c.id, scopes: c.scopes })), revokedOn: on, auditSeq: seq, taints };
}

export async function revokeGrant(ws: Workspace, input: { grantId: string; reason: string; on?: string }, opts: Opts): Promise<{ grantId: string; titleId: string; revokedOn: string; auditSeq: number; taints: TaintReport }> {
  if (!input.reason.trim()) throw new RightsError('reason_required', 'revoking a grant needs --reason (it goes into the audit log and the taint)', '--reason');
  const on = input.on ?? opts.asOf ?? todayIso();
  const { grant, seq } = await ws.db.transaction(async (tx) => {
    const [row] = await tx.query(`SELECT ${GRANT_COLUMNS} FROM rights_grants WHERE id = $1`, [input.grantId]);
    if (!row) throw new NotFoundError('grant_not_found', `no rights grant ${input.grantId} (see \`backlot rights show TITLE\`)`, input.grantId);
    const g = grantFromRow(row);
    if (g.revokedOn) throw new RightsError('already_revoked', `grant ${g.id} was already revoked on ${g.revokedOn}`, input.grantId);
    await tx.query('UPDATE rights_grants SET revoked_on = $2, revoked_reason = $3 WHERE id = $1', [g.id, on, input.reason]);
    const entry = await appendAudit(tx, { actor: opts.actor, action: 'rights.revoke-grant', subject: `grant:${g.id}`, details: { titleId: g.titleId, uses: g.uses, contractRef: g.contractRef, revokedOn: on, reason: input.reason } });
    return { grant: g, seq: entry.seq };
  });
  const taints = await propagateRevocation(ws.db, { cause: `grant:${grant.id}`, reason: `grant ${grant.id} (${grant.contractRef}) revoked ${on}: ${input.reason}`, titleIds: [grant.titleId] }, { ...opts, asOf: opts.asOf ?? on });
  return { grantId: grant.id, titleId: grant.titleId, revokedOn: on, auditSeq: seq, taints };
}

export interface ExpiringGrant {
  id: string;
  titleId: string;
  title: string;
  uses: string[];
  endsOn: string;
  daysLeft: number;
  expired: boolean;
  contractRef: string;
}

/**
 * Grants ending within `withinDays` of asOf, and those already ended (not revoked). An ended grant
 * is a revocation by the calendar: its affected datasets and models are tainted (once).
 */
export async function expiringGrants(ws: Workspace, input: { withinDays: number }, opts: Opts): Promise<{ asOf: string; grants: ExpiringGrant[]; taints: TaintReport[] }> {
  const asOf = opts.asOf ?? todayIso();
  const rows = await ws.db.query<Record<string, unknown> & { title: string }>(
    `SELECT g.*, t.name AS title FROM (
       SELECT ${GRANT_COLUMNS} FROM rights_grants WHERE revoked_on IS NULL AND ends_on IS NOT NULL AND ends_on <= $1::date + $2::integer
     ) g JOIN titles t ON t.id = g.title_id ORDER BY g.ends_on, g.id`,
    [asOf, input.withinDays],
  );
  const dayMs = 86_400_000;
  const grants = rows.map((r) => {
    const g = grantFromRow(r);
    const daysLeft = Math.round((Date.parse(`${g.endsOn}T00:00:00Z`) - Date.parse(`${asOf}T00:00:00Z`)) / dayMs);
    return { id: g.id, titleId: g.titleId, title: r.title, uses: g.uses, endsOn: g.endsOn!, daysLeft, expired: g.endsOn! < asOf, contractRef: g.contractRef };
  });
  const taints: TaintReport[] = [];
  for (const g of grants.filter((x) => x.expired)) {
    taints.push(await propagateRevocation(ws.db, { cause: `grant:${g.id}`, reason: `grant ${g.id} (${g.contractRef}) for ${g.title} expired ${g.endsOn}`, titleIds: [g.titleId] }, { ...opts, asOf }));
  }
  return { asOf, grants, taints };
}
