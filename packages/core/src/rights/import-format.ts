// The rights import format (JSON, or CSV with one row per record), its zod schemas, and the pure
// checks that find EVERY problem in a file (with its path or row) before anything is written.
// docs/rights-import.schema.json is generated from RightsImportFileSchema.
import { z } from 'zod';
import { RightsError } from '../errors.js';
import { CONSENT_SCOPES, GRANT_USES, PERSON_KINDS, PRESENCES, RESTRICTION_KINDS } from './model.js';

export const RIGHTS_IMPORT_FORMAT = 'backlot-rights/1';

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'expected a date YYYY-MM-DD', abort: true })
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'not a calendar date');
const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'ids are 1-128 letters, digits, . _ : - (starting with a letter or digit)');
const text = z.string().min(1, 'must not be empty');
const seconds = z.number().finite().nonnegative();
const ref = z.string().min(1).describe('a title id or title name (as `backlot ls` shows it)');
const personRef = z.string().min(1).describe('a person id (in this file or already imported), or a name or alias that names exactly one person');

export const PersonRecordSchema = z
  .object({
    id,
    name: text,
    kind: z.enum(PERSON_KINDS),
    aliases: z.array(text).default([]),
  })
  .strict();

export const GrantRecordSchema = z
  .object({
    id,
    title: ref,
    uses: z.array(z.enum(GRANT_USES)).min(1, 'name at least one use'),
    grantor: text,
    territory: text.default('worldwide').describe('"worldwide" or the territory the training happens in'),
    startsOn: isoDate,
    endsOn: isoDate.nullable().default(null).describe('inclusive last day; null = perpetual'),
    contractRef: text,
    note: z.string().nullable().optional(),
  })
  .strict();

export const ConsentRecordSchema = z
  .object({
    id,
    person: personRef,
    scopes: z.array(z.enum(CONSENT_SCOPES)).min(1, 'name at least one scope'),
    grantedOn: isoDate,
    revokedOn: isoDate.nullable().default(null),
    revokedReason: z.string().nullable().optional(),
    documentRef: text,
    conditions: z
      .object({ projects: z.array(text).optional(), note: z.string().optional() })
      .strict()
      .default({}),
  })
  .strict();

export const AppearanceRecordSchema = z
  .object({
    id: id.optional().describe('default: derived from person, title and range'),
    person: personRef,
    title: ref,
    start: seconds.nullable().default(null).describe('seconds into the title; null with end null = whole title'),
    end: seconds.nullable().default(null),
    presence: z.enum(PRESENCES).default('on-screen'),
    character: z.string().nullable().optional(),
  })
  .strict();

export const CueRecordSchema = z
  .object({
    id,
    title: ref,
    name: text,
    start: seconds,
    end: seconds,
    composer: z.string().nullable().optional(),
    performer: z.string().nullable().optional(),
    cleared: z.boolean().describe('cleared for training'),
    cueSheetRef: z.string().nullable().optional(),
  })
  .strict();

export const RestrictionRecordSchema = z
  .object({
    id,
    title: ref,
    start: seconds,
    end: seconds,
    kind: z.enum(RESTRICTION_KINDS),
    note: z.string().default(''),
    ref: z.string().nullable().optional(),
  })
  .strict();

export const RightsImportFileSchema = z
  .object({
    $schema: z.string().optional(),
    format: z.literal(RIGHTS_IMPORT_FORMAT).optional(),
    people: z.array(PersonRecordSchema).default([]),
    grants: z.array(GrantRecordSchema).default([]),
    consents: z.array(ConsentRecordSchema).default([]),
    appearances: z.array(AppearanceRecordSchema).default([]),
    cues: z.array(CueRecordSchema).default([]),
    restrictions: z.array(RestrictionRecordSchema).default([]),
  })
  .strict()
  .describe('Backlot rights import: the studio rights registry as one JSON document. Records are upserted by id.');

