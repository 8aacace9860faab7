import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspace, type Workspace } from '@backlot/adapters/workspace';
import { ingestPaths } from '../ingest/index.js';
import { checkRights, importRights } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'backlot-optout-ingest-'));
let ws: Workspace;

beforeAll(async () => {
  const plain = join(dir, 'plain.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=12:duration=2', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-y', plain]);
  const config = join(dir, 'dm.config');
  writeFileSync(config, "%Image::ExifTool::UserDefined = ('Image::ExifTool::PLUS::XMP' => { DataMining => { } });\n1;\n");
  execFileSync('exiftool', ['-config', config, '-q', '-XMP-plus:DataMining=http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING', '-o', join(dir, 'reserved.mp4'), plain]);
  ws = await openWorkspace({ home: join(dir, 'ws'), command: 'test' });
});
afterAll(async () => {
  await ws?.close();
});

describe('opt-out signals at ingest', () => {
  it('records the signal on the media file and the policy excludes its shots despite a grant', async () => {
    const report = await ingestPaths(ws, [join(dir, 'reserved.mp4'), join(dir, 'plain.mp4')], { actor: 'test', title: 'Reserved' });
    const reserved = report.files.find((f) => f.path.endsWith('reserved.mp4'))!;
    expect(reserved.optOut).toEqual([expect.objectContaining({ source: 'iptc-xmp', prohibits: true })]);
    expect(report.files.find((f) => f.path.endsWith('plain.mp4'))!.optOut).toEqual([]);
    const file = join(dir, 'rights.json');
    writeFileSync(file, JSON.stringify({ grants: [{ id: 'g', title: 'Reserved', uses: ['train-video'], grantor: 'S', startsOn: '2020-01-01', contractRef: 'C' }] }));
    await importRights(ws, { path: file }, { actor: 'test' });
    const check = await checkRights(ws, { title: 'Reserved', purpose: 'video', asOf: '2026-06-01' }, { actor: 'test' });
    const byMedia = new Map<boolean, boolean[]>();
    for (const s of check.shots!) {
      const fromReserved = s.shotId.startsWith(reserved.mediaFileId!);
      byMedia.set(fromReserved, [...(byMedia.get(fromReserved) ?? []), s.allowed]);
      if (fromReserved) expect(s.rules).toContainEqual(expect.objectContaining({ rule: 'optout.signal', outcome: 'deny', ref: `media:${reserved.mediaFileId}` }));
    }
    expect(byMedia.get(true)!.every((a) => !a)).toBe(true);
    expect(byMedia.get(false)!.every((a) => a)).toBe(true);
  });
});
