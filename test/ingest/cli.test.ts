// The built `backlot` CLI on real files: kill -9 at every stage of ingest and rerun, two commands on
// one workspace at once, bad files each with one line while the rest ingest (run as an unprivileged
// user so an unreadable file really is unreadable).
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeBadInputs, runningAsRoot } from '../support/bad-media.js';
import { makeEdit, scenes } from '../support/edits.js';

const repo = resolve(import.meta.dirname, '../..');
const bin = join(repo, 'apps/cli/bin/backlot.js');
let dir: string;
let films: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function backlot(args: string[], opts: { asUser?: number } = {}): Run {
  const cmd = opts.asUser !== undefined ? 'setpriv' : process.execPath;
  const full = opts.asUser !== undefined ? [`--reuid=${opts.asUser}`, `--regid=${opts.asUser}`, '--clear-groups', process.execPath, bin, ...args] : [bin, ...args];
  const r = spawnSync(cmd, full, { cwd: repo, encoding: 'utf8', env: { ...process.env, BACKLOT_CACHE: join(dir, 'cache') }, timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same as backlot() without blocking this process (so a running child's pipes keep draining). */
function backlotAsync(args: string[]): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: repo, env: { ...process.env, BACKLOT_CACHE: join(dir, 'cache') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

/** Starts ingest and kills it with SIGKILL the moment its progress shows `marker`. Resolves once it is dead. */
function ingestKilledAt(ws: string, marker: RegExp): Promise<{ killed: boolean; stderr: string }> {
  return new Promise((done) => {
    const child: ChildProcess = spawn(process.execPath, [bin, '-w', ws, 'ingest', films], {
      cwd: repo,
      env: { ...process.env, BACKLOT_PROGRESS_INTERVAL_MS: '0', BACKLOT_CACHE: join(dir, 'cache') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    let killed = false;
    child.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      if (!killed && marker.test(err)) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stdout!.resume();
    child.on('exit', () => done({ killed, stderr: err }));
  });
}

beforeAll(async () => {
  // The CLI runs from dist/: build once (errors elsewhere in the tree do not stop emitting ours).
  spawnSync('npx', ['tsc', '-b'], { cwd: repo, stdio: 'ignore' });
  dir = mkdtempSync(join(tmpdir(), 'backlot-cli-'));
  chmodSync(dir, 0o777);
  // The database template cache must be writable by the unprivileged user of the bad-input test too.
  mkdirSync(join(dir, 'cache'));
  chmodSync(join(dir, 'cache'), 0o777);
  films = join(dir, 'films');
  mkdirSync(films);
  await makeEdit(join(films, 'one.mp4'), {
    shots: [{ scene: scenes.pattern(), frames: 30 }, { scene: scenes.bars(), frames: 30 }, { scene: scenes.fractal(), frames: 30 }],
    transitions: [{ kind: 'cut' }, { kind: 'cut' }],
  });
  await makeEdit(join(films, 'two.mp4'), {
    shots: [{ scene: scenes.gradient(2), frames: 30 }, { scene: scenes.pattern(200), frames: 30 }],
    transitions: [{ kind: 'dissolve', frames: 8 }],
  });
}, 600_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface DoctorJson {
  ok: boolean;
  checks: Array<{ name: string; ok: boolean; problems: string[] }>;
}

function shotsOf(ws: string, title: string): Array<{ id: string; proxySha256: string | null }> {
  const r = backlot(['-w', ws, 'library', 'shots', title, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { shots: Array<{ id: string; proxySha256: string | null }> }).shots;
}

describe('backlot ingest from the command line', () => {
  test('kill -9 at every stage, then the same command again: finished, no duplicates, doctor clean', async () => {
    const ws = join(dir, 'ws-kill');
    const stages = [/hashing/, /analysing shots/, /keyframes/, /recording shots/, /writing proxies/, /one\.mp4: .*\(done\)/, /two\.mp4: .*analysing/, /two\.mp4: .*writing proxies/];
    let kills = 0;
    for (const stage of stages) {
      const r = await ingestKilledAt(ws, stage);
      if (r.killed) kills++;
      // Between kills the workspace must never look corrupt to doctor (unfinished is allowed).
      const d = backlot(['-w', ws, 'doctor', '--json']);
      if (d.stdout) {
        const doc = JSON.parse(d.stdout) as DoctorJson;
        expect(doc.checks.filter((c) => !c.ok && c.name !== 'ingest finished'), d.stdout).toEqual([]);
      }
    }
    expect(kills).toBeGreaterThanOrEqual(5);
    const last = backlot(['-w', ws, 'ingest', films, '--json']);
    expect(last.code, last.stderr).toBe(0);
    const doctor = backlot(['-w', ws, 'doctor', '--json']);
    expect(doctor.code, doctor.stdout).toBe(0);
    expect((JSON.parse(doctor.stdout) as DoctorJson).ok).toBe(true);

    // Same shots as a clean, uninterrupted ingest.
    const clean = join(dir, 'ws-clean');
    expect(backlot(['-w', clean, 'ingest', films]).code).toBe(0);
    for (const title of ['one', 'two']) {
      const a = shotsOf(ws, title);
      const b = shotsOf(clean, title);
      expect(a.map((s) => s.id)).toEqual(b.map((s) => s.id));
      expect(a.every((s) => s.proxySha256)).toBe(true);
    }
    const titles = backlot(['-w', ws, 'library', 'ls', '--json']);
    expect((JSON.parse(titles.stdout) as Array<{ name: string; files: number }>).map((t) => [t.name, t.files])).toEqual([['one', 1], ['two', 1]]);
  }, 900_000);

  test('a second command while ingest runs says plainly the workspace is in use, and nothing is corrupted', async () => {
    const ws = join(dir, 'ws-busy');
    const child = spawn(process.execPath, [bin, '-w', ws, 'ingest', films], { cwd: repo, env: { ...process.env, BACKLOT_PROGRESS_INTERVAL_MS: '0', BACKLOT_CACHE: join(dir, 'cache') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stdout.resume();
    const running = new Promise<void>((ok) => {
      child.stderr.on('data', (b: Buffer) => {
        err += b.toString();
        if (/analysing shots/.test(err)) ok();
      });
    });
    const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
    await Promise.race([running, exited]);
    expect(child.exitCode, `ingest ended before the second command could try:\n${err}`).toBeNull();
    const [second, secondIngest] = await Promise.all([backlotAsync(['-w', ws, 'library', 'ls']), backlotAsync(['-w', ws, 'ingest', films])]);
    expect(await exited).toBe(0);
    for (const r of [second, secondIngest]) {
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toMatch(/^backlot: workspace .* is in use by `backlot ingest` \(pid \d+/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    const doctor = backlot(['-w', ws, 'doctor', '--json']);
    expect(doctor.code, doctor.stdout).toBe(0);
    expect(shotsOf(ws, 'one')).toHaveLength(3);
  }, 300_000);

  test('each bad file gets one line naming it, the good file still ingests, exit code 1', async () => {
    const badDir = join(dir, 'bad');
    mkdirSync(badDir);
    chmodSync(badDir, 0o777);
    const bad = makeBadInputs(badDir);
    const ws = join(dir, 'ws-bad');
    // As root nothing is unreadable: run the CLI as `nobody` so the permission case is real.
    const asUser = runningAsRoot ? 65534 : undefined;
    const r = backlot(['-w', ws, 'ingest', ...Object.values(bad).map((c) => c.path), join(films, 'two.mp4')], { asUser });
    expect(r.code, r.stderr).toBe(1);
    // Progress goes to stderr as plain lines when it is not a terminal; errors are the "backlot:" lines.
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('backlot: '));
    expect(lines, r.stderr).toHaveLength(Object.keys(bad).length);
    for (const c of Object.values(bad)) {
      const line = lines.find((l) => l.startsWith(`backlot: ${c.path}:`));
      expect(line, `${c.path} in\n${r.stderr}`).toBeDefined();
      expect(line).toMatch(c.expect);
    }
    expect(r.stdout).toMatch(/ingested\s+\S*two\.mp4 -> "two"/);
    expect(r.stdout).toMatch(/1 ok, 8 failed/);
    const doctor = backlot(['-w', ws, 'doctor', '--json'], { asUser });
    expect((JSON.parse(doctor.stdout) as DoctorJson).checks.filter((c) => !c.ok)).toEqual([]);
  }, 300_000);

  test('the demo stops at a film that does not ingest, naming it, before the rights import', () => {
    const lib = join(dir, 'demo-lib');
    mkdirSync(lib);
    writeFileSync(join(lib, 'broken.mp4'), 'not a film at all\n');
    const r = backlot(['-w', join(dir, 'ws-demo'), 'demo', '--out', lib, '--films', '1', '--film-seconds', '4', '--until', 'dataset', '--no-serve']);
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('backlot: '));
    expect(lines, r.stderr).toEqual([expect.stringMatching(new RegExp(`^backlot: ${join(lib, 'broken.mp4')}: ingest failed, so the demo stops here: is a text file, not a video`))]);
    expect(r.stdout + r.stderr).not.toMatch(/rights\s+imported|unknown title/);
  }, 300_000);

  test('library and contact-sheet show what was ingested', () => {
    const ws = join(dir, 'ws-clean');
    const show = backlot(['-w', ws, 'library', 'show', 'one', '--json']);
    expect(show.code, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({ name: 'one', shots: 3, ready: true, transitions: { none: 1, cut: 2 } });
    const sheet = join(dir, 'sheet.jpg');
    const r = backlot(['-w', ws, 'contact-sheet', 'one', '-o', sheet]);
    expect(r.code, r.stderr).toBe(0);
    const size = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', sheet]).toString().trim();
    expect(size).toBe('732,140');
    const missing = backlot(['-w', ws, 'library', 'show', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^backlot: no title "nope" in the library \(titles: one, two\)\n$/);
  });
});
