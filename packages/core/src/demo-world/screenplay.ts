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

// Camera notes avoid every colour, shape, direction and backdrop word so captions stay clean.
function cameraNote(shot: DemoShotPlan): string | undefined {
  const c = shot.camera;
  if (c.kind === 'pan') return 'The camera pans across the scene.';
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
