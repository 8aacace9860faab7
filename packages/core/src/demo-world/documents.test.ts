import { describe, expect, it } from 'vitest';
import { backgroundOf } from './world.js';
import { planDemoLibrary } from './plan.js';
import { demoScreenplay } from './screenplay.js';
import { demoSubtitles } from './subtitles.js';
import { CUE_SHEET_COLUMNS, demoCastList, demoCueSheet } from './credits.js';
import { DEMO_SAMPLE_RATE, renderDemoAudio, wavFile } from './audio.js';
import { demoGroundTruth } from './groundtruth.js';

const films = planDemoLibrary({ seed: 3, films: 3 });

/** Just enough Fountain to check structure: title page, then scenes of heading, action, dialogue. */
function parseFountain(text: string) {
  const [titlePage, ...rest] = text.split('\n\n');
  const title = Object.fromEntries(titlePage!.split('\n').map((l) => l.split(/:\s*/, 2) as [string, string]));
  const scenes: Array<{ heading: string; number: number; action: string[]; dialogue: Array<{ character: string; text: string }>; transition?: string }> = [];
  for (const block of rest.map((b) => b.trim()).filter(Boolean)) {
    const lines = block.split('\n');
    const heading = /^((?:INT|EXT)\. .+ - .+) #(\d+)#$/.exec(block);
    if (heading) {
      scenes.push({ heading: heading[1]!, number: Number(heading[2]), action: [], dialogue: [] });
      continue;
    }
    const scene = scenes.at(-1);
    if (!scene) throw new Error(`text before the first scene heading: ${block}`);
    if (/^[A-Z ]+TO:$/.test(block)) scene.transition = block;
    else if (lines.length === 2 && /^[A-Z][A-Z .']+$/.test(lines[0]!)) scene.dialogue.push({ character: lines[0]!, text: lines[1]! });
    else if (!block.startsWith('>')) scene.action.push(block);
  }
  return { title, scenes };
}

function parseSrt(text: string) {
  const t = (s: string) => {
    const [h, m, rest] = s.split(':');
    const [sec, ms] = rest!.split(',');
    return Number(h) * 3600 + Number(m) * 60 + Number(sec) + Number(ms) / 1000;
  };
  return text
    .trim()
    .split('\n\n')
    .map((block) => {
      const [n, times, ...lines] = block.split('\n');
      const [a, b] = times!.split(' --> ');
      return { n: Number(n), start: t(a!), end: t(b!), text: lines.join('\n') };
    });
}

describe('demo screenplay (Fountain)', () => {
  for (const film of films) {
    it(`has one scene per shot whose heading and action line say what is on screen (${film.slug})`, () => {
      const { title, scenes } = parseFountain(demoScreenplay(film));
      expect(title.Title).toBe(film.title);
      expect(title.Author).toBe(film.director);
      expect(scenes).toHaveLength(film.shots.length);
      scenes.forEach((scene, i) => {
        const shot = film.shots[i]!;
        expect(scene.number).toBe(i + 1);
        expect(scene.heading).toBe(backgroundOf(shot.combo.background).heading);
        const words = scene.action[0]!.toLowerCase().replace(/\.$/, '').split(' ');
        for (const w of [shot.combo.colour, shot.combo.shape, shot.combo.direction]) expect(words).toContain(w);
        expect(words[words.indexOf('moving') + 1]).toBe(shot.combo.direction);
        if (shot.camera.kind === 'pan') expect(scene.action).toContain(`The camera pans ${shot.camera.speed > 0 ? 'right' : 'left'}.`);
        expect(scene.dialogue.map((d) => d.text)).toEqual(shot.dialogue.map((d) => d.text));
        for (const d of scene.dialogue) expect(film.cast.map((c) => c.character)).toContain(d.character);
        const next = film.shots[i + 1];
        if (next) expect(scene.transition).toBe(`${{ cut: 'CUT', dissolve: 'DISSOLVE', wipe: 'WIPE', fade: 'FADE', none: '' }[next.transitionIn.kind]} TO:`);
      });
      // Most scenes have dialogue.
      expect(scenes.filter((s) => s.dialogue.length > 0).length).toBeGreaterThan(scenes.length / 2);
    });
  }
});

describe('demo subtitles (SRT)', () => {
  it('never repeat a line within a film, so each subtitle matches one screenplay line', () => {
    for (const film of planDemoLibrary({ seed: 1 })) {
      const lines = film.shots.flatMap((s) => s.dialogue.map((d) => d.text));
      expect(new Set(lines).size).toBe(lines.length);
    }
  });

  it('time every dialogue line inside the clean frames of the shot where it is spoken', () => {
    for (const film of films) {
      const cues = parseSrt(demoSubtitles(film));
      const truth = demoGroundTruth(film);
      const spoken = film.shots.flatMap((s) => s.dialogue.map((d) => ({ d, s: truth.shots[s.index]! })));
      expect(cues.map((c) => c.text)).toEqual(spoken.map(({ d }) => d.text));
      cues.forEach((c, k) => {
        const { s } = spoken[k]!;
        expect(c.n).toBe(k + 1);
        expect(c.start).toBeGreaterThanOrEqual(s.cleanStart / film.fps - 0.001);
        expect(c.end).toBeLessThanOrEqual((s.cleanEnd + 1) / film.fps + 0.001);
        expect(c.end - c.start).toBeGreaterThan(1);
      });
    }
  });
});

describe('demo cast list and cue sheet', () => {
  it('cast invented characters with actors, some of whom appear in several films', () => {
    const lists = films.map(demoCastList);
    for (const l of lists) {
      expect(l.cast.length).toBeGreaterThanOrEqual(3);
      for (const c of l.cast) {
        expect(c.character).toMatch(/^[A-Z]+$/);
        expect(c.person).toMatch(/^[A-Z][a-z]+ [A-Z]/);
      }
    }
    const people = lists.flatMap((l) => [...new Set(l.cast.map((c) => c.person))]);
    expect(new Set(people).size).toBeLessThan(people.length);
  });

  it('lists music cues that the soundtrack really plays, and silence between them', () => {
    for (const film of films) {
      const csv = demoCueSheet(film).trim().split('\n');
      expect(csv[0]).toBe(CUE_SHEET_COLUMNS.join(','));
      expect(csv).toHaveLength(film.cues.length + 1);
      const pcm = renderDemoAudio(film);
      expect(pcm.length).toBe(Math.round((film.frames / film.fps) * DEMO_SAMPLE_RATE));
      const rms = (a: number, b: number) => {
        let s = 0;
        const i0 = Math.round(a * DEMO_SAMPLE_RATE);
        const i1 = Math.round(b * DEMO_SAMPLE_RATE);
        for (let i = i0; i < i1; i++) s += pcm[i]! ** 2;
        return Math.sqrt(s / Math.max(1, i1 - i0));
      };
      let prevOut = 0;
      for (const cue of film.cues) {
        expect(cue.in).toBeGreaterThanOrEqual(prevOut);
        expect(cue.out).toBeGreaterThan(cue.in + 2);
        expect(cue.out).toBeLessThanOrEqual(film.frames / film.fps);
        expect(rms(cue.in + 0.5, cue.out - 0.5)).toBeGreaterThan(1000);
        if (cue.in - prevOut > 0.2) expect(rms(prevOut + 0.05, cue.in - 0.05)).toBe(0);
        prevOut = cue.out;
      }
      const wav = wavFile(pcm);
      expect(new TextDecoder().decode(wav.subarray(0, 4))).toBe('RIFF');
      expect(wav.byteLength).toBe(44 + pcm.length * 2);
    }
  });
});
