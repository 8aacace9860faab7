// Dataset builds on a real workspace (PGlite in a temp dir) with proxies made by ffmpeg.
import { mkdtempSync } from 'node:fs';
import { readFile, writeFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpeg } from '@backlot/adapters/ffmpeg';
import { openWorkspace, type Workspace } from '@backlot/adapters/workspace';
import { compileRightsPolicy, canonicalJson, type ManifestEntry, type Exclusion, type ProgressEvent } from '@backlot/core';
import { loadRightsRegistry } from '../rights/index.js';
import { seedLibrary } from '../../../../test/support/dataset-library.js';
import { buildDataset, diffDatasets, listDatasets, showDataset, verifyDataset, ShardReader, ShardWriter, assertVerified } from './index.js';

let ws: Workspace;
const events: ProgressEvent[] = [];
const actor = 'test:datasets';

beforeAll(async () => {
  ws = await openWorkspace({ home: mkdtempSync(join(tmpdir(), 'backlot-datasets-')) });
  await seedLibrary(ws);
});
afterAll(async () => {
  await ws?.close();
});

async function lines<T>(path: string): Promise<T[]> {
  return (await readFile(path, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
}

describe('dataset build', () => {
  let v1: Awaited<ReturnType<typeof buildDataset>>;
  beforeAll(async () => {
    v1 = await buildDataset(ws, { name: 'v1', valFraction: 0.5, asOf: '2026-11-25' }, { actor, onProgress: (e) => events.push(e) });
  });

  it('admits only shots the rights allow and writes every other shot with its reasons', async () => {
    const manifest = await lines<ManifestEntry>(join(v1.path, 'manifest.jsonl'));
    const exclusions = await lines<Exclusion>(join(v1.path, 'exclusions.jsonl'));
    expect(manifest.map((m) => m.shotId)).toEqual(['111111111111-0', '111111111111-1', '111111111111-2', '222222222222-0', '222222222222-2']);
    expect(exclusions.map((x) => [x.shotId, x.reasons.map((r) => r.rule)])).toEqual([
      ['222222222222-1', ['consent.missing']],
      ['333333333333-0', ['grant.none']], ['333333333333-1', ['grant.none']], ['333333333333-2', ['grant.none']],
    ]);
    expect(exclusions[0]!.reasons[0]).toMatchObject({ ref: 'person:p2' });
    expect(v1.snapshot.counts).toEqual({ train: manifest.filter((m) => m.split === 'train').length, val: manifest.filter((m) => m.split === 'val').length, excluded: 4 });
  });

  it('splits by title: no title on both sides, one title in val', async () => {
    const manifest = await lines<ManifestEntry>(join(v1.path, 'manifest.jsonl'));
    const sides = new Map<string, Set<string>>();
    for (const m of manifest) sides.set(m.titleId, (sides.get(m.titleId) ?? new Set()).add(m.split));
    expect([...sides.values()].every((s) => s.size === 1)).toBe(true);
    expect(v1.snapshot.titles.val).toHaveLength(1);
    expect(v1.snapshot.titles.train).toHaveLength(1);
  });

  it('captions describe what is on screen: colour, shape, direction, background', async () => {
    const manifest = await lines<ManifestEntry>(join(v1.path, 'manifest.jsonl'));
    const first = manifest[0]!;
    expect(first.caption).toMatch(/^A blue square moving up\. Exterior, night sky, night\. Dialogue: "Look at the blue square go up\." Dark, moderate motion, 1\.0 s shot\. From Demo Film 1 \(2026\)\.$/);
    for (const m of manifest) expect(m.caption).toMatch(/^A (red|blue|green) square moving (left|right|up)\. Exterior, (night sky, night|brick wall, day|grass field, day)\./);
  });

  it('writes shards the manifest points into, 64x64 RGB at 12 fps', async () => {
    const manifest = await lines<ManifestEntry>(join(v1.path, 'manifest.jsonl'));
    const m = manifest[0]!;
    const r = await ShardReader.open(join(v1.path, 'shards', m.shard), m.shard);
    let rec = await r.next();
    for (let i = 0; i < m.record; i++) rec = await r.next();
    await r.close();
    expect(rec!.header).toMatchObject({ clipId: m.clipId, width: 64, height: 64, channels: 3, fps: 12, frames: 12 });
    expect(m.frames).toBe(12);
    // Frame 0 of a blue square on black: the brightest pixel is blue.
    let best = 0;
    for (let p = 0; p < 64 * 64; p++) if (rec!.payload[p * 3 + 2]! > rec!.payload[best * 3 + 2]!) best = p;
    expect(rec!.payload[best * 3 + 2]).toBeGreaterThan(150);
    expect(rec!.payload[best * 3]).toBeLessThan(80);
  });

  it('records the dataset, its clips and an audit entry, and reports progress', async () => {
    const [row] = await ws.db.query<{ merkle_root: string }>('SELECT merkle_root FROM datasets WHERE id = $1', [v1.snapshot.id]);
    expect(row!.merkle_root).toBe(v1.snapshot.merkleRoot);
    expect((await ws.db.query('SELECT * FROM dataset_clips WHERE dataset_id = $1', [v1.snapshot.id])).length).toBe(5);
    const audit = await ws.db.query<{ action: string; subject: string }>("SELECT action, subject FROM audit_log WHERE action = 'dataset.build'");
    expect(audit).toEqual([{ action: 'dataset.build', subject: `dataset:${v1.snapshot.id}` }]);
    expect(events.some((e) => e.task === 'dataset:policy' && e.finished && e.done === 9)).toBe(true);
    expect(events.filter((e) => e.task === 'dataset:shards' && !e.finished)).toHaveLength(5);
    expect((await listDatasets(ws)).map((d) => d.name)).toEqual(['v1']);
    expect((await showDataset(ws, 'v1')).excludedByRule).toEqual({ 'consent.missing': 1, 'grant.none': 3 });
  });

  it('verify passes on an untouched snapshot', async () => {
    const r = await verifyDataset(ws, 'v1');
    expect(r.problems).toEqual([]);
    expect(r).toMatchObject({ ok: true, clips: 5, exclusions: 4, recomputedRoot: v1.snapshot.merkleRoot });
  });

  async function tampered(file: string, change: (b: Buffer) => Buffer) {
    const path = join(v1.path, file);
    const original = await readFile(path);
    await writeFile(path, change(Buffer.from(original)));
    try {
      return await verifyDataset(ws, 'v1');
    } finally {
      await writeFile(path, original);
    }
  }

  it('verify fails naming the manifest line and shot when a caption is rewritten (even canonically)', async () => {
    const r = await tampered('manifest.jsonl', (b) => {
      const ls = b.toString().split('\n');
      const e = JSON.parse(ls[1]!);
      e.caption = 'A purple square moving left.';
      ls[1] = canonicalJson(e);
      return Buffer.from(ls.join('\n'));
    });
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toMatchObject({ file: expect.stringMatching(/^shards\/(train|val)-00000\.bls$/), shotId: '111111111111-1' });
    expect(r.problems.some((p) => p.file === 'manifest.jsonl' && /clipsRoot/.test(p.message))).toBe(true);
    expect(() => assertVerified(r)).toThrow(/FAILED verification: shards\/\w+-00000\.bls: record \d \(clip 111111111111-1:24-47\) caption differs from manifest line 2/);
  });

  it('verify fails naming the line when a manifest line is hand-edited', async () => {
    const r = await tampered('manifest.jsonl', (b) => Buffer.from(b.toString().replace('"split":"', '"split": "')));
    expect(r.problems[0]).toMatchObject({ file: 'manifest.jsonl', line: 1, shotId: '111111111111-0' });
  });

  it('verify fails naming the shard and clip when one pixel byte changes', async () => {
    const manifest = await lines<ManifestEntry>(join(v1.path, 'manifest.jsonl'));
    const m = manifest[manifest.length - 1]!;
    const r = await tampered(`shards/${m.shard}`, (b) => {
      b[b.length - 10] = b[b.length - 10]! ^ 0xff;
      return b;
    });
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => p.file)).toEqual([`shards/${m.shard}`, `shards/${m.shard}`]);
    expect(r.problems[0]!.message).toContain(`(clip ${m.clipId}) pixels changed`);
    expect(r.problems[1]!.message).toMatch(/sha256 .* recorded in snapshot.json: the file changed/);
  });

  it('verify fails naming exclusions.jsonl when an exclusion is deleted', async () => {
    const r = await tampered('exclusions.jsonl', (b) => Buffer.from(b.toString().split('\n').slice(1).join('\n')));
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toMatchObject({ file: 'exclusions.jsonl', shotId: '222222222222-1', message: expect.stringMatching(/in neither manifest.jsonl nor exclusions.jsonl: its exclusion line was removed/) });
    expect(r.problems.some((p) => p.file === 'exclusions.jsonl' && /exclusionsRoot/.test(p.message))).toBe(true);
    expect(r.problems.some((p) => p.file === 'exclusions.jsonl' && /3 lines, snapshot.json counts 4/.test(p.message))).toBe(true);
  });

  it('verify names the shot when an exclusion reason is rewritten and the line moved to another shot', async () => {
    const r = await tampered('exclusions.jsonl', (b) => {
      const ls = b.toString().split('\n');
      const x = JSON.parse(ls[0]!);
      x.shotId = '111111111111-1';
      ls[0] = canonicalJson(x);
      return Buffer.from(ls.join('\n'));
    });
    expect(r.problems).toContainEqual(expect.objectContaining({ file: 'exclusions.jsonl', shotId: '111111111111-1', message: expect.stringMatching(/appears twice/) }));
    expect(r.problems).toContainEqual(expect.objectContaining({ file: 'exclusions.jsonl', shotId: '222222222222-1', message: expect.stringMatching(/its exclusion line was removed/) }));
  });

  it('verify fails when the recorded policy version is changed in snapshot.json and in the database', async () => {
    await ws.db.query("UPDATE datasets SET policy_version = 'backlot-rights-policy/0' WHERE id = $1", [v1.snapshot.id]);
    try {
      const r = await verifyDataset(ws, 'v1');
      expect(r.problems.some((p) => p.file === 'snapshot.json' && /recomputed root/.test(p.message))).toBe(true);
    } finally {
      await ws.db.query('UPDATE datasets SET policy_version = $2 WHERE id = $1', [v1.snapshot.id, v1.snapshot.policyVersion]);
    }
  });

  it('after a consent is revoked the next build leaves its clips out, and diff says why', async () => {
    await ws.db.query("UPDATE consents SET revoked_on = '2026-11-01', revoked_reason = 'actor withdrew' WHERE id = 'c1'");
    const v2 = await buildDataset(ws, { name: 'v2', valFraction: 0.5, asOf: '2026-11-25' }, { actor });
    await ws.db.query("UPDATE consents SET revoked_on = NULL, revoked_reason = NULL WHERE id = 'c1'");
    expect(v2.snapshot.merkleRoot).not.toBe(v1.snapshot.merkleRoot);
    const d = await diffDatasets(ws, 'v1', 'v2');
    expect(d).toMatchObject({ entered: 0, left: 3, leftByRule: { 'consent.revoked': 3 } });
    expect(d.changes.filter((c) => c.kind === 'left').map((c) => c.shotId)).toEqual(['111111111111-0', '111111111111-1', '111111111111-2']);
    expect(d.changes.find((c) => c.kind === 'left')).toMatchObject({ why: expect.stringContaining('revoked on 2026-11-01: actor withdrew') });
    const back = await diffDatasets(ws, 'v2', 'v1');
    expect(back).toMatchObject({ entered: 3, left: 0 });
    expect((await verifyDataset(ws, 'v2')).ok).toBe(true);
  });

  it('a rebuild of identical contents under the same name is refused, not duplicated', async () => {
    await expect(buildDataset(ws, { name: 'v1', valFraction: 0.5, asOf: '2026-11-25' }, { actor })).rejects.toThrow(/already exists with exactly these contents/);
    expect((await readdir(ws.datasetsDir)).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('a proxy ffmpeg cannot decode fails the build naming the shot, and leaves nothing behind', async () => {
    const [shot] = await ws.db.query<{ proxy_sha256: string }>("SELECT proxy_sha256 FROM shots WHERE id = '111111111111-1'");
    const path = ws.store.pathOf(shot!.proxy_sha256);
    const original = await readFile(path);
    await writeFile(path, Buffer.from('not a video'));
    try {
      await expect(buildDataset(ws, { name: 'broken', asOf: '2026-11-25' }, { actor })).rejects.toThrow(/^shot 111111111111-1: ffmpeg cannot decode its proxy .*: /);
    } finally {
      await writeFile(path, original);
    }
    expect((await readdir(ws.datasetsDir)).filter((f) => f.startsWith('.') || f.startsWith('broken'))).toEqual([]);
    expect(await ws.db.query("SELECT id FROM datasets WHERE name = 'broken'")).toEqual([]);
  });

  it('--max-per-title and --min-seconds exclude with their own rules', async () => {
    const r = await buildDataset(ws, { name: 'capped', maxPerTitle: 1, minSeconds: 0.5, valFraction: 0, asOf: '2026-11-25' }, { actor });
    expect(r.snapshot.counts).toEqual({ train: 2, val: 0, excluded: 7 });
    expect(r.exclusionsByRule['dataset.max_per_title']).toBe(3);
  });
});

describe('no dataset contains a clip the policy forbids', () => {
  it('over random grants, consents, appearances and restrictions', async () => {
    const day = fc.constantFrom('2019-01-01', '2024-06-01', '2026-11-25', '2027-01-01', null);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ title: fc.constantFrom('t1', 't2', 't3'), start: fc.constantFrom('2019-01-01', '2026-12-01'), end: day, revoked: day }), { maxLength: 4 }),
        fc.array(fc.record({ person: fc.constantFrom('p1', 'p2'), title: fc.constantFrom('t1', 't2', 't3'), start: fc.constantFrom(0, 0.5, 1.5, 2.5), len: fc.constantFrom(0.2, 1, 3) }), { maxLength: 4 }),
        fc.array(fc.record({ title: fc.constantFrom('t1', 't2', 't3'), start: fc.constantFrom(0, 1.2, 2), len: fc.constantFrom(0.1, 1) }), { maxLength: 2 }),
        fc.boolean(),
        async (grants, appearances, restrictions, revokeConsent) => {
          n++;
          await ws.db.transaction(async (tx) => {
            await tx.query('DELETE FROM rights_grants');
            await tx.query('DELETE FROM appearances');
            await tx.query('DELETE FROM restrictions');
            for (const [i, g] of grants.entries()) await tx.query("INSERT INTO rights_grants (id, title_id, uses, grantor, starts_on, ends_on, revoked_on, contract_ref) VALUES ($1, $2, '{train-video}', 'S', $3, $4, $5, 'C')", [`rg${i}`, g.title, g.start, g.end, g.revoked]);
            for (const [i, a] of appearances.entries()) await tx.query('INSERT INTO appearances (id, person_id, title_id, start_s, end_s) VALUES ($1, $2, $3, $4, $5)', [`ra${i}`, a.person, a.title, a.start, a.start + a.len]);
            for (const [i, r] of restrictions.entries()) await tx.query("INSERT INTO restrictions (id, title_id, start_s, end_s, kind) VALUES ($1, $2, $3, $4, 'logo')", [`rr${i}`, r.title, r.start, r.start + r.len]);
            await tx.query('UPDATE consents SET revoked_on = $1', [revokeConsent ? '2026-01-01' : null]);
          });
          const asOf = '2026-11-25';
          const policy = compileRightsPolicy(await loadRightsRegistry(ws.db), { purpose: 'video', asOf });
          const shots = await ws.db.query<{ id: string; title_id: string; media_file_id: string; start_s: number; end_s: number }>('SELECT id, title_id, media_file_id, start_s, end_s FROM shots');
          const allowed = new Set(shots.filter((s) => policy.decide({ id: s.id, titleId: s.title_id, mediaFileId: s.media_file_id, start: s.start_s, end: s.end_s }).allowed).map((s) => s.id));
          let built;
          try {
            built = await buildDataset(ws, { name: `prop-${n}`, asOf, valFraction: 0.3 }, { actor });
          } catch (e) {
            // The same rights as an earlier run give the same contents, which is refused by design.
            if (/already exists with exactly these contents/.test((e as Error).message)) return;
            throw e;
          }
          const manifest = await lines<ManifestEntry>(join(built.path, 'manifest.jsonl'));
          const exclusions = await lines<Exclusion>(join(built.path, 'exclusions.jsonl'));
          for (const m of manifest) expect(allowed.has(m.shotId)).toBe(true);
          expect(manifest.length).toBe(allowed.size);
          expect(new Set([...manifest.map((m) => m.shotId), ...exclusions.map((x) => x.shotId)]).size).toBe(9);
        },
      ),
      { numRuns: 6 },
    );
  });
});

