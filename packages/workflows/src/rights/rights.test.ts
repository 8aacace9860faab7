import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RightsImportError } from '@backlot/core';
import { openWorkspace, type Workspace } from '@backlot/adapters/workspace';
import { listAudit, verifyAudit } from '../audit/index.js';
import { checkRights, deriveTitleAppearances, expiringGrants, importRights, loadRightsRegistry, revokeConsent, revokeGrant } from './index.js';

const actor = 'test:rights';
let ws: Workspace;
const dir = mkdtempSync(join(tmpdir(), 'backlot-rights-'));

async function resetLibrary(): Promise<void> {
  await ws.db.exec(`
    DELETE FROM taints; DELETE FROM dataset_clips; DELETE FROM datasets; DELETE FROM appearances; DELETE FROM music_cues;
    DELETE FROM restrictions; DELETE FROM consents; DELETE FROM people; DELETE FROM rights_grants;
    DELETE FROM title_credits; DELETE FROM screenplay_elements; DELETE FROM subtitle_lines;
    DELETE FROM shots; DELETE FROM media_files; DELETE FROM titles;
    DELETE FROM audit_log; UPDATE audit_head SET seq = 0, hash = '${'0'.repeat(64)}';`);
  if ((await ws.db.query("SELECT to_regclass('models')::text AS t"))[0]?.t) await ws.db.exec('DELETE FROM models');
  // Two titles of 60 s, ten 6-second shots each.
  for (const [id, name] of [['night', 'Night Train'], ['harbour', 'Harbour Lights']] as const) {
    await ws.db.query('INSERT INTO titles (id, name) VALUES ($1, $2)', [id, name]);
    await ws.db.query(
      `INSERT INTO media_files (id, sha256, title_id, path, size_bytes, container, duration_s, video_codec, width, height, fps_num, fps_den, probe)
       VALUES ($1, $1, $2, '/x.mp4', 1, 'mp4', 60, 'h264', 64, 64, 24, 1, '{}')`,
      [`m-${id}`, id],
    );
    for (let i = 0; i < 10; i++) {
      await ws.db.query(
        `INSERT INTO shots (id, media_file_id, title_id, idx, start_frame, end_frame, start_s, end_s, transition_in, keyframe, mean_luma, sharpness, motion, is_black, letterbox, phash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'cut', $5, 100, 1, 1, false, false, '0')`,
        [`${id}-${i}`, `m-${id}`, id, i, i * 144, i * 144 + 143, i * 6, i * 6 + 6],
      );
    }
  }
}

const goodFile = {
  format: 'backlot-rights/1',
  people: [
    { id: 'ann', name: 'Ann Lee', kind: 'actor', aliases: ['Annie'] },
    { id: 'bo', name: 'Bo Park', kind: 'actor' },
    { id: 'cy', name: 'Cy Moss', kind: 'musician' },
  ],
  grants: [
    { id: 'g-night', title: 'Night Train', uses: ['train-video', 'train-audio'], grantor: 'Studio', startsOn: '2020-01-01', endsOn: null, contractRef: 'NT-1' },
    { id: 'g-harbour', title: 'harbour', uses: ['train-video'], grantor: 'Harbour Films', startsOn: '2020-01-01', endsOn: '2026-12-31', contractRef: 'HL-7' },
  ],
  consents: [
    { id: 'c-ann', person: 'Annie', scopes: ['training-footage', 'voice'], grantedOn: '2024-01-01', documentRef: 'REL-ANN' },
    { id: 'c-cy', person: 'cy', scopes: ['music'], grantedOn: '2024-01-01', documentRef: 'REL-CY' },
  ],
  appearances: [
    { person: 'ann', title: 'night', start: 0, end: 30, character: 'Red' },
    { person: 'bo', title: 'night', start: 40, end: 50, character: 'Blue' },
    { person: 'ann', title: 'harbour' },
  ],
  cues: [{ id: 'q1', title: 'night', name: 'Theme', start: 50, end: 60, composer: 'Cy Moss', cleared: false }],
  restrictions: [{ id: 'r1', title: 'harbour', start: 12, end: 13, kind: 'logo', note: 'cola can' }],
};

async function importJson(value: unknown, name = 'rights.json') {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return importRights(ws, { path }, { actor });
}

async function problemsOf(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RightsImportError) return e.problems.map((x) => `${x.where}: ${x.message}`);
    throw e;
  }
  throw new Error('import succeeded but should have failed');
}

