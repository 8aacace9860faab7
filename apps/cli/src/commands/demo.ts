// `backlot demo`: from nothing to a working studio in one command. It is a list of steps run in
// order (generate the demo films, ingest them, ...); later stages of Backlot append their own step
// to DEMO_STEPS and a line to the summary, so the demo always exercises the whole pipeline.
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { DEMO_MAX_FILMS, HELD_OUT, InputError, ToolError } from '@backlot/core';
import { resolveHome, openWorkspace, type Workspace } from '@backlot/adapters/workspace';
import { generateDemoLibrary, type DemoLibraryResult } from '@backlot/workflows/demo';
import { ingestPaths } from '@backlot/workflows/ingest';
import { globals, printJson } from '../context.js';
import { PIPELINE_STEPS } from './demo-pipeline.js';
import { createProgress, type ProgressRenderer } from '../progress.js';

const DemoFlags = z.object({
  out: z.string().min(1).optional(),
  films: z.coerce.number().int().min(1).max(DEMO_MAX_FILMS).default(DEMO_MAX_FILMS),
  seed: z.coerce.number().int().min(0).max(2 ** 31 - 1).default(1),
  filmSeconds: z.coerce.number().min(2).max(600).optional(),
  trainMinutes: z.coerce.number().min(0.1).max(24 * 60).default(10),
  trainSteps: z.coerce.number().int().min(1).max(10_000_000).optional(),
  until: z.string().optional(),
  serve: z.boolean().default(true),
  port: z.coerce.number().int().min(0).max(65535).default(7420),
  json: z.boolean().optional(),
});
type DemoFlags = z.infer<typeof DemoFlags>;

/** What the steps share: the flags, where things go, results so far, and the summary being built. */
export interface DemoContext {
  readonly cmd: Command;
  readonly flags: DemoFlags;
  readonly actor: string;
  readonly workspaceHome: string;
  readonly libraryDir: string;
  readonly progress: ProgressRenderer;
  /** Opens the workspace on first use; the command closes it at the end. */
  workspace(): Promise<Workspace>;
  library?: DemoLibraryResult;
  /** The dataset the demo built, and the model it trained, for the steps after them. */
  datasetName?: string;
  modelId?: string;
  /** Step results by step id, printed with --json. */
  readonly results: Record<string, unknown>;
  /** Human summary lines, printed at the end. */
  readonly summary: string[];
}

export interface DemoStep {
  id: string;
  title: string;
  run(ctx: DemoContext): Promise<void>;
}

const generateStep: DemoStep = {
  id: 'library',
  title: 'generate the demo films',
  async run(ctx) {
    const { films, seed, filmSeconds } = ctx.flags;
    const lib = await generateDemoLibrary(ctx.libraryDir, { films, seed, ...(filmSeconds ? { filmSeconds } : {}), onProgress: ctx.progress.sink });
    ctx.library = lib;
    const minutes = lib.films.reduce((s, f) => s + f.seconds, 0) / 60;
    const reused = lib.films.filter((f) => f.upToDate).length;
    ctx.results.library = {
      dir: lib.outDir,
      seed: lib.seed,
      films: lib.films.map(({ files: _files, ...f }) => f),
      shots: lib.shots,
      combos: lib.combos,
      trainingCombos: lib.trainingCombos,
      heldOut: HELD_OUT.length,
      seconds: lib.seconds,
      files: lib.files,
    };
    ctx.summary.push(
      `demo library  ${plural(lib.films.length, 'film')}, ${plural(lib.shots, 'shot')}, ${minutes.toFixed(1)} min of video in ${lib.outDir}` +
        `${reused ? ` (${reused} already up to date)` : ''} — ${lib.seconds.toFixed(1)} s`,
      `demo world    ${lib.combos} of ${lib.trainingCombos} training combinations shown, ${HELD_OUT.length} held out for evaluation (world.json)`,
    );
  },
};

