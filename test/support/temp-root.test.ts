import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import setup from './temp-root.js';

const made: string[] = [];
// Under scripts/test.sh the suite's folder is named by BACKLOT_TEST_TMP; these tests play a vitest run
// of its own, so they take it away and put it back.
const suiteFolder = process.env.BACKLOT_TEST_TMP;
beforeEach(() => {
  delete process.env.BACKLOT_TEST_TMP;
});
afterEach(() => {
  if (suiteFolder === undefined) delete process.env.BACKLOT_TEST_TMP;
  else process.env.BACKLOT_TEST_TMP = suiteFolder;
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

test('the run gets its own temporary folder, every file under it is gone after teardown', () => {
  const outer = tmpdir();
  const teardown = setup();
  const root = tmpdir();
  made.push(root);
  expect(root.startsWith(join(outer, 'backlot-test-run-'))).toBe(true);
  expect(statSync(root).mode & 0o777).toBe(0o711);
  const ws = mkdtempSync(join(root, 'backlot-ws-'));
  writeFileSync(join(ws, 'db.bin'), 'x'.repeat(1000));
  teardown();
  expect(tmpdir()).toBe(outer);
  expect(existsSync(root)).toBe(false);
});

test("a killed run's folder is removed by the next run; a live run's is kept", () => {
  const parent = tmpdir();
  const dead = join(parent, 'backlot-test-run-999999999-abcdef'); // beyond any pid the kernel hands out
  const live = join(parent, `backlot-test-run-${process.ppid}-abcdef`);
  const other = join(parent, 'backlot-ws-999999999');
  for (const dir of [dead, live, other]) {
    mkdirSync(join(dir, 'inner'), { recursive: true });
    made.push(dir);
  }
  const teardown = setup();
  made.push(tmpdir());
  teardown();
  expect(existsSync(dead)).toBe(false);
  expect(existsSync(live)).toBe(true);
  expect(existsSync(other)).toBe(true);
});

test('inside the folder scripts/test.sh made for the suite, no second folder is nested (socket paths stay short)', () => {
  const outer = tmpdir();
  process.env.BACKLOT_TEST_TMP = outer;
  const teardown = setup();
  expect(tmpdir()).toBe(outer);
  teardown();
  expect(existsSync(outer)).toBe(true);
});