describe('shard format', () => {
  it('round-trips records of any size through writer and reader', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backlot-shards-'));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ frames: fc.integer({ min: 1, max: 3 }), w: fc.integer({ min: 1, max: 5 }), h: fc.integer({ min: 1, max: 5 }), caption: fc.string() }), { minLength: 1, maxLength: 7 }), fc.integer({ min: 1, max: 3 }), async (recs, per) => {
        const sub = mkdtempSync(join(dir, 'r-'));
        const w = new ShardWriter(sub, 'train', per);
        const payloads = recs.map((r, i) => Buffer.from(Array.from({ length: r.frames * r.w * r.h * 3 }, (_, k) => (k * 31 + i) & 255)));
        for (const [i, r] of recs.entries()) await w.write({ clipId: `c${i}`, titleId: 't', caption: r.caption, frames: r.frames, height: r.h, width: r.w, channels: 3, fps: 12 }, payloads[i]!);
        const shards = await w.close();
        expect(shards).toHaveLength(Math.ceil(recs.length / per));
        let i = 0;
        for (const s of shards) {
          const reader = await ShardReader.open(join(sub, s.file), s.file);
          for (let rec = await reader.next(); rec; rec = await reader.next()) {
            expect(rec.header.caption).toBe(recs[i]!.caption);
            expect(rec.payload.equals(payloads[i]!)).toBe(true);
            i++;
          }
          expect(reader.sha256()).toBe(s.sha256);
          await reader.close();
        }
        expect(i).toBe(recs.length);
      }),
      { numRuns: 30 },
    );
  });
});

