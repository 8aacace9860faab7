// Near-duplicate grouping on real video: films whose shots differ only by a small object's colour, or
// by the way it moves, on the same backdrop (like the demo world's night skies) are not duplicates,
// while a re-encoded trailer excerpt of one of them still joins its group.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { FRAME_SIG_BYTES, isNearDuplicate, sameFootage, type DuplicateCandidate } from '@backlot/core';
import { openWorkspace, type Workspace } from '@backlot/adapters/workspace';
import { ingestPaths } from '@backlot/workflows/ingest';
import { runDoctor } from '@backlot/workflows/library';
import { makeEdit, type Scene } from '../support/edits.js';

let dir: string;
let ws: Workspace;

/** A dark, desaturated sky with a slow grey gradient and a small square of `colour` drifting along `x` (of frame n). */
const smallObject = (colour: string, x = '60+n*2'): Scene =>
  `gradients=s={s}:r={r}:speed=0.01:seed=7:c0=0x1c2230:c1=0x5a6070[bg{i}];color=c=${colour}:s=14x14:r={r}[fg{i}];[bg{i}][fg{i}]overlay=x='${x}':y='H/2-7':shortest=1`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'backlot-duplicates-'));
  const films = join(dir, 'films');
  mkdirSync(films, { recursive: true });
  const scenes: Array<[string, string, string | undefined]> = [
    ['red-object', 'red', undefined],
    ['blue-object', 'blue', undefined],
    ['white-one-way', 'white', undefined],
    ['white-other-way', 'white', '204-n*2'],
  ];
  for (const [name, colour, x] of scenes) {
    await makeEdit(join(films, `${name}.mp4`), { shots: [{ scene: smallObject(colour!, x), frames: 72 }], transitions: [] });
  }
  // The trailer: one second from the middle of the red film, re-encoded smaller.
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-ss', '1.0', '-t', '1.0', '-i', join(films, 'red-object.mp4'), '-vf', 'scale=256:144', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '30', join(films, 'trailer.mp4')]);
  ws = await openWorkspace({ home: join(dir, 'ws') });
  const report = await ingestPaths(ws, [films], { actor: 'test:duplicates' });
  expect(report.failed).toBe(0);
}, 300_000);

afterAll(async () => {
  await ws?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a small object of another colour, or moving another way, on the same backdrop is a different shot; a trailer excerpt is the same', async () => {
  const rows = await ws.db.query<{ title_id: string; id: string; dup_group: string | null; phash: string; colour_sig: string; hue_sig: string; duration: number; mean_luma: number }>(
    'SELECT title_id, id, dup_group, phash, colour_sig, hue_sig, end_s - start_s AS duration, mean_luma FROM shots ORDER BY title_id',
  );
  const by = Object.fromEntries(rows.map((r) => [r.title_id, r]));
  expect(Object.keys(by).sort()).toEqual(['blue-object', 'red-object', 'trailer', 'white-one-way', 'white-other-way']);
  expect(by['red-object']!.dup_group).not.toBeNull();
  expect(by.trailer!.dup_group).toBe(by['red-object']!.dup_group);
  expect(by['blue-object']!.dup_group).toBeNull();
  expect(by['white-one-way']!.dup_group).toBeNull();
  expect(by['white-other-way']!.dup_group).toBeNull();

  // The hue histogram is what tells them apart: the structure hash and the 4x4 colour means alone
  // would call the two films duplicates.
  const candidate = (r: (typeof rows)[number], withHue: boolean): DuplicateCandidate => ({
    id: r.id, phash: r.phash, colourSig: r.colour_sig, hueSig: withHue ? r.hue_sig : null, duration: Number(r.duration), meanLuma: Number(r.mean_luma), isBlack: false, dupGroup: null,
  });
  expect(isNearDuplicate(candidate(by['red-object']!, false), candidate(by['blue-object']!, false))).toBe(true);
  expect(isNearDuplicate(candidate(by['red-object']!, true), candidate(by['blue-object']!, true))).toBe(false);
  // The same square, the same colour, at the same place in the keyframe (the middle frame), moving the other
  // way: every keyframe measure agrees, and only the frames laid over each other tell the shots apart.
  expect(isNearDuplicate(candidate(by['white-one-way']!, true), candidate(by['white-other-way']!, true))).toBe(true);
  const frames = async (title: string) => {
    const [m] = await ws.db.query<{ frame_sigs_sha256: string }>('SELECT frame_sigs_sha256 FROM media_files WHERE title_id = $1', [title]);
    return new Uint8Array(await ws.store.read(m!.frame_sigs_sha256));
  };
  expect((await frames('white-one-way')).length).toBe(72 * FRAME_SIG_BYTES);
  expect(sameFootage(await frames('white-one-way'), await frames('white-other-way'))).toBe(false);
  expect(sameFootage(await frames('red-object'), await frames('trailer'))).toBe(true);
});

test('a frame signatures file gone from the store: doctor names it, and ingest goes on (a new copy of the trailer still joins the group)', async () => {
  const [m] = await ws.db.query<{ frame_sigs_sha256: string; path: string }>(`SELECT frame_sigs_sha256, path FROM media_files WHERE title_id = 'red-object'`);
  rmSync(ws.store.pathOf(m!.frame_sigs_sha256));
  const doctor = await runDoctor(ws, { tools: false });
  expect(doctor.checks.find((c) => !c.ok)?.problems.join('\n')).toMatch(new RegExp(`frame signatures of ${m!.path}`));
  // Another copy of the trailer (the same pictures in another container): its pair with the red film can no longer be laid frame over frame (the
  // measures decide it), its pair with the trailer still can.
  const copy = join(dir, 'films', 'trailer-again.mkv');
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', join(dir, 'films', 'trailer.mp4'), '-c', 'copy', copy]);
  const report = await ingestPaths(ws, [copy], { actor: 'test:duplicates' });
  expect(report.failed).toBe(0);
  const [again] = await ws.db.query<{ dup_group: string | null }>(`SELECT dup_group FROM shots WHERE title_id = 'trailer-again'`);
  const [red] = await ws.db.query<{ dup_group: string | null }>(`SELECT dup_group FROM shots WHERE title_id = 'red-object'`);
  expect(again!.dup_group).toBe(red!.dup_group);
});
