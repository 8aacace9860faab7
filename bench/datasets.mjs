// npm run bench:datasets — rights policy + captions + manifest + Merkle root over a synthetic catalogue,
// generated on the fly (never held in memory), at 100k, 300k and 1M shots, each in its own process so
// peak RSS is per run. Runs the built code: `npx tsc -b` first.
//
// Per shot it does what `backlot dataset build` does apart from decoding: the compiled rights policy
// decides, the dataset rules admit or exclude, admitted shots get a caption from the title's aligned
// screenplay and subtitles and a canonical manifest line, excluded ones an exclusion line with reasons;
// both go to disk and into their Merkle trees, and the root is computed. The split by title is fixed
// first, as in the build. Not included: ffmpeg decoding of proxies into shards (clipSha256 here hashes the clip id
// instead of pixels) and the database round trips.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prng } from './prng.mjs';

const SIZES = (process.env.BENCH_SIZES ?? '100000,300000,1000000').split(',').map(Number);
const TARGET_PER_MIN = 1_000_000;

const COLOURS = ['red', 'blue', 'green', 'yellow', 'white', 'orange'];
const SHAPES = ['ball', 'square', 'triangle'];
const DIRECTIONS = ['left', 'right', 'up', 'down'];
const PLACES = ['NIGHT SKY', 'BRICK WALL', 'GRASS FIELD', 'HARBOUR', 'KITCHEN', 'TRAIN STATION', 'OFFICE', 'FOREST ROAD'];
const TIMES = ['DAY', 'NIGHT', 'DUSK', 'CONTINUOUS'];
const PEOPLE = 20_000;

/**
 * The studio's people: a fixed pool, with consents derived from the person's number, so a title can
 * build the consents of its cast without a global table growing with the catalogue.
 * ~88% consent to training on footage, ~4% revoked, ~3% only for a named project, ~5% no record.
 */
function personRecords(p) {
  const r = prng(p * 7919 + 17);
  const id = `person-${p}`;
  const person = { id, name: `Person ${p}`, kind: r() < 0.9 ? 'actor' : 'crew', aliases: [] };
  const x = r();
  const consents = [];
  if (x < 0.95) {
    const c = { id: `consent-${p}`, personId: id, scopes: r() < 0.8 ? ['training-footage', 'voice'] : ['training-footage'], grantedOn: '2019-03-01', documentRef: `REL-${p}` };
    if (x < 0.04) Object.assign(c, { revokedOn: '2026-06-01', revokedReason: 'withdrawn by the performer' });
    else if (x < 0.07) c.conditions = { projects: ['other-project'] };
    consents.push(c);
  }
  return { person, consents };
}

