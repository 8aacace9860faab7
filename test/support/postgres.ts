// Starts a throwaway Debian PostgreSQL server on loopback for one test file, and stops it after.
// initdb refuses to run as root, so as root the cluster is created and run as the `postgres` user
// (../shared/DEPENDENCIES.md); the data directory must then belong to that user.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  /** Creates a fresh database on this server and returns its URL (one per test keeps tests apart). */
  createDatabase(name: string): string;
  stop(): Promise<void>;
}

/** The folder with initdb/pg_ctl, or null when PostgreSQL is not installed. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

const isRoot = process.getuid?.() === 0;

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Runs a PostgreSQL tool as the postgres user when we are root, else as ourselves. */
function runAsPostgres(bin: string, args: string[]): void {
  if (isRoot) {
    const cmd = [bin, ...args].map(shellQuote).join(' ');
    const r = spawnSync('su', ['postgres', '-s', '/bin/sh', '-c', cmd], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${bin} failed: ${r.stderr || r.stdout}`);
  } else {
    execFileSync(bin, args, { stdio: 'pipe' });
  }
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed: run `bash scripts/setup.sh --test`');
  const dir = mkdtempSync(join(tmpdir(), 'backlot-pg-'));
  // The postgres user must reach the folder and own the cluster inside it.
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const sockets = join(dir, 'sock');
  if (isRoot) {
    execFileSync('mkdir', ['-p', data, sockets]);
    execFileSync('chown', ['-R', 'postgres:postgres', data, sockets]);
    chmodSync(data, 0o700);
  }
  runAsPostgres(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  if (!isRoot) execFileSync('mkdir', ['-p', sockets]);
  const port = await freePort();
  const log = join(dir, 'server.log');
  if (isRoot) execFileSync('sh', ['-c', `touch ${shellQuote(log)} && chown postgres ${shellQuote(log)}`]);
  runAsPostgres(join(bin, 'pg_ctl'), [
    '-D', data, '-l', log, '-w', '-t', '60',
    '-o', `-p ${port} -k ${sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
    'start',
  ]);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let stopped = false;
  return {
    url,
    port,
    createDatabase(name: string) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      execFileSync(join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-q', '-c', `CREATE DATABASE ${name}`], { stdio: 'pipe' });
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        runAsPostgres(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