async function counts() {
  const [r] = await ws.db.query<Record<string, number>>(
    `SELECT (SELECT count(*)::int FROM people) AS people, (SELECT count(*)::int FROM rights_grants) AS grants, (SELECT count(*)::int FROM consents) AS consents,
            (SELECT count(*)::int FROM appearances) AS appearances, (SELECT count(*)::int FROM music_cues) AS cues, (SELECT count(*)::int FROM audit_log) AS audit`,
  );
  return r!;
}

async function addDataset(id: string, shots: string[], purpose = 'video') {
  await ws.db.query("INSERT INTO datasets (id, name, purpose, policy_version, merkle_root, path) VALUES ($1, $1, $2, 'p', 'root', '/d')", [id, purpose]);
  for (const s of shots) await ws.db.query("INSERT INTO dataset_clips (dataset_id, clip_id, shot_id, title_id, split) VALUES ($1, $2, $2, split_part($2, '-', 1), 'train')", [id, s]);
}

beforeAll(async () => {
  ws = await openWorkspace({ home: join(dir, 'ws'), command: 'test' });
});
afterAll(async () => {
  await ws?.close();
});
beforeEach(resetLibrary);

describe('rights import', () => {
  it('imports a JSON file, resolving names and aliases, and audits it', async () => {
    const r = await importJson(goodFile);
    expect(r.counts).toEqual({ people: 3, grants: 2, consents: 2, appearances: 3, cues: 1, restrictions: 1 });
    expect(await counts()).toMatchObject({ people: 3, grants: 2, consents: 2, appearances: 3, cues: 1, audit: 1 });
    const reg = await loadRightsRegistry(ws.db);
    expect(reg.consents.find((c) => c.id === 'c-ann')?.personId).toBe('ann');
    expect(reg.grants.find((g) => g.id === 'g-harbour')).toMatchObject({ titleId: 'harbour', endsOn: '2026-12-31', territory: 'worldwide' });
    const [entry] = await listAudit(ws.db, { action: 'rights.import' });
    expect(entry).toMatchObject({ actor, subject: 'file:rights.json' });
    expect((await verifyAudit(ws.db)).ok).toBe(true);
    // Re-importing the same file updates in place.
    await importJson(goodFile);
    expect(await counts()).toMatchObject({ people: 3, grants: 2, appearances: 3, audit: 2 });
  });

  it('reports every problem in a bad JSON file with its path and writes nothing', async () => {
    const bad = structuredClone(goodFile) as Record<string, any>;
    bad.people.push({ id: 'ann', name: 'Ann Lee', kind: 'actor', aliases: ['Annie'] });
    bad.grants.push({ id: 'g-night-2', title: 'Night Train', uses: ['train-video'], grantor: 'X', startsOn: '2025-01-01', endsOn: '2025-06-01', contractRef: 'NT-2' });
    bad.grants.push({ id: 'g-x', title: 'No Such Film', uses: ['train-video'], grantor: 'X', startsOn: '2025-01-01', contractRef: 'X' });
    bad.consents.push({ id: 'c-ghost', person: 'Ghost', scopes: ['likeness'], grantedOn: '2024-01-01', revokedOn: '2023-01-01', documentRef: 'D' });
    bad.appearances.push({ person: 'bo', title: 'night', start: 20, end: 10 });
    const problems = await problemsOf(importJson(bad));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^people\[3\]\.id: person id ann appears twice/),
        expect.stringMatching(/^grants\[2\]\.startsOn: window 2025-01-01\.\.2025-06-01 overlaps grants\[0\]/),
        expect.stringMatching(/^grants\[3\]\.title: unknown title "No Such Film"/),
        expect.stringMatching(/^consents\[2\]\.person: unknown person "Ghost"/),
        expect.stringMatching(/^consents\[2\]\.revokedOn: revoked 2023-01-01, before/),
        expect.stringMatching(/^appearances\[3\]\.end: end 10 s is not after start 20 s/),
      ]),
    );
    expect(problems).toHaveLength(6);
    expect(await counts()).toMatchObject({ people: 0, grants: 0, consents: 0, audit: 0 });
  });

  it('reports wrong types with their paths', async () => {
    const problems = await problemsOf(
      importJson({ grants: [{ id: 'g', title: 'night', uses: ['train-everything'], grantor: 'S', startsOn: '2020-02-30', contractRef: 'C', extra: 1 }], cues: [{ id: 'q', title: 'night', name: 'x', start: 'ten', end: 5, cleared: 'yes' }] }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^grants\[0\]\.uses\[0\]: /),
        expect.stringMatching(/^grants\[0\]\.startsOn: not a calendar date/),
        expect.stringMatching(/^grants\[0\]: unknown field\(s\) extra/),
        expect.stringMatching(/^cues\[0\]\.start: /),
        expect.stringMatching(/^cues\[0\]\.cleared: /),
      ]),
    );
    expect((await problemsOf(importJson('{"people": [', 'broken.json')))[0]).toMatch(/^line 1, column \d+: not valid JSON/);
    expect(await counts()).toMatchObject({ people: 0, grants: 0, audit: 0 });
  });

  it('imports CSV with one row per record, and names rows and columns in problems', async () => {
    const header = 'record,id,name,kind,aliases,title,person,uses,scopes,grantor,startsOn,endsOn,contractRef,grantedOn,documentRef,projects,start,end,presence,character,cleared';
    const good = [
      header,
      'person,ann,Ann Lee,actor,Annie;A. Lee,,,,,,,,,,,,,,,,',
      'grant,g1,,,,Night Train,,train-video;train-audio,,Studio,2020-01-01,,NT-1,,,,,,,,',
      'consent,c1,,,,,Annie,,training-footage;voice,,,,,2024-01-01,REL-1,alpha;beta,,,,,',
      'appearance,,,,,night,ann,,,,,,,,,,0,30,both,"Red, the driver",',
      'cue,q1,"Theme ""One""",,,night,,,,,,,,,,,50,60,,,no',
    ].join('\r\n');
    writeFileSync(join(dir, 'rights.csv'), good);
    const r = await importRights(ws, { path: join(dir, 'rights.csv') }, { actor });
    expect(r.format).toBe('csv');
    const reg = await loadRightsRegistry(ws.db);
    expect(reg.people[0]).toMatchObject({ aliases: ['Annie', 'A. Lee'] });
    expect(reg.consents[0]).toMatchObject({ personId: 'ann', conditions: { projects: ['alpha', 'beta'] } });
    expect(reg.appearances[0]).toMatchObject({ character: 'Red, the driver', presence: 'both', start: 0, end: 30 });
    expect(reg.cues[0]).toMatchObject({ name: 'Theme "One"', cleared: false });

    await resetLibrary();
    const bad = [
      header,
      'person,ann,Ann Lee,actor,,,,,,,,,,,,,,,,,',
      'grant,g1,,,,Nowhere,,train-video,,Studio,2020-01-01,,NT-1,,,,,,,,',
      'consent,c1,,,,,Zed,,training-footage,,,,,2024-13-01,REL-1,,,,,,',
      'appearance,,,,,night,ann,,,,,,,,,,abc,30,,,',
      'cue,q1,Theme,,,night,,,,,,,,,,,50,60,,,maybe',
      'person,bo,Bo,actor',
      'actor,x,,,,,,,,,,,,,,,,,,,',
      'person,"cy,Cy,actor,,,,,,,,,,,,,,,,,',
    ].join('\n');
    writeFileSync(join(dir, 'bad.csv'), bad);
    const problems = await problemsOf(importRights(ws, { path: join(dir, 'bad.csv') }, { actor }));
    expect(problems).toEqual(
      expect.arrayContaining([
        'row 5, column start: expected a number of seconds, got "abc"',
        'row 6, column cleared: expected true or false, got "maybe"',
        'row 7: has 4 cells, the header has 21',
        expect.stringMatching(/^row 8, column record: unknown record kind "actor"/),
        expect.stringMatching(/^row 9: unterminated quoted cell/),
        expect.stringMatching(/^row 4, column grantedOn: /),
      ]),
    );
    expect(await counts()).toMatchObject({ people: 0, grants: 0, audit: 0 });
  });
});

