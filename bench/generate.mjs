// npm run bench:generate — seconds per clip and per denoising step for the `tiny` preset on this machine,
// split into text encoding, sampling and decoding, with peak memory; then whole `backlot generate`
// processes, start to signed MP4. Runs the built code (`npm run build:cli` first: the CLI runs bundled).
//
//   node bench/generate.mjs [--onnx DIR] [--runs N] [--cli-runs N] [--steps N] [--guidance G]
//                           [--guidance-interval LO:HI] [--device cpu|cuda]
//
// Without --onnx it trains the real tiny preset two steps with the trainer's code and exports it
// (weights barely trained: speed does not depend on them), cached in .bench/generate/tiny.
// Guidance applies where the model's model.json says (defaults.guidanceInterval; every step for older
// exports) unless --guidance-interval names another; the steps outside run one branch, not two.
// Targets (issue 5): model time for a 16-frame tiny clip (text, 20 guided steps, decode) < 0.3 s;
// a whole `backlot generate` call < 2 s.
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const root = resolve(new URL('..', import.meta.url).pathname);
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const runs = Number(opt('runs', 10));
const cliRuns = Number(opt('cli-runs', 3));
const steps = Number(opt('steps', 20));
const guidance = Number(opt('guidance', 3));
const device = opt('device', 'cpu');

if (!existsSync(join(root, 'packages/adapters/dist/onnx/index.js'))) {
  console.error('bench:generate runs the built code: run `npm run build:cli` first');
  process.exit(1);
}
const core = await import(join(root, 'packages/core/dist/index.js'));
const onnx = await import(join(root, 'packages/adapters/dist/onnx/index.js'));

let onnxDir = opt('onnx');
if (!onnxDir) {
  const cache = join(root, '.bench/generate/tiny');
  onnxDir = join(cache, 'onnx');
  if (!existsSync(join(onnxDir, 'model.json'))) {
    console.error('building a tiny-preset export with the trainer (once; ~1 min)…');
    rmSync(cache, { recursive: true, force: true });
    mkdirSync(join(root, '.bench/generate'), { recursive: true });
    await promisify(execFile)('/usr/bin/python3', [join(root, 'packages/adapters/src/onnx/fixtures/trained_model.py'), cache, '--preset', 'tiny', '--full', '--steps', '2', '--model-id', 'mdl_tiny_bench'], { maxBuffer: 64 << 20 });
  }
}

const ms = (s) => (1000 * s).toFixed(1);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// ---- model time, in this process -------------------------------------------------------------
const t0 = performance.now();
const model = await onnx.loadModel(onnxDir, { device });
const intervalFlag = opt('guidance-interval');
const [lo, hi] = intervalFlag ? intervalFlag.split(':').map(Number) : [];
const interval = intervalFlag ? { lo, hi } : (model.config.defaults.guidanceInterval ?? core.FULL_GUIDANCE_INTERVAL);
core.checkGuidanceInterval(interval);
const guidedSteps = [...core.flowSchedule(steps)].slice(0, steps).filter((t) => core.guidanceAt(t, 2, interval) === 2).length;
const loadSeconds = (performance.now() - t0) / 1000;
const shape = onnx.modelShape(model);
const cfg = model.config;
const prompt = 'a red ball moving left at night';
const cpuSeconds = (u) => (u.user + u.system) / 1e6;
const one = async (seed) => {
  const cpu0 = process.cpuUsage();
  let t = performance.now();
  const batch = guidance === 1 ? [onnx.tokenizePrompt(model, prompt)] : [onnx.tokenizePrompt(model, prompt), core.tokenize('', cfg.text.tokenizer, cfg.text.maxLength)];
  const text = await onnx.encodeText(model, batch);
  const textS = (performance.now() - t) / 1000;
  t = performance.now();
  const x = await core.sampleEuler(onnx.guidedVelocity(model, text, core.noConditioning(shape), guidance, undefined, interval), core.gaussianNoise(seed, core.sizeOf(shape)), core.flowSchedule(steps));
  const sampleS = (performance.now() - t) / 1000;
  t = performance.now();
  await onnx.decodeToVideo(model, x);
  const decodeS = (performance.now() - t) / 1000;
  return { textS, sampleS, decodeS, total: textS + sampleS + decodeS, cpu: cpuSeconds(process.cpuUsage(cpu0)) };
};
await one(0); // warm-up: first runs allocate and pick kernels
const results = [];
for (let i = 0; i < runs; i++) results.push(await one(i + 1));
const peakRssMb = process.resourceUsage().maxRSS / 1024;
await model.close();

const med = {
  text: median(results.map((r) => r.textS)),
  sampling: median(results.map((r) => r.sampleS)),
  decode: median(results.map((r) => r.decodeS)),
  total: median(results.map((r) => r.total)),
  cpu: median(results.map((r) => r.cpu)),
};
const perStep = med.sampling / steps;

