// Training workflows on a real workspace (PGlite in a temp dir) and the real Python trainer on a
// pocket-sized preset: registration with lineage only on success, refusals, import, LoRA, export.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { openWorkspace, type Workspace } from '@backlot/adapters/workspace';
import { pythonPath, trainerRoot } from '@backlot/adapters/trainer';
import { evaluateModel, exportModel, importModel, listModels, showModel, trainModel } from './index.js';

const SMALL = ['depth=1', 'width_dit=32', 'heads=2', 'text_dim=32', 'text_depth=0', 'frames=8', 'height=16', 'width=16', 'patch=2,8,8', 'batch=4', 'warmup=2', 'extend_frames=2'];
const actor = 'test:training';
let ws: Workspace;
let dir: string;
let root: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'backlot-training-'));
  ws = await openWorkspace({ home: join(dir, 'ws') });
  const data = join(dir, 'ds');
  execFileSync(pythonPath(), ['-c', `from trainer.tests.test_trainer import fixture_snapshot; fixture_snapshot(${JSON.stringify(data)})`], { cwd: trainerRoot(), env: { ...process.env, PYTHONPATH: trainerRoot() } });
  const snap = JSON.parse(readFileSync(join(data, 'snapshot.json'), 'utf8')) as { merkleRoot: string; counts: Record<string, number> };
  root = snap.merkleRoot;
  await ws.db.query(`INSERT INTO datasets (id, name, purpose, policy_version, merkle_root, path, counts) VALUES ('ds_fixture', 'fixture', 'video', 'test', $1, $2, $3)`, [root, data, JSON.stringify(snap.counts)]);
  // the same shards registered as a snapshot whose validation split came out empty (a one-title library)
  await ws.db.query(`INSERT INTO datasets (id, name, purpose, policy_version, merkle_root, path, counts) VALUES ('ds_no_val', 'no-val', 'video', 'test', $1, $2, $3)`, [root, data, JSON.stringify({ ...snap.counts, val: 0 })]);
});
afterAll(async () => {
  await ws?.close();
});

const train = (extra: Partial<Parameters<typeof trainModel>[1]> = {}, signal?: AbortSignal) =>
  trainModel(ws, { dataset: 'fixture', preset: 'tiny', steps: 2, overrides: SMALL, skipVerify: true, ...extra }, { actor, signal });

