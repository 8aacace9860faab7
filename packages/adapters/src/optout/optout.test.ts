import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Builder, LocalSigner } from '@contentauth/c2pa-node';
import { loadSigningKeys, type SigningKeys } from '../c2pa/index.js';
import { readMp4Xmp, readOptOutSignals } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'backlot-optout-'));
const plain = join(dir, 'plain.mp4');
const DMI = 'http://ns.useplus.org/ldf/vocab/';
// Debian's exiftool 12.57 knows the PLUS namespace but not DataMining: define it (DEPENDENCIES.md).
const config = join(dir, 'datamining.config');
let keys: SigningKeys;

function withXmp(value: string, name: string, from = plain): string {
  const out = join(dir, name);
  execFileSync('exiftool', ['-config', config, '-q', `-XMP-plus:DataMining=${value}`, '-o', out, from]);
  return out;
}

/** Appends moov/udta/XMP_ to a file whose moov comes last (ffmpeg's default), fixing moov's size. */
function withUdtaXmp(xmp: string, name: string): string {
  const bytes = readFileSync(plain);
  let off = 0;
  let moov = -1;
  while (off + 8 <= bytes.length) {
    const size = bytes.readUInt32BE(off);
    if (bytes.toString('latin1', off + 4, off + 8) === 'moov') moov = off;
    off += size;
  }
  if (moov < 0 || moov + bytes.readUInt32BE(moov) !== bytes.length) throw new Error('test needs moov at the end');
  const payload = Buffer.from(xmp, 'utf8');
  const xmpBox = Buffer.concat([Buffer.alloc(8), payload]);
  xmpBox.writeUInt32BE(xmpBox.length, 0);
  xmpBox.write('XMP_', 4, 'latin1');
  const udta = Buffer.concat([Buffer.alloc(8), xmpBox]);
  udta.writeUInt32BE(udta.length, 0);
  udta.write('udta', 4, 'latin1');
  const out = Buffer.concat([bytes, udta]);
  out.writeUInt32BE(bytes.readUInt32BE(moov) + udta.length, moov);
  const path = join(dir, name);
  writeFileSync(path, out);
  return path;
}

async function sign(input: string, name: string, assertions: Array<{ label: string; data: unknown }>, ingredient?: string): Promise<string> {
  const out = join(dir, name);
  const builder = Builder.withJson({ claim_generator_info: [{ name: 'backlot-test', version: '0' }], title: name, format: 'video/mp4', assertions } as never);
  if (ingredient) await builder.addIngredient(JSON.stringify({ title: 'source reel', relationship: 'parentOf', format: 'video/mp4' }), { path: ingredient, mimeType: 'video/mp4' });
  builder.sign(LocalSigner.newSigner(keys.chainPem, keys.keyPem, keys.alg), { path: input, mimeType: 'video/mp4' }, { path: out, mimeType: 'video/mp4' });
  return out;
}

const tdm = (label: string, entries: Record<string, { use: string }>) => ({ label, data: { entries } });

beforeAll(async () => {
  writeFileSync(config, "%Image::ExifTool::UserDefined = ('Image::ExifTool::PLUS::XMP' => { DataMining => { } });\n1;\n");
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=12:duration=1', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-y', plain]);
  keys = await loadSigningKeys(dir);
});

