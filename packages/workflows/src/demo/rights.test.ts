import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspace, type Workspace } from '@backlot/adapters/workspace';
import { generateDemoLibrary } from './index.js';
import { writeDemoRights } from './rights.js';
import { checkRights, expiringGrants, importRights } from '../rights/index.js';

const dir = mkdtempSync(join(tmpdir(), 'backlot-demo-rights-'));
let ws: Workspace;

beforeAll(async () => {
  await generateDemoLibrary(join(dir, 'lib'), { films: 4, seed: 3, filmSeconds: 6 });
  ws = await openWorkspace({ home: join(dir, 'ws'), command: 'test' });
});
afterAll(async () => {
  await ws?.close();
});

describe('demo rights', () => {
  it('writes a rights file that imports cleanly and tells the demo story', async () => {
    const r = await writeDemoRights(join(dir, 'lib'), { asOf: '2026-11-25' });
    // Titles come from ingest in the real demo; here only their names matter.
    for (const g of r.rights.grants) await ws.db.query('INSERT INTO titles (id, name) VALUES ($1, $2)', [g.id.replace('grant-', ''), g.title]);
    const imported = await importRights(ws, { path: r.path }, { actor: 'test' });
    expect(imported.counts.grants).toBe(4);
    expect(r.story.nonConsenting.films.length).toBeGreaterThan(0);
    expect(r.rights.consents.some((c) => c.person === r.story.nonConsenting.person.toLowerCase().replace(/[^a-z0-9]+/g, '-'))).toBe(false);
    expect(r.story.expiredGrant).not.toBeNull();
    expect(r.story.expiringGrant).not.toBeNull();
    const exp = await expiringGrants(ws, { withinDays: 90 }, { actor: 'test', asOf: '2026-11-25' });
    expect(exp.grants.map((g) => [g.id, g.expired])).toEqual([[r.story.expiredGrant!.id, true], [r.story.expiringGrant!.id, false]]);
    const check = await checkRights(ws, { purpose: 'video', asOf: '2026-11-25' }, { actor: 'test' });
    // No shots ingested here: every title has a verdict line and none errors.
    expect(check.titles).toHaveLength(4);
  });
});
