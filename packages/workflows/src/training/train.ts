// Training end to end: refuse tainted or broken datasets and card-less bases up front, run the Python
// trainer as a subprocess with live progress, and register a model (weights, card, lineage, curves,
// compute) only when the run finished. A failed or killed run leaves the registry as it was and can
// be continued with resumeTraining.
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Workspace } from '@backlot/adapters/workspace';
import { lastErrorLine, runTrainer, type TrainerEvent } from '@backlot/adapters/trainer';
import { DatasetError, InputError, NotFoundError, TrainError, type ProgressSink } from '@backlot/core';
import { appendAudit } from '../audit/index.js';
import { assertVerified, resolveDataset, verifyDataset, type DatasetRow } from '../datasets/index.js';
import { checkpointOf, inheritLineage, newId, resolveModel, summarise, type Lineage, type ModelRow, type ModelSummary } from './models.js';

export const PRESETS = ['tiny', 'small', 'base'] as const;
export type PresetName = (typeof PRESETS)[number];

export interface TrainInput {
  dataset: string;
  preset: PresetName;
  steps?: number;
  /** Stop after this many minutes and register what was reached. */
  minutes?: number;
  initFrom?: string;
  /** LoRA rank with initFrom; 0 or absent = full fine-tune. */
  lora?: number;
  name?: string;
  seed?: number;
  /** Processes for DDP on this machine (torchrun). */
  nproc?: number;
  /** Skip the manifest hash check (tests; never the default). */
  skipVerify?: boolean;
  /** Also write a preview grid every N steps (one is always written when the denoiser starts and at the end). */
  previewEvery?: number;
  /** Preset field overrides passed to the trainer as --set k=v (small test models, experiments). */
  overrides?: string[];
}

export interface TrainOptions {
  actor: string;
  onProgress?: ProgressSink;
  signal?: AbortSignal;
  /** Called with every trainer event (the server stores curves live). */
  onEvent?: (e: TrainerEvent) => void;
}

export interface TrainResult {
  runId: string;
  model: ModelSummary;
  /** The run's preview grids, copied beside the model's weights: generations from held-out captions above the real clips. */
  previews: Array<{ step: number; path: string }>;
}

interface RunRow {
  id: string;
  dataset_id: string;
  dataset_root: string;
  preset: string;
  status: string;
  config: { args: string[]; lineage: Lineage; name?: string; initFrom?: string | null };
  init_from: string | null;
  init_mode: string | null;
  run_dir: string;
  total_steps: number;
  model_id: string | null;
  [k: string]: unknown;
}

function refuseTainted(ds: DatasetRow): void {
  if (ds.tainted_reason) {
    throw new DatasetError('dataset_tainted', `dataset ${ds.name} (${ds.id}) is tainted: ${ds.tainted_reason}; rebuild it with \`backlot dataset build ${ds.name}\` and train on the new snapshot`, ds.id);
  }
}

async function baseModel(ws: Workspace, initFrom: string | undefined): Promise<ModelRow | null> {
  if (!initFrom) return null;
  const base = await resolveModel(ws.db, initFrom);
  if (base.tainted_reason) throw new TrainError('base_tainted', `model ${base.id} is tainted: ${base.tainted_reason}; it cannot be a base`, base.id);
  if (!base.card || (base.kind === 'imported' && !('trainedBy' in base.card))) {
    throw new TrainError('lineage_card_missing', `model ${base.id} has no lineage card; import it with \`backlot models import --card card.json\` first`, base.id);
  }
  if (!existsSync(checkpointOf(base))) throw new TrainError('weights_missing', `model ${base.id}: weights ${checkpointOf(base)} are missing`, base.id);
  return base;
}

