// The audit log's hash chain: how an entry is encoded and hashed, and how a stored chain is checked.
// Pure: the database shell (workflows/audit) stores entries; this decides what a valid chain is.
import { createHash } from 'node:crypto';

/** prev_hash of the first entry. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);
/** Bumped if the encoding below ever changes; stored nowhere else, so never change it silently. */
export const AUDIT_ENCODING = 'backlot-audit/1';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** What a caller appends. details must be JSON (no undefined inside arrays, no functions). */
export interface AuditInput {
  actor: string;
  action: string;
  subject: string;
  details?: Record<string, unknown>;
}

/** One stored entry. `at` and `details` are the exact strings that were hashed. */
export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  /** Canonical JSON text of the details object. */
  details: string;
  prevHash: string;
  hash: string;
}

/**
 * Canonical JSON: object keys sorted by UTF-16 code unit order, no whitespace, undefined members
 * dropped, numbers as JSON.stringify writes them. Same value -> same bytes, whatever the key order.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('audit details: non-finite number');
    if (typeof value === 'bigint') return JSON.stringify(value.toString());
    const s = JSON.stringify(value);
    return s === undefined ? 'null' : s;
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/**
 * hash = lowercase hex sha256 of the UTF-8 bytes of
 *   canonicalJson([AUDIT_ENCODING, seq, at, actor, action, subject, details, prevHash])
 * where details is the canonical JSON text (a string inside the array, so it is hashed verbatim).
 */
export function auditEntryHash(e: Omit<AuditEntry, 'hash'>): string {
  const body = canonicalJson([AUDIT_ENCODING, e.seq, e.at, e.actor, e.action, e.subject, e.details, e.prevHash]);
  return createHash('sha256').update(body, 'utf8').digest('hex');
}

/** The entry that follows `prev` (or starts the chain when prev is null). */
export function nextAuditEntry(prev: { seq: number; hash: string } | null, input: AuditInput, at: Date | string): AuditEntry {
  const base = {
    seq: prev ? prev.seq + 1 : 1,
    at: typeof at === 'string' ? at : at.toISOString(),
    actor: input.actor,
    action: input.action,
    subject: input.subject,
    details: canonicalJson(input.details ?? {}),
    prevHash: prev ? prev.hash : AUDIT_GENESIS_HASH,
  };
  return { ...base, hash: auditEntryHash(base) };
}

export type AuditProblemKind = 'edited' | 'broken-link' | 'gap' | 'head-mismatch' | 'bad-details';

export interface AuditProblem {
  /** The first entry that is not what the chain says it should be (or the head's seq). */
  seq: number;
  kind: AuditProblemKind;
  message: string;
}

export interface AuditVerification {
  ok: boolean;
  entries: number;
  headSeq: number;
  headHash: string;
  firstProblem: AuditProblem | null;
}

/**
 * Checks a chain fed in seq order (a stream: constant memory). Reports the FIRST bad entry:
 * - edited: its stored hash is not the hash of its own fields (someone changed a field);
 * - broken-link: its prev_hash is not the previous entry's hash (an entry was inserted or removed
 *   before it, or the previous one was edited and re-hashed);
 * - gap: its seq does not follow the previous one (an entry was deleted or inserted with renumbering);
 * - head-mismatch: the chain ends somewhere other than the recorded head (entries deleted at the end
 *   or appended without going through appendAudit).
 */
export class AuditChainVerifier {
  private prev: { seq: number; hash: string } | null = null;
  private count = 0;
  private problem: AuditProblem | null = null;

  push(e: AuditEntry): void {
    if (this.problem) return;
    this.count++;
    const expectedSeq = this.prev ? this.prev.seq + 1 : 1;
    const expectedPrev = this.prev ? this.prev.hash : AUDIT_GENESIS_HASH;
    if (e.seq !== expectedSeq) {
      this.problem = { seq: expectedSeq, kind: 'gap', message: `entry ${expectedSeq} is missing: entry ${e.seq} follows entry ${expectedSeq - 1} (deleted, or entries were renumbered)` };
    } else if (auditEntryHash(e) !== e.hash) {
      this.problem = { seq: e.seq, kind: 'edited', message: `entry ${e.seq} (${e.action} ${e.subject}) does not match its hash: a field was changed after it was written` };
    } else if (e.prevHash !== expectedPrev) {
      this.problem = { seq: e.seq, kind: 'broken-link', message: `entry ${e.seq} (${e.action} ${e.subject}) does not link to entry ${expectedSeq - 1}: an entry before it was edited, inserted or deleted` };
    }
    this.prev = { seq: e.seq, hash: e.hash };
  }

  /** head: the separately stored head of the chain, when the store keeps one. */
  finish(head?: { seq: number; hash: string }): AuditVerification {
    const last = this.prev ?? { seq: 0, hash: AUDIT_GENESIS_HASH };
    if (!this.problem && head && (head.seq !== last.seq || head.hash !== last.hash)) {
      const seq = Math.min(head.seq, last.seq + 1);
      this.problem = head.seq > last.seq
        ? { seq, kind: 'head-mismatch', message: `the log ends at entry ${last.seq} but its head records entry ${head.seq}: entries ${last.seq + 1}..${head.seq} were deleted` }
        : { seq: head.seq + 1, kind: 'head-mismatch', message: `entries after ${head.seq} were added without updating the head (the head records entry ${head.seq}, the log ends at ${last.seq})` };
    }
    return { ok: !this.problem, entries: this.count, headSeq: last.seq, headHash: last.hash, firstProblem: this.problem };
  }
}

export function verifyAuditChain(entries: Iterable<AuditEntry>, head?: { seq: number; hash: string }): AuditVerification {
  const v = new AuditChainVerifier();
  for (const e of entries) v.push(e);
  return v.finish(head);
}
