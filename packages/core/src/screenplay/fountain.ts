// Fountain screenplay parser (https://fountain.io/syntax): turns a script into the elements Backlot
// keeps per title, in script order, each tagged with its scene number. Pure: text in, elements out.
// Captions for training clips are built from these, so scene headings and action lines matter most.

export const SCREENPLAY_KINDS = ['scene_heading', 'action', 'character', 'dialogue', 'parenthetical', 'transition'] as const;
export type ScreenplayKind = (typeof SCREENPLAY_KINDS)[number];

export interface ScreenplayElement {
  idx: number;
  /** 1-based scene number; 0 before the first scene heading. Explicit `#12#` numbers are kept in sceneLabel. */
  scene: number;
  kind: ScreenplayKind;
  text: string;
  /** The scene number the writer put on the heading (`#12A#`), if any. */
  sceneLabel?: string;
}

export interface Screenplay {
  /** Title page keys, lower-cased (title, credit, author, draft date…). */
  titlePage: Record<string, string>;
  elements: ScreenplayElement[];
}

const SCENE_HEADING = /^(INT|EXT|EST|INT\.?\/EXT|INT\/EXT|I\/E)[.\s]/i;
const TRANSITION = /^[A-Z0-9 .'-]+TO:$/;

/** Removes [[notes]] and /* boneyard *\/ (both may span lines). */
function stripNotes(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\[\[[\s\S]*?\]\]/g, '');
}

/** Emphasis markers (*, **, _) carry no meaning for captions. Escaped characters keep their char. */
function plain(text: string): string {
  return text
    .replace(/\\([*_\\])/g, '\u0000$1')
    .replace(/\*{1,3}|_/g, '')
    .replace(/\u0000(.)/g, '$1')
    .trim();
}

function isUpperLine(line: string): boolean {
  const base = line.replace(/\s*\([^)]*\)\s*$/, '').replace(/\s*\^$/, '');
  return /[A-Z]/.test(base) && base === base.toUpperCase() && !/^[\d\W]+$/.test(base);
}

function parseTitlePage(lines: string[]): { titlePage: Record<string, string>; rest: number } {
  const titlePage: Record<string, string> = {};
  if (!/^[A-Za-z][A-Za-z ]*:/.test(lines[0] ?? '')) return { titlePage, rest: 0 };
  let key = '';
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.trim() === '') break;
    const m = /^([A-Za-z][A-Za-z ]*):\s*(.*)$/.exec(line);
    if (m && !/^\s/.test(line)) {
      key = m[1]!.trim().toLowerCase();
      titlePage[key] = m[2]!.trim();
    } else if (key) {
      titlePage[key] = [titlePage[key], line.trim()].filter(Boolean).join('\n');
    }
  }
  return { titlePage, rest: i };
}

export function parseFountain(source: string): Screenplay {
  const text = stripNotes(source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n'));
  const lines = text.split('\n');
  const { titlePage, rest } = parseTitlePage(lines);
  const elements: ScreenplayElement[] = [];
  let scene = 0;
  const push = (kind: ScreenplayKind, raw: string, sceneLabel?: string) => {
    const t = plain(raw);
    if (!t) return;
    elements.push({ idx: elements.length, scene, kind, text: t, ...(sceneLabel ? { sceneLabel } : {}) });
  };

  let i = rest;
  const blank = (k: number) => k < 0 || k >= lines.length || (lines[k] ?? '').trim() === '';
  while (i < lines.length) {
    const line = lines[i] ?? '';
    const t = line.trim();
    if (t === '') {
      i++;
      continue;
    }
    const prevBlank = blank(i - 1) || i === rest;
    // Sections (#), synopses (=) and page breaks (===) structure the document but are not script.
    if (/^#/.test(t) || /^=(?!==)/.test(t) || /^={3,}$/.test(t)) {
      i++;
      continue;
    }
    // Scene heading: forced with a leading "." or a standard INT./EXT. prefix, alone in its paragraph.
    if (prevBlank && ((t.startsWith('.') && !t.startsWith('..')) || SCENE_HEADING.test(t)) && blank(i + 1)) {
      const m = /^(.*?)\s*#([\w.-]+)#\s*$/.exec(t.startsWith('.') ? t.slice(1) : t);
      scene++;
      push('scene_heading', m ? m[1]! : t.startsWith('.') ? t.slice(1) : t, m?.[2]);
      i++;
      continue;
    }
    // Transition: "CUT TO:" style in its own paragraph, or forced with ">" (but ">text<" is centred action).
    if (prevBlank && blank(i + 1) && ((t.startsWith('>') && !t.endsWith('<')) || (TRANSITION.test(t) && !t.startsWith('!')))) {
      push('transition', t.startsWith('>') ? t.slice(1) : t);
      i++;
      continue;
    }
    // Character cue: upper-case line (or forced with "@") followed directly by dialogue.
    if (prevBlank && !blank(i + 1) && !t.startsWith('!') && (t.startsWith('@') || isUpperLine(t))) {
      push('character', t.replace(/^@/, '').replace(/\s*\^$/, ''));
      i++;
      while (i < lines.length && !blank(i)) {
        const d = (lines[i] ?? '').trim();
        if (/^\(.*\)$/.test(d)) push('parenthetical', d);
        else push('dialogue', d);
        i++;
      }
      continue;
    }
    // Action: the rest of the paragraph, lines kept together ("!" forces action).
    const para: string[] = [];
    while (i < lines.length && !blank(i)) {
      const l = (lines[i] ?? '').trim();
      para.push(l.startsWith('!') ? l.slice(1) : l.startsWith('>') && l.endsWith('<') ? l.slice(1, -1).trim() : l);
      i++;
    }
    push('action', para.join('\n'));
  }
  return { titlePage, elements };
}

/** Scene headings with the action lines under them: what a scene shows, for captions. */
export function sceneDescriptions(play: Screenplay): Array<{ scene: number; heading: string; action: string[] }> {
  const out = new Map<number, { scene: number; heading: string; action: string[] }>();
  for (const e of play.elements) {
    if (e.scene === 0) continue;
    let s = out.get(e.scene);
    if (!s) out.set(e.scene, (s = { scene: e.scene, heading: '', action: [] }));
    if (e.kind === 'scene_heading') s.heading = e.text;
    else if (e.kind === 'action') s.action.push(e.text);
  }
  return [...out.values()];
}
