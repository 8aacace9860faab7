// Parsing of numeric command-line flags: commander hands over strings, and a value that is not a whole
// number in range must stop the command with one line naming the flag, before any work starts.
import { z } from 'zod';
import { InputError } from '@backlot/core';

/** An optional flag holding a whole number from `min` (default 1) to `max`. */
export const wholeNumber = (flag: string, min = 1, max = Number.MAX_SAFE_INTEGER) => z.string().optional().transform((v, ctx) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\s*\d+\s*$/.test(v) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    ctx.addIssue({ code: 'custom', message: `${flag} ${v}: must be a whole number ${range}` });
    return z.NEVER;
  }
  return n;
});

/** Parses `cmd.opts()` with `schema`; the first problem becomes an InputError naming its flag. */
export function parseFlags<T extends z.ZodType>(schema: T, opts: unknown): z.output<T> {
  const r = schema.safeParse(opts);
  if (r.success) return r.data;
  const i = r.error.issues[0]!;
  const flag = `--${String(i.path[0] ?? '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  throw new InputError('bad_flag', i.message.startsWith('--') ? i.message : `${flag}: ${i.message}`, flag);
}
