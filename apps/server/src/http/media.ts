// Sends a stored file (proxy, keyframe, generated output) with HTTP range support, so browsers can
// seek in video without downloading all of it.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Context } from 'hono';
import { ApiError } from './errors.js';

export async function sendStoredFile(c: Context, path: string, contentType: string, what: string): Promise<Response> {
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) throw new ApiError(404, 'not_found', `${what} is not in the content store`);
  const size = info.size;
  const headers: Record<string, string> = { 'content-type': contentType, 'accept-ranges': 'bytes', 'cache-control': 'private, max-age=3600' };
  const range = c.req.header('range');
  if (!range) {
    headers['content-length'] = String(size);
    return new Response(Readable.toWeb(createReadStream(path)) as ReadableStream, { status: 200, headers });
  }
  const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  let start = m?.[1] ? Number(m[1]) : NaN;
  let end = m?.[2] ? Number(m[2]) : size - 1;
  if (m && !m[1] && m[2]) {
    // Suffix range: the last N bytes.
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  }
  if (!m || !Number.isFinite(start) || start > end || start >= size) {
    return new Response(JSON.stringify({ error: { code: 'bad_range', message: `range ${range.slice(0, 60)} is not satisfiable for ${size} bytes`, field: 'range' } }), {
      status: 416,
      headers: { 'content-type': 'application/json', 'content-range': `bytes */${size}` },
    });
  }
  end = Math.min(end, size - 1);
  headers['content-range'] = `bytes ${start}-${end}/${size}`;
  headers['content-length'] = String(end - start + 1);
  return new Response(Readable.toWeb(createReadStream(path, { start, end })) as ReadableStream, { status: 206, headers });
}
