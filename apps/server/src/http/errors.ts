// One JSON error shape for every failure: {error:{code, message, field?}}. User-caused errors keep
// their one-line message (with internal paths removed); anything else becomes an opaque 500 whose
// details go to the server log under a reference, never to the client.
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from '@hono/zod-openapi';
import { AuthError, BacklotError, DatasetError, GenerateError, InputError, NotFoundError, RightsError, ToolError, TrainError, WorkspaceError, IngestError } from '@backlot/core';

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'invalid_input' }),
      message: z.string().openapi({ example: 'body.steps: must be at most 200' }),
      field: z.string().optional().openapi({ example: 'steps' }),
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
  return out.replace(/(^|[\s(`'"=:])\/(?:[^\s/`'"()]+\/)+([^\s/`'"()]*)/g, '$1$2').slice(0, 500);
}

export function errorBody(code: string, message: string, field?: string) {
  return { error: field ? { code, message: scrub(message), field } : { code, message: scrub(message) } };
}

export function toResponse(c: Context, e: unknown): Response {
  if (e instanceof ApiError) return c.json(errorBody(e.code, e.message, e.field), e.status);
  if (e instanceof BacklotError) return c.json(errorBody(e.code, e.message, e.subject && !e.subject.includes('/') ? e.subject : undefined), statusOf(e));
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
