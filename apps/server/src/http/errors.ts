// One JSON error shape for every failure: {error:{code, message, field?}}. User-caused errors keep
// their one-line message (with internal paths removed); anything else becomes an opaque 500 whose
// details go to the server log under a reference, never to the client.
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from '@hono/zod-openapi';
import { AuthError, BacklotError, DatasetError, GenerateError, InputError, NotFoundError, RightsError, RightsImportError, ToolError, TrainError, WorkspaceError, IngestError } from '@backlot/core';

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'invalid_input' }),
      message: z.string().openapi({ example: 'body.steps: must be at most 200' }),
      field: z.string().optional().openapi({ example: 'steps' }),
      details: z.array(z.object({ where: z.string(), message: z.string() })).optional().openapi({ description: 'Every problem found, when there are several (a rejected rights import lists each row).' }),
    }),
  })
  .openapi('Error');

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

const AUTH_STATUS: Record<string, ContentfulStatusCode> = {
  rate_limited: 429,
  account_disabled: 403,
  forbidden: 403,
  csrf: 403,
  sso_not_configured: 404,
  sso_unreachable: 503,
};

function statusOf(e: BacklotError): ContentfulStatusCode {
  if (e instanceof AuthError) return AUTH_STATUS[e.code] ?? 401;
  if (e instanceof NotFoundError) return 404;
  if (e instanceof InputError) return /_exists$|conflict/.test(e.code) ? 409 : 400;
  if (e instanceof GenerateError) return 422;
  if (e instanceof RightsError || e instanceof DatasetError || e instanceof TrainError || e instanceof IngestError) return /not_found|unknown/.test(e.code) ? 404 : 422;
  if (e instanceof WorkspaceError || e instanceof ToolError) return 503;
  return 400;
}

let scrubRoots: string[] = [];
/** Paths never shown to clients: the workspace, the checkout, the home folder. */
export function setScrubRoots(roots: string[]): void {
  scrubRoots = [...new Set(roots.filter((r) => r.length > 1))].sort((a, b) => b.length - a.length);
}

/** Removes internal paths from a message: known roots become "<workspace>", other absolute paths their last part. */
export function scrub(message: string): string {
  let out = message;
  for (const root of [...scrubRoots, process.cwd(), homedir()]) if (root.length > 1) out = out.split(root).join('<workspace>');
  // API routes (/api/...) are not server paths and stay as they are.
  return out.replace(/(^|[\s(`'"=:])\/(?!api\/)(?:[^\s/`'"()]+\/)+([^\s/`'"()]*)/g, '$1$2').slice(0, 500);
}

export function errorBody(code: string, message: string, field?: string) {
  return { error: field ? { code, message: scrub(message), field } : { code, message: scrub(message) } };
}

// Workflows name what an error is about in their `subject`: a CLI flag, a field, or the value
// itself. Only the first two are a field a client can point at.
const FIELDS = new Set(['username', 'password', 'role', 'days', 'name', 'id', 'sha256', 'person', 'reason', 'scope', 'title', 'dataset', 'model', 'modelId', 'prompt', 'image', 'last', 'extend', 'restyle', 'steps', 'frames', 'guidance', 'seed', 'strength', 'files', 'body', 'preset', 'lora', 'initFrom', 'asOf', 'from', 'to']);
const FLAG_FIELDS: Record<string, string> = { '--model': 'modelId', '--image': 'image', '--last': 'last', PROMPT: 'prompt' };

function fieldOf(subject: string | undefined): string | undefined {
  if (!subject) return undefined;
  if (FLAG_FIELDS[subject]) return FLAG_FIELDS[subject];
  if (/^--[a-z][a-z-]*$/.test(subject)) return subject.slice(2).replace(/-([a-z])/g, (_m, ch: string) => ch.toUpperCase());
  return FIELDS.has(subject) ? subject : undefined;
}

export function toResponse(c: Context, e: unknown): Response {
  if (e instanceof ApiError) return c.json(errorBody(e.code, e.message, e.field), e.status);
  if (e instanceof RightsImportError) {
    const body = errorBody(e.code, e.message, fieldOf(e.subject));
    return c.json({ error: { ...body.error, details: e.problems.slice(0, 500).map((p) => ({ where: scrub(p.where), message: scrub(p.message) })) } }, statusOf(e));
  }
  if (e instanceof BacklotError) return c.json(errorBody(e.code, e.message, fieldOf(e.subject)), statusOf(e));
  if (e instanceof HTTPException) {
    const status = e.status as ContentfulStatusCode;
    const code = status === 413 ? 'too_large' : status === 415 ? 'unsupported_media_type' : status === 400 ? 'invalid_input' : 'http_error';
    const message = status === 413 ? 'request body is too large' : status === 415 ? 'unsupported content type; send application/json' : e.message || 'bad request';
    return c.json(errorBody(code, message), status);
  }
  const ref = randomBytes(4).toString('hex');
  process.stderr.write(`backlot serve: internal error ${ref} on ${c.req.method} ${c.req.path}: ${(e as Error)?.stack ?? String(e)}\n`);
  return c.json(errorBody('internal', `internal error (reference ${ref}); the server log has the details`), 500);
}
