import { join } from 'node:path';
import { writeFile, mkdtemp, cp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { clipEmbedding, flowSchedule, gaussianNoise, knownFrames, noConditioning, sampleEuler, sizeOf, tokenize, GenerateError } from '@backlot/core';
import { buildPlumbingModel } from './fixtures/index.js';
import { decodeToVideo, encodeText, guidedVelocity, loadModel, modelShape, readClipIndex, readFloat32File, readModelConfig, tokenizePrompt, type LoadedModel } from './index.js';

let dir: string;
let model: LoadedModel;

beforeAll(async () => {
  dir = await buildPlumbingModel();
  model = await loadModel(dir, { device: 'cpu', threads: 1 });
});
afterAll(() => model?.close());

describe('ONNX adapter on a model exported per docs/model-format.md', () => {
  it('reads model.json and opens the sessions on CPU', () => {
    expect(model.config.space).toBe('pixel');
    expect(model.device).toBe('cpu');
    expect(model.denoiser.inputNames).toEqual(['x', 't', 'context', 'context_mask', 'cond', 'cond_mask']);
    expect(modelShape(model)).toEqual({ channels: 3, frames: 8, height: 16, width: 16 });
  });

  it('encodes text to [B, L, D] with the mask from the tokenizer', async () => {
    const t = tokenizePrompt(model, 'a red ball moving left');
    const ctx = await encodeText(model, [t, tokenize('', model.config.text.tokenizer, model.config.text.maxLength)]);
    expect(ctx.batch).toBe(2);
    expect(ctx.context.length).toBe(2 * model.config.text.maxLength * model.config.text.dim);
    expect([...ctx.mask.subarray(0, 7)]).toEqual([1, 1, 1, 1, 1, 1, 0]);
    expect(ctx.mask[model.config.text.maxLength]).toBe(1);
    expect(ctx.mask[model.config.text.maxLength + 1]).toBe(0);
  });

  it('samples a guided clip of the model shape, the same for the same seed', async () => {
    const shape = modelShape(model);
    const ctx = await encodeText(model, [tokenizePrompt(model, 'a blue box'), tokenizePrompt(model, '')]);
    const run = async (seed: number) => sampleEuler(guidedVelocity(model, ctx, noConditioning(shape), 3), gaussianNoise(seed, sizeOf(shape)), flowSchedule(4));
    const a = await run(1);
    expect(a.length).toBe(sizeOf(shape));
    expect(a.every(Number.isFinite)).toBe(true);
    expect(await run(1)).toEqual(a);
    expect(await run(2)).not.toEqual(a);
  });

  it('guides only inside the guidance interval, running the prompt\'s branch alone (batch 1) outside it', async () => {
    const shape = modelShape(model);
    const ctx = await encodeText(model, [tokenizePrompt(model, 'a blue box'), tokenizePrompt(model, '')]);
    const x = gaussianNoise(4, sizeOf(shape));
    const full = guidedVelocity(model, ctx, noConditioning(shape), 3);
    const alone = guidedVelocity(model, ctx, noConditioning(shape), 1);
    const limited = guidedVelocity(model, ctx, noConditioning(shape), 3, undefined, { lo: 0.2, hi: 0.8 });
    const batches: number[] = [];
    const run = model.denoiser.run.bind(model.denoiser);
    const spy = vi.spyOn(model.denoiser, 'run').mockImplementation((feeds, ...rest) => {
      batches.push((feeds as Record<string, { dims: readonly number[] }>).x!.dims[0]!);
      return run(feeds, ...(rest as []));
    });
    try {
      const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
      expect(await limited(x, 0.5)).toEqual(await full(x, 0.5));
      for (const t of [0.9, 0.1]) {
        const v = await limited(x, t);
        expect(maxDiff(v, await alone(x, t))).toBeLessThan(1e-5);
        expect(maxDiff(v, await full(x, t))).toBeGreaterThan(1e-3);
      }
      expect(batches).toEqual([2, 2, 1, 1, 2, 1, 1, 2]);
    } finally {
      spy.mockRestore();
    }
  });

  it('keeps a given first frame exactly (the denoiser pastes cond)', async () => {
    const shape = modelShape(model);
    const first = gaussianNoise(5, 3 * 16 * 16).map((v) => Math.tanh(v));
    const ctx = await encodeText(model, [tokenizePrompt(model, 'a red star')]);
    const x = await sampleEuler(guidedVelocity(model, ctx, knownFrames(shape, [{ index: 0, data: first }]), 1), gaussianNoise(3, sizeOf(shape)), flowSchedule(5));
    const video = await decodeToVideo(model, x);
    for (let c = 0; c < 3; c++) for (let p = 0; p < 256; p++) expect(video[c * 8 * 256 + p]).toBeCloseTo(first[c * 256 + p]!, 4);
  });

  it('embeds clips exactly as the exporter did (pool444-v1)', async () => {
    const index = await readClipIndex(dir, model.config);
    expect(index!.meta.dim).toBe(3 + 64 * 3);
    const x = await readFloat32File(join(dir, 'fixture_clip0.f32'));
    const e = clipEmbedding(x, modelShape(model));
    for (let j = 0; j < e.length; j++) expect(e[j]).toBeCloseTo(index!.rows[j]!, 5);
  });

  it('refuses a model.json of an unknown format version, naming the file', async () => {
    const copy = join(await mkdtemp(join(tmpdir(), 'backlot-onnx-')), 'onnx');
    await cp(dir, copy, { recursive: true });
    await writeFile(join(copy, 'model.json'), JSON.stringify({ ...model.config, formatVersion: 99 }));
    await expect(readModelConfig(copy)).rejects.toThrow(GenerateError);
    await expect(readModelConfig(copy)).rejects.toThrow(/formatVersion 99/);
  });

  it('keeps each CPU-optimised graph in the cache and gives the same clip from it, or from a broken one', async () => {
    const saved = process.env.BACKLOT_CACHE;
    process.env.BACKLOT_CACHE = await mkdtemp(join(tmpdir(), 'backlot-onnx-cache-'));
    try {
      const shape = modelShape(model);
      const clip = async (m: LoadedModel) => {
        const ctx = await encodeText(m, [tokenizePrompt(m, 'a red ball'), tokenizePrompt(m, '')]);
        return sampleEuler(guidedVelocity(m, ctx, noConditioning(shape), 3), gaussianNoise(7, sizeOf(shape)), flowSchedule(4));
      };
      const first = await loadModel(dir, { device: 'cpu', threads: 1 });
      const cacheFiles = (await readdir(join(process.env.BACKLOT_CACHE, 'onnx'))).filter((f) => f.endsWith('.onnx'));
      expect(cacheFiles).toHaveLength(2); // text encoder and denoiser
      const fromCache = await loadModel(dir, { device: 'cpu', threads: 1 });
      for (const f of cacheFiles) await writeFile(join(process.env.BACKLOT_CACHE, 'onnx', f), 'not a model');
      const fromBroken = await loadModel(dir, { device: 'cpu', threads: 1 });
      const expected = await clip(model);
      for (const m of [first, fromCache, fromBroken]) {
        expect(await clip(m)).toEqual(expected);
        await m.close();
      }
    } finally {
      if (saved === undefined) delete process.env.BACKLOT_CACHE;
      else process.env.BACKLOT_CACHE = saved;
    }
  });
});

