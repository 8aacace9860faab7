// Train/validation split by title: a title's clips all land on one side, so validation measures
// footage the model never saw, not neighbouring shots of the same scene.
import { createHash } from 'node:crypto';
import type { Split } from './types.js';

/** Rank key of a title: the split depends on the title's id only, never on the order titles arrive. */
export function splitRank(titleId: string): string {
  return createHash('sha256').update(`backlot-split/1\u0000${titleId}`, 'utf8').digest('hex');
}

/**
 * Orders titles by splitRank and sends the first k to validation, k = round(valFraction * n) but at
 * least 1 and at most n - 1 when there are two or more titles and valFraction > 0. One title, or
 * valFraction 0, means no validation split (a title cannot be on both sides).
 */
export function splitByTitle(titleIds: Iterable<string>, valFraction: number): Map<string, Split> {
  const ids = [...new Set(titleIds)];
  const ranked = ids.map((id) => ({ id, rank: splitRank(id) })).sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : a.id < b.id ? -1 : 1));
  const n = ranked.length;
  const k = valFraction <= 0 || n < 2 ? 0 : Math.min(n - 1, Math.max(1, Math.round(valFraction * n)));
  return new Map(ranked.map((t, i) => [t.id, i < k ? 'val' : 'train']));
}
