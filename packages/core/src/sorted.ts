// Searching sorted arrays.

/**
 * The first index in [0, length) at which `before(i)` is false, where `before` holds for a prefix of
 * the indices and for none after it (a binary search: log2(length) calls); `length` if it holds for all.
 */
export function partitionPoint(length: number, before: (i: number) => boolean): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