describe('policy over the registry', () => {
  it('checks a title per shot: people without consent, uncleared cues with audio, restrictions', async () => {
    await importJson(goodFile);
    const video = await checkRights(ws, { title: 'Night Train', purpose: 'video', asOf: '2026-06-01' }, { actor });
    const allowed = video.shots!.map((s) => s.allowed);
    // Ann (0-30 s) consents; Bo (40-50 s) has no consent: shots 6 and 7 (36-48 s) excluded... and shot 8 (48-54 s).
    expect(allowed).toEqual([true, true, true, true, true, true, false, false, false, true]);
    expect(video.shots![6]!.rules.find((r) => r.outcome === 'deny')).toMatchObject({ rule: 'consent.missing', ref: 'person:bo' });
    const av = await checkRights(ws, { title: 'night', purpose: 'audiovisual', asOf: '2026-06-01' }, { actor });
    expect(av.shots!.map((s) => s.allowed)).toEqual([true, true, true, true, true, true, false, false, false, false]);
    expect(av.shots![9]!.rules.some((r) => r.rule === 'cue.uncleared' && r.ref === 'cue:q1')).toBe(true);
    const harbour = await checkRights(ws, { title: 'harbour', purpose: 'video', asOf: '2026-06-01' }, { actor });
    expect(harbour.titles[0]).toMatchObject({ shots: 10, allowed: 9, excluded: 1 });
    expect(harbour.shots![2]!.ranges).toEqual([{ start: 12, end: 13, allowed: false }, { start: 13, end: 18, allowed: true }]);
    // After the grant's window the whole title is out.
    const later = await checkRights(ws, { title: 'harbour', purpose: 'video', asOf: '2027-01-01' }, { actor });
    expect(later.titles[0]).toMatchObject({ allowed: 0 });
    expect(later.titles[0]!.reasons[0]).toMatchObject({ rule: 'grant.expired', ref: 'grant:g-harbour', shots: 10 });
  });
});

