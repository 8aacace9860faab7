// What a person (CLI `backlot library`, the server, the web app) asks of the library: the titles,
// one title in full, a title's shots, and a contact sheet of them.
import { NotFoundError, type TransitionKind } from '@backlot/core';
import type { Db } from '@backlot/adapters/db';
import { renderContactSheet, timecode } from '@backlot/adapters/ffmpeg';
import type { Workspace } from '@backlot/adapters/workspace';

export interface TitleSummary {
  id: string;
  name: string;
  year: number | null;
  files: number;
  shots: number;
  proxies: number;
  durationSeconds: number;
  /** Every file of the title finished ingesting. */
  ready: boolean;
  documents: string[];
}

export interface MediaFileSummary {
  id: string;
  path: string;
  sha256: string;
  container: string;
  videoCodec: string;
  width: number;
  height: number;
  fps: number;
  fpsExact: string;
  variableFrameRate: boolean;
  durationSeconds: number;
  frameCount: number | null;
  status: string;
  shots: number;
  audio: Array<{ codec: string; channels: number; sampleRate: number; language: string | null }>;
}

export interface TitleDetail extends TitleSummary {
  kind: string;
  mediaFiles: MediaFileSummary[];
  documentsAttached: Array<{ kind: string; path: string; sha256: string; attachedAt: string }>;
  credits: Array<{ character: string; person: string; role: string }>;
  screenplayElements: number;
  subtitleLines: number;
  transitions: Record<TransitionKind, number>;
  duplicateShots: number;
}

export interface ShotRecord {
  id: string;
  mediaFileId: string;
  index: number;
  startFrame: number;
  endFrame: number;
  start: number;
  end: number;
  transitionIn: TransitionKind;
  keyframe: number;
  keyframeSha256: string | null;
  meanLuma: number;
  sharpness: number;
  motion: number;
  isBlack: boolean;
  letterbox: boolean;
  phash: string;
  dupGroup: string | null;
  proxySha256: string | null;
  proxySkip: string | null;
  /** Subtitle lines linked to this shot. */
  subtitles: string[];
}

const num = (v: unknown): number => Number(v ?? 0);

export async function listTitles(db: Db): Promise<TitleSummary[]> {
  const rows = await db.query(
    `SELECT t.id, t.name, t.year,
            (SELECT count(*) FROM media_files m WHERE m.title_id = t.id) AS files,
            (SELECT count(*) FROM media_files m WHERE m.title_id = t.id AND m.status <> 'ready') AS unfinished,
            (SELECT coalesce(sum(m.duration_s), 0) FROM media_files m WHERE m.title_id = t.id) AS duration,
            (SELECT count(*) FROM shots s WHERE s.title_id = t.id) AS shots,
            (SELECT count(proxy_sha256) FROM shots s WHERE s.title_id = t.id) AS proxies,
            (SELECT coalesce(string_agg(DISTINCT d.kind, ',' ORDER BY d.kind), '') FROM title_documents d WHERE d.title_id = t.id) AS documents
       FROM titles t ORDER BY t.name`,
  );
  return rows.map((r) => ({
    id: String(r.id),
    name: String(r.name),
    year: r.year === null || r.year === undefined ? null : num(r.year),
    files: num(r.files),
    shots: num(r.shots),
    proxies: num(r.proxies),
    durationSeconds: num(r.duration),
    ready: num(r.unfinished) === 0 && num(r.files) > 0,
    documents: String(r.documents ?? '').split(',').filter(Boolean),
  }));
}

/** Finds a title by id or by name (case-insensitive). */
export async function resolveTitle(db: Db, ref: string): Promise<{ id: string; name: string }> {
  const rows = await db.query<{ id: string; name: string }>('SELECT id, name FROM titles WHERE id = $1 OR lower(name) = lower($1) ORDER BY (id = $1) DESC', [ref]);
  const t = rows[0];
  if (!t) {
    const names = (await db.query<{ name: string }>('SELECT name FROM titles ORDER BY name LIMIT 8')).map((r) => r.name);
    throw new NotFoundError('title_not_found', `no title "${ref}" in the library${names.length ? ` (titles: ${names.join(', ')})` : ' (it is empty: run backlot ingest first)'}`, ref);
  }
  return t;
}

