// Captions from the studio's own material only: the screenplay aligned to the film through its
// subtitles, the subtitles under the shot, title metadata and what ingest measured. No captioning model.
//
// Alignment: screenplay dialogue and subtitle lines are both in story order, so they are matched by a
// monotonic alignment (dynamic programming, like diff) maximising text similarity. Matched dialogue
// pins its scene to the subtitle's times; scenes with no matched dialogue share the gaps between.
import { partitionPoint } from '../sorted.js';

export interface ScreenplayElementInput {
  idx: number;
  /** 0 before the first scene heading. */
  scene: number;
  kind: 'scene_heading' | 'action' | 'character' | 'dialogue' | 'parenthetical' | 'transition';
  text: string;
}

export interface SubtitleInput {
  idx: number;
  start: number;
  end: number;
  text: string;
}

export interface SceneSpan {
  scene: number;
  heading: string | null;
  start: number;
  end: number;
  /** True when at least one of its dialogue lines matched a subtitle. */
  anchored: boolean;
}

export interface DialogueMatch {
  elementIdx: number;
  subtitleIdx: number;
  score: number;
}

export interface ScreenplayAlignment {
  scenes: SceneSpan[];
  matches: DialogueMatch[];
  /** Estimated time of every action element, by element idx. */
  actionTimes: Map<number, number>;
  elementsByScene: Map<number, ScreenplayElementInput[]>;
}

/** Below this, a dialogue line and a subtitle are not the same words (bigram Dice; typos and line breaks still pass). */
export const MATCH_THRESHOLD = 0.5;

/** Lower case, letters and digits only, single spaces; drops SRT markup like <i> and {\an8}. */
export function normaliseText(text: string): string {
  return text
    .replace(/<[^>]*>|\{[^}]*\}/g, ' ')
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Character bigrams of " text " as sorted 32-bit codes: a multiset that merges in linear time. */
function bigrams(s: string): Uint32Array {
  const t = ` ${s} `;
  const out = new Uint32Array(Math.max(0, t.length - 1));
  for (let i = 0; i < t.length - 1; i++) out[i] = ((t.charCodeAt(i) << 16) | t.charCodeAt(i + 1)) >>> 0;
  return out.sort();
}

/** Size of the multiset intersection of two sorted code arrays. */
function sharedBigrams(a: Uint32Array, b: Uint32Array): number {
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      n++;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return n;
}

/**
 * How alike two lines are, 0..1: the larger of the bigram Dice coefficient and how much of the
 * shorter line the longer one contains (a subtitle often carries only half of a long speech).
 */
export function textSimilarity(a: string, b: string): number {
  const na = normaliseText(a);
  const nb = normaliseText(b);
  return similarityOfNormalised({ text: na, grams: bigrams(na) }, { text: nb, grams: bigrams(nb) });
}

interface NormalisedLine {
  text: string;
  grams: Uint32Array;
}

function similarityOfNormalised(a: NormalisedLine, b: NormalisedLine): number {
  if (!a.text || !b.text) return 0;
  if (a.text === b.text) return 1;
  const shared = sharedBigrams(a.grams, b.grams);
  const dice = (2 * shared) / (a.grams.length + b.grams.length);
  // Containment only counts for lines of a few words, or one word would "contain" anything.
  const shorter = Math.min(a.grams.length, b.grams.length);
  const contained = Math.min(a.text.length, b.text.length) >= 12 ? (shared / shorter) * 0.95 : 0;
  return Math.max(dice, contained);
}

/** Half-width of the comparison band around the diagonal: at least this many lines... */
export const BAND_MIN = 60;
/** ...or this share of the longer list, whichever is more (screenplays drop and add lines). */
export const BAND_FRACTION = 0.15;

