// `backlot train`: train the studio's model on a dataset snapshot (or resume a run), with a progress bar.
import os from 'node:os';
import type { Command } from 'commander';
import { z } from 'zod';
import { InputError } from '@backlot/core';
import { PRESETS, resumeTraining, trainModel } from '@backlot/workflows/training';
import { globals, printJson, progressFor, withWorkspace } from '../context.js';
import { parseFlags, wholeNumber } from '../flags.js';

const actor = () => `cli:${os.userInfo().username}`;

const Flags = z.object({
  dataset: z.string().min(1).optional(),
  preset: z.enum(PRESETS).default('tiny'),
  steps: wholeNumber('--steps'),
  minutes: z.string().optional().transform((v, ctx) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!(n > 0)) { ctx.addIssue({ code: 'custom', message: `--minutes ${v}: must be a number > 0` }); return z.NEVER; }
    return n;
  }),
  resume: z.string().optional(),
  initFrom: z.string().optional(),
  lora: wholeNumber('--lora'),
  nproc: wholeNumber('--nproc'),
  previewEvery: wholeNumber('--preview-every'),
  seed: wholeNumber('--seed', 0, 2 ** 31 - 1),
  name: z.string().optional(),
  set: z.array(z.string()).default([]).superRefine((sets, ctx) => {
    const bad = sets.find((s) => !/^[a-z][a-z0-9_]*=\S+$/.test(s));
    if (bad !== undefined) ctx.addIssue({ code: 'custom', message: `--set ${bad}: give field=value, e.g. --set compile=true` });
  }),
});

export function register(program: Command): void {
  program
    .command('train')
    .description('train the studio\'s video model on a dataset snapshot; registers a model when the run finishes')
    .option('--dataset <name>', 'dataset snapshot name or id')
    .option('--preset <preset>', `model size: ${PRESETS.join(' | ')}`, 'tiny')
    .option('--steps <n>', 'optimizer steps (default: the preset\'s)')
    .option('--minutes <m>', 'stop after this many minutes and register what was reached')
    .option('--resume <run>', 'continue a failed or killed run from its last checkpoint')
    .option('--init-from <model>', 'start from a registered model (full fine-tune, or LoRA with --lora)')
    .option('--lora <rank>', 'train LoRA adapters of this rank on top of --init-from')
    .option('--nproc <n>', 'DDP processes on this machine (torchrun)')
    .option('--seed <n>', 'random seed (data order, noise)')
    .option('--preview-every <steps>', 'also write a preview grid every N steps (always: at the start and the end)')
    .option('--set <field=value>', 'override a preset field, repeatable (docs/model.md: e.g. --set compile=true on a GPU)',
      (v: string, prev: string[] = []) => [...prev, v])
    .option('--name <name>', 'a name for the model')
    .option('--json', 'print the registered model as JSON')
    .action(async (_opts, cmd: Command) => {
      const f = parseFlags(Flags, cmd.opts());
      if (!f.resume && !f.dataset) throw new InputError('missing_dataset', 'give --dataset NAME (or --resume RUN)', '--dataset');
      if (f.resume && f.set.length) throw new InputError('bad_flag', `--set ${f.set[0]}: a resumed run keeps the preset it started with; start a new run to change it`, '--set');
      const progress = progressFor(cmd);
      const ac = new AbortController();
      const stop = () => ac.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const result = await withWorkspace(cmd, (ws) => f.resume
        ? resumeTraining(ws, f.resume, { steps: f.steps }, { actor: actor(), onProgress: progress.sink, signal: ac.signal })
        : trainModel(ws, { dataset: f.dataset!, preset: f.preset, steps: f.steps, minutes: f.minutes, initFrom: f.initFrom, lora: f.lora, nproc: f.nproc, seed: f.seed, name: f.name, previewEvery: f.previewEvery, overrides: f.set },
          { actor: actor(), onProgress: progress.sink, signal: ac.signal }), { mustExist: true })
        .finally(() => { progress.stop(); process.off('SIGINT', stop); process.off('SIGTERM', stop); });
      if (globals(cmd).json) return printJson(result);
      const m = result.model;
      const previews = result.previews.map((pv) => `\n    step ${pv.step}: ${pv.path}`).join('');
      process.stdout.write(`model ${m.id} registered (run ${result.runId})\n  preset ${m.preset}, dataset ${m.datasetId} (merkleRoot ${m.datasetRoot})\n  final loss ${m.finalLoss?.toFixed(4) ?? '-'}\n` +
        (previews ? `  previews (generations from held-out captions above the real clips):${previews}\n` : '') +
        `  next: backlot eval ${m.id}   backlot models export ${m.id}\n`);
    });
}
