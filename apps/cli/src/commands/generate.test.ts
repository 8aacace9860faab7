// `backlot generate | verify | attribution | usage | royalties | models show` end to end through the built CLI.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { openWorkspace } from '@backlot/adapters/workspace';
import { buildPlumbingModel } from '@backlot/adapters/onnx/fixtures';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'backlot-cli-generate-'));
const out = (n: string) => join(home, n);

function backlotWith(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'apps/cli/bin/backlot.js'), '-w', home, ...args], { encoding: 'utf8', env: { ...process.env, BACKLOT_PROGRESS_INTERVAL_MS: '0', ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const backlot = (...args: string[]) => backlotWith({}, ...args);
const frames = (file: string) => execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);

beforeAll(async () => {
  spawnSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'ignore' });
  const onnx = await buildPlumbingModel({ frames: 8, size: 16 });
  // A second model where `backlot models export` puts one: in the workspace's models folder.
  const homeOnnx = await buildPlumbingModel({ frames: 8, size: 16, modelId: 'mdl_home' }, join(home, 'models', 'mdl_home', 'onnx'));
  const ws = await openWorkspace({ home });
  try {
    await ws.db.exec(`
      INSERT INTO titles (id, name) VALUES ('ttl_0', 'Night Sky');
      INSERT INTO people (id, name, kind, aliases) VALUES ('p_grace', 'Grace Stone', 'actor', '{}'), ('p_maya', 'Maya Okonkwo', 'actor', '{}');
      INSERT INTO consents (id, person_id, scopes, granted_on, document_ref) VALUES ('c_grace', 'p_grace', '{likeness}', '2025-01-01', 'DOC-7');`);
    await ws.db.query("INSERT INTO models (id, name, lineage, path, export_path, dataset_root, created_by) VALUES ('mdl_plumb', 'plumbing', $1, $2, $2, $3, 'test')", [
      JSON.stringify({ datasets: [{ id: 'ds_plumbing', merkleRoot: '0f'.repeat(32) }], bases: [] }), onnx, '0f'.repeat(32),
    ]);
    await ws.db.query("INSERT INTO models (id, name, lineage, path, export_path, dataset_root, created_by) VALUES ('mdl_home', 'home', $1, $2, $3, $4, 'test')", [
      JSON.stringify({ datasets: [{ id: 'ds_plumbing', merkleRoot: '0f'.repeat(32) }], bases: [] }), join(home, 'models', 'mdl_home'), homeOnnx, '0f'.repeat(32),
    ]);
  } finally {
    await ws.close();
  }
});

