// The demo step for rights: writes `rights.json` for a generated demo library from its cast lists,
// screenplays, subtitles and cue sheets, with a story a rights manager can follow: most actors
// consent, one does not, one consents to training but not to likeness, one cue is not cleared, one
// logo must not be trained on, one licence has expired and one expires soon.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  RIGHTS_IMPORT_FORMAT,
  deriveAppearances,
  parseCsv,
  parseFountain,
  parseSubtitles,
  personIdFromName,
  type RightsImportFile,
} from '@backlot/core';

export interface DemoRightsStory {
  asOf: string;
  /** The actor with no consent on record: shots where they appear are excluded. */
  nonConsenting: { person: string; films: string[] };
  /** Consents to training on footage and voice, but not to likeness (generation refuses their likeness). */
  noLikeness: { person: string } | null;
  unclearedCue: { id: string; title: string; name: string; start: number; end: number } | null;
  restriction: { id: string; title: string; start: number; end: number } | null;
  expiredGrant: { id: string; title: string; endsOn: string } | null;
  expiringGrant: { id: string; title: string; endsOn: string } | null;
}

export interface DemoRightsResult {
  path: string;
  rights: RightsImportFile;
  story: DemoRightsStory;
}

interface CastFile {
  title: string;
  year: number;
  director: string;
  cast: Array<{ character: string; person: string; aliases: string[]; personAliases: string[] }>;
}

const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/**
 * Builds the rights file for the demo library in `libraryDir` (as `backlot demo` writes it) and saves
 * it as `<libraryDir>/rights.json`. Import it with importRights(ws, { path }, { actor }).
 */
