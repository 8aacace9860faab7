// Dataset snapshots end to end: build (rights policy -> captions -> shards -> Merkle root), list, show,
// verify and diff. The CLI and the server call these.
export * from './build.js';
export * from './verify.js';
export * from './diff.js';
export * from './snapshots.js';
export { ShardReader, ShardWriter, shardFileName } from './shards.js';
