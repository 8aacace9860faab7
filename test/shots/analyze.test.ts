// Shot analysis on real video: edits made by ffmpeg with known transitions (test/support/edits.ts),
// frame-rate and geometry corner cases, measures, and the held-out real footage in ../shared/library.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { analysisDecodeArgs, analysisDecodeThreads, analysisSize, analyzeShots, probeMedia } from '@backlot/adapters/ffmpeg';
import { ffmpeg } from '@backlot/adapters/ffmpeg';
import { hammingDistance, scoreBoundaries, type ProgressEvent, type ShotAnalysis } from '@backlot/core';
import { makeEdit, makeVariableRateEdit, scenes, type MadeEdit } from '../support/edits.js';
import { makeScenario } from './scenarios.js';

/** Tolerances: a cut within ±1 frame; a gradual transition's first frame within ±4 frames. */
const CUT_TOL = 1;
const GRADUAL_TOL = 4;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'backlot-shots-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function boundaries(a: ShotAnalysis) {
  return a.shots.slice(1).map((s) => ({ kind: s.transitionIn, frame: s.startFrame }));
}

function expectMatches(a: ShotAnalysis, edit: MadeEdit) {
  const found = boundaries(a);
  expect(found.length, JSON.stringify(found)).toBe(edit.truth.transitions.length);
  edit.truth.transitions.forEach((t, i) => {
    const f = found[i]!;
    expect(f.kind, `transition ${i}`).toBe(t.kind);
    expect(Math.abs(f.frame - t.start), `transition ${i} at ${f.frame}, truth ${t.start}`).toBeLessThanOrEqual(t.kind === 'cut' ? CUT_TOL : GRADUAL_TOL);
  });
  expect(a.frameCount).toBe(edit.truth.frames);
}

