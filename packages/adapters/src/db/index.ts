// One database access layer for the embedded default (PGlite) and a PostgreSQL server.
// The same SQL runs on both; callers never see which one they have.
import { PGlite } from '@electric-sql/pglite';
import { MIGRATIONS } from './migrations/index.js';

export type Row = Record<string, unknown>;

export interface Db {
  readonly dialect: 'pglite' | 'postgres';
  query<R extends Row = Row>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Runs fn in one transaction; nested calls join the outer one. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

type Queryable = { query: (sql: string, params?: unknown[]) => Promise<{ rows: unknown[] }>; exec?: (sql: string) => Promise<unknown> };

function txView(dialect: Db['dialect'], q: Queryable): Db {
  const self: Db = {
    dialect,
    query: async <R extends Row>(sql: string, params?: unknown[]) => (await q.query(sql, params)).rows as R[],
    exec: async (sql) => {
      if (q.exec) await q.exec(sql);
      else await q.query(sql);
    },
    transaction: (fn) => fn(self),
    close: async () => {},
  };
  return self;
}

export type PgliteDb = Db & { readonly lite: PGlite };

export interface PgliteOptions {
  /**
   * Postgres's own page cache. Postgres's default (128MB) costs ~0.4 s at every start in WebAssembly;
   * a short command is better off with 16MB (the OS caches the data files anyway), a long-running
   * server with the default.
   */
  sharedBuffers?: string;
}

export async function openPglite(dataDir: string, opts: PgliteOptions = {}): Promise<PgliteDb> {
  const lite = await PGlite.create({
    dataDir,
    startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${opts.sharedBuffers ?? '16MB'}`, '-c', 'wal_buffers=1MB', '-c', 'max_connections=5', '-c', 'autovacuum_worker_slots=1'],
  });
  const db: PgliteDb = {
    lite,
    dialect: 'pglite',
    query: async <R extends Row>(sql: string, params?: unknown[]) => (await lite.query<R>(sql, params)).rows,
    exec: async (sql) => {
      await lite.exec(sql);
    },
    transaction: (fn) => lite.transaction((tx) => fn(txView('pglite', tx as unknown as Queryable))),
    close: () => lite.close(),
  };
  return db;
}

export async function openPostgres(url: string, opts: { max?: number } = {}): Promise<Db> {
  // Loaded here, not with the module: the embedded default never needs the client (~50 ms to load).
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 4 });
  // Fail fast with a clear error instead of on the first query.
  const probe = await pool.connect();
  probe.release();
  const db: Db = {
    dialect: 'postgres',
    query: async <R extends Row>(sql: string, params?: unknown[]) => (await pool.query(sql, params)).rows as R[],
    exec: async (sql) => {
      await pool.query(sql);
    },
    transaction: async (fn) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const out = await fn(txView('postgres', client as unknown as Queryable));
        await client.query('COMMIT');
        return out;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {});
        throw e;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
  return db;
}

/** Applies every migration not yet recorded, each in its own transaction, in order. */
export async function migrate(db: Db): Promise<string[]> {
  // Looking is ~5x cheaper than CREATE TABLE IF NOT EXISTS, and every command opens the database.
  const [found] = await db.query<{ t: string | null }>("SELECT to_regclass('schema_migrations')::text AS t");
  if (!found?.t) {
    await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
  }
  const done = new Set((await db.query<{ id: string }>('SELECT id FROM schema_migrations')).map((r) => r.id));
  const applied: string[] = [];
  for (const m of MIGRATIONS) {
    if (done.has(m.id)) continue;
    await db.transaction(async (tx) => {
      // Two processes migrating one server at once: the second waits here and then skips.
      if (db.dialect === 'postgres') await tx.query('SELECT pg_advisory_xact_lock(7242001)');
      const again = await tx.query('SELECT 1 FROM schema_migrations WHERE id = $1', [m.id]);
      if (again.length) return;
      if (m.sql.trim()) await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (id) VALUES ($1)', [m.id]);
    });
    applied.push(m.id);
  }
  return applied;
}
