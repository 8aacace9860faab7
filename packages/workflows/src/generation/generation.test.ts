import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenerateError, InputError, NotFoundError } from '@backlot/core';
import { openWorkspace, type Workspace } from '@backlot/adapters/workspace';
import { buildPlumbingModel } from '@backlot/adapters/onnx/fixtures';
import { generate, generationCost, likenessUsage, royalties, showAttribution, verifyFile, type GenerateResult } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'backlot-gen-'));
const out = (name: string) => join(dir, name);
let ws: Workspace;
const actor = 'test:generation';
const FRAMES = 8;
const SIZE = 16;

function decodeFrames(path: string): Buffer {
  return execFileSync('ffmpeg', ['-v', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
}
function frameCount(path: string): number {
  return decodeFrames(path).length / (SIZE * SIZE * 3);
}
const base = { modelId: 'mdl_plumb', steps: 4, guidance: 2, seed: 7 };

beforeAll(async () => {
  const onnxDir = await buildPlumbingModel({ frames: FRAMES, size: SIZE });
  ws = await openWorkspace({ home: join(dir, 'ws') });
  await ws.db.exec(`
    INSERT INTO titles (id, name) VALUES ('ttl_0', 'Night Sky'), ('ttl_1', 'The Garden');
    INSERT INTO people (id, name, kind, aliases) VALUES ('p_maya', 'Maya Okonkwo', 'actor', '{}'), ('p_grace', 'Grace Stone', 'actor', '{"Gracie"}');
    INSERT INTO consents (id, person_id, scopes, granted_on, document_ref, conditions) VALUES
      ('c_grace', 'p_grace', '{likeness}', '2025-01-01', 'DOC-7', '{"projects": ["Harbour"]}'),
      ('c_maya', 'p_maya', '{training-footage}', '2025-01-01', 'DOC-8', '{}');
    INSERT INTO appearances (id, person_id, title_id, character) VALUES ('a1', 'p_grace', 'ttl_1', 'Rose');
  `);
  await ws.db.query(`INSERT INTO models (id, lineage, path, export_path, dataset_root, created_by) VALUES ($1, $2, $3, $4, $5, 'test')`, [
    'mdl_plumb', JSON.stringify({ datasets: [{ id: 'ds_plumbing', merkleRoot: '0f'.repeat(32) }], bases: [] }), onnxDir, onnxDir, '0f'.repeat(32),
  ]);
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=1', '-frames:v', '1', '-y', out('first.png')]);
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=red:size=40x40:rate=1', '-frames:v', '1', '-y', out('last.png')]);
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=96x64:rate=12:duration=3', '-pix_fmt', 'yuv420p', '-y', out('clip.mp4')]);
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=96x64:rate=12:duration=3', '-c:v', 'libvpx', '-y', out('clip.webm')]);
  // As the server stores uploads: content-addressed, no extension.
  copyFileSync(out('first.png'), out('upload-0f1e2d'));
  writeFileSync(out('notes.mp4'), 'this is not a video');
});
afterAll(() => ws?.close());

describe('generate', () => {
  let t2v: GenerateResult;

  it('text-to-video: a signed MP4 of the model shape with its records', async () => {
    const events: number[] = [];
    t2v = await generate(ws, { ...base, prompt: 'a red ball moving left at night', output: out('t2v.mp4') }, { actor, onProgress: (e) => events.push(e.done) });
    expect(frameCount(out('t2v.mp4'))).toBe(FRAMES);
    expect(t2v.mode).toBe('t2v');
    expect(t2v.credentials.state).toBe('Trusted');
    expect(events.at(-1)).toBe(4);
    expect(t2v.modelCalls).toBe(4);
    expect(t2v.seconds.total).toBeGreaterThan(0);
    const [g] = await ws.db.query('SELECT status, prompt_sha256 FROM generations WHERE id = $1', [t2v.generationId]);
    expect(g).toEqual({ status: 'done', prompt_sha256: t2v.promptSha256 });
    const stages = await ws.db.query<{ stage: string }>('SELECT stage FROM generation_compute WHERE generation_id = $1 ORDER BY stage', [t2v.generationId]);
    expect(stages.map((s) => s.stage)).toEqual(['attribution', 'decode', 'encode', 'load', 'sampling', 'sign', 'text', 'total']);
    const audit = await ws.db.query<{ action: string }>("SELECT action FROM audit_log WHERE subject = $1", [`generation:${t2v.generationId}`]);
    expect(audit.map((a) => a.action)).toEqual(['generation.created']);
  });

  it('attribution: nearest training clips with titles, shares summing to 1, shown again by file', async () => {
    expect(t2v.attribution.clips).toHaveLength(8);
    expect(t2v.attribution.clips.reduce((s, c) => s + c.share, 0)).toBeCloseTo(1, 12);
    expect(t2v.attribution.titles.reduce((s, c) => s + c.share, 0)).toBeCloseTo(1, 12);
    expect(t2v.attribution.titles.map((t) => t.title)).toContain('Night Sky');
    const shown = await showAttribution(ws, out('t2v.mp4'));
    expect(shown.generationId).toBe(t2v.generationId);
    expect(shown.clips.map((c) => c.clipId)).toEqual(t2v.attribution.clips.map((c) => c.clipId));
  });

  it('the same seed gives the same frames; another seed different ones', async () => {
    await generate(ws, { ...base, prompt: 'a red ball moving left at night', output: out('t2v-again.mp4') }, { actor });
    await generate(ws, { ...base, seed: 8, prompt: 'a red ball moving left at night', output: out('t2v-other.mp4') }, { actor });
    expect(decodeFrames(out('t2v-again.mp4')).equals(decodeFrames(out('t2v.mp4')))).toBe(true);
    expect(decodeFrames(out('t2v-other.mp4')).equals(decodeFrames(out('t2v.mp4')))).toBe(false);
  });

  it('guides within the model\'s guidance interval unless the request names another, and records which', async () => {
    expect(t2v.params.guidanceInterval).toEqual({ lo: 0.2, hi: 0.8 }); // the plumbing model's default
    const run = (name: string, extra: object) => generate(ws, { ...base, steps: 10, prompt: 'a red ball moving left at night', output: out(name), ...extra }, { actor });
    const limited = await run('t2v-limited.mp4', {});
    const every = await run('t2v-every.mp4', { guidanceInterval: { lo: 0, hi: 1 } });
    expect(every.params.guidanceInterval).toEqual({ lo: 0, hi: 1 });
    expect([limited.modelCalls, every.modelCalls]).toEqual([10, 10]);
    expect(decodeFrames(out('t2v-every.mp4')).equals(decodeFrames(out('t2v-limited.mp4')))).toBe(false);
    const [row] = await ws.db.query<{ params: { guidanceInterval: unknown } }>('SELECT params FROM generations WHERE id = $1', [every.generationId]);
    expect(row!.params.guidanceInterval).toEqual({ lo: 0, hi: 1 });
    expect((await verifyFile(ws, out('t2v-limited.mp4'))).manifest!.lineage!.parameters).toMatchObject({ guidance: 2, guidanceInterval: { lo: 0.2, hi: 0.8 } });
  });

  it.each([
    ['i2v', { image: 'first.png' }, FRAMES],
    ['interpolate', { image: 'first.png', last: 'last.png', frames: 6 }, 6],
    ['extend', { extend: 'clip.mp4' }, FRAMES],
    ['restyle', { restyle: 'clip.mp4', strength: 0.5 }, FRAMES],
    ['extend', { extend: 'clip.webm' }, FRAMES],
    ['i2v', { image: 'upload-0f1e2d' }, FRAMES],
  ] as const)('%s runs and gives the right number of frames, with its inputs as ingredients', async (mode, extra, frames) => {
    const files = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, typeof v === 'string' ? out(v) : v]));
    const name = `${mode}-${Object.values(extra).join('-')}.mp4`;
    const r = await generate(ws, { ...base, prompt: 'a blue box moving up', output: out(name), sampler: 'heun', ...files }, { actor });
    expect(r.mode).toBe(mode);
    expect(frameCount(out(name))).toBe(frames);
    expect(r.modelCalls).toBe(2 * 4 - 1);
    const v = await verifyFile(ws, out(name));
    expect(v.state).toBe('Trusted');
    expect(v.manifest!.ingredients.length).toBe(Object.keys(extra).filter((k) => k !== 'strength' && k !== 'frames').length);
    // The ingredient's media type comes from the bytes when the name has no extension (uploads).
    const formats = Object.fromEntries(v.manifest!.ingredients.map((i) => [i.title, i.format]));
    if ('image' in extra) expect(formats[mode === 'interpolate' ? 'first keyframe' : 'first frame']).toBe('image/png');
    if ('extend' in extra && extra.extend.endsWith('.mp4')) expect(formats['clip extended']).toBe('video/mp4');
  });

  it('i2v keeps the given first frame (up to H.264 rounding)', async () => {
    // A smooth picture: at 16×16, 4:2:0 chroma would blur a test pattern's detail whatever the model did.
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'gradients=size=64x48:c0=orange:c1=navy:seed=1', '-frames:v', '1', '-y', out('smooth.png')]);
    await generate(ws, { ...base, prompt: 'a red star', image: out('smooth.png'), output: out('i2v-smooth.mp4') }, { actor });
    const given = execFileSync('ffmpeg', ['-v', 'error', '-i', out('smooth.png'), '-vf', `scale=${SIZE}:${SIZE}:force_original_aspect_ratio=increase:flags=area,crop=${SIZE}:${SIZE}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
    const first = decodeFrames(out('i2v-smooth.mp4')).subarray(0, SIZE * SIZE * 3);
    let err = 0;
    for (let i = 0; i < first.length; i++) err += Math.abs(first[i]! - given[i]!);
    expect(err / first.length).toBeLessThan(4);
  });
});

describe('guardrails in generate', () => {
  it('refuses a prompt naming a person without likeness consent, audits it, and records no generation', async () => {
    const before = (await ws.db.query('SELECT count(*)::int AS n FROM generations'))[0]!.n;
    const run = generate(ws, { ...base, prompt: 'Maya Okonkow waving by day', output: out('refused.mp4') }, { actor });
    await expect(run).rejects.toThrow(GenerateError);
    await expect(generate(ws, { ...base, prompt: 'Maya Okonkow waving by day', output: out('refused.mp4') }, { actor })).rejects.toThrow(/Maya Okonkwo.*no likeness consent on record/);
    expect(existsSync(out('refused.mp4'))).toBe(false);
    expect((await ws.db.query('SELECT count(*)::int AS n FROM generations'))[0]!.n).toBe(before);
    const [a] = await ws.db.query<{ details: string }>("SELECT details FROM audit_log WHERE action = 'generation.refused' ORDER BY seq DESC LIMIT 1");
    expect(JSON.parse(a!.details).reasons[0]).toMatch(/c_maya does not cover likeness|no likeness consent/);
  });

  it('allows a consenting person within the consent conditions and writes a usage line', async () => {
    await expect(generate(ws, { ...base, prompt: 'a scene with Rose in the forest', output: out('rose.mp4') }, { actor })).rejects.toThrow(/limited to project Harbour/);
    const r = await generate(ws, { ...base, prompt: 'a scene with Rose in the forest', project: 'Harbour', output: out('rose.mp4') }, { actor });
    expect(r.usage).toEqual([{ personId: 'p_grace', personName: 'Grace Stone', consentId: 'c_grace', seconds: FRAMES / 6, project: 'Harbour' }]);
    const today = new Date().toISOString().slice(0, 10);
    const ledger = await likenessUsage(ws, { person: 'gracie', from: today, to: today });
    expect(ledger.lines).toHaveLength(1);
    expect(ledger.totalSeconds).toBeCloseTo(FRAMES / 6);
    expect((await likenessUsage(ws, { person: 'Grace Stone', to: '2020-01-01' })).lines).toEqual([]);
    await expect(likenessUsage(ws, { person: 'Nobody' })).rejects.toThrow(NotFoundError);
  });
});

describe('checks every input before any work', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['unknown model', { modelId: 'mdl_nope' }, /--model mdl_nope: no such model/],
    ['image that is a video', { image: 'clip.mp4' }, /--image .*clip\.mp4: is a video/],
    ['image that is not media', { image: 'notes.mp4' }, /--image .*notes\.mp4: is not an image/],
    ['image too small', { image: 'tiny.png' }, /--image .*tiny\.png: is 8×8; images must be at least 16/],
    ['clip that is not a video', { extend: 'notes.mp4' }, /--extend .*notes\.mp4: is a text file, not a video/],
    ['clip that is an image', { restyle: 'first.png' }, /--restyle .*first\.png: is a still image/],
    ['too many frames', { frames: 99 }, /--frames: must be between 2 and 8/],
    ['zero steps', { steps: 0 }, /--steps: steps must be between 1 and 200/],
    ['guidance out of range', { guidance: 50 }, /--guidance: guidance must be between 0 and 20/],
    ['guidance interval backwards', { guidanceInterval: { lo: 0.8, hi: 0.2 } }, /--guidance-interval: the guidance interval lo:hi must have 0 <= lo < hi <= 1/],
    ['guidance interval of one number', { guidanceInterval: 0.5 }, /--guidance-interval: the guidance interval must be two numbers, lo:hi/],
    ['--last without --image', { last: 'last.png' }, /--last needs --image/],
    ['strength without restyle', { strength: 0.4 }, /--strength only applies with --restyle/],
    ['output folder missing', { output: '/nonexistent/dir/x.mp4' }, /folder \/nonexistent\/dir does not exist/],
    ['output not mp4', { output: 'x.mov' }, /-o: the output must be an \.mp4 file/],
  ];
  beforeAll(() => {
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=blue:size=8x8:rate=1', '-frames:v', '1', '-y', out('tiny.png')]);
  });
  it.each(cases)('%s', async (_name, extra, message) => {
    const files = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, typeof v === 'string' && /\.(png|mp4)$/.test(v) && !v.startsWith('/') && k !== 'output' ? out(v) : v]));
    const run = generate(ws, { ...base, prompt: 'a red ball', output: out('bad.mp4'), ...files }, { actor });
    await expect(run).rejects.toThrow(message);
    await expect(generate(ws, { ...base, prompt: 'a red ball', output: out('bad.mp4'), ...files }, { actor })).rejects.toSatisfy((e: unknown) => e instanceof InputError || e instanceof NotFoundError);
    expect(existsSync(out('bad.mp4'))).toBe(false);
  });
});

describe('provenance and cost read back', () => {
  it('verify: Trusted with the chain of custody; a byte flipped after signing is Invalid; a plain MP4 has none', async () => {
    const ok = await verifyFile(ws, out('t2v.mp4'));
    expect(ok.state).toBe('Trusted');
    expect(ok.recorded?.modelId).toBe('mdl_plumb');
    expect(ok.manifest!.lineage!.datasetMerkleRoot).toBe('0f'.repeat(32));
    const bytes = readFileSync(out('t2v.mp4'));
    const mdat = bytes.indexOf(Buffer.from('mdat')) + 40;
    bytes[mdat] = bytes[mdat]! ^ 0x55;
    writeFileSync(out('tampered.mp4'), bytes);
    const bad = await verifyFile(ws, out('tampered.mp4'));
    expect(bad.state).toBe('Invalid');
    expect(bad.recorded).toBeNull();
    expect((await verifyFile(ws, out('clip.mp4'))).state).toBe('None');
  });

  it('royalties sum attributed seconds per title over the period', async () => {
    const r = await royalties(ws, {});
    expect(r.generations).toBe((await ws.db.query<{ n: number }>('SELECT count(*)::int AS n FROM generation_outputs'))[0]!.n);
    expect(r.generations).toBeGreaterThan(0);
    expect(r.titles.reduce((s, t) => s + t.fraction, 0)).toBeCloseTo(1, 9);
    expect(r.titles.reduce((s, t) => s + t.attributedSeconds, 0)).toBeCloseTo(r.generatedSeconds, 6);
  });

  it('cost per generated second for the model', async () => {
    const c = await generationCost(ws.db, 'mdl_plumb');
    expect(c.generations).toBeGreaterThan(0);
    expect(c.secondsPerGeneratedSecond).toBeGreaterThan(0);
    expect(c.modelSecondsPerGeneratedSecond!).toBeLessThan(c.secondsPerGeneratedSecond!);
    expect(c.devices).toEqual(['cpu']);
  });
});
