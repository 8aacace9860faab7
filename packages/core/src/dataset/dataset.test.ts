import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DatasetAdmission } from './admission.js';
import { alignScreenplay, buildCaption, describeHeading, matchDialogue, sceneForShot, subtitlesOverlapping, textSimilarity, type ScreenplayElementInput, type SubtitleInput } from './captions.js';
import { diffSnapshots, shotStates, type DatasetChange } from './diff.js';
import { encodeRecordHeader, parseRecordHeader } from './shard-format.js';
import { splitByTitle } from './split.js';
import type { Exclusion, ManifestEntry } from './types.js';

// A three-scene screenplay as ingest stores it (parsed Fountain), and the film's subtitles.
//   EXT. NIGHT SKY - NIGHT / A red ball moving left. / NARRATOR / The red ball rolls away to the left.
//   INT. BRICK WALL - DAY / A blue square moving up. / NARRATOR / Up goes the blue square.
//   EXT. GRASS FIELD - DAY / A green triangle moving right. / (no dialogue)
const screenplay: ScreenplayElementInput[] = [
  { idx: 0, scene: 1, kind: 'scene_heading', text: 'EXT. NIGHT SKY - NIGHT' },
  { idx: 1, scene: 1, kind: 'action', text: 'A red ball moving left.' },
  { idx: 2, scene: 1, kind: 'character', text: 'NARRATOR' },
  { idx: 3, scene: 1, kind: 'dialogue', text: 'The red ball rolls away to the left.' },
  { idx: 4, scene: 2, kind: 'scene_heading', text: 'INT. BRICK WALL - DAY' },
  { idx: 5, scene: 2, kind: 'action', text: 'A blue square moving up.' },
  { idx: 6, scene: 2, kind: 'character', text: 'NARRATOR' },
  { idx: 7, scene: 2, kind: 'dialogue', text: 'Up goes the blue square!' },
  { idx: 8, scene: 3, kind: 'scene_heading', text: 'EXT. GRASS FIELD - DAY' },
  { idx: 9, scene: 3, kind: 'action', text: 'A green triangle moving right.' },
];
const subtitles: SubtitleInput[] = [
  { idx: 1, start: 0.2, end: 1.8, text: '<i>The red ball rolls away\nto the left.</i>' },
  { idx: 2, start: 2.3, end: 3.7, text: 'Up goes the blue square.' },
];
const shots = [
  { start: 0, end: 2, meanLuma: 30, motion: 4 },
  { start: 2, end: 4, meanLuma: 120, motion: 4 },
  { start: 4, end: 6, meanLuma: 200, motion: 0.5 },
];

