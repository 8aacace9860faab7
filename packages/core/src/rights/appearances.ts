// Appearances derived from what the studio already keeps: the cast list (character -> person) and
// the screenplay's character cues, placed in time by matching dialogue to subtitles, then widened
// to whole shots. A scene that cannot be placed, or a credited character who never speaks, gives an
// appearance over the whole title: when in doubt the person is assumed on screen (default deny).

export interface CreditLine {
  character: string;
  person: string;
  /** Other spellings of the character (the cast list's aliases). */
  aliases?: string[];
}

export interface ScriptElement {
  scene: number;
  kind: string;
  text: string;
}

export interface TimedLine {
  start: number;
  end: number;
  text: string;
}

export interface DerivedAppearance {
  person: string;
  character: string;
  /** Seconds; both null = the whole title. */
  start: number | null;
  end: number | null;
  /** Screenplay scenes the range covers (empty for whole-title appearances). */
  scenes: number[];
  /** Why this range: "scenes 3, 4 placed by 2 subtitle matches" or why it is the whole title. */
  basis: string;
}

const normText = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
/** "JUNO (V.O.)", "JUNO (CONT'D)", "@juno" -> "JUNO". */
const normCue = (s: string) => s.replace(/^@/, '').replace(/\(.*?\)/g, '').replace(/\^$/, '').trim().toUpperCase();

/** Scenes -> time spans, by matching each dialogue line to the next unused subtitle with the same words. */
export function placeScenes(elements: ScriptElement[], subtitles: TimedLine[]): Map<number, { start: number; end: number; matches: number }> {
  const subs = [...subtitles].sort((a, b) => a.start - b.start).map((s) => ({ ...s, key: normText(s.text) }));
  const spans = new Map<number, { start: number; end: number; matches: number }>();
  let cursor = 0;
  for (const el of elements) {
    if (el.kind !== 'dialogue') continue;
    const key = normText(el.text);
    if (!key) continue;
    // Script order is film order: search forward from the last match so repeated lines stay in place.
    for (let i = cursor; i < subs.length; i++) {
      const s = subs[i]!;
      if (s.key === key || (s.key.length >= 8 && key.includes(s.key)) || (key.length >= 8 && s.key.includes(key))) {
        const span = spans.get(el.scene);
        if (span) {
          span.start = Math.min(span.start, s.start);
          span.end = Math.max(span.end, s.end);
          span.matches++;
        } else spans.set(el.scene, { start: s.start, end: s.end, matches: 1 });
        cursor = i + 1;
        break;
      }
    }
  }
  return spans;
}

/** Widens [start, end) to the shots it touches (a person heard in a shot is assumed seen in all of it). */
function widenToShots(start: number, end: number, shots: Array<{ start: number; end: number }>): [number, number] {
  let s = start;
  let e = end;
  for (const shot of shots) {
    if (shot.start < end && shot.end > start) {
      s = Math.min(s, shot.start);
      e = Math.max(e, shot.end);
    }
  }
  return [s, e];
}

export function deriveAppearances(input: { credits: CreditLine[]; elements: ScriptElement[]; subtitles: TimedLine[]; shots?: Array<{ start: number; end: number }> }): DerivedAppearance[] {
  const spans = placeScenes(input.elements, input.subtitles);
  const scenesOf = new Map<string, Set<number>>();
  for (const el of input.elements) {
    if (el.kind !== 'character') continue;
    const cue = normCue(el.text);
    if (!scenesOf.has(cue)) scenesOf.set(cue, new Set());
    scenesOf.get(cue)!.add(el.scene);
  }
  const out: DerivedAppearance[] = [];
  for (const credit of input.credits) {
    const names = [credit.character, ...(credit.aliases ?? [])].map(normCue);
    const scenes = new Set<number>();
    for (const n of names) for (const sc of scenesOf.get(n) ?? []) scenes.add(sc);
    if (scenes.size === 0) {
      out.push({ person: credit.person, character: credit.character, start: null, end: null, scenes: [], basis: 'credited but never speaks in the screenplay: assumed on screen throughout' });
      continue;
    }
    const unplaced = [...scenes].filter((sc) => !spans.has(sc));
    if (unplaced.length) {
      out.push({ person: credit.person, character: credit.character, start: null, end: null, scenes: [], basis: `speaks in scene(s) ${unplaced.sort((a, b) => a - b).join(', ')} that no subtitle places in time: assumed on screen throughout` });
      continue;
    }
    // One range per placed scene, merged where they touch.
    const ranges = [...scenes]
      .sort((a, b) => a - b)
      .map((sc) => {
        const sp = spans.get(sc)!;
        const [s, e] = input.shots ? widenToShots(sp.start, sp.end, input.shots) : [sp.start, sp.end];
        return { start: s, end: e, scenes: [sc], matches: sp.matches };
      })
      .sort((a, b) => a.start - b.start);
    const merged: typeof ranges = [];
    for (const r of ranges) {
      const last = merged[merged.length - 1];
      if (last && r.start <= last.end) {
        last.end = Math.max(last.end, r.end);
        last.scenes.push(...r.scenes);
        last.matches += r.matches;
      } else merged.push({ ...r, scenes: [...r.scenes] });
    }
    for (const r of merged) {
      out.push({ person: credit.person, character: credit.character, start: r.start, end: r.end, scenes: r.scenes, basis: `scene${r.scenes.length > 1 ? 's' : ''} ${r.scenes.join(', ')} placed by ${r.matches} subtitle match${r.matches === 1 ? '' : 'es'}${input.shots ? ', widened to whole shots' : ''}` });
    }
  }
  return out;
}
