// Multi-row INSERT in chunks: one statement per row is ~15x slower on PGlite (../shared/DEPENDENCIES.md).
import type { Db } from '@backlot/adapters/db';

export async function insertRows(tx: Db, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  const chunk = Math.max(1, Math.floor(1000 / columns.length));
  for (let i = 0; i < rows.length; i += chunk) {
    const part = rows.slice(i, i + chunk);
    const params: unknown[] = [];
    const values = part.map((r) => `(${r.map((v) => (params.push(v), `$${params.length}`)).join(', ')})`).join(', ');
    await tx.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values}`, params);
  }
}
