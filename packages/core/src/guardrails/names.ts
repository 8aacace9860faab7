// Finds people named in a prompt: their names, aliases and the characters they play. Robust to case,
// punctuation, diacritics, possessives and small misspellings; careful with names that are also
// ordinary words. The rules (also in docs/generation.md):
//   1. A person's full name matches anywhere, in any case, each word allowing a small misspelling.
//   2. A multi-word alias or character name matches the same way if one of its words is distinctive
//      (not an ordinary word); if every word is ordinary ("The Doctor") it needs context (rule 5).
//   3. A surname (last word) alone matches when it is distinctive ("Tyler", "Okonkwo"); an ordinary
//      surname ("Smith", "Stone") needs context. A first name alone never matches: give short forms
//      as aliases.
//   4. A one-word name, alias or character matches when distinctive; an ordinary one ("Rose") needs
//      context and an exact spelling.
//   5. Context: capitalised mid-sentence or capitalised with a possessive ("Rose's") when the prompt's
//      capitals mean anything (not shouted, not title case), or right after a title or cue word ("Mr",
//      "Captain", "starring", "named"). A capitalised ordinary word opening a sentence is ambiguous
//      and is not matched ("Rose walks…" passes; "a scene with Rose" does not).
// Misspellings: optimal-string-alignment distance ≤ 0 for words of ≤ 4 letters, ≤ 1 for 5–8, ≤ 2 for 9+;
// inside a full name each word may have one more, as long as one word is within the plain limit.
// A prompt word that is itself an ordinary word is never taken as a misspelling of a name.
import { ORDINARY_WORDS, PERSON_CUES } from './ordinary-words.js';

export interface PromptWord {
  /** Lowercase, without diacritics, apostrophes or a possessive ending. */
  norm: string;
  /** As written in the prompt. */
  raw: string;
  start: number;
  end: number;
  capitalised: boolean;
  sentenceStart: boolean;
  /** Written with a possessive ending ("Rose's"). */
  possessive: boolean;
}

