// The studio web app end to end: a real workspace made by `backlot demo`, a real `backlot serve`, and
// Debian's Chromium driving the built app as admin and as viewer. Each main page is checked with
// axe-core and photographed into test-artifacts/screenshots/ for people to look at.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { CHROMIUM, describeViolations, launchChromium, seriousA11yViolations } from '../support/browser.js';

const repo = resolve(import.meta.dirname, '../..');
const bin = join(repo, 'apps/cli/bin/backlot.js');
const shots = join(repo, 'test-artifacts/screenshots');
const PASSWORD = 'studio-e2e-password-1';

let dir: string;
let ws: string;
let server: ChildProcess | null = null;
let base = '';
let browser: Browser;
let admin: BrowserContext;
let page: Page;
let nonConsenting = '';

/** Newest modification time under a folder (skipping node_modules and dist). */
function newest(folder: string): number {
  let t = 0;
  for (const name of readdirSync(folder)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const p = join(folder, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return t;
}

function backlot(args: string[], env: Record<string, string> = {}): string {
  const r = spawnSync(process.execPath, [bin, '-w', ws, ...args], { cwd: repo, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 600_000 });
  if (r.status !== 0) throw new Error(`backlot ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

function serve(): Promise<string> {
  return new Promise((done, fail) => {
    server = spawn(process.execPath, [bin, '-w', ws, 'serve', '--port', '0'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(new Error(`backlot serve did not start: ${err.slice(-2000)}`)), 90_000);
    server.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /serving .* at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        done(m[1]!.replace(/\/$/, ''));
      }
    });
    server.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    server.on('exit', (code) => fail(new Error(`backlot serve exited ${code}: ${err.slice(-2000)}`)));
  });
}

async function signIn(ctx: BrowserContext, username: string): Promise<Page> {
  const p = await ctx.newPage();
  await p.goto(`${base}/`);
  await p.getByLabel('User name').fill(username);
  await p.getByLabel('Password').fill(PASSWORD);
  await p.getByRole('button', { name: 'Sign in', exact: true }).click();
  await p.getByRole('navigation', { name: 'Main' }).waitFor();
  return p;
}

/** axe-core finds nothing serious, then a full-page screenshot lands in test-artifacts/screenshots. */
async function checkPage(p: Page, name: string): Promise<void> {
  await p.waitForLoadState('networkidle').catch(() => {});
  const violations = await seriousA11yViolations(p);
  expect(violations, `${name}: ${describeViolations(violations)}`).toEqual([]);
  await p.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function go(p: Page, path: string, heading: string | RegExp): Promise<void> {
  await p.goto(`${base}${path}`);
  await p.getByRole('heading', { level: 1, name: heading }).waitFor();
}

/** The page must never show a server error as raw JSON. */
async function noRawJson(p: Page): Promise<void> {
  const text = await p.locator('body').innerText();
  expect(text).not.toMatch(/\{"error"|"code":|"message":/);
}

describe.skipIf(!CHROMIUM)('the studio web app in Chromium', () => {
  beforeAll(async () => {
    // The CLI and server run from dist/, the app from apps/web/dist: rebuild what is stale.
    const cliDist = join(repo, 'apps/cli/dist/main.js');
    if (!existsSync(cliDist) || newest(join(repo, 'packages')) > statSync(cliDist).mtimeMs || newest(join(repo, 'apps/server/src')) > statSync(cliDist).mtimeMs) {
      spawnSync('npx', ['tsc', '-b'], { cwd: repo, stdio: 'ignore', timeout: 300_000 });
    }
    const webIndex = join(repo, 'apps/web/dist/index.html');
    if (!existsSync(webIndex) || newest(join(repo, 'apps/web')) > statSync(webIndex).mtimeMs) {
      execFileSync('npx', ['vite', 'build'], { cwd: join(repo, 'apps/web'), stdio: 'ignore', timeout: 300_000 });
    }
    mkdirSync(shots, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'backlot-web-'));
    ws = join(dir, 'ws');
    const demo = JSON.parse(backlot(['demo', '--films', '3', '--film-seconds', '20', '--train-minutes', '1', '--train-steps', '40', '--no-serve', '--json'])) as {
      rights: { story: { nonConsenting: { person: string } } };
    };
    nonConsenting = demo.rights.story.nonConsenting.person;
    for (const [name, role] of [['ada', 'admin'], ['val', 'viewer'], ['cara', 'creative']]) backlot(['users', 'add', name!, '--role', role!], { BACKLOT_PASSWORD: PASSWORD });
    base = await serve();
    browser = await launchChromium();
    admin = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  }, 900_000);

  afterAll(async () => {
    await browser?.close().catch(() => {});
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 1000));
      if (server.exitCode === null) server.kill('SIGKILL');
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // A failed step leaves a picture of the page and its text, so the failure can be read without rerunning.
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail' || !page || page.isClosed()) return;
    const name = `failed-${ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`;
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true }).catch(() => {});
    const text = await page.locator('main').innerText().catch(() => '');
    writeFileSync(join(shots, `${name}.txt`), `${page.url()}\n${text}`);
  });

  test('signs in (a wrong password is explained in words)', async () => {
    const p = await admin.newPage();
    await p.goto(`${base}/`);
    await p.getByRole('heading', { name: 'Sign in' }).waitFor();
    await checkPage(p, '01-sign-in');
    await p.getByLabel('User name').fill('ada');
    await p.getByLabel('Password').fill('not the password');
    await p.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect.poll(() => p.getByRole('alert').innerText()).toMatch(/[a-z]+ [a-z]+/i);
    await noRawJson(p);
    await p.close();
    page = await signIn(admin, 'ada');
    for (const area of ['Library', 'Rights', 'Datasets', 'Training', 'Generate', 'Usage & royalties', 'Audit']) {
      expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: area, exact: true }).isVisible(), area).toBe(true);
    }
  });

  test('browses the library and plays a shot', async () => {
    await go(page, '/library', 'Library');
    const firstTitle = page.locator('a.card').first();
    await firstTitle.waitFor();
    await checkPage(page, '02-library');
    await firstTitle.click();
    await page.getByRole('heading', { name: 'Shots' }).waitFor();
    const shot = page.getByRole('button', { name: /^Play shot/ }).first();
    await shot.waitFor();
    await expect.poll(() => page.locator('.shot .badge').filter({ hasText: /trainable|excluded/ }).count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await shot.click();
    const video = page.locator('section[aria-label="Player"] video');
    await video.waitFor();
    await expect
      .poll(() => video.evaluate((v: HTMLVideoElement) => (v.readyState >= 2 && v.currentTime > 0 ? 'playing' : `${v.readyState}/${v.currentTime}/${v.error?.message ?? ''}`)), { timeout: 30_000 })
      .toBe('playing');
    await checkPage(page, '03-title');

    // Search reaches screenplay and subtitle text.
    await go(page, '/library', 'Library');
    await page.getByLabel(/Search titles/).fill('ball');
    await page.getByRole('heading', { name: /Results for/ }).waitFor();
    await expect.poll(() => page.locator('section[aria-label="Search results"] tbody tr').count(), { timeout: 15_000 }).toBeGreaterThan(0);
  });

  test('imports a rights file with one bad row and sees the per-row error', async () => {
    const rights = JSON.parse(readFileSync(join(ws, 'demo-library/rights.json'), 'utf8')) as Record<string, unknown>;
    // Break one record: a consent that names a person nobody registered.
    const consents = rights.consents as Array<Record<string, unknown>>;
    expect(consents.length).toBeGreaterThan(0);
    consents[0] = { ...consents[0], person: 'nobody-registered-this-person' };
    if ('personId' in consents[0]!) consents[0]!.personId = 'nobody-registered-this-person';
    const bad = join(dir, 'rights-one-bad-row.json');
    writeFileSync(bad, JSON.stringify(rights, null, 2));

    await go(page, '/rights', 'Rights');
    await page.getByRole('heading', { name: 'People and consents' }).waitFor();
    await checkPage(page, '04-rights');
    await page.getByLabel('Rights file', { exact: true }).setInputFiles(bad);
    await page.getByRole('button', { name: 'Import' }).click();
    const problems = page.getByRole('table', { name: 'Problems in the rights file' });
    await problems.waitFor({ timeout: 30_000 });
    expect(await problems.locator('tbody tr').count()).toBe(1);
    expect(await problems.innerText()).toMatch(/nobody-registered-this-person|unknown|not/i);
    expect(await page.getByRole('alert').first().innerText()).toMatch(/nothing was imported/i);
    await noRawJson(page);
    await page.screenshot({ path: join(shots, '04b-rights-import-error.png'), fullPage: true });
  });

  test('builds a dataset with live progress and sees the new snapshot', async () => {
    await go(page, '/datasets', 'Datasets');
    await page.getByRole('link', { name: 'demo-v1' }).waitFor();
    await checkPage(page, '05-datasets');
    await page.getByLabel('Name').fill('web-e2e');
    await page.getByRole('button', { name: 'Build' }).click();
    // Live progress: a progress bar while the job runs, then the snapshot in the list.
    await page.getByRole('progressbar').first().waitFor({ timeout: 60_000 });
    await page.getByText('Building dataset: finished.').waitFor({ timeout: 180_000 });
    await page.getByRole('link', { name: 'web-e2e' }).click();
    await page.getByRole('heading', { level: 1, name: 'web-e2e' }).waitFor();
    await page.getByRole('button', { name: /Verify/ }).click();
    await page.getByText('verified', { exact: true }).waitFor({ timeout: 60_000 });
    await checkPage(page, '06-dataset');
  });

  test('starts a short training run and sees its loss curve move', async () => {
    await go(page, '/training', 'Training');
    await page.locator('#run-dataset option[value="web-e2e"]').waitFor({ state: 'attached' });
    await checkPage(page, '07-training');
    await page.getByLabel('Dataset').selectOption('web-e2e');
    await page.getByLabel('Steps').fill('30');
    await page.getByRole('button', { name: 'Start training' }).click();
    await page.getByRole('heading', { level: 1, name: /Training run/ }).waitFor();
    // The curve is drawn once two loss points have arrived; its label names the first and latest.
    const curve = page.getByRole('img', { name: /Training loss: from/ });
    await curve.waitFor({ timeout: 240_000 });
    const label = await curve.getAttribute('aria-label');
    const m = /at step (\d+) to .* at step (\d+)/.exec(label ?? '');
    expect(m, label ?? '').not.toBeNull();
    expect(Number(m![2])).toBeGreaterThan(Number(m![1]));
    await checkPage(page, '08-run');
    // Once the model is registered, the untrained and the finished previews play side by side.
    for (const step of [0, 30]) {
      const video = page.locator(`video[aria-label="Preview at step ${step}"]`);
      await video.waitFor({ timeout: 240_000 });
      await expect
        .poll(() => video.evaluate((v: HTMLVideoElement) => (v.readyState >= 2 && v.videoWidth > 0 ? `${v.videoWidth}x${v.videoHeight}` : `${v.readyState}/${v.error?.message ?? ''}`)), { timeout: 30_000 })
        .toMatch(/^\d+x\d+$/);
    }
    // what the run took, in words and units rather than the record's keys
    const compute = await page.getByRole('table', { name: 'Training compute' }).innerText();
    expect(compute).toMatch(/Device\s+cpu x\d+ threads/i);
    expect(compute).toMatch(/Wall time\s+\d+(\.\d)? s/i);
    expect(compute).toMatch(/Energy \(estimate\)\s+\d\.\d{4} kWh at \d+ W while training/i);
    expect(compute).not.toMatch(/wallSeconds|energyKwh|samplesSeen/i);
    await checkPage(page, '08-model-previews');
  });

  test('evaluates the new model from its page and reads its adherence against chance', async () => {
    // (still on the finished run's page) live progress, then adherence per mode against chance
    const form = page.getByRole('form', { name: 'Evaluate this model' });
    await form.getByLabel('Sampler steps').fill('2');
    await form.getByLabel('Samples per prompt').fill('1');
    await form.getByRole('button', { name: 'Evaluate' }).click();
    await page.getByText('Evaluation: finished.').waitFor({ timeout: 240_000 });
    const adherence = page.getByRole('table', { name: 'Prompt adherence' });
    await adherence.waitFor({ timeout: 30_000 });
    const rows = await adherence.locator('tbody tr').allInnerTexts();
    expect(rows.map((r) => r.split('\t')[0]!.toLowerCase())).toEqual(['text to video', 'text to video, unseen combinations', 'image to video', 'extend', 'interpolate', 'chance']);
    expect(rows[0]).toMatch(/^[^\t]+\t\d+% \(\d+%–\d+%\)\t/);      // a figure with its interval
    expect(rows.at(-1)).toMatch(/^chance\s+17%\s+33%\s+25%\s+25%/i);
    // the shape figure says, on hover, what each asked-for shape was read as
    expect(await adherence.locator('tbody tr').first().locator('td').nth(1).getAttribute('title')).toMatch(/^Shapes read as: (ball|box|star) → (ball|box|star|none) \d+/);
    const figures = await page.getByRole('table', { name: 'Evaluation figures' }).innerText();
    expect(figures).toMatch(/Validation loss\s+\d\.\d{4}/i);
    expect(figures).toMatch(/Sampler\s+2 steps, guidance 3 on t in \(0\.2, 0\.8\], 1 per prompt/i); // the default guidance interval
    expect(figures).toMatch(/What each word steers\s+error rise at noise 0\.2 \/ 0\.5 \/ 0\.8, \d+ clips/i);
    for (const row of ['Colour word swapped', 'Shape word swapped', 'Direction word swapped', 'No caption']) {
      expect(figures).toMatch(new RegExp(`${row}\\s+[+-]\\d+\\.\\d / [+-]\\d+\\.\\d / [+-]\\d+\\.\\d %`, 'i'));
    }
    await expect.poll(() => form.getByRole('button', { name: 'Evaluate again' }).count()).toBe(1);
    await noRawJson(page);
    await checkPage(page, '08b-model-evaluation');
  }, 300_000);

  test('generates a clip, plays it, and shows its provenance and attribution', async () => {
    await go(page, '/generate', 'Generate');
    await page.getByLabel('Prompt').fill('a red ball moving left at night');
    await page.getByLabel('Steps').fill('8');
    await page.getByLabel('Seed (blank for random)').fill('7');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await page.getByText('Generating: finished.').waitFor({ timeout: 180_000 });
    const result = page.getByRole('button', { name: /Open result: a red ball moving left at night/ }).first();
    await result.click();
    const panel = page.getByRole('region', { name: 'Selected result' });
    const video = panel.locator('video');
    await expect
      .poll(() => video.evaluate((v: HTMLVideoElement) => (v.readyState >= 2 && v.currentTime > 0 ? 'playing' : `${v.readyState}/${v.currentTime}/${v.error?.message ?? ''}`)), { timeout: 30_000 })
      .toBe('playing');
    await expect.poll(() => panel.getByTestId('c2pa-state').innerText(), { timeout: 30_000 }).toMatch(/^(Trusted|Valid)$/);
    expect(await panel.getByTestId('model-id').innerText()).toMatch(/\S+/);
    expect(await panel.getByTestId('dataset-root').innerText()).toMatch(/^[0-9a-f]{64}$/);
    await expect.poll(() => panel.getByRole('table', { name: 'Attribution to titles' }).locator('tbody tr').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await checkPage(page, '09-generate');
  });

  test('generates from an uploaded first frame (image to video)', async () => {
    const still = join(dir, 'first-frame.png');
    const film = readdirSync(join(ws, 'demo-library')).find((f) => f.endsWith('.mp4'))!;
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-ss', '1', '-i', join(ws, 'demo-library', film), '-frames:v', '1', still]);
    await go(page, '/generate', 'Generate');
    await page.getByLabel('Prompt').fill('a red ball moving right in the forest');
    await page.getByLabel('Mode', { exact: true }).selectOption('i2v');
    await page.getByLabel('First frame (PNG or JPEG)').setInputFiles(still);
    await page.getByLabel('Steps').fill('6');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await page.getByText('Generating: finished.').waitFor({ timeout: 180_000 });
    const result = page.getByRole('button', { name: /Open result: a red ball moving right in the forest/ }).first();
    await result.click();
    const panel = page.getByRole('region', { name: 'Selected result' });
    await expect.poll(() => panel.getByTestId('c2pa-state').innerText(), { timeout: 30_000 }).toMatch(/^(Trusted|Valid)$/);
    // The uploaded frame is recorded as the output's ingredient.
    expect(await panel.innerText()).toContain('From a first frame');
    expect(await panel.getByTestId('ingredients').innerText()).toMatch(/^first frame \(image\/png\)$/);
    await noRawJson(page);
  });

  test('is refused for a non-consented name, in plain words', async () => {
    expect(nonConsenting).not.toBe('');
    await go(page, '/generate', 'Generate');
    await page.getByLabel('Prompt').fill(`${nonConsenting} walking in the rain`);
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    const refusal = page.getByText('This prompt cannot be generated.');
    await refusal.waitFor({ timeout: 120_000 });
    const text = await page.locator('.alert', { has: refusal }).innerText();
    expect(text).toContain(nonConsenting);
    expect(text).toMatch(/consent/i);
    await noRawJson(page);
    await page.screenshot({ path: join(shots, '09b-generate-refused.png'), fullPage: true });
  });

  test('usage and audit pages load', async () => {
    await go(page, '/usage', 'Usage and royalties');
    await page.getByRole('heading', { name: /Royalties per title/ }).waitFor();
    await checkPage(page, '10-usage');
    await go(page, '/audit', 'Audit');
    await expect.poll(() => page.locator('table tbody tr').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    await page.getByRole('button', { name: /Verify/ }).click();
    await page.getByText(/chain (is )?intact|verified/i).first().waitFor({ timeout: 30_000 });
    await checkPage(page, '11-audit');
  });

  test('a viewer sees no Generate or Rights and a direct call is refused', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const v = await signIn(ctx, 'val');
      const nav = v.getByRole('navigation', { name: 'Main' });
      expect(await nav.getByRole('link', { name: 'Library' }).isVisible()).toBe(true);
      expect(await nav.getByRole('link', { name: 'Generate' }).count()).toBe(0);
      expect(await nav.getByRole('link', { name: 'Rights' }).count()).toBe(0);
      // Going to the page by address shows no form to use, only an explanation.
      await v.goto(`${base}/generate`);
      await v.getByRole('heading', { level: 1, name: 'Generate' }).waitFor();
      expect(await v.getByRole('button', { name: 'Generate', exact: true }).count()).toBe(0);
      await v.goto(`${base}/rights`);
      await v.getByRole('heading', { level: 1, name: 'Rights' }).waitFor();
      expect(await v.getByRole('button', { name: 'Import' }).count()).toBe(0);
      await noRawJson(v);
      // The server is the authority: a direct call with the viewer's session gets 403.
      const status = await v.evaluate(async () => {
        const me = (await (await fetch('/api/auth/me')).json()) as { csrfToken?: string };
        const r = await fetch('/api/generations', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken ?? '' },
          body: JSON.stringify({ prompt: 'a red ball', modelId: 'x' }),
        });
        return r.status;
      });
      expect(status).toBe(403);
      await v.screenshot({ path: join(shots, '12-viewer-library.png'), fullPage: true });
    } finally {
      await ctx.close();
    }
  });
});