/** Monotonic one-to-one matching of dialogue to subtitles maximising the summed similarity. */
export function matchDialogue(dialogue: readonly ScreenplayElementInput[], subtitles: readonly SubtitleInput[]): DialogueMatch[] {
  const n = dialogue.length;
  const m = subtitles.length;
  if (!n || !m) return [];
  const norm = (t: string): NormalisedLine => {
    const text = normaliseText(t);
    return { text, grams: bigrams(text) };
  };
  const dg = dialogue.map((d) => norm(d.text));
  const sg = subtitles.map((s) => norm(s.text));
  const score = new Float64Array((n + 1) * (m + 1));
  // Only pairs near the diagonal are compared: a film's dialogue and subtitles advance together, and a
  // feature (1,000 lines x 1,500 subtitles) would otherwise cost 1.5 million comparisons per title.
  const band = Math.max(BAND_MIN, Math.ceil(BAND_FRACTION * Math.max(n, m)));
  const sim = new Float32Array(n * m);
  for (let i = 0; i < n; i++) {
    const centre = Math.round(((i + 0.5) * m) / n);
    for (let j = Math.max(0, centre - band); j < Math.min(m, centre + band); j++) sim[i * m + j] = similarityOfNormalised(dg[i]!, sg[j]!);
  }
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      const s = sim[i * m + j]!;
      const take = s >= MATCH_THRESHOLD ? s + score[(i + 1) * (m + 1) + j + 1]! : -1;
      score[i * (m + 1) + j] = Math.max(take, score[(i + 1) * (m + 1) + j]!, score[i * (m + 1) + j + 1]!);
    }
  }
  const out: DialogueMatch[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    const s = sim[i * m + j]!;
    const here = score[i * (m + 1) + j]!;
    if (s >= MATCH_THRESHOLD && here === s + score[(i + 1) * (m + 1) + j + 1]!) {
      out.push({ elementIdx: dialogue[i]!.idx, subtitleIdx: subtitles[j]!.idx, score: s });
      i++;
      j++;
    } else if (here === score[(i + 1) * (m + 1) + j]!) i++;
    else j++;
  }
  return out;
}

/**
 * Places every scene on the film's timeline. Anchored scenes span their matched subtitles;
 * unanchored scenes between two anchored ones split the gap equally; the first and last scenes
 * reach the film's start and end; remaining gaps between neighbours are split at the midpoint.
 * Given the film's shot boundaries (`cuts`, seconds), each boundary between two scenes then moves to
 * the nearest cut between its neighbours that keeps both scenes' matched lines in them: a scene
 * changes where the picture does, and a span estimated from dialogue alone ends at the scene's last
 * line, often well before its last shot.
 */