describe('captions from screenplay and subtitles', () => {
  const alignment = alignScreenplay(screenplay, subtitles, 6);

  it('matches dialogue to subtitles despite markup, line breaks and punctuation', () => {
    expect(alignment.matches.map((m) => [m.elementIdx, m.subtitleIdx])).toEqual([[3, 1], [7, 2]]);
    expect(textSimilarity('Up goes the blue square!', 'up goes the blue square')).toBe(1);
    expect(textSimilarity('The red ball', 'A green triangle moving right')).toBeLessThan(0.5);
  });

  it('places anchored scenes at their subtitles and the unanchored last scene after them', () => {
    const [s1, s2, s3] = alignment.scenes;
    expect(s1!.start).toBe(0);
    expect(s2!.start).toBeCloseTo(2.05);
    expect(s3!.start).toBeCloseTo(3.7);
    expect(s3!.end).toBe(6);
    expect(s3!.anchored).toBe(false);
  });

  it("gives each shot its scene heading, its action line and the subtitle under it", () => {
    const captions = shots.map((shot) => buildCaption({ title: { name: 'Demo Film', year: 2026 }, shot, alignment, subtitles }));
    expect(captions[0]).toBe('A red ball moving left. Exterior, night sky, night. Dialogue: "The red ball rolls away to the left." Dark, moderate motion, 2.0 s shot. From Demo Film (2026).');
    expect(captions[1]).toContain('A blue square moving up. Interior, brick wall, day.');
    expect(captions[1]).toContain('Dialogue: "Up goes the blue square."');
    expect(captions[2]).toMatch(/^A green triangle moving right\. Exterior, grass field, day\. Bright, still, 2\.0 s shot\./);
  });

  it("always leads with the scene's first action line and skips cards like THE END", () => {
    const els: ScreenplayElementInput[] = [
      { idx: 0, scene: 1, kind: 'scene_heading', text: 'EXT. CITY STREET - DUSK #4#' },
      { idx: 1, scene: 1, kind: 'action', text: 'A yellow ball moving down.' },
      { idx: 2, scene: 1, kind: 'action', text: 'The camera pans across the scene.' },
      { idx: 3, scene: 1, kind: 'character', text: 'KAI' },
      { idx: 4, scene: 1, kind: 'dialogue', text: 'It is beautiful, is it not?' },
      { idx: 5, scene: 1, kind: 'action', text: 'THE END' },
    ];
    const subs = [{ idx: 1, start: 1, end: 2.5, text: 'It is beautiful, is it not?' }];
    const al = alignScreenplay(els, subs, 8);
    const caption = buildCaption({ title: { name: 'Paper Kites', year: 2021 }, shot: { start: 4, end: 8, meanLuma: 120, motion: 9 }, alignment: al, subtitles: subs });
    expect(caption).toBe('A yellow ball moving down. The camera pans across the scene. Exterior, city street, dusk. Medium brightness, fast motion, 4.0 s shot. From Paper Kites (2021).');
  });

  it("moves a scene change to the nearest cut, so a shot after a scene's last line keeps its scene", () => {
    // The demo's "Paper Kites": scene 2's one line ends at 5.2 s, scene 3 has none, scene 4 speaks at 10 s;
    // the picture changes at 3.0 s (scene 1 -> 2), 6.7 s (2 -> 3) and 9.8 s (3 -> 4).
    const els: ScreenplayElementInput[] = [];
    const scene = (n: number, heading: string, line?: string) => {
      els.push({ idx: els.length, scene: n, kind: 'scene_heading', text: heading });
      if (line) els.push({ idx: els.length, scene: n, kind: 'dialogue', text: line });
    };
    scene(1, 'EXT. NIGHT SKY - NIGHT', 'This changes everything.');
    scene(2, 'EXT. DAY SKY - DAY', 'Hold still, I want a picture.');
    scene(3, 'EXT. NIGHT SKY - NIGHT');
    scene(4, 'EXT. CITY STREET - DUSK', 'My grandmother used to talk about these.');
    const subs = [
      { idx: 1, start: 0.333, end: 1.542, text: 'This changes everything.' },
      { idx: 2, start: 3.958, end: 5.167, text: 'Hold still, I want a picture.' },
      { idx: 3, start: 10, end: 11.625, text: 'My grandmother used to talk about these.' },
    ];
    const shot = { start: 3.833, end: 6.667 };   // the day-sky shot, its wipe cut off
    expect(sceneForShot(alignScreenplay(els, subs, 14), shot.start, shot.end)!.scene).toBe(3);   // by dialogue alone: wrong
    const al = alignScreenplay(els, subs, 14, [0, 3, 6.708, 9.792]);
    expect(al.scenes.map((x) => [x.start, x.end])).toEqual([[0, 3], [3, 6.708], [6.708, 9.792], [9.792, 14]]);
    expect(sceneForShot(al, shot.start, shot.end)!.scene).toBe(2);
    expect(sceneForShot(al, 6.708, 9.75)!.scene).toBe(3);

    // "Lanterns Over Ashgrove": the cut nearest the change to scene 3 lies after scene 3's first line,
    // so the change goes to the cut before it (a line reaches at most LINE_OVER_CUT across a cut).
    const subs2 = [subs[0]!, { idx: 2, start: 3.2, end: 4, text: 'Hold still, I want a picture.' }, { idx: 3, start: 10.5, end: 11.7, text: 'My grandmother used to talk about these.' }];
    const al2 = alignScreenplay(els, subs2, 14, [4.6, 8.2, 12.4]);
    expect(al2.scenes.map((x) => x.end)).toEqual([(1.542 + 3.2) / 2, 4.6, 8.2, 14]);   // no cut near the first change: halfway stays
    expect(sceneForShot(al2, 8.2, 12.4)!.scene).toBe(4);
  });

  it('snapped to any cuts, scenes still tile the film in script order and their boundaries move only onto cuts', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 10 }),
        fc.array(fc.double({ min: 0, max: 50, noNaN: true }), { maxLength: 10 }),
        fc.array(fc.double({ min: 0, max: 60, noNaN: true }), { maxLength: 30 }),
        (withDialogue, starts, cuts) => {
          const els: ScreenplayElementInput[] = [];
          withDialogue.forEach((d, k) => {
            els.push({ idx: els.length, scene: k + 1, kind: 'scene_heading', text: `EXT. PLACE ${k} - DAY` });
            if (d) els.push({ idx: els.length, scene: k + 1, kind: 'dialogue', text: `line number ${k} of the film` });
          });
          const subtitles = starts.sort((a, b) => a - b).map((x, i) => ({ idx: i + 1, start: x, end: x + 1, text: `line number ${i} of the film` }));
          const plain = alignScreenplay(els, subtitles, 60).scenes;
          const snapped = alignScreenplay(els, subtitles, 60, cuts).scenes;
          expect(snapped.map((x) => x.scene)).toEqual(plain.map((x) => x.scene));
          expect(snapped[0]!.start).toBe(plain[0]!.start);
          expect(snapped.at(-1)!.end).toBe(plain.at(-1)!.end);
          snapped.forEach((x, k) => {
            if (k > 0) expect(x.start).toBe(snapped[k - 1]!.end);
            expect(x.end).toBeGreaterThanOrEqual(x.start);
            if (k + 1 < snapped.length && x.end !== plain[k]!.end) expect(cuts).toContain(x.end);
          });
        },
      ),
    );
  });

  it('without a screenplay still describes the shot from measures and title', () => {
    expect(buildCaption({ title: { name: 'Reel', year: null }, shot: shots[0]!, alignment: null, subtitles: [] })).toBe('Dark, moderate motion, 2.0 s shot. From Reel.');
  });

  it('reads scene headings in their common forms', () => {
    expect(describeHeading('INT./EXT. CAR - MOVING')).toBe('Interior and exterior, car, moving.');
    expect(describeHeading('.ROOFTOP')).toBe('Rooftop.');
    expect(describeHeading('EXT. NIGHT SKY - NIGHT')).toBe('Exterior, night sky, night.');
  });

  it('dialogue matching is monotonic: every match is later in both script and subtitles', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('red ball', 'blue square goes up', 'the green triangle', 'hello there friend', 'night falls'), { maxLength: 12 }), fc.array(fc.constantFrom('red ball', 'blue square goes up', 'the green triangle', 'hello there friend', 'night falls'), { maxLength: 12 }), (d, s) => {
        const ms = matchDialogue(d.map((text, idx) => ({ idx, scene: 1, kind: 'dialogue', text })), s.map((text, idx) => ({ idx, start: idx, end: idx + 1, text })));
        for (let k = 1; k < ms.length; k++) {
          expect(ms[k]!.elementIdx).toBeGreaterThan(ms[k - 1]!.elementIdx);
          expect(ms[k]!.subtitleIdx).toBeGreaterThan(ms[k - 1]!.subtitleIdx);
        }
      }),
    );
  });
});

