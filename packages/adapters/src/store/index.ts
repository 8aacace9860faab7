// Content-addressed store for derived files (proxies, keyframes, documents, model weights).
// A file's name is its sha256; writes go to a temporary file first and are renamed into place,
// so a killed process never leaves a half-written object under a real name.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, writeFile, copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

export function sha256Bytes(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export class ContentStore {
  constructor(readonly root: string) {}

  pathOf(sha256: string): string {
    return join(this.root, 'sha256', sha256.slice(0, 2), sha256);
  }

  async has(sha256: string): Promise<boolean> {
    return stat(this.pathOf(sha256)).then(() => true, () => false);
  }

  /** A fresh temporary path inside the store, on the same filesystem as the objects. */
  async tempPath(suffix = ''): Promise<string> {
    const dir = join(this.root, 'tmp');
    await mkdir(dir, { recursive: true });
    return join(dir, `${process.pid}-${randomBytes(6).toString('hex')}${suffix}`);
  }

  /** Moves a finished temporary file into the store under its hash. */
  async commitTemp(tempPath: string): Promise<string> {
    const sha = await sha256File(tempPath);
    const fh = await open(tempPath, 'r');
    await fh.sync();
    await fh.close();
    const dest = this.pathOf(sha);
    await mkdir(join(this.root, 'sha256', sha.slice(0, 2)), { recursive: true });
    await rename(tempPath, dest);
    return sha;
  }

  async putBytes(bytes: Uint8Array | string): Promise<string> {
    const sha = sha256Bytes(bytes);
    if (await this.has(sha)) return sha;
    const tmp = await this.tempPath();
    await writeFile(tmp, bytes, { flush: true });
    await mkdir(join(this.root, 'sha256', sha.slice(0, 2)), { recursive: true });
    await rename(tmp, this.pathOf(sha));
    return sha;
  }

  async putFileCopy(src: string): Promise<string> {
    const tmp = await this.tempPath();
    await copyFile(src, tmp);
    return this.commitTemp(tmp);
  }

  async read(sha256: string): Promise<Buffer> {
    return readFile(this.pathOf(sha256));
  }

  /** Removes temporary files left by killed processes. Only safe while the workspace is locked. */
  async sweepTemp(): Promise<void> {
    await rm(join(this.root, 'tmp'), { recursive: true, force: true });
  }
}
