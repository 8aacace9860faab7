// npm run bench:shots [-- FILE... | --no-demo | --demo-films N | --re-edits N | --re-edit-seeds 1,2,...,10 | --long-minutes M | --reps N]
// For each film: frames/s of `backlot shots` (the built CLI, probe included) and of a bare ffmpeg decode
// to raw grey frames at the same analysis size, run one after the other and repeated (best of --reps,
// the machine is shared), their ratio, the CLI's peak RSS, and precision/recall/F1 against the ground
// truth split into hard cuts and gradual transitions. Then long looped files (512x288 and 1280x720) show
// the speed on a film's length and that memory stays flat.
// Default films: all footage in ../shared/library; films cut together here from its shots with known
// dissolves, dips, wipes and cuts (bench/real-edits.mjs: --re-edits films for each of --re-edit-seeds,
// 0 for none), scored on their own; plus the demo films when @backlot/workflows/demo offers
// generateDemoLibrary. Uses the built CLI: `npm run build:cli` (done here unless --no-build).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const reps = Number(option('--reps', 3));
const longMinutes = Number(option('--long-minutes', 20));
const optionValues = new Set(['--reps', '--long-minutes', '--demo-films', '--re-edits', '--re-edit-seeds'].map((o) => option(o, null)).filter(Boolean));
const explicit = args.filter((a) => !a.startsWith('--') && !optionValues.has(a));

if (!flag('--no-build')) spawnSync('npm', ['run', '-s', 'build:cli'], { cwd: root, stdio: 'ignore' });
const { probeMedia, analysisSize, analysisDecodeArgs, FFMPEG } = await import(join(root, 'packages/adapters/dist/ffmpeg/index.js'));
const { scoreBoundaries } = await import(join(root, 'packages/core/dist/index.js'));
const { makeRealEdits } = await import('./real-edits.mjs');
const CLI = join(root, 'apps/cli/bin/backlot.js');

/** Runs a command, returns wall seconds, CPU seconds and peak RSS (KiB, via /usr/bin/time) and stdout. */
function timed(cmd, cmdArgs, { captureStdout = true } = {}) {
  return new Promise((resolvePromise, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '%U %S %M', cmd, ...cmdArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    let bytes = 0;
    let err = '';
    child.stdout.on('data', (b) => {
      bytes += b.length;
      if (captureStdout) out.push(b);
    });
    child.stderr.on('data', (b) => (err += b));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code !== 0) return reject(new Error(`${cmd} ${cmdArgs.join(' ')} failed (${code}): ${err.trim().split('\n').slice(-2).join(' ')}`));
      const [user, sys, rss] = err.trim().split('\n').at(-1).split(' ').map(Number);
      resolvePromise({ seconds, cpuSeconds: user + sys, rssKiB: rss, stdout: Buffer.concat(out).toString('utf8'), bytes });
    });
  });
}

async function measure(file) {
  const probe = await probeMedia(file, { decodeCheck: false });
  const size = analysisSize(probe);
  let best = { shots: Infinity, bare: Infinity, shotsCpu: Infinity, bareCpu: Infinity };
  let rss = 0;
  let doc = null;
  let bareFrames = 0;
  for (let r = 0; r < reps; r++) {
    const a = await timed(process.execPath, [CLI, 'shots', file, '--json']);
    doc = JSON.parse(a.stdout);
    best.shots = Math.min(best.shots, a.seconds);
    best.shotsCpu = Math.min(best.shotsCpu, a.cpuSeconds);
    rss = Math.max(rss, a.rssKiB);
    const b = await timed(FFMPEG, ['-hide_banner', '-nostdin', ...analysisDecodeArgs(file, size, 'gray', false)], { captureStdout: false });
    bareFrames = b.bytes / (size.width * size.height);
    best.bare = Math.min(best.bare, b.seconds);
    best.bareCpu = Math.min(best.bareCpu, b.cpuSeconds);
  }
  return { size, doc, shotsFps: doc.frameCount / best.shots, bareFps: bareFrames / best.bare, rssMiB: rss / 1024, seconds: best.shots, shotsCpu: best.shotsCpu, bareCpu: best.bareCpu };
}

