// Ingest end to end on real video made by ffmpeg: a folder with sidecar documents, a trailer that
// reuses a shot, a rerun that changes nothing, and bad files that fail alone.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openWorkspace, type Workspace } from '@backlot/adapters/workspace';
import { ingestPaths, type IngestReport } from '@backlot/workflows/ingest';
import { listTitles, runDoctor, showTitle, titleShots } from '@backlot/workflows/library';
import { makeBadInputs, runningAsRoot } from '../support/bad-media.js';
import { makeEdit, scenes } from '../support/edits.js';

let dir: string;
let ws: Workspace;
let first: IngestReport;
let dissolveStart = 0;
const actor = 'test:ingest';

const SRT = `1
00:00:00,500 --> 00:00:01,000
Look at it go.

2
00:00:01,200 --> 00:00:02,000
It crossed the line.
`;

const FOUNTAIN = `Title: Red Ball

EXT. NIGHT SKY - NIGHT

A red ball moving left.

MAYA
Look at it go.

INT. WORKSHOP - DAY

A blue box moving up.
`;

const CAST = JSON.stringify({ title: 'Red Ball', year: 2026, cast: [{ character: 'Maya', person: 'Ines Okafor' }, { character: 'Jonas', person: 'Piet Varga' }] });
const CUES = 'cue_id,title,in,out,composer,performer,usage\nM1,Opening,0.000,3.000,A. Composer,Studio Band,background\n';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'backlot-ingest-'));
  const films = join(dir, 'films');
  mkdirSync(join(films, 'more'), { recursive: true });
  // 24 fps: shot 0 frames 0-35 (1.5 s), cut, shot 1 frames 36-71 (static bars), dissolve into shot 2.
  const edit = await makeEdit(join(films, 'red-ball.mp4'), {
    shots: [{ scene: scenes.pattern(), frames: 36 }, { scene: scenes.bars(), frames: 48 }, { scene: scenes.pattern(120), frames: 40 }],
    transitions: [{ kind: 'cut' }, { kind: 'dissolve', frames: 10 }],
  });
  dissolveStart = edit.truth.transitions[1]!.start;
  writeFileSync(join(films, 'red-ball.srt'), SRT);
  writeFileSync(join(films, 'red-ball.fountain'), FOUNTAIN);
  writeFileSync(join(films, 'red-ball.cast.json'), CAST);
  writeFileSync(join(films, 'red-ball.cues.csv'), CUES);
  await makeEdit(join(films, 'more', 'green-star.mp4'), {
    shots: [{ scene: scenes.fractal(), frames: 30 }, { scene: scenes.gradient(3), frames: 30 }],
    transitions: [{ kind: 'cut' }],
  });
  // A trailer: one second of the bars shot, re-encoded smaller.
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-ss', '1.8', '-t', '1.0', '-i', join(films, 'red-ball.mp4'), '-vf', 'scale=256:144', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '30', join(films, 'more', 'trailer.mp4')]);
  ws = await openWorkspace({ home: join(dir, 'ws') });
  first = await ingestPaths(ws, [films], { actor });
}, 300_000);

