// `backlot dataset verify`: re-derives the Merkle root from the files on disk, re-hashes every shard
// record and shard file, and cross-checks the manifest against the shards and the database. Names the
// file and the entry that changed; streams everything (one record per shard in memory).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Workspace } from '@backlot/adapters/workspace';
import { canonicalJson, datasetRootOf, DatasetError, shotStates, SortedLeafTree, type DatasetSnapshot, type Exclusion, type ManifestEntry, type ShardInfo, type Split } from '@backlot/core';
import { readExclusions, readManifest, resolveDataset, type DatasetRow } from './snapshots.js';
import { ShardReader } from './shards.js';

export interface VerifyProblem {
  /** The file inside the snapshot folder ("manifest.jsonl", "shards/train-00000.bls"), or "database". */
  file: string;
  /** 1-based line in a .jsonl file. */
  line?: number;
  shotId?: string;
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  id: string;
  name: string;
  merkleRoot: string;
  recomputedRoot: string | null;
  clips: number;
  exclusions: number;
  shards: number;
  problems: VerifyProblem[];
}

/** Stop collecting after this many; the first ones name what changed. */
const MAX_PROBLEMS = 50;

async function* numberedLines(path: string): AsyncGenerator<{ n: number; text: string }> {
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let n = 0;
  for await (const text of rl) {
    n++;
    yield { n, text };
  }
}

interface OpenShard {
  info: ShardInfo;
  reader: ShardReader;
  records: number;
}