describe('backlot train', () => {
  let modelId = '';

  it('registers a model with its dataset root, lineage, curves, compute and card when the run finishes', async () => {
    const r = await train({ name: 'first' });
    modelId = r.model.id;
    const m = await showModel(ws, modelId);
    expect(m.dataset_root).toBe(root);
    expect(m.lineage).toEqual({ datasets: [{ id: 'ds_fixture', merkleRoot: root }], bases: [] });
    expect(m.curves.at(-1)).toMatchObject({ step: 2, phase: 'dit' });
    expect(m.compute).toMatchObject({ samplesSeen: 8 });
    expect(existsSync(join(m.path, 'checkpoint.pt'))).toBe(true);
    expect(readFileSync(join(m.path, 'card.md'), 'utf8')).toContain(root);
    // previews of the untrained and the finished denoiser, copied beside the weights and listed in the card
    expect(r.previews).toEqual([{ step: 0, path: join(m.path, 'previews', 'step-000000.mp4') }, { step: 2, path: join(m.path, 'previews', 'step-000002.mp4') }]);
    for (const pv of r.previews) {
      const frames = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames,width,height', '-of', 'csv=p=0', pv.path], { encoding: 'utf8' }).trim();
      expect(frames).toBe('216,144,8');   // 3 held-out clips of 16x16 at 4x with gutters, two rows; 8 frames
    }
    expect(m.card).toMatchObject({ previews: [{ step: 0, path: 'previews/step-000000.mp4' }, { step: 2, path: 'previews/step-000002.mp4' }] });
    expect(readFileSync(join(m.path, 'card.md'), 'utf8')).toContain('- step 2: [previews/step-000002.mp4](previews/step-000002.mp4)');
    const [run] = await ws.db.query<{ status: string; model_id: string }>('SELECT status, model_id FROM training_runs WHERE id = $1', [r.runId]);
    expect(run).toEqual({ status: 'succeeded', model_id: modelId });
    const audit = await ws.db.query<{ action: string }>(`SELECT action FROM audit_log WHERE subject = $1`, [modelId]);
    expect(audit.map((a) => a.action)).toContain('model.register');
  });

  it('trains with 2 DDP processes (gloo) on this machine and registers one model', async () => {
    const r = await train({ nproc: 2 });
    const m = await showModel(ws, r.model.id);
    expect(m.compute).toMatchObject({ processes: 2, samplesSeen: 8 });
  });

  it('refuses a tainted dataset, naming the reason and the command that rebuilds it', async () => {
    await ws.db.query(`UPDATE datasets SET tainted_reason = 'consent c1 revoked' WHERE id = 'ds_fixture'`);
    try {
      await expect(train()).rejects.toThrow(/tainted: consent c1 revoked; rebuild it with `backlot dataset build fixture`/);
    } finally {
      await ws.db.query(`UPDATE datasets SET tainted_reason = NULL WHERE id = 'ds_fixture'`);
    }
  });

  it('refuses an unknown dataset and an unknown base in one line', async () => {
    await expect(train({ dataset: 'nope' })).rejects.toThrow(/no dataset named nope/);
    await expect(train({ initFrom: 'mdl_nope' })).rejects.toThrow(/no model mdl_nope/);
  });

  it('refuses a preset override the trainer does not know, in one line, registering nothing', async () => {
    const before = (await listModels(ws)).length;
    const err = await train({ overrides: [...SMALL, 'compile=maybe'] }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^training run run_\S+ failed: preset tiny: --set compile=maybe: compile takes true or false$/);
    await expect(train({ overrides: [...SMALL, 'nope=1'] })).rejects.toThrow(/--set nope=1: not a preset field; use field=value with one of .*compile/);
    expect((await listModels(ws)).length).toBe(before);
  });

  it('a killed run registers nothing and is recorded as killed', async () => {
    const before = (await listModels(ws)).length;
    const ac = new AbortController();
    const p = trainModel(ws, { dataset: 'fixture', preset: 'tiny', steps: 10_000, overrides: SMALL, skipVerify: true }, {
      actor, signal: ac.signal, onEvent: (e) => { if (e.event === 'step') ac.abort(); },
    });
    await expect(p).rejects.toThrow(/killed/);
    expect((await listModels(ws)).length).toBe(before);
    const [run] = await ws.db.query<{ status: string; model_id: string | null }>(`SELECT status, model_id FROM training_runs ORDER BY started_at DESC LIMIT 1`);
    expect(run).toEqual({ status: 'killed', model_id: null });
  });

  it('refuses to import a base without a lineage card, then builds on a carded base with LoRA and inherits its lineage', async () => {
    const weights = join((await showModel(ws, modelId)).path, 'checkpoint.pt');
    await expect(importModel(ws, { weights }, { actor })).rejects.toThrow(/needs a lineage card/);
    const card = join(dir, 'card.json');
    writeFileSync(card, JSON.stringify({ name: 'Licensed Base', trainedBy: 'Partner Studio', licence: 'CC-BY-4.0', data: [{ name: 'partner archive', licence: 'owned' }] }));
    const base = await importModel(ws, { weights, card }, { actor });
    const r = await train({ initFrom: base.id, lora: 4 });
    const m = await showModel(ws, r.model.id);
    expect(m.lineage.datasets).toEqual([{ id: 'ds_fixture', merkleRoot: root }]);
    expect(m.lineage.bases.map((b) => b.modelId)).toEqual([base.id]);
    expect(m.lineage.bases[0]!.card).toMatchObject({ trainedBy: 'Partner Studio' });
    // a base registered without a card (e.g. written by hand into the table) is refused too
    await ws.db.query(`INSERT INTO models (id, kind, lineage, path, created_by) VALUES ('mdl_nocard', 'imported', '{"datasets":[],"bases":[]}', $1, 'x')`, [dir]);
    await expect(train({ initFrom: 'mdl_nocard' })).rejects.toThrow(/no lineage card/);
  });

  it('exports ONNX files that onnxruntime-node runs with the documented names and shapes', async () => {
    const r = await exportModel(ws, modelId, { actor });
    const meta = JSON.parse(readFileSync(join(r.path, 'model.json'), 'utf8'));
    expect(meta).toMatchObject({ formatVersion: 1, modelId, space: 'pixel', datasetRoot: root, latent: { channels: 3, frames: 8, height: 16, width: 16 } });
    const den = await ort.InferenceSession.create(join(r.path, 'denoiser.onnx'));
    expect([...den.inputNames]).toEqual(['x', 't', 'context', 'context_mask', 'cond', 'cond_mask']);
    const n = 3 * 8 * 16 * 16;
    const L = meta.text.maxLength as number;
    const D = meta.text.dim as number;
    const out = await den.run({
      x: new ort.Tensor('float32', new Float32Array(n), [1, 3, 8, 16, 16]), t: new ort.Tensor('float32', Float32Array.from([0.5]), [1]),
      context: new ort.Tensor('float32', new Float32Array(L * D), [1, L, D]), context_mask: new ort.Tensor('float32', Float32Array.from({ length: L }, (_, i) => (i === 0 ? 1 : 0)), [1, L]),
      cond: new ort.Tensor('float32', new Float32Array(n), [1, 3, 8, 16, 16]), cond_mask: new ort.Tensor('float32', new Float32Array(8), [1, 1, 8, 1, 1]),
    });
    expect(out.v!.dims).toEqual([1, 3, 8, 16, 16]);
    expect((await showModel(ws, modelId)).export_path).toBe(r.path);
  });

  it('evaluates a model and stores the figures with it', async () => {
    const progress: { done: number; total: number; message?: string }[] = [];
    const e = await evaluateModel(ws, { model: modelId, steps: 2, maxPrompts: 3 }, { actor, onProgress: (p) => progress.push(p) });
    expect(e).toMatchObject({ featuresVersion: 'backlot-stats-v1', analyserVersion: 'backlot-adherence-v3' });
    expect(Object.keys(e.adherence as object)).toEqual(['t2v', 'i2v', 'extend', 'interpolate', 't2vWorldHeldOut']);
    // the bar counts the world's held-out set too: 1/5 .. 5/5, never past the end
    expect(progress.slice(1).map((p) => `${p.done}/${p.total} ${p.message ?? ''}`.trim())).toEqual(['1/5 t2v', '2/5 i2v', '3/5 extend', '4/5 interpolate', '5/5 t2vWorldHeldOut', '5/5']);
    expect((await showModel(ws, modelId)).eval).toMatchObject({ valClips: 3 });
  });

  it('refuses in one line, before starting the evaluator, a model whose dataset has no held-out clips', async () => {
    const t = await trainModel(ws, { dataset: 'no-val', preset: 'tiny', steps: 2, overrides: SMALL, skipVerify: true }, { actor });
    const err = await evaluateModel(ws, { model: t.model.id, steps: 2 }, { actor }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'no_val_clips' });
    expect((err as Error).message).toMatch(/dataset no-val has no held-out clips/);
    expect((await showModel(ws, t.model.id)).eval).toBeNull();
  });
});
