// Workflow results name files on the server's disk (dataset folders, model weights, outputs); a
// response never does. Values that are absolute paths are dropped, recursively.
const isPath = (v: unknown): boolean => typeof v === 'string' && /^(\/|[A-Za-z]:\\)/.test(v);

export function withoutPaths<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => withoutPaths(v)) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (!isPath(v)) out[k] = withoutPaths(v);
    return out as T;
  }
  return value;
}