describe('derived appearances', () => {
  it('places credited characters by their dialogue and adds unknown people with no consent', async () => {
    await importJson({ people: [{ id: 'ann', name: 'Ann Lee', kind: 'actor', aliases: ['Annie'] }], grants: [goodFile.grants[0]] });
    await ws.db.query("INSERT INTO title_credits (title_id, character, person) VALUES ('night', 'RED', 'Annie'), ('night', 'BLUE', 'Dee Novak')");
    const script = [['scene_heading', 'INT. TRAIN - NIGHT'], ['character', 'RED'], ['dialogue', 'Tickets, please.'], ['scene_heading', 'EXT. PLATFORM - NIGHT'], ['character', 'BLUE (V.O.)'], ['dialogue', 'The last train has gone.']];
    let scene = 0;
    for (const [i, [kind, text]] of script.entries()) {
      if (kind === 'scene_heading') scene++;
      await ws.db.query('INSERT INTO screenplay_elements (title_id, idx, scene, kind, text) VALUES ($1, $2, $3, $4, $5)', ['night', i, scene, kind, text]);
    }
    await ws.db.query("INSERT INTO subtitle_lines (title_id, idx, start_s, end_s, text) VALUES ('night', 0, 7, 9, 'Tickets, please!'), ('night', 1, 31, 33, 'The last train has gone.')");
    const [r] = await deriveTitleAppearances(ws, { title: 'Night Train' }, { actor });
    expect(r!.addedPeople).toEqual(['dee-novak']);
    expect(r!.appearances.map((a) => [a.personId, a.start, a.end])).toEqual([['dee-novak', 30, 36], ['ann', 6, 12]]);
    const check = await checkRights(ws, { title: 'night', purpose: 'video', asOf: '2026-06-01' }, { actor });
    expect(check.shots![5]!.rules.find((x) => x.outcome === 'deny')).toMatchObject({ rule: 'consent.missing', ref: 'person:dee-novak' });
    expect((await listAudit(ws.db, { action: 'rights.derive-appearances' })).length).toBe(1);
  });
});