describe('backlot generate and provenance commands', () => {
  it('generates a signed clip, with progress over the denoising steps', () => {
    const r = backlot('generate', 'Grace Stone, a red ball moving left', '--model', 'mdl_plumb', '-o', out('a.mp4'), '--steps', '5', '--seed', '3', '--project', 'Harbour');
    expect(r.err).toMatch(/denoising: 5\/5 steps/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/wrote .*a\.mp4 \(t2v, 8 frames 16×16/);
    expect(r.out).toMatch(/5 euler steps, guidance 3 on t in \(0\.2, 0\.8\]\)/); // the model's default interval
    expect(r.out).toMatch(/credentials Trusted/);
    expect(r.out).toMatch(/likeness: Grace Stone under consent c_grace/);
  });

  it('--json gives the whole result', () => {
    const r = backlot('generate', 'a red ball', '--model', 'mdl_plumb', '-o', out('b.mp4'), '--steps', '3', '--sampler', 'heun', '--guidance-interval', '0:1', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.params).toMatchObject({ steps: 3, sampler: 'heun', guidanceInterval: { lo: 0, hi: 1 } });
    expect(j.attribution.titles.reduce((s: number, t: { share: number }) => s + t.share, 0)).toBeCloseTo(1, 9);
  });

  it('refuses a prompt naming a person without consent, in one line', () => {
    const r = backlot('generate', "maya okonkwo's smile", '--model', 'mdl_plumb', '-o', out('c.mp4'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^backlot: refused: prompt names Maya Okonkwo .*no likeness consent on record/m);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('rejects bad flags before any work, in one line', () => {
    expect(backlot('generate', 'x', '--model', 'mdl_plumb', '-o', out('d.mp4'), '--steps', 'many').err).toMatch(/--steps must be a number/);
    for (const [value, message] of [['0.5', /--guidance-interval must be two numbers lo:hi, e.g. 0.2:0.8 \(got 0.5\)/], ['0.9:0.1', /--guidance-interval: the guidance interval lo:hi must have 0 <= lo < hi <= 1/]] as const) {
      const bad = backlot('generate', 'x', '--model', 'mdl_plumb', '-o', out('d.mp4'), '--guidance-interval', value);
      expect(bad.code).not.toBe(0);
      expect(bad.err.split('\n')[0]).toMatch(message);
      expect(bad.err).not.toMatch(/\n\s+at /);
    }
    expect(existsSync(out('d.mp4'))).toBe(false);
    const r = backlot('generate', 'x', '--model', 'nope', '-o', out('d.mp4'));
    expect(r.code).toBe(1);
    expect(r.err.trim()).toBe('backlot: --model nope: no such model (see `backlot models ls`)');
  });

  it('verify prints the chain of custody; exits 1 for an altered file', () => {
    const ok = backlot('verify', out('a.mp4'));
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/Trusted/);
    expect(ok.out).toMatch(/action\s+c2pa\.created \(trainedAlgorithmicMedia\)/);
    expect(ok.out).toMatch(/dataset\s+Merkle root 0f0f/);
    expect(ok.out).toMatch(/model\s+mdl_plumb \(t2v, seed 3, 5 steps, guidance 3 on t in \(0\.2, 0\.8\]\)/);
    expect(ok.out).toMatch(/recorded\s+generation gen_/);
    const bytes = readFileSync(out('a.mp4'));
    const at = bytes.indexOf(Buffer.from('mdat')) + 30;
    bytes[at] = bytes[at]! ^ 1;
    writeFileSync(out('bad.mp4'), bytes);
    const bad = backlot('verify', out('bad.mp4'), '--json');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out).state).toBe('Invalid');
  });

  it('attribution, usage and royalties read the ledgers back (table, JSON, CSV)', () => {
    const a = backlot('attribution', out('a.mp4'));
    expect(a.code).toBe(0);
    expect(a.out).toMatch(/Night Sky/);
    const u = backlot('usage', '--person', 'Grace Stone', '--csv');
    expect(u.code).toBe(0);
    expect(u.out.split('\n')[0]).toBe('at,generation,person,consent,seconds,project,model,output');
    expect(u.out).toMatch(/Grace Stone,c_grace,1\.333,Harbour,mdl_plumb/);
    const roy = JSON.parse(backlot('royalties', '--json').out);
    expect(roy.generations).toBe(2);
    expect(backlot('usage', '--person', 'Grace Stone', '--from', 'yesterday').err).toMatch(/--from yesterday: not a date/);
  });

  it('loads a model from the workspace on a worker thread while the database starts: same frames, same refusals', () => {
    const early = backlot('generate', 'a red ball', '--model', 'mdl_home', '-o', out('e.mp4'), '--steps', '4', '--seed', '5', '--json');
    expect(early.code).toBe(0);
    expect(JSON.parse(early.out).earlyModel).toBe(true);
    const here = backlotWith({ BACKLOT_MODEL_WORKER: '0' }, 'generate', 'a red ball', '--model', 'mdl_home', '-o', out('f.mp4'), '--steps', '4', '--seed', '5', '--json');
    expect(JSON.parse(here.out).earlyModel).toBe(false);
    expect(frames(out('e.mp4')).equals(frames(out('f.mp4')))).toBe(true);
    // The model by another route (mdl_plumb's export lies outside the workspace) runs in this thread.
    expect(JSON.parse(backlot('generate', 'a red ball', '--model', 'mdl_plumb', '-o', out('g.mp4'), '--steps', '2', '--json').out).earlyModel).toBe(false);
    const refused = backlot('generate', 'Maya Okonkwo waving', '--model', 'mdl_home', '-o', out('h.mp4'));
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^backlot: refused: prompt names Maya Okonkwo/m);
  });
});
