// `backlot train` and `backlot eval` flags through the built CLI: a malformed --set or number is refused in
// one line before any work.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const home = join(mkdtempSync(join(tmpdir(), 'backlot-cli-train-')), 'ws');
const backlot = (...args: string[]) => spawnSync(process.execPath, [join(root, 'apps/cli/bin/backlot.js'), '-w', home, ...args], { encoding: 'utf8' });

describe('backlot train and eval flags', () => {
  it('refuses a --set that is not field=value, or on a resumed run, in one line, before opening the workspace', () => {
    for (const bad of ['depth', 'depth=', '=4', 'Depth=4']) {
      const r = backlot('train', '--dataset', 'demo', '--set', 'batch=4', '--set', bad);
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(`backlot: --set ${bad}: give field=value, e.g. --set compile=true`);
    }
    expect(backlot('train', '--resume', 'run_1', '--set', 'compile=true').stderr.trim())
      .toBe('backlot: --set compile=true: a resumed run keeps the preset it started with; start a new run to change it');
    const r = backlot('train', '--dataset', 'demo', '--set', 'compile=true');
    expect(r.stderr.trim()).toMatch(/^backlot: no workspace at /);   // the flags passed; the missing workspace is what stops it
  });

  it('refuses a number flag of train or eval that is not a whole number in range, naming it, before opening the workspace', () => {
    for (const [args, line] of [
      [['train', '--dataset', 'demo', '--seed', 'abc'], '--seed abc: must be a whole number from 0 to 2147483647'],
      [['train', '--dataset', 'demo', '--steps', '1.5'], '--steps 1.5: must be a whole number >= 1'],
      [['eval', 'mdl_x', '--samples', '0'], '--samples 0: must be a whole number from 1 to 16'],
      [['eval', 'mdl_x', '--steps', 'many'], '--steps many: must be a whole number from 1 to 200'],
      [['eval', 'mdl_x', '--max-prompts', '-3'], '--max-prompts -3: must be a whole number from 1 to 10000'],
    ] as const) {
      const r = backlot(...args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr.trim()).toBe(`backlot: ${line}`);
    }
    expect(backlot('eval', 'mdl_x', '--samples', '2', '--steps', '3').stderr.trim()).toMatch(/^backlot: no workspace at /);
  });
});