describe('an empty library', () => {
  it('builds an empty snapshot whose root is the documented empty-tree commitment, and verifies', async () => {
    const empty = await openWorkspace({ home: mkdtempSync(join(tmpdir(), 'backlot-datasets-empty-')) });
    try {
      const r = await buildDataset(empty, { name: 'nothing' }, { actor });
      expect(r.snapshot.counts).toEqual({ train: 0, val: 0, excluded: 0 });
      expect(r.snapshot.clipsRoot).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
      expect(r.snapshot.shards).toEqual([]);
      expect((await verifyDataset(empty, 'nothing')).problems).toEqual([]);
    } finally {
      await empty.close();
    }
  });
});

describe('a shot that begins with a gradual transition', () => {
  it('gives a clip that starts after the transition, and --min-seconds counts only what is left', async () => {
    const home = await openWorkspace({ home: mkdtempSync(join(tmpdir(), 'backlot-datasets-head-')) });
    try {
      await seedLibrary(home);
      // Shot 111111111111-1 (frames 24..47, 1 s..2 s) becomes one whose first 6 frames are a fade from
      // white: its proxy shows white for 0.25 s, then the red square on brown.
      const path = join(tmpdir(), `proxy-head-${process.pid}.mp4`);
      await ffmpeg(['-y', '-f', 'lavfi', '-i', 'color=c=brown:s=128x72:r=24:d=1', '-f', 'lavfi', '-i', 'color=c=red:s=16x16:r=24:d=1',
        '-filter_complex', "[0][1]overlay=x=56:y=28,drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='lt(t,0.25)'",
        '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-t', '1', path]);
      const proxy = await home.store.putFileCopy(path);
      await rm(path, { force: true });
      await home.db.query("UPDATE shots SET transition_in = 'fade', transition_frames = 6, proxy_sha256 = $1 WHERE id = '111111111111-1'", [proxy]);

      const r = await buildDataset(home, { name: 'heads', valFraction: 0, asOf: '2026-11-25' }, { actor });
      const clip = (await lines<ManifestEntry>(join(r.path, 'manifest.jsonl'))).find((m) => m.shotId === '111111111111-1')!;
      expect(clip).toMatchObject({ clipId: '111111111111-1:30-47', startFrame: 30, endFrame: 47, start: 1.25, end: 2, frames: 9 });
      expect(clip.caption).toMatch(/ 0\.8 s shot\./);
      const reader = await ShardReader.open(join(r.path, 'shards', clip.shard), clip.shard);
      let rec = await reader.next();
      for (let i = 0; i < clip.record; i++) rec = await reader.next();
      await reader.close();
      // The first stored frame is the shot itself (brown and red), not the white head.
      const first = rec!.payload.subarray(0, 64 * 64 * 3);
      expect(first.reduce((a, b) => a + b, 0) / first.length).toBeLessThan(120);
      // A shot without a recorded transition (ingested before transition_frames existed) is taken whole.
      expect((await lines<ManifestEntry>(join(r.path, 'manifest.jsonl'))).find((m) => m.shotId === '111111111111-0')).toMatchObject({ startFrame: 0, frames: 12 });

      const strict = await buildDataset(home, { name: 'heads-strict', minSeconds: 0.9, valFraction: 0, asOf: '2026-11-25' }, { actor });
      const out = (await lines<Exclusion>(join(strict.path, 'exclusions.jsonl'))).find((x) => x.shotId === '111111111111-1')!;
      expect(out.reasons).toEqual([{ rule: 'dataset.min_seconds', detail: '0.75 s after its incoming transition (0.25 s) is shorter than --min-seconds 0.9', ref: null }]);
    } finally {
      await home.close();
    }
  });
});
