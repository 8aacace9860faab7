// `backlot dataset ...` end to end through the built CLI, on a seeded workspace.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cliWorkspace, buildCli } from '../../../../test/support/cli.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { openWorkspace } from '@backlot/adapters/workspace';
import { seedLibrary } from '../../../../test/support/dataset-library.js';

const { home, backlot } = cliWorkspace('backlot-cli-datasets-');

beforeAll(async () => {
  buildCli();
  const ws = await openWorkspace({ home });
  try {
    await seedLibrary(ws);
  } finally {
    await ws.close();
  }
});

describe('backlot dataset', () => {
  it('builds, lists, shows, verifies, detects tampering and diffs', async () => {
    const built = backlot('dataset', 'build', 'v1', '--val-fraction', '0.5', '--as-of', '2026-11-25', '--json');
    expect(built.err).not.toMatch(/internal error/);
    expect(built.code).toBe(0);
    const snap = JSON.parse(built.out);
    expect(snap).toMatchObject({ name: 'v1', counts: { excluded: 4 }, excludedByRule: { 'consent.missing': 1, 'grant.none': 3 } });
    expect(snap.counts.train + snap.counts.val).toBe(5);

    const ls = JSON.parse(backlot('dataset', 'ls', '--json').out);
    expect(ls.map((d: { id: string }) => d.id)).toEqual([snap.id]);
    expect(backlot('dataset', 'show', 'v1').out).toMatch(/excluded by rule:\n\s+3\s+grant\.none\n\s+1\s+consent\.missing/);

    const ok = backlot('dataset', 'verify', 'v1');
    expect(ok.code).toBe(0);
    expect(ok.out).toContain(`verified: 5 clips, 4 exclusions`);

    const shard = join(snap.path, 'shards', snap.shards[0].file);
    const bytes = await readFile(shard);
    const bad = Buffer.from(bytes);
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
    await writeFile(shard, bad);
    const failed = backlot('dataset', 'verify', 'v1');
    await writeFile(shard, bytes);
    expect(failed.code).toBe(1);
    expect(failed.err).toMatch(new RegExp(`backlot: dataset v1 \\(${snap.id}\\) FAILED verification: shards/${snap.shards[0].file}: record \\d+ \\(clip [0-9a-f]{12}-\\d:\\d+-\\d+\\) pixels changed`));
    expect(failed.err).not.toMatch(/at .*\.js:\d+/);

    const diff = backlot('dataset', 'diff', 'v1', snap.id);
    expect(diff.out).toContain('0 entered, 0 left, 0 changed');
  });

  it('refuses bad flags and unknown datasets with one line', () => {
    const bad = backlot('dataset', 'build', 'v9', '--val-fraction', '1.5');
    expect(bad.code).toBe(1);
    expect(bad.err.trim()).toMatch(/^backlot: --val-fraction 1\.5: .*$/);
    const missing = backlot('dataset', 'show', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.err.trim()).toBe('backlot: no dataset named nope: run `backlot dataset ls` to see the datasets');
    const name = backlot('dataset', 'build', '../escape');
    expect(name.code).toBe(1);
    expect(name.err).toMatch(/dataset name "\.\.\/escape" must be/);
  });
});
