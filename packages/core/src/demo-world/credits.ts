// What a studio keeps beside each film besides the script: the cast list (who plays whom) and the
// music cue sheet (which cue plays when, who wrote and performed it), both matching the film exactly.
import { DEMO_ACTORS } from './people.js';
import type { DemoFilmPlan } from './plan.js';

export interface DemoCastList {
  title: string;
  year: number;
  director: string;
  cast: Array<{ character: string; person: string; aliases: string[]; personAliases: string[] }>;
}

export function demoCastList(film: DemoFilmPlan): DemoCastList {
  return {
    title: film.title,
    year: film.year,
    director: film.director,
    cast: film.cast.map((c) => ({
      character: c.character,
      person: c.person,
      aliases: c.aliases,
      personAliases: DEMO_ACTORS.find((a) => a.person === c.person)?.aliases ?? [],
    })),
  };
}

function csvField(v: string | number): string {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CUE_SHEET_COLUMNS = ['cue_id', 'title', 'in', 'out', 'composer', 'performer', 'usage'] as const;

/** Cue sheet CSV; `in`/`out` are seconds from the start of the film, and the audio track plays exactly these. */
export function demoCueSheet(film: DemoFilmPlan): string {
  const rows = film.cues.map((c) => [c.id, c.title, c.in.toFixed(3), c.out.toFixed(3), c.composer, c.performer, c.usage].map(csvField).join(','));
  return `${[CUE_SHEET_COLUMNS.join(','), ...rows].join('\n')}\n`;
}