export async function trainModel(ws: Workspace, input: TrainInput, opts: TrainOptions): Promise<TrainResult> {
  if (!PRESETS.includes(input.preset)) throw new InputError('bad_preset', `--preset ${input.preset}: use one of ${PRESETS.join(', ')}`, '--preset');
  if (input.lora && !input.initFrom) throw new InputError('lora_without_base', '--lora needs --init-from MODEL', '--lora');
  const ds = await resolveDataset(ws.db, input.dataset);
  refuseTainted(ds);
  if (!existsSync(join(ds.path, 'snapshot.json'))) throw new DatasetError('snapshot_missing', `dataset ${ds.name} (${ds.id}): ${ds.path} has no snapshot.json`, ds.id);
  if (!input.skipVerify) {
    opts.onProgress?.({ task: 'verify', label: `verify ${ds.name}`, done: 0, unit: 'files', message: 'checking shard and manifest hashes' });
    assertVerified(await verifyDataset(ws, ds.id));
    opts.onProgress?.({ task: 'verify', label: `verify ${ds.name}`, done: 1, total: 1, unit: 'files', finished: true });
  }
  const base = await baseModel(ws, input.initFrom);
  const lineage = inheritLineage({ id: ds.id, merkleRoot: ds.merkle_root }, base);
  const runId = newId('run');
  const runDir = join(ws.modelsDir, 'runs', runId);
  await mkdir(runDir, { recursive: true });
  await writeFile(join(runDir, 'lineage.json'), JSON.stringify(lineage));
  const args = ['--data', ds.path, '--run-dir', runDir, '--preset', input.preset, '--lineage', join(runDir, 'lineage.json'), '--no-verify'];
  if (input.steps) args.push('--steps', String(input.steps));
  if (input.minutes) args.push('--minutes', String(input.minutes));
  if (input.seed !== undefined) args.push('--seed', String(input.seed));
  if (input.previewEvery) args.push('--preview-every', String(input.previewEvery));
  if (base) args.push('--init-from', checkpointOf(base));
  if (base && input.lora) args.push('--lora', String(input.lora));
  for (const o of input.overrides ?? []) args.push('--set', o);
  await ws.db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO training_runs (id, dataset_id, dataset_root, preset, status, config, init_from, init_mode, run_dir, total_steps, actor)
       VALUES ($1, $2, $3, $4, 'running', $5, $6, $7, $8, $9, $10)`,
      [runId, ds.id, ds.merkle_root, input.preset, JSON.stringify({ args, lineage, name: input.name, nproc: input.nproc ?? 1 }), base?.id ?? null,
        base ? (input.lora ? 'lora' : 'full') : null, runDir, input.steps ?? 0, opts.actor],
    );
    await appendAudit(tx, { actor: opts.actor, action: 'training.start', subject: runId, details: { dataset: ds.id, merkleRoot: ds.merkle_root, preset: input.preset, base: base?.id ?? null } });
  });
  return runAndRegister(ws, runId, args, opts);
}

/** Continues a failed or killed run from its last checkpoint (same data order, same result). */
export async function resumeTraining(ws: Workspace, runId: string, input: { steps?: number }, opts: TrainOptions): Promise<TrainResult> {
  const [run] = await ws.db.query<RunRow>('SELECT * FROM training_runs WHERE id = $1', [runId]);
  if (!run) throw new NotFoundError('run_not_found', `no training run ${runId}: see \`backlot train --help\` and \`backlot models ls\``, runId);
  if (run.model_id) throw new TrainError('run_finished', `run ${runId} already finished and registered model ${run.model_id}`, runId);
  if (!existsSync(join(run.run_dir, 'checkpoint.pt'))) throw new TrainError('no_checkpoint', `run ${runId} has no checkpoint yet: start a new run instead`, runId);
  const ds = await resolveDataset(ws.db, run.dataset_id);
  refuseTainted(ds);
  const args = [...run.config.args.filter((a, i, all) => a !== '--steps' && all[i - 1] !== '--steps'), '--resume'];
  if (input.steps) args.push('--steps', String(input.steps));
  await ws.db.query(`UPDATE training_runs SET status = 'running', error = NULL, finished_at = NULL WHERE id = $1`, [runId]);
  await appendAudit(ws.db, { actor: opts.actor, action: 'training.resume', subject: runId, details: {} });
  return runAndRegister(ws, runId, args, opts);
}

