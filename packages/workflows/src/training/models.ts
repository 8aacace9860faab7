// The model registry: list, show, import a licensed base with its lineage card, and the lineage a new
// model inherits from its dataset and bases.
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Workspace } from '@backlot/adapters/workspace';
import type { Db } from '@backlot/adapters/db';
import { InputError, NotFoundError, TrainError } from '@backlot/core';
import { appendAudit } from '../audit/index.js';

export interface LineageDataset { id: string; merkleRoot: string }
export interface LineageBase { modelId: string; card: Record<string, unknown> }
export interface Lineage { datasets: LineageDataset[]; bases: LineageBase[] }

export interface ModelRow {
  id: string;
  name: string | null;
  kind: 'trained' | 'imported';
  preset: string | null;
  dataset_id: string | null;
  dataset_root: string | null;
  lineage: Lineage;
  config: Record<string, unknown>;
  curves: Array<{ step: number; loss: number; phase?: string }>;
  eval: Record<string, unknown> | null;
  compute: Record<string, unknown>;
  card: Record<string, unknown> | null;
  run_id: string | null;
  path: string;
  export_path: string | null;
  tainted_reason: string | null;
  created_by: string;
  created_at: string | Date;
  [k: string]: unknown;
}

export interface ModelSummary {
  id: string;
  name: string | null;
  kind: string;
  preset: string | null;
  datasetId: string | null;
  datasetRoot: string | null;
  createdAt: string;
  tainted: string | null;
  exported: boolean;
  finalLoss: number | null;
  adherence: Record<string, unknown> | null;
}

export function newId(prefix: string): string {
  const t = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${prefix}_${t}_${randomBytes(3).toString('hex')}`;
}

export function summarise(r: ModelRow): ModelSummary {
  const last = r.curves.filter((c) => !c.phase || c.phase === 'dit').at(-1);   // the denoiser's, not the autoencoder's
  const adh = (r.eval?.adherence as Record<string, unknown> | undefined) ?? null;
  return {
    id: r.id, name: r.name, kind: r.kind, preset: r.preset, datasetId: r.dataset_id, datasetRoot: r.dataset_root,
    createdAt: new Date(r.created_at).toISOString(), tainted: r.tainted_reason, exported: !!r.export_path,
    finalLoss: last?.loss ?? null, adherence: adh,
  };
}

export async function resolveModel(db: Db, nameOrId: string): Promise<ModelRow> {
  const rows = await db.query<ModelRow>('SELECT * FROM models WHERE id = $1 OR name = $1 ORDER BY (id = $1) DESC, created_at DESC LIMIT 1', [nameOrId]);
  if (!rows[0]) throw new NotFoundError('model_not_found', `no model ${nameOrId}: run \`backlot models ls\` to see the models`, nameOrId);
  return rows[0];
}

export async function listModels(ws: Workspace): Promise<ModelSummary[]> {
  return (await ws.db.query<ModelRow>('SELECT * FROM models ORDER BY created_at DESC, id')).map(summarise);
}

export async function showModel(ws: Workspace, nameOrId: string): Promise<ModelRow> {
  return resolveModel(ws.db, nameOrId);
}

/** The weights file of a registered model. */
export function checkpointOf(m: ModelRow): string {
  return join(m.path, 'checkpoint.pt');
}

/** A new model's lineage: its dataset plus everything its base descends from. */
export function inheritLineage(dataset: LineageDataset, base: ModelRow | null): Lineage {
  const datasets: LineageDataset[] = [dataset];
  const bases: LineageBase[] = [];
  if (base) {
    for (const d of base.lineage.datasets) if (!datasets.some((x) => x.id === d.id && x.merkleRoot === d.merkleRoot)) datasets.push(d);
    bases.push({ modelId: base.id, card: base.card ?? {} }, ...base.lineage.bases.filter((b) => b.modelId !== base.id));
  }
  return { datasets, bases };
}

/** What a licensed base model must say about itself before Backlot will build on it. */
export const LineageCard = z.object({
  name: z.string().min(1),
  trainedBy: z.string().min(1),
  licence: z.string().min(1),
  data: z.array(z.object({ name: z.string().min(1), licence: z.string().min(1), merkleRoot: z.string().optional() })).min(1),
  contact: z.string().optional(),
  notes: z.string().optional(),
}).passthrough();
export type LineageCard = z.infer<typeof LineageCard>;

export interface ImportModelInput {
  /** model.pt / checkpoint.pt written by Backlot's trainer (same architecture family). */
  weights: string;
  /** JSON lineage card (LineageCard); without it the import is refused. */
  card?: string;
  name?: string;
}

export async function importModel(ws: Workspace, input: ImportModelInput, opts: { actor: string }): Promise<ModelSummary> {
  if (!input.card) throw new TrainError('lineage_card_missing', `${input.weights}: a base model needs a lineage card (--card card.json: name, trainedBy, licence, data[]); refusing to import it without one`, input.weights);
  if (!existsSync(input.weights)) throw new InputError('weights_missing', `${input.weights}: no such file`, input.weights);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(input.card, 'utf8'));
  } catch (e) {
    throw new InputError('bad_card', `${input.card}: not a readable JSON lineage card (${(e as Error).message})`, input.card);
  }
  const parsed = LineageCard.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new InputError('bad_card', `${input.card}: lineage card ${i.path.join('.') || 'root'}: ${i.message}`, input.card);
  }
  const card = parsed.data;
  const id = newId('mdl');
  const dir = join(ws.modelsDir, id);
  await mkdir(dir, { recursive: true });
  try {
    await copyFile(input.weights, join(dir, 'checkpoint.pt'));
    await writeFile(join(dir, 'card.json'), `${JSON.stringify({ imported: true, card }, null, 2)}\n`);
    const lineage: Lineage = { datasets: [], bases: [{ modelId: id, card }] };
    await ws.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO models (id, name, kind, lineage, card, path, created_by) VALUES ($1, $2, 'imported', $3, $4, $5, $6)`,
        [id, input.name ?? card.name, JSON.stringify(lineage), JSON.stringify(card), dir, opts.actor],
      );
      await appendAudit(tx, { actor: opts.actor, action: 'model.import', subject: id, details: { name: card.name, trainedBy: card.trainedBy, licence: card.licence } });
    });
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return summarise(await resolveModel(ws.db, id));
}
