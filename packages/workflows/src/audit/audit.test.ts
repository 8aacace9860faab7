import { beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { migrate, openPglite, type PgliteDb } from '@backlot/adapters/db';
import { appendAudit, listAudit, verifyAudit } from './index.js';

let db: PgliteDb;

async function freshDb(): Promise<PgliteDb> {
  const d = await openPglite('memory://');
  await migrate(d);
  return d;
}

async function seed(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await appendAudit(db, { actor: `cli:u${i % 3}`, action: i % 2 ? 'rights.import' : 'rights.revoke-consent', subject: `person:p${i}`, details: { i, z: 'last', a: [1, { b: 2 }] } });
  }
}

describe('audit log', () => {
  beforeEach(async () => {
    db = await freshDb();
  });

  it('verifies an empty log and a log of appended entries', async () => {
    expect((await verifyAudit(db)).ok).toBe(true);
    await seed(5);
    const v = await verifyAudit(db);
    expect(v).toMatchObject({ ok: true, entries: 5, headSeq: 5, firstProblem: null });
    const listed = await listAudit(db, { action: 'rights' });
    expect(listed.map((e) => e.seq)).toEqual([5, 4, 3, 2, 1]);
    expect(await listAudit(db, { action: 'rights.import', actor: 'cli:u1' })).toHaveLength(1);
  });

  it('rolls the entry back with a failed transaction', async () => {
    await seed(2);
    await expect(
      db.transaction(async (tx) => {
        await appendAudit(tx, { actor: 'a', action: 'x', subject: 's' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await verifyAudit(db)).toMatchObject({ ok: true, entries: 2 });
  });

  it('names the first edited, inserted or deleted entry (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 3, max: 9 }),
        fc.constantFrom('edit-actor', 'edit-details', 'edit-at', 'delete', 'insert', 'delete-last', 'edit-and-rehash'),
        fc.nat(),
        async (n, tamper, pick) => {
          await db.exec(`DELETE FROM audit_log; UPDATE audit_head SET seq = 0, hash = '${'0'.repeat(64)}'`);
          await seed(n);
          const target = 1 + (pick % n);
          let expected: number;
          switch (tamper) {
            case 'edit-actor':
              await db.query("UPDATE audit_log SET actor = 'mallory' WHERE seq = $1", [target]);
              expected = target;
              break;
            case 'edit-details':
              await db.query(`UPDATE audit_log SET details = '{"i":999}' WHERE seq = $1`, [target]);
              expected = target;
              break;
            case 'edit-at':
              await db.query("UPDATE audit_log SET at = '2000-01-01T00:00:00.000Z' WHERE seq = $1", [target]);
              expected = target;
              break;
            case 'delete':
              await db.query('DELETE FROM audit_log WHERE seq = $1', [target]);
              // Deleting entry k is noticed at k+1 (gap) or, for the last one, at the head.
              expected = target;
              break;
            case 'delete-last':
              await db.query('DELETE FROM audit_log WHERE seq = $1', [n]);
              expected = n;
              break;
            case 'insert': {
              // Shift entries >= target up by one and insert a forged entry at target.
              await db.query('UPDATE audit_log SET seq = -seq WHERE seq >= $1', [target]);
              await db.query('UPDATE audit_log SET seq = -seq + 1 WHERE seq < 0');
              await db.query(
                "INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash) VALUES ($1, '2026-01-01T00:00:00.000Z', 'mallory', 'rights.import', 'x', '{}', 'f', 'f')",
                [target],
              );
              expected = target;
              break;
            }
            default: {
              // A careful forger recomputes the edited entry's own hash: the next link breaks.
              const { auditEntryHash } = await import('@backlot/core');
              const [row] = await db.query<Record<string, string>>('SELECT * FROM audit_log WHERE seq = $1', [target]);
              const forged = { seq: target, at: row!.at!, actor: 'mallory', action: row!.action!, subject: row!.subject!, details: row!.details!, prevHash: row!.prev_hash! };
              await db.query('UPDATE audit_log SET actor = $2, hash = $3 WHERE seq = $1', [target, 'mallory', auditEntryHash(forged)]);
              expected = target === n ? n + 1 : target + 1;
            }
          }
          const v = await verifyAudit(db, { pageSize: 2 });
          expect(v.ok).toBe(false);
          if (tamper === 'delete' && target === n) expect(v.firstProblem?.kind).toBe('head-mismatch');
          if (tamper === 'edit-and-rehash' && target === n) expect(v.firstProblem?.kind).toBe('head-mismatch');
          expect(v.firstProblem?.seq).toBe(expected);
        },
      ),
      { numRuns: 30 },
    );
  });
});
