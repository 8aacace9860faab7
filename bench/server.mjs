// npm run bench:server — the studio server under load on loopback, bounded in time. Runs the built
// code (npx tsc -b first): a fresh embedded workspace gets a synthetic library of 100k shots and 20k
// generated outputs written straight into the database, then a real `backlot serve` process answers
// autocannon (requests/s, p50/p99 latency) for reading one shot, paging shots and listing outputs,
// authenticated with an API token; then jobs/minute through the queue with ping jobs.
//
//   node bench/server.mjs [--seconds 10] [--connections 10] [--shots 100000] [--outputs 20000] [--jobs 300]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';

const root = resolve(new URL('..', import.meta.url).pathname);
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg('seconds', 10);
const CONNECTIONS = arg('connections', 10);
const SHOTS = arg('shots', 100_000);
const OUTPUTS = arg('outputs', 20_000);
const JOBS = arg('jobs', 300);

const { openWorkspace } = await import(join(root, 'packages/adapters/dist/workspace/index.js'));
const { addUser, issueToken } = await import(join(root, 'packages/workflows/dist/users/index.js'));

const home = mkdtempSync(join(tmpdir(), 'backlot-bench-server-'));
const log = (s) => process.stdout.write(`${s}\n`);

// ---- a synthetic library, inserted by the database itself (generate_series) ----
let t0 = performance.now();
const ws = await openWorkspace({ home, command: 'bench:server' });
const FILES = 100;
await ws.db.exec(`
  INSERT INTO titles (id, name) SELECT 't' || g, 'Title ' || g FROM generate_series(0, 9) g;
  INSERT INTO media_files (id, sha256, title_id, path, size_bytes, container, duration_s, video_codec, width, height, fps_num, fps_den, probe, status)
    SELECT 'm' || g, lpad(to_hex(g), 64, '0'), 't' || (g % 10), '/films/' || g || '.mp4', 1e9, 'mp4', 5400, 'h264', 1920, 1080, 24, 1, '{}', 'ready'
    FROM generate_series(0, ${FILES - 1}) g;
  INSERT INTO shots (id, media_file_id, title_id, idx, start_frame, end_frame, start_s, end_s, transition_in, keyframe, mean_luma, sharpness, motion, is_black, letterbox, phash)
    SELECT lpad(to_hex(g % ${FILES}), 12, '0') || '-' || (g / ${FILES}), 'm' || (g % ${FILES}), 't' || ((g % ${FILES}) % 10), g / ${FILES},
           (g / ${FILES}) * 96, (g / ${FILES}) * 96 + 95, (g / ${FILES}) * 4.0, (g / ${FILES}) * 4.0 + 3.96, 'cut', (g / ${FILES}) * 96 + 48,
           100 + g % 50, 20.5, 3.25, false, false, lpad(to_hex(g), 16, '0')
    FROM generate_series(0, ${SHOTS - 1}) g;
  INSERT INTO models (id, name, lineage, path, created_by) VALUES ('mdl_bench', 'bench', '{"datasets":[],"bases":[]}', '/models/bench', 'bench');
  INSERT INTO generations (id, model_id, mode, prompt, prompt_sha256, params, guardrail, status, actor, created_at, finished_at)
    SELECT 'gen_' || lpad(to_hex(g), 12, '0'), 'mdl_bench', 't2v', 'a red ball moving left at night ' || g, md5(g::text), '{"seed":1}', '{"allowed":true}', 'done', 'user:bench', now(), now()
    FROM generate_series(0, ${OUTPUTS - 1}) g;
  INSERT INTO generation_outputs (id, generation_id, sha256, path, bytes, frames, fps, seconds, width, height, manifest_label, signer)
    SELECT 'out_' || g, 'gen_' || lpad(to_hex(g), 12, '0'), md5(g::text) || md5(g::text), '/outputs/' || g || '.mp4', 200000, 16, 12, 1.33, 64, 64, 'urn:c2pa:bench', 'development'
    FROM generate_series(0, ${OUTPUTS - 1}) g;
  ANALYZE;
`);
await addUser(ws, { username: 'bench', role: 'admin', password: 'bench-password-1' }, { actor: 'bench' });
const { token } = await issueToken(ws, { username: 'bench', name: 'bench', days: 1 }, { actor: 'bench' });
await ws.close();
log(`library: ${SHOTS} shots in ${FILES} files, ${OUTPUTS} outputs, inserted in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// ---- a real server process ----
const server = spawn(process.execPath, [join(root, 'apps/cli/bin/backlot.js'), '--workspace', home, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolveUrl, reject) => {
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
    const m = /at (http:\/\/\S+)/.exec(out);
    if (m) resolveUrl(m[1]);
  });
  server.once('exit', (code) => reject(new Error(`backlot serve exited ${code}: ${out}`)));
});
const headers = { authorization: `Bearer ${token}` };

async function load(name, pathFor) {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    headers,
    requests: [{ setupRequest: (req) => ({ ...req, path: pathFor() }) }],
  });
  const row = { name, rps: Math.round(result.requests.average), p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx, requests: result.requests.total };
  log(`${name.padEnd(34)} ${String(row.rps).padStart(6)} req/s   p50 ${String(row.p50).padStart(4)} ms   p99 ${String(row.p99).padStart(4)} ms   non-2xx/errors ${row.errors} of ${row.requests}`);
  return row;
}

const rnd = (n) => Math.floor(Math.random() * n);
const shotId = () => `${rnd(FILES).toString(16).padStart(12, '0')}-${rnd(SHOTS / FILES)}`;
log(`\nautocannon: ${CONNECTIONS} connections, ${SECONDS} s each, API token auth (cpus: ${cpus().length}, load ${loadavg()[0].toFixed(2)})`);
const rows = [];
rows.push(await load('GET /api/shots/{id} (random)', () => `/api/shots/${shotId()}`));
rows.push(await load('GET /api/shots?limit=100&after=...', () => `/api/shots?limit=100&after=${shotId()}`));
rows.push(await load('GET /api/outputs?limit=50&before=...', () => `/api/outputs?limit=50&before=gen_${rnd(OUTPUTS).toString(16).padStart(12, '0')}`));
rows.push(await load('GET /api/outputs?limit=50 (newest)', () => '/api/outputs?limit=50'));

// ---- jobs per minute through the queue ----
const post = (path, body) => fetch(`${url}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());
t0 = performance.now();
const ids = [];
for (let i = 0; i < JOBS; i += 20) ids.push(...(await Promise.all(Array.from({ length: Math.min(20, JOBS - i) }, () => post('/api/jobs/ping', { ms: 0 })))).map((j) => j.id));
const submitted = performance.now() - t0;
for (;;) {
  const r = await fetch(`${url}/api/jobs?kind=ping&state=completed&limit=500`, { headers }).then((x) => x.json());
  if (r.jobs.length >= JOBS) break;
  await new Promise((r2) => setTimeout(r2, 200));
}
const total = (performance.now() - t0) / 1000;
const perMinute = Math.round((JOBS / total) * 60);
log(`\njobs: ${JOBS} ping jobs (no work inside) submitted in ${(submitted / 1000).toFixed(1)} s, all completed after ${total.toFixed(1)} s -> ${perMinute} jobs/minute (4 ping workers, embedded PGlite)`);

server.kill('SIGTERM');
await new Promise((r) => server.once('exit', r));
rmSync(home, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ shots: SHOTS, outputs: OUTPUTS, seconds: SECONDS, connections: CONNECTIONS, load: rows, jobs: { count: JOBS, seconds: total, perMinute } })}\n`);
