// `backlot eval MODEL`: validation loss, autoencoder PSNR, Fréchet distance, temporal consistency and
// demo-world prompt adherence per mode; the figures are stored with the model.
import os from 'node:os';
import type { Command } from 'commander';
import { z } from 'zod';
import { evaluateModel } from '@backlot/workflows/training';
import { globals, guidanceText, printJson, progressFor, withWorkspace } from '../context.js';
import { parseFlags, wholeNumber } from '../flags.js';

const Flags = z.object({
  steps: wholeNumber('--steps', 1, 200),
  maxPrompts: wholeNumber('--max-prompts', 1, 10_000),
  samples: wholeNumber('--samples', 1, 16),
  world: z.string().optional(),
  grid: z.string().optional(),
});

const num = (v: unknown, d: number) => (typeof v === 'number' ? v.toFixed(d) : '-');
/** " (by latent frame 31.2 / 29.0 / ...)" where the record has the figures (evaluations before 2026-12-05 do not). */
const byLatent = (v: unknown) => (Array.isArray(v) && v.length > 1 ? ` (by latent frame ${v.map((x) => num(x, 1)).join(' / ')})` : '');
const pct = (v: unknown) => (typeof v === 'number' ? `${(100 * v).toFixed(0)}%` : '-');
/** A figure with its 95 % interval, e.g. `38% (27-50)`, when the evaluation gave one. */
const pctCi = (a: Record<string, unknown>, key: string) => {
  const ci = (a.ci95 as Record<string, [number, number]> | undefined)?.[key];
  return ci ? `${pct(a[key])} (${(100 * ci[0]).toFixed(0)}-${(100 * ci[1]).toFixed(0)})` : pct(a[key]);
};

/** `captionReliance` as trainer.evaluate writes it: per cent the error rises, one figure per noise level `t`. */
interface CaptionReliance { t: number[]; clips: number; colour: number[]; shape: number[]; direction: number[]; noCaption: number[] }

/** What `backlot eval` prints for an evaluation record (the figures `trainer.evaluate` wrote), a line each. */
export function evaluationReport(e: Record<string, unknown>): string[] {
  const out: string[] = [];
  const w = (s: string) => out.push(s);
  w(`val loss ${Number(e.valLoss).toFixed(4)}   Fréchet ${num(e.frechet, 3)} (real-vs-real ${num(e.frechetRealHalves, 3)}, ${String(e.featuresVersion)})   AE PSNR ${e.aePsnr ? `${Number(e.aePsnr).toFixed(1)} dB${byLatent(e.aePsnrByLatentFrame)}` : '- (pixel space)'}`);
  const attrs = (a: Record<string, number>) => `colour ${pct(a.colour)}  shape ${pct(a.shape)}  direction ${pct(a.direction)}  background ${pct(a.background)}`;
  const onReal = e.analyserOnReal as Record<string, number> | null | undefined;
  const onRec = e.analyserOnReconstruction as Record<string, number> | null | undefined;
  if (onReal) w(`the analyser${e.analyserVersion ? ` (${String(e.analyserVersion)})` : ''} on the real held-out clips: ${attrs(onReal)}${onRec ? `; on the autoencoder's reconstructions of them (the ceiling for this model): ${attrs(onRec)}` : ''}`);
  const rel = e.captionReliance as CaptionReliance | null | undefined;
  if (rel) {
    const rise = (v: number[]) => v.map((x) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}%`).join(' / ');
    w(`what each word steers (the denoiser's error with the word swapped, against its own caption's, at noise ${rel.t.join(' / ')}; ${rel.clips} held-out clips): colour ${rise(rel.colour)}  shape ${rise(rel.shape)}  direction ${rise(rel.direction)}  no caption at all ${rise(rel.noCaption)}`);
  }
  const chance = e.chance as Record<string, number>;
  w(`adherence on held-out captions (chance: colour ${pct(chance.colour)}, shape ${pct(chance.shape)}, direction ${pct(chance.direction)}, background ${pct(chance.background)}, all three ${pct(chance.colourDirectionBackground)}):`);
  const sampler = e.sampler as { steps?: number; guidance?: number; guidanceInterval?: unknown } | undefined;
  const how = sampler ? `; generated with ${String(sampler.steps)} Euler steps, ${guidanceText(sampler)}` : '';
  w(`  (each figure with its 95% interval; n = prompts x samples per prompt${how})`);
  for (const [mode, a] of Object.entries(e.adherence as Record<string, Record<string, number> | null>)) {
    if (!a) continue;
    const figs = ['colour', 'shape', 'direction', 'background'].map((k) => `${k} ${pctCi(a, k)}`).join('  ');
    w(`  ${mode.padEnd(15)} ${figs}  all three ${pctCi(a, 'colourDirectionBackground')}  (n=${a.n}x${a.samplesPerPrompt ?? 1})`);
    const confusion = (a as Record<string, unknown>).shapeConfusion as Record<string, Record<string, number>> | undefined;
    if (confusion) w(`  ${''.padEnd(15)} shapes read as: ${Object.entries(confusion).map(([asked, read]) => `${asked} -> ${Object.entries(read).map(([r, n]) => `${r} ${n}`).join(', ')}`).join('; ')}`);
  }
  return out;
}

export function register(program: Command): void {
  program.command('eval <model>').description('evaluate a model on its dataset\'s held-out clips and store the figures')
    .option('--steps <n>', 'sampler steps (default 20)')
    .option('--max-prompts <n>', 'held-out prompts per mode (default 48)')
    .option('--samples <n>', 'generations per prompt and mode, each from its own noise (default 4; 1 is quicker and noisier)')
    .option('--world <file>', 'world.json of the demo library (default: the dataset\'s or the built-in world)')
    .option('--grid <file.mp4>', 'also write an MP4 grid: generations above real held-out clips')
    .option('--json', 'print JSON')
    .action(async (id: string, _o, cmd: Command) => {
      const o = parseFlags(Flags, cmd.opts());
      const progress = progressFor(cmd);
      const e = await withWorkspace(cmd, (ws) => evaluateModel(ws, { model: id, ...o },
        { actor: `cli:${os.userInfo().username}`, onProgress: progress.sink }), { mustExist: true }).finally(() => progress.stop());
      if (globals(cmd).json) return printJson(e);
      for (const line of evaluationReport(e)) process.stdout.write(`${line}\n`);
    });
}
