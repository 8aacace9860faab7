// The audit log in the workspace database: append a hash-chained entry, list entries, verify the chain.
// Every state change in Backlot (rights, imports, dataset builds, revocations, training, generation,
// users) calls appendAudit, inside the same transaction as the change when there is one.
import { AuditChainVerifier, nextAuditEntry, type AuditEntry, type AuditInput, type AuditVerification } from '@backlot/core';
import type { Db } from '@backlot/adapters/db';

export type { AuditEntry, AuditInput, AuditVerification } from '@backlot/core';

interface AuditRow {
  seq: string | number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  details: string;
  prev_hash: string;
  hash: string;
}

function toEntry(r: AuditRow): AuditEntry {
  return { seq: Number(r.seq), at: r.at, actor: r.actor, action: r.action, subject: r.subject, details: r.details, prevHash: r.prev_hash, hash: r.hash };
}

/**
 * Appends one entry. Runs in the caller's transaction when db is one (tx from db.transaction), so the
 * entry commits or rolls back with the change it records. Locking the head row serialises writers.
 */
export async function appendAudit(db: Db, input: AuditInput, at: Date = new Date()): Promise<AuditEntry> {
  return db.transaction(async (tx) => {
    const [head] = await tx.query<{ seq: string | number; hash: string }>('SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE');
    if (!head) throw new Error('audit_head row missing: the 0002_rights migration did not run');
    const seq = Number(head.seq);
    const entry = nextAuditEntry(seq === 0 ? null : { seq, hash: head.hash }, input, at);
    await tx.query(
      'INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [entry.seq, entry.at, entry.actor, entry.action, entry.subject, entry.details, entry.prevHash, entry.hash],
    );
    await tx.query('UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1', [entry.seq, entry.hash]);
    return entry;
  });
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  /** Prefix match on subject, e.g. "consent:" or "dataset:abc". */
  subject?: string;
  /** ISO timestamps, inclusive. */
  since?: string;
  until?: string;
  limit?: number;
}

/** Entries matching the filter, newest first. */
export async function listAudit(db: Db, filter: AuditFilter = {}): Promise<AuditEntry[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  // Each condition uses its one parameter (possibly twice) as $n.
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where.push(sql.replaceAll('?', `$${params.length}`));
  };
  if (filter.actor) add('actor = ?', filter.actor);
  // "rights" matches rights.import, rights.revoke-consent, ...
  if (filter.action) add("(action = ? OR action LIKE ? || '.%')", filter.action);
  if (filter.subject) add("subject LIKE ? || '%'", filter.subject);
  if (filter.since) add('at >= ?', filter.since);
  if (filter.until) add('at <= ?', filter.until);
  params.push(filter.limit ?? 100);
  const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT $${params.length}`;
  return (await db.query<AuditRow & Record<string, unknown>>(sql, params)).map(toEntry);
}

/** Re-derives every hash in seq order, in pages (constant memory), and names the first bad entry. */
export async function verifyAudit(db: Db, opts: { pageSize?: number } = {}): Promise<AuditVerification> {
  const pageSize = opts.pageSize ?? 5000;
  const [head] = await db.query<{ seq: string | number; hash: string }>('SELECT seq, hash FROM audit_head WHERE id = 1');
  const verifier = new AuditChainVerifier();
  let after = -1;
  for (;;) {
    const rows = await db.query<AuditRow & Record<string, unknown>>('SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2', [after, pageSize]);
    for (const r of rows) verifier.push(toEntry(r));
    if (rows.length < pageSize) break;
    after = Number(rows[rows.length - 1]!.seq);
  }
  return verifier.finish(head ? { seq: Number(head.seq), hash: head.hash } : undefined);
}
