// `backlot dataset build|ls|show|verify|diff`: immutable, rights-checked training snapshots.
import os from 'node:os';
import type { Command } from 'commander';
import { z } from 'zod';
import { InputError } from '@backlot/core';
import { assertVerified, buildDataset, diffDatasets, listDatasets, showDataset, verifyDataset } from '@backlot/workflows/datasets';
import { printJson, printTable, progressFor, withWorkspace, globals } from '../context.js';

const actor = () => `cli:${os.userInfo().username}`;

const number = (flag: string, schema: z.ZodNumber) =>
  z.string().optional().transform((v, ctx) => {
    if (v === undefined) return undefined;
    const parsed = schema.safeParse(Number(v));
    if (v.trim() === '' || !parsed.success) {
      ctx.addIssue({ code: 'custom', message: `${flag} ${v}: ${parsed.success ? 'not a number' : parsed.error.issues[0]?.message}` });
      return z.NEVER;
    }
    return parsed.data;
  });

const BuildFlags = z.object({
  purpose: z.enum(['video', 'audio']).default('video'),
  minSeconds: number('--min-seconds', z.number().min(0)),
  maxPerTitle: number('--max-per-title', z.number().int().min(1)),
  valFraction: number('--val-fraction', z.number().min(0).lt(1)),
  shardSize: number('--shard-size', z.number().int().min(1)),
  shardFps: number('--shard-fps', z.number().int().min(1).max(120)),
  shardFrames: number('--shard-frames', z.number().int().min(1).max(4096)),
  asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'use a day like 2026-11-25').optional(),
});

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const flag = issue.path.length ? `--${String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : 'input';
    throw new InputError('bad_flag', issue.message.startsWith('--') ? issue.message : `${flag}: ${issue.message}`, flag);
  }
  return r.data;
}

const percent = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(0)}%` : '-');

