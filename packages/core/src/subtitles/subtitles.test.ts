import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { InputError } from '../errors.js';
import { linkSubtitlesToShots, parseSubtitles } from './subtitles.js';

const SRT = `1
00:00:01,000 --> 00:00:02,500
<i>Look at it go.</i>

2
00:00:04,200 --> 00:00:06,000
{\\an8}It's only
a ball.

`;

const VTT = `WEBVTT - demo

NOTE written by hand

STYLE
::cue { color: yellow }

intro
00:01.000 --> 00:02.500 align:start
<v Maya>Look at it go.

01:00:04.200 --> 01:00:06.000
It's only &amp; a ball.
`;

function stamp(s: number, sep: string): string {
  const ms = Math.round(s * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const sec = Math.floor(ms / 1000) % 60;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(sec)}${sep}${pad(ms % 1000, 3)}`;
}

describe('parseSubtitles', () => {
  test('reads SRT cues, dropping markup and keeping line breaks', () => {
    expect(parseSubtitles(SRT)).toEqual([
      { idx: 0, start: 1, end: 2.5, text: 'Look at it go.' },
      { idx: 1, start: 4.2, end: 6, text: "It's only\na ball." },
    ]);
  });

  test('reads WebVTT cues with ids, settings, voices, hours and skips NOTE/STYLE blocks', () => {
    expect(parseSubtitles(VTT)).toEqual([
      { idx: 0, start: 1, end: 2.5, text: 'Look at it go.' },
      { idx: 1, start: 3604.2, end: 3606, text: "It's only & a ball." },
    ]);
  });

  test('a file without cues is an input error', () => {
    expect(() => parseSubtitles('hello\nworld\n')).toThrow(InputError);
  });

  test('any SRT written from cues reads back the same times and words', () => {
    const cue = fc.record({
      start: fc.integer({ min: 0, max: 10_000_000 }),
      len: fc.integer({ min: 1, max: 20_000 }),
      text: fc.stringMatching(/^[A-Za-z][A-Za-z ,.!?']{0,40}$/).map((t) => t.trim()).filter((t) => t.length > 0),
    });
    fc.assert(
      fc.property(fc.array(cue, { minLength: 1, maxLength: 20 }), (cues) => {
        const sorted = [...cues].sort((a, b) => a.start - b.start);
        const srt = sorted.map((c, i) => `${i + 1}\n${stamp(c.start / 1000, ',')} --> ${stamp((c.start + c.len) / 1000, ',')}\n${c.text}\n`).join('\n');
        const back = parseSubtitles(srt);
        expect(back.map((l) => [Math.round(l.start * 1000), Math.round(l.end * 1000), l.text])).toEqual(sorted.map((c) => [c.start, c.start + c.len, c.text]));
      }),
    );
  });
});

describe('linkSubtitlesToShots', () => {
  const shots = [
    { id: 's0', start: 0, end: 2 },
    { id: 's1', start: 2, end: 5 },
    { id: 's2', start: 5, end: 9 },
  ];

  test('links a line to every shot it overlaps and none it only touches', () => {
    const lines = parseSubtitles(SRT);
    expect(linkSubtitlesToShots(lines, shots)).toEqual([['s0', 's1'], ['s1', 's2']]);
    expect(linkSubtitlesToShots([{ idx: 0, start: 2, end: 5, text: 'x' }], shots)).toEqual([['s1']]);
  });

  test('every linked shot overlaps its line and every overlapping shot is linked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 1, max: 500 }),
        (lens, s, l) => {
          let t = 0;
          const sh = lens.map((n, i) => ({ id: `s${i}`, start: t / 10, end: (t += n) / 10 }));
          const line = { idx: 0, start: s / 10, end: (s + l) / 10, text: 'x' };
          const linked = new Set(linkSubtitlesToShots([line], sh)[0]);
          for (const shot of sh) expect(linked.has(shot.id)).toBe(shot.start < line.end && line.start < shot.end);
        },
      ),
    );
  });
});
