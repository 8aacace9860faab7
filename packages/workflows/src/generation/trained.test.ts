// Generation on real exports made by the trainer's code: a pixel-space tiny and a latent-space small.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspace, type Workspace } from '@backlot/adapters/workspace';
import { buildTrainedModel } from '@backlot/adapters/onnx/fixtures';
import { readModelConfig } from '@backlot/adapters/onnx';
import { generate, verifyFile } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'backlot-gen-trained-'));
const out = (name: string) => join(dir, name);
let ws: Workspace;
const actor = 'test:generation';

function decoded(path: string): { frames: number; width: number; height: number; bytes: Buffer } {
  const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=width,height,nb_read_frames', '-of', 'json', path]).toString()).streams[0];
  return { frames: Number(probe.nb_read_frames), width: probe.width, height: probe.height, bytes: execFileSync('ffmpeg', ['-v', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']) };
}

const models: Array<{ id: string; preset: 'tiny' | 'small'; frames: number; space: string }> = [];

beforeAll(async () => {
  const [tiny, small] = await Promise.all([buildTrainedModel({ preset: 'tiny', modelId: 'mdl_tiny' }), buildTrainedModel({ preset: 'small', modelId: 'mdl_small' })]);
  ws = await openWorkspace({ home: join(dir, 'ws') });
  await ws.db.exec("INSERT INTO titles (id, name) VALUES ('t0', 'Night Sky'), ('t1', 'Blue Day'), ('t2', 'Forest')");
  for (const [id, onnx, preset] of [['mdl_tiny', tiny, 'tiny'], ['mdl_small', small, 'small']] as const) {
    const cfg = await readModelConfig(onnx);
    await ws.db.query('INSERT INTO models (id, lineage, path, export_path, dataset_root, created_by) VALUES ($1, $2, $3, $4, $5, $6)', [id, JSON.stringify(cfg.lineage), onnx, onnx, cfg.datasetRoot, 'test']);
    models.push({ id, preset, frames: cfg.data.frames, space: cfg.space });
  }
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'gradients=size=64x48:c0=orange:c1=navy:seed=1', '-frames:v', '1', '-y', out('first.png')]);
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=red:size=40x40:rate=1', '-frames:v', '1', '-y', out('last.png')]);
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=96x64:rate=12:duration=2', '-pix_fmt', 'yuv420p', '-y', out('clip.mp4')]);
}, 600_000);
afterAll(() => ws?.close());

describe.each(['mdl_tiny', 'mdl_small'])('real export %s', (modelId) => {
  const modes = [
    ['t2v', {}],
    ['i2v', { image: 'first.png' }],
    ['interpolate', { image: 'first.png', last: 'last.png' }],
    ['extend', { extend: 'clip.mp4' }],
    ['restyle', { restyle: 'clip.mp4', strength: 0.5 }],
  ] as const;
  it.each(modes)('%s gives a signed clip of the model shape', async (mode, extra) => {
    const m = models.find((x) => x.id === modelId)!;
    const files = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, typeof v === 'string' ? out(v) : v]));
    const r = await generate(ws, { prompt: 'a red ball moving left at night', modelId, output: out(`${modelId}-${mode}.mp4`), steps: 3, seed: 11, ...files }, { actor });
    expect(r.mode).toBe(mode);
    const v = decoded(r.output);
    expect(v.frames).toBe(m.frames);
    expect([v.width, v.height]).toEqual([16, 16]);
    expect((await verifyFile(ws, r.output)).state).toBe('Trusted');
    expect(r.attribution.clips.length).toBeGreaterThan(0);
    expect(r.attribution.titles.reduce((s, t) => s + t.share, 0)).toBeCloseTo(1, 12);
  });

  it('the same seed gives the same frames', async () => {
    const a = await generate(ws, { prompt: 'a blue box moving up by day', modelId, output: out(`${modelId}-seed-a.mp4`), steps: 3, seed: 5 }, { actor });
    const b = await generate(ws, { prompt: 'a blue box moving up by day', modelId, output: out(`${modelId}-seed-b.mp4`), steps: 3, seed: 5 }, { actor });
    expect(decoded(a.output).bytes.equals(decoded(b.output).bytes)).toBe(true);
  });
});
