// What every command gets: parsed global options, the workspace opener, output helpers.
import type { Command } from 'commander';
import type { Workspace } from '@backlot/adapters/workspace';
import { createProgress, type ProgressRenderer } from './progress.js';

export interface GlobalOptions {
  workspace?: string;
  db?: string;
  json?: boolean;
}

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

/** Opens the workspace for one command, runs fn, and always closes it (releasing the lock). */
export async function withWorkspace<T>(cmd: Command, fn: (ws: Workspace) => Promise<T>, opts: { mustExist?: boolean } = {}): Promise<T> {
  const g = globals(cmd);
  // Loaded here, not at the top: the workspace brings the embedded database's JavaScript (~35 ms to
  // load), which commands without a workspace (`shots`) should not pay at every start.
  const { openWorkspace } = await import('@backlot/adapters/workspace');
  const ws = await openWorkspace({ home: g.workspace, databaseUrl: g.db, command: `backlot ${cmd.name()}`, mustExist: opts.mustExist });
  try {
    return await fn(ws);
  } finally {
    await ws.close();
  }
}

export function progressFor(cmd: Command): ProgressRenderer {
  return createProgress({ json: globals(cmd).json });
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints a plain table: columns padded to their widest cell. */
export function printTable(headers: string[], rows: Array<Array<string | number | null | undefined>>): void {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  for (const r of cells) process.stdout.write(`${r.map((c, i) => (c ?? '').padEnd(widths[i] ?? 0)).join('  ').trimEnd()}\n`);
}

/** "guidance 3", or "guidance 3 on t in (0.2, 0.8]" where it applied to part of the steps only. */
export function guidanceText(params: { guidance?: unknown; guidanceInterval?: unknown }): string {
  const i = params.guidanceInterval as { lo?: unknown; hi?: unknown } | undefined;
  const part = i && typeof i.lo === 'number' && typeof i.hi === 'number' && !(i.lo === 0 && i.hi === 1) ? ` on t in (${i.lo}, ${i.hi}]` : '';
  return `guidance ${String(params.guidance)}${part}`;
}
