// Finds text across the library: title names, subtitle lines (placed in time and linked to shots)
// and screenplay elements (scene headings, action, dialogue). Plain substring matching in SQL, case
// and accent blind enough for names and words; ranked titles first, then by position in the film.
import type { Db } from '@backlot/adapters/db';

export interface SearchHit {
  titleId: string;
  title: string;
  /** Where the text was found. */
  source: 'title' | 'subtitles' | 'screenplay';
  text: string;
  /** Seconds into the title, when the text has a time (subtitles). */
  start: number | null;
  /** The first shot the text belongs to, when known. */
  shotId: string | null;
}

/** Escapes LIKE wildcards so a user's % or _ is matched literally. */
function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export async function searchLibrary(db: Db, query: string, opts: { limit?: number } = {}): Promise<SearchHit[]> {
  const q = query.trim();
  if (q.length < 2) return [];
  const limit = Math.min(Math.max(opts.limit ?? 50, 1), 500);
  const pattern = likePattern(q);
  const rows = await db.query<{ title_id: string; title: string; source: SearchHit['source']; text: string; start_s: number | null; shot_id: string | null; rank: number; pos: number }>(
    `SELECT * FROM (
       SELECT t.id AS title_id, t.name AS title, 'title' AS source, t.name AS text, NULL::double precision AS start_s, NULL::text AS shot_id, 0 AS rank, 0 AS pos
         FROM titles t WHERE t.name ILIKE $1
       UNION ALL
       SELECT s.title_id, t.name, 'subtitles', s.text, s.start_s, s.shot_ids[1], 1, s.idx
         FROM subtitle_lines s JOIN titles t ON t.id = s.title_id WHERE s.text ILIKE $1
       UNION ALL
       SELECT e.title_id, t.name, 'screenplay', e.text, NULL, NULL, 2, e.idx
         FROM screenplay_elements e JOIN titles t ON t.id = e.title_id WHERE e.text ILIKE $1
     ) hits ORDER BY rank, title, pos LIMIT $2`,
    [pattern, limit],
  );
  return rows.map((r) => ({
    titleId: r.title_id,
    title: r.title,
    source: r.source,
    text: r.text,
    start: r.start_s === null ? null : Number(r.start_s),
    shotId: r.shot_id ?? null,
  }));
}
