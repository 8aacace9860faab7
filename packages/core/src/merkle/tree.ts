// Binary Merkle tree with the shape and domain separation of RFC 6962 (Certificate Transparency):
// anyone can re-derive a root with sha256 alone. Built incrementally in O(log n) memory so a
// million-leaf manifest never has to sit in memory.
import { createHash, hash } from 'node:crypto';

/** Prefix byte of a leaf hash: sha256(0x00 || leaf bytes). */
export const LEAF_PREFIX = 0x00;
/** Prefix byte of an inner node: sha256(0x01 || left digest || right digest), digests as 32 raw bytes. */
export const NODE_PREFIX = 0x01;

const LEAF = Buffer.from([LEAF_PREFIX]);
const NODE = Buffer.from([NODE_PREFIX]);

/** Root of a tree with no leaves: sha256 of the empty string (as RFC 6962 defines it). */
export const EMPTY_TREE_ROOT = createHash('sha256').digest();

// One-shot crypto.hash is several times cheaper than createHash for short inputs; a build hashes
// every manifest line and about as many inner nodes.
export function leafHash(bytes: Uint8Array | string): Buffer {
  // "\u0000" encodes to the single byte 0x00 in UTF-8, so this is sha256(0x00 || utf8(line)).
  if (typeof bytes === 'string') return hash('sha256', `\u0000${bytes}`, 'buffer');
  return hash('sha256', Buffer.concat([LEAF, bytes]), 'buffer');
}

const nodeInput = Buffer.alloc(65);
nodeInput[0] = NODE_PREFIX;

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== 32 || right.length !== 32) return createHash('sha256').update(NODE).update(left).update(right).digest();
  nodeInput.set(left, 1);
  nodeInput.set(right, 33);
  return hash('sha256', nodeInput, 'buffer');
}

/**
 * Reference definition (recursive, whole array in memory), used by tests to pin the streaming
 * builder to the spec: for n > 1 leaves, split at k = the largest power of two below n,
 * root = node(root(first k), root(rest)); one leaf is its own leaf hash.
 */
export function merkleRootOfLeafHashes(leaves: readonly Uint8Array[]): Buffer {
  if (leaves.length === 0) return EMPTY_TREE_ROOT;
  if (leaves.length === 1) return Buffer.from(leaves[0]!);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(merkleRootOfLeafHashes(leaves.slice(0, k)), merkleRootOfLeafHashes(leaves.slice(k)));
}

/**
 * Streaming builder giving the same root as merkleRootOfLeafHashes. Keeps one digest per set bit
 * of the leaf count (perfect subtrees, largest first), so memory is O(log n).
 */
export class MerkleAccumulator {
  private readonly stack: Array<{ hash: Buffer; size: number }> = [];
  private n = 0;

  get count(): number {
    return this.n;
  }

  pushLeafHash(hash: Buffer): void {
    let node = { hash, size: 1 };
    this.n++;
    // Merge equal-sized perfect subtrees, exactly like a binary counter carrying.
    for (let top = this.stack.at(-1); top && top.size === node.size; top = this.stack.at(-1)) {
      this.stack.pop();
      node = { hash: nodeHash(top.hash, node.hash), size: top.size * 2 };
    }
    this.stack.push(node);
  }

  pushLeaf(bytes: Uint8Array | string): void {
    this.pushLeafHash(leafHash(bytes));
  }

  /** The root so far. Folding the right-most (smallest) subtrees first reproduces RFC 6962's split. */
  root(): Buffer {
    if (this.stack.length === 0) return EMPTY_TREE_ROOT;
    let acc = this.stack[this.stack.length - 1]!.hash;
    for (let i = this.stack.length - 2; i >= 0; i--) acc = nodeHash(this.stack[i]!.hash, acc);
    return acc;
  }
}