/** One title with its rights records, screenplay, subtitles and shots (shot ids in byte order). */
function makeTitle(t, want) {
  const r = prng(t * 104729 + 3);
  const titleId = `title-${String(t).padStart(6, '0')}`;
  const prefix = t.toString(16).padStart(12, '0');
  const mediaFileId = `media-${prefix}`;
  const nShots = Math.min(want, 600 + Math.floor(r() * 800));
  // Grants: ~85% valid, then expired, not yet valid, revoked, another territory; ~6% none at all.
  const grants = [];
  const g = r();
  const grant = (over) => grants.push({ id: `grant-${t}-${grants.length}`, titleId, uses: ['train-video', 'train-audio'], grantor: 'Studio Pictures', territory: 'worldwide', startsOn: '2018-01-01', endsOn: null, contractRef: `CT-${t}`, ...over });
  if (g < 0.85) grant({ endsOn: r() < 0.5 ? null : '2031-12-31' });
  else if (g < 0.89) grant({ endsOn: '2025-12-31' });
  else if (g < 0.91) grant({ startsOn: '2027-01-01' });
  else if (g < 0.92) grant({ revokedOn: '2026-02-01', revokedReason: 'licence terminated' });
  else if (g < 0.94) grant({ territory: 'FR' });
  if (r() < 0.3) grant({ uses: ['generate-likeness'] });

  const shots = [];
  let at = 0;
  for (let i = 0; i < nShots; i++) {
    const len = 0.4 + r() * 7;
    shots.push({ id: `${prefix}-${i}`, titleId, mediaFileId, start: at, end: at + len, meanLuma: r() * 255, motion: r() * 12, isBlack: r() < 0.01, dupGroup: r() < 0.02 ? `dup-${t}-${Math.floor(r() * 5)}` : null, proxySha256: r() < 0.995 ? 'f'.repeat(64) : null });
    at += len;
  }
  const duration = at;
  shots.sort((a, b) => (a.id < b.id ? -1 : 1));

  // Cast: 2 leads for the whole title, 4-12 others over time ranges.
  const cast = [];
  const people = [];
  const consents = [];
  const appearances = [];
  const nCast = 6 + Math.floor(r() * 10);
  for (let k = 0; k < nCast; k++) {
    const p = Math.floor(r() * PEOPLE);
    if (cast.includes(p)) continue;
    cast.push(p);
    const rec = personRecords(p);
    people.push(rec.person);
    consents.push(...rec.consents);
    const whole = k < 2;
    const start = whole ? null : r() * duration;
    appearances.push({ id: `app-${t}-${k}`, personId: rec.person.id, titleId, start, end: whole ? null : start + 20 + r() * 300, presence: r() < 0.9 ? 'both' : 'voice', character: `CHARACTER ${k}` });
  }
  const cues = [];
  for (let k = 0, nCues = 10 + Math.floor(r() * 25); k < nCues; k++) {
    const start = r() * duration;
    cues.push({ id: `cue-${t}-${k}`, titleId, name: `Cue ${k}`, start, end: start + 10 + r() * 120, composer: 'A Composer', cleared: r() < 0.85 });
  }
  const restrictions = [];
  for (let k = 0, nR = Math.floor(r() * 4); k < nR; k++) {
    const start = r() * duration;
    restrictions.push({ id: `res-${t}-${k}`, titleId, start, end: start + 2 + r() * 30, kind: ['logo', 'third-party-footage', 'minor', 'other'][k % 4], note: 'flagged by rights' });
  }
  const mediaOptOuts = r() < 0.02 ? [{ mediaFileId, titleId, signals: [{ source: 'iptc-xmp', label: 'plus:DataMining', key: 'plus:DataMining', value: 'http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING', prohibits: true, where: 'uuid box' }] }] : [];

  // Screenplay: one scene per ~10 shots, heading + action + one line of dialogue matching a subtitle.
  const elements = [];
  const subtitles = [];
  const nScenes = Math.max(1, Math.round(nShots / 10));
  for (let s = 0; s < nScenes; s++) {
    const colour = COLOURS[Math.floor(r() * COLOURS.length)];
    const shape = SHAPES[Math.floor(r() * SHAPES.length)];
    const dir = DIRECTIONS[Math.floor(r() * DIRECTIONS.length)];
    const base = elements.length;
    elements.push({ idx: base, scene: s + 1, kind: 'scene_heading', text: `EXT. ${PLACES[Math.floor(r() * PLACES.length)]} - ${TIMES[Math.floor(r() * TIMES.length)]}` });
    elements.push({ idx: base + 1, scene: s + 1, kind: 'action', text: `A ${colour} ${shape} moving ${dir}.` });
    elements.push({ idx: base + 2, scene: s + 1, kind: 'character', text: `CHARACTER ${s % 7}` });
    elements.push({ idx: base + 3, scene: s + 1, kind: 'dialogue', text: `Scene ${s}: watch the ${colour} ${shape} go ${dir}!` });
    const mid = ((s + 0.5) / nScenes) * duration;
    subtitles.push({ idx: s + 1, start: mid - 1, end: mid + 1.5, text: `Scene ${s}: watch the ${colour} ${shape} go ${dir}.` });
  }
  const registry = { grants, people, consents, appearances, cues, restrictions, mediaOptOuts };
  return { titleId, title: `Title ${t}`, year: 1990 + (t % 35), sourceSha256: createHash('sha256').update(titleId).digest('hex'), registry, shots, elements, subtitles, duration };
}

/** Buffered appends to a file descriptor. */
function lineFile(path) {
  const fd = openSync(path, 'wx');
  let buf = [];
  let size = 0;
  return {
    write(line) {
      buf.push(line, '\n');
      size += line.length + 1;
      if (size > 1 << 20) this.flush();
    },
    flush() {
      if (buf.length) writeSync(fd, buf.join(''));
      buf = [];
      size = 0;
    },
    close() {
      this.flush();
      closeSync(fd);
    },
  };
}