describe('indexed lookups match a plain scan', () => {
  it('sceneForShot picks the scene of largest overlap and subtitlesOverlapping finds exactly the overlapping lines', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }),
        fc.array(fc.record({ start: fc.double({ min: 0, max: 50, noNaN: true }), len: fc.double({ min: 0.1, max: 8, noNaN: true }) }), { maxLength: 12 }),
        fc.double({ min: 0, max: 60, noNaN: true }),
        fc.double({ min: 0, max: 10, noNaN: true }),
        (withDialogue, subs, start, len) => {
          const els: ScreenplayElementInput[] = [];
          withDialogue.forEach((d, k) => {
            els.push({ idx: els.length, scene: k + 1, kind: 'scene_heading', text: `EXT. PLACE ${k} - DAY` });
            if (d) els.push({ idx: els.length, scene: k + 1, kind: 'dialogue', text: `line number ${k} of the film` });
          });
          const subtitles = subs.map((x, i) => ({ idx: i + 1, start: x.start, end: x.start + x.len, text: `line number ${i} of the film` }));
          const al = alignScreenplay(els, subtitles, 60);
          const end = start + len;
          let best = null;
          let bo = -Infinity;
          for (const sc of al.scenes) {
            const o = Math.min(end, sc.end) - Math.max(start, sc.start);
            if (o > bo) [best, bo] = [sc, o];
          }
          const got = sceneForShot(al, start, end);
          if (len > 0) expect(Math.min(end, got!.end) - Math.max(start, got!.start)).toBeCloseTo(bo, 9);
          else expect(got).not.toBeNull();
          expect(subtitlesOverlapping(subtitles, start, end).map((x) => x.idx).sort()).toEqual(subtitles.filter((x) => Math.min(x.end, end) - Math.max(x.start, start) > 0).map((x) => x.idx).sort());
          void best;
        },
      ),
    );
  });
});

describe('split by title', () => {
  it('puts no title in both splits, ignores input order and honours the fraction', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }), { maxLength: 60 }), fc.double({ min: 0, max: 0.9, noNaN: true }), (titles, f) => {
        const a = splitByTitle(titles, f);
        const b = splitByTitle([...titles].reverse(), f);
        expect([...a.entries()].sort()).toEqual([...b.entries()].sort());
        const val = [...a.values()].filter((s) => s === 'val').length;
        if (titles.length >= 2 && f > 0) {
          expect(val).toBeGreaterThanOrEqual(1);
          expect(val).toBeLessThanOrEqual(titles.length - 1);
          expect(Math.abs(val - f * titles.length)).toBeLessThanOrEqual(1);
        } else expect(val).toBe(0);
      }),
    );
  });
});

