// Reads the training opt-out signals a media file carries: IPTC plus:DataMining in its XMP (MP4: a
// top-level uuid box or moov/udta/XMP_, found with positioned reads of box headers, < 1 ms) and C2PA /
// CAWG training-mining assertions in every manifest of its store, ingredients' manifests included.
import { open, type FileHandle } from 'node:fs/promises';
import { Reader, createVerifySettings, settingsToJson } from '@contentauth/c2pa-node';
import { TRAINING_MINING_LABELS, trainingMiningSignals, xmpSignals, type OptOutSignal } from '@backlot/core';

/** The XMP uuid box's usertype (Adobe XMP spec part 3, ISO base media file format). */
export const XMP_UUID = 'be7acfcb97a942e89c71999491e3afac';
/** Larger XMP than this is not a packet anyone wrote by hand; refuse to read it into memory. */
const MAX_XMP_BYTES = 16 * 1024 * 1024;

export interface OptOutReport {
  signals: OptOutSignal[];
  /** Why a part could not be read (not an MP4, no C2PA support for the format...). Never fatal. */
  notes: string[];
}

interface Box {
  type: string;
  /** Offset of the payload (after the header and, for uuid, the usertype). */
  payload: number;
  end: number;
  usertype?: string;
}

async function readAt(fh: FileHandle, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len);
  const { bytesRead } = await fh.read(buf, 0, len, pos);
  return buf.subarray(0, bytesRead);
}

/** Box headers between start and end (ISO/IEC 14496-12 4.2: 32-bit size, 64-bit largesize, 0 = to end). */
async function boxes(fh: FileHandle, start: number, end: number): Promise<Box[]> {
  const out: Box[] = [];
  let pos = start;
  while (pos + 8 <= end) {
    const h = await readAt(fh, pos, 32);
    if (h.length < 8) break;
    let size = h.readUInt32BE(0);
    const type = h.toString('latin1', 4, 8);
    let header = 8;
    if (size === 1) {
      if (h.length < 16) break;
      size = Number(h.readBigUInt64BE(8));
      header = 16;
    } else if (size === 0) {
      size = end - pos;
    }
    if (size < header || pos + size > end) break; // truncated or not a box: stop, do not guess
    const box: Box = { type, payload: pos + header, end: pos + size };
    if (type === 'uuid' && h.length >= header + 16) {
      box.usertype = h.toString('hex', header, header + 16);
      box.payload += 16;
    }
    out.push(box);
    pos += size;
  }
  return out;
}

/** XMP packets of an ISO BMFF file (MP4, MOV, M4V), with where each was found. */
export async function readMp4Xmp(path: string): Promise<{ isBmff: boolean; packets: Array<{ where: string; xmp: string }> }> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const top = await boxes(fh, 0, size);
    if (!top.length || !['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide', 'uuid', 'styp'].includes(top[0]!.type)) return { isBmff: false, packets: [] };
    const packets: Array<{ where: string; xmp: string }> = [];
    const take = async (box: Box, where: string) => {
      const len = box.end - box.payload;
      if (len <= 0 || len > MAX_XMP_BYTES) return;
      packets.push({ where, xmp: (await readAt(fh, box.payload, len)).toString('utf8') });
    };
    for (const b of top) {
      if (b.type === 'uuid' && b.usertype === XMP_UUID) await take(b, 'uuid box (XMP)');
      if (b.type !== 'moov') continue;
      for (const m of await boxes(fh, b.payload, b.end)) {
        if (m.type === 'udta') {
          for (const u of await boxes(fh, m.payload, m.end)) if (u.type === 'XMP_') await take(u, 'moov/udta/XMP_');
        }
        if (m.type === 'trak') {
          // Some tools (exiftool among them, for QuickTime) write XMP into a track's udta.
          for (const t of await boxes(fh, m.payload, m.end)) {
            if (t.type === 'udta') for (const u of await boxes(fh, t.payload, t.end)) if (u.type === 'XMP_') await take(u, 'moov/trak/udta/XMP_');
          }
        }
      }
    }
    return { isBmff: true, packets };
  } finally {
    await fh.close();
  }
}

type ManifestJson = { assertions?: Array<{ label: string; data: unknown }>; ingredients?: Array<{ title?: string; active_manifest?: string }> };

/** Training-mining assertions in every manifest of the file's C2PA store (active and ingredients'). */
export async function readC2paTrainingMining(path: string): Promise<{ signals: OptOutSignal[]; notes: string[] }> {
  let reader: Reader | null;
  try {
    // Reading what the file says does not need trust: an untrusted or even altered manifest that
    // asks not to be trained on is still honoured (the safe reading).
    reader = await Reader.fromAsset({ path }, settingsToJson(createVerifySettings({ verifyTrust: false })));
  } catch (e) {
    const err = e as Error;
    return { signals: [], notes: [`C2PA: cannot read ${path}: ${err.name && err.name !== 'Error' ? err.name : err.message}`] };
  }
  if (!reader) return { signals: [], notes: [] };
  const store = reader.json() as unknown as { active_manifest?: string; manifests?: Record<string, ManifestJson>; validation_state?: string };
  const active = store.active_manifest;
  const ingredientOf = new Map<string, string>();
  for (const [label, m] of Object.entries(store.manifests ?? {})) {
    for (const ing of m.ingredients ?? []) if (ing.active_manifest) ingredientOf.set(ing.active_manifest, `${ing.title ?? 'untitled'} in ${label}`);
  }
  const signals: OptOutSignal[] = [];
  for (const [label, m] of Object.entries(store.manifests ?? {})) {
    const role = label === active ? 'active manifest' : ingredientOf.has(label) ? `ingredient manifest (${ingredientOf.get(label)})` : 'manifest';
    for (const a of m.assertions ?? []) {
      // Repeated assertions get a suffix: cawg.training-mining__1.
      const base = a.label.replace(/__\d+$/, '');
      if (!(TRAINING_MINING_LABELS as readonly string[]).includes(base)) continue;
      signals.push(...trainingMiningSignals(base, a.data, `${role} ${label}${store.validation_state ? ` [${store.validation_state}]` : ''}`));
    }
  }
  return { signals, notes: [] };
}

/** Every opt-out signal in the file. Never throws for unreadable metadata; it says so in notes. */
export async function readOptOutSignals(path: string): Promise<OptOutReport> {
  const notes: string[] = [];
  const signals: OptOutSignal[] = [];
  const xmp = await readMp4Xmp(path);
  if (!xmp.isBmff) notes.push('XMP: not an ISO BMFF (MP4/MOV) file; XMP is read only from MP4/MOV');
  for (const p of xmp.packets) signals.push(...xmpSignals(p.xmp, p.where));
  const c2pa = await readC2paTrainingMining(path);
  signals.push(...c2pa.signals);
  notes.push(...c2pa.notes);
  return { signals, notes };
}
