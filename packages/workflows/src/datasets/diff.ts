// `backlot dataset diff A B`: what entered B, what left it and why, streaming both snapshots.
import type { Workspace } from '@backlot/adapters/workspace';
import { diffSnapshots, shotStates, type DatasetChange } from '@backlot/core';
import { readExclusions, readManifest, resolveDataset } from './snapshots.js';

export interface DatasetDiff {
  from: { id: string; name: string; merkleRoot: string; policyVersion: string };
  to: { id: string; name: string; merkleRoot: string; policyVersion: string };
  entered: number;
  left: number;
  changed: number;
  /** Clips that left, counted by the rule that now excludes them. */
  leftByRule: Record<string, number>;
  enteredBySplit: Record<string, number>;
  /** The changes themselves, up to `limit`. */
  changes: DatasetChange[];
  truncated: boolean;
}

export async function diffDatasets(ws: Workspace, a: string, b: string, opts: { limit?: number } = {}): Promise<DatasetDiff> {
  const ra = await resolveDataset(ws.db, a);
  const rb = await resolveDataset(ws.db, b);
  const limit = opts.limit ?? 1000;
  const out: DatasetDiff = {
    from: { id: ra.id, name: ra.name, merkleRoot: ra.merkle_root, policyVersion: ra.policy_version },
    to: { id: rb.id, name: rb.name, merkleRoot: rb.merkle_root, policyVersion: rb.policy_version },
    entered: 0, left: 0, changed: 0, leftByRule: {}, enteredBySplit: {}, changes: [], truncated: false,
  };
  const changes = diffSnapshots(shotStates(readManifest(ra.path), readExclusions(ra.path)), shotStates(readManifest(rb.path), readExclusions(rb.path)));
  for await (const c of changes) {
    if (c.kind === 'entered') {
      out.entered++;
      out.enteredBySplit[c.split] = (out.enteredBySplit[c.split] ?? 0) + 1;
    } else if (c.kind === 'left') {
      out.left++;
      const rules = c.reasons.length ? [...new Set(c.reasons.map((r) => r.rule))] : ['not in library'];
      for (const r of rules) out.leftByRule[r] = (out.leftByRule[r] ?? 0) + 1;
    } else out.changed++;
    if (out.changes.length < limit) out.changes.push(c);
    else out.truncated = true;
  }
  return out;
}