describe('admission', () => {
  const shot = (shotId: string, over: Partial<Parameters<DatasetAdmission['admit']>[0]> = {}) => ({ shotId, titleId: 't1', start: 0, end: 2, isBlack: false, dupGroup: null, proxySha256: 'p', ...over });

  it('records every reason a shot is left out, policy first', () => {
    const adm = new DatasetAdmission({ minSeconds: 1, maxPerTitle: null });
    const out = adm.admit(shot('a-1', { end: 0.5, isBlack: true }), { allowed: false, reasons: [{ rule: 'rights.no_grant', detail: 'no grant', ref: null }] });
    expect(out.included).toBe(false);
    if (!out.included) expect(out.exclusion.reasons.map((r) => r.rule)).toEqual(['rights.no_grant', 'dataset.black', 'dataset.min_seconds']);
  });

  it('caps clips per title and drops later duplicates of one picture, saying which', () => {
    const adm = new DatasetAdmission({ minSeconds: 0, maxPerTitle: 1 });
    const ok = { allowed: true, reasons: [] };
    expect(adm.admit(shot('a-1', { dupGroup: 'g' }), ok).included).toBe(true);
    const dup = adm.admit(shot('a-2', { dupGroup: 'g', titleId: 't2' }), ok);
    expect(!dup.included && dup.exclusion.reasons[0]).toMatchObject({ rule: 'dataset.duplicate', ref: 'shot:a-1' });
    const cap = adm.admit(shot('a-3'), ok);
    expect(!cap.included && cap.exclusion.reasons[0]!.rule).toBe('dataset.max_per_title');
    expect(adm.titlesAdmitted()).toEqual(['t1']);
  });

  it('never admits a shot the policy refused, whatever the rules', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ allowed: fc.boolean(), seconds: fc.double({ min: 0, max: 5, noNaN: true }), black: fc.boolean() }), { maxLength: 30 }), fc.integer({ min: 0, max: 3 }), (xs, cap) => {
        const adm = new DatasetAdmission({ minSeconds: 0.5, maxPerTitle: cap || null });
        xs.forEach((x, i) => {
          const out = adm.admit(shot(`s-${i}`, { end: x.seconds, isBlack: x.black }), { allowed: x.allowed, reasons: x.allowed ? [] : [{ rule: 'rights.x', detail: 'x', ref: null }] });
          if (!x.allowed) expect(out.included).toBe(false);
        });
      }),
    );
  });
});

describe('shard record header', () => {
  it('round-trips and rejects garbage naming where', () => {
    const h = { clipId: 'a-1:0-47', titleId: 't', caption: 'A red ball.', frames: 2, height: 64, width: 64, channels: 3 as const, fps: 12 };
    const buf = encodeRecordHeader(h);
    expect(buf.readUInt32LE(0)).toBe(buf.length - 4);
    expect(parseRecordHeader(buf.subarray(4), 'x')).toEqual(h);
    expect(() => parseRecordHeader('{"clipId":1}', 'train-00000.bls@0')).toThrow(/train-00000.bls@0/);
  });
});

describe('diff', () => {
  async function* from<T>(xs: T[]) {
    yield* xs;
  }
  const clip = (shotId: string, caption = 'c'): ManifestEntry => ({ clipId: shotId, shotId, titleId: 't', title: 'T', sourceSha256: 's', proxySha256: 'p', startFrame: 0, endFrame: 1, start: 0, end: 1, caption, split: 'train', shard: 'x', record: 0, frames: 1, clipSha256: 'h', attributes: { meanLuma: 0, motion: 0, seconds: 1 } });
  const excl = (shotId: string, rule: string): Exclusion => ({ shotId, titleId: 't', reasons: [{ rule, detail: rule, ref: null }] });

  it('shows what entered, what left and why, and what changed', async () => {
    const a = shotStates(from([clip('a'), clip('b'), clip('d')]), from([excl('c', 'rights.no_grant')]));
    const b = shotStates(from([clip('a', 'new caption'), clip('c'), clip('e')]), from([excl('b', 'rights.consent_revoked')]));
    const out: DatasetChange[] = [];
    for await (const ch of diffSnapshots(a, b)) out.push(ch);
    expect(out.map((c) => [c.kind, c.shotId])).toEqual([['changed', 'a'], ['left', 'b'], ['entered', 'c'], ['left', 'd'], ['entered', 'e']]);
    expect(out[1]).toMatchObject({ why: 'rights.consent_revoked: rights.consent_revoked' });
    expect(out[2]).toMatchObject({ why: 'no longer excluded (was rights.no_grant: rights.no_grant)' });
    expect(out[3]).toMatchObject({ why: 'shot not in the later snapshot' });
    expect(out[0]).toMatchObject({ fields: ['caption'] });
  });
});