export async function showTitle(db: Db, ref: string): Promise<TitleDetail> {
  const { id } = await resolveTitle(db, ref);
  const summary = (await listTitles(db)).find((t) => t.id === id)!;
  const [t] = await db.query<{ kind: string }>('SELECT kind FROM titles WHERE id = $1', [id]);
  const media = await db.query(
    `SELECT m.*, (SELECT count(*) FROM shots s WHERE s.media_file_id = m.id) AS shots FROM media_files m WHERE m.title_id = $1 ORDER BY m.ingested_at, m.path`,
    [id],
  );
  const docs = await db.query('SELECT kind, path, sha256, attached_at FROM title_documents WHERE title_id = $1 ORDER BY kind, attached_at', [id]);
  const credits = await db.query<{ character: string; person: string; role: string }>('SELECT character, person, role FROM title_credits WHERE title_id = $1 ORDER BY character, person', [id]);
  const [counts] = await db.query(
    `SELECT (SELECT count(*) FROM screenplay_elements WHERE title_id = $1) AS elements,
            (SELECT count(*) FROM subtitle_lines WHERE title_id = $1) AS lines,
            (SELECT count(*) FROM shots WHERE title_id = $1 AND dup_group IS NOT NULL) AS dups`,
    [id],
  );
  const transitions: Record<TransitionKind, number> = { none: 0, cut: 0, dissolve: 0, fade: 0, wipe: 0 };
  for (const r of await db.query<{ transition_in: TransitionKind; n: unknown }>('SELECT transition_in, count(*) AS n FROM shots WHERE title_id = $1 GROUP BY transition_in', [id])) {
    transitions[r.transition_in] = num(r.n);
  }
  return {
    ...summary,
    kind: t?.kind ?? 'film',
    mediaFiles: media.map((m) => {
      const probe = (typeof m.probe === 'string' ? JSON.parse(m.probe) : m.probe) as { audio?: MediaFileSummary['audio'] };
      return {
        id: String(m.id),
        path: String(m.path),
        sha256: String(m.sha256),
        container: String(m.container),
        videoCodec: String(m.video_codec),
        width: num(m.width),
        height: num(m.height),
        fps: num(m.fps_num) / num(m.fps_den),
        fpsExact: `${num(m.fps_num)}/${num(m.fps_den)}`,
        variableFrameRate: Boolean(m.vfr),
        durationSeconds: num(m.duration_s),
        frameCount: m.frame_count === null ? null : num(m.frame_count),
        status: String(m.status),
        shots: num(m.shots),
        audio: (probe.audio ?? []).map((a) => ({ codec: a.codec, channels: a.channels, sampleRate: a.sampleRate, language: a.language })),
      };
    }),
    documentsAttached: docs.map((d) => ({ kind: String(d.kind), path: String(d.path), sha256: String(d.sha256), attachedAt: new Date(String(d.attached_at)).toISOString() })),
    credits,
    screenplayElements: num(counts?.elements),
    subtitleLines: num(counts?.lines),
    transitions,
    duplicateShots: num(counts?.dups),
  };
}

export async function titleShots(db: Db, ref: string): Promise<{ title: { id: string; name: string }; shots: ShotRecord[] }> {
  const title = await resolveTitle(db, ref);
  const rows = await db.query(
    `SELECT s.*, m.ingested_at FROM shots s JOIN media_files m ON m.id = s.media_file_id WHERE s.title_id = $1 ORDER BY m.ingested_at, m.path, s.idx`,
    [title.id],
  );
  const lines = await db.query<{ text: string; shot_ids: string[] }>('SELECT text, shot_ids FROM subtitle_lines WHERE title_id = $1 ORDER BY idx', [title.id]);
  const bySho = new Map<string, string[]>();
  for (const l of lines) for (const id of l.shot_ids ?? []) bySho.set(id, [...(bySho.get(id) ?? []), l.text]);
  return {
    title,
    shots: rows.map((r) => ({
      id: String(r.id),
      mediaFileId: String(r.media_file_id),
      index: num(r.idx),
      startFrame: num(r.start_frame),
      endFrame: num(r.end_frame),
      start: num(r.start_s),
      end: num(r.end_s),
      transitionIn: r.transition_in as TransitionKind,
      keyframe: num(r.keyframe),
      keyframeSha256: (r.keyframe_sha256 as string | null) ?? null,
      meanLuma: num(r.mean_luma),
      sharpness: num(r.sharpness),
      motion: num(r.motion),
      isBlack: Boolean(r.is_black),
      letterbox: Boolean(r.letterbox),
      phash: String(r.phash),
      dupGroup: (r.dup_group as string | null) ?? null,
      proxySha256: (r.proxy_sha256 as string | null) ?? null,
      proxySkip: (r.proxy_skip as string | null) ?? null,
      subtitles: bySho.get(String(r.id)) ?? [],
    })),
  };
}

/** Renders a title's keyframes as one JPEG grid at `out`, labelled with shot number and timecode. */
export async function contactSheet(
  ws: Workspace,
  ref: string,
  out: string,
  opts: { columns?: number; cellWidth?: number; signal?: AbortSignal } = {},
): Promise<{ title: string; shots: number; columns: number; rows: number; width: number; height: number; path: string }> {
  const { title, shots } = await titleShots(ws.db, ref);
  const fps = new Map((await ws.db.query<{ id: string; fps_num: number; fps_den: number }>('SELECT id, fps_num, fps_den FROM media_files WHERE title_id = $1', [title.id])).map((m) => [m.id, m.fps_num / m.fps_den]));
  const multiFile = fps.size > 1;
  const cells = shots
    .filter((s) => s.keyframeSha256)
    .map((s) => ({
      image: ws.store.pathOf(s.keyframeSha256!),
      label: `${multiFile ? `${s.mediaFileId.slice(0, 4)} ` : ''}#${s.index}  ${timecode(s.start, fps.get(s.mediaFileId) ?? 24)}`,
      transitionIn: s.transitionIn,
    }));
  if (cells.length === 0) throw new NotFoundError('no_keyframes', `title "${title.name}" has no shots with keyframes yet: run backlot ingest to finish it`, ref);
  const grid = await renderContactSheet(cells, out, opts);
  return { title: title.name, shots: cells.length, ...grid, path: out };
}
