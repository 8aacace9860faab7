// A workspace is where Backlot keeps what it stores: the database (embedded PGlite by default, or a
// PostgreSQL server), the content store, dataset snapshots and models. One process owns an embedded
// workspace; others reach it through the owner's socket or are told plainly that it is in use.
import { mkdir, cp, rename, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { WorkspaceError } from '@backlot/core';
import { migrate, openPglite, openPostgres, type Db, type PgliteDb } from '../db/index.js';
import { MIGRATIONS } from '../db/migrations/index.js';
import { ContentStore } from '../store/index.js';
import { acquireLock, type LockInfo } from './lock.js';
import { cacheDir } from '../install/index.js';

export interface WorkspaceOptions {
  /** Folder of the workspace; default BACKLOT_HOME or ./.backlot. */
  home?: string;
  /** postgres:// URL of a shared PostgreSQL server; default BACKLOT_DATABASE_URL or the embedded database. */
  databaseUrl?: string;
  /** What this process is, written into the lock ("backlot ingest"). */
  command?: string;
  /** Fail instead of creating a missing workspace. */
  mustExist?: boolean;
  /** A long-running process (the server, a worker): give the embedded database a bigger page cache. */
  resident?: boolean;
}

export interface Workspace {
  readonly home: string;
  readonly db: Db;
  readonly store: ContentStore;
  /** Folder for dataset snapshots. */
  readonly datasetsDir: string;
  /** Folder for models and training runs. */
  readonly modelsDir: string;
  /** How this process reaches the database. */
  readonly access: 'embedded-owner' | 'embedded-via-owner' | 'postgres';
  /** Serve the embedded database on loopback so other local backlot processes can use it (the server does). */
  shareDatabase(): Promise<{ host: string; port: number }>;
  close(): Promise<void>;
}

export function resolveHome(home?: string): string {
  return resolve(home ?? process.env.BACKLOT_HOME ?? '.backlot');
}

function describeHolder(h: LockInfo): string {
  return `\`${h.command}\` (pid ${h.pid}, since ${h.startedAt})`;
}

export async function openWorkspace(opts: WorkspaceOptions = {}): Promise<Workspace> {
  const home = resolveHome(opts.home);
  const databaseUrl = opts.databaseUrl ?? process.env.BACKLOT_DATABASE_URL;
  if (opts.mustExist && !existsSync(home)) {
    throw new WorkspaceError('workspace_missing', `no workspace at ${home}: run \`backlot ingest\` or \`backlot demo\` first, or pass --workspace`, home);
  }
  await mkdir(home, { recursive: true });
  const store = new ContentStore(join(home, 'store'));
  const base = { home, store, datasetsDir: join(home, 'datasets'), modelsDir: join(home, 'models') };

  if (databaseUrl) {
    if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
      throw new WorkspaceError('bad_database_url', `database URL must start with postgres:// (got ${databaseUrl.split('@').pop()})`, '--db');
    }
    let db: Db;
    try {
      db = await openPostgres(databaseUrl);
    } catch (e) {
      throw new WorkspaceError('database_unreachable', `cannot reach the PostgreSQL server at ${databaseUrl.replace(/\/\/[^@]*@/, '//')}: ${(e as Error).message}`, '--db');
    }
    await migrate(db);
    return { ...base, db, access: 'postgres', shareDatabase: async () => { throw new WorkspaceError('not_embedded', 'this workspace uses a PostgreSQL server; other processes connect to it directly'); }, close: () => db.close() };
  }

  const lock = acquireLock(join(home, 'lock'), opts.command ?? 'backlot');
  if (!lock.owned) {
    const { holder } = lock;
    if (holder.socket) {
      const url = `postgres://postgres@${holder.socket.host}:${holder.socket.port}/postgres`;
      let db: Db;
      try {
        db = await openPostgres(url, { max: 1 });
      } catch {
        throw new WorkspaceError('workspace_in_use', `workspace ${home} is in use by ${describeHolder(holder)} and its database socket does not answer; wait for it to finish`, home);
      }
      return { ...base, db, access: 'embedded-via-owner', shareDatabase: async () => holder.socket!, close: () => db.close() };
    }
    throw new WorkspaceError('workspace_in_use', `workspace ${home} is in use by ${describeHolder(holder)}; wait for it to finish or stop it, then try again`, home);
  }

  let db: PgliteDb;
  try {
    const dataDir = join(home, 'db');
    if (!existsSync(dataDir)) await seedFromTemplate(dataDir);
    db = await openPglite(dataDir, { sharedBuffers: opts.resident ? '128MB' : undefined });
    await migrate(db);
  } catch (e) {
    lock.release();
    throw new WorkspaceError('database_unreadable', `cannot open the database in ${home}: ${(e as Error).message}`, home);
  }
  await store.sweepTemp();
  let socket: PGLiteSocketServer | null = null;
  let address: { host: string; port: number } | null = null;
  return {
    ...base,
    db,
    access: 'embedded-owner',
    shareDatabase: async () => {
      if (address) return address;
      // Only the server shares its database: other commands do not load the socket server.
      const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
      // Many client pools share this one backend; the default of 1 connection drops clients.
      for (let port = 15432 + (process.pid % 1000); ; port++) {
        const server = new PGLiteSocketServer({ db: db.lite, host: '127.0.0.1', port, maxConnections: 100 });
        try {
          await server.start();
          socket = server;
          address = { host: '127.0.0.1', port };
          lock.update({ socket: address });
          return address;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port > 17000) throw e;
        }
      }
    },
    close: async () => {
      if (socket) await socket.stop();
      await db.close();
      lock.release();
    },
  };
}

/**
 * Creating a PGlite data directory and migrating it takes ~6 s here; copying a closed, migrated one
 * and opening it takes ~0.5 s. So the first workspace made with a given schema leaves a template
 * in the user's cache, keyed by a hash of the migrations, and later workspaces start from a copy.
 */
async function seedFromTemplate(dataDir: string): Promise<void> {
  const schemaHash = createHash('sha256').update(JSON.stringify(MIGRATIONS)).digest('hex').slice(0, 16);
  const cache = cacheDir();
  const template = join(cache, `pglite-${schemaHash}`);
  if (!existsSync(template)) {
    const building = `${template}.${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await mkdir(cache, { recursive: true });
      const fresh = await openPglite(building);
      await migrate(fresh);
      await fresh.close();
      await rename(building, template);
    } catch {
      // Another process finished the template first, or the cache is not writable: either way the
      // workspace is created directly below, which is only slower.
      await rm(building, { recursive: true, force: true });
    }
  }
  if (existsSync(template)) {
    const partial = `${dataDir}.partial`;
    await rm(partial, { recursive: true, force: true });
    try {
      await cp(template, partial, { recursive: true });
      await rename(partial, dataDir);
    } catch {
      // A template this user cannot read (another user's cache, say): create the workspace directly.
      await rm(partial, { recursive: true, force: true });
    }
  }
}
