// `backlot ingest PATH...`: films into the library as measured shots (see @backlot/workflows/ingest).
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { InputError } from '@backlot/core';
import { ingestPaths, type IngestFileReport } from '@backlot/workflows/ingest';
import { globals, printJson, progressFor, withWorkspace } from '../context.js';

const IngestFlags = z.object({
  title: z.string().trim().min(1, '--title must not be empty').optional(),
  copy: z.boolean().optional(),
  subs: z.string().min(1).optional(),
  script: z.string().min(1).optional(),
  proxySize: z.coerce.number().int('--proxy-size must be a whole number').min(16).max(4096).optional(),
  proxyFps: z.coerce.number().positive().max(120).optional(),
  json: z.boolean().optional(),
});

function describe(f: IngestFileReport): string {
  const shots = `${f.shots ?? 0} shots, ${f.proxies ?? 0} proxies${f.proxiesSkipped ? ` (${f.proxiesSkipped} skipped: black or too short)` : ''}`;
  const dups = f.duplicates ? `, ${f.duplicates} near-duplicates` : '';
  const docs = f.sidecars.filter((s) => s.attached).map((s) => `${s.kind} (${s.records})`);
  const attached = docs.length ? `; attached ${docs.join(', ')}` : '';
  return `${f.status.padEnd(9)} ${f.path} -> "${f.title}": ${shots}${dups}${attached} [${f.seconds.toFixed(1)} s]`;
}

export function register(program: Command): void {
  program
    .command('ingest')
    .description('add video files or folders (recursively) to the library: probe, hash, shots, keyframes, near-duplicates, sidecar documents, training proxies')
    .argument('<paths...>', 'video files or folders')
    .option('--title <name>', 'title for these files (default: embedded title tag, else file name)')
    .option('--copy', 'also keep a copy of each original in the workspace store')
    .option('--subs <file>', 'subtitles (.srt/.vtt) for the film, instead of a same-name sidecar')
    .option('--script <file>', 'Fountain screenplay for the film, instead of a same-name sidecar')
    .option('--proxy-size <px>', 'short side of training proxies in pixels (default 256)')
    .option('--proxy-fps <fps>', 'frame rate of training proxies (default 24)')
    .option('--json', 'print the per-file report as JSON')
    .action(async (paths: string[], raw: unknown, cmd: Command) => {
      const parsed = IngestFlags.safeParse({ ...(raw as object), json: globals(cmd).json });
      if (!parsed.success) throw new InputError('bad_flags', parsed.error.issues[0]?.message ?? 'invalid flags');
      const flags = parsed.data;
      const progress = progressFor(cmd);
      const abort = new AbortController();
      const onSignal = () => abort.abort(new InputError('interrupted', 'ingest interrupted: run the same command again to finish'));
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const report = await withWorkspace(cmd, (ws) =>
          ingestPaths(ws, paths, {
            actor: `cli:${userInfo().username}`,
            onProgress: progress.sink,
            signal: abort.signal,
            title: flags.title,
            copy: flags.copy,
            subs: flags.subs ? resolve(flags.subs) : undefined,
            script: flags.script ? resolve(flags.script) : undefined,
            proxy: { ...(flags.proxySize ? { shortSide: flags.proxySize } : {}), ...(flags.proxyFps ? { fps: flags.proxyFps } : {}) },
          }),
        ).catch((e: unknown) => {
          throw abort.signal.aborted ? abort.signal.reason : e;
        });
        progress.stop();
        if (flags.json) printJson(report);
        else {
          for (const f of report.files) if (f.status !== 'failed') process.stdout.write(`${describe(f)}\n`);
          process.stdout.write(`${report.ok} ok, ${report.failed} failed in ${report.seconds.toFixed(1)} s\n`);
        }
        for (const f of report.files) if (f.error) process.stderr.write(`backlot: ${f.error.message}\n`);
        if (report.failed > 0) process.exitCode = 1;
      } finally {
        progress.stop();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
