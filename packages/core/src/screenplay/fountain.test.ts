import { describe, expect, test } from 'vitest';
import { parseFountain, sceneDescriptions } from './fountain.js';

const SCRIPT = `Title: The Red Ball
Credit: Written by
Author: Demo Writer
Draft date: 2026-11-25

FADE IN:

EXT. NIGHT SKY - NIGHT #1#

A red ball moving left.
It glows.

MAYA
(whispering)
Look at it go.

JONAS (V.O.)
It's only a ball.

CUT TO:

INT. WORKSHOP - DAY

[[note to self: check the colour]]
A blue box moving *up*.

.FLASHBACK

!THE BALL RETURNS.

> THE END <

> FADE OUT.
`;

describe('parseFountain', () => {
  const play = parseFountain(SCRIPT);
  const kinds = play.elements.map((e) => `${e.scene}:${e.kind}:${e.text}`);

  test('reads the title page', () => {
    expect(play.titlePage.title).toBe('The Red Ball');
    expect(play.titlePage.author).toBe('Demo Writer');
  });

  test('splits scene headings, action, characters, parentheticals, dialogue and transitions with scene numbers', () => {
    expect(kinds).toEqual([
      '0:action:FADE IN:', // the spec: only lines ending in "TO:" (or forced with >) are transitions
      '1:scene_heading:EXT. NIGHT SKY - NIGHT',
      '1:action:A red ball moving left.\nIt glows.',
      '1:character:MAYA',
      '1:parenthetical:(whispering)',
      '1:dialogue:Look at it go.',
      '1:character:JONAS (V.O.)',
      "1:dialogue:It's only a ball.",
      '1:transition:CUT TO:',
      '2:scene_heading:INT. WORKSHOP - DAY',
      '2:action:A blue box moving up.',
      '3:scene_heading:FLASHBACK',
      '3:action:THE BALL RETURNS.',
      '3:action:THE END',
      '3:transition:FADE OUT.',
    ]);
  });

  test('keeps the writer\'s scene number label', () => {
    expect(play.elements[1]).toMatchObject({ kind: 'scene_heading', sceneLabel: '1' });
  });

  test('indexes elements in script order from 0', () => {
    expect(play.elements.map((e) => e.idx)).toEqual(play.elements.map((_, i) => i));
  });

  test('groups action under its scene heading for captions', () => {
    expect(sceneDescriptions(play)[0]).toEqual({ scene: 1, heading: 'EXT. NIGHT SKY - NIGHT', action: ['A red ball moving left.\nIt glows.'] });
  });

  test('an upper-case line with no dialogue after it is action, not a character', () => {
    const p = parseFountain('EXT. FIELD - DAY\n\nBOOM.\n\nA star spins.\n');
    expect(p.elements.map((e) => e.kind)).toEqual(['scene_heading', 'action', 'action']);
  });

  test('handles Windows line endings and a byte-order mark', () => {
    const p = parseFountain('\uFEFFINT. ROOM - NIGHT\r\n\r\nA green star moving right.\r\n');
    expect(p.elements.map((e) => e.text)).toEqual(['INT. ROOM - NIGHT', 'A green star moving right.']);
  });
});