describe('opt-out signals in real MP4 files', () => {
  it('finds nothing in a plain MP4', async () => {
    expect(await readOptOutSignals(plain)).toEqual({ signals: [], notes: [] });
  });

  it('reads IPTC plus:DataMining from the XMP uuid box exiftool writes', async () => {
    const file = withXmp(`${DMI}DMI-PROHIBITED-AIMLTRAINING`, 'xmp-prohibited.mp4');
    const r = await readOptOutSignals(file);
    expect(r.signals).toEqual([{ source: 'iptc-xmp', label: 'plus:DataMining', key: 'plus:DataMining', value: `${DMI}DMI-PROHIBITED-AIMLTRAINING`, prohibits: true, where: 'uuid box (XMP)' }]);
    const genai = await readOptOutSignals(withXmp(`${DMI}DMI-PROHIBITED-GENAIMLTRAINING`, 'xmp-genai.mp4'));
    expect(genai.signals[0]!.prohibits).toBe(true);
    const allowed = await readOptOutSignals(withXmp(`${DMI}DMI-ALLOWED`, 'xmp-allowed.mp4'));
    expect(allowed.signals).toEqual([expect.objectContaining({ value: `${DMI}DMI-ALLOWED`, prohibits: false })]);
  });

  it('reads XMP kept in moov/udta/XMP_, with another prefix bound to the PLUS namespace', async () => {
    const xmp = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:pl="http://ns.useplus.org/ldf/xmp/1.0/" pl:DataMining="${DMI}DMI-PROHIBITED"/></rdf:RDF></x:xmpmeta>`;
    const file = withUdtaXmp(xmp, 'udta.mp4');
    expect((await readMp4Xmp(file)).packets.map((p) => p.where)).toEqual(['moov/udta/XMP_']);
    const r = await readOptOutSignals(file);
    expect(r.signals).toEqual([expect.objectContaining({ value: `${DMI}DMI-PROHIBITED`, prohibits: true, where: 'moov/udta/XMP_' })]);
  });

  it('reads a CAWG training-mining assertion from a signed manifest', async () => {
    const file = await sign(plain, 'cawg.mp4', [tdm('cawg.training-mining', { 'cawg.ai_generative_training': { use: 'notAllowed' }, 'cawg.ai_inference': { use: 'notAllowed' }, 'cawg.data_mining': { use: 'allowed' } })]);
    const r = await readOptOutSignals(file);
    const byKey = Object.fromEntries(r.signals.map((s) => [s.key, s]));
    expect(byKey['cawg.ai_generative_training']).toMatchObject({ source: 'c2pa', label: 'cawg.training-mining', value: 'notAllowed', prohibits: true });
    expect(byKey['cawg.ai_generative_training']!.where).toMatch(/^active manifest /);
    // Inference is not training; an allowed entry does not forbid.
    expect(byKey['cawg.ai_inference']!.prohibits).toBe(false);
    expect(byKey['cawg.data_mining']!.prohibits).toBe(false);
  });

  it("finds a prohibition in an ingredient's manifest even when the active manifest allows training", async () => {
    const source = await sign(plain, 'source.mp4', [tdm('c2pa.training-mining', { 'c2pa.ai_training': { use: 'constrained' } })]);
    const edit = await sign(plain, 'edit.mp4', [tdm('cawg.training-mining', { 'cawg.ai_generative_training': { use: 'allowed' } })], source);
    const r = await readOptOutSignals(edit);
    expect(r.signals.filter((s) => s.prohibits)).toEqual([expect.objectContaining({ label: 'c2pa.training-mining', key: 'c2pa.ai_training', value: 'constrained' })]);
    expect(r.signals.find((s) => s.prohibits)!.where).toMatch(/ingredient manifest \(source reel/);
  });

  it('reads both when XMP was written first and the file then signed', async () => {
    const xmpFirst = withXmp(`${DMI}DMI-PROHIBITED-AIMLTRAINING`, 'both-xmp.mp4');
    const file = await sign(xmpFirst, 'both.mp4', [tdm('cawg.training-mining', { 'cawg.ai_training': { use: 'notAllowed' } })]);
    const r = await readOptOutSignals(file);
    expect(r.signals.map((s) => [s.source, s.prohibits])).toEqual([['iptc-xmp', true], ['c2pa', true]]);
  });

  it('notes, without failing, what it cannot read', async () => {
    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, 'not a video at all');
    const r = await readOptOutSignals(junk);
    expect(r.signals).toEqual([]);
    expect(r.notes[0]).toMatch(/not an ISO BMFF/);
  });

  // ../shared/library is there on the project's machines, not on every clone: the test runs where it is.
  const lib = join(process.cwd(), '..', 'shared', 'library', 'tears-of-steel-opening', 'tears_dashlive_v2_512x120.mp4');
  it.skipIf(!existsSync(lib))('reads a real library clip (Tears of Steel) and finds no signals in it', async () => {
    const x = await readMp4Xmp(lib);
    expect(x.isBmff).toBe(true);
    expect((await readOptOutSignals(lib)).signals).toEqual([]);
  });
});
