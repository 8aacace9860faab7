// Turns a failed zod validation into a 400 that names the field and says what is wrong in words,
// e.g. `body field "steps": must be at most 200` or `unknown field "colour" in body`.
import type { Context } from 'hono';
import type { z } from 'zod';
import { errorBody } from './errors.js';

const WHERE: Record<string, string> = { json: 'body', query: 'query', param: 'path', header: 'header', cookie: 'cookie', form: 'form' };

function describe(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}${'input' in issue && issue.input === undefined ? ', but it is missing' : ''}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}${issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' items' : ''}`;
    case 'too_small':
      return `must be at least ${String(issue.minimum)}${issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' items' : ''}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return issue.message;
  }
}

export function describeZodError(error: z.ZodError, target: string): { message: string; field?: string } {
  const issue = error.issues[0];
  const where = WHERE[target] ?? target;
  if (!issue) return { message: `invalid ${where}` };
  if (issue.code === 'unrecognized_keys') {
    const key = [...issue.path.map(String), issue.keys[0] ?? ''].filter(Boolean).join('.');
    return { message: `unknown field "${key}" in ${where}`, field: key };
  }
  const field = issue.path.map(String).join('.');
  return field ? { message: `${where} field "${field}": ${describe(issue)}`, field } : { message: `${where}: ${describe(issue)}` };
}

export function validationHook(result: { success: true } | { success: false; error: z.ZodError; target: string }, c: Context): Response | undefined {
  if (result.success) return undefined;
  const { message, field } = describeZodError(result.error, result.target);
  return c.json(errorBody('invalid_input', message, field), 400);
}
