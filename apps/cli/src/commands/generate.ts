// `backlot generate | verify | attribution | usage | royalties`: make a signed clip from a prompt, and
// read back what each output is, where it came from and whom it owes. Logic lives in
// @backlot/workflows/generation; this file parses flags and prints.
import os from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import type { VerifyReport } from '@backlot/workflows/generation';
import { resolveHome } from '@backlot/adapters/workspace';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { globals, guidanceText, printJson, printTable, progressFor, withWorkspace } from '../context.js';

const actor = () => `cli:${os.userInfo().username}`;
// Loaded when a command runs: it brings the C2PA SDK (native) and the ONNX adapter (ONNX Runtime itself
// loads on first use), which every other `backlot` command should not pay for at start.
const generation = () => import('@backlot/workflows/generation');

function num(flag: string) {
  return (v: string) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${flag} must be a number (got ${v})`);
    return n;
  };
}

/** `lo:hi` → { lo, hi }; the range itself is checked with the rest of the request. */
function interval(v: string): { lo: number; hi: number } {
  const parts = v.split(':');
  const nums = parts.map((p) => (p.trim() === '' ? Number.NaN : Number(p)));
  if (parts.length !== 2 || !nums.every(Number.isFinite)) throw new InvalidArgumentError(`--guidance-interval must be two numbers lo:hi, e.g. 0.2:0.8 (got ${v})`);
  return { lo: nums[0]!, hi: nums[1]! };
}

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
function printCsv(headers: string[], rows: unknown[][]): void {
  process.stdout.write(`${[headers, ...rows].map((r) => r.map(csvCell).join(',')).join('\n')}\n`);
}

function printVerify(r: VerifyReport): void {
  const w = (s: string) => process.stdout.write(`${s}\n`);
  w(`${r.file}: ${r.state} — ${r.summary}`);
  const m = r.manifest;
  if (m) {
    w(`  manifest   ${m.label}`);
    w(`  signed by  ${m.signer.commonName ?? '?'} (issuer ${m.signer.issuer ?? '?'})${m.signer.time ? ` at ${m.signer.time}` : ''}; trust anchors: ${r.trustAnchors}`);
    if (m.claimGenerator) w(`  software   ${m.claimGenerator}`);
    for (const a of m.actions) w(`  action     ${a.action}${a.digitalSourceType ? ` (${a.digitalSourceType.split('/').pop()})` : ''}${a.softwareAgent ? ` by ${a.softwareAgent}` : ''}`);
    if (m.lineage) {
      const l = m.lineage;
      w(`  model      ${l.modelId} (${l.mode}, seed ${String(l.parameters.seed)}, ${String(l.parameters.steps)} steps, ${guidanceText(l.parameters)})`);
      w(`  dataset    Merkle root ${l.datasetMerkleRoot}`);
      const ds = (l.lineage as { datasets?: Array<{ id: string; merkleRoot: string }>; bases?: Array<{ modelId: string }> } | null) ?? {};
      for (const d of ds.datasets ?? []) w(`  lineage    dataset ${d.id} (${d.merkleRoot.slice(0, 16)}…)`);
      for (const b of ds.bases ?? []) w(`  lineage    base model ${b.modelId}`);
      w(`  prompt     sha256 ${l.promptSha256}`);
    }
    for (const i of m.ingredients) w(`  ingredient ${i.title} (${i.relationship}${i.format ? `, ${i.format}` : ''}${i.validationState ? `, its own credentials ${i.validationState}` : ''})`);
  }
  for (const f of r.failures) w(`  FAILED     ${f.code}${f.explanation ? `: ${f.explanation}` : ''}`);
  if (r.recorded) w(`  recorded   generation ${r.recorded.generationId} by ${r.recorded.actor} at ${r.recorded.createdAt}${r.recorded.project ? ` for ${r.recorded.project}` : ''}`);
  else if (r.state !== 'None') w('  recorded   not an output of this workspace');
}

/**
 * Starts loading the model on a worker thread from the folder `backlot models export` writes to, so
 * that reading it and building its ONNX Runtime sessions overlap the embedded database's start. Only
 * a head start: generate() uses it if the registry names the same folder, after the guardrail.
 * BACKLOT_MODEL_WORKER=0 turns it off.
 */
async function startEarlyModel(cmd: Command, modelId: string) {
  if (process.env.BACKLOT_MODEL_WORKER === '0' || !/^\w[\w.-]*$/.test(modelId)) return undefined;
  const dir = join(resolveHome(globals(cmd).workspace), 'models', modelId, 'onnx');
  if (!existsSync(join(dir, 'model.json'))) return undefined;
  const { modelWorkerAvailable, startModelWorker } = await import('@backlot/adapters/onnx/worker');
  return modelWorkerAvailable() ? startModelWorker(dir) : undefined;
}

export function register(program: Command): void {
  program.command('generate <prompt>').description('generate a signed clip from a prompt with an exported model')
    .requiredOption('--model <id>', 'model id (see backlot models ls)')
    .requiredOption('-o, --output <file.mp4>', 'where to write the signed MP4')
    .option('--image <first.png>', 'first frame (image-to-video), or the first keyframe with --last')
    .option('--last <last.png>', 'last keyframe: interpolate from --image to this')
    .option('--extend <clip.mp4>', 'continue this clip from its last frames')
    .option('--restyle <clip.mp4>', 'redo this clip with the prompt')
    .option('--strength <s>', 'how much of --restyle to redo, 0.01..1 (default 0.6)', num('--strength'))
    .option('--frames <n>', 'frames to keep, up to the model clip length', num('--frames'))
    .option('--steps <n>', 'denoising steps (default: the model\'s)', num('--steps'))
    .option('--guidance <g>', 'classifier-free guidance scale (default: the model\'s)', num('--guidance'))
    .option('--guidance-interval <lo:hi>', 'guide only where the noise level t is in (lo, hi], the rest unguided; 0:1 guides every step (default: the model\'s)', interval)
    .option('--seed <n>', 'random seed; the same seed and inputs give the same frames', num('--seed'))
    .option('--sampler <name>', 'euler or heun')
    .option('--project <name>', 'project the clip is for (checked against consent conditions, recorded in the usage ledger)')
    .option('--json', 'print JSON')
    .action(async (prompt: string, _o, cmd: Command) => {
      const o = cmd.opts<{ model: string; output: string; image?: string; last?: string; extend?: string; restyle?: string; strength?: number; frames?: number; steps?: number; guidance?: number; guidanceInterval?: { lo: number; hi: number }; seed?: number; sampler?: string; project?: string }>();
      const progress = progressFor(cmd);
      // The workflow and the C2PA SDK load while the embedded database starts; the model itself loads
      // on a worker thread meanwhile when it is in the workspace (startEarlyModel).
      const loading = generation();
      const earlyModel = await startEarlyModel(cmd, o.model);
      const r = await withWorkspace(cmd, async (ws) => (await loading).generate(ws, {
        prompt, modelId: o.model, output: o.output, image: o.image, last: o.last, extend: o.extend, restyle: o.restyle, strength: o.strength,
        frames: o.frames, steps: o.steps, guidance: o.guidance, guidanceInterval: o.guidanceInterval, seed: o.seed, sampler: o.sampler, project: o.project,
      }, { actor: actor(), onProgress: progress.sink, earlyModel }), { mustExist: true }).finally(() => {
        progress.stop();
        return earlyModel?.close();
      });
      if (globals(cmd).json) return printJson(r);
      const w = (s: string) => process.stdout.write(`${s}\n`);
      const s = r.seconds;
      w(`wrote ${r.output} (${r.mode}, ${r.video.frames} frames ${r.video.width}×${r.video.height} @ ${r.video.fps} fps, seed ${r.params.seed}, ${r.params.steps} ${r.params.sampler} steps, ${guidanceText(r.params)})`);
      w(`  credentials ${r.credentials.state}, signed with the ${r.credentials.signer} key; generation ${r.generationId}`);
      w(`  time on ${r.device}: text ${(s.text * 1000).toFixed(0)} ms, sampling ${(s.sampling * 1000).toFixed(0)} ms (${r.modelCalls} model calls), decode ${(s.decode * 1000).toFixed(0)} ms; whole ${s.total.toFixed(2)} s`);
      if (r.deviceNote) w(`  note: ${r.deviceNote}`);
      for (const u of r.usage) w(`  likeness: ${u.personName} under consent ${u.consentId}, ${u.seconds.toFixed(2)} s${u.project ? ` for ${u.project}` : ''} (usage recorded)`);
      if (r.attribution.titles.length) w(`  attribution: ${r.attribution.titles.map((t) => `${t.title} ${(100 * t.share).toFixed(1)}%`).join(', ')}`);
      if (r.unknownWords.length) w(`  note: the model never saw these words in training: ${r.unknownWords.join(', ')}`);
    });

  program.command('verify <file>').description('check a file\'s content credentials and print its chain of custody')
    .option('--json', 'print JSON')
    .action(async (file: string, _o, cmd: Command) => {
      const g = globals(cmd);
      // Verifying needs no workspace; when there is one, its trust anchors and records are used.
      const home = resolveHome(g.workspace);
      const { verifyFile } = await generation();
      const r = existsSync(home) || g.db
        ? await withWorkspace(cmd, (ws) => verifyFile(ws, file))
        : await verifyFile(null, file);
      if (g.json) printJson(r);
      else printVerify(r);
      if (r.state === 'Invalid' || r.state === 'None') process.exitCode = 1;
    });

  program.command('attribution <output>').description('training clips and titles a generated output is attributed to (file or generation id)')
    .option('--json', 'print JSON')
    .action(async (output: string, _o, cmd: Command) => {
      const { showAttribution } = await generation();
      const r = await withWorkspace(cmd, (ws) => showAttribution(ws, output), { mustExist: true });
      if (globals(cmd).json) return printJson(r);
      process.stdout.write(`generation ${r.generationId} by model ${r.modelId} at ${r.createdAt}\n`);
      printTable(['title', 'share'], r.titles.map((t) => [t.title, `${(100 * t.share).toFixed(1)}%`]));
      process.stdout.write('\n');
      printTable(['rank', 'clip', 'shot', 'title', 'similarity', 'share'], r.clips.map((c) => [c.rank, c.clipId, c.shotId, c.title, c.similarity.toFixed(4), `${(100 * c.share).toFixed(1)}%`]));
    });

  program.command('usage').description('likeness usage ledger for one person: every generation that named them')
    .requiredOption('--person <id|name|alias>', 'person in the rights registry')
    .option('--from <YYYY-MM-DD>', 'first day (inclusive)').option('--to <YYYY-MM-DD>', 'last day (inclusive)')
    .option('--csv', 'print CSV').option('--json', 'print JSON')
    .action(async (_o, cmd: Command) => {
      const o = cmd.opts<{ person: string; from?: string; to?: string; csv?: boolean }>();
      const { likenessUsage } = await generation();
      const r = await withWorkspace(cmd, (ws) => likenessUsage(ws, o), { mustExist: true });
      if (globals(cmd).json) return printJson(r);
      const headers = ['at', 'generation', 'person', 'consent', 'seconds', 'project', 'model', 'output'];
      const rows = r.lines.map((l) => [l.at, l.generationId, l.personName, l.consentId, l.seconds.toFixed(3), l.project, l.modelId, l.output]);
      if (o.csv) return printCsv(headers, rows);
      printTable(headers, rows);
      process.stdout.write(`${r.person.name}: ${r.lines.length} generation${r.lines.length === 1 ? '' : 's'}, ${r.totalSeconds.toFixed(2)} s of likeness\n`);
    });

  program.command('royalties').description('attributed generated seconds per title over a period')
    .option('--from <YYYY-MM-DD>', 'first day (inclusive)').option('--to <YYYY-MM-DD>', 'last day (inclusive)')
    .option('--csv', 'print CSV').option('--json', 'print JSON')
    .action(async (_o, cmd: Command) => {
      const o = cmd.opts<{ from?: string; to?: string; csv?: boolean }>();
      const { royalties } = await generation();
      const r = await withWorkspace(cmd, (ws) => royalties(ws, o), { mustExist: true });
      if (globals(cmd).json) return printJson(r);
      const headers = ['title_id', 'title', 'generations', 'share_sum', 'attributed_seconds', 'fraction'];
      const rows = r.titles.map((t) => [t.titleId, t.title, t.generations, t.shares.toFixed(4), t.attributedSeconds.toFixed(3), t.fraction.toFixed(4)]);
      if (o.csv) return printCsv(headers, rows);
      printTable(headers, rows);
      process.stdout.write(`${r.generations} generations, ${r.generatedSeconds.toFixed(2)} s generated\n`);
    });
}
