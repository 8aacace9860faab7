// The training shard record (docs/dataset-format.md): u32 little-endian header length, the header as
// canonical JSON (UTF-8), then frames*height*width*3 bytes of RGB, frame-major, row-major, HWC.
import { canonicalJson } from '../audit/index.js';
import { DatasetError } from '../errors.js';

export interface ShardRecordHeader {
  clipId: string;
  titleId: string;
  caption: string;
  frames: number;
  height: number;
  width: number;
  channels: 3;
  fps: number;
}

/** Bigger than any honest header (a caption is a few hundred bytes); guards against reading garbage. */
export const MAX_HEADER_BYTES = 1 << 20;

export function payloadBytes(h: Pick<ShardRecordHeader, 'frames' | 'height' | 'width' | 'channels'>): number {
  return h.frames * h.height * h.width * h.channels;
}

/** The 4-byte length plus header bytes that precede a record's payload. */
export function encodeRecordHeader(h: ShardRecordHeader): Buffer {
  const json = Buffer.from(canonicalJson(h), 'utf8');
  const out = Buffer.allocUnsafe(4 + json.length);
  out.writeUInt32LE(json.length, 0);
  json.copy(out, 4);
  return out;
}

/** Parses and checks a header's JSON; `where` names the shard and offset in the error. */
export function parseRecordHeader(json: Buffer | string, where: string): ShardRecordHeader {
  let v: unknown;
  try {
    v = JSON.parse(typeof json === 'string' ? json : json.toString('utf8'));
  } catch {
    throw new DatasetError('bad_shard_header', `${where}: record header is not JSON`, where);
  }
  const h = v as Partial<ShardRecordHeader> | null;
  const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;
  if (!h || typeof h !== 'object' || typeof h.clipId !== 'string' || typeof h.titleId !== 'string' || typeof h.caption !== 'string' || !isCount(h.frames) || !isCount(h.height) || !isCount(h.width) || h.channels !== 3 || typeof h.fps !== 'number') {
    throw new DatasetError('bad_shard_header', `${where}: record header lacks clipId, titleId, caption, frames, height, width, channels 3 or fps`, where);
  }
  return h as ShardRecordHeader;
}