export async function verifyDataset(ws: Workspace, nameOrId: string): Promise<VerifyResult> {
  const row = await resolveDataset(ws.db, nameOrId);
  const problems: VerifyProblem[] = [];
  const problem = (p: VerifyProblem) => {
    if (problems.length < MAX_PROBLEMS) problems.push(p);
  };
  const result = (extra: Partial<VerifyResult>): VerifyResult => ({ ok: problems.length === 0, id: row.id, name: row.name, merkleRoot: row.merkle_root, recomputedRoot: null, clips: 0, exclusions: 0, shards: 0, problems, ...extra });

  let snapshot: DatasetSnapshot;
  try {
    snapshot = JSON.parse(await readFile(join(row.path, 'snapshot.json'), 'utf8')) as DatasetSnapshot;
  } catch (e) {
    problem({ file: 'snapshot.json', message: `cannot read ${join(row.path, 'snapshot.json')}: ${(e as Error).message}` });
    return result({});
  }
  if (snapshot.merkleRoot !== row.merkle_root) problem({ file: 'snapshot.json', message: `merkleRoot ${snapshot.merkleRoot} differs from the root recorded in the database when it was built (${row.merkle_root})` });
  if (snapshot.id !== row.id) problem({ file: 'snapshot.json', message: `id ${snapshot.id} is not ${row.id}` });
  if (snapshot.policyVersion !== row.policy_version) problem({ file: 'snapshot.json', message: `policyVersion ${snapshot.policyVersion} differs from the database (${row.policy_version})` });
  if (snapshot.purpose !== row.purpose) problem({ file: 'snapshot.json', message: `purpose ${snapshot.purpose} differs from the database (${row.purpose})` });

  const dbClips = new RecordedClips(ws, row);
  const shardInfo = new Map((snapshot.shards ?? []).map((s) => [s.file, s]));
  const open: Record<Split, OpenShard | null> = { train: null, val: null };
  const finishShard = async (s: OpenShard) => {
    const rest = await s.reader.next().catch((e: Error) => e);
    if (rest !== null) problem({ file: `shards/${s.info.file}`, message: rest instanceof Error ? rest.message : `holds a record ${s.records} (${rest.header.clipId}) that no manifest line names` });
    const sha = s.reader.sha256();
    if (sha !== s.info.sha256) problem({ file: `shards/${s.info.file}`, message: `sha256 ${sha} is not ${s.info.sha256} recorded in snapshot.json: the file changed` });
    if (s.records !== s.info.records) problem({ file: `shards/${s.info.file}`, message: `the manifest names ${s.records} records in it, snapshot.json says ${s.info.records}` });
    await s.reader.close();
  };
  const seenShards = new Set<string>();

  // Manifest, with each line checked against its shard record as we go.
  const clipTree = new SortedLeafTree('manifest.jsonl');
  const counts = { train: 0, val: 0 };
  let clips = 0;
  try {
    for await (const { n, text } of numberedLines(join(row.path, 'manifest.jsonl'))) {
      const where = { file: 'manifest.jsonl', line: n };
      const e = leafLine<ManifestEntry>(where, text, clipTree, problem);
      if (!e) continue;
      clips++;
      for (const gone of await dbClips.before(String(e.shotId))) problem({ file: 'manifest.jsonl', shotId: gone.shot_id, message: `clip ${gone.clip_id} (shot ${gone.shot_id}) is missing before line ${n}: it was in the dataset when it was built` });
      const inDb = await dbClips.take(String(e.shotId));
      if (!inDb || inDb.clip_id !== e.clipId) problem({ ...where, shotId: e.shotId, message: `line ${n}: clip ${e.clipId} was not in this dataset when it was built (database dataset_clips${inDb ? ` has ${inDb.clip_id}` : ''})` });
      else if (inDb.split !== e.split) problem({ ...where, shotId: e.shotId, message: `line ${n}: clip ${e.clipId} split is ${e.split}, the database recorded ${inDb.split}` });
      if (e.split !== 'train' && e.split !== 'val') {
        problem({ ...where, shotId: e.shotId, message: `line ${n}: split "${e.split}" is neither train nor val` });
        continue;
      }
      counts[e.split]++;
      let s = open[e.split];
      if (!s || s.info.file !== e.shard) {
        if (s) await finishShard(s);
        open[e.split] = null;
        const info = shardInfo.get(e.shard);
        if (!info || seenShards.has(e.shard)) {
          problem({ ...where, shotId: e.shotId, message: `line ${n}: shard ${e.shard} is ${info ? 'named again after its records ended' : 'not listed in snapshot.json'}` });
          continue;
        }
        seenShards.add(e.shard);
        try {
          s = { info, reader: await ShardReader.open(join(row.path, 'shards', info.file), info.file), records: 0 };
        } catch (err) {
          problem({ file: `shards/${info.file}`, message: `cannot open: ${(err as Error).message}` });
          continue;
        }
        open[e.split] = s;
      }
      let rec;
      try {
        rec = await s.reader.next();
      } catch (err) {
        problem({ file: `shards/${s.info.file}`, shotId: e.shotId, message: (err as Error).message });
        open[e.split] = null;
        await s.reader.close();
        continue;
      }
      const recWhere = { file: `shards/${s.info.file}`, shotId: e.shotId };
      if (!rec) problem({ ...recWhere, message: `has no record ${e.record} for clip ${e.clipId} (manifest line ${n})` });
      else {
        const idx = s.records++;
        if (idx !== e.record) problem({ ...where, shotId: e.shotId, message: `line ${n}: clip ${e.clipId} says record ${e.record}, it is record ${idx} of ${e.shard}` });
        if (rec.header.clipId !== e.clipId) problem({ ...recWhere, message: `record ${idx} holds clip ${rec.header.clipId}, manifest line ${n} expects ${e.clipId}` });
        if (rec.header.caption !== e.caption) problem({ ...recWhere, message: `record ${idx} (clip ${e.clipId}) caption differs from manifest line ${n}` });
        if (rec.header.frames !== e.frames) problem({ ...recWhere, message: `record ${idx} (clip ${e.clipId}) has ${rec.header.frames} frames, manifest line ${n} says ${e.frames}` });
        const sha = createHash('sha256').update(rec.payload).digest('hex');
        if (sha !== e.clipSha256) problem({ ...recWhere, message: `record ${idx} (clip ${e.clipId}) pixels changed: sha256 ${sha} is not the manifest's clipSha256 ${e.clipSha256} (line ${n})` });
      }
    }
  } catch (err) {
    problem({ file: 'manifest.jsonl', message: `cannot read: ${(err as Error).message}` });
  }
  for (const s of Object.values(open)) if (s) await finishShard(s);
  for (const info of shardInfo.values()) if (!seenShards.has(info.file)) problem({ file: `shards/${info.file}`, message: 'listed in snapshot.json but no manifest line names it' });
  const onDisk = await readdir(join(row.path, 'shards')).catch(() => [] as string[]);
  for (const f of onDisk) if (!shardInfo.has(f)) problem({ file: `shards/${f}`, message: 'is not listed in snapshot.json' });
  for (const gone of await dbClips.before(null)) problem({ file: 'manifest.jsonl', shotId: gone.shot_id, message: `clip ${gone.clip_id} (shot ${gone.shot_id}) is missing at the end: it was in the dataset when it was built` });

  // Exclusions.
  const exclusionTree = new SortedLeafTree('exclusions.jsonl');
  let exclusions = 0;
  try {
    for await (const { n, text } of numberedLines(join(row.path, 'exclusions.jsonl'))) {
      if (leafLine<Exclusion>({ file: 'exclusions.jsonl', line: n }, text, exclusionTree, problem)) exclusions++;
    }
  } catch (err) {
    problem({ file: 'exclusions.jsonl', message: `cannot read: ${(err as Error).message}` });
  }

  await checkCoverage(ws, row, problem);

  const clipsRoot = clipTree.rootHex();
  const exclusionsRoot = exclusionTree.rootHex();
  if (snapshot.clipsRoot !== clipsRoot) problem({ file: 'manifest.jsonl', message: `its Merkle root ${clipsRoot} is not the recorded clipsRoot ${snapshot.clipsRoot}: a manifest line was changed, added or removed` });
  if (snapshot.exclusionsRoot !== exclusionsRoot) problem({ file: 'exclusions.jsonl', message: `its Merkle root ${exclusionsRoot} is not the recorded exclusionsRoot ${snapshot.exclusionsRoot}: an exclusion was changed, added or removed` });
  if (snapshot.counts?.excluded !== exclusions) problem({ file: 'exclusions.jsonl', message: `${exclusions} lines, snapshot.json counts ${snapshot.counts?.excluded}` });
  if (snapshot.counts?.train !== counts.train || snapshot.counts?.val !== counts.val) problem({ file: 'manifest.jsonl', message: `${counts.train} train / ${counts.val} val lines, snapshot.json counts ${snapshot.counts?.train} / ${snapshot.counts?.val}` });
  const recomputedRoot = datasetRootOf({ policyVersion: row.policy_version, purpose: row.purpose as DatasetSnapshot['purpose'], shardSpec: snapshot.shardSpec, clipsRoot, exclusionsRoot });
  if (recomputedRoot !== row.merkle_root) problem({ file: 'snapshot.json', message: `recomputed root ${recomputedRoot} is not the recorded merkleRoot ${row.merkle_root}` });
  return result({ recomputedRoot, clips, exclusions, shards: shardInfo.size });
}