export type RightsImportFile = z.output<typeof RightsImportFileSchema>;
export type PersonRecord = z.output<typeof PersonRecordSchema>;
export type GrantRecord = z.output<typeof GrantRecordSchema>;
export type ConsentRecord = z.output<typeof ConsentRecordSchema>;
export type AppearanceRecord = z.output<typeof AppearanceRecordSchema>;
export type CueRecord = z.output<typeof CueRecordSchema>;
export type RestrictionRecord = z.output<typeof RestrictionRecordSchema>;

export const SECTIONS = ['people', 'grants', 'consents', 'appearances', 'cues', 'restrictions'] as const;
export type Section = (typeof SECTIONS)[number];

/** One thing wrong with an import file. `where` is a JSON path ("grants[2].endsOn") or "row 7, column endsOn". */
export interface ImportProblem {
  where: string;
  message: string;
}

/** Where each record came from, so later checks can name rows in CSV files. */
export type RecordLocator = (section: Section, index: number, field?: string) => string;

export const jsonLocator: RecordLocator = (section, index, field) => `${section}[${index}]${field ? `.${field}` : ''}`;

function zodPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(file)';
}

const SECTION_SCHEMAS = {
  people: PersonRecordSchema,
  grants: GrantRecordSchema,
  consents: ConsentRecordSchema,
  appearances: AppearanceRecordSchema,
  cues: CueRecordSchema,
  restrictions: RestrictionRecordSchema,
} as const;

/** The file's sections with each invalid record replaced by null, so indices (and rows) stay put. */
export type PartialRightsImport = { [S in Section]: Array<RightsImportFile[S][number] | null> } & {
  /** Ids and names of person records that failed validation: references to them are not "unknown person" too. */
  invalidPeople: KnownPerson[];
};

const FileShell = z
  .object({
    $schema: z.string().optional(),
    format: z.literal(RIGHTS_IMPORT_FORMAT).optional(),
    people: z.array(z.unknown()).default([]),
    grants: z.array(z.unknown()).default([]),
    consents: z.array(z.unknown()).default([]),
    appearances: z.array(z.unknown()).default([]),
    cues: z.array(z.unknown()).default([]),
    restrictions: z.array(z.unknown()).default([]),
  })
  .strict();

