// The one way the web app talks to the server. Errors become plain sentences for people,
// never raw JSON; state-changing requests carry the session's CSRF token.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    /** Structured detail some errors carry, e.g. every problem row of a rejected import. */
    readonly details?: unknown,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

type Listener = () => void;
const unauthorisedListeners = new Set<Listener>();
/** Called when the server says the session is gone, so the app can show sign-in. */
export function onUnauthorised(fn: Listener): () => void {
  unauthorisedListeners.add(fn);
  return () => unauthorisedListeners.delete(fn);
}

function plainMessage(status: number, body: unknown): { code: string; message: string; field?: string; details?: unknown } {
  const err = (body as { error?: { code?: string; message?: string; field?: string; details?: unknown } } | null)?.error;
  if (err?.message) return { code: err.code ?? 'error', message: err.message, field: err.field, details: err.details };
  if (status === 401) return { code: 'unauthorised', message: 'Your session has ended. Please sign in again.' };
  if (status === 403) return { code: 'forbidden', message: 'Your role does not allow this. Ask an administrator if you need it.' };
  if (status === 404) return { code: 'not_found', message: 'That item no longer exists.' };
  if (status === 413) return { code: 'too_large', message: 'That file is too large to upload.' };
  if (status >= 500) return { code: 'server', message: 'The server could not finish this request. Try again in a moment.' };
  return { code: 'error', message: `The request failed (HTTP ${status}).` };
}

export async function api<T>(method: string, path: string, body?: unknown, init: { signal?: AbortSignal } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let payload: BodyInit | undefined;
  if (body instanceof Blob) {
    headers['content-type'] = 'application/octet-stream';
    payload = body;
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin', signal: init.signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'Cannot reach the Backlot server. Check that it is running.');
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const m = plainMessage(res.status, json);
    if (res.status === 401 && path !== '/api/auth/sign-in') unauthorisedListeners.forEach((fn) => fn());
    throw new ApiError(res.status, m.code, m.message, m.field, m.details);
  }
  return json as T;
}

export const get = <T>(path: string, init?: { signal?: AbortSignal }) => api<T>('GET', path, undefined, init);
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, body ?? {});
export const del = <T>(path: string) => api<T>('DELETE', path);

/** Sends a file's raw bytes to the content store (the server judges its kind by content). */
export async function upload(file: File, expect: 'image' | 'video' | 'rights'): Promise<{ sha256: string; name: string }> {
  const q = new URLSearchParams({ name: file.name, expect });
  return api<{ sha256: string; name: string }>('POST', `/api/uploads?${q}`, file);
}

/**
 * Follows a server-sent event stream of named events until `isLast` says the stream is done (the
 * browser would otherwise reconnect to a finished stream). Returns a function that closes it.
 */
export function subscribe<T>(path: string, eventName: string, onEvent: (e: T) => void, isLast: (e: T) => boolean = () => false): () => void {
  const source = new EventSource(path, { withCredentials: true });
  source.addEventListener(eventName, (m) => {
    let data: T;
    try {
      data = JSON.parse((m as MessageEvent<string>).data) as T;
    } catch {
      return; // a keep-alive or malformed line
    }
    onEvent(data);
    if (isLast(data)) source.close();
  });
  return () => source.close();
}