export function alignScreenplay(elements: readonly ScreenplayElementInput[], subtitles: readonly SubtitleInput[], duration: number, cuts: readonly number[] = []): ScreenplayAlignment {
  const ordered = [...elements].sort((a, b) => a.idx - b.idx);
  const subs = [...subtitles].sort((a, b) => a.start - b.start || a.idx - b.idx);
  const matches = matchDialogue(ordered.filter((e) => e.kind === 'dialogue'), subs);
  const subByIdx = new Map(subs.map((s) => [s.idx, s]));
  const anchorOf = new Map<number, SubtitleInput>();
  for (const mt of matches) anchorOf.set(mt.elementIdx, subByIdx.get(mt.subtitleIdx)!);

  const elementsByScene = new Map<number, ScreenplayElementInput[]>();
  for (const e of ordered) {
    const list = elementsByScene.get(e.scene) ?? [];
    list.push(e);
    elementsByScene.set(e.scene, list);
  }
  // Scene 0 (before the first heading) is a scene only if it holds something besides a title page.
  const sceneIds = [...elementsByScene.keys()].filter((s) => s > 0 || elementsByScene.get(s)!.some((e) => e.kind !== 'transition')).sort((a, b) => a - b);
  const spans: SceneSpan[] = sceneIds.map((scene) => {
    const els = elementsByScene.get(scene)!;
    const heading = els.find((e) => e.kind === 'scene_heading')?.text ?? null;
    const anchors = els.map((e) => anchorOf.get(e.idx)).filter((s): s is SubtitleInput => !!s);
    if (!anchors.length) return { scene, heading, start: NaN, end: NaN, anchored: false };
    return { scene, heading, start: Math.min(...anchors.map((a) => a.start)), end: Math.max(...anchors.map((a) => a.end)), anchored: true };
  });

  const lines = spans.map((x) => (x.anchored ? { first: x.start, last: x.end } : null));

  // Fill unanchored runs between known times.
  let i = 0;
  while (i < spans.length) {
    if (spans[i]!.anchored) {
      i++;
      continue;
    }
    let j = i;
    while (j < spans.length && !spans[j]!.anchored) j++;
    const from = i > 0 ? spans[i - 1]!.end : 0;
    const to = j < spans.length ? spans[j]!.start : Math.max(duration, from);
    const width = (to - from) / (j - i);
    for (let k = i; k < j; k++) {
      spans[k]!.start = from + width * (k - i);
      spans[k]!.end = from + width * (k - i + 1);
    }
    i = j;
  }
  // Make the spans tile the timeline in script order: neighbours meet halfway across a gap or an
  // overlap (overlapping subtitles can anchor two scenes to the same seconds), never going backwards.
  if (spans.length) {
    spans[0]!.start = Math.min(0, spans[0]!.start);
    spans[spans.length - 1]!.end = Math.max(duration, spans[spans.length - 1]!.end);
  }
  for (let k = 0; k + 1 < spans.length; k++) {
    const a = spans[k]!;
    const b = spans[k + 1]!;
    const meet = Math.max(a.start, (a.end + b.start) / 2);
    a.end = meet;
    b.start = meet;
    if (b.end < meet) b.end = meet;
  }
  snapToCuts(spans, lines, cuts);

  // Action lines: interpolate a time by element position between the scene's known points.
  const actionTimes = new Map<number, number>();
  for (const span of spans) {
    const els = elementsByScene.get(span.scene)!;
    const points: Array<[number, number]> = [[els[0]!.idx, span.start]];
    for (const e of els) {
      const a = anchorOf.get(e.idx);
      if (a) points.push([e.idx, (a.start + a.end) / 2]);
    }
    points.push([els[els.length - 1]!.idx + 1, span.end]);
    for (const e of els) {
      if (e.kind !== 'action') continue;
      let p = 0;
      while (p + 2 < points.length && points[p + 1]![0] <= e.idx) p++;
      const [x0, t0] = points[p]!;
      const [x1, t1] = points[p + 1]!;
      actionTimes.set(e.idx, x1 === x0 ? t0 : t0 + ((t1 - t0) * (e.idx - x0)) / (x1 - x0));
    }
  }
  return { scenes: spans, matches, actionTimes, elementsByScene };
}

/** How far a scene's matched line may reach across a cut into the next or previous scene (pre-laps, J-cuts). */
export const LINE_OVER_CUT = 0.5;

/**
 * Moves each boundary between tiled spans to the nearest cut strictly between the boundaries around
 * it that leaves each scene its own matched lines (`lines[k]`: first start and last end, within
 * LINE_OVER_CUT); a boundary with no such cut stays where it is.
 */
function snapToCuts(spans: SceneSpan[], lines: ReadonlyArray<{ first: number; last: number } | null>, cuts: readonly number[]): void {
  if (spans.length < 2 || !cuts.length) return;
  const sorted = [...cuts].sort((x, y) => x - y);
  for (let k = 0; k + 1 < spans.length; k++) {
    const a = spans[k]!;
    const b = spans[k + 1]!;
    const lo = Math.max(a.start, (lines[k]?.last ?? -Infinity) - LINE_OVER_CUT);
    const hi = Math.min(b.end, (lines[k + 1]?.first ?? Infinity) + LINE_OVER_CUT);
    const ok = (c: number | undefined): c is number => c !== undefined && c > a.start && c < b.end && c >= lo && c <= hi;
    const target = Math.min(Math.max(a.end, lo), hi);
    const i = partitionPoint(sorted.length, (m) => sorted[m]! < target);
    const [before, after] = [sorted[i - 1], sorted[i]];
    const pick = ok(before) && (!ok(after) || target - before <= after - target) ? before : ok(after) ? after : undefined;
    if (pick !== undefined) {
      a.end = pick;
      b.start = pick;
    }
  }
}