afterAll(async () => {
  await ws?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ingest a folder', () => {
  test('ingests every video in the folder tree, titled by file name, with shots, keyframes and proxies', async () => {
    expect(first.failed).toBe(0);
    expect(first.files.map((f) => [f.title, f.status])).toEqual([
      ['green-star', 'ingested'],
      ['trailer', 'ingested'],
      ['red-ball', 'ingested'],
    ]);
    const red = first.files.find((f) => f.title === 'red-ball')!;
    expect(red.shots).toBe(3);
    expect(red.proxies).toBe(3);
    const { shots } = await titleShots(ws.db, 'red-ball');
    expect(shots.map((s) => s.transitionIn)).toEqual(['none', 'cut', 'dissolve']);
    expect(shots[1]!.startFrame).toBe(36);
    // The analyser's own tests hold its accuracy; here the dissolve only has to be where it was made.
    expect(Math.abs(shots[2]!.startFrame - dissolveStart)).toBeLessThanOrEqual(3);
    // How long the dissolve lasts is stored too: datasets take their clips from after it.
    const heads = await ws.db.query<{ transition_frames: number }>("SELECT s.transition_frames FROM shots s JOIN titles t ON t.id = s.title_id WHERE t.name = 'red-ball' ORDER BY s.idx");
    expect(heads.map((h) => h.transition_frames).slice(0, 2)).toEqual([0, 0]);
    expect(Math.abs(heads[2]!.transition_frames - 10)).toBeLessThanOrEqual(3);
    for (const s of shots) {
      expect(await ws.store.has(s.keyframeSha256!)).toBe(true);
      expect(await ws.store.has(s.proxySha256!)).toBe(true);
    }
  });

  test('attaches same-name sidecars: subtitles linked to the shots they overlap, screenplay, cast, cue sheet', async () => {
    const t = await showTitle(ws.db, 'red-ball');
    expect(t.documentsAttached.map((d) => d.kind).sort()).toEqual(['cast', 'cues', 'screenplay', 'subtitles']);
    expect(t.year).toBe(2026);
    expect(t.credits).toEqual([
      { character: 'Jonas', person: 'Piet Varga', role: 'actor' },
      { character: 'Maya', person: 'Ines Okafor', role: 'actor' },
    ]);
    const lines = await ws.db.query<{ text: string; shot_ids: string[] }>(`SELECT text, shot_ids FROM subtitle_lines WHERE title_id = 'red-ball' ORDER BY idx`);
    const [s0, s1] = (await titleShots(ws.db, 'red-ball')).shots;
    expect(lines).toEqual([
      { text: 'Look at it go.', shot_ids: [s0!.id] },
      { text: 'It crossed the line.', shot_ids: [s0!.id, s1!.id] },
    ]);
    const elements = await ws.db.query<{ scene: number; kind: string; text: string }>(`SELECT scene, kind, text FROM screenplay_elements WHERE title_id = 'red-ball' ORDER BY idx`);
    expect(elements.filter((e) => e.kind === 'scene_heading').map((e) => [e.scene, e.text])).toEqual([[1, 'EXT. NIGHT SKY - NIGHT'], [2, 'INT. WORKSHOP - DAY']]);
  });

  test('groups the trailer shot with the film shot it was cut from', async () => {
    const film = (await titleShots(ws.db, 'red-ball')).shots[1]!;
    const trailer = (await titleShots(ws.db, 'trailer')).shots;
    expect(film.dupGroup).not.toBeNull();
    expect(trailer.some((s) => s.dupGroup === film.dupGroup)).toBe(true);
    const other = (await titleShots(ws.db, 'green-star')).shots;
    expect(other.every((s) => s.dupGroup !== film.dupGroup)).toBe(true);
  });

  test('running the same ingest again changes nothing', async () => {
    const before = await ws.db.query('SELECT id, proxy_sha256, keyframe_sha256, dup_group FROM shots ORDER BY id');
    const audits = await ws.db.query(`SELECT count(*) AS n FROM audit_log WHERE action = 'library.ingest'`);
    const again = await ingestPaths(ws, [join(dir, 'films')], { actor });
    expect(again.files.map((f) => f.status)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(await ws.db.query('SELECT id, proxy_sha256, keyframe_sha256, dup_group FROM shots ORDER BY id')).toEqual(before);
    expect(await ws.db.query(`SELECT count(*) AS n FROM audit_log WHERE action = 'library.ingest'`)).toEqual(audits);
    expect((await listTitles(ws.db)).map((t) => [t.name, t.ready])).toEqual([['green-star', true], ['red-ball', true], ['trailer', true]]);
  });

  test('bad files get one line each; the others still ingest and nothing stored before changes', async () => {
    const badDir = join(dir, 'bad');
    mkdirSync(badDir);
    const bad = makeBadInputs(badDir);
    await makeEdit(join(badDir, 'fine.mp4'), { shots: [{ scene: scenes.pattern(90), frames: 24 }], transitions: [] });
    // A broken sidecar is its own failure; it does not hold back the film.
    writeFileSync(join(badDir, 'fine.srt'), 'this is not a subtitle file\n');
    const before = await ws.db.query('SELECT id, proxy_sha256 FROM shots ORDER BY id');
    const cases = Object.entries(bad).filter(([k]) => k !== 'unreadable' || !runningAsRoot);
    const emptyDir = join(dir, 'empty-folder');
    mkdirSync(emptyDir);
    const report = await ingestPaths(ws, [...cases.map(([, c]) => c.path), emptyDir, join(badDir, 'fine.mp4')], { actor });
    const failed = report.files.filter((f) => f.status === 'failed');
    expect(failed).toHaveLength(cases.length + 2);
    expect(failed.find((f) => f.path.endsWith('fine.srt'))!.error!.message).toMatch(/fine\.srt: no subtitle cues found/);
    for (const [, c] of cases) {
      const f = failed.find((x) => x.path === c.path)!;
      expect(f.error!.message).toMatch(c.expect);
      expect(f.error!.message).not.toContain('\n');
    }
    expect(failed.find((f) => f.path === emptyDir)!.error!.message).toMatch(/no video files in this folder/);
    expect(report.files.find((f) => f.path.endsWith('fine.mp4'))!.status).toBe('ingested');
    const after = await ws.db.query('SELECT id, proxy_sha256 FROM shots ORDER BY id');
    expect(after.filter((r) => before.some((b) => b.id === r.id))).toEqual(before);
    const doctor = await runDoctor(ws, { tools: false });
    expect(doctor.checks.filter((c) => !c.ok)).toEqual([]);
  });
});