function truthFor(file) {
  const dir = dirname(file);
  const sibling = file.replace(/\.[^.]+$/, '.truth.json');
  if (existsSync(sibling)) return JSON.parse(readFileSync(sibling, 'utf8'));
  const slug = basename(dir);
  const shared = join(dirname(dir), 'groundtruth', `${slug}.json`);
  if (existsSync(shared)) return JSON.parse(readFileSync(shared, 'utf8'));
  return null;
}

// Which films.
const films = [];
if (explicit.length) {
  const missing = explicit.filter((f) => !existsSync(f));
  if (missing.length) {
    console.error(`bench:shots: no such file: ${missing.join(', ')}`);
    process.exit(2);
  }
  films.push(...explicit.map((f) => resolve(f)));
}
else {
  const library = resolve(root, '../shared/library');
  if (existsSync(library)) {
    for (const slug of readdirSync(library).sort()) {
      const dir = join(library, slug);
      if (slug === 'groundtruth' || !statSync(dir).isDirectory()) continue;
      for (const f of readdirSync(dir).sort()) if (/\.(mp4|webm|mov|mkv)$/.test(f)) films.push(join(dir, f));
    }
    const perSeed = Number(option('--re-edits', 6));
    for (const seed of perSeed > 0 ? option('--re-edit-seeds', '1,2,3,4,5,6,7,8,9,10').split(',').map(Number) : []) {
      films.push(...makeRealEdits(library, join(root, '.bench/real-edits'), { films: perSeed, seed, ffmpeg: FFMPEG }));
    }
  } else console.log('(../shared/library is absent: no real footage)');
  const demoModule = join(root, 'packages/workflows/dist/demo/index.js');
  if (!flag('--no-demo') && existsSync(demoModule)) {
    const demo = await import(demoModule);
    if (typeof demo.generateDemoLibrary === 'function') {
      const out = join(root, '.bench/demo-library');
      mkdirSync(out, { recursive: true });
      const wanted = option('--demo-films', null);
      const lib = await demo.generateDemoLibrary(out, wanted ? { films: Number(wanted) } : {});
      films.push(...lib.files.filter((f) => f.endsWith('.mp4')));
    } else console.log('(@backlot/workflows/demo has no generateDemoLibrary: no demo films)');
  }
}

const pct = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-');
const rows = [];
const totals = { real: { cuts: [0, 0, 0], gradual: [0, 0, 0] }, reEdited: { cuts: [0, 0, 0], gradual: [0, 0, 0] }, demo: { cuts: [0, 0, 0], gradual: [0, 0, 0] }, frames: 0, shotsSeconds: 0, bareSeconds: 0 };
console.log(`analysis at the default width; best of ${reps} runs each; machine: ${(await import('node:os')).cpus().length} cores, load ${(await import('node:os')).loadavg()[0].toFixed(1)}`);
console.log(['file', 'frames', 'size', 'shots fps', 'bare fps', 'ratio', 'CPU s shots/bare', 'peak RSS MiB', 'cuts P/R/F1', 'gradual P/R/F1', 'kind ok'].join(' | '));
for (const file of films) {
  const m = await measure(file);
  const truth = truthFor(file);
  let cuts = '-';
  let gradual = '-';
  let kinds = '-';
  if (truth) {
    const found = m.doc.shots.slice(1).map((s) => ({ kind: s.transitionIn, frame: s.startFrame }));
    const s = scoreBoundaries(found, truth.transitions);
    const bucket = file.includes('demo-library') ? totals.demo : file.includes('real-edits') ? totals.reEdited : totals.real;
    for (const [k, sc] of [['cuts', s.cuts], ['gradual', s.gradual]]) {
      bucket[k][0] += sc.truePositives;
      bucket[k][1] += sc.falsePositives;
      bucket[k][2] += sc.falseNegatives;
    }
    cuts = `${pct(s.cuts.precision)}/${pct(s.cuts.recall)}/${pct(s.cuts.f1)} (${s.cuts.truePositives}+${s.cuts.falseNegatives})`;
    gradual = `${pct(s.gradual.precision)}/${pct(s.gradual.recall)}/${pct(s.gradual.f1)} (${s.gradual.truePositives}+${s.gradual.falseNegatives})`;
    kinds = `${s.gradualKindMatches}/${s.gradual.truePositives}`;
    if (s.spurious.length || s.missed.length) console.log(`   ${basename(file)}: spurious ${JSON.stringify(s.spurious)} missed ${JSON.stringify(s.missed)}`);
  }
  totals.frames += m.doc.frameCount;
  totals.shotsSeconds += m.doc.frameCount / m.shotsFps;
  totals.bareSeconds += m.doc.frameCount / m.bareFps;
  const row = [basename(file), m.doc.frameCount, `${m.size.width}x${m.size.height}`, m.shotsFps.toFixed(0), m.bareFps.toFixed(0), (m.shotsFps / m.bareFps).toFixed(2), `${m.shotsCpu.toFixed(2)}/${m.bareCpu.toFixed(2)}`, m.rssMiB.toFixed(0), cuts, gradual, kinds];
  rows.push(row);
  console.log(row.join(' | '));
}

