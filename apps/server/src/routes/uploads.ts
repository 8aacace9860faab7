// Uploads: first/last frames and clips for generation, rights files for import. Limited in size,
// checked by their bytes (not their name or declared type), stored in the content store; other
// requests refer to them by sha256.
import { z } from '@hono/zod-openapi';
import { route, type Api } from '../http/api.js';
import { ApiError } from '../http/errors.js';

export const UPLOAD_KINDS = ['image/png', 'image/jpeg', 'video/mp4', 'text/csv', 'application/json'] as const;
export type UploadKind = (typeof UPLOAD_KINDS)[number];

/** What the bytes are, judged by their content; null when none of the accepted kinds. */
export function sniff(bytes: Uint8Array): UploadKind | null {
  const b = bytes;
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a) return 'image/png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  // ISO base media: a first box of type ftyp (MP4, MOV).
  if (b.length >= 12 && b[4] === 0x66 && b[5] === 0x74 && b[6] === 0x79 && b[7] === 0x70) return 'video/mp4';
  // Text: valid UTF-8 without control bytes other than tab/newline/return.
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    return null;
  }
  if (!text.trim() || /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(text)) return null;
  const t = text.replace(/^\uFEFF/, '').trimStart();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      JSON.parse(t);
      return 'application/json';
    } catch {
      return null;
    }
  }
  return t.includes(',') && t.includes('\n') ? 'text/csv' : null;
}

/** A file name as given by a person: a plain name, no folders, no traversal, no control characters. */
export const FileName = z
  .string()
  .min(1)
  .max(200)
  .refine((s) => !/[\\/]/.test(s) && s !== '.' && s !== '..' && !s.includes('\0') && !/[\u0000-\u001f]/.test(s), 'must be a plain file name without folders, "..", or control characters');

export const UploadSchema = z
  .object({ sha256: z.string(), kind: z.enum(UPLOAD_KINDS), bytes: z.number().int(), name: z.string() })
  .openapi('Upload');

export function registerUploads(api: Api): void {
  route(
    api,
    {
      method: 'post',
      path: '/api/uploads',
      summary: 'Upload a frame, clip or rights file',
      description: 'Send the raw bytes as the body. Accepted by content: PNG, JPEG, MP4, CSV, JSON. `expect` makes a mismatch a 415.',
      request: {
        query: z.strictObject({ name: FileName.openapi({ example: 'first-frame.png' }), expect: z.enum(['image', 'video', 'rights']).optional() }),
        body: { required: true, content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } },
      },
      responses: {
        201: { description: 'Stored', content: { 'application/json': { schema: UploadSchema } } },
        413: { description: 'Too large' },
        415: { description: 'Not an accepted kind of file' },
      },
    },
    async (c) => {
      const { name, expect } = c.req.valid('query');
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      if (!bytes.length) throw new ApiError(400, 'invalid_input', 'the upload is empty', 'body');
      const kind = sniff(bytes);
      if (!kind) throw new ApiError(415, 'unsupported_media_type', `${name} is not a PNG, JPEG, MP4, CSV or JSON file (judged by its content)`, 'body');
      const family = kind.startsWith('image/') ? 'image' : kind === 'video/mp4' ? 'video' : 'rights';
      if (expect && expect !== family) throw new ApiError(415, 'unsupported_media_type', `${name} is ${kind}, not ${expect === 'rights' ? 'a CSV or JSON rights file' : `an ${expect}`}`, 'body');
      const sha256 = await api.ws.store.putBytes(bytes);
      return c.json({ sha256, kind, bytes: bytes.length, name }, 201);
    },
  );
}
