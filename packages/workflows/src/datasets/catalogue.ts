// What a dataset build reads from the library: shots in shotId order (keyset pages, so a million
// shots stream in constant memory), and per title the screenplay and subtitles for captions.
import type { Db } from '@backlot/adapters/db';
import { alignScreenplay, type ScreenplayAlignment, type ScreenplayElementInput, type SubtitleInput } from '@backlot/core';

export interface CatalogueShot {
  id: string;
  titleId: string;
  title: string;
  year: number | null;
  mediaFileId: string;
  sourceSha256: string;
  fps: number;
  startFrame: number;
  endFrame: number;
  start: number;
  end: number;
  /** Frames at the head that belong to the incoming dissolve, fade or wipe (0 for a cut, or when not recorded). */
  transitionFrames: number;
  meanLuma: number;
  motion: number;
  isBlack: boolean;
  dupGroup: string | null;
  proxySha256: string | null;
  /** Why ingest made no proxy on purpose ('black', 'too_short'), when it did not. */
  proxySkip: string | null;
}

interface ShotRow {
  id: string;
  title_id: string;
  title: string;
  year: number | null;
  media_file_id: string;
  source_sha256: string;
  fps_num: number;
  fps_den: number;
  start_frame: number;
  end_frame: number;
  start_s: number;
  end_s: number;
  transition_frames: number | null;
  mean_luma: number;
  motion: number;
  is_black: boolean;
  dup_group: string | null;
  proxy_sha256: string | null;
  proxy_skip: string | null;
  [k: string]: unknown;
}

export async function countShots(db: Db): Promise<number> {
  const [r] = await db.query<{ n: number | string }>('SELECT count(*) AS n FROM shots');
  return Number(r?.n ?? 0);
}

/**
 * Every shot, ordered by id in byte order (COLLATE "C"), which is the order the Merkle leaves need;
 * the tree refuses anything else, so a different collation could never pass unnoticed.
 */
export async function* shotsInIdOrder(db: Db, pageSize = 500): AsyncGenerator<CatalogueShot> {
  let after = '';
  for (;;) {
    const rows = await db.query<ShotRow>(
      `SELECT s.id, s.title_id, t.name AS title, t.year, s.media_file_id, m.sha256 AS source_sha256, m.fps_num, m.fps_den,
              s.start_frame, s.end_frame, s.start_s, s.end_s, s.transition_frames, s.mean_luma, s.motion, s.is_black, s.dup_group, s.proxy_sha256, s.proxy_skip
         FROM shots s JOIN media_files m ON m.id = s.media_file_id JOIN titles t ON t.id = s.title_id
        WHERE s.id COLLATE "C" > $1
        ORDER BY s.id COLLATE "C"
        LIMIT $2`,
      [after, pageSize],
    );
    for (const r of rows) {
      yield {
        id: r.id, titleId: r.title_id, title: r.title, year: r.year, mediaFileId: r.media_file_id, sourceSha256: r.source_sha256,
        fps: r.fps_num / r.fps_den, startFrame: r.start_frame, endFrame: r.end_frame, start: r.start_s, end: r.end_s, transitionFrames: r.transition_frames ?? 0,
        meanLuma: r.mean_luma, motion: r.motion, isBlack: r.is_black, dupGroup: r.dup_group, proxySha256: r.proxy_sha256, proxySkip: r.proxy_skip,
      };
    }
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1]!.id;
  }
}

export interface TitleTexts {
  alignment: ScreenplayAlignment | null;
  subtitles: SubtitleInput[];
}

export async function loadTitleTexts(db: Db, titleId: string): Promise<TitleTexts> {
  const elements = await db.query<ScreenplayElementInput & Record<string, unknown>>(
    'SELECT idx, scene, kind, text FROM screenplay_elements WHERE title_id = $1 ORDER BY idx', [titleId]);
  const subtitles = (await db.query<{ idx: number; start_s: number; end_s: number; text: string }>(
    'SELECT idx, start_s, end_s, text FROM subtitle_lines WHERE title_id = $1 ORDER BY start_s, idx', [titleId])).map((s) => ({ idx: s.idx, start: s.start_s, end: s.end_s, text: s.text }));
  if (!elements.length) return { alignment: null, subtitles };
  const [d] = await db.query<{ end_s: number | null }>('SELECT max(end_s) AS end_s FROM shots WHERE title_id = $1', [titleId]);
  // Scene changes snap to shot changes: the cuts of the title's longest file (the feature, not a trailer).
  const cuts = await db.query<{ start_s: number }>(
    `SELECT start_s FROM shots WHERE media_file_id = (
       SELECT media_file_id FROM shots WHERE title_id = $1 GROUP BY media_file_id ORDER BY max(end_s) DESC, media_file_id LIMIT 1)
     ORDER BY start_s`, [titleId]);
  return { alignment: alignScreenplay(elements, subtitles, d?.end_s ?? 0, cuts.map((c) => c.start_s)), subtitles };
}

/** Title texts for the few titles a shotId-ordered stream is in at once (ids start with the media hash, so a title's shots come together). */
export class TitleTextCache {
  private readonly cache = new Map<string, Promise<TitleTexts>>();

  constructor(
    private readonly db: Db,
    private readonly keep = 8,
  ) {}

  get(titleId: string): Promise<TitleTexts> {
    let hit = this.cache.get(titleId);
    if (hit) {
      this.cache.delete(titleId);
    } else {
      hit = loadTitleTexts(this.db, titleId);
      if (this.cache.size >= this.keep) this.cache.delete(this.cache.keys().next().value!);
    }
    this.cache.set(titleId, hit);
    return hit;
  }
}