describe('analyzeShots on ffmpeg-made edits', () => {
  // Each scenario (test/shots/scenarios.ts) is one edit whose every transition must be found at its
  // frame and of its kind, with nothing else found.
  const scenarioTests: Array<[name: string, title: string]> = [
    ...['cuts', 'dissolves', 'fades', 'wipes'].map((name): [string, string] => [name, `finds every ${name.slice(0, -1)} at its frame and of its kind`]),
    ['negatives', 'camera flashes, black dropout frames, fast pans, a static shot and grain-like change are not transitions'],
    ['overlays', 'a title fading in, an object entering a static shot and a truck-sized one driving through it are not transitions'],
    ['darkDips', 'a long dip to black out of or into a dark shot is one fade, not a fade out and a fade in'],
    ['nightDissolves', 'a dissolve into or out of a night shot (dark, a small bright object in it) is a dissolve, not a fade'],
    ['exposure', 'a bright object driving out of a fixed view while the exposure follows it up is not a transition'],
  ];
  for (const [name, title] of scenarioTests) {
    test(title, async () => {
      const edit = await makeScenario(dir, name);
      expectMatches(await analyzeShots(edit.path), edit);
    });
  }

  test('23.976 and 29.97 fps: frames count in presentation order and times follow the exact rate', async () => {
    for (const fps of ['24000/1001', '30000/1001']) {
      const edit = await makeEdit(join(dir, `rate-${fps.replace('/', '-')}.mp4`), {
        fps,
        shots: [{ scene: scenes.pattern(), frames: 50 }, { scene: scenes.fractal(), frames: 40 }, { scene: scenes.gradient(2), frames: 40 }],
        transitions: [{ kind: 'cut' }, { kind: 'dissolve', frames: 16 }],
      });
      const a = await analyzeShots(edit.path);
      expectMatches(a, edit);
      const [n, d] = fps.split('/').map(Number) as [number, number];
      expect(a.fps).toBe(Math.round((n / d) * 1000) / 1000);
      expect(a.shots[1]!.start).toBeCloseTo((50 * d) / n, 2);
      expect(a.shots.at(-1)!.end).toBeCloseTo((a.frameCount * d) / n, 2);
    }
  });

  test('variable frame rate: shot times come from presentation timestamps, not frame counts', async () => {
    const edit = await makeVariableRateEdit(join(dir, 'vfr.mp4'), [
      { scene: scenes.pattern(), frames: 48, fps: 24 },
      { scene: scenes.fractal(), frames: 30, fps: 12 },
      { scene: scenes.bars(), frames: 30, fps: 30 },
    ]);
    const a = await analyzeShots(edit.path);
    expect(boundaries(a).map((b) => b.frame)).toEqual([48, 78]);
    expect(a.frameCount).toBe(edit.truth.frames);
    expect(a.shots[1]!.start).toBeCloseTo(2.0, 2);
    expect(a.shots[2]!.start).toBeCloseTo(4.5, 2);
  });

  test('rotation metadata and anamorphic pixels give an analysis frame of the displayed shape', async () => {
    const spec = {
      shots: [{ scene: scenes.pattern(), frames: 40 }, { scene: scenes.fractal(), frames: 40 }],
      transitions: [{ kind: 'cut' as const }],
    };
    const rotated = await makeEdit(join(dir, 'rotated.mp4'), { ...spec, rotate: 90 });
    const r = await analyzeShots(rotated.path);
    expect(r.width).toBe(128);
    expect(r.height).toBeGreaterThan(200); // 180x320 displayed
    expectMatches(r, rotated);
    const anamorphic = await makeEdit(join(dir, 'anamorphic.mp4'), { ...spec, width: 240, height: 180, sar: '4/3' });
    const s = await analyzeShots(anamorphic.path);
    expect([s.width, s.height]).toEqual([128, 72]); // 240x180 at 4:3 pixels is 320x180 on screen
    expectMatches(s, anamorphic);
  });

  test('the decode started alongside the probe makes frames of the size the probe gives, whatever the shape', async () => {
    // analyzeShots starts ffmpeg before ffprobe answers, with the analysis height as a scale expression
    // over the (autorotated) input; a different size would make it decode the file a second time.
    const one = { shots: [{ scene: scenes.pattern(), frames: 6 }], transitions: [] };
    const shapes = [
      { name: 'wide', width: 320, height: 180 },
      { name: 'rot90', width: 320, height: 180, rotate: 90 },
      { name: 'rot270', width: 300, height: 200, rotate: 270 },
      { name: 'anamorphic', width: 240, height: 180, sar: '4/3' },
      { name: 'anamorphic-rot90', width: 720, height: 480, sar: '32/27', rotate: 90 },
      { name: 'tall-odd', width: 202, height: 358 },
      { name: 'scope', width: 512, height: 120, sar: '9/16' },
      { name: 'strip', width: 640, height: 16 },
    ];
    for (const shape of shapes) {
      const edit = await makeEdit(join(dir, `shape-${shape.name}.mp4`), { ...one, ...shape });
      const probe = await probeMedia(edit.path);
      for (const width of [128, 256]) {
        const args = analysisDecodeArgs(edit.path, { width, height: null }, 'yuv420p', true, 1).slice(0, -1); // without pipe:1
        const { stderr } = await ffmpeg([...args, '-frames:v', '1', '-']);
        const shown = /\ss:(\d+)x(\d+)\s/.exec(stderr);
        expect(shown, shape.name).not.toBeNull();
        const want = analysisSize(probe, width);
        expect([Number(shown![1]), Number(shown![2])], `${shape.name} at ${width}`).toEqual([want.width, want.height]);
      }
    }
  });

  test('a stream whose picture size changes part-way is analysed at one size from start to end', async () => {
    // Two MPEG-TS segments, 16:9 then 4:3, joined byte for byte (as a recorded broadcast can be). The decode
    // started before the probe would rescale the second part to another height; it must be caught and redone.
    const parts = [
      { file: join(dir, 'part-wide.ts'), src: 'testsrc=size=320x180:rate=24', frames: 48 },
      { file: join(dir, 'part-4x3.ts'), src: 'testsrc2=size=640x480:rate=24', frames: 47 },
    ];
    for (const p of parts) {
      await ffmpeg(['-v', 'error', '-f', 'lavfi', '-i', p.src, '-frames:v', String(p.frames), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', p.file]);
    }
    const joined = join(dir, 'size-change.ts');
    writeFileSync(joined, Buffer.concat(parts.map((p) => readFileSync(p.file))));
    const probe = await probeMedia(joined);
    const given = await analyzeShots(joined, { probe });
    const alone = await analyzeShots(joined);
    expect([given.width, given.height, given.frameCount]).toEqual([128, 72, 95]);
    expect([alone.width, alone.height, alone.frameCount]).toEqual([128, 72, 95]);
    expect(alone.shots).toEqual(given.shots);
    expect(boundaries(alone)).toEqual([{ kind: 'cut', frame: 48 }]);
  });

  test('measures: black shot, letterbox bars, motion, keyframe inside the shot, pHash stable across re-encodes', async () => {
    const edit = await makeEdit(join(dir, 'measures.mp4'), {
      shots: [
        { scene: scenes.bars(), frames: 40 },
        { scene: scenes.black(), frames: 30 },
        { scene: `${scenes.fractal()},scale=320:136,pad=320:180:0:22:black`, frames: 40 },
        { scene: scenes.fastPan(30), frames: 40 },
      ],
      transitions: [{ kind: 'cut' }, { kind: 'cut' }, { kind: 'cut' }],
    });
    const a = await analyzeShots(edit.path);
    expect(a.shots.map((s) => s.isBlack)).toEqual([false, true, false, false]);
    expect(a.shots.map((s) => s.letterbox)).toEqual([false, false, true, false]);
    expect(a.shots[3]!.motion).toBeGreaterThan(5 * a.shots[0]!.motion + 1);
    for (const s of a.shots) {
      expect(s.keyframe).toBeGreaterThanOrEqual(s.startFrame);
      expect(s.keyframe).toBeLessThanOrEqual(s.endFrame);
      expect(s.phash).toMatch(/^[0-9a-f]{16}$/);
    }
    // The same film re-encoded smaller and harder: same shots, near-identical hashes.
    const copy = join(dir, 'measures-small.mp4');
    await ffmpeg(['-v', 'error', '-i', edit.path, '-vf', 'scale=256:144', '-c:v', 'libx264', '-crf', '35', copy]);
    const b = await analyzeShots(copy);
    expect(b.shots.length).toBe(a.shots.length);
    a.shots.forEach((s, i) => {
      if (!s.isBlack) expect(hammingDistance(s.phash, b.shots[i]!.phash)).toBeLessThanOrEqual(10);
    });
    expect(hammingDistance(a.shots[0]!.phash, a.shots[2]!.phash)).toBeGreaterThan(16);
  });

  test('a small source decodes on one thread, leaving a core to the analysis; the result does not depend on it', async () => {
    const edit = await makeScenario(dir, 'dissolves');
    expect(analysisDecodeThreads(await probeMedia(edit.path))).toBe(1);
    const big = await makeEdit(join(dir, 'hd.mp4'), { width: 1280, height: 720, shots: [{ scene: scenes.bars(), frames: 12 }], transitions: [] });
    expect(analysisDecodeThreads(await probeMedia(big.path))).toBeUndefined();
    const one = await analyzeShots(edit.path);
    const auto = await analyzeShots(edit.path, { decodeThreads: 0 });
    expect(auto.shots).toEqual(one.shots);
  });

  test('reports progress in frames and stops ffmpeg when aborted', async () => {
    const edit = await makeScenario(dir, 'cuts');
    const events: ProgressEvent[] = [];
    const a = await analyzeShots(edit.path, { onProgress: (e) => events.push(e) });
    expect(events.at(-1)).toMatchObject({ unit: 'frames', done: a.frameCount, finished: true });
    expect(events.every((e) => e.total === a.frameCount)).toBe(true);
    const ctl = new AbortController();
    ctl.abort();
    await expect(analyzeShots(edit.path, { signal: ctl.signal })).rejects.toThrow();
  });
});

// ../shared/library is held out: the decision was not fitted to it (docs/shots.md says what was seen
// when). Asserted here: every hard cut (F1 >= 0.95, the target) and every gradual transition found
// (recall 1). Gradual precision on this footage is 0.75 (3 transitions and one false one, Tears of
// Steel's engine ignition): `npm run bench:shots` prints it; it is not hidden by a looser assertion.
const LIBRARY = resolve(process.cwd(), '../shared/library');
const haveLibrary = existsSync(join(LIBRARY, 'groundtruth'));
describe.skipIf(!haveLibrary)(haveLibrary ? 'real footage in ../shared/library (held out)' : 'real footage: SKIPPED because ../shared/library is absent', () => {
  const cases = haveLibrary
    ? readdirSync(join(LIBRARY, 'groundtruth')).flatMap((g) => {
        const slug = g.replace(/\.json$/, '');
        const folder = join(LIBRARY, slug);
        return existsSync(folder) ? readdirSync(folder).filter((f) => /\.(mp4|webm|mov|mkv)$/.test(f)).map((f) => ({ slug, file: join(folder, f), truth: join(LIBRARY, 'groundtruth', g) })) : [];
      })
    : [];
  for (const c of cases) {
    test(`${c.slug}/${c.file.split('/').at(-1)}: every hard cut (F1 >= 0.95) and every gradual transition is found`, async () => {
      const truth = JSON.parse(readFileSync(c.truth, 'utf8')) as { frames: number; transitions: Parameters<typeof scoreBoundaries>[1] };
      const a = await analyzeShots(c.file);
      expect(a.frameCount).toBe(truth.frames);
      const score = scoreBoundaries(boundaries(a) as Parameters<typeof scoreBoundaries>[0], truth.transitions);
      expect(score.cuts.f1, JSON.stringify(score)).toBeGreaterThanOrEqual(0.95);
      expect(score.gradual.recall, JSON.stringify(score)).toBe(1);
    });
  }
});

// The library holds only 3 gradual transitions, so bench/real-edits.mjs cuts its settled shots together
// again with dissolves, dips to black, wipes and cuts at known frames (real pictures: grain, motion,
// letterboxing, 10 and 12.5 fps cameras). Two films of one of the bench's held-out seeds: the targets,
// asserted over their 16 transitions, 13 of them gradual (all were found when this test was written).
describe.skipIf(!haveLibrary)(haveLibrary ? 'real footage re-edited here with known transitions' : 'real footage re-edited: SKIPPED because ../shared/library is absent', () => {
  test('cuts F1 >= 0.95 and gradual F1 >= 0.85 on two films of seed 4, with frame counts as planned', async () => {
    const { makeRealEdits } = await import('../../bench/real-edits.mjs');
    const files: string[] = makeRealEdits(LIBRARY, join(dir, 're-edits'), { films: 2, seed: 4 });
    expect(files).toHaveLength(2);
    const found: Parameters<typeof scoreBoundaries>[0] = [];
    const truths: Parameters<typeof scoreBoundaries>[1] = [];
    let offset = 0;
    for (const file of files) {
      const truth = JSON.parse(readFileSync(file.replace(/\.mp4$/, '.truth.json'), 'utf8')) as { frames: number; transitions: Parameters<typeof scoreBoundaries>[1] };
      const a = await analyzeShots(file);
      expect(a.frameCount).toBe(truth.frames);
      // One score over both films: frames of the second count on from the first's end.
      found.push(...boundaries(a).map((b) => ({ ...b, frame: b.frame + offset })));
      truths.push(...truth.transitions.map((t) => ({ ...t, start: t.start + offset, end: t.end + offset })));
      offset += truth.frames;
    }
    expect(truths.filter((t) => t.kind !== 'cut').length).toBeGreaterThanOrEqual(10);
    const score = scoreBoundaries(found, truths);
    expect(score.cuts.f1, JSON.stringify(score)).toBeGreaterThanOrEqual(0.95);
    expect(score.gradual.f1, JSON.stringify(score)).toBeGreaterThanOrEqual(0.85);
  }, 120_000);
});

describe('analyzeShots on a demo film', () => {
  test("its camera flashes (fading over up to four frames) are not transitions, and its edit is recovered", async () => {
    const { generateDemoLibrary } = await import('@backlot/workflows/demo');
    const lib = await generateDemoLibrary(join(dir, 'demo'), { films: 1, seed: 11, filmSeconds: 60 });
    const film = lib.films[0]!;
    const truth = JSON.parse(readFileSync(join(dir, 'demo', `${film.slug}.truth.json`), 'utf8')) as {
      transitions: Array<{ kind: 'cut' | 'dissolve' | 'fade' | 'wipe'; start: number; end: number }>;
      nonTransitions: Array<{ kind: string; approxStart: number; approxEnd: number }>;
    };
    const flashes = truth.nonTransitions.filter((n) => n.kind === 'flash');
    expect(flashes.length).toBeGreaterThanOrEqual(3);
    const found = boundaries(await analyzeShots(join(dir, 'demo', `${film.slug}.mp4`)));
    const atFlash = found.filter((b) => flashes.some((f) => b.frame >= f.approxStart - 2 && b.frame <= f.approxEnd + 2));
    expect(atFlash).toEqual([]);
    const s = scoreBoundaries(found, truth.transitions);
    expect(s.cuts.f1).toBe(1);
    expect(s.gradual.precision, JSON.stringify(s.spurious)).toBeGreaterThanOrEqual(0.9);
    expect(s.gradual.recall, JSON.stringify(s.missed)).toBeGreaterThanOrEqual(0.9);
  }, 120_000);
});