async function child(total) {
  // Only the modules measured, so a half-built unrelated module in core cannot stop the bench.
  const core = { ...(await import('../packages/core/dist/rights/index.js')), ...(await import('../packages/core/dist/dataset/index.js')), ...(await import('../packages/core/dist/merkle/index.js')) };
  const { compileRightsPolicy, denyReasons, DatasetAdmission, alignScreenplay, buildCaption, splitByTitle, manifestLine, exclusionLine, SortedLeafTree, datasetRootOf, DEFAULT_SHARD_SPEC, RIGHTS_POLICY_VERSION } = core;
  const dir = mkdtempSync(join(tmpdir(), 'backlot-bench-datasets-'));
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage.rss());
  };
  const timer = setInterval(sample, 50);
  try {
    const spec = DEFAULT_SHARD_SPEC;
    const asOf = '2026-11-25';
    // As the build does: the split is fixed first, over titles whose grants allow the purpose. Here the
    // catalogue's titles are regenerated one at a time for it (a build asks the database instead).
    const granted = [];
    for (let t = 0, n = 0; n < total; t++) {
      const title = makeTitle(t, total - n);
      n += title.shots.length;
      if (compileRightsPolicy({ ...title.registry, appearances: [], cues: [], restrictions: [] }, { purpose: 'video', asOf }).decide({ id: 'title', titleId: title.titleId, mediaFileId: null, start: 0, end: 0 }).allowed) granted.push(title.titleId);
    }
    const split = splitByTitle(granted, 0.1);
    const exclusions = lineFile(join(dir, 'exclusions.jsonl'));
    const manifest = lineFile(join(dir, 'manifest.jsonl'));
    const exclusionTree = new SortedLeafTree('exclusions.jsonl');
    const clipTree = new SortedLeafTree('manifest.jsonl');
    const admission = new DatasetAdmission({ minSeconds: 0.5, maxPerTitle: null });
    const records = { train: 0, val: 0 };
    let seen = 0;
    let admitted = 0;
    let titles = 0;
    let last = performance.now();
    for (let t = 0; seen < total; t++) {
      const title = makeTitle(t, total - seen);
      titles++;
      // One title's rights compiled at a time: memory stays flat however many titles stream past.
      const policy = compileRightsPolicy(title.registry, { purpose: 'video', asOf });
      let alignment = null;
      for (const shot of title.shots) {
        const d = policy.decide(shot);
        const out = admission.admit({ ...shot, shotId: shot.id }, { allowed: d.allowed, reasons: d.allowed ? [] : denyReasons(d) });
        if (!out.included) {
          const line = exclusionLine(out.exclusion);
          exclusionTree.push(shot.id, line);
          exclusions.write(line);
        } else {
          alignment ??= alignScreenplay(title.elements, title.subtitles, title.duration);
          const seconds = Math.min(shot.end - shot.start, spec.maxFrames / spec.fps);
          const startFrame = Math.round(shot.start * 24);
          const endFrame = startFrame + Math.max(1, Math.round(seconds * 24)) - 1;
          const caption = buildCaption({ title: { name: title.title, year: title.year }, shot: { start: shot.start, end: shot.start + seconds, meanLuma: shot.meanLuma, motion: shot.motion }, alignment, subtitles: title.subtitles });
          const clipId = `${shot.id}:${startFrame}-${endFrame}`;
          const side = split.get(title.titleId) ?? 'train';
          const record = records[side]++;
          // Stand-in for the shard write: the build hashes the decoded pixels here.
          const clipSha256 = createHash('sha256').update(clipId).digest('hex');
          const text = manifestLine({
            clipId, shotId: shot.id, titleId: title.titleId, title: title.title, sourceSha256: title.sourceSha256, proxySha256: shot.proxySha256, startFrame, endFrame, start: shot.start, end: shot.start + seconds, caption,
            split: side, shard: `${side}-${String(Math.floor(record / 64)).padStart(5, '0')}.bls`, record: record % 64, frames: Math.min(spec.maxFrames, Math.max(1, Math.round(seconds * spec.fps))), clipSha256,
            attributes: { meanLuma: Math.round(shot.meanLuma * 1000) / 1000, motion: Math.round(shot.motion * 1000) / 1000, seconds: Math.round((shot.end - shot.start) * 1000) / 1000 },
          });
          clipTree.push(shot.id, text);
          manifest.write(text);
          admitted++;
        }
        seen++;
      }
      sample();
      if (performance.now() - last > 5000) {
        last = performance.now();
        process.stderr.write(`  ${total}: ${seen} shots evaluated, ${((seen / (last - t0)) * 1000).toFixed(0)} shots/s, rss ${(process.memoryUsage.rss() / 2 ** 20).toFixed(0)} MiB\n`);
      }
    }
    exclusions.close();
    manifest.close();
    const clipsRoot = clipTree.rootHex();
    const exclusionsRoot = exclusionTree.rootHex();
    const merkleRoot = datasetRootOf({ policyVersion: RIGHTS_POLICY_VERSION, purpose: 'video', shardSpec: spec, clipsRoot, exclusionsRoot });
    sample();
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const peakRss = Math.max(peak, process.resourceUsage().maxRSS * 1024);
    const manifestBytes = statSync(join(dir, 'manifest.jsonl')).size;
    process.stdout.write(`${JSON.stringify({ shots: seen, titles, admitted, excluded: seen - admitted, seconds, shotsPerSecond: seen / seconds, cpuSeconds, shotsPerCpuSecond: seen / cpuSeconds, peakRssMiB: peakRss / 2 ** 20, manifestMiB: manifestBytes / 2 ** 20, merkleRoot })}\n`);
  } finally {
    clearInterval(timer);
    rmSync(dir, { recursive: true, force: true });
  }
}

