// Real broken inputs for ingest tests, each made by ffmpeg or by damaging a real file, with the
// words its one-line error must contain.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A small real H.264/AAC clip made by ffmpeg (testsrc2 picture, sine tone). */
export function makeClip(path: string, opts: { seconds?: number; size?: string; rate?: string; title?: string; audio?: boolean; source?: string } = {}): string {
  const { seconds = 2, size = '320x240', rate = '24', audio = true } = opts;
  const source = opts.source ?? `testsrc2=size=${size}:rate=${rate}:duration=${seconds}`;
  const args = ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', source];
  if (audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`);
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p');
  if (audio) args.push('-c:a', 'aac', '-shortest');
  if (opts.title) args.push('-metadata', `title=${opts.title}`);
  args.push(path);
  execFileSync('ffmpeg', args);
  return path;
}

export interface BadInput {
  path: string;
  /** Words the error line must contain (case-insensitive). */
  expect: RegExp;
}

/** Makes one file per kind of bad input in dir. `unreadable` only bites when not running as root. */
export function makeBadInputs(dir: string): Record<string, BadInput> {
  const good = makeClip(join(dir, 'source-for-damage.mp4'), { seconds: 2 });
  const bytes = readFileSync(good);

  const zero = join(dir, 'zero.mp4');
  writeFileSync(zero, '');

  // ffmpeg writes moov at the end: cutting the file leaves ftyp + part of mdat, as an interrupted copy would.
  const truncated = join(dir, 'truncated.mp4');
  writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));

  const text = join(dir, 'notes.mp4');
  writeFileSync(text, 'These are my notes about the shoot, not a video.\n'.repeat(20));

  const audioOnly = join(dir, 'tone.m4a');
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'aac', audioOnly]);

  const image = join(dir, 'still.png');
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=64x64', '-frames:v', '1', image]);

  // Rename the sample entry's codec (avc1 -> xq12): a container ffmpeg reads holding a codec it cannot decode.
  const codec = join(dir, 'odd-codec.mp4');
  const stsd = bytes.indexOf('stsd');
  const at = bytes.indexOf('avc1', stsd);
  const patched = Buffer.from(bytes);
  patched.write('xq12', at, 'latin1');
  writeFileSync(codec, patched);

  const unreadable = join(dir, 'locked.mp4');
  copyFileSync(good, unreadable);
  chmodSync(unreadable, 0o000);

  return {
    missing: { path: join(dir, 'does-not-exist.mp4'), expect: /no such file/i },
    zero: { path: zero, expect: /empty file \(0 bytes\)/i },
    truncated: { path: truncated, expect: /truncated.*moov atom not found/i },
    text: { path: text, expect: /text file, not a video/i },
    audioOnly: { path: audioOnly, expect: /no video stream \(audio only/i },
    image: { path: image, expect: /still image/i },
    codec: { path: codec, expect: /unsupported video codec/i },
    unreadable: { path: unreadable, expect: /permission denied/i },
  };
}

export const runningAsRoot = process.getuid?.() === 0;
