import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { IngestError } from '@backlot/core';
import { makeBadInputs, makeClip, runningAsRoot, type BadInput } from '../../../../test/support/bad-media.js';
import { probeMedia } from './probe.js';

let dir: string;
let bad: Record<string, BadInput>;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'backlot-probe-'));
  bad = makeBadInputs(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('probeMedia', () => {
  test('reads container, codecs, exact 23.976 rate, audio streams and the embedded title', async () => {
    const f = makeClip(join(dir, 'ntsc.mp4'), { rate: '24000/1001', title: 'The Long Night' });
    const p = await probeMedia(f);
    expect(p.container).toBe('mp4');
    expect(p.video).toMatchObject({ codec: 'h264', width: 320, height: 240, fpsNum: 24000, fpsDen: 1001, variableFrameRate: false, rotation: 0 });
    expect(p.video.sampleAspectRatio).toBe('1:1');
    expect(p.audio).toHaveLength(1);
    expect(p.audio[0]).toMatchObject({ codec: 'aac', channels: 1 });
    expect(p.tags.title).toBe('The Long Night');
    expect(p.durationSeconds).toBeGreaterThan(1.9);
  });

  test('reads 29.97 fps, rotation and anamorphic sample aspect ratio', async () => {
    const src = makeClip(join(dir, 'src2997.mp4'), { rate: '30000/1001', audio: false });
    const sar = join(dir, 'sar.mp4');
    execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', src, '-c:v', 'libx264', '-preset', 'ultrafast', '-vf', 'setsar=4/3', sar]);
    // A phone marks portrait video with a display rotation on the stream, not by turning pixels.
    const f = join(dir, 'rot.mp4');
    execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', sar, '-c', 'copy', '-metadata:s:v', 'rotate=90', f]);
    const p = await probeMedia(f);
    expect(p.video.fpsNum / p.video.fpsDen).toBeCloseTo(29.97, 2);
    expect([90, 270]).toContain(p.video.rotation);
    expect(p.video.sampleAspectRatio).toBe('4:3');
  });

  test('flags a variable frame rate recording', async () => {
    // A gap in the timestamps (frames 10-40 never recorded), as a phone drops frames in low light.
    const f = join(dir, 'vfr.mp4');
    execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=30:duration=3', '-vf', "select='not(between(n,10,40))'", '-fps_mode', 'vfr', '-c:v', 'libx264', '-preset', 'ultrafast', f]);
    const p = await probeMedia(f);
    expect(p.video.variableFrameRate).toBe(true);
  });

  const cases = ['missing', 'zero', 'truncated', 'text', 'audioOnly', 'image', 'codec', ...(runningAsRoot ? [] : ['unreadable'])];
  test.each(cases)('rejects %s input with one line naming the file', async (name) => {
    const c = bad[name]!;
    const err = await probeMedia(c.path).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(IngestError);
    const msg = (err as IngestError).message;
    expect(msg).toMatch(c.expect);
    expect(msg.startsWith(c.path)).toBe(true);
    expect(msg).not.toContain('\n');
  });
});