function f1([tp, fp, fn]) {
  const p = tp + fp ? tp / (tp + fp) : 1;
  const r = tp + fn ? tp / (tp + fn) : 1;
  return { p, r, f1: p + r ? (2 * p * r) / (p + r) : 0, tp, fp, fn };
}
console.log('\ntotals (targets: hard cuts F1 >= 0.95, gradual F1 >= 0.85, speed >= 0.8x bare decode, memory flat)');
for (const [name, b] of Object.entries({ 'real footage': totals.real, 'real footage re-edited here': totals.reEdited, 'demo films': totals.demo })) {
  const c = f1(b.cuts);
  const g = f1(b.gradual);
  if (c.tp + c.fp + c.fn + g.tp + g.fp + g.fn === 0) continue;
  console.log(`  ${name}: hard cuts P ${pct(c.p)} R ${pct(c.r)} F1 ${pct(c.f1)} (tp ${c.tp} fp ${c.fp} fn ${c.fn}); gradual P ${pct(g.p)} R ${pct(g.r)} F1 ${pct(g.f1)} (tp ${g.tp} fp ${g.fp} fn ${g.fn})`);
}
if (totals.frames) console.log(`  speed over all files: ${(totals.frames / totals.shotsSeconds).toFixed(0)} fps vs bare ${(totals.frames / totals.bareSeconds).toFixed(0)} fps = ${(totals.bareSeconds / totals.shotsSeconds).toFixed(2)}x`);

// Long files: a clip looped to >= longMinutes, analysed whole; peak RSS against the clip itself. The
// 512x288 clip is the hard case for the speed ratio (its decode is cheap next to the analysis); the
// 1280x720 one is closer to a studio's films.
const longSources = [
  ['big-buck-bunny-dashlive-40s/bbb_dashlive_v6_512x288.mp4', 'bbb-looped'],
  ['big-buck-bunny-opening/big_buck_bunny_0_30.h264.mp4', 'bbb720-looped'],
];
for (const [rel, stem] of longMinutes > 0 ? longSources : []) {
  const source = resolve(root, '../shared/library', rel);
  if (!existsSync(source)) {
    console.log(`\nlong-file check skipped: ../shared/library/${rel} is absent`);
    continue;
  }
  const dir = join(root, '.bench');
  mkdirSync(dir, { recursive: true });
  const clip = await probeMedia(source, { decodeCheck: false });
  const loops = Math.ceil((longMinutes * 60) / clip.durationSeconds);
  const long = join(dir, `${stem}-${loops}x.mp4`);
  if (!existsSync(long)) spawnSync(FFMPEG, ['-v', 'error', '-y', '-stream_loop', String(loops - 1), '-i', source, '-map', '0:v:0', '-c', 'copy', long], { stdio: 'inherit' });
  const short = await timed(process.execPath, [CLI, 'shots', source, '--json']);
  const m = await measure(long);
  console.log(`\nlong file: ${basename(long)} (${clip.video.width}x${clip.video.height}, ${loops} loops, ${(m.doc.frameCount / m.doc.fps / 60).toFixed(1)} min, ${m.doc.frameCount} frames, ${m.doc.shots.length} shots; best of ${reps})`);
  console.log(`  backlot shots ${m.shotsFps.toFixed(0)} fps vs bare ${m.bareFps.toFixed(0)} fps = ${(m.shotsFps / m.bareFps).toFixed(2)}x; CPU ${m.shotsCpu.toFixed(1)} s vs ${m.bareCpu.toFixed(1)} s; peak RSS ${m.rssMiB.toFixed(0)} MiB (the clip alone: ${(short.rssKiB / 1024).toFixed(0)} MiB)`);
}
