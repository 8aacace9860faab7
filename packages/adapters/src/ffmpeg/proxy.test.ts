import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeClip } from '../../../../test/support/bad-media.js';
import { ContentStore } from '../store/index.js';
import { extractKeyframe, extractKeyframes, keyframesInOnePass, ONE_PASS_CHUNK, onePassPays, renderContactSheet, timecode } from './frames.js';
import { probeMedia } from './probe.js';
import { makeShotProxies, makeShotProxy, PROXY_BATCH } from './proxy.js';

let dir: string;
let store: ContentStore;
let film: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'backlot-proxy-'));
  store = new ContentStore(join(dir, 'store'));
  film = makeClip(join(dir, 'film.mp4'), { seconds: 4, size: '640x360', rate: '30000/1001' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('makeShotProxy', () => {
  test('writes a silent H.264 proxy at the short side and rate asked, covering the shot', async () => {
    const r = await makeShotProxy(store, film, { start: 1, end: 3 }, { shortSide: 256, fps: 24 });
    const path = store.pathOf(r.sha256);
    expect(statSync(path).size).toBe(r.bytes);
    const p = await probeMedia(path);
    expect(p.video).toMatchObject({ codec: 'h264', width: 456, height: 256, fpsNum: 24, fpsDen: 1 });
    expect(p.audio).toEqual([]);
    expect(p.durationSeconds).toBeCloseTo(2, 1);
    expect(readdirTmp()).toEqual([]);
  });

  test('corrects anamorphic pixels and does not upscale a small source', async () => {
    const src = join(dir, 'anamorphic.mp4');
    execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x120:rate=24:duration=1', '-vf', 'setsar=2/1', '-c:v', 'libx264', '-preset', 'ultrafast', src]);
    const r = await makeShotProxy(store, src, { start: 0, end: 1 }, { shortSide: 256, fps: 12 });
    const p = await probeMedia(store.pathOf(r.sha256));
    expect(p.video).toMatchObject({ width: 640, height: 120, fpsNum: 12 });
  });
});

describe('makeShotProxies', () => {
  /** Frames in a proxy, decoded. */
  const framesOf = (sha: string) =>
    Number(execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', store.pathOf(sha)]).toString().trim());

  test('one decode for a batch of shots: each gets its own frames, the same bytes as a run of that shot alone', async () => {
    // 24 fps, so a shot of n frames has a proxy of n frames. Shot times are rounded to the millisecond as
    // the library stores them: frame 25 starts at 1.041667 s, stored 1.042, and must still be the first.
    const clip = makeClip(join(dir, 'cuts24.mp4'), { seconds: 6, size: '320x180', rate: '24', audio: false });
    const cuts = [0, 25, 49, 50, 90, 144];
    const t = (f: number) => Math.round((f / 24) * 1000) / 1000;
    const spans = cuts.slice(0, -1).map((f, i) => ({ start: t(f), end: t(cuts[i + 1]!) }));
    const done: number[] = [];
    const batch = await makeShotProxies(store, clip, spans, { shortSide: 128, fps: 24 }, { sourceFps: 24, onProxy: (i) => void done.push(i) });
    expect(batch.map((r) => framesOf(r.sha256))).toEqual([25, 24, 1, 40, 54]);
    expect(done.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
    // A shot's proxy does not depend on which shots share its run, or on the order they were asked in.
    const alone = await makeShotProxy(store, clip, spans[3]!, { shortSide: 128, fps: 24 }, { sourceFps: 24 });
    expect(alone.sha256).toBe(batch[3]!.sha256);
    const reversed = await makeShotProxies(store, clip, [spans[4]!, spans[1]!], { shortSide: 128, fps: 24 }, { sourceFps: 24 });
    expect(reversed.map((r) => r.sha256)).toEqual([batch[4]!.sha256, batch[1]!.sha256]);
    // Nor on the run: the same batch again, while other tests keep the machine busy, gives the same bytes.
    for (let run = 0; run < 3; run++) {
      const again = await makeShotProxies(store, clip, spans, { shortSide: 128, fps: 24 }, { sourceFps: 24 });
      expect(again.map((r) => r.sha256)).toEqual(batch.map((r) => r.sha256));
    }
    expect(readdirTmp()).toEqual([]);
  });

  test(`more shots than one run takes (${PROXY_BATCH}) are split across runs, in order`, async () => {
    const clip = makeClip(join(dir, 'many.mp4'), { seconds: 5, size: '160x90', rate: '24', audio: false });
    const spans = Array.from({ length: PROXY_BATCH + 3 }, (_, i) => ({ start: t10(i), end: t10(i + 1) }));
    function t10(i: number) {
      return Math.round(((i * 10) / 24) * 1000) / 1000;
    }
    const r = await makeShotProxies(store, clip, spans, { shortSide: 90, fps: 24 }, { sourceFps: 24 });
    expect(r.map((x) => framesOf(x.sha256))).toEqual(spans.map(() => 10));
    expect(new Set(r.map((x) => x.sha256)).size).toBe(spans.length); // testsrc2's counter: every shot differs
  });
});

function readdirTmp(): string[] {
  try {
    return execFileSync('ls', [join(dir, 'store', 'tmp')]).toString().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

describe('keyframes and contact sheet', () => {
  test('extracts the exact frame asked for', async () => {
    // testsrc2 prints a running frame counter; frame 45 must differ from frames 44 and 46.
    const { sha256: sha, colourSig, hueSig } = await extractKeyframe(store, film, 45 * 1001 / 30000, 30000 / 1001);
    const again = await extractKeyframe(store, film, 45 * 1001 / 30000, 30000 / 1001);
    const other = await extractKeyframe(store, film, 46 * 1001 / 30000, 30000 / 1001);
    expect(again).toEqual({ sha256: sha, colourSig, hueSig });
    expect(colourSig).toMatch(/^[0-9a-f]{96}$/);
    expect(hueSig).toMatch(/^[0-9a-f]{48}$/);
    expect(other.sha256).not.toBe(sha);
    expect(readFileSync(store.pathOf(sha)).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  });

  test('a batch of keyframes (more than one ffmpeg run) gives the same pictures as one at a time', async () => {
    const frames = [3, 10, 20, 30, 44, 45, 46, 60, 90, 110];
    const rate = 30000 / 1001;
    const batch = await extractKeyframes(store, film, frames.map((f) => f / rate), rate);
    const single = [];
    for (const f of [3, 45, 110]) single.push(await extractKeyframe(store, film, f / rate, rate));
    expect([batch[0], batch[5], batch[9]]).toEqual(single);
    expect(new Set(batch.map((k) => k.sha256)).size).toBe(frames.length);
  });

  test('keyframes close together in a small constant-rate source come from one decode: the same frames and bytes as seeking', async () => {
    const probe = await probeMedia(film);
    const rate = 30000 / 1001;
    const frames = [110, 3, 45, 44, 46, 90, 45, 0, 119];
    const times = frames.map((f) => f / rate);
    expect(onePassPays(probe, times, rate)).toBe(true);
    const once = await keyframesInOnePass(store, film, times, rate, 320);
    expect(once).not.toBeNull(); // null: the pass did not find one frame per time
    const seeking = await extractKeyframes(store, film, times, rate);
    expect(once).toEqual(seeking);
    expect(await extractKeyframes(store, film, times, rate, { probe })).toEqual(seeking);
    expect(once![2]).toEqual(once![6]); // frame 45 asked twice
    expect(new Set(once!.map((k) => k.sha256)).size).toBe(new Set(frames).size);
    // A variable-rate source, or keyframes far apart in a large picture, keeps the seeks.
    expect(onePassPays({ ...probe, video: { ...probe.video, variableFrameRate: true } }, times, rate)).toBe(false);
    expect(onePassPays({ ...probe, video: { ...probe.video, width: 1920, height: 1080 } }, [0, 3600], 24)).toBe(false);
  });

  test('a film with more shots than one select expression holds: every frame of the clip, in passes', async () => {
    // ffmpeg refuses a select sum of 100 terms or more: a 5-minute film's 97 shots once failed its ingest.
    const probe = await probeMedia(film);
    const rate = 30000 / 1001;
    const times = Array.from({ length: 120 }, (_, f) => f / rate);
    expect(times.length).toBeGreaterThan(ONE_PASS_CHUNK);
    const once = await keyframesInOnePass(store, film, times, rate, 320);
    expect(once).not.toBeNull();
    expect(new Set(once!.map((k) => k.sha256)).size).toBe(120);
    for (const f of [0, ONE_PASS_CHUNK - 1, ONE_PASS_CHUNK, 119]) expect(once![f]).toEqual(await extractKeyframe(store, film, f / rate, rate));
    expect(await extractKeyframes(store, film, times, rate, { probe })).toEqual(once);
  });

  test('draws a labelled grid of keyframes', async () => {
    const shas = (await Promise.all([10, 40, 70, 100].map((f) => extractKeyframe(store, film, (f * 1001) / 30000, 30000 / 1001)))).map((k) => k.sha256);
    const out = join(dir, 'sheet.jpg');
    const grid = await renderContactSheet(
      shas.map((s, i) => ({ image: store.pathOf(s), label: `#${i}  ${timecode(i * 1.5, 30000 / 1001)}`, transitionIn: (['none', 'cut', 'dissolve', 'fade'] as const)[i]! })),
      out,
      { columns: 3 },
    );
    expect(grid).toMatchObject({ columns: 3, rows: 2 });
    const p = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', out]).toString().trim();
    expect(p).toBe(`${grid.width},${grid.height}`);
  });

  test('timecode counts frames at the nominal rate', () => {
    expect(timecode(0, 24)).toBe('00:00:00:00');
    expect(timecode(61.5, 24)).toBe('00:01:01:12');
    expect(timecode(3600, 25)).toBe('01:00:00:00');
  });
});
