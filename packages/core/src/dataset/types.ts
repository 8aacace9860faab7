// The records a dataset snapshot is made of (docs/dataset-format.md): manifest entries, exclusions,
// the shard spec and snapshot.json. Field names are the on-disk contract with the trainer.

export const DATASET_PURPOSES = ['video', 'audio'] as const;
export type DatasetPurpose = (typeof DATASET_PURPOSES)[number];

export type Split = 'train' | 'val';

export interface ShardSpec {
  width: number;
  height: number;
  fps: number;
  maxFrames: number;
}

export const DEFAULT_SHARD_SPEC: ShardSpec = { width: 64, height: 64, fps: 12, maxFrames: 48 };

/** What was measured on the shot at ingest, repeated in the manifest so a reader can filter. */
export interface ClipAttributes {
  meanLuma: number;
  motion: number;
  seconds: number;
}

/** One line of manifest.jsonl: a clip that entered the dataset. */
export interface ManifestEntry {
  clipId: string;
  shotId: string;
  titleId: string;
  title: string;
  sourceSha256: string;
  proxySha256: string;
  /** Frames of the source file, 0-based, end inclusive. */
  startFrame: number;
  endFrame: number;
  /** Seconds in the source file. */
  start: number;
  end: number;
  caption: string;
  split: Split;
  /** File name under shards/, e.g. "train-00000.bls". */
  shard: string;
  /** 0-based position of the record inside its shard. */
  record: number;
  /** Frames stored in the record. */
  frames: number;
  /** sha256 of the record's RGB payload bytes. */
  clipSha256: string;
  attributes: ClipAttributes;
}

/** Why a shot was left out: a rights rule (from the policy) or a dataset rule (from the build). */
export interface ExclusionReason {
  rule: string;
  detail: string;
  /** The grant, consent, cue, restriction or signal the rule looked at, e.g. "consent:c-12"; null when none. */
  ref: string | null;
}

/** One line of exclusions.jsonl. */
export interface Exclusion {
  shotId: string;
  titleId: string;
  reasons: ExclusionReason[];
}

export interface ShardInfo {
  file: string;
  split: Split;
  records: number;
  bytes: number;
  sha256: string;
}

/** snapshot.json */
export interface DatasetSnapshot {
  format: string;
  id: string;
  name: string;
  createdAt: string;
  createdBy: string;
  purpose: DatasetPurpose;
  policyVersion: string;
  merkleRoot: string;
  clipsRoot: string;
  exclusionsRoot: string;
  counts: { train: number; val: number; excluded: number };
  /** The titles in each split. */
  titles: { train: string[]; val: string[] };
  params: DatasetParams;
  shardSpec: ShardSpec;
  shards: ShardInfo[];
}

/** What the user asked for, recorded so a build can be repeated. */
export interface DatasetParams {
  purpose: DatasetPurpose;
  minSeconds: number;
  maxPerTitle: number | null;
  valFraction: number;
  shardSize: number;
  /** Rights are judged as of this day (YYYY-MM-DD). */
  asOf: string;
}