/**
 * Every shot the library held when the dataset was built is in exactly one of manifest.jsonl and
 * exclusions.jsonl. This names the shot whose exclusion line was deleted or duplicated, which the
 * root alone cannot. Streams both files and the shots table side by side in shotId order.
 */
async function checkCoverage(ws: Workspace, row: DatasetRow, problem: (p: VerifyProblem) => void): Promise<void> {
  const files = shotStates(readManifest(row.path), readExclusions(row.path))[Symbol.asyncIterator]();
  const library = new ShotCursor<{ shot_id: string }>((after) =>
    ws.db.query(
      `SELECT s.id AS shot_id FROM shots s JOIN media_files m ON m.id = s.media_file_id
        WHERE m.ingested_at <= $2 AND s.id COLLATE "C" > $1 ORDER BY s.id COLLATE "C" LIMIT $3`,
      [after, row.created_at, ShotCursor.PAGE],
    ),
  );
  const nextShot = async () => (await library.next())?.shot_id ?? null;
  const missing = async (shotId: string) => {
    // A clip line that went missing is already named by the dataset_clips check.
    const clip = await ws.db.query('SELECT 1 FROM dataset_clips WHERE dataset_id = $1 AND shot_id = $2', [row.id, shotId]);
    if (!clip.length) problem({ file: 'exclusions.jsonl', shotId, message: `shot ${shotId} was in the library when the dataset was built but is in neither manifest.jsonl nor exclusions.jsonl: its exclusion line was removed` });
  };
  try {
    let f = await files.next();
    let shot = await nextShot();
    let last: string | null = null;
    while (!f.done || shot !== null) {
      if (!f.done && f.value.shotId === last) {
        problem({ file: f.value.clip ? 'manifest.jsonl' : 'exclusions.jsonl', shotId: last, message: `shot ${last} appears twice across manifest.jsonl and exclusions.jsonl` });
        f = await files.next();
      } else if (!f.done && (shot === null || f.value.shotId < shot)) {
        last = f.value.shotId; // a shot deleted from the library since the build: nothing to compare
        f = await files.next();
      } else if (!f.done && f.value.shotId === shot) {
        last = shot;
        f = await files.next();
        shot = await nextShot();
      } else {
        await missing(shot!);
        shot = await nextShot();
      }
    }
  } catch (err) {
    // Unparseable lines were reported line by line above; the cross-check cannot go on without them.
    if (!(err instanceof DatasetError)) throw err;
  }
}

