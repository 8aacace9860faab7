// `backlot rights derive-appearances [TITLE]`: appearances from the cast list the studio attached
// (title_credits) and the screenplay's character cues placed in time by the subtitles, widened to
// whole shots. Credited people missing from the registry are added with no consent, so the policy
// excludes them until a consent is recorded (default deny).
import type { Workspace } from '@backlot/adapters/workspace';
import { NotFoundError, deriveAppearances, personIdFromName, type DerivedAppearance, type ProgressSink } from '@backlot/core';
import { appendAudit } from '../audit/index.js';
import { findPerson, personFromRow } from './registry.js';

export interface DerivedTitleAppearances {
  titleId: string;
  title: string;
  appearances: Array<DerivedAppearance & { personId: string }>;
  /** People added to the registry because the cast list names them and nobody had yet. */
  addedPeople: string[];
}


export async function deriveTitleAppearances(
  ws: Workspace,
  input: { title?: string },
  opts: { actor: string; onProgress?: ProgressSink; signal?: AbortSignal },
): Promise<DerivedTitleAppearances[]> {
  let titles = await ws.db.query<{ id: string; name: string }>('SELECT id, name FROM titles WHERE id IN (SELECT title_id FROM title_credits) ORDER BY name');
  if (input.title !== undefined) {
    const k = input.title.toLowerCase();
    titles = titles.filter((t) => t.id === input.title || t.name.toLowerCase() === k);
    if (!titles.length) throw new NotFoundError('no_credits', `no title called ${JSON.stringify(input.title)} with a cast list (attach one at ingest)`, input.title);
  }
  const out: DerivedTitleAppearances[] = [];
  for (const t of titles) {
    opts.signal?.throwIfAborted();
    const credits = await ws.db.query<{ character: string; person: string }>('SELECT character, person FROM title_credits WHERE title_id = $1 ORDER BY character, person', [t.id]);
    const elements = await ws.db.query<{ scene: number; kind: string; text: string }>('SELECT scene, kind, text FROM screenplay_elements WHERE title_id = $1 ORDER BY idx', [t.id]);
    const subtitles = await ws.db.query<{ start: number; end: number; text: string }>('SELECT start_s AS start, end_s AS "end", text FROM subtitle_lines WHERE title_id = $1 ORDER BY idx', [t.id]);
    const shots = await ws.db.query<{ start: number; end: number }>('SELECT start_s AS start, end_s AS "end" FROM shots WHERE title_id = $1', [t.id]);
    const derived = deriveAppearances({ credits, elements, subtitles, ...(shots.length ? { shots } : {}) });
    const result = await ws.db.transaction(async (tx) => {
      const people = (await tx.query('SELECT id, name, kind, aliases FROM people')).map(personFromRow);
      const added: string[] = [];
      const idOf = new Map<string, string>();
      for (const name of new Set(derived.map((d) => d.person))) {
        let p = findPerson(people, name);
        if (!p) {
          let id = personIdFromName(name);
          for (let n = 2; people.some((x) => x.id === id); n++) id = `${personIdFromName(name)}-${n}`;
          p = { id, name, kind: 'actor', aliases: [] };
          await tx.query('INSERT INTO people (id, name, kind, aliases) VALUES ($1, $2, $3, $4)', [p.id, p.name, p.kind, p.aliases]);
          people.push(p);
          added.push(p.id);
        }
        idOf.set(name, p.id);
      }
      // Derived rows are replaced wholesale; imported and hand-entered ones are kept.
      await tx.query("DELETE FROM appearances WHERE title_id = $1 AND source IN ('credits', 'credits+screenplay')", [t.id]);
      const rows = derived.map((d, k) => ({ ...d, personId: idOf.get(d.person)!, id: `derived:${t.id}:${k + 1}` }));
      for (const r of rows) {
        await tx.query(
          "INSERT INTO appearances (id, person_id, title_id, start_s, end_s, presence, character, source) VALUES ($1, $2, $3, $4, $5, 'both', $6, $7)",
          [r.id, r.personId, t.id, r.start, r.end, r.character, r.start === null ? 'credits' : 'credits+screenplay'],
        );
      }
      await appendAudit(tx, {
        actor: opts.actor,
        action: 'rights.derive-appearances',
        subject: `title:${t.id}`,
        details: { appearances: rows.map((r) => ({ id: r.id, person: r.personId, start: r.start, end: r.end, basis: r.basis })), addedPeople: added },
      });
      return { titleId: t.id, title: t.name, appearances: rows.map(({ id: _id, ...r }) => r), addedPeople: added };
    });
    out.push(result);
    opts.onProgress?.({ task: 'rights:appearances', label: t.name, done: out.length, total: titles.length, unit: 'titles', finished: out.length === titles.length });
  }
  return out;
}
