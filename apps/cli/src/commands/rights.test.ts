// `backlot rights ...` and `backlot audit ...` end to end through the built CLI.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliWorkspace, buildCli } from '../../../../test/support/cli.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { openWorkspace } from '@backlot/adapters/workspace';
import { parseWithin } from './rights.js';

const { home, backlot } = cliWorkspace('backlot-cli-rights-');

beforeAll(async () => {
  buildCli();
  const ws = await openWorkspace({ home });
  try {
    await ws.db.query("INSERT INTO titles (id, name) VALUES ('night', 'Night Train')");
  } finally {
    await ws.close();
  }
});

describe('backlot rights and audit', () => {
  it('parses --within spans', () => {
    expect([parseWithin('90d'), parseWithin('12w'), parseWithin('6m'), parseWithin('1y'), parseWithin('30')]).toEqual([90, 84, 180, 365, 30]);
    expect(() => parseWithin('soon')).toThrow(/--within soon/);
  });

  it('rejects a broken CSV with every problem by row, writes nothing, then imports a good file', () => {
    const bad = join(home, 'bad.csv');
    writeFileSync(bad, 'record,id,name,kind,title,uses,grantor,startsOn,contractRef\nperson,ann,Ann,wizard,,,,,\ngrant,g1,,,Nowhere,train-video,S,2020-01-01,C\ngrant,"g2,,,\n');
    for (const [path, problem] of [[join(home, 'missing.csv'), 'no such file'], [home, 'is a folder, not a file']] as const) {
      const unreadable = backlot('rights', 'import', path);
      expect([unreadable.code, unreadable.err]).toEqual([1, `backlot: rights file ${path}: ${problem}\n`]);
    }
    const r = backlot('rights', 'import', bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.csv: \d+ problems?; nothing was imported/);
    expect(r.err).toMatch(/row 2, column kind: /);
    expect(r.err).toMatch(/row 3, column title: unknown title "Nowhere"/);
    expect(r.err).toMatch(/row 4: unterminated quoted cell/);
    expect(r.err).not.toMatch(/internal error|\n\s+at /);
    expect(JSON.parse(backlot('rights', 'ls', '--json').out).people).toEqual([]);

    const good = join(home, 'good.json');
    writeFileSync(good, JSON.stringify({ people: [{ id: 'ann', name: 'Ann Lee', kind: 'actor' }], grants: [{ id: 'g1', title: 'Night Train', uses: ['train-video'], grantor: 'S', startsOn: '2020-01-01', endsOn: '2099-01-01', contractRef: 'C' }], consents: [{ id: 'c1', person: 'Ann Lee', scopes: ['training-footage'], grantedOn: '2024-01-01', documentRef: 'D' }] }));
    const ok = backlot('rights', 'import', good);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/imported .*good\.json .*1 people, 1 grants, 1 consents/);
    expect(backlot('rights', 'show', 'Ann Lee').out).toMatch(/c1: training-footage since 2024-01-01/);
    const revoked = backlot('rights', 'revoke-consent', 'ann', '--reason', 'withdrawn');
    expect(revoked.code).toBe(0);
    expect(revoked.out).toMatch(/revoked c1 \(training-footage\) of Ann Lee/);
    expect(backlot('rights', 'revoke-consent', 'ann').err).toMatch(/required option '--reason/);
  });

  it('verifies the audit log and names the first edited entry', async () => {
    const ok = backlot('audit', 'verify');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/audit log intact: 2 entries/);
    const ws = await openWorkspace({ home });
    try {
      await ws.db.query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1");
    } finally {
      await ws.close();
    }
    const bad = backlot('audit', 'verify');
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/audit log BROKEN at entry 1 \(edited\)/);
    const ls = JSON.parse(backlot('audit', 'ls', '--action', 'rights', '--json').out);
    expect(ls.map((e: { action: string }) => e.action)).toEqual(['rights.revoke-consent', 'rights.import']);
  });
});
