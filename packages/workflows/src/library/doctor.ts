// `backlot doctor`: is the workspace consistent (every stored object a row points at is present and
// hashes right, no half-finished ingest, schema up to date) and are the tools Backlot runs installed?
// Reports problems with what to do about each; changes nothing.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MIGRATIONS } from '@backlot/adapters/db/migrations';
import { sha256File } from '@backlot/adapters/store';
import { checkTools, type ToolCheck } from '@backlot/adapters/tools';
import type { Workspace } from '@backlot/adapters/workspace';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  /** "error" makes the workspace unhealthy; "warning" is worth knowing (an original moved). */
  level: 'error' | 'warning';
  /** How many things were checked. */
  checked: number;
  problems: string[];
}

export interface DoctorReport {
  ok: boolean;
  workspace: string;
  database: string;
  checks: DoctorCheck[];
  tools: ToolCheck[];
}

const MAX_LISTED = 20;

function check(name: string, level: DoctorCheck['level'], checked: number, problems: string[]): DoctorCheck {
  const listed = problems.length > MAX_LISTED ? [...problems.slice(0, MAX_LISTED), `… and ${problems.length - MAX_LISTED} more`] : problems;
  return { name, ok: problems.length === 0, level, checked, problems: listed };
}

/** Checks that a store object exists and its bytes still hash to its name. */
async function storeObjectProblem(ws: Workspace, sha: string, what: string): Promise<string | null> {
  const path = ws.store.pathOf(sha);
  if (!existsSync(path)) return `${what}: stored file ${sha.slice(0, 12)}… is missing from ${ws.store.root}`;
  const actual = await sha256File(path);
  return actual === sha ? null : `${what}: stored file ${sha.slice(0, 12)}… is damaged (its content hashes to ${actual.slice(0, 12)}…)`;
}

export async function runDoctor(ws: Workspace, opts: { tools?: boolean; signal?: AbortSignal } = {}): Promise<DoctorReport> {
  const db = ws.db;
  const checks: DoctorCheck[] = [];

  const applied = new Set((await db.query<{ id: string }>('SELECT id FROM schema_migrations')).map((r) => r.id));
  checks.push(check('schema migrations', 'error', MIGRATIONS.length, MIGRATIONS.filter((m) => !applied.has(m.id)).map((m) => `migration ${m.id} is not applied`)));

  const media = await db.query<{ id: string; path: string; status: string; stored_sha256: string | null; frame_count: number | null; frame_sigs_sha256: string | null }>(
    'SELECT id, path, status, stored_sha256, frame_count, frame_sigs_sha256 FROM media_files ORDER BY path',
  );
  checks.push(
    check('ingest finished', 'error', media.length, media.filter((m) => m.status !== 'ready').map((m) => `${m.path}: ingest stopped at "${m.status}": run \`backlot ingest ${m.path}\` again to finish it`)),
  );

  // Shots of a file are written in one transaction, so their indexes must run 0..n-1 without gaps.
  const shotCounts = await db.query<{ media_file_id: string; n: unknown; max_idx: unknown; min_idx: unknown }>(
    'SELECT media_file_id, count(*) AS n, max(idx) AS max_idx, min(idx) AS min_idx FROM shots GROUP BY media_file_id',
  );
  const byMedia = new Map(shotCounts.map((r) => [r.media_file_id, r]));
  const shotProblems: string[] = [];
  for (const m of media) {
    const c = byMedia.get(m.id);
    if (!c) shotProblems.push(`${m.path}: recorded without any shots`);
    else if (Number(c.min_idx) !== 0 || Number(c.max_idx) !== Number(c.n) - 1) shotProblems.push(`${m.path}: shots are incomplete (${Number(c.n)} rows, indexes ${Number(c.min_idx)}..${Number(c.max_idx)})`);
  }
  const orphans = await db.query<{ n: unknown }>('SELECT count(*) AS n FROM shots s WHERE NOT EXISTS (SELECT 1 FROM media_files m WHERE m.id = s.media_file_id)');
  if (Number(orphans[0]?.n ?? 0) > 0) shotProblems.push(`${Number(orphans[0]?.n)} shots belong to no media file`);
  const missingProxy = await db.query<{ id: string; path: string }>(
    `SELECT s.id, m.path FROM shots s JOIN media_files m ON m.id = s.media_file_id
      WHERE m.status = 'ready' AND s.proxy_sha256 IS NULL AND s.proxy_skip IS NULL ORDER BY s.id`,
  );
  for (const s of missingProxy) shotProblems.push(`shot ${s.id} (${s.path}): file is marked ready but the shot has no proxy`);
  checks.push(check('shot rows complete', 'error', shotCounts.reduce((a, r) => a + Number(r.n), 0), shotProblems));

  // Every stored object a row points at: keyframes, proxies, documents, copied originals, frame signatures.
  const objects: Array<{ sha: string; what: string }> = [];
  for (const s of await db.query<{ id: string; keyframe_sha256: string | null; proxy_sha256: string | null }>('SELECT id, keyframe_sha256, proxy_sha256 FROM shots ORDER BY id')) {
    if (s.keyframe_sha256) objects.push({ sha: s.keyframe_sha256, what: `keyframe of shot ${s.id}` });
    if (s.proxy_sha256) objects.push({ sha: s.proxy_sha256, what: `proxy of shot ${s.id}` });
  }
  for (const d of await db.query<{ title_id: string; kind: string; body_sha256: string }>('SELECT title_id, kind, body_sha256 FROM title_documents')) {
    objects.push({ sha: d.body_sha256, what: `${d.kind} of title ${d.title_id}` });
  }
  for (const m of media) if (m.stored_sha256) objects.push({ sha: m.stored_sha256, what: `stored copy of ${m.path}` });
  for (const m of media) if (m.frame_sigs_sha256) objects.push({ sha: m.frame_sigs_sha256, what: `frame signatures of ${m.path}` });
  const storeProblems: string[] = [];
  const hashed = new Map<string, string | null>();
  for (const o of objects) {
    opts.signal?.throwIfAborted();
    if (!hashed.has(o.sha)) hashed.set(o.sha, await storeObjectProblem(ws, o.sha, o.what));
    const p = hashed.get(o.sha);
    if (p) storeProblems.push(o.what === p.split(':')[0] ? p : `${o.what}: ${p.split(': ').slice(1).join(': ')}`);
  }
  checks.push(check('stored files present and intact', 'error', objects.length, storeProblems));

  // Leftover temporary files mean a writer died; the next command that owns the workspace sweeps them.
  const tmpDir = join(ws.store.root, 'tmp');
  const leftovers = existsSync(tmpDir) ? await readdir(tmpDir) : [];
  checks.push(check('no half-written store files', 'warning', leftovers.length, leftovers.length ? [`${leftovers.length} unfinished temporary files in ${tmpDir} (removed automatically the next time a command opens the workspace)`] : []));

  const gone = media.filter((m) => !m.stored_sha256 && !existsSync(m.path)).map((m) => `${m.path}: original is no longer there (moved or deleted; re-ingest from its new place, or ingest with --copy)`);
  checks.push(check('originals reachable', 'warning', media.length, gone));

  const tools = opts.tools === false ? [] : await checkTools();
  const ok = checks.every((c) => c.ok || c.level !== 'error') && tools.every((t) => t.ok);
  return { ok, workspace: ws.home, database: ws.access === 'postgres' ? 'postgres server' : 'embedded (PGlite)', checks, tools };
}
