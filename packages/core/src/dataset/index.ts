// Dataset snapshots, pure parts: record types, captions, split by title, admission, shard records, diff.
export * from './types.js';
export * from './captions.js';
export * from './split.js';
export * from './admission.js';
export * from './shard-format.js';
export * from './diff.js';