// ---- whole CLI process, start to signed MP4 ---------------------------------------------------
const ws = join(tmpdir(), `backlot-bench-generate-${process.pid}`);
const { openWorkspace } = await import(join(root, 'packages/adapters/dist/workspace/index.js'));
const w = await openWorkspace({ home: ws });
// The model where `backlot models export` leaves one: <workspace>/models/<id>/onnx.
const wsModel = join(ws, 'models', 'mdl_bench');
cpSync(onnxDir, join(wsModel, 'onnx'), { recursive: true });
await w.db.query('INSERT INTO models (id, lineage, path, export_path, dataset_root, created_by) VALUES ($1, $2, $3, $4, $5, $6)', [
  'mdl_bench', JSON.stringify(cfg.lineage ?? { datasets: [{ id: cfg.datasetId, merkleRoot: cfg.datasetRoot }], bases: [] }), wsModel, join(wsModel, 'onnx'), cfg.datasetRoot, 'bench',
]);
await w.close();
const cli = [];
for (let i = 0; i < (cliRuns > 0 ? cliRuns + 1 : 0); i++) {
  const out = join(ws, `clip-${i}.mp4`);
  const t = performance.now();
  // /usr/bin/time reports the child's own CPU seconds, which a loaded machine inflates far less than wall time.
  const timing = join(ws, `time-${i}.txt`);
  const stdout = execFileSync('/usr/bin/time', ['-f', '%e %U %S', '-o', timing, process.execPath, join(root, 'apps/cli/bin/backlot.js'), '-w', ws, 'generate', prompt, '--model', 'mdl_bench', '-o', out, '--steps', String(steps), '--guidance', String(guidance), '--guidance-interval', `${interval.lo}:${interval.hi}`, '--seed', String(i), '--json'], { env: { ...process.env, BACKLOT_ONNX_DEVICE: device } });
  const wall = (performance.now() - t) / 1000;
  const r = JSON.parse(stdout.toString());
  const [, user, sys] = execFileSync('cat', [timing]).toString().trim().split(/\s+/).map(Number);
  if (r.credentials.state !== 'Trusted') throw new Error(`bench clip not Trusted: ${r.credentials.state}`);
  // The first call also makes the workspace's development signing chain: not a steady-state call.
  if (i > 0) cli.push({ wall, cpu: user + sys, early: r.earlyModel, ...r.seconds });
}
rmSync(ws, { recursive: true, force: true });
const cliMed = (k) => median(cli.map((c) => c[k])) ?? NaN;

const modelTarget = 0.3;
const cliTarget = 2;
const lines = [
  `bench:generate — ${cfg.preset} preset (${cfg.space}, ${shape.channels}×${shape.frames}×${shape.height}×${shape.width}, ${cfg.data.frames} frames @ ${cfg.data.fps} fps), ${steps} Euler steps, guidance ${guidance}${guidance === 1 ? ' (batch 1)' : ` on t in (${interval.lo}, ${interval.hi}]: ${guidedSteps} steps batch 2, ${steps - guidedSteps} batch 1`}`,
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, device ${model.device}${model.deviceNote ? ` (${model.deviceNote})` : ''}, load average ${execFileSync('cat', ['/proc/loadavg']).toString().split(' ').slice(0, 3).join(' ')}`,
  `model load: ${ms(loadSeconds)} ms (once per process)`,
  `per clip (median of ${runs}): text ${ms(med.text)} ms + sampling ${ms(med.sampling)} ms + decode ${ms(med.decode)} ms = ${ms(med.total)} ms model time  [target < ${modelTarget * 1000} ms: ${med.total < modelTarget ? 'met' : 'NOT met'}]`,
  `  CPU time for that clip: ${ms(med.cpu)} ms over ${model.config ? (Number(process.env.BACKLOT_ONNX_THREADS) || Math.min(cpus().length, 4)) : 1} intra-op threads (what an idle machine's wall time is bounded by)`,
  `per denoising step: ${ms(perStep)} ms (the mean over guided and unguided steps)`,
  `peak memory (RSS) of the model-time process: ${peakRssMb.toFixed(0)} MB`,
  `whole \`backlot generate\` process, start to signed MP4 (median of ${cli.length}): ${cliMed('wall').toFixed(2)} s  [target < ${cliTarget} s: ${cliMed('wall') < cliTarget ? 'met' : 'NOT met'}]`,
  `  CPU time of that process: ${cliMed('cpu').toFixed(2)} s (user + system)`,
  `  inside it: load ${ms(cliMed('load'))} ms, text ${ms(cliMed('text'))}, sampling ${ms(cliMed('sampling'))}, decode ${ms(cliMed('decode'))}, attribution ${ms(cliMed('attribution'))}, encode MP4 ${ms(cliMed('encode'))}, sign ${ms(cliMed('sign'))}; workflow total ${ms(cliMed('total'))} ms`,
  `  (the rest of the wall time is Node start, module loading and opening the workspace database; the model loaded on a worker thread meanwhile in ${cli.filter((c) => c.early).length} of ${cli.length} runs)`,
];
console.log(lines.join('\n'));
if (args.includes('--json')) console.log(JSON.stringify({ steps, guidance, guidanceInterval: interval, guidedSteps, runs, model: med, perStep, peakRssMb, loadSeconds, cli }, null, 2));
