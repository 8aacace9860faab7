// Table-driven bad input: every case must get the expected 4xx with the JSON error shape, a message
// that says what is wrong (naming the field where there is one), and no stack trace or server path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from './roles.js';
import { startTestServer, type TestServer } from './testing/fixture.js';

let t: TestServer;
const UPLOAD_LIMIT = 64 * 1024;
let knownUpload = '';
beforeAll(async () => {
  t = await startTestServer({ workers: 'none', uploadLimitBytes: UPLOAD_LIMIT });
  knownUpload = await t.ws.store.putBytes('title,person\nA,B\n');
});
afterAll(async () => t?.close());

interface Case {
  name: string;
  method: string;
  path: string;
  role?: Role;
  body?: unknown;
  raw?: string | Uint8Array;
  type?: string;
  status: number;
  /** The field the message must name. */
  field?: string;
  message?: RegExp;
}

const sha = 'a'.repeat(64);
const huge = 1e300;
const long = (n: number) => 'x'.repeat(n);
const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const post = (path: string, body: unknown, status: number, field?: string, extra: Partial<Case> = {}): Case => ({ name: `${path} ${JSON.stringify(body)?.slice(0, 60)}`, method: 'POST', path, body, status, field, ...extra });
const get = (path: string, status: number, field?: string, extra: Partial<Case> = {}): Case => ({ name: `GET ${path.slice(0, 80)}`, method: 'GET', path, status, field, ...extra });

