// The dataset's merkleRoot: one digest committing to every manifest line, every exclusion line, the
// policy version, the purpose and the shard spec. Encoding (also in docs/dataset-format.md):
//   clipsRoot      = RFC 6962 tree over sha256(0x00 || manifest line) for the lines sorted by shotId
//   exclusionsRoot = the same over exclusion lines sorted by shotId
//   merkleRoot     = sha256(0x02 || canonicalJson({ clipsRoot, exclusionsRoot, format, policyVersion, purpose, shardSpec }))
// A line is the canonical JSON of its record (keys sorted, no spaces), exactly the bytes stored in the
// .jsonl file without its newline, so a reader re-derives the root from the files without re-encoding.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../audit/index.js';
import { DatasetError } from '../errors.js';
import type { DatasetPurpose, Exclusion, ManifestEntry, ShardSpec } from '../dataset/types.js';
import { MerkleAccumulator } from './tree.js';

export const DATASET_FORMAT = 'backlot-dataset/1';
/** Prefix byte of the final commitment, distinct from leaves (0x00) and nodes (0x01). */
export const ROOT_PREFIX = 0x02;

/**
 * canonicalJson (keys sorted by UTF-16 code units, no whitespace) by copying into key-sorted objects
 * and letting the native JSON.stringify write them: about 3x faster on a million lines. Objects with
 * integer-like keys (which JavaScript always orders first) or values JSON.stringify treats
 * differently go through canonicalJson itself; tests pin both to the same bytes.
 */
export function canonicalLine(value: unknown): string {
  const sorted = sortedCopy(value);
  return sorted === FALLBACK ? canonicalJson(value) : JSON.stringify(sorted);
}

const FALLBACK = Symbol('fallback');
const INTEGER_LIKE = /^(0|[1-9][0-9]*)$/;

function sortedCopy(v: unknown): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : FALLBACK;
  if (typeof v !== 'object' || v instanceof Date) return FALLBACK;
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) {
      const c = sortedCopy(v[i]);
      if (c === FALLBACK) return FALLBACK;
      out[i] = c;
    }
    return out;
  }
  const obj = v as Record<string, unknown>;
  // No prototype, so a "__proto__" key is an own property like any other, not a prototype change.
  const out = Object.create(null) as Record<string, unknown>;
  for (const k of Object.keys(obj).sort()) {
    if (obj[k] === undefined) continue;
    if (INTEGER_LIKE.test(k)) return FALLBACK;
    const c = sortedCopy(obj[k]);
    if (c === FALLBACK) return FALLBACK;
    out[k] = c;
  }
  return out;
}

export function manifestLine(entry: ManifestEntry): string {
  return canonicalLine(entry);
}

export function exclusionLine(exclusion: Exclusion): string {
  return canonicalLine(exclusion);
}

/**
 * Leaves keyed by shotId, which must arrive in strictly increasing order (UTF-16 code unit order,
 * the same as byte order for the ASCII ids Backlot makes). Feeding a sorted stream keeps memory flat;
 * out-of-order or repeated keys throw rather than silently producing a different root.
 */
export class SortedLeafTree {
  private readonly acc = new MerkleAccumulator();
  private last: string | null = null;

  constructor(readonly what: string) {}

  get count(): number {
    return this.acc.count;
  }

  push(key: string, line: string): void {
    if (this.last !== null && !(key > this.last)) {
      throw new DatasetError('leaf_order', `${this.what}: shot ${key} comes after ${this.last}; lines must be sorted by shotId with no repeats`, key);
    }
    this.last = key;
    this.acc.pushLeaf(line);
  }

  rootHex(): string {
    return this.acc.root().toString('hex');
  }
}

export interface DatasetCommitment {
  policyVersion: string;
  purpose: DatasetPurpose;
  shardSpec: ShardSpec;
  clipsRoot: string;
  exclusionsRoot: string;
}

export function commitmentJson(c: DatasetCommitment): string {
  const { width, height, fps, maxFrames } = c.shardSpec;
  return canonicalJson({
    clipsRoot: c.clipsRoot,
    exclusionsRoot: c.exclusionsRoot,
    format: DATASET_FORMAT,
    policyVersion: c.policyVersion,
    purpose: c.purpose,
    shardSpec: { width, height, fps, maxFrames },
  });
}

export function datasetRootOf(c: DatasetCommitment): string {
  return createHash('sha256').update(Buffer.from([ROOT_PREFIX])).update(commitmentJson(c), 'utf8').digest('hex');
}

const byShot = <T extends { shotId: string }>(a: T, b: T) => (a.shotId < b.shotId ? -1 : a.shotId > b.shotId ? 1 : 0);

/** The whole root from records in any order (sorted here); builds use the streaming trees instead. */
export function datasetMerkleRoot(input: {
  entries: readonly ManifestEntry[];
  exclusions: readonly Exclusion[];
  policyVersion: string;
  purpose: DatasetPurpose;
  shardSpec: ShardSpec;
}): { merkleRoot: string; clipsRoot: string; exclusionsRoot: string } {
  const clips = new SortedLeafTree('manifest');
  for (const e of [...input.entries].sort(byShot)) clips.push(e.shotId, manifestLine(e));
  const excluded = new SortedLeafTree('exclusions');
  for (const x of [...input.exclusions].sort(byShot)) excluded.push(x.shotId, exclusionLine(x));
  const clipsRoot = clips.rootHex();
  const exclusionsRoot = excluded.rootHex();
  const merkleRoot = datasetRootOf({ policyVersion: input.policyVersion, purpose: input.purpose, shardSpec: input.shardSpec, clipsRoot, exclusionsRoot });
  return { merkleRoot, clipsRoot, exclusionsRoot };
}