const ingestStep: DemoStep = {
  id: 'ingest',
  title: 'ingest the demo films',
  async run(ctx) {
    const ws = await ctx.workspace();
    const report = await ingestPaths(ws, [ctx.libraryDir], { actor: ctx.actor, onProgress: ctx.progress.sink });
    const sum = (k: 'shots' | 'proxies') => report.files.reduce((s, f) => s + (f[k] ?? 0), 0);
    const fresh = report.files.filter((f) => f.status === 'ingested' || f.status === 'resumed' || f.status === 'updated').length;
    ctx.results.ingest = {
      ok: report.ok,
      failed: report.failed,
      shots: sum('shots'),
      proxies: sum('proxies'),
      seconds: report.seconds,
      files: report.files.map((f) => ({ path: f.path, status: f.status, title: f.title, shots: f.shots, proxies: f.proxies, error: f.error })),
    };
    ctx.summary.push(
      `ingest        ${plural(report.ok, 'film')} in the library (${fresh} new), ${plural(sum('shots'), 'shot')} detected, ${plural(sum('proxies'), 'training proxy')}` +
        `${report.failed ? `, ${report.failed} FAILED` : ''} — ${report.seconds.toFixed(1)} s`,
    );
    // The later steps stand on every film (the rights file names them all): one that did not go in stops
    // the demo here, naming it, rather than as a rights import that cannot find its title.
    const failed = report.files.filter((x) => x.error);
    if (failed.length) {
      const first = failed[0]!;
      const more = failed.length > 1 ? ` (and ${plural(failed.length - 1, 'other file')})` : '';
      const why = first.error!.message.startsWith(`${first.path}: `) ? first.error!.message.slice(first.path.length + 2) : first.error!.message;
      throw new ToolError('demo_ingest_failed', `${first.path}: ingest failed, so the demo stops here${more}: ${why}`, first.path);
    }
  },
};

function plural(n: number, noun: string): string {
  return `${n} ${n === 1 ? noun : noun.endsWith('y') ? `${noun.slice(0, -1)}ies` : `${noun}s`}`;
}

/** The demo, in order. Later issues append their steps here (rights import, dataset, training, ...). */
export const DEMO_STEPS: DemoStep[] = [generateStep, ingestStep, ...PIPELINE_STEPS];

const DEMO_STEP_IDS = ['library', 'ingest', 'rights', 'dataset', 'train', 'generate', 'serve'].join(', ');

export function register(program: Command): void {
  program
    .command('demo')
    .description('generate the demo library (a small synthetic film world with screenplays, subtitles, cast lists, cue sheets and exact ground truth) and run every demo step on it')
    .option('--out <dir>', 'where to write the demo films (default: <workspace>/demo-library)')
    .option('--films <n>', `how many films, 1 to ${DEMO_MAX_FILMS}`, String(DEMO_MAX_FILMS))
    .option('--seed <n>', 'seed of the generated world (same seed, same films)', '1')
    .option('--film-seconds <s>', 'make every film about this long instead of 30-90 s (quick tries)')
    .option('--train-minutes <m>', 'how long the demo trains its tiny model', '10')
    .option('--train-steps <n>', 'stop training after this many steps even if time is left')
    .option('--until <step>', `stop after this step (${DEMO_STEP_IDS})`)
    .option('--no-serve', 'do not start the server at the end')
    .option('--port <port>', 'port for the server the demo starts', '7420')
    .option('--json', 'print what was made as JSON')
    .action(async (raw: Record<string, unknown>, cmd: Command) => {
      const parsed = DemoFlags.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const key = String(issue.path[0]);
        const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
        throw new InputError('bad_flag', `${flag}: ${issue.message} (got ${String(raw[key])})`, flag);
      }
      const flags = parsed.data;
      const last = flags.until ? DEMO_STEPS.findIndex((s) => s.id === flags.until) : DEMO_STEPS.length - 1;
      if (last < 0) throw new InputError('bad_flag', `--until ${flags.until}: not a demo step (${DEMO_STEP_IDS})`, '--until');
      const g = globals(cmd);
      const workspaceHome = resolveHome(g.workspace);
      let ws: Workspace | undefined;
      const progress = createProgress({ json: flags.json });
      const ctx: DemoContext = {
        cmd,
        flags,
        actor: `cli:${userInfo().username}`,
        workspaceHome,
        libraryDir: flags.out ? resolve(flags.out) : join(workspaceHome, 'demo-library'),
        progress,
        workspace: async () => (ws ??= await openWorkspace({ home: g.workspace, databaseUrl: g.db, command: 'backlot demo' })),
        results: {},
        summary: [],
      };
      const t0 = Date.now();
      try {
        for (const step of DEMO_STEPS.slice(0, last + 1)) await step.run(ctx);
      } finally {
        progress.stop();
        await ws?.close();
      }
      const seconds = (Date.now() - t0) / 1000;
      if (flags.json) {
        printJson({ workspace: workspaceHome, steps: DEMO_STEPS.slice(0, last + 1).map((s) => s.id), ...ctx.results, seconds });
        return;
      }
      if (ctx.summary.length) process.stdout.write(`${ctx.summary.join('\n')}\n`);
      process.stdout.write(`demo done in ${seconds.toFixed(1)} s\n`);
    });
}