/** The scene that overlaps the shot most (earlier scene on a tie); null without a screenplay. */
export function sceneForShot(alignment: ScreenplayAlignment, start: number, end: number): SceneSpan | null {
  const scenes = alignment.scenes;
  if (!scenes.length) return null;
  const mid = (start + end) / 2;
  // Spans tile the timeline in order: binary search the last scene starting at or before the shot.
  const lo = partitionPoint(scenes.length, (m) => scenes[m]!.start <= start);
  let best = scenes[Math.max(0, lo - 1)]!;
  if (end <= start) {
    // A zero-length shot belongs to the scene its instant falls in.
    for (let i = Math.max(0, lo - 1); i < scenes.length && scenes[i]!.start <= mid; i++) if (mid < scenes[i]!.end) return scenes[i]!;
    return best;
  }
  let bestOverlap = Math.min(end, best.end) - Math.max(start, best.start);
  for (let i = lo; i < scenes.length && scenes[i]!.start < end; i++) {
    const s = scenes[i]!;
    const overlap = Math.min(end, s.end) - Math.max(start, s.start);
    if (overlap > bestOverlap) {
      best = s;
      bestOverlap = overlap;
    }
  }
  return best;
}

/**
 * Up to three action lines of the scene: its first one (where a screenplay says what the scene shows,
 * and what a shot that missed a cut still shows), then those placed inside the shot, else the one
 * placed nearest to it. Lines without lower-case letters are cards and titles ("THE END"), not action.
 */
export function actionLinesForShot(alignment: ScreenplayAlignment, scene: SceneSpan, start: number, end: number): string[] {
  const actions = (alignment.elementsByScene.get(scene.scene) ?? []).filter((e) => e.kind === 'action' && /\p{Ll}/u.test(e.text));
  if (!actions.length) return [];
  const mid = (start + end) / 2;
  const at = (e: ScreenplayElementInput) => alignment.actionTimes.get(e.idx) ?? mid;
  const near = (a: ScreenplayElementInput, b: ScreenplayElementInput) => Math.abs(at(a) - mid) - Math.abs(at(b) - mid);
  const inside = actions.filter((e) => at(e) >= start && at(e) <= end).sort(near);
  const others = inside.length ? inside : [[...actions].sort(near)[0]!];
  const chosen = [actions[0]!, ...others.filter((e) => e !== actions[0])].slice(0, 3).sort((a, b) => a.idx - b.idx);
  return chosen.map((e) => e.text.trim());
}

/**
 * "EXT. NIGHT SKY - NIGHT" -> "Exterior, night sky, night." Keeps every word of the heading
 * (the background and time of day are what a viewer sees) and spells out INT/EXT.
 */
export function describeHeading(heading: string): string {
  const hit = headingCache.get(heading);
  if (hit !== undefined) return hit;
  const out = describeHeadingUncached(heading);
  // A film has a few hundred distinct headings; a bounded cache keeps a long build from growing.
  if (headingCache.size >= 4096) headingCache.clear();
  headingCache.set(heading, out);
  return out;
}

const headingCache = new Map<string, string>();

