import { describe, expect, it } from 'vitest';
import { deriveAppearances, demoCastList, demoGroundTruth, demoScreenplay, demoSubtitles, parseFountain, parseSubtitles, planDemoLibrary } from '../index.js';

describe('appearances from cast list + screenplay + subtitles', () => {
  it('covers every line each demo character speaks, within whole shots', () => {
    for (const film of planDemoLibrary({ films: 3, seed: 7 })) {
      const truth = demoGroundTruth(film);
      const derived = deriveAppearances({
        credits: demoCastList(film).cast,
        elements: parseFountain(demoScreenplay(film)).elements,
        subtitles: parseSubtitles(demoSubtitles(film)),
        shots: truth.shots.map((s) => ({ start: s.start, end: s.end })),
      });
      for (const shot of film.shots) {
        for (const line of shot.dialogue) {
          const person = film.cast.find((c) => c.character === line.character)!.person;
          const t = (line.startFrame + line.endFrame) / 2 / film.fps;
          const covering = derived.filter((a) => a.person === person && (a.start === null || (a.start <= t && a.end! >= t)));
          expect(covering.length, `${film.title}: ${line.character} at ${t}`).toBeGreaterThan(0);
        }
      }
      // Placed ranges start and end on shot boundaries.
      const edges = new Set(truth.shots.flatMap((s) => [s.start, s.end]));
      for (const a of derived) if (a.start !== null) expect(edges.has(a.start) && edges.has(a.end!)).toBe(true);
    }
  });

  it('falls back to the whole title when a scene cannot be placed or a character never speaks', () => {
    const elements = [
      { scene: 1, kind: 'scene_heading', text: 'INT. HALL - DAY' },
      { scene: 1, kind: 'character', text: 'MAYA (V.O.)' },
      { scene: 1, kind: 'dialogue', text: 'Not in the subtitles at all.' },
      { scene: 2, kind: 'character', text: 'OTTO' },
      { scene: 2, kind: 'dialogue', text: 'Hello there, friend!' },
    ];
    const out = deriveAppearances({
      credits: [{ character: 'MAYA', person: 'Ann' }, { character: 'OTTO', person: 'Bo' }, { character: 'SILENT', person: 'Cy' }],
      elements,
      subtitles: [{ start: 10, end: 12, text: 'Hello there, friend.' }],
    });
    expect(out.map((a) => [a.person, a.start, a.end])).toEqual([['Ann', null, null], ['Bo', 10, 12], ['Cy', null, null]]);
    expect(out[0]!.basis).toMatch(/scene\(s\) 1 that no subtitle places/);
  });
});
