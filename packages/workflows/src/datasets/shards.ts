// Shard files (docs/dataset-format.md): writing records while hashing, and reading them back one at a
// time for verify and for anyone who wants to check a shard from TypeScript. Memory per open shard:
// one record.
import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetError, encodeRecordHeader, MAX_HEADER_BYTES, parseRecordHeader, payloadBytes, type ShardInfo, type ShardRecordHeader, type Split } from '@backlot/core';

export function shardFileName(split: Split, n: number): string {
  return `${split}-${String(n).padStart(5, '0')}.bls`;
}

/** Appends records to <dir>/<split>-NNNNN.bls, starting a new file every `recordsPerShard` records. */
export class ShardWriter {
  private fh: FileHandle | null = null;
  private file = '';
  private hash: Hash | null = null;
  private records = 0;
  private bytes = 0;
  private n = 0;
  readonly done: ShardInfo[] = [];

  constructor(
    readonly dir: string,
    readonly split: Split,
    readonly recordsPerShard: number,
  ) {}

  /** Writes one record; returns where it went and the payload's sha256 (the manifest's clipSha256). */
  async write(header: ShardRecordHeader, payload: Buffer): Promise<{ shard: string; record: number; clipSha256: string }> {
    if (payload.length !== payloadBytes(header)) throw new Error(`shard record ${header.clipId}: payload ${payload.length} bytes, header says ${payloadBytes(header)}`);
    if (!this.fh || this.records >= this.recordsPerShard) await this.startShard();
    const head = encodeRecordHeader(header);
    await this.fh!.write(head);
    await this.fh!.write(payload);
    this.hash!.update(head).update(payload);
    this.bytes += head.length + payload.length;
    const record = this.records++;
    return { shard: this.file, record, clipSha256: createHash('sha256').update(payload).digest('hex') };
  }

  private async startShard(): Promise<void> {
    await this.finishShard();
    this.file = shardFileName(this.split, this.n++);
    this.fh = await open(join(this.dir, this.file), 'wx');
    this.hash = createHash('sha256');
    this.records = 0;
    this.bytes = 0;
  }

  private async finishShard(): Promise<void> {
    if (!this.fh) return;
    await this.fh.sync();
    await this.fh.close();
    this.done.push({ file: this.file, split: this.split, records: this.records, bytes: this.bytes, sha256: this.hash!.digest('hex') });
    this.fh = null;
  }

  async close(): Promise<ShardInfo[]> {
    await this.finishShard();
    return this.done;
  }
}

export interface ShardRecord {
  header: ShardRecordHeader;
  payload: Buffer;
  /** Byte offset of the record's length prefix in the file. */
  offset: number;
}

/** Reads a shard record by record. `sha256()` after the last record is the whole file's hash. */
export class ShardReader {
  private offset = 0;
  private readonly hash = createHash('sha256');
  private index = 0;

  private constructor(
    private readonly fh: FileHandle,
    readonly file: string,
    readonly size: number,
  ) {}

  static async open(path: string, file: string): Promise<ShardReader> {
    const fh = await open(path, 'r');
    const { size } = await fh.stat();
    return new ShardReader(fh, file, size);
  }

  private async readExactly(n: number, what: string): Promise<Buffer> {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await this.fh.read(buf, 0, n, this.offset);
    if (bytesRead !== n) throw new DatasetError('shard_truncated', `${this.file}: record ${this.index} ${what} ends early at byte ${this.offset + bytesRead} (file is ${this.size} bytes)`, this.file);
    this.offset += n;
    this.hash.update(buf);
    return buf;
  }

  /** The next record, or null at the end of the file. */
  async next(): Promise<ShardRecord | null> {
    if (this.offset >= this.size) return null;
    const at = this.offset;
    const len = (await this.readExactly(4, 'length')).readUInt32LE(0);
    if (len === 0 || len > MAX_HEADER_BYTES) throw new DatasetError('bad_shard_header', `${this.file}: record ${this.index} at byte ${at} claims a ${len}-byte header`, this.file);
    const header = parseRecordHeader(await this.readExactly(len, 'header'), `${this.file} record ${this.index}`);
    const payload = await this.readExactly(payloadBytes(header), 'payload');
    this.index++;
    return { header, payload, offset: at };
  }

  sha256(): string {
    return this.hash.digest('hex');
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}
