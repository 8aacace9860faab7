// vitest globalSetup: every test run gets its own temporary folder, removed when the run ends.
//
// The tests make workspaces, databases, trained models and exported networks under os.tmpdir()
// (over 1 GB a full run). Pointing TMPDIR at one folder per run, before the test processes are
// forked, lets the run remove all of it at once, whatever each test does; the Python trainer,
// PostgreSQL and the browser the tests start inherit it too. A run killed before its teardown leaves
// its folder behind; the next run removes folders whose run is no longer alive.
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive } from '../../packages/adapters/src/workspace/lock.js';

const PREFIX = 'backlot-test-run-';

export default function setup(): () => void {
  // Under scripts/test.sh the whole suite already has its folder, removed when the script ends; a
  // folder inside it would make paths too long for the Unix sockets Chromium and PostgreSQL put there.
  if (process.env.BACKLOT_TEST_TMP && process.env.BACKLOT_TEST_TMP === process.env.TMPDIR) return () => {};
  const parent = tmpdir();
  for (const name of readdirSync(parent)) {
    const pid = name.startsWith(PREFIX) ? Number(name.slice(PREFIX.length).split('-')[0]) : Number.NaN;
    if (Number.isInteger(pid) && pid !== process.pid && !processAlive(pid)) rmSync(join(parent, name), { recursive: true, force: true });
  }
  const root = mkdtempSync(join(parent, `${PREFIX}${process.pid}-`));
  chmodSync(root, 0o711); // the PostgreSQL test's server runs as `postgres` and must pass through
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    if (!process.env.BACKLOT_KEEP_TEST_TMP) rmSync(root, { recursive: true, force: true });
  };
}
