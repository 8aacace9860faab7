// Studio documents attached to a title: subtitles (lines linked to the shots they overlap), the
// screenplay (parsed into elements), the cast list (title_credits) and the music cue sheet. Each is
// kept whole in the content store and attached once per content hash, so re-running is a no-op.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { IngestError, fileProblem, isBacklotError, linkSubtitlesToShots, parseFountain, parseSubtitles } from '@backlot/core';
import type { Db } from '@backlot/adapters/db';
import { sha256Bytes, type ContentStore } from '@backlot/adapters/store';
import type { Sidecar } from './collect.js';
import { insertRows } from './insert-rows.js';

/** `{title?, year?, cast: [{character, person, role?}]}` or a bare array of entries. */
const CastEntry = z.object({ character: z.string().min(1), person: z.string().min(1), role: z.string().min(1).optional() }).passthrough();
const CastList = z.union([
  z.object({ title: z.string().optional(), year: z.number().int().optional(), cast: z.array(CastEntry) }).passthrough(),
  z.array(CastEntry).transform((cast) => ({ cast, year: undefined as number | undefined })),
]);

/** Header a cue sheet must start with (extra columns are kept in the stored document). */
const CUE_COLUMNS = ['cue_id', 'title', 'in', 'out'];

export interface AttachResult {
  kind: Sidecar['kind'];
  path: string;
  /** false when this exact document was already attached to the title. */
  attached: boolean;
  /** Lines, elements or credits recorded. */
  records: number;
}

function bad(path: string, problem: string): IngestError {
  return new IngestError('bad_sidecar', `${path}: ${problem}`, path);
}

/**
 * Attaches one document to a title in a single transaction. Subtitle lines link to the shots of
 * `mediaFileId` (the video the subtitles belong to), whose times they share.
 */
export async function attachSidecar(db: Db, store: ContentStore, titleId: string, mediaFileId: string, sidecar: Sidecar): Promise<AttachResult> {
  let bytes: Buffer;
  try {
    bytes = await readFile(sidecar.path);
  } catch (e) {
    throw bad(sidecar.path, fileProblem(e));
  }
  const sha = sha256Bytes(bytes);
  const text = bytes.toString('utf8');
  const [seen] = await db.query('SELECT 1 FROM title_documents WHERE title_id = $1 AND kind = $2 AND sha256 = $3', [titleId, sidecar.kind, sha]);
  if (seen) return { kind: sidecar.kind, path: sidecar.path, attached: false, records: 0 };

  // Parse before touching the database: a bad document changes nothing.
  let write: (tx: Db) => Promise<number>;
  try {
    write = prepare(sidecar, text, titleId, mediaFileId);
  } catch (e) {
    if (e instanceof IngestError) throw e;
    throw bad(sidecar.path, isBacklotError(e) || e instanceof z.ZodError ? oneLine(e) : `cannot parse (${(e as Error).message})`);
  }
  await store.putBytes(bytes);
  const records = await db.transaction(async (tx) => {
    const n = await write(tx);
    await tx.query(
      'INSERT INTO title_documents (title_id, kind, path, sha256, body_sha256) VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING',
      [titleId, sidecar.kind, sidecar.path, sha],
    );
    return n;
  });
  return { kind: sidecar.kind, path: sidecar.path, attached: true, records };
}

function oneLine(e: unknown): string {
  if (e instanceof z.ZodError) {
    const i = e.issues[0];
    return `not a cast list (${i ? `${i.path.join('.') || 'top level'}: ${i.message}` : 'invalid'}); expected {"cast": [{"character", "person"}]}`;
  }
  return (e as Error).message.split('\n')[0] ?? 'invalid';
}

function prepare(sidecar: Sidecar, text: string, titleId: string, mediaFileId: string): (tx: Db) => Promise<number> {
  switch (sidecar.kind) {
    case 'subtitles': {
      const lines = parseSubtitles(text);
      return async (tx) => {
        const shots = await tx.query<{ id: string; start_s: number; end_s: number }>('SELECT id, start_s, end_s FROM shots WHERE media_file_id = $1 ORDER BY idx', [mediaFileId]);
        const links = linkSubtitlesToShots(lines, shots.map((s) => ({ id: s.id, start: s.start_s, end: s.end_s })));
        // One subtitle track per title: the newest replaces the previous one.
        await tx.query('DELETE FROM subtitle_lines WHERE title_id = $1', [titleId]);
        await insertRows(tx, 'subtitle_lines', ['title_id', 'idx', 'start_s', 'end_s', 'text', 'shot_ids'], lines.map((l, i) => [titleId, l.idx, l.start, l.end, l.text, links[i] ?? []]));
        return lines.length;
      };
    }
    case 'screenplay': {
      const play = parseFountain(text);
      if (play.elements.length === 0) throw bad(sidecar.path, 'the screenplay has no scenes, action or dialogue');
      return async (tx) => {
        await tx.query('DELETE FROM screenplay_elements WHERE title_id = $1', [titleId]);
        await insertRows(tx, 'screenplay_elements', ['title_id', 'idx', 'scene', 'kind', 'text'], play.elements.map((e) => [titleId, e.idx, e.scene, e.kind, e.text]));
        return play.elements.length;
      };
    }
    case 'cast': {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        throw bad(sidecar.path, `not valid JSON (${(e as Error).message})`);
      }
      const list = CastList.parse(json);
      return async (tx) => {
        for (const c of list.cast) {
          await tx.query('INSERT INTO title_credits (title_id, character, person, role) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [titleId, c.character, c.person, c.role ?? 'actor']);
        }
        if (list.year) await tx.query('UPDATE titles SET year = $2 WHERE id = $1 AND year IS NULL', [titleId, list.year]);
        return list.cast.length;
      };
    }
    case 'cues': {
      const header = (text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
      if (!CUE_COLUMNS.every((c) => header.includes(c))) throw bad(sidecar.path, `not a cue sheet: the first line must name the columns ${CUE_COLUMNS.join(',')}`);
      const rows = text.split(/\r?\n/).slice(1).filter((l) => l.trim()).length;
      return async () => rows;
    }
  }
}
