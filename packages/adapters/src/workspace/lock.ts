// PGlite does not lock its data directory and a second process opening it corrupts it silently
// (measured, ../shared/DEPENDENCIES.md). So one process owns a workspace at a time, recorded in a
// lock file created with O_EXCL. An owner that shares the database (the server) writes the
// address of its Postgres-protocol socket into the lock so other commands can reach it.
import { openSync, writeSync, closeSync, readFileSync, unlinkSync, writeFileSync, renameSync } from 'node:fs';
import { hostname } from 'node:os';

export interface LockInfo {
  pid: number;
  host: string;
  command: string;
  startedAt: string;
  /** Set while the owner serves the database over the Postgres protocol on loopback. */
  socket?: { host: string; port: number };
}

export type LockResult = { owned: true; release: () => void; update: (patch: Partial<LockInfo>) => void } | { owned: false; holder: LockInfo };

/** Whether a process with this id runs on this machine (one of another user's counts). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readLock(path: string): LockInfo | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
  } catch {
    return null;
  }
}

export function acquireLock(path: string, command: string): LockResult {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      const info: LockInfo = { pid: process.pid, host: hostname(), command, startedAt: new Date().toISOString() };
      writeSync(fd, JSON.stringify(info));
      closeSync(fd);
      let current = info;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        const now = readLock(path);
        if (now?.pid === process.pid) unlinkSync(path);
      };
      process.once('exit', release);
      return {
        owned: true,
        release,
        update: (patch) => {
          current = { ...current, ...patch };
          writeFileSync(`${path}.tmp`, JSON.stringify(current));
          renameSync(`${path}.tmp`, path);
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = readLock(path);
      // A lock whose writer died (kill -9) is stale: take it over. A lock being written right now
      // reads as null for an instant; try again.
      if (holder && holder.host === hostname() && !processAlive(holder.pid)) {
        try {
          unlinkSync(path);
        } catch {
          /* another process took it over first */
        }
        continue;
      }
      if (holder) return { owned: false, holder };
    }
  }
  const holder = readLock(path);
  if (holder) return { owned: false, holder };
  throw new Error(`could not take the workspace lock ${path}`);
}
