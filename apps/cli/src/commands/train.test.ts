// `backlot train` flags through the built CLI: a malformed --set is refused in one line before any work.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const home = join(mkdtempSync(join(tmpdir(), 'backlot-cli-train-')), 'ws');
const backlot = (...args: string[]) => spawnSync(process.execPath, [join(root, 'apps/cli/bin/backlot.js'), '-w', home, ...args], { encoding: 'utf8' });

describe('backlot train flags', () => {
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
});
