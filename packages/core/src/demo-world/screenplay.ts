// The demo film's screenplay in Fountain (fountain.io): a title page, then one scene per shot whose
// heading names the backdrop and time of day and whose first action line says what is on screen
// ("A red ball moving left."), with character cues and dialogue, and the transition into the next scene.
import { actionLineFor, backgroundOf } from './world.js';
import type { DemoFilmPlan, DemoShotPlan, DemoTransition } from './plan.js';

function transitionLine(t: DemoTransition): string | undefined {
  switch (t.kind) {
    case 'cut':
      return 'CUT TO:';
    case 'dissolve':
      return 'DISSOLVE TO:';
    case 'wipe':
      return 'WIPE TO:';
    case 'fade':
      return 'FADE TO:';
    case 'none':
      return undefined;
  }
}

// Camera notes avoid every colour, shape and backdrop word so captions stay clean. A pan says which way
// the camera turns, as a screenplay would: the backdrop then scrolls the other way on screen, motion a
// caption without it leaves unexplained (docs/model.md, "Telling the model which way the camera pans").
// The object's own direction is the word after "moving" in the action line before it.
export function cameraNote(shot: DemoShotPlan): string | undefined {
  const c = shot.camera;
  // render.ts shows texture column x + pan at screen column x: a growing pan scrolls the backdrop left,
  // the view moving right.
  if (c.kind === 'pan') return `The camera pans ${c.speed > 0 ? 'right' : 'left'}.`;
  if (c.kind === 'zoom') return c.to > c.from ? 'The camera pushes in.' : 'The camera pulls back.';
  return undefined;
}

export function demoScreenplay(film: DemoFilmPlan): string {
  const lines: string[] = [
    `Title: ${film.title}`,
    'Credit: Written and directed by',
    `Author: ${film.director}`,
    'Source: Backlot demo library (generated)',
    `Draft date: ${film.year}`,
    '',
  ];
  film.shots.forEach((shot, i) => {
    lines.push(`${backgroundOf(shot.combo.background).heading} #${i + 1}#`, '');
    lines.push(actionLineFor(shot.combo), '');
    const note = cameraNote(shot);
    if (note) lines.push(note, '');
    if (shot.flash) lines.push('A camera flash goes off.', '');
    for (const d of shot.dialogue) lines.push(d.character, d.text, '');
    const next = film.shots[i + 1];
    const t = next && transitionLine(next.transitionIn);
    if (t) lines.push(t, '');
  });
  lines.push('> THE END <', '');
  return lines.join('\n');
}
