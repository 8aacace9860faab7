import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '@backlot/core';
import { DIGITAL_SOURCE_TRAINED, loadSigningKeys, readCredentials, signGeneratedVideo, type LineageAssertion, type SigningKeys } from './index.js';

const home = mkdtempSync(join(tmpdir(), 'backlot-c2pa-'));
const clip = join(home, 'clip.mp4');
const still = join(home, 'first.png');
const signed = join(home, 'signed.mp4');
let keys: SigningKeys;

const lineage: LineageAssertion = {
  generationId: 'gen_test',
  modelId: 'mdl_tiny',
  lineage: { datasets: [{ id: 'ds_1', merkleRoot: 'ab'.repeat(32) }], bases: [] },
  datasetMerkleRoot: 'ab'.repeat(32),
  promptSha256: 'cd'.repeat(32),
  mode: 'i2v',
  parameters: { seed: 7, steps: 20 },
};

/** Offset of the first byte of the payload of a top-level MP4 box. */
function boxPayload(bytes: Buffer, type: string): number {
  for (let off = 0; off + 8 <= bytes.length; ) {
    const size = bytes.readUInt32BE(off);
    if (bytes.toString('latin1', off + 4, off + 8) === type) return off + 8;
    if (size < 8) break;
    off += size;
  }
  throw new Error(`no ${type} box`);
}

beforeAll(async () => {
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=12:duration=1', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-y', clip]);
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=1', '-frames:v', '1', '-y', still]);
  keys = await loadSigningKeys(home);
  await signGeneratedVideo(keys, { input: clip, output: signed, lineage, ingredients: [{ path: still, title: 'first frame', mimeType: 'image/png' }], softwareVersion: '0.1.0' });
});

describe('content credentials', () => {
  it('makes a development chain on first use and reuses it after', async () => {
    expect(keys.source).toBe('development');
    expect(existsSync(join(home, 'keys', 'signing-chain.pem'))).toBe(true);
    const again = await loadSigningKeys(home);
    expect(again.chainPem.equals(keys.chainPem)).toBe(true);
    const text = execFileSync('openssl', ['x509', '-noout', '-text', '-in', join(home, 'keys', 'dev-ca', 'int.pem')]).toString();
    expect(text).toMatch(/CA:TRUE, pathlen:0/);
    const leaf = execFileSync('openssl', ['x509', '-noout', '-text', '-in', join(home, 'keys', 'dev-ca', 'leaf.pem')]).toString();
    expect(leaf).toMatch(/E-mail Protection/);
    expect(leaf).toMatch(/1\.3\.6\.1\.5\.5\.7\.3\.36/);
  });

  it('round-trips: Trusted with the studio root, with the created action, lineage and ingredient', async () => {
    const r = await readCredentials(signed, keys.trustAnchorsPem);
    expect(r.state).toBe('Trusted');
    expect(r.failures).toEqual([]);
    expect(r.manifest!.actions).toContainEqual(expect.objectContaining({ action: 'c2pa.created', digitalSourceType: DIGITAL_SOURCE_TRAINED }));
    expect(r.manifest!.lineage).toEqual(lineage);
    expect(r.manifest!.ingredients).toEqual([expect.objectContaining({ title: 'first frame', relationship: 'inputTo' })]);
    expect(r.manifest!.signer.commonName ?? r.manifest!.signer.issuer).toMatch(/Backlot/);
  });

  it('is Valid but not Trusted for a verifier without the studio root', async () => {
    const r = await readCredentials(signed, '');
    expect(r.state).toBe('Valid');
  });

  it('detects a byte flipped in the media data after signing', async () => {
    const bytes = readFileSync(signed);
    const at = boxPayload(bytes, 'mdat') + 100;
    bytes[at] = bytes[at]! ^ 0xff;
    const tampered = join(home, 'tampered.mp4');
    writeFileSync(tampered, bytes);
    const r = await readCredentials(tampered, keys.trustAnchorsPem);
    expect(r.state).toBe('Invalid');
    expect(r.failures.map((f) => f.code)).toContain('assertion.bmffHash.mismatch');
  });

  it('says so for a file with no credentials', async () => {
    const r = await readCredentials(clip, keys.trustAnchorsPem);
    expect(r.state).toBe('None');
    expect(r.manifest).toBeUndefined();
  });

  it('names the file when it is not media at all', async () => {
    const junk = join(home, 'junk.mp4');
    writeFileSync(junk, 'not a video');
    await expect(readCredentials(junk, keys.trustAnchorsPem)).rejects.toThrow(InputError);
    await expect(readCredentials(junk, keys.trustAnchorsPem)).rejects.toThrow(/junk\.mp4/);
  });
});
