// The built `backlot` CLI on a fresh workspace of its own, for end-to-end tests of one command area.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface CliRun {
  code: number | null;
  out: string;
  err: string;
}

/** A new workspace folder and a function that runs the CLI on it (progress as plain lines, at once). */
export function cliWorkspace(prefix: string): { home: string; backlot: (...args: string[]) => CliRun } {
  const home = mkdtempSync(join(tmpdir(), prefix));
  const backlot = (...args: string[]): CliRun => {
    const r = spawnSync(process.execPath, [join(repoRoot, 'apps/cli/bin/backlot.js'), '-w', home, ...args], { encoding: 'utf8', env: { ...process.env, BACKLOT_PROGRESS_INTERVAL_MS: '0' } });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  return { home, backlot };
}

/** The CLI runs from dist/: scripts/test.sh builds first, this keeps a lone test run honest too. */
export function buildCli(): void {
  spawnSync('npx', ['tsc', '-b'], { cwd: repoRoot, stdio: 'ignore' });
}