function describeHeadingUncached(heading: string): string {
  const h = heading.trim().replace(/^\./, '').replace(/^#\s*\d+\s*#?/, '');
  const m = /^(INT\.?\s*\/\s*EXT\.?|EXT\.?\s*\/\s*INT\.?|I\/E\.?|INT\.?|EXT\.?|EST\.?)\s+(.*)$/i.exec(h);
  const place = m ? m[1]!.toUpperCase().replace(/\s+/g, '') : '';
  const rest = (m ? m[2]! : h).replace(/\s+#[^#]*#\s*$/, '');
  const where = place.startsWith('INT') && place.includes('EXT') ? 'Interior and exterior' : place.startsWith('EXT') && place.includes('INT') ? 'Exterior and interior' : place.startsWith('I/E') ? 'Interior and exterior' : place.startsWith('INT') ? 'Interior' : place.startsWith('EXT') ? 'Exterior' : place.startsWith('EST') ? 'Establishing' : '';
  const parts = rest.split(/\s+[-–—]\s+/).map((p) => p.trim().toLowerCase()).filter(Boolean);
  return `${[where, ...parts].filter(Boolean).join(', ')}.`.replace(/^./, (c) => c.toUpperCase());
}

export function describeBrightness(meanLuma: number): string {
  // Mean luma on 0..255: night exteriors sit well under 70, daylight and white walls above 170.
  return meanLuma < 70 ? 'dark' : meanLuma > 170 ? 'bright' : 'medium brightness';
}

export function describeMotion(motion: number): string {
  // Mean absolute frame difference on 0..255: under 1.5 is a locked-off frame with sensor noise;
  // a small object crossing a static frame lands in 1.5..6 at 160x90 analysis size.
  return motion < 1.5 ? 'still' : motion < 6 ? 'moderate motion' : 'fast motion';
}

function sentence(s: string): string {
  const t = s.trim().replace(/\s+/g, ' ');
  if (!t) return '';
  return /[.!?…"”]$/.test(t) ? t : `${t}.`;
}

interface SubtitleIndex {
  byStart: SubtitleInput[];
  longest: number;
}
const subtitleIndexes = new WeakMap<readonly SubtitleInput[], SubtitleIndex>();

/** Subtitles overlapping [start, end), in time order; indexed once per subtitle list, not per shot. */
export function subtitlesOverlapping(subtitles: readonly SubtitleInput[], start: number, end: number): SubtitleInput[] {
  let ix = subtitleIndexes.get(subtitles);
  if (!ix) {
    const byStart = [...subtitles].sort((a, b) => a.start - b.start || a.idx - b.idx);
    ix = { byStart, longest: byStart.reduce((m, s) => Math.max(m, s.end - s.start), 0) };
    subtitleIndexes.set(subtitles, ix);
  }
  const { byStart, longest } = ix;
  const lo = partitionPoint(byStart.length, (m) => byStart[m]!.start < start - longest);
  const out: SubtitleInput[] = [];
  for (let i = lo; i < byStart.length && byStart[i]!.start < end; i++) {
    const s = byStart[i]!;
    if (Math.min(s.end, end) - Math.max(s.start, start) > 0) out.push(s);
  }
  return out;
}

export interface CaptionInput {
  title: { name: string; year: number | null };
  shot: { start: number; end: number; meanLuma: number; motion: number };
  alignment: ScreenplayAlignment | null;
  /** The title's subtitles; those overlapping the shot are quoted. */
  subtitles: readonly SubtitleInput[];
}

/**
 * What is on screen first (action lines, then the setting from the scene heading), then what is said,
 * then what was measured, then where it comes from. The trainer's text encoder sees the front first.
 */
export function buildCaption(input: CaptionInput): string {
  const { shot } = input;
  const parts: string[] = [];
  const scene = input.alignment ? sceneForShot(input.alignment, shot.start, shot.end) : null;
  if (scene && input.alignment) {
    for (const a of actionLinesForShot(input.alignment, scene, shot.start, shot.end)) parts.push(sentence(a));
    if (scene.heading) parts.push(describeHeading(scene.heading));
  }
  const said = subtitlesOverlapping(input.subtitles, shot.start, shot.end)
    .map((s) => s.text.replace(/<[^>]*>|\{[^}]*\}/g, '').replace(/\s+/g, ' ').trim())
    .filter(Boolean);
  if (said.length) parts.push(`Dialogue: "${said.join(' ')}"`);
  const seconds = Math.max(0, shot.end - shot.start);
  parts.push(sentence(`${describeBrightness(shot.meanLuma)}, ${describeMotion(shot.motion)}, ${seconds.toFixed(1)} s shot`).replace(/^./, (c) => c.toUpperCase()));
  parts.push(sentence(`From ${input.title.name}${input.title.year ? ` (${input.title.year})` : ''}`));
  return parts.filter(Boolean).join(' ');
}