describe('revocation', () => {
  it('revoking a consent taints the datasets and models holding affected clips, and the policy leaves them out', async () => {
    await importJson(goodFile);
    await addDataset('ds-a', ['night-0', 'night-9']);
    await addDataset('ds-b', ['night-9', 'harbour-5']);
    await addDataset('ds-c', ['night-6']);
    const hasModels = !!(await ws.db.query("SELECT to_regclass('models')::text AS t"))[0]?.t;
    if (hasModels) {
      await ws.db.query(`INSERT INTO models (id, dataset_id, dataset_root, lineage, path, created_by) VALUES ('m1', 'ds-a', 'root', '{"datasets":[{"id":"ds-a","merkleRoot":"root"}],"bases":[]}', '/m', 't')`);
      await ws.db.query(`INSERT INTO models (id, dataset_id, dataset_root, lineage, path, created_by) VALUES ('m2', 'ds-c', 'root', '{"datasets":[{"id":"ds-c","merkleRoot":"root"}],"bases":[{"modelId":"m1"}]}', '/m', 't')`);
      await ws.db.query(`INSERT INTO models (id, dataset_id, dataset_root, lineage, path, created_by) VALUES ('m3', 'ds-b', 'root', '{"datasets":[{"id":"ds-b","merkleRoot":"root"}],"bases":[]}', '/m', 't')`);
    }
    const r = await revokeConsent(ws, { person: 'Ann Lee', reason: 'withdrew consent by letter' }, { actor, asOf: '2026-06-01' });
    expect(r.revoked).toEqual([{ id: 'c-ann', scopes: ['training-footage', 'voice'] }]);
    const t = r.taints[0]!;
    expect(t.datasets.map((d) => [d.id, d.clips])).toEqual([['ds-a', 1], ['ds-b', 1]]);
    if (hasModels) expect(t.models.map((m) => [m.id, m.via]).sort()).toEqual([['m1', 'dataset ds-a'], ['m2', 'base model m1'], ['m3', 'dataset ds-b']]);
    const rows = await ws.db.query<{ id: string; tainted_reason: string | null }>('SELECT id, tainted_reason FROM datasets ORDER BY id');
    expect(rows.map((x) => [x.id, !!x.tainted_reason])).toEqual([['ds-a', true], ['ds-b', true], ['ds-c', false]]);
    expect(rows[0]!.tainted_reason).toMatch(/withdrew consent/);
    const check = await checkRights(ws, { title: 'night', purpose: 'video', asOf: '2026-06-01' }, { actor });
    expect(check.shots!.slice(0, 5).every((s) => !s.allowed && s.rules.some((x) => x.rule === 'consent.revoked'))).toBe(true);
    const actions = (await listAudit(ws.db)).map((e) => e.action);
    expect(actions.slice(0, 2)).toEqual(['rights.taint', 'rights.revoke-consent']);
    expect((await verifyAudit(ws.db)).ok).toBe(true);
    await expect(revokeConsent(ws, { person: 'ann', reason: 'again' }, { actor })).rejects.toThrow(/no live consent/);
    // Re-importing the old file (consent live) does not bring the consent back.
    const again = await importJson(goodFile);
    expect(again.keptRevoked).toEqual(['c-ann']);
    expect((await loadRightsRegistry(ws.db)).consents.find((c) => c.id === 'c-ann')?.revokedOn).toBe('2026-06-01');
  });

  it('revoking a grant and a grant expiring taint what they reach, once', async () => {
    await importJson(goodFile);
    await addDataset('ds-h', ['harbour-0', 'harbour-1']);
    await addDataset('ds-n', ['night-0']);
    const soon = await expiringGrants(ws, { withinDays: 90 }, { actor, asOf: '2026-11-01' });
    expect(soon.grants.map((g) => [g.id, g.daysLeft, g.expired])).toEqual([['g-harbour', 60, false]]);
    expect(soon.taints).toEqual([]);
    const after = await expiringGrants(ws, { withinDays: 90 }, { actor, asOf: '2027-01-02' });
    expect(after.grants[0]).toMatchObject({ id: 'g-harbour', expired: true });
    expect(after.taints[0]!.datasets).toEqual([{ id: 'ds-h', name: 'ds-h', clips: 2, newlyTainted: true }]);
    const again = await expiringGrants(ws, { withinDays: 90 }, { actor, asOf: '2027-01-03' });
    expect(again.taints[0]!.datasets[0]!.newlyTainted).toBe(false);
    const g = await revokeGrant(ws, { grantId: 'g-night', reason: 'contract terminated' }, { actor, asOf: '2026-06-01' });
    expect(g.taints.datasets.map((d) => d.id)).toEqual(['ds-n']);
    expect((await ws.db.query('SELECT count(*)::int AS n FROM taints'))[0]).toEqual({ n: 2 });
  });

  it('taints exactly the datasets holding a clip where the revoked person appears (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.subarray([...Array(10).keys()], { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 1, max: 15 }),
        async (datasets, start, len) => {
          await resetLibrary();
          const file = structuredClone(goodFile) as Record<string, any>;
          file.appearances = [{ person: 'ann', title: 'night', start, end: start + len }];
          file.cues = [];
          file.restrictions = [];
          await importJson(file);
          for (const [i, shots] of datasets.entries()) await addDataset(`ds${i}`, shots.map((s) => `night-${s}`));
          const r = await revokeConsent(ws, { person: 'ann', reason: 'r' }, { actor, asOf: '2026-06-01' });
          const expected = datasets.flatMap((shots, i) => (shots.some((s) => s * 6 < start + len && s * 6 + 6 > start) ? [`ds${i}`] : []));
          expect(r.taints[0]!.datasets.map((d) => d.id)).toEqual(expected);
          const check = await checkRights(ws, { title: 'night', purpose: 'video', asOf: '2026-06-01' }, { actor });
          for (const s of check.shots!) if (s.start < start + len && s.end > start) expect(s.allowed).toBe(false);
        },
      ),
      { numRuns: 8 },
    );
  });
});
