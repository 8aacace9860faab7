// `backlot models ls|show|import|export`: the registry of the studio's models and their lineage.
import os from 'node:os';
import type { Command } from 'commander';
import { exportModel, importModel, listModels, showModel } from '@backlot/workflows/training';
import { globals, printJson, printTable, progressFor, withWorkspace } from '../context.js';

const actor = () => `cli:${os.userInfo().username}`;
const pct = (v: unknown) => (typeof v === 'number' ? `${(100 * v).toFixed(0)}%` : '-');

export function register(program: Command): void {
  const models = program.command('models').description('list, show, import and export models');

  models.command('ls').description('list registered models').option('--json', 'print JSON')
    .action(async (_o, cmd: Command) => {
      const rows = await withWorkspace(cmd, (ws) => listModels(ws), { mustExist: true });
      if (globals(cmd).json) return printJson(rows);
      printTable(['id', 'name', 'kind', 'preset', 'dataset', 'loss', 't2v colour/dir/bg', 'exported', 'tainted'], rows.map((m) => {
        const t2v = (m.adherence?.t2v ?? null) as Record<string, number> | null;
        return [m.id, m.name, m.kind, m.preset, m.datasetId, m.finalLoss?.toFixed(4), t2v ? `${pct(t2v.colour)}/${pct(t2v.direction)}/${pct(t2v.background)}` : '-', m.exported ? 'yes' : 'no', m.tainted ?? ''];
      }));
    });

  models.command('show <model>').description('one model: lineage, config, compute, curves, evaluation').option('--json', 'print JSON')
    .action(async (id: string, _o, cmd: Command) => {
      // Imported here: the generation module loads ONNX Runtime and the C2PA SDK.
      const { describeGenerationCost, generationCost } = await import('@backlot/workflows/generation');
      const [m, cost] = await withWorkspace(cmd, async (ws) => [await showModel(ws, id), await generationCost(ws.db, id)] as const, { mustExist: true });
      if (globals(cmd).json) return printJson({ ...m, generationCost: cost });
      const w = (s: string) => process.stdout.write(`${s}\n`);
      w(`model ${m.id}${m.name ? ` (${m.name})` : ''}  ${m.kind}, preset ${m.preset ?? '-'}`);
      if (m.tainted_reason) w(`  TAINTED: ${m.tainted_reason}`);
      w(`  path ${m.path}${m.export_path ? `\n  onnx ${m.export_path}` : ''}`);
      w('  lineage:');
      for (const d of m.lineage.datasets) w(`    dataset ${d.id}  merkleRoot ${d.merkleRoot}`);
      for (const b of m.lineage.bases) w(`    base ${b.modelId}${typeof b.card.trainedBy === 'string' ? `  trained by ${b.card.trainedBy}, licence ${String(b.card.licence)}` : ''}`);
      const c = m.compute as Record<string, unknown>;
      if (c.device) w(`  compute: ${String(c.device)}, ${Number(c.wallSeconds).toFixed(0)} s, ${String(c.samplesSeen)} samples, ~${Number(c.energyKwh).toFixed(4)} kWh`);
      const last = m.curves.at(-1);
      if (last) w(`  curve: ${m.curves.length} points, last step ${last.step} loss ${last.loss.toFixed(4)}`);
      w(`  ${describeGenerationCost(cost)}`);
      const e = m.eval as Record<string, unknown> | null;
      if (e) {
        w(`  eval: val loss ${Number(e.valLoss).toFixed(4)}, Fréchet ${Number(e.frechet).toFixed(3)} (${String(e.featuresVersion)})${e.aePsnr ? `, AE PSNR ${Number(e.aePsnr).toFixed(1)} dB` : ''}`);
        for (const [mode, a] of Object.entries((e.adherence ?? {}) as Record<string, Record<string, number> | null>)) {
          if (a) w(`    ${mode.padEnd(12)} colour ${pct(a.colour)}  shape ${pct(a.shape)}  direction ${pct(a.direction)}  background ${pct(a.background)}  all three ${pct(a.colourDirectionBackground)}  (n=${a.n})`);
        }
      }
    });

  models.command('import <weights>').description('import a licensed base model; its lineage card is required')
    .option('--card <file>', 'lineage card JSON: name, trainedBy, licence, data[{name, licence}]')
    .option('--name <name>', 'registry name').option('--json', 'print JSON')
    .action(async (weights: string, _o, cmd: Command) => {
      const o = cmd.opts<{ card?: string; name?: string }>();
      const m = await withWorkspace(cmd, (ws) => importModel(ws, { weights, card: o.card, name: o.name }, { actor: actor() }));
      if (globals(cmd).json) return printJson(m);
      process.stdout.write(`imported ${m.id} (${m.name})\n`);
    });

  models.command('export <model>').description('write ONNX files (text encoder, denoiser, autoencoder) + model.json + clip index')
    .option('--json', 'print JSON')
    .action(async (id: string, _o, cmd: Command) => {
      const progress = progressFor(cmd);
      const r = await withWorkspace(cmd, (ws) => exportModel(ws, id, { actor: actor(), onProgress: progress.sink }), { mustExist: true }).finally(() => progress.stop());
      if (globals(cmd).json) return printJson(r);
      process.stdout.write(`exported ${r.modelId} to ${r.path}\n`);
    });
}
