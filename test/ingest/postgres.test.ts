// The same schema and ingest path on a PostgreSQL server (Debian's, started on loopback by this test)
// instead of the embedded database: `backlot --db postgres://... ingest`, library, doctor.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeEdit, scenes } from '../support/edits.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';

const repo = resolve(import.meta.dirname, '../..');
const bin = join(repo, 'apps/cli/bin/backlot.js');
let server: PostgresServer;
let url: string;
let dir: string;

function backlot(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, '--db', url, '-w', join(dir, 'ws'), ...args], { cwd: repo, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  spawnSync('npx', ['tsc', '-b'], { cwd: repo, stdio: 'ignore' });
  server = await startPostgres();
  url = server.createDatabase('backlot_ingest');
  dir = mkdtempSync(join(tmpdir(), 'backlot-pg-ingest-'));
  mkdirSync(join(dir, 'films'));
  await makeEdit(join(dir, 'films', 'harbour.mp4'), {
    shots: [{ scene: scenes.pattern(), frames: 30 }, { scene: scenes.bars(), frames: 30 }],
    transitions: [{ kind: 'cut' }],
  });
  writeFileSync(join(dir, 'films', 'harbour.srt'), '1\n00:00:00,200 --> 00:00:00,900\nAhoy.\n');
}, 300_000);

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('ingest on a PostgreSQL server', () => {
  test('migrations run and a folder ingests with sidecars; a rerun is a no-op; doctor is clean', async () => {
    const first = backlot(['ingest', join(dir, 'films'), '--json']);
    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout) as { files: Array<{ status: string; shots: number; proxies: number; sidecars: Array<{ kind: string; records: number }> }> };
    expect(report.files).toHaveLength(1);
    expect(report.files[0]).toMatchObject({ status: 'ingested', shots: 2, proxies: 2, sidecars: [{ kind: 'subtitles', records: 1 }] });

    const again = backlot(['ingest', join(dir, 'films'), '--json']);
    expect((JSON.parse(again.stdout) as { files: Array<{ status: string }> }).files.map((f) => f.status)).toEqual(['unchanged']);

    // The rows really are on the server.
    const client = new pg.Client(url);
    await client.connect();
    try {
      const migrations = (await client.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id')).rows.map((r) => r.id);
      expect(migrations[0]).toBe('0001_library');
      const shots = await client.query<{ id: string; proxy_sha256: string | null }>('SELECT id, proxy_sha256 FROM shots ORDER BY idx');
      expect(shots.rows).toHaveLength(2);
      expect(shots.rows.every((r) => r.proxy_sha256)).toBe(true);
      const lines = await client.query<{ shot_ids: string[] }>('SELECT shot_ids FROM subtitle_lines');
      expect(lines.rows).toEqual([{ shot_ids: [shots.rows[0]!.id] }]);
    } finally {
      await client.end();
    }

    const ls = backlot(['library', 'ls', '--json']);
    expect(JSON.parse(ls.stdout)).toMatchObject([{ name: 'harbour', shots: 2, ready: true, documents: ['subtitles'] }]);
    const doctor = backlot(['doctor', '--json']);
    expect(doctor.code, doctor.stdout).toBe(0);
    expect(JSON.parse(doctor.stdout)).toMatchObject({ ok: true, database: 'postgres server' });
  }, 600_000);
});
