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

export function manifestLine(entry: ManifestEntry): string {
  return canonicalJson(entry);
}

export function exclusionLine(exclusion: Exclusion): string {
  return canonicalJson(exclusion);
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
