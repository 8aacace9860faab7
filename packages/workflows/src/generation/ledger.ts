// What generations owe and cost, read back: attribution of one output, the likeness usage ledger,
// royalties per title over a period, credentials with the chain of custody, cost per generated second.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError, NotFoundError } from '@backlot/core';
import type { Db } from '@backlot/adapters/db';
import type { Workspace } from '@backlot/adapters/workspace';
import { loadSigningKeys, readCredentials, type CredentialsReport } from '@backlot/adapters/c2pa';
import { sha256File } from '@backlot/adapters/store';
import type { AttributionRecord } from './generate.js';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export interface Period {
  /** YYYY-MM-DD, inclusive; default: the beginning. */
  from?: string;
  /** YYYY-MM-DD, inclusive; default: today. */
  to?: string;
}

function periodBounds(p: Period): [string, string] {
  for (const [flag, v] of [['--from', p.from], ['--to', p.to]] as const) {
    if (v !== undefined && (!DAY.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`)))) throw new InputError('bad_date', `${flag} ${v}: not a date (use YYYY-MM-DD)`, flag);
  }
  if (p.from && p.to && p.from > p.to) throw new InputError('bad_date', `--from ${p.from} is after --to ${p.to}`, '--from');
  // Half-open in UTC: the whole of the --to day is included.
  const next = p.to ? new Date(Date.parse(`${p.to}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10) : null;
  return [p.from ? `${p.from}T00:00:00Z` : '-infinity', next ? `${next}T00:00:00Z` : 'infinity'];
}

interface GenerationRow {
  id: string;
  model_id: string;
  mode: string;
  prompt: string;
  project: string | null;
  actor: string;
  created_at: string;
  output_path: string | null;
  sha256: string | null;
  seconds: number | null;
}

const GENERATION_SELECT = `SELECT g.id, g.model_id, g.mode, g.prompt, g.project, g.actor, to_char(g.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at,
  o.path AS output_path, o.sha256, o.seconds FROM generations g LEFT JOIN generation_outputs o ON o.generation_id = g.id`;

/** A generation by id, or by an output file (matched by content, so a moved copy still resolves). */
export async function findGeneration(ws: Workspace, key: string): Promise<GenerationRow> {
  if (/^gen_[0-9a-f]+$/.test(key)) {
    const [row] = await ws.db.query<GenerationRow & Record<string, unknown>>(`${GENERATION_SELECT} WHERE g.id = $1`, [key]);
    if (!row) throw new NotFoundError('unknown_generation', `no generation ${key}`, key);
    return row;
  }
  if (!existsSync(key)) throw new NotFoundError('unknown_generation', `${key}: no such file and no generation with that id`, key);
  const sha = await sha256File(key);
  const [row] = await ws.db.query<GenerationRow & Record<string, unknown>>(`${GENERATION_SELECT} WHERE o.sha256 = $1 ORDER BY g.created_at DESC LIMIT 1`, [sha]);
  if (!row) throw new NotFoundError('unknown_generation', `${key}: not an output this workspace generated (its content matches no recorded output)`, key);
  return row;
}

export interface AttributionReport extends AttributionRecord {
  generationId: string;
  modelId: string;
  output: string | null;
  createdAt: string;
}

export async function showAttribution(ws: Workspace, key: string): Promise<AttributionReport> {
  const g = await findGeneration(ws, key);
  const rows = await ws.db.query<{ rank: number; clip_id: string; shot_id: string | null; title_id: string; title: string | null; similarity: number; share: number }>(
    `SELECT a.rank, a.clip_id, a.shot_id, a.title_id, t.name AS title, a.similarity, a.share FROM attribution_shares a
     LEFT JOIN titles t ON t.id = a.title_id WHERE a.generation_id = $1 ORDER BY a.rank`,
    [g.id],
  );
  const clips = rows.map((r) => ({ rank: r.rank, clipId: r.clip_id, shotId: r.shot_id, titleId: r.title_id, title: r.title ?? r.title_id, similarity: r.similarity, share: r.share }));
  const byTitle = new Map<string, { titleId: string; title: string; share: number }>();
  for (const c of clips) {
    const t = byTitle.get(c.titleId) ?? { titleId: c.titleId, title: c.title, share: 0 };
    t.share += c.share;
    byTitle.set(c.titleId, t);
  }
  return { generationId: g.id, modelId: g.model_id, output: g.output_path, createdAt: g.created_at, clips, titles: [...byTitle.values()].sort((a, b) => b.share - a.share) };
}

export interface UsageLine {
  at: string;
  generationId: string;
  personId: string;
  personName: string;
  consentId: string;
  seconds: number;
  project: string | null;
  modelId: string;
  output: string | null;
}

export interface UsageReport {
  person: { id: string; name: string };
  from: string | null;
  to: string | null;
  lines: UsageLine[];
  totalSeconds: number;
}

async function resolvePerson(db: Db, key: string): Promise<{ id: string; name: string }> {
  const rows = await db.query<{ id: string; name: string; aliases: string[] | null }>('SELECT id, name, aliases FROM people ORDER BY id');
  const k = key.trim().toLowerCase();
  const hit = rows.find((r) => r.id === key) ?? rows.find((r) => r.name.toLowerCase() === k) ?? rows.find((r) => (r.aliases ?? []).some((a) => a.toLowerCase() === k));
  if (!hit) throw new NotFoundError('unknown_person', `--person ${key}: no such person in the rights registry`, '--person');
  return { id: hit.id, name: hit.name };
}

/** The likeness usage ledger for one person over a period. */
export async function likenessUsage(ws: Workspace, input: { person: string } & Period): Promise<UsageReport> {
  const [lo, hi] = periodBounds(input);
  const person = await resolvePerson(ws.db, input.person);
  const rows = await ws.db.query<{ at: string; generation_id: string; consent_id: string; seconds: number; project: string | null; model_id: string; output: string | null }>(
    `SELECT to_char(u.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS at, u.generation_id, u.consent_id, u.seconds, u.project, g.model_id, o.path AS output
     FROM likeness_usage u JOIN generations g ON g.id = u.generation_id LEFT JOIN generation_outputs o ON o.generation_id = u.generation_id
     WHERE u.person_id = $1 AND u.at >= $2::timestamptz AND u.at < $3::timestamptz ORDER BY u.at, u.id`,
    [person.id, lo, hi],
  );
  const lines = rows.map((r) => ({ at: r.at, generationId: r.generation_id, personId: person.id, personName: person.name, consentId: r.consent_id, seconds: r.seconds, project: r.project, modelId: r.model_id, output: r.output }));
  return { person, from: input.from ?? null, to: input.to ?? null, lines, totalSeconds: lines.reduce((s, l) => s + l.seconds, 0) };
}

export interface RoyaltyLine {
  titleId: string;
  title: string;
  generations: number;
  /** Sum of this title's shares over the period's generations. */
  shares: number;
  /** Generated seconds weighted by share: what a per-second royalty would be paid on. */
  attributedSeconds: number;
  /** Fraction of all attributed seconds in the period. */
  fraction: number;
}

export async function royalties(ws: Workspace, period: Period): Promise<{ from: string | null; to: string | null; generations: number; generatedSeconds: number; titles: RoyaltyLine[] }> {
  const [lo, hi] = periodBounds(period);
  const rows = await ws.db.query<{ title_id: string; title: string | null; generations: string | number; shares: number; attributed: number }>(
    `SELECT a.title_id, t.name AS title, count(DISTINCT a.generation_id) AS generations, sum(a.share) AS shares, sum(a.share * o.seconds) AS attributed
     FROM attribution_shares a JOIN generations g ON g.id = a.generation_id JOIN generation_outputs o ON o.generation_id = g.id
     LEFT JOIN titles t ON t.id = a.title_id
     WHERE g.created_at >= $1::timestamptz AND g.created_at < $2::timestamptz
     GROUP BY a.title_id, t.name ORDER BY attributed DESC, a.title_id`,
    [lo, hi],
  );
  const [tot] = await ws.db.query<{ n: string | number; s: number | null }>(
    `SELECT count(*) AS n, sum(o.seconds) AS s FROM generations g JOIN generation_outputs o ON o.generation_id = g.id
     WHERE g.created_at >= $1::timestamptz AND g.created_at < $2::timestamptz`,
    [lo, hi],
  );
  const all = rows.reduce((s, r) => s + Number(r.attributed), 0);
  return {
    from: period.from ?? null,
    to: period.to ?? null,
    generations: Number(tot?.n ?? 0),
    generatedSeconds: Number(tot?.s ?? 0),
    titles: rows.map((r) => ({ titleId: r.title_id, title: r.title ?? r.title_id, generations: Number(r.generations), shares: Number(r.shares), attributedSeconds: Number(r.attributed), fraction: all ? Number(r.attributed) / all : 0 })),
  };
}

export interface VerifyReport extends CredentialsReport {
  /** The workspace's own record of the output, when this workspace generated it. */
  recorded: { generationId: string; modelId: string; mode: string; actor: string; createdAt: string; project: string | null } | null;
  trustAnchors: 'development' | 'studio' | 'none';
}

/** Validates a file's credentials against the workspace's trust anchors and finds its record. */
export async function verifyFile(ws: Workspace | null, path: string): Promise<VerifyReport> {
  const file = resolve(path);
  if (!existsSync(file)) throw new InputError('missing_file', `${path}: no such file`, path);
  const keys = ws ? await loadSigningKeys(ws.home, { create: false }).catch(() => null) : null;
  const report = await readCredentials(file, keys?.trustAnchorsPem ?? '');
  let recorded: VerifyReport['recorded'] = null;
  if (ws) {
    const sha = await sha256File(file);
    const [g] = await ws.db.query<{ id: string; model_id: string; mode: string; actor: string; created_at: string; project: string | null }>(
      `SELECT g.id, g.model_id, g.mode, g.actor, to_char(g.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at, g.project
       FROM generation_outputs o JOIN generations g ON g.id = o.generation_id WHERE o.sha256 = $1 LIMIT 1`,
      [sha],
    );
    if (g) recorded = { generationId: g.id, modelId: g.model_id, mode: g.mode, actor: g.actor, createdAt: g.created_at, project: g.project };
  }
  return { ...report, recorded, trustAnchors: keys?.trustAnchorsPem ? keys.source : 'none' };
}

export interface GenerationCost {
  modelId: string;
  generations: number;
  generatedSeconds: number;
  /** Wall seconds of whole generations (load to signed file) per second of video. */
  secondsPerGeneratedSecond: number | null;
  /** Model time only (text encoding, sampling, decoding) per second of video. */
  modelSecondsPerGeneratedSecond: number | null;
  devices: string[];
}

/** What `backlot models show` prints as cost per generated second. */
export async function generationCost(db: Db, modelId: string): Promise<GenerationCost> {
  // One output row and one 'total' row per generation, so plain joins do not double count.
  const [r] = await db.query<{ n: string | number; secs: number | null; total: number | null; model: number | null; devices: string[] | null }>(
    `SELECT count(*) AS n, sum(o.seconds) AS secs, sum(ct.seconds) AS total, sum(cm.s) AS model, array_agg(DISTINCT cs.device) AS devices
     FROM generations g
     JOIN generation_outputs o ON o.generation_id = g.id
     JOIN generation_compute ct ON ct.generation_id = g.id AND ct.stage = 'total'
     JOIN generation_compute cs ON cs.generation_id = g.id AND cs.stage = 'sampling'
     JOIN LATERAL (SELECT sum(seconds) AS s FROM generation_compute WHERE generation_id = g.id AND stage IN ('text', 'sampling', 'decode')) cm ON true
     WHERE g.model_id = $1 AND g.status = 'done'`,
    [modelId],
  );
  const generated = Number(r?.secs ?? 0);
  return {
    modelId,
    generations: Number(r?.n ?? 0),
    generatedSeconds: generated,
    secondsPerGeneratedSecond: generated ? Number(r!.total) / generated : null,
    modelSecondsPerGeneratedSecond: generated ? Number(r!.model) / generated : null,
    devices: (r?.devices ?? []).filter(Boolean),
  };
}

/** One line for `backlot models show`: "cost per generated second: 0.61 s wall (0.02 s model) over 3 clips on cpu". */
export function describeGenerationCost(c: GenerationCost): string {
  if (!c.generations) return 'cost per generated second: no generations yet';
  return `cost per generated second: ${c.secondsPerGeneratedSecond!.toFixed(2)} s wall, ${c.modelSecondsPerGeneratedSecond!.toFixed(3)} s model time (${c.generations} clip${c.generations === 1 ? '' : 's'}, ${c.generatedSeconds.toFixed(1)} s generated on ${c.devices.join(', ')})`;
}
