// Dataset snapshots as recorded: find one by name (the newest build of that name) or id, list them,
// show one with its exclusion summary, and stream its manifest and exclusions.
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Db } from '@backlot/adapters/db';
import type { Workspace } from '@backlot/adapters/workspace';
import { DatasetError, NotFoundError, type DatasetSnapshot, type Exclusion, type ManifestEntry } from '@backlot/core';

export interface DatasetRow {
  id: string;
  name: string;
  purpose: string;
  policy_version: string;
  merkle_root: string;
  path: string;
  counts: { train: number; val: number; excluded: number };
  params: Record<string, unknown>;
  created_by: string;
  created_at: string | Date;
  tainted_at: string | Date | null;
  tainted_reason: string | null;
  [k: string]: unknown;
}

export async function resolveDataset(db: Db, nameOrId: string): Promise<DatasetRow> {
  const rows = await db.query<DatasetRow>('SELECT * FROM datasets WHERE id = $1 OR name = $1 ORDER BY (id = $1) DESC, created_at DESC LIMIT 1', [nameOrId]);
  if (!rows[0]) throw new NotFoundError('dataset_not_found', `no dataset named ${nameOrId}: run \`backlot dataset ls\` to see the datasets`, nameOrId);
  return rows[0];
}

export interface DatasetSummary {
  id: string;
  name: string;
  purpose: string;
  policyVersion: string;
  merkleRoot: string;
  createdAt: string;
  createdBy: string;
  counts: { train: number; val: number; excluded: number };
  tainted: string | null;
  path: string;
}

function summary(r: DatasetRow): DatasetSummary {
  return {
    id: r.id, name: r.name, purpose: r.purpose, policyVersion: r.policy_version, merkleRoot: r.merkle_root,
    createdAt: new Date(r.created_at).toISOString(), createdBy: r.created_by, counts: r.counts, tainted: r.tainted_reason, path: r.path,
  };
}

export async function listDatasets(ws: Workspace): Promise<DatasetSummary[]> {
  return (await ws.db.query<DatasetRow>('SELECT * FROM datasets ORDER BY created_at DESC, id')).map(summary);
}

export interface DatasetDetails extends DatasetSummary {
  snapshot: DatasetSnapshot;
  /** Shots left out per rule (a shot with two rules counts under both). */
  excludedByRule: Record<string, number>;
  /** Clips per title and split. */
  titles: Array<{ titleId: string; split: string; clips: number }>;
  taints: Array<{ reason: string; cause: string; clipCount: number; at: string }>;
}

export async function showDataset(ws: Workspace, nameOrId: string): Promise<DatasetDetails> {
  const row = await resolveDataset(ws.db, nameOrId);
  const snapshot = await readSnapshot(row);
  const excludedByRule: Record<string, number> = {};
  for await (const x of readExclusions(row.path)) for (const r of new Set(x.reasons.map((y) => y.rule))) excludedByRule[r] = (excludedByRule[r] ?? 0) + 1;
  const titles = (await ws.db.query<{ title_id: string; split: string; n: number | string }>('SELECT title_id, split, count(*) AS n FROM dataset_clips WHERE dataset_id = $1 GROUP BY title_id, split ORDER BY title_id', [row.id])).map((t) => ({ titleId: t.title_id, split: t.split, clips: Number(t.n) }));
  const taints = (await ws.db.query<{ reason: string; cause: string; clip_count: number; created_at: string | Date }>("SELECT reason, cause, clip_count, created_at FROM taints WHERE subject_kind = 'dataset' AND subject_id = $1 ORDER BY created_at", [row.id])).map((t) => ({ reason: t.reason, cause: t.cause, clipCount: t.clip_count, at: new Date(t.created_at).toISOString() }));
  return { ...summary(row), snapshot, excludedByRule, titles, taints };
}

export async function readSnapshot(row: DatasetRow): Promise<DatasetSnapshot> {
  try {
    return JSON.parse(await readFile(join(row.path, 'snapshot.json'), 'utf8')) as DatasetSnapshot;
  } catch (e) {
    throw new DatasetError('snapshot_unreadable', `dataset ${row.name} (${row.id}): cannot read ${join(row.path, 'snapshot.json')}: ${(e as Error).message}`, row.id);
  }
}

async function* jsonLines<T>(path: string): AsyncGenerator<T> {
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let n = 0;
  for await (const line of rl) {
    n++;
    if (!line) continue;
    try {
      yield JSON.parse(line) as T;
    } catch {
      throw new DatasetError('bad_jsonl', `${path}:${n} is not JSON: run \`backlot dataset verify\``, path);
    }
  }
}

export function readManifest(dir: string): AsyncGenerator<ManifestEntry> {
  return jsonLines<ManifestEntry>(join(dir, 'manifest.jsonl'));
}

export function readExclusions(dir: string): AsyncGenerator<Exclusion> {
  return jsonLines<Exclusion>(join(dir, 'exclusions.jsonl'));
}