// Entry point last: the constants above must exist before the child runs.
if (process.argv[2] === '--child') {
  await child(Number(process.argv[3]));
} else {
  const rows = [];
  for (const n of SIZES) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', String(n)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) {
      process.stderr.write(`bench:datasets: the ${n}-shot run failed (exit ${r.status})\n`);
      process.exit(1);
    }
    rows.push(JSON.parse(r.stdout.trim().split('\n').pop()));
  }
  process.stdout.write(`\nbench:datasets on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}\n`);
  process.stdout.write('shots      titles  admitted  excluded  seconds  shots/s   shots/min   cpu s  shots/cpu-s   peak RSS   root\n');
  for (const r of rows) {
    process.stdout.write(`${String(r.shots).padEnd(10)} ${String(r.titles).padStart(6)} ${String(r.admitted).padStart(9)} ${String(r.excluded).padStart(9)} ${r.seconds.toFixed(1).padStart(8)} ${String(Math.round(r.shotsPerSecond)).padStart(8)} ${String(Math.round(r.shotsPerSecond * 60)).padStart(11)} ${r.cpuSeconds.toFixed(1).padStart(7)} ${String(Math.round(r.shotsPerCpuSecond)).padStart(12)} ${(r.peakRssMiB.toFixed(0) + ' MiB').padStart(11)}   ${r.merkleRoot.slice(0, 16)}\n`);
  }
  const big = rows[rows.length - 1];
  const small = rows[0];
  process.stdout.write(`\ntarget >= ${TARGET_PER_MIN.toLocaleString('en')} shots/min: ${Math.round(big.shotsPerSecond * 60).toLocaleString('en')} at ${big.shots.toLocaleString('en')} shots -> ${big.shotsPerSecond * 60 >= TARGET_PER_MIN ? 'MET' : 'NOT MET'}\n`);
  process.stdout.write(`CPU time (not slowed by other processes on a shared machine): ${Math.round(big.shotsPerCpuSecond * 60).toLocaleString('en')} shots per CPU-minute; load average now ${loadavg()[0].toFixed(1)} on ${cpus().length} cores\n`);
  process.stdout.write(`memory: peak RSS ${small.peakRssMiB.toFixed(0)} MiB at ${small.shots.toLocaleString('en')} shots vs ${big.peakRssMiB.toFixed(0)} MiB at ${big.shots.toLocaleString('en')} (${(big.shots / small.shots).toFixed(0)}x the shots)\n`);
}