function issueMessage(i: z.core.$ZodIssue): string {
  return i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}` : i.message;
}

/**
 * Validates a parsed JSON document record by record: every schema problem, each with its path, and
 * the valid records (so reference checks can still run on them and report their problems too).
 */
export function parseRightsJson(value: unknown, locate: RecordLocator = jsonLocator): { file: PartialRightsImport | null; problems: ImportProblem[] } {
  const shell = FileShell.safeParse(value);
  if (!shell.success) return { file: null, problems: shell.error.issues.map((i) => ({ where: zodPath(i.path), message: issueMessage(i) })) };
  const problems: ImportProblem[] = [];
  const file = { invalidPeople: [] } as unknown as PartialRightsImport;
  for (const section of SECTIONS) {
    const schema = SECTION_SCHEMAS[section] as z.ZodType;
    (file as Record<string, unknown>)[section] = shell.data[section].map((item, index) => {
      const r = schema.safeParse(item);
      if (r.success) return r.data;
      for (const i of r.error.issues) problems.push({ where: locate(section, index, i.path.length ? zodPath(i.path) : undefined), message: issueMessage(i) });
      const raw = item as { id?: unknown; name?: unknown } | null;
      if (section === 'people' && raw && typeof raw.id === 'string') file.invalidPeople.push({ id: raw.id, name: typeof raw.name === 'string' ? raw.name : raw.id, aliases: [] });
      return null;
    });
  }
  return { file, problems };
}

// ---------------------------------------------------------------------------------------------
// CSV: one row per record. Column `record` names the kind (person, grant, consent, appearance, cue,
// restriction); the other columns are the JSON field names. Empty cell = not given. Lists (aliases,
// uses, scopes, projects) are separated by ";". Booleans: true/false/yes/no. Rows are numbered as
// lines in the file (the header is row 1).

export const CSV_RECORD_KINDS: Record<string, Section> = {
  person: 'people',
  grant: 'grants',
  consent: 'consents',
  appearance: 'appearances',
  cue: 'cues',
  restriction: 'restrictions',
};

const CSV_LISTS = new Set(['aliases', 'uses', 'scopes', 'projects']);
const CSV_NUMBERS = new Set(['start', 'end']);
const CSV_BOOLEANS = new Set(['cleared']);

export interface CsvRow {
  /** 1-based line number where the row starts. */
  line: number;
  cells: string[];
}

/** RFC 4180 CSV (quotes, doubled quotes, CRLF or LF, newlines inside quotes). Problems name the line. */
export function parseCsv(textIn: string): { rows: CsvRow[]; problems: ImportProblem[] } {
  const src = textIn.charCodeAt(0) === 0xfeff ? textIn.slice(1) : textIn;
  const rows: CsvRow[] = [];
  const problems: ImportProblem[] = [];
  let line = 1;
  let rowLine = 1;
  let cells: string[] = [];
  let cell = '';
  let inQuotes = false;
  let quotedCell = false;
  let i = 0;
  const endCell = () => {
    cells.push(cell);
    cell = '';
    quotedCell = false;
  };
  const endRow = () => {
    endCell();
    if (!(cells.length === 1 && cells[0] === '')) rows.push({ line: rowLine, cells });
    cells = [];
  };
  while (i < src.length) {
    const ch = src[i]!;
    if (inQuotes) {
      if (ch === '"') {
        if (src[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        inQuotes = false;
        i++;
        const next = src[i];
        if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
          problems.push({ where: `row ${rowLine}`, message: `unexpected character ${JSON.stringify(next)} after a closing quote` });
          while (i < src.length && src[i] !== ',' && src[i] !== '\n') i++;
        }
        continue;
      }
      if (ch === '\n') line++;
      cell += ch;
      i++;
      continue;
    }
    if (ch === '"') {
      if (cell.length === 0 && !quotedCell) {
        inQuotes = true;
        quotedCell = true;
      } else {
        problems.push({ where: `row ${rowLine}`, message: 'a quote inside an unquoted cell (quote the whole cell and double inner quotes)' });
      }
      i++;
      continue;
    }
    if (ch === ',') {
      endCell();
      i++;
      continue;
    }
    if (ch === '\r' && src[i + 1] === '\n') i++;
    if (ch === '\n' || ch === '\r') {
      endRow();
      line++;
      rowLine = line;
      i++;
      continue;
    }
    cell += ch;
    i++;
  }
  if (inQuotes) problems.push({ where: `row ${rowLine}`, message: 'unterminated quoted cell (a quote opened here is never closed)' });
  else if (cell.length > 0 || cells.length > 0) endRow();
  return { rows, problems };
}

function csvValue(column: string, raw: string, where: string, problems: ImportProblem[]): unknown {
  const v = raw.trim();
  if (CSV_LISTS.has(column)) return v.split(';').map((s) => s.trim()).filter((s) => s.length > 0);
  if (CSV_NUMBERS.has(column)) {
    const n = Number(v);
    if (!Number.isFinite(n)) {
      problems.push({ where, message: `expected a number of seconds, got ${JSON.stringify(v)}` });
      return v;
    }
    return n;
  }
  if (CSV_BOOLEANS.has(column)) {
    if (/^(true|yes|y|1)$/i.test(v)) return true;
    if (/^(false|no|n|0)$/i.test(v)) return false;
    problems.push({ where, message: `expected true or false, got ${JSON.stringify(v)}` });
    return v;
  }
  return v;
}

/** Turns CSV text into the JSON document shape, plus a locator naming rows; then validates it. */
export function parseRightsCsv(csvText: string): { file: PartialRightsImport | null; problems: ImportProblem[]; locate: RecordLocator } {
  const { rows, problems } = parseCsv(csvText);
  const doc: Record<Section, Array<Record<string, unknown>>> = { people: [], grants: [], consents: [], appearances: [], cues: [], restrictions: [] };
  const lines: Record<Section, number[]> = { people: [], grants: [], consents: [], appearances: [], cues: [], restrictions: [] };
  const locate: RecordLocator = (section, index, field) => `row ${lines[section][index] ?? '?'}${field ? `, column ${field}` : ''}`;
  const header = rows[0];
  if (!header) return { file: null, problems: [...problems, { where: 'row 1', message: 'the file is empty: expected a header row with a `record` column' }], locate };
  const columns = header.cells.map((c) => c.trim());
  const kindCol = columns.indexOf('record');
  if (kindCol < 0) return { file: null, problems: [...problems, { where: 'row 1', message: `the header has no \`record\` column (got ${columns.join(', ')})` }], locate };
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) problems.push({ where: `row 1, column ${c}`, message: 'column appears twice' });
    seen.add(c);
  }
  for (const row of rows.slice(1)) {
    if (row.cells.length !== columns.length) {
      problems.push({ where: `row ${row.line}`, message: `has ${row.cells.length} cells, the header has ${columns.length}` });
      continue;
    }
    const kind = row.cells[kindCol]!.trim();
    const section = CSV_RECORD_KINDS[kind];
    if (!section) {
      problems.push({ where: `row ${row.line}, column record`, message: `unknown record kind ${JSON.stringify(kind)} (one of ${Object.keys(CSV_RECORD_KINDS).join(', ')})` });
      continue;
    }
    const rec: Record<string, unknown> = {};
    const conditions: Record<string, unknown> = {};
    columns.forEach((col, ci) => {
      if (ci === kindCol) return;
      const raw = row.cells[ci]!;
      if (raw.trim() === '') return;
      const value = csvValue(col, raw, `row ${row.line}, column ${col}`, problems);
      if (section === 'consents' && (col === 'projects' || col === 'conditionsNote')) {
        conditions[col === 'projects' ? 'projects' : 'note'] = value;
      } else rec[col] = value;
    });
    if (Object.keys(conditions).length) rec.conditions = conditions;
    lines[section].push(row.line);
    doc[section].push(rec);
  }
  const parsed = parseRightsJson(doc, locate);
  return { file: parsed.file, problems: [...problems, ...parsed.problems], locate };
}