/** Lowercase, diacritics removed (Zoë → zoe), apostrophes and a possessive 's removed. */
export function normaliseWord(word: string): string {
  return word
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/['’‘`]s$/u, '')
    .replace(/['’‘`]/gu, '');
}

export function promptWords(text: string): PromptWord[] {
  const words: PromptWord[] = [];
  for (const m of text.normalize('NFC').matchAll(/[\p{L}\p{N}]+(?:['’‘`][\p{L}\p{N}]+)*/gu)) {
    const raw = m[0];
    const start = m.index;
    const before = text.slice(0, start).replace(/\s+$/u, '');
    words.push({
      norm: normaliseWord(raw),
      raw,
      start,
      end: start + raw.length,
      capitalised: /^\p{Lu}/u.test(raw),
      sentenceStart: before === '' || /[.!?:;"“(\n-]$/u.test(before),
      possessive: /['’‘`]s$/u.test(raw),
    });
  }
  return words;
}

/** Capitals carry meaning unless the prompt is shouted or in title case. */
export function capitalsInformative(words: PromptWord[]): boolean {
  const letters = words.filter((w) => /\p{L}{2,}/u.test(w.raw));
  if (letters.length === 0) return false;
  const upperish = letters.filter((w) => w.capitalised).length;
  return upperish / letters.length <= 0.5;
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions), capped early. */
export function editDistance(a: string, b: string, cap = 3): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = new Array<number>(b.length + 1).fill(0);
    row[0] = i;
    rows.push(row);
  }
  for (let j = 0; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i]!;
    let best = Infinity;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row[j] = d;
      best = Math.min(best, d);
    }
    if (best > cap) return cap + 1;
  }
  return rows[a.length]![b.length]!;
}

/** How many edits a name word of this length tolerates. */
export function misspellingAllowance(length: number): number {
  return length <= 4 ? 0 : length <= 8 ? 1 : 2;
}

export function isOrdinary(norm: string): boolean {
  return ORDINARY_WORDS.has(norm);
}

export type NameKind = 'name' | 'alias' | 'character';

export interface NameVariant {
  personId: string;
  kind: NameKind;
  /** As recorded: "Rose Tyler". */
  text: string;
  /** For characters: the title they appear in, when known. */
  title?: string;
}

export type MatchRule = 'full-name' | 'joined-name' | 'surname' | 'single-name';

export interface NameMatch {
  variant: NameVariant;
  rule: MatchRule;
  /** The prompt's words that matched, as written. */
  matched: string;
  start: number;
  end: number;
  /** Total edits between the prompt's words and the name's. */
  distance: number;
  /** Why an ordinary-word name was taken as a name, when it needed context. */
  context?: string;
}

function wordDistance(prompt: string, name: string, extra: number): number | null {
  if (prompt === name) return 0;
  // A real word is not a misspelling of a name ("tiler" may be; "rosy" is not "Rose").
  if (isOrdinary(prompt)) return null;
  const allowed = misspellingAllowance(name.length) + (name.length >= 3 ? extra : 0);
  if (allowed === 0) return null;
  const d = editDistance(prompt, name, allowed);
  return d <= allowed ? d : null;
}

function contextFor(words: PromptWord[], i: number, capitals: boolean): string | undefined {
  const w = words[i]!;
  const prev = words[i - 1];
  if (prev && PERSON_CUES.has(prev.norm)) return `after "${prev.raw}"`;
  if (capitals && w.capitalised && !w.sentenceStart) return 'capitalised mid-sentence';
  if (capitals && w.capitalised && w.possessive) return 'capitalised possessive';
  return undefined;
}

const HONORIFIC = /^(mr|mrs|ms|miss|mx|dr|sir|dame|lady|lord|the)$/;

/** Every place the prompt names this variant, by the rules at the top of this file. */
export function findVariant(words: PromptWord[], variant: NameVariant, capitals = capitalsInformative(words)): NameMatch[] {
  const nameWords = promptWords(variant.text).map((w) => w.norm).filter(Boolean);
  const core = nameWords.filter((n) => !HONORIFIC.test(n));
  if (core.length === 0) return [];
  const matches: NameMatch[] = [];
  const span = (a: number, b: number) => ({ matched: words.slice(a, b + 1).map((w) => w.raw).join(' '), start: words[a]!.start, end: words[b]!.end });
  const distinctive = core.some((n) => !isOrdinary(n));

  if (nameWords.length >= 2) {
    // Rule 1/2: the whole name, and for three or more words first + last ("Mary Watson").
    const forms = [nameWords];
    if (core.length >= 3) forms.push([core[0]!, core.at(-1)!]);
    if (core.length !== nameWords.length) forms.push(core);
    for (const form of forms) {
      for (let i = 0; i + form.length <= words.length; i++) {
        let total = 0;
        let plain = 0;
        let ok = true;
        for (let k = 0; k < form.length && ok; k++) {
          const p = words[i + k]!.norm;
          const d0 = wordDistance(p, form[k]!, 0);
          const d = d0 ?? wordDistance(p, form[k]!, 1);
          if (d === null) ok = false;
          else {
            total += d;
            if (d0 !== null) plain++;
          }
        }
        if (!ok || plain === 0) continue;
        let context: string | undefined;
        if (variant.kind !== 'name' && !distinctive) {
          context = contextFor(words, i, capitals);
          if (!context) continue;
        }
        matches.push({ variant, rule: 'full-name', ...span(i, i + form.length - 1), distance: total, context });
      }
    }
    // Written as one word: "RoseTyler", "rose_tyler" is split already, "rosetyler" is not.
    const joined = core.join('');
    for (let i = 0; i < words.length && core.length >= 2; i++) {
      const d = wordDistance(words[i]!.norm, joined, 0);
      if (d !== null) matches.push({ variant, rule: 'joined-name', ...span(i, i), distance: d });
    }
    // Rule 3: the surname alone. Aliases are matched whole only.
    if (variant.kind !== 'alias' && core.length >= 2) {
      const surname = core.at(-1)!;
      for (let i = 0; i < words.length; i++) {
        if (isOrdinary(surname) || surname.length < 4) {
          if (words[i]!.norm !== surname) continue;
          const context = contextFor(words, i, capitals);
          if (context) matches.push({ variant, rule: 'surname', ...span(i, i), distance: 0, context });
        } else {
          const d = wordDistance(words[i]!.norm, surname, 0);
          if (d !== null) matches.push({ variant, rule: 'surname', ...span(i, i), distance: d });
        }
      }
    }
  } else {
    // Rule 4: one word.
    const only = core[0]!;
    for (let i = 0; i < words.length; i++) {
      if (isOrdinary(only)) {
        if (words[i]!.norm !== only) continue;
        const context = contextFor(words, i, capitals);
        if (context) matches.push({ variant, rule: 'single-name', ...span(i, i), distance: 0, context });
      } else {
        const d = wordDistance(words[i]!.norm, only, 0);
        if (d !== null) matches.push({ variant, rule: 'single-name', ...span(i, i), distance: d });
      }
    }
  }
  return dropCovered(matches);
}

/** A surname inside a full-name match is the same mention, not a second one. */
function dropCovered(matches: NameMatch[]): NameMatch[] {
  return matches.filter((m) => !matches.some((o) => o !== m && o.start <= m.start && o.end >= m.end && (o.end - o.start > m.end - m.start || (o.end - o.start === m.end - m.start && matches.indexOf(o) < matches.indexOf(m)))));
}