async function runAndRegister(ws: Workspace, runId: string, args: string[], opts: TrainOptions): Promise<TrainResult> {
  const [run] = await ws.db.query<RunRow>('SELECT * FROM training_runs WHERE id = $1', [runId]);
  const curves: Array<Record<string, unknown>> = [];
  let decSteps = 0;
  const label = `train ${run!.preset}`;
  const r = await runTrainer('train', args, {
    signal: opts.signal,
    nproc: (run!.config as { nproc?: number }).nproc,
    onEvent: (e) => {
      opts.onEvent?.(e);
      if (e.event === 'start') {
        decSteps = Number(e.decSteps ?? 0);
        opts.onProgress?.({ task: 'train', label, done: Number(e.step), total: Number(e.total), unit: 'steps', message: `${(e.params as { total: number }).total.toLocaleString('en')} params on ${String(e.device)}` });
      }
      if (e.event === 'step') {
        curves.push({ step: e.step, loss: e.loss, phase: e.phase });
        const eta = Math.round(Number(e.etaSeconds) / 60);
        const pace = `loss ${Number(e.loss).toFixed(4)} lr ${Number(e.lr).toExponential(1)} ${Number(e.samplesPerSec).toFixed(1)} samples/s`;
        // a latent preset trains its autoencoder first (and may close with its decoder alone); the trainer's
        // ETA runs to the end of the phase while the next one's pace is not known
        opts.onProgress?.({ task: 'train', label, done: Number(e.step), total: Number(e.total), unit: 'steps',
          message: e.phase === 'img' ? `autoencoder on single frames: ${pace}, clips in ${eta} min`
            : e.phase === 'vae' ? `autoencoder: ${pace}, denoiser in ${eta} min`
            : e.phase === 'dec' ? `decoder: ${pace} ETA ${eta} min`
              : decSteps ? `${pace}, decoder in ${eta} min` : `${pace} ETA ${eta} min` });
      }
      if (e.event === 'preview' || e.event === 'warning') {
        opts.onProgress?.({ task: 'train', label, done: Number(e.step ?? 0), total: run!.total_steps || undefined, unit: 'steps',
          message: e.event === 'preview' ? `preview at step ${String(e.step)}: ${String(e.path)}` : `warning: ${String(e.message)}` });
      }
    },
  });
  const done = r.events.find((e) => e.event === 'done');
  if (r.code !== 0 || !done) {
    const status = r.aborted || r.signal ? 'killed' : 'failed';
    const why = r.error ? r.error.message : r.aborted ? 'cancelled' : r.signal ? `killed by ${r.signal}` : lastErrorLine(r.stderrTail);
    const lastStep = Number(r.events.filter((e) => e.event === 'checkpoint').at(-1)?.step ?? 0);
    await ws.db.query(`UPDATE training_runs SET status = $2, error = $3, finished_at = now(), curves = curves || $4::jsonb, last_step = GREATEST(last_step, $5) WHERE id = $1`,
      [runId, status, why, JSON.stringify(curves), lastStep]);
    await appendAudit(ws.db, { actor: opts.actor, action: `training.${status}`, subject: runId, details: { error: why } });
    opts.onProgress?.({ task: 'train', label, done: lastStep, unit: 'steps', message: status, finished: true });
    throw new TrainError(r.error?.code ?? `run_${status}`, `training run ${runId} ${status}: ${why}${lastStep ? ` (continue with \`backlot train --resume ${runId}\`)` : ''}`, runId);
  }
  const summary = JSON.parse(await readFile(join(run!.run_dir, 'summary.json'), 'utf8')) as {
    steps: number; params: Record<string, number>; curves: Array<{ step: number; loss: number; phase: string }>; config: Record<string, unknown>; compute: Record<string, unknown>; preset: string;
    previews?: Array<{ step: number; path: string }>;
  };
  const modelId = newId('mdl');
  const dir = join(ws.modelsDir, modelId);
  await mkdir(dir, { recursive: true });
  const previews: Array<{ step: number; path: string }> = [];    // copied beside the weights, paths relative to them
  try {
    await copyFile(join(run!.run_dir, 'model.pt'), join(dir, 'checkpoint.pt'));
    for (const pv of summary.previews ?? []) {
      if (!existsSync(join(run!.run_dir, pv.path))) continue;
      await mkdir(join(dir, 'previews'), { recursive: true });
      await copyFile(join(run!.run_dir, pv.path), join(dir, pv.path));
      previews.push(pv);
    }
    const lineage = run!.config.lineage;
    const card = {
      modelId, name: run!.config.name ?? null, preset: summary.preset, trainedBy: 'this studio (Backlot)', licence: 'studio-internal',
      data: lineage.datasets.map((d) => ({ name: d.id, licence: 'studio-owned or licensed footage (rights-checked snapshot)', merkleRoot: d.merkleRoot })),
      dataset: { id: run!.dataset_id, merkleRoot: run!.dataset_root }, lineage, params: summary.params, steps: summary.steps,
      compute: summary.compute, initFrom: run!.init_from, initMode: run!.init_mode, runId, previews,
    };
    await writeFile(join(dir, 'card.json'), `${JSON.stringify(card, null, 2)}\n`);
    await writeFile(join(dir, 'card.md'), cardMarkdown(card, summary.curves));
    await ws.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO models (id, name, kind, preset, dataset_id, dataset_root, lineage, config, curves, compute, card, run_id, path, created_by)
         VALUES ($1, $2, 'trained', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        [modelId, run!.config.name ?? null, summary.preset, run!.dataset_id, run!.dataset_root, JSON.stringify(lineage), JSON.stringify({ ...summary.config, params: summary.params }),
          JSON.stringify(summary.curves), JSON.stringify(summary.compute), JSON.stringify(card), runId, dir, opts.actor],
      );
      await tx.query(`UPDATE training_runs SET status = 'succeeded', model_id = $2, finished_at = now(), curves = $3, last_step = $4, total_steps = $4 WHERE id = $1`,
        [runId, modelId, JSON.stringify(summary.curves), summary.steps]);
      await appendAudit(tx, { actor: opts.actor, action: 'model.register', subject: modelId, details: { runId, dataset: run!.dataset_id, merkleRoot: run!.dataset_root, bases: lineage.bases.map((b) => b.modelId) } });
    });
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  opts.onProgress?.({ task: 'train', label, done: summary.steps, total: summary.steps, unit: 'steps', finished: true });
  return { runId, model: summarise(await resolveModel(ws.db, modelId)), previews: previews.map((pv) => ({ step: pv.step, path: join(dir, pv.path) })) };
}

function cardMarkdown(card: Record<string, unknown> & { lineage: Lineage; previews: Array<{ step: number; path: string }> }, curves: Array<{ step: number; loss: number; phase: string }>): string {
  const c = card as unknown as Record<string, unknown> & { compute: Record<string, unknown>; params: Record<string, number> };
  const previews = card.previews.length
    ? ['## Previews', '', 'Text-to-video generations from the captions of held-out clips (top row) above those real clips (bottom row), same prompts and noise each time:', '',
        ...card.previews.map((pv) => `- step ${pv.step}: [${pv.path}](${pv.path})`), '']
    : [];
  const last = curves.filter((x) => x.phase === 'dit').at(-1);
  return [
    `# Model ${String(c.modelId)}`, '',
    `Preset \`${String(c.preset)}\`, ${c.params.total?.toLocaleString('en')} parameters (text ${c.params.text}, denoiser ${c.params.dit}, autoencoder ${c.params.vae}).`,
    `Trained by ${String(c.trainedBy)} for ${String(c.steps)} steps${last ? `; final flow loss ${last.loss.toFixed(4)}` : ''}.`, '',
    '## Lineage', '',
    ...card.lineage.datasets.map((d) => `- dataset \`${d.id}\` Merkle root \`${d.merkleRoot}\``),
    ...card.lineage.bases.map((b) => `- base model \`${b.modelId}\`${typeof b.card.trainedBy === 'string' ? ` (trained by ${b.card.trainedBy}, licence ${String(b.card.licence)})` : ''}`), '',
    '## Compute', '',
    `- device: ${String(c.compute.device)}`, `- wall time: ${Number(c.compute.wallSeconds).toFixed(0)} s`,
    `- samples seen: ${String(c.compute.samplesSeen)}`, `- energy estimate: ${Number(c.compute.energyKwh).toFixed(4)} kWh (${String(c.compute.energyAssumption)})`, '',
    ...previews,
    'Evaluation figures are added by `backlot eval`.', '',
  ].join('\n');
}

export interface ExportResult { modelId: string; path: string; files: Record<string, string | null> }

export async function exportModel(ws: Workspace, nameOrId: string, opts: { actor: string; signal?: AbortSignal; onProgress?: ProgressSink }): Promise<ExportResult> {
  const m = await resolveModel(ws.db, nameOrId);
  if (!existsSync(checkpointOf(m))) throw new TrainError('weights_missing', `model ${m.id}: weights ${checkpointOf(m)} are missing`, m.id);
  const out = join(m.path, 'onnx');
  const lineageFile = join(m.path, 'lineage.json');
  await writeFile(lineageFile, JSON.stringify(m.lineage));
  const args = ['--model', checkpointOf(m), '--out', out, '--model-id', m.id, '--lineage', lineageFile];
  if (m.dataset_id) {
    const ds = await resolveDataset(ws.db, m.dataset_id).catch(() => null);
    if (ds && existsSync(join(ds.path, 'snapshot.json'))) args.push('--data', ds.path);
  }
  opts.onProgress?.({ task: 'export', label: `export ${m.id}`, done: 0, total: 1, unit: 'models' });
  const r = await runTrainer('export', args, { signal: opts.signal, nice: 0 });
  const done = r.events.find((e) => e.event === 'done');
  if (r.code !== 0 || !done) throw new TrainError('export_failed', `export of ${m.id} failed: ${r.error?.message ?? lastErrorLine(r.stderrTail)}`, m.id);
  await ws.db.query('UPDATE models SET export_path = $2 WHERE id = $1', [m.id, out]);
  await appendAudit(ws.db, { actor: opts.actor, action: 'model.export', subject: m.id, details: { path: out } });
  opts.onProgress?.({ task: 'export', label: `export ${m.id}`, done: 1, total: 1, unit: 'models', finished: true });
  return { modelId: m.id, path: out, files: done.files as Record<string, string | null> };
}

export interface EvalInput { model: string; steps?: number; maxPrompts?: number; samples?: number; world?: string; grid?: string }

export async function evaluateModel(ws: Workspace, input: EvalInput, opts: { actor: string; signal?: AbortSignal; onProgress?: ProgressSink }): Promise<Record<string, unknown>> {
  const m = await resolveModel(ws.db, input.model);
  if (!m.dataset_id) throw new TrainError('no_dataset', `model ${m.id} was imported without a dataset; evaluate a model trained here`, m.id);
  const ds = await resolveDataset(ws.db, m.dataset_id);
  if (!ds.counts.val) {
    throw new TrainError('no_val_clips', `model ${m.id} cannot be evaluated: its dataset ${ds.name} has no held-out clips (one title, --val-fraction 0, or no trainable shot in the held-out titles); train on a snapshot with a validation split`, m.id);
  }
  const args = ['--model', checkpointOf(m), '--data', ds.path, '--out', join(m.path, 'eval.json')];
  if (input.steps) args.push('--steps', String(input.steps));
  if (input.maxPrompts) args.push('--max-prompts', String(input.maxPrompts));
  if (input.samples) args.push('--samples', String(input.samples));
  if (input.world) args.push('--world', input.world);
  if (input.grid) args.push('--grid', input.grid);
  // The four modes, and the world's held-out combinations where the dataset has a world: the
  // evaluator's first event names the sets it will score.
  let total = 4;
  let n = 0;
  opts.onProgress?.({ task: 'eval', label: `eval ${m.id}`, done: 0, total, unit: 'modes', message: 'validation loss' });
  const r = await runTrainer('evaluate', args, {
    signal: opts.signal,
    onEvent: (e) => {
      if (e.event === 'plan' && Array.isArray(e.modes)) total = e.modes.length;
      if (e.event === 'mode') opts.onProgress?.({ task: 'eval', label: `eval ${m.id}`, done: ++n, total: Math.max(total, n), unit: 'modes', message: String(e.mode) });
    },
  });
  const done = r.events.find((e) => e.event === 'done');
  if (r.code !== 0 || !done) throw new TrainError('eval_failed', `evaluation of ${m.id} failed: ${r.error?.message ?? lastErrorLine(r.stderrTail)}`, m.id);
  const figures = done.eval as Record<string, unknown>;
  await ws.db.query('UPDATE models SET eval = $2 WHERE id = $1', [m.id, JSON.stringify(figures)]);
  await appendAudit(ws.db, { actor: opts.actor, action: 'model.eval', subject: m.id, details: { valLoss: figures.valLoss, frechet: figures.frechet } });
  opts.onProgress?.({ task: 'eval', label: `eval ${m.id}`, done: Math.max(total, n), total: Math.max(total, n), unit: 'modes', finished: true });
  return figures;
}
