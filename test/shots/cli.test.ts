// `backlot shots` end to end through the built CLI: the stable JSON, EDL, CSV, and one clear line
// (exit 1, no stack trace) for each kind of bad input.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ffmpeg } from '@backlot/adapters/ffmpeg';
import { makeEdit, scenes, type MadeEdit } from '../support/edits.js';

const CLI = join(process.cwd(), 'apps/cli/bin/backlot.js');
let dir: string;
let edit: MadeEdit;

function backlot(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, BACKLOT_PROGRESS: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  // The CLI runs from dist/. Other areas' type errors must not stop our build: tsc -b still emits.
  if (!process.env.BACKLOT_SKIP_BUILD) spawnSync('npx', ['tsc', '-b'], { stdio: 'ignore' });
  if (!existsSync(join(process.cwd(), 'apps/cli/dist/commands/shots.js'))) throw new Error('apps/cli/dist/commands/shots.js missing: run npx tsc -b');
  dir = mkdtempSync(join(tmpdir(), 'backlot-shots-cli-'));
  edit = await makeEdit(join(dir, 'film.mp4'), {
    shots: [{ scene: scenes.pattern(), frames: 48 }, { scene: scenes.fractal(), frames: 48 }, { scene: scenes.gradient(3), frames: 48 }],
    transitions: [{ kind: 'cut' }, { kind: 'dissolve', frames: 16 }],
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('backlot shots', () => {
  test('--json prints exactly {fps, frameCount, shots:[{index,startFrame,endFrame,start,end,transitionIn}]}', () => {
    const r = backlot('shots', edit.path, '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { fps: number; frameCount: number; shots: Array<Record<string, unknown>> };
    expect(Object.keys(doc)).toEqual(['fps', 'frameCount', 'shots']);
    expect(doc.fps).toBe(24);
    expect(doc.frameCount).toBe(edit.truth.frames);
    expect(doc.shots.map((s) => Object.keys(s))).toEqual(doc.shots.map(() => ['index', 'startFrame', 'endFrame', 'start', 'end', 'transitionIn']));
    expect(doc.shots[0]).toEqual({ index: 0, startFrame: 0, endFrame: 47, start: 0, end: 2, transitionIn: 'none' });
    expect(doc.shots[1]).toMatchObject({ index: 1, startFrame: 48, start: 2, transitionIn: 'cut' });
    expect(doc.shots[2]!.transitionIn).toBe('dissolve');
    expect(doc.shots.at(-1)!.endFrame).toBe(edit.truth.frames - 1);
    // Same document with --format json; measures only when asked.
    expect(JSON.parse(backlot('shots', edit.path, '--format', 'json').stdout)).toEqual(doc);
    const withMeasures = JSON.parse(backlot('shots', edit.path, '--json', '--measures').stdout) as typeof doc;
    expect(withMeasures.shots[0]).toHaveProperty('phash');
  });

  test('--format edl writes a CMX3600 list with a dissolve event; --format csv a header and one row per shot', () => {
    const edl = backlot('shots', edit.path, '--format', 'edl');
    expect(edl.code).toBe(0);
    expect(edl.stdout).toMatch(/^TITLE: film\.mp4\nFCM: NON-DROP FRAME\n/);
    expect(edl.stdout).toContain('001  AX       V     C        00:00:00:00 00:00:02:00 00:00:00:00 00:00:02:00');
    expect(edl.stdout).toMatch(/003 {2}AX {7}V {5}D {4}0\d\d 00:00:0\d:\d\d/);
    const csv = backlot('shots', edit.path, '--format', 'csv').stdout.trim().split('\n');
    expect(csv[0]).toBe('index,start_frame,end_frame,start_seconds,end_seconds,start_timecode,end_timecode,transition_in');
    expect(csv.length).toBe(4);
    expect(csv[2]).toMatch(/^1,48,\d+,2,/);
  });

  test('bad input gets one line naming the file and the problem, exit 1, no stack trace', async () => {
    const text = join(dir, 'notes.mp4');
    writeFileSync(text, 'this is not a video\n');
    const empty = join(dir, 'empty.mp4');
    writeFileSync(empty, '');
    const truncated = join(dir, 'truncated.mp4');
    copyFileSync(edit.path, truncated);
    truncateSync(truncated, 3000);
    const audio = join(dir, 'tone.m4a');
    await ffmpeg(['-v', 'error', '-f', 'lavfi', '-i', 'sine=d=1', audio]);
    const image = join(dir, 'still.png');
    await ffmpeg(['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=s=64x64', '-frames:v', '1', image]);
    const cases: Array<[string, RegExp]> = [
      [join(dir, 'missing.mp4'), /no such file/],
      [text, /text file/],
      [empty, /empty file/],
      [truncated, /truncated/],
      [audio, /no video stream/],
      [image, /still image/],
    ];
    for (const [file, problem] of cases) {
      const r = backlot('shots', file, '--json');
      expect(r.code, `${file}: ${r.stderr}`).toBe(1);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]!.startsWith(`backlot: ${file}: `), lines[0]).toBe(true);
      expect(lines[0]).toMatch(problem);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  test('an unknown --format is refused with one line', () => {
    const r = backlot('shots', edit.path, '--format', 'xml');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^backlot: --format/);
  });
});