// ---------------------------------------------------------------------------------------------
// Cross-record checks: references resolve, ids are unique, windows make sense and do not overlap.

export interface KnownTitle {
  id: string;
  name: string;
  durationSeconds?: number | null;
}
export interface KnownPerson {
  id: string;
  name: string;
  aliases: string[];
}
export interface KnownGrant {
  id: string;
  titleId: string;
  uses: string[];
  territory: string;
  startsOn: string;
  endsOn: string | null;
  revokedOn?: string | null;
}

/** The file with every reference resolved to ids. */
export interface ResolvedRightsImport {
  people: PersonRecord[];
  grants: Array<GrantRecord & { titleId: string }>;
  consents: Array<ConsentRecord & { personId: string }>;
  appearances: Array<AppearanceRecord & { id: string; titleId: string; personId: string }>;
  cues: Array<CueRecord & { titleId: string }>;
  restrictions: Array<RestrictionRecord & { titleId: string }>;
}

const norm = (s: string) => s.trim().toLowerCase();

function overlapsDays(a: { startsOn: string; endsOn: string | null }, b: { startsOn: string; endsOn: string | null }): boolean {
  return a.startsOn <= (b.endsOn ?? '9999-12-31') && b.startsOn <= (a.endsOn ?? '9999-12-31');
}

