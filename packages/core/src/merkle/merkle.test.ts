import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Exclusion, ManifestEntry } from '../dataset/types.js';
import { DEFAULT_SHARD_SPEC } from '../dataset/types.js';
import { datasetMerkleRoot, manifestLine, SortedLeafTree } from './dataset-root.js';
import { EMPTY_TREE_ROOT, leafHash, MerkleAccumulator, merkleRootOfLeafHashes, nodeHash } from './tree.js';

const sha = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();

function entry(shotId: string, over: Partial<ManifestEntry> = {}): ManifestEntry {
  return {
    clipId: `${shotId}:0-47`, shotId, titleId: 't1', title: 'Film', sourceSha256: 'a'.repeat(64), proxySha256: 'b'.repeat(64),
    startFrame: 0, endFrame: 47, start: 0, end: 2, caption: 'A red ball moving left.', split: 'train', shard: 'train-00000.bls',
    record: 0, frames: 24, clipSha256: 'c'.repeat(64), attributes: { meanLuma: 40, motion: 3, seconds: 2 }, ...over,
  };
}
const exclusion = (shotId: string, rule = 'rights.no_grant'): Exclusion => ({ shotId, titleId: 't2', reasons: [{ rule, detail: 'no grant', ref: null }] });

const shotIds = fc.uniqueArray(fc.stringMatching(/^[0-9a-f]{4}-[0-9]{1,3}$/), { minLength: 0, maxLength: 40 });

describe('Merkle tree', () => {
  it('matches hand-computed RFC 6962 roots for 0..3 leaves', () => {
    const [a, b, c] = ['a', 'b', 'c'].map((s) => sha(Buffer.from([0]), Buffer.from(s)));
    expect(new MerkleAccumulator().root()).toEqual(createHash('sha256').digest());
    const one = new MerkleAccumulator();
    one.pushLeaf('a');
    expect(one.root()).toEqual(a);
    const three = new MerkleAccumulator();
    for (const s of ['a', 'b', 'c']) three.pushLeaf(s);
    expect(three.root()).toEqual(sha(Buffer.from([1]), sha(Buffer.from([1]), a!, b!), c!));
  });

  it('streaming accumulator equals the recursive definition for any leaf count', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 70 }), (leaves) => {
        const acc = new MerkleAccumulator();
        for (const l of leaves) acc.pushLeaf(l);
        expect(acc.root()).toEqual(merkleRootOfLeafHashes(leaves.map((l) => leafHash(l))));
      }),
    );
  });

  it('keeps leaves and nodes apart: a node is never mistaken for a leaf of its two children', () => {
    const l = leafHash('x');
    expect(leafHash(Buffer.concat([l, l]))).not.toEqual(nodeHash(l, l));
    expect(EMPTY_TREE_ROOT.toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('SortedLeafTree refuses repeated or out-of-order shot ids', () => {
    const t = new SortedLeafTree('manifest');
    t.push('b-1', '{}');
    expect(() => t.push('a-1', '{}')).toThrow(/a-1 comes after b-1/);
    expect(() => t.push('b-1', '{}')).toThrow(/sorted by shotId/);
  });
});

describe('dataset merkleRoot', () => {
  const base = { policyVersion: 'policy/1', purpose: 'video' as const, shardSpec: DEFAULT_SHARD_SPEC };

  it('is deterministic and independent of the order entries and exclusions arrive in', () => {
    fc.assert(
      fc.property(shotIds, fc.integer({ min: 0, max: 1000 }), (ids, seed) => {
        const entries = ids.filter((_, i) => i % 3 !== 0).map((id) => entry(id));
        const exclusions = ids.filter((_, i) => i % 3 === 0).map((id) => exclusion(id));
        const shuffle = <T>(xs: T[]) => xs.map((x, i) => ({ x, k: (i * 7919 + seed * 104729) % 1009 })).sort((p, q) => p.k - q.k).map((p) => p.x);
        const r1 = datasetMerkleRoot({ ...base, entries, exclusions });
        const r2 = datasetMerkleRoot({ ...base, entries: shuffle(entries), exclusions: shuffle(exclusions) });
        expect(r2).toEqual(r1);
      }),
    );
  });

  it('changes when any entry, any exclusion, the policy version, the purpose or the shard spec changes', () => {
    fc.assert(
      fc.property(shotIds.filter((ids) => ids.length >= 2), fc.nat(), fc.constantFrom('caption', 'split', 'clipSha256', 'record', 'exclusion', 'drop-entry', 'drop-exclusion', 'policy', 'purpose', 'spec'), (ids, pick, what) => {
        const entries = ids.slice(0, Math.ceil(ids.length / 2)).map((id) => entry(id));
        const exclusions = ids.slice(Math.ceil(ids.length / 2)).map((id) => exclusion(id));
        const before = datasetMerkleRoot({ ...base, entries, exclusions }).merkleRoot;
        const e2 = entries.map((e) => ({ ...e }));
        const x2 = exclusions.map((x) => ({ ...x }));
        const ei = pick % e2.length;
        let input = { ...base, entries: e2, exclusions: x2 } as Parameters<typeof datasetMerkleRoot>[0];
        if (what === 'caption') e2[ei]!.caption += ' Night.';
        if (what === 'split') e2[ei]!.split = 'val';
        if (what === 'clipSha256') e2[ei]!.clipSha256 = 'd'.repeat(64);
        if (what === 'record') e2[ei]!.record += 1;
        if (what === 'drop-entry') e2.splice(ei, 1);
        if (what === 'exclusion' && x2.length) x2[pick % x2.length] = exclusion(x2[pick % x2.length]!.shotId, 'rights.consent_revoked');
        if (what === 'exclusion' && !x2.length) x2.push(exclusion('zzzz-1'));
        if (what === 'drop-exclusion') x2.length ? x2.splice(pick % x2.length, 1) : x2.push(exclusion('zzzz-1'));
        if (what === 'policy') input = { ...input, policyVersion: 'policy/2' };
        if (what === 'purpose') input = { ...input, purpose: 'audio' };
        if (what === 'spec') input = { ...input, shardSpec: { ...DEFAULT_SHARD_SPEC, fps: 8 } };
        expect(datasetMerkleRoot(input).merkleRoot).not.toBe(before);
      }),
    );
  });

  it('a manifest line is canonical JSON: sorted keys, no spaces', () => {
    const line = manifestLine(entry('ab-1'));
    expect(line.startsWith('{"attributes":{"meanLuma":40,"motion":3,"seconds":2},"caption":')).toBe(true);
    expect(line).not.toMatch(/": /);
  });
});

describe('canonicalLine', () => {
  it('writes exactly the bytes canonicalJson writes, for any JSON value', async () => {
    const { canonicalLine } = await import('./dataset-root.js');
    const { canonicalJson } = await import('../audit/index.js');
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(canonicalLine(v)).toBe(canonicalJson(v));
      }),
      { numRuns: 500 },
    );
    expect(canonicalLine({ b: 1, a: [{ d: 'x', c: null }], 10: 'ten', 9: 'nine' })).toBe(canonicalJson({ b: 1, a: [{ d: 'x', c: null }], 10: 'ten', 9: 'nine' }));
    // A "__proto__" key (as JSON.parse makes it) is data, not a prototype (found by the property above).
    expect(canonicalLine(JSON.parse('{"__proto__":{"x":1},"a":1}'))).toBe('{"__proto__":{"x":1},"a":1}');
  });
});
