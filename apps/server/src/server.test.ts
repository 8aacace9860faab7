// Live job progress over server-sent events, cancelling a running job, media with range requests, the
// web app's static build with single-page fallback, secure headers, and docs/api.md's role table.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLE_TABLE, ROLES, PUBLIC } from './roles.js';
import { startTestServer, type TestServer } from './testing/fixture.js';

let t: TestServer;
let url = '';
const web = mkdtempSync(join(tmpdir(), 'backlot-web-'));

beforeAll(async () => {
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>Backlot</title><div id="root"></div>');
  mkdirSync(join(web, 'assets'));
  writeFileSync(join(web, 'assets', 'app.js'), 'console.log("app")');
  t = await startTestServer({ workers: 'all', webDist: web });
  url = (await t.server.listen(0)).url;
});
afterAll(async () => t?.close());

const auth = () => ({ authorization: `Bearer ${t.tokens.admin}` });

/** Reads `job` events from the stream until it ends. */
async function readEvents(jobId: string): Promise<Array<{ state: string; progress: Array<{ done: number; total?: number }> }>> {
  const res = await fetch(`${url}/api/jobs/${jobId}/events`, { headers: auth() });
  expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((block) => block.includes('event: job'))
    .map((block) => JSON.parse(block.split('\n').find((l) => l.startsWith('data: '))!.slice(6)));
}

describe('jobs over HTTP', () => {
  it('streams live progress until the job completes', async () => {
    const job = (await (await fetch(`${url}/api/jobs/ping`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify({ ms: 2000 }) })).json()) as { id: string };
    const events = await readEvents(job.id);
    expect(events.at(-1)!.state).toBe('completed');
    const steps = events.map((e) => e.progress[0]?.done ?? 0);
    // Several intermediate steps arrive, in order, before the end.
    expect(new Set(steps.filter((s) => s > 0 && s < 10)).size).toBeGreaterThanOrEqual(3);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
  });

  it('cancels a running job and the stream says so', async () => {
    const job = (await (await fetch(`${url}/api/jobs/ping`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify({ ms: 20_000 }) })).json()) as { id: string };
    const stream = readEvents(job.id);
    for (;;) {
      const j = (await (await fetch(`${url}/api/jobs/${job.id}`, { headers: auth() })).json()) as { state: string };
      if (j.state === 'running') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const res = await fetch(`${url}/api/jobs/${job.id}/cancel`, { method: 'POST', headers: auth() });
    expect(res.status).toBe(200);
    const events = await stream;
    expect(events.at(-1)!.state).toBe('cancelled');
  });

  it('hides other people\'s jobs from non-admins', async () => {
    const job = (await (await t.call('POST', '/api/jobs/ping', { body: { ms: 0 } })).json()) as { id: string };
    expect((await t.call('GET', `/api/jobs/${job.id}`, { role: 'viewer' })).status).toBe(404);
    const mine = (await (await t.call('GET', '/api/jobs', { role: 'viewer' })).json()) as { jobs: unknown[] };
    expect(mine.jobs).toEqual([]);
  });
});

describe('media', () => {
  it('serves a shot proxy with range requests', async () => {
    const bytes = Buffer.alloc(10_000, 7);
    bytes.write('ftypisom', 4);
    const sha = await t.ws.store.putBytes(bytes);
    await t.ws.db.exec(`
      INSERT INTO titles (id, name) VALUES ('tm', 'Media Title');
      INSERT INTO media_files (id, sha256, title_id, path, size_bytes, container, duration_s, video_codec, width, height, fps_num, fps_den, probe)
        VALUES ('mm', '${'b'.repeat(64)}', 'tm', '/films/x.mp4', 1, 'mp4', 1, 'h264', 64, 64, 24, 1, '{}');
      INSERT INTO shots (id, media_file_id, title_id, idx, start_frame, end_frame, start_s, end_s, transition_in, keyframe, mean_luma, sharpness, motion, is_black, letterbox, phash, proxy_sha256)
        VALUES ('bbbbbbbbbbbb-0', 'mm', 'tm', 0, 0, 23, 0, 1, 'none', 12, 100, 1, 1, false, false, '0000000000000000', '${sha}');`);
    const whole = await fetch(`${url}/api/shots/bbbbbbbbbbbb-0/proxy`, { headers: auth() });
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect((await whole.arrayBuffer()).byteLength).toBe(10_000);
    const part = await fetch(`${url}/api/shots/bbbbbbbbbbbb-0/proxy`, { headers: { ...auth(), range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 100-199/10000');
    expect((await part.arrayBuffer()).byteLength).toBe(100);
    const bad = await fetch(`${url}/api/shots/bbbbbbbbbbbb-0/proxy`, { headers: { ...auth(), range: 'bytes=20000-' } });
    expect(bad.status).toBe(416);
    const shot = (await (await t.call('GET', '/api/shots/bbbbbbbbbbbb-0')).json()) as { hasProxy: boolean; titleId: string };
    expect(shot).toMatchObject({ hasProxy: true, titleId: 'tm' });
    // The server's file paths stay on the server.
    const title = await (await t.call('GET', '/api/titles/tm')).text();
    expect(title).not.toContain('/films/x.mp4');
  });
});

describe('web app and headers', () => {
  it('serves the static build, falls back to index.html for app routes, and sets secure headers', async () => {
    const asset = await fetch(`${url}/assets/app.js`);
    expect(await asset.text()).toContain('app');
    const page = await fetch(`${url}/library/titles/abc`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('x-frame-options')).toBeTruthy();
    // API paths never fall back to the page.
    const api = await fetch(`${url}/api/nothing-here`);
    expect(api.status).toBe(401);
    expect((await fetch(`${url}/api/nothing-here`, { headers: auth() })).status).toBe(404);
  });
});

describe('docs/api.md', () => {
  it('lists the role table exactly as the code has it', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../../docs/api.md', import.meta.url)), 'utf8');
    for (const [key, allowed] of Object.entries(ROLE_TABLE)) {
      const [method, path] = key.split(' ');
      const cells = allowed === PUBLIC ? ROLES.map(() => 'open') : ROLES.map((r) => ((allowed as readonly string[]).includes(r) ? '✓' : '·'));
      expect(doc, key).toContain(`| ${method} | \`${path}\` | ${cells.join(' | ')} |`);
    }
  });
});
