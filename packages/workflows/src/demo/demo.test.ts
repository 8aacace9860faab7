import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HELD_OUT, colourOf, type DemoGroundTruth } from '@backlot/core';
import { ffmpeg, ffprobe } from '@backlot/adapters/ffmpeg';
import { generateDemoLibrary, type DemoLibraryResult } from './index.js';

let dir: string;
let lib: DemoLibraryResult;
const events: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'backlot-demo-'));
  // Two short films keep the test quick while exercising the whole path through ffmpeg.
  lib = await generateDemoLibrary(dir, { films: 2, seed: 5, filmSeconds: 5, onProgress: (e) => events.push(`${e.task}:${e.done}/${e.total}${e.finished ? ':done' : ''}`) });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('generateDemoLibrary', () => {
  it('writes each film with its screenplay, subtitles, cast list, cue sheet and ground truth, plus world.json and a README', async () => {
    expect(lib.films).toHaveLength(2);
    for (const f of lib.films) {
      for (const ext of ['.mp4', '.fountain', '.srt', '.cast.json', '.cues.csv', '.truth.json']) expect(lib.files).toContain(join(dir, f.slug + ext));
    }
    for (const file of lib.files) expect((await stat(file)).size).toBeGreaterThan(0);
    const world = JSON.parse(await readFile(join(dir, 'world.json'), 'utf8'));
    expect(world.heldOut).toHaveLength(HELD_OUT.length);
    expect(await readFile(join(dir, 'README.md'), 'utf8')).toMatch(/generated/);
    expect(events).toContain(`demo:${lib.films[0]!.slug}:${lib.films[0]!.frames}/${lib.films[0]!.frames}:done`);
  });

  it('encodes H.264 yuv420p + AAC whose frame count and duration match the ground truth (ffprobe)', async () => {
    for (const f of lib.films) {
      const truth = JSON.parse(await readFile(join(dir, `${f.slug}.truth.json`), 'utf8')) as DemoGroundTruth;
      const { stdout } = await ffprobe(['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_type,codec_name,pix_fmt,width,height,r_frame_rate,nb_read_frames,duration:format=duration', '-of', 'json', join(dir, `${f.slug}.mp4`)]);
      const probe = JSON.parse(stdout.toString()) as { streams: Array<Record<string, string | number>>; format: { duration: string } };
      const video = probe.streams.find((s) => s.codec_type === 'video')!;
      const audio = probe.streams.find((s) => s.codec_type === 'audio')!;
      expect(video).toMatchObject({ codec_name: 'h264', pix_fmt: 'yuv420p', width: 320, height: 180, r_frame_rate: '24/1' });
      expect(Number(video.nb_read_frames)).toBe(truth.frames);
      expect(Number(video.duration)).toBeCloseTo(truth.frames / truth.fps, 2);
      expect(audio.codec_name).toBe('aac');
      expect(Math.abs(Number(audio.duration) - truth.frames / truth.fps)).toBeLessThan(0.05);
    }
  });

  it('shows the planned object colour where the ground truth says, after encoding', async () => {
    const f = lib.films[0]!;
    const truth = JSON.parse(await readFile(join(dir, `${f.slug}.truth.json`), 'utf8')) as DemoGroundTruth;
    const shot = truth.shots[0]!;
    const frame = Math.floor((shot.cleanStart + shot.cleanEnd) / 2);
    const { stdout } = await ffmpeg(['-v', 'error', '-i', join(dir, `${f.slug}.mp4`), '-vf', `select=eq(n\\,${frame})`, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
    expect(stdout.length).toBe(320 * 180 * 3);
    // The pixels closest to the object's colour should sit in the centred square and be close in colour.
    const rgb = colourOf(shot.combo.colour).rgb;
    let best = Infinity;
    let bx = 0;
    for (let i = 0; i < stdout.length; i += 3) {
      const d = Math.abs(stdout[i]! - rgb[0]) + Math.abs(stdout[i + 1]! - rgb[1]) + Math.abs(stdout[i + 2]! - rgb[2]);
      if (d < best) {
        best = d;
        bx = (i / 3) % 320;
      }
    }
    expect(best).toBeLessThan(40);
    expect(bx).toBeGreaterThanOrEqual(70);
    expect(bx).toBeLessThan(250);
  });

  it('skips films that are already there and identical on a second run', async () => {
    const again = await generateDemoLibrary(dir, { films: 2, seed: 5, filmSeconds: 5 });
    expect(again.films.every((f) => f.upToDate)).toBe(true);
    expect(again.files).toEqual(lib.files);
  });

  it('stops when cancelled and leaves no half-written film behind', async () => {
    const other = await mkdtemp(join(tmpdir(), 'backlot-demo-abort-'));
    try {
      const ac = new AbortController();
      const run = generateDemoLibrary(other, { films: 1, seed: 9, filmSeconds: 20, signal: ac.signal, onProgress: (e) => e.unit === 'frames' && e.done >= 48 && ac.abort(new Error('cancelled by test')) });
      await expect(run).rejects.toThrow(/cancelled by test/);
      expect(await readdir(other)).toEqual([]);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('refuses a film count outside 1..8 with one line naming the flag', async () => {
    await expect(generateDemoLibrary(dir, { films: 0 })).rejects.toThrow(/--films must be a whole number from 1 to 8/);
  });
});