export function register(program: Command): void {
  const dataset = program.command('dataset').description('build, list, show, verify and compare training dataset snapshots');

  dataset
    .command('build <name>')
    .description('snapshot every shot the rights policy allows: manifest, exclusions with reasons, shards, Merkle root')
    .option('--purpose <purpose>', 'what the data trains: video | audio', 'video')
    .option('--min-seconds <s>', 'leave out shots shorter than this')
    .option('--max-per-title <n>', 'at most this many clips per title (the first by shot id)')
    .option('--val-fraction <f>', 'share of titles held out for validation (default 0.1)')
    .option('--shard-size <n>', 'records per shard file (default 64)')
    .option('--shard-fps <n>', 'frame rate of the stored clips (default 12)')
    .option('--shard-frames <n>', 'most frames stored per clip (default 48)')
    .option('--as-of <day>', 'judge rights as of this day (default today)')
    .option('--json', 'print the snapshot as JSON')
    .action(async (name: string, _opts, cmd: Command) => {
      const f = parse(BuildFlags, cmd.opts());
      const progress = progressFor(cmd);
      const r = await withWorkspace(cmd, (ws) =>
        buildDataset(ws, {
          name, purpose: f.purpose, minSeconds: f.minSeconds, maxPerTitle: f.maxPerTitle ?? null, valFraction: f.valFraction, shardSize: f.shardSize, asOf: f.asOf,
          shardSpec: { ...(f.shardFps ? { fps: f.shardFps } : {}), ...(f.shardFrames ? { maxFrames: f.shardFrames } : {}) },
        }, { actor: actor(), onProgress: progress.sink }),
      ).finally(() => progress.stop());
      if (globals(cmd).json) return printJson({ ...r.snapshot, path: r.path, excludedByRule: r.exclusionsByRule });
      const s = r.snapshot;
      const total = s.counts.train + s.counts.val + s.counts.excluded;
      process.stdout.write(`dataset ${s.name} built: ${s.id}\n  ${r.path}\n`);
      process.stdout.write(`  merkleRoot ${s.merkleRoot}  (policy ${s.policyVersion}, purpose ${s.purpose})\n`);
      process.stdout.write(`  ${s.counts.train} train + ${s.counts.val} val clips from ${s.titles.train.length} + ${s.titles.val.length} titles; ${s.counts.excluded} of ${total} shots excluded (${percent(s.counts.excluded, total)})\n`);
      const rules = Object.entries(r.exclusionsByRule).sort((a, b) => b[1] - a[1]);
      if (rules.length) {
        process.stdout.write('  left out, by rule (see exclusions.jsonl for each shot and the record that decided it):\n');
        for (const [rule, n] of rules) process.stdout.write(`    ${String(n).padStart(7)}  ${rule}\n`);
      }
    });

  dataset
    .command('ls')
    .description('list dataset snapshots, newest first')
    .option('--json', 'print JSON')
    .action(async (_opts, cmd: Command) => {
      const rows = await withWorkspace(cmd, (ws) => listDatasets(ws), { mustExist: true });
      if (globals(cmd).json) return printJson(rows);
      if (!rows.length) return void process.stdout.write('no datasets yet: run `backlot dataset build NAME`\n');
      printTable(['NAME', 'ID', 'CREATED', 'PURPOSE', 'TRAIN', 'VAL', 'EXCLUDED', 'ROOT', 'TAINTED'], rows.map((d) => [d.name, d.id, d.createdAt.slice(0, 19).replace('T', ' '), d.purpose, d.counts.train, d.counts.val, d.counts.excluded, d.merkleRoot.slice(0, 16), d.tainted ?? '']));
    });

  dataset
    .command('show <name>')
    .description('one snapshot: root, counts, titles per split, exclusions by rule, taints')
    .option('--json', 'print JSON')
    .action(async (name: string, _opts, cmd: Command) => {
      const d = await withWorkspace(cmd, (ws) => showDataset(ws, name), { mustExist: true });
      if (globals(cmd).json) return printJson(d);
      const w = (s: string) => process.stdout.write(`${s}\n`);
      w(`${d.name}  ${d.id}`);
      w(`  path        ${d.path}`);
      w(`  created     ${d.createdAt} by ${d.createdBy}`);
      w(`  purpose     ${d.purpose}, rights as of ${d.snapshot.params.asOf}, policy ${d.policyVersion}`);
      w(`  merkleRoot  ${d.merkleRoot}`);
      w(`  shards      ${d.snapshot.shards.length} files, ${d.snapshot.shardSpec.width}x${d.snapshot.shardSpec.height} RGB at ${d.snapshot.shardSpec.fps} fps, up to ${d.snapshot.shardSpec.maxFrames} frames per clip`);
      w(`  clips       ${d.counts.train} train, ${d.counts.val} val; ${d.counts.excluded} shots excluded`);
      if (d.tainted) w(`  TAINTED     ${d.tainted}`);
      for (const t of d.taints) w(`    ${t.at}  ${t.cause}: ${t.reason} (${t.clipCount} clips)`);
      if (d.titles.length) {
        w('  titles:');
        printTable(['    TITLE', 'SPLIT', 'CLIPS'], d.titles.map((t) => [`    ${t.titleId}`, t.split, t.clips]));
      }
      const rules = Object.entries(d.excludedByRule).sort((a, b) => b[1] - a[1]);
      if (rules.length) {
        w('  excluded by rule:');
        for (const [rule, n] of rules) w(`    ${String(n).padStart(7)}  ${rule}`);
      }
    });

  dataset
    .command('verify <name>')
    .description('recompute the Merkle root from the stored files and re-hash every shard; fails naming what changed')
    .option('--json', 'print JSON (exit status 1 when verification fails)')
    .action(async (name: string, _opts, cmd: Command) => {
      const r = await withWorkspace(cmd, (ws) => verifyDataset(ws, name), { mustExist: true });
      if (globals(cmd).json) {
        printJson(r);
        if (!r.ok) process.exitCode = 1;
        return;
      }
      if (r.ok) {
        process.stdout.write(`dataset ${r.name} (${r.id}) verified: ${r.clips} clips, ${r.exclusions} exclusions, ${r.shards} shards; merkleRoot ${r.merkleRoot}\n`);
        return;
      }
      for (const p of r.problems) process.stderr.write(`  ${p.file}${p.line ? `:${p.line}` : ''}${p.shotId ? ` [shot ${p.shotId}]` : ''}: ${p.message}\n`);
      assertVerified(r);
    });

  dataset
    .command('diff <a> <b>')
    .description('what entered and left between snapshot A and snapshot B, and why')
    .option('--limit <n>', 'list at most this many changes (default 200)')
    .option('--json', 'print JSON')
    .action(async (a: string, b: string, _opts, cmd: Command) => {
      const limit = parse(z.object({ limit: number('--limit', z.number().int().min(0)) }), cmd.opts()).limit ?? 200;
      const d = await withWorkspace(cmd, (ws) => diffDatasets(ws, a, b, { limit }), { mustExist: true });
      if (globals(cmd).json) return printJson(d);
      const w = (s: string) => process.stdout.write(`${s}\n`);
      w(`${d.from.name} (${d.from.id}) -> ${d.to.name} (${d.to.id})`);
      if (d.from.policyVersion !== d.to.policyVersion) w(`  policy ${d.from.policyVersion} -> ${d.to.policyVersion}`);
      w(`  ${d.entered} entered, ${d.left} left, ${d.changed} changed`);
      for (const [rule, n] of Object.entries(d.leftByRule).sort((x, y) => y[1] - x[1])) w(`    left because ${rule}: ${n}`);
      for (const c of d.changes) {
        if (c.kind === 'entered') w(`  + ${c.shotId} (${c.titleId}, ${c.split}): ${c.why}`);
        else if (c.kind === 'left') w(`  - ${c.shotId} (${c.titleId}): ${c.why}`);
        else w(`  ~ ${c.shotId} (${c.titleId}): ${c.fields.join(', ')} changed`);
      }
      if (d.truncated) w(`  ... more changes not listed (use --limit or --json)`);
    });
}