export async function writeDemoRights(libraryDir: string, opts: { asOf?: string; out?: string } = {}): Promise<DemoRightsResult> {
  const asOf = opts.asOf ?? new Date().toISOString().slice(0, 10);
  const names = (await readdir(libraryDir)).filter((f) => f.endsWith('.cast.json')).sort();
  const films: Array<{ slug: string; cast: CastFile; cues: Array<{ id: string; name: string; start: number; end: number; composer: string; performer: string }>; appearances: ReturnType<typeof deriveAppearances> }> = [];
  for (const name of names) {
    const base = name.slice(0, -'.cast.json'.length);
    const read = (ext: string) => readFile(join(libraryDir, base + ext), 'utf8');
    const cast = JSON.parse(await read('.cast.json')) as CastFile;
    const csv = parseCsv(await read('.cues.csv'));
    const header = csv.rows[0]?.cells ?? [];
    const col = (row: string[], c: string) => row[header.indexOf(c)] ?? '';
    const cues = csv.rows.slice(1).map((r) => ({ id: col(r.cells, 'cue_id'), name: col(r.cells, 'title'), start: Number(col(r.cells, 'in')), end: Number(col(r.cells, 'out')), composer: col(r.cells, 'composer'), performer: col(r.cells, 'performer') }));
    const truth = JSON.parse(await read('.truth.json')) as { shots: Array<{ start: number; end: number }> };
    const appearances = deriveAppearances({
      credits: cast.cast.map((c) => ({ character: c.character, person: c.person, aliases: c.aliases })),
      elements: parseFountain(await read('.fountain')).elements,
      subtitles: parseSubtitles(await read('.srt')),
      shots: truth.shots,
    });
    films.push({ slug: base, cast, cues, appearances });
  }
  if (!films.length) throw new Error(`no *.cast.json in ${libraryDir}: generate the demo library first`);

  // Who plays in how many films: the one who does not consent is the actor in the fewest films, so
  // the demo loses some shots, not whole films.
  const filmsOf = new Map<string, Set<string>>();
  const aliasesOf = new Map<string, string[]>();
  for (const f of films) {
    for (const c of f.cast.cast) {
      if (!filmsOf.has(c.person)) filmsOf.set(c.person, new Set());
      filmsOf.get(c.person)!.add(f.cast.title);
      aliasesOf.set(c.person, c.personAliases);
    }
  }
  const byRarity = [...filmsOf.entries()].sort((a, b) => a[1].size - b[1].size || a[0].localeCompare(b[0]));
  const refuser = byRarity[0]![0];
  const noLikeness = byRarity.length > 2 ? byRarity[1]![0] : null;
  const composers = [...new Set(films.flatMap((f) => f.cues.map((c) => c.composer)).filter(Boolean))].sort();

  const rights: RightsImportFile = {
    format: RIGHTS_IMPORT_FORMAT,
    people: [
      ...[...filmsOf.keys()].sort().map((p) => ({ id: personIdFromName(p), name: p, kind: 'actor' as const, aliases: aliasesOf.get(p) ?? [] })),
      ...composers.filter((c) => !filmsOf.has(c)).map((c) => ({ id: personIdFromName(c), name: c, kind: 'musician' as const, aliases: [] })),
    ],
    grants: [],
    consents: [],
    appearances: [],
    cues: [],
    restrictions: [],
  };
  const story: DemoRightsStory = {
    asOf,
    nonConsenting: { person: refuser, films: [...filmsOf.get(refuser)!].sort() },
    noLikeness: noLikeness ? { person: noLikeness } : null,
    unclearedCue: null,
    restriction: null,
    expiredGrant: null,
    expiringGrant: null,
  };

  for (const p of [...filmsOf.keys()].sort()) {
    if (p === refuser) continue;
    rights.consents.push({
      id: `consent-${personIdFromName(p)}`,
      person: personIdFromName(p),
      scopes: p === noLikeness ? ['training-footage', 'voice'] : ['training-footage', 'voice', 'likeness'],
      grantedOn: addDays(asOf, -400),
      revokedOn: null,
      documentRef: `REL-${personIdFromName(p).toUpperCase()}-2025`,
      conditions: {},
    });
  }
  for (const c of composers) {
    rights.consents.push({ id: `consent-${personIdFromName(c)}`, person: personIdFromName(c), scopes: ['music'], grantedOn: addDays(asOf, -400), revokedOn: null, documentRef: `MUS-${personIdFromName(c).toUpperCase()}`, conditions: {} });
  }

  films.forEach((f, i) => {
    const title = f.cast.title;
    const last = films.length >= 2 && i === films.length - 1;
    const secondLast = films.length >= 3 && i === films.length - 2;
    // Most films are the studio's own; two are licensed in, one expired, one about to.
    const grant = {
      id: `grant-${f.slug}`,
      title,
      uses: ['train-video', 'train-audio', 'generate-likeness'] as Array<'train-video' | 'train-audio' | 'generate-likeness'>,
      grantor: last || secondLast ? 'Ashgrove Co-Productions Ltd' : 'Backlot Pictures (own production)',
      territory: 'worldwide',
      startsOn: `${f.cast.year}-01-01`,
      endsOn: last ? addDays(asOf, -30) : secondLast ? addDays(asOf, 60) : null,
      contractRef: last || secondLast ? `LIC-${f.slug.toUpperCase()}` : `OWN-${f.slug.toUpperCase()}`,
      note: last ? 'licence window closed; renewal not agreed' : secondLast ? 'licence renewal under negotiation' : null,
    };
    rights.grants.push(grant);
    if (last) story.expiredGrant = { id: grant.id, title, endsOn: grant.endsOn! };
    if (secondLast) story.expiringGrant = { id: grant.id, title, endsOn: grant.endsOn! };

    f.appearances.forEach((a, k) => {
      rights.appearances.push({ id: `app-${f.slug}-${k + 1}`, person: personIdFromName(a.person), title, start: a.start, end: a.end, presence: 'both', character: a.character });
    });
    f.cues.forEach((c, k) => {
      // The first film's first background cue uses a licensed recording that was never cleared for training.
      const uncleared = i === 0 && k === 1;
      rights.cues.push({ id: `cue-${f.slug}-${c.id}`, title, name: c.name, start: c.start, end: c.end, composer: c.composer, performer: c.performer, cleared: !uncleared, cueSheetRef: `${f.slug}.cues.csv` });
      if (uncleared) story.unclearedCue = { id: `cue-${f.slug}-${c.id}`, title, name: c.name, start: c.start, end: c.end };
    });
    if (i === 0) {
      // A sponsor's logo on a prop in the first two seconds of the first film.
      const r = { id: `restriction-${f.slug}-logo`, title, start: 0, end: 2, kind: 'logo' as const, note: 'sponsor logo on a prop; not cleared for training', ref: 'LEGAL-2025-014' };
      rights.restrictions.push(r);
      story.restriction = { id: r.id, title, start: r.start, end: r.end };
    }
  });

  const path = opts.out ?? join(libraryDir, 'rights.json');
  await writeFile(path, `${JSON.stringify(rights, null, 2)}\n`);
  return { path, rights, story };
}