export function resolveRightsImport(
  file: PartialRightsImport,
  known: { titles: KnownTitle[]; people: KnownPerson[]; grants: KnownGrant[] },
  locate: RecordLocator = jsonLocator,
): { resolved: ResolvedRightsImport | null; problems: ImportProblem[] } {
  const problems: ImportProblem[] = [];
  const titleById = new Map(known.titles.map((t) => [t.id, t]));
  const titleByName = new Map<string, KnownTitle[]>();
  for (const t of known.titles) titleByName.set(norm(t.name), [...(titleByName.get(norm(t.name)) ?? []), t]);

  // People: the file's records replace stored ones with the same id.
  const people = new Map<string, KnownPerson>(known.people.map((p) => [p.id, p]));
  const fileIds = new Map<string, number>();
  for (const p of file.invalidPeople) if (!people.has(p.id)) people.set(p.id, p);
  file.people.forEach((p, i) => {
    if (!p) return;
    if (fileIds.has(p.id)) problems.push({ where: locate('people', i, 'id'), message: `person id ${p.id} appears twice in the file (also ${locate('people', fileIds.get(p.id)!)})` });
    fileIds.set(p.id, i);
    people.set(p.id, p);
  });
  const byName = new Map<string, Set<string>>();
  for (const p of people.values()) {
    for (const n of [p.name, ...p.aliases]) {
      const k = norm(n);
      if (!byName.has(k)) byName.set(k, new Set());
      byName.get(k)!.add(p.id);
    }
  }

  const title = (value: string, section: Section, i: number): string | null => {
    const t = titleById.get(value);
    if (t) return t.id;
    const named = titleByName.get(norm(value)) ?? [];
    if (named.length === 1) return named[0]!.id;
    problems.push({ where: locate(section, i, 'title'), message: named.length > 1 ? `title name ${JSON.stringify(value)} is ambiguous: use its id` : `unknown title ${JSON.stringify(value)} (ingest it first, or use an id from \`backlot ls\`)` });
    return null;
  };
  const person = (value: string, section: Section, i: number): string | null => {
    if (people.has(value)) return value;
    const ids = byName.get(norm(value));
    if (ids && ids.size === 1) return [...ids][0]!;
    problems.push({ where: locate(section, i, 'person'), message: ids && ids.size > 1 ? `person ${JSON.stringify(value)} is ambiguous (${[...ids].join(', ')}): use an id` : `unknown person ${JSON.stringify(value)} (add them under people)` });
    return null;
  };
  const uniqueIds = (section: Section, records: Array<{ id?: string } | null>) => {
    const seenAt = new Map<string, number>();
    records.forEach((r, i) => {
      if (!r?.id) return;
      if (seenAt.has(r.id)) problems.push({ where: locate(section, i, 'id'), message: `id ${r.id} appears twice in the file (also ${locate(section, seenAt.get(r.id)!)})` });
      else seenAt.set(r.id, i);
    });
  };
  const range = (section: Section, i: number, r: { start: number | null; end: number | null }, duration?: number | null) => {
    if ((r.start === null) !== (r.end === null)) problems.push({ where: locate(section, i, r.start === null ? 'start' : 'end'), message: 'give both start and end, or neither (whole title)' });
    else if (r.start !== null && r.end !== null && r.end <= r.start) problems.push({ where: locate(section, i, 'end'), message: `end ${r.end} s is not after start ${r.start} s` });
    else if (duration && r.start !== null && r.start >= duration) problems.push({ where: locate(section, i, 'start'), message: `start ${r.start} s is past the end of the title (${duration.toFixed(2)} s)` });
  };
  for (const s of ['grants', 'consents', 'appearances', 'cues', 'restrictions'] as const) uniqueIds(s, file[s]);

  const grants = file.grants.map((g, i) => {
    if (!g) return null;
    const titleId = title(g.title, 'grants', i);
    if (g.endsOn !== null && g.endsOn < g.startsOn) problems.push({ where: locate('grants', i, 'endsOn'), message: `window ends ${g.endsOn}, before it starts ${g.startsOn}` });
    return { ...g, titleId: titleId ?? '' };
  });
  // Two live grants of the same use for the same title and territory over overlapping windows make
  // the registry ambiguous (which contract governs?), so the file must say which one it replaces.
  const fileGrantIds = new Set(file.grants.flatMap((g) => (g ? [g.id] : [])));
  const candidates: Array<{ g: KnownGrant; where: string; fileIndex: number }> = [
    ...known.grants.filter((g) => !fileGrantIds.has(g.id) && !g.revokedOn).map((g) => ({ g, where: `stored grant ${g.id}`, fileIndex: -1 })),
    ...grants.flatMap((g, i) => (g ? [{ g, where: locate('grants', i), fileIndex: i }] : [])),
  ];
  grants.forEach((g, i) => {
    if (!g?.titleId) return;
    for (const other of candidates) {
      // Each pair inside the file is reported once, on the later record.
      if (other.fileIndex >= i || other.g.titleId !== g.titleId || other.g.territory !== g.territory) continue;
      const shared = g.uses.filter((u) => other.g.uses.includes(u));
      if (shared.length && overlapsDays(g, other.g)) {
        problems.push({ where: locate('grants', i, 'startsOn'), message: `window ${g.startsOn}..${g.endsOn ?? 'perpetual'} overlaps ${other.where} (${other.g.startsOn}..${other.g.endsOn ?? 'perpetual'}) for ${shared.join(', ')} in ${g.territory}` });
      }
    }
  });

  const consents = file.consents.map((c, i) => {
    if (!c) return null;
    const personId = person(c.person, 'consents', i);
    if (c.revokedOn !== null && c.revokedOn < c.grantedOn) problems.push({ where: locate('consents', i, 'revokedOn'), message: `revoked ${c.revokedOn}, before it was granted ${c.grantedOn}` });
    if (c.revokedOn === null && c.revokedReason) problems.push({ where: locate('consents', i, 'revokedReason'), message: 'a revokedReason without revokedOn' });
    return { ...c, personId: personId ?? '' };
  });
  const appearances = file.appearances.map((a, i) => {
    if (!a) return null;
    const titleId = title(a.title, 'appearances', i);
    const personId = person(a.person, 'appearances', i);
    range('appearances', i, a, titleId ? titleById.get(titleId)?.durationSeconds : null);
    const idOut = a.id ?? `app:${personId ?? a.person}:${titleId ?? a.title}:${a.start ?? 'all'}-${a.end ?? 'all'}:${a.presence}`;
    return { ...a, id: idOut, titleId: titleId ?? '', personId: personId ?? '' };
  });
  const cues = file.cues.map((c, i) => {
    if (!c) return null;
    const titleId = title(c.title, 'cues', i);
    range('cues', i, c, titleId ? titleById.get(titleId)?.durationSeconds : null);
    return { ...c, titleId: titleId ?? '' };
  });
  const restrictions = file.restrictions.map((r, i) => {
    if (!r) return null;
    const titleId = title(r.title, 'restrictions', i);
    range('restrictions', i, r, titleId ? titleById.get(titleId)?.durationSeconds : null);
    return { ...r, titleId: titleId ?? '' };
  });
  const all = <T>(xs: Array<T | null>): T[] => xs.filter((x): x is T => x !== null);
  if (problems.length) return { resolved: null, problems };
  return { resolved: { people: all(file.people), grants: all(grants), consents: all(consents), appearances: all(appearances), cues: all(cues), restrictions: all(restrictions) }, problems };
}

/** An import file with problems: nothing was written. The message is one line; `problems` has every one. */
export class RightsImportError extends RightsError {
  constructor(
    readonly file: string,
    readonly problems: ImportProblem[],
  ) {
    super('rights_import_invalid', `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}, nothing was imported (first: ${problems[0]?.where}: ${problems[0]?.message})`, file);
  }
}

/**
 * JSON Schema (draft 2020-12) of the import file as a user writes it (defaults optional), generated
 * from the zod schemas above; docs/rights-import.schema.json is this, and a test keeps them equal.
 */
export function rightsImportJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(RightsImportFileSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, $id: 'https://backlot.studio/schemas/rights-import.schema.json', title: 'Backlot rights import (backlot-rights/1)' };
}