const cases: Case[] = [
  // Bodies that are not JSON objects at all.
  { name: 'users: malformed JSON', method: 'POST', path: '/api/users', raw: '{"username": "a",', type: 'application/json', status: 400, message: /JSON/i },
  { name: 'users: JSON array body', method: 'POST', path: '/api/users', raw: '[1,2]', type: 'application/json', status: 400 },
  { name: 'users: JSON number body', method: 'POST', path: '/api/users', raw: '42', type: 'application/json', status: 400 },
  { name: 'users: JSON null body', method: 'POST', path: '/api/users', raw: 'null', type: 'application/json', status: 400 },
  { name: 'users: empty body', method: 'POST', path: '/api/users', raw: '', type: 'application/json', status: 400 },
  { name: 'users: text/plain body', method: 'POST', path: '/api/users', raw: 'username=a', type: 'text/plain', status: 415 },
  { name: 'users: form body', method: 'POST', path: '/api/users', raw: 'username=a&role=admin', type: 'application/x-www-form-urlencoded', status: 415 },
  { name: 'sign-in: XML body', method: 'POST', path: '/api/auth/sign-in', raw: '<a/>', type: 'application/xml', status: 415 },
  { name: 'ping: body over the JSON limit', method: 'POST', path: '/api/jobs/ping', raw: JSON.stringify({ ms: 1, pad: long(2 << 20) }), type: 'application/json', status: 413 },
  { name: 'sign-in: deeply nested JSON', method: 'POST', path: '/api/auth/sign-in', raw: `${'['.repeat(5000)}${']'.repeat(5000)}`, type: 'application/json', status: 400 },

  // Users.
  post('/api/users', {}, 400, 'username'),
  post('/api/users', { username: 123, role: 'viewer' }, 400, 'username'),
  post('/api/users', { username: 'ok-name', role: 'root' }, 400, 'role'),
  post('/api/users', { username: 'ok-name', role: 'viewer', password: 'short' }, 400, 'password'),
  post('/api/users', { username: '../etc', role: 'viewer' }, 400, 'username'),
  post('/api/users', { username: 'UPPER', role: 'viewer' }, 400, 'username'),
  post('/api/users', { username: long(1000), role: 'viewer' }, 400, 'username'),
  post('/api/users', { username: 'ok-name', role: 'viewer', displayName: long(500) }, 400, 'displayName'),
  post('/api/users', { username: 'ok-name', role: 'viewer', isAdmin: true }, 400, 'isAdmin', { message: /unknown field/ }),
  post('/api/users', { username: 'ok-name', role: ['admin'] }, 400, 'role'),
  post('/api/users', { username: 'ok-name', role: 'viewer', password: long(300) }, 400, 'password'),
  post('/api/users', { username: 'admin-user', role: 'viewer', password: 'long enough password' }, 409, 'username'),
  { name: 'users: patch with nothing', method: 'PATCH', path: '/api/users/ml-user', body: {}, status: 400, field: 'role' },
  { name: 'users: patch bad role', method: 'PATCH', path: '/api/users/ml-user', body: { role: 'god' }, status: 400, field: 'role' },
  { name: 'users: patch unknown field', method: 'PATCH', path: '/api/users/ml-user', body: { role: 'ml', shell: '/bin/sh' }, status: 400, field: 'shell' },
  { name: 'users: patch unknown user', method: 'PATCH', path: '/api/users/nobody-here', body: { role: 'ml' }, status: 404, field: 'username' },
  { name: 'users: path traversal in username', method: 'POST', path: '/api/users/..%2F..%2Fetc/disable', status: 400, field: 'username' },
  post('/api/users/admin-user/disable', undefined, 400, 'username', { message: /yourself/ }),

  // Sign-in.
  post('/api/auth/sign-in', { username: 'a' }, 400, 'password'),
  post('/api/auth/sign-in', { username: 'a', password: 'b', remember: true }, 400, 'remember'),
  post('/api/auth/sign-in', { username: long(1000), password: 'b' }, 400, 'username'),
  post('/api/auth/sign-in', { username: 5, password: 'b' }, 400, 'username'),
  post('/api/auth/sign-in', { username: '', password: 'b' }, 400, 'username'),

  // Tokens.
  post('/api/tokens', { name: 'x', days: '10' }, 400, 'days'),
  post('/api/tokens', { name: 'x', days: huge }, 400, 'days'),
  post('/api/tokens', { name: 'x', days: -1 }, 400, 'days'),
  post('/api/tokens', { name: 'x', days: 1.5 }, 400, 'days'),
  post('/api/tokens', { name: '' }, 400, 'name'),
  post('/api/tokens', { name: long(101) }, 400, 'name'),
  post('/api/tokens', { name: 'x', role: 'root' }, 400, 'role'),
  post('/api/tokens', { name: 'x', scope: 'all' }, 400, 'scope'),
  post('/api/tokens', { name: 'x', username: 'nobody-here' }, 404, 'username'),
  { name: 'tokens: revoke a malformed id', method: 'DELETE', path: '/api/tokens/..%2F..', status: 400, field: 'id' },
  { name: 'tokens: revoke an unknown id', method: 'DELETE', path: '/api/tokens/0123456789abcdef', status: 404, field: 'id' },

  // Jobs.
  post('/api/jobs/ping', { ms: huge }, 400, 'ms'),
  post('/api/jobs/ping', { ms: -1 }, 400, 'ms'),
  post('/api/jobs/ping', { ms: '10' }, 400, 'ms'),
  post('/api/jobs/ping', { ms: 1.5 }, 400, 'ms'),
  post('/api/jobs/ping', { ms: 10, then: 'rm -rf' }, 400, 'then'),
  post('/api/jobs/ping', { ms: 9_007_199_254_740_993 }, 400, 'ms'),
  get('/api/jobs?limit=abc', 400, 'limit'),
  get('/api/jobs?limit=0', 400, 'limit'),
  get('/api/jobs?limit=1000000000', 400, 'limit'),
  get('/api/jobs?limit=-5', 400, 'limit'),
  get('/api/jobs?state=exploded', 400, 'state'),
  get('/api/jobs?kind=mine', 400, 'kind'),
  get('/api/jobs?before=yesterday', 400, 'before'),
  get('/api/jobs?sort=desc', 400, 'sort'),
  get('/api/jobs/not-a-uuid', 400, 'id'),
  get(`/api/jobs/${'0'.repeat(500)}`, 400, 'id'),
  get('/api/jobs/00000000-0000-4000-8000-000000000000', 404, 'id'),
  get('/api/jobs/not-a-uuid/events', 400, 'id'),
  post('/api/jobs/not-a-uuid/cancel', undefined, 400, 'id'),
  post('/api/jobs/00000000-0000-4000-8000-000000000000/cancel', undefined, 404, 'id'),

  // Uploads: names, sizes, and content.
  { name: 'upload: no name', method: 'POST', path: '/api/uploads', raw: png, type: 'image/png', status: 400, field: 'name' },
  { name: 'upload: traversal name', method: 'POST', path: '/api/uploads?name=..%2F..%2Fetc%2Fpasswd', raw: png, type: 'image/png', status: 400, field: 'name' },
  { name: 'upload: name with a folder', method: 'POST', path: '/api/uploads?name=a%2Fb.png', raw: png, type: 'image/png', status: 400, field: 'name' },
  { name: 'upload: backslash name', method: 'POST', path: '/api/uploads?name=..%5C..%5Cwin.ini', raw: png, type: 'image/png', status: 400, field: 'name' },
  { name: 'upload: dot-dot name', method: 'POST', path: '/api/uploads?name=..', raw: png, type: 'image/png', status: 400, field: 'name' },
  { name: 'upload: NUL in name', method: 'POST', path: '/api/uploads?name=a%00.png', raw: png, type: 'image/png', status: 400, field: 'name' },
  { name: 'upload: name too long', method: 'POST', path: `/api/uploads?name=${long(300)}.png`, raw: png, type: 'image/png', status: 400, field: 'name' },
  { name: 'upload: unknown query field', method: 'POST', path: '/api/uploads?name=a.png&dir=/tmp', raw: png, type: 'image/png', status: 400, field: 'dir' },
  { name: 'upload: bad expect', method: 'POST', path: '/api/uploads?name=a.png&expect=exe', raw: png, type: 'image/png', status: 400, field: 'expect' },
  { name: 'upload: empty', method: 'POST', path: '/api/uploads?name=a.png', raw: new Uint8Array(0), type: 'image/png', status: 400, field: 'body' },
  { name: 'upload: too large', method: 'POST', path: '/api/uploads?name=a.png', raw: new Uint8Array(UPLOAD_LIMIT + 1), type: 'image/png', status: 413 },
  { name: 'upload: executable named .png', method: 'POST', path: '/api/uploads?name=a.png', raw: new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0]), type: 'image/png', status: 415, field: 'body' },
  { name: 'upload: random bytes named .mp4', method: 'POST', path: '/api/uploads?name=a.mp4', raw: new Uint8Array([0, 1, 2, 3, 255, 254, 0, 9, 8, 7, 6, 5]), type: 'video/mp4', status: 415, field: 'body' },
  { name: 'upload: CSV when an image is expected', method: 'POST', path: '/api/uploads?name=a.png&expect=image', raw: 'a,b\n1,2\n', type: 'image/png', status: 415, field: 'body' },
  { name: 'upload: PNG when a rights file is expected', method: 'POST', path: '/api/uploads?name=r.csv&expect=rights', raw: png, type: 'text/csv', status: 415, field: 'body' },
  { name: 'upload: text with control bytes', method: 'POST', path: '/api/uploads?name=a.csv', raw: 'a,b\n\u0001\u0002,c\n', type: 'text/csv', status: 415, field: 'body' },
  { name: 'upload: broken JSON named .json', method: 'POST', path: '/api/uploads?name=a.json', raw: '{"people": [', type: 'application/json', status: 415, field: 'body' },
  { name: 'upload: HTML named .mp4', method: 'POST', path: '/api/uploads?name=a.mp4', raw: '<html><script>alert(1)</script></html>', type: 'video/mp4', status: 415, field: 'body' },
  { name: 'upload: viewer may not upload', method: 'POST', path: '/api/uploads?name=a.png', role: 'viewer', raw: png, type: 'image/png', status: 403 },

  // Ingest.
  post('/api/ingest', { files: [] }, 400, 'files'),
  post('/api/ingest', { files: [{ sha256: 'zz', name: 'a.mp4' }] }, 400, 'files.0.sha256'),
  post('/api/ingest', { files: [{ sha256: sha, name: '../../a.mp4' }] }, 400, 'files.0.name'),
  post('/api/ingest', { files: [{ sha256: sha, name: 'a.mp4', path: '/etc' }] }, 400, 'files.0.path'),
  post('/api/ingest', { files: [{ sha256: sha, name: 'a.mp4' }], title: long(300) }, 400, 'title'),
  post('/api/ingest', { files: [{ sha256: sha, name: 'a.mp4' }] }, 404, 'files'),
  post('/api/ingest', { files: 'a.mp4' }, 400, 'files'),

  // Datasets.
  post('/api/datasets', { name: 'a/b' }, 400, 'name'),
  post('/api/datasets', { name: '..' }, 400, 'name'),
  post('/api/datasets', { name: 'ok', valFraction: 1 }, 400, 'valFraction'),
  post('/api/datasets', { name: 'ok', shardSpec: { width: 1e9 } }, 400, 'shardSpec.width'),
  post('/api/datasets', { name: 'ok', shardSpec: { depth: 3 } }, 400, 'shardSpec.depth'),
  post('/api/datasets', { name: 'ok', purpose: 'memes' }, 400, 'purpose'),
  post('/api/datasets', { name: 'ok', minSeconds: -1 }, 400, 'minSeconds'),
  post('/api/datasets', { name: 'ok', asOf: 'tomorrow' }, 400, 'asOf'),
  post('/api/datasets', { name: 'ok', maxPerTitle: 0.5 }, 400, 'maxPerTitle'),
  post('/api/datasets/ghost/verify', undefined, 404),
  get('/api/datasets/ghost', 404),
  get('/api/datasets/a;b/diff/c', 400, 'id'),

  // Training and evaluation.
  post('/api/training/runs', { dataset: 'd', preset: 'huge' }, 400, 'preset'),
  post('/api/training/runs', { dataset: 'd', preset: 'tiny', steps: 1e12 }, 400, 'steps'),
  post('/api/training/runs', { dataset: 'd', preset: 'tiny', steps: -5 }, 400, 'steps'),
  post('/api/training/runs', { preset: 'tiny' }, 400, 'dataset'),
  post('/api/training/runs', { dataset: 'd', preset: 'tiny', lora: 1.5 }, 400, 'lora'),
  post('/api/training/runs', { dataset: 'd', preset: 'tiny', gpu: 8 }, 400, 'gpu'),
  post('/api/training/runs', { dataset: 'd', preset: 'tiny', overrides: ['lr=1'] }, 400, 'overrides'),
  post('/api/evaluations', {}, 400, 'model'),
  post('/api/evaluations', { model: 'm', steps: 0 }, 400, 'steps'),
  get('/api/models/ghost', 404),
  get('/api/models/ghost/previews/0', 404),
  get('/api/models/ghost/previews/last', 400, 'step'),

  // Generation.
  post('/api/generations', { prompt: '', modelId: 'm' }, 400, 'prompt'),
  post('/api/generations', { prompt: long(3000), modelId: 'm' }, 400, 'prompt'),
  post('/api/generations', { prompt: 'a red ball', modelId: 'm', steps: 0 }, 400, 'steps'),
  post('/api/generations', { prompt: 'a red ball', modelId: 'm', steps: 500 }, 400, 'steps'),
  post('/api/generations', { prompt: 'a red ball', modelId: 'm', guidance: -1 }, 400, 'guidance'),
  post('/api/generations', { prompt: 'a red ball', modelId: 'm', seed: -1 }, 400, 'seed'),
  post('/api/generations', { prompt: 'a red ball', modelId: 'm', seed: 2 ** 60 }, 400, 'seed'),
  post('/api/generations', { prompt: 'a red ball', modelId: 'm', image: '/etc/passwd' }, 400, 'image'),
  post('/api/generations', { prompt: 'a red ball', modelId: 'm', sampler: 'ddim' }, 400, 'sampler'),
  post('/api/generations', { prompt: 'a red ball', modelId: 'm', frames: 1 }, 400, 'frames'),
  post('/api/generations', { prompt: 'a red ball', modelId: 'm', output: '/tmp/x.mp4' }, 400, 'output'),
  post('/api/generations', { prompt: 'a red ball', modelId: 'm', strength: 2 }, 400, 'strength'),
  post('/api/generations', { prompt: 'a red ball', modelId: 'm', image: sha }, 404, 'image'),
  post('/api/generations', { prompt: 42, modelId: 'm' }, 400, 'prompt'),
  post('/api/generations', { prompt: 'a red ball' }, 400, 'modelId'),
  get('/api/outputs/not-a-generation', 400, 'id'),
  get('/api/outputs/gen_00', 404),
  get('/api/outputs?limit=-1', 400, 'limit'),
  get('/api/outputs?before=1;drop', 400, 'before'),
  get('/api/usage', 400, 'person'),
  get('/api/usage?person=p_x&from=last-week', 400, 'from'),
  get('/api/royalties?to=2026-13', 400, 'to'),

  // Rights.
  post('/api/rights/import', { name: 'r.csv' }, 400, 'sha256'),
  post('/api/rights/import', { sha256: sha, name: '../r.csv' }, 400, 'name'),
  post('/api/rights/import', { sha256: sha, name: 'r.csv' }, 404, 'sha256'),
  post('/api/rights/people/p_x/revoke-consent', { reason: '' }, 400, 'reason'),
  post('/api/rights/people/p_x/revoke-consent', { reason: 'asked', scope: 'everything' }, 400, 'scope'),
  post('/api/rights/people/p_x/revoke-consent', { reason: 'asked', on: '25/11/2026' }, 400, 'on'),
  get('/api/rights/check?asOf=soon', 400, 'asOf'),
  get('/api/rights/check?purpose=memes', 400, 'purpose'),
  get('/api/rights?asOf=1', 400, 'asOf'),

  // Library.
  get('/api/shots?limit=0', 400, 'limit'),
  get('/api/shots?limit=100000', 400, 'limit'),
  get("/api/shots?after=x'%3B%20DROP%20TABLE%20shots", 400, 'after'),
  get('/api/shots?title=..%2F..', 400, 'title'),
  get('/api/shots/..%2F..%2Fetc%2Fpasswd', 400, 'id'),
  get('/api/shots/nope-1', 404, 'id'),
  get('/api/shots/nope-1/proxy', 404, 'id'),
  get('/api/titles/ghost-title', 404),

  // Audit.
  get('/api/audit?since=yesterday', 400, 'since'),
  get('/api/audit?limit=0', 400, 'limit'),
  get(`/api/audit?subject=${long(400)}`, 400, 'subject'),
];

describe('malformed requests', () => {
  it('has at least 100 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(100);
  });

  for (const c of cases) {
    it(`${c.name} -> ${c.status}`, async () => {
      const raw = c.raw !== undefined ? (typeof c.raw === 'string' ? c.raw : Buffer.from(c.raw)) : undefined;
      const res = await t.call(c.method, c.path.replace(/\{u\}/, knownUpload), {
        role: c.role ?? 'admin',
        ...(c.body !== undefined ? { body: c.body } : {}),
        ...(raw !== undefined ? { rawBody: raw } : {}),
        headers: c.type ? { 'content-type': c.type } : {},
      });
      const text = await res.text();
      expect(res.status, text).toBe(c.status);
      const parsed = JSON.parse(text) as { error: { code: string; message: string; field?: string } };
      expect(parsed.error.code).toMatch(/^[a-z_]+$/);
      expect(parsed.error.message.length).toBeGreaterThan(5);
      expect(text).not.toMatch(/\n\s+at |node_modules|\/work\/|\/tmp\/|\.ts:\d+/);
      if (c.field) expect(`${parsed.error.field ?? ''} ${parsed.error.message}`).toContain(c.field);
      if (c.message) expect(parsed.error.message).toMatch(c.message);
    });
  }
});