/**
 * One .jsonl line as a Merkle leaf: it must parse, be canonical JSON (so a hand edit is named by its
 * line even when the root cannot say where), and come in shotId order. Returns the record, or null
 * when the line is not JSON at all.
 */
function leafLine<T extends { shotId: string }>(where: { file: string; line: number }, text: string, tree: SortedLeafTree, problem: (p: VerifyProblem) => void): T | null {
  let v: T;
  try {
    v = JSON.parse(text) as T;
  } catch {
    problem({ ...where, message: `line ${where.line} is not JSON` });
    return null;
  }
  if (canonicalJson(v) !== text) problem({ ...where, shotId: v.shotId, message: `line ${where.line} (shot ${v.shotId}) is not in canonical form: it was edited by hand` });
  try {
    tree.push(String(v.shotId), text);
  } catch (err) {
    problem({ ...where, shotId: v.shotId, message: `line ${where.line}: ${(err as Error).message}` });
  }
  return v;
}

interface ClipRow {
  clip_id: string;
  shot_id: string;
  split: string;
  [k: string]: unknown;
}

/**
 * Rows keyed by shot id, read in shotId ("C" collation) order a page at a time, so a million-clip
 * dataset is walked without holding it. `fetch(after)` returns the next page of at most PAGE rows.
 */
class ShotCursor<R extends { shot_id: string }> {
  static readonly PAGE = 1000;
  private page: R[] = [];
  private pos = 0;
  private after = '';
  private done = false;

  constructor(private readonly fetch: (after: string) => Promise<R[]>) {}

  async peek(): Promise<R | null> {
    if (this.pos < this.page.length) return this.page[this.pos]!;
    if (this.done) return null;
    this.page = await this.fetch(this.after);
    this.pos = 0;
    if (this.page.length < ShotCursor.PAGE) this.done = true;
    if (this.page.length) this.after = this.page[this.page.length - 1]!.shot_id;
    return this.page[0] ?? null;
  }

  async next(): Promise<R | null> {
    const r = await this.peek();
    if (r) this.pos++;
    return r;
  }
}

/** The dataset_clips rows recorded at build time, read in shotId order alongside the manifest. */
class RecordedClips {
  private readonly rows: ShotCursor<ClipRow>;

  constructor(ws: Workspace, row: DatasetRow) {
    this.rows = new ShotCursor((after) =>
      ws.db.query<ClipRow>('SELECT clip_id, shot_id, split FROM dataset_clips WHERE dataset_id = $1 AND shot_id COLLATE "C" > $2 ORDER BY shot_id COLLATE "C" LIMIT $3', [row.id, after, ShotCursor.PAGE]),
    );
  }

  /** Rows for shots before `shotId` (all remaining rows when null): clips the manifest lost. */
  async before(shotId: string | null): Promise<ClipRow[]> {
    const out: ClipRow[] = [];
    for (let r = await this.rows.peek(); r && (shotId === null || r.shot_id < shotId); r = await this.rows.peek()) {
      out.push((await this.rows.next())!);
      if (out.length > MAX_PROBLEMS) break;
    }
    return out;
  }

  async take(shotId: string): Promise<ClipRow | null> {
    const r = await this.rows.peek();
    return r && r.shot_id === shotId ? this.rows.next() : null;
  }
}

/** Throws a DatasetError naming the first problem; for callers that want verify-or-fail. */
export function assertVerified(r: VerifyResult): void {
  if (r.ok) return;
  const first = r.problems[0]!;
  const more = r.problems.length > 1 ? ` (and ${r.problems.length - 1} more problem${r.problems.length > 2 ? 's' : ''})` : '';
  throw new DatasetError('verify_failed', `dataset ${r.name} (${r.id}) FAILED verification: ${first.file}${first.line ? `:${first.line}` : ''}: ${first.message}${more}`, r.id);
}
