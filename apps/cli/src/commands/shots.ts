// `backlot shots FILE`: single-pass shot analysis of one file, no workspace. Its JSON is a stable
// contract (fps, frameCount, shots[index,startFrame,endFrame,start,end,transitionIn]).
import { basename } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { InputError, shotList, shotsToCsv, shotsToEdl, timecode } from '@backlot/core';
import { analyzeShots } from '@backlot/adapters/ffmpeg';
import { printJson, printTable, progressFor } from '../context.js';

const Options = z.object({
  json: z.boolean().optional(),
  format: z.enum(['table', 'json', 'edl', 'csv']).optional(),
  measures: z.boolean().optional(),
  analysisWidth: z.coerce.number().int().min(64).max(1024).optional(),
});

export function register(program: Command): void {
  program
    .command('shots')
    .description('find the shots of a video file (cuts, dissolves, fades, wipes) without a workspace')
    .argument('<file>', 'video file')
    .option('--json', 'print JSON (same as --format json)')
    .option('--format <format>', 'table | json | edl (CMX3600) | csv')
    .option('--measures', 'add per-shot measures (keyframe, luma, sharpness, motion, black, letterbox, pHash) to json/csv/table')
    .option('--analysis-width <px>', 'analysis frame width, a multiple of 64 (default 128)')
    .action(async (file: string, raw: unknown, cmd: Command) => {
      const parsed = Options.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new InputError('bad_option', `--${String(issue.path[0] ?? 'option').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${issue.message}`);
      }
      const opts = parsed.data;
      const format = opts.json ? 'json' : (opts.format ?? 'table');
      const progress = progressFor(cmd);
      let analysis;
      try {
        analysis = await analyzeShots(file, { onProgress: progress.sink, analysisWidth: opts.analysisWidth });
      } finally {
        progress.stop();
      }
      if (format === 'json') return printJson(shotList(analysis, { measures: opts.measures }));
      if (format === 'edl') return void process.stdout.write(shotsToEdl(analysis, basename(file)));
      if (format === 'csv') return void process.stdout.write(shotsToCsv(analysis, { measures: opts.measures }));
      const head = ['SHOT', 'FIRST', 'LAST', 'START', 'END', 'IN'];
      const extra = opts.measures ? ['KEY', 'LUMA', 'SHARP', 'MOTION', 'FLAGS', 'PHASH'] : [];
      printTable(
        [...head, ...extra],
        analysis.shots.map((s) => [
          s.index,
          s.startFrame,
          s.endFrame,
          timecode(s.startFrame, analysis.fps),
          timecode(s.endFrame + 1, analysis.fps),
          s.transitionIn + (s.transitionFrames ? ` (${s.transitionFrames})` : ''),
          ...(opts.measures
            ? [s.keyframe, s.meanLuma.toFixed(0), s.sharpness.toFixed(0), s.motion.toFixed(1), [s.isBlack ? 'black' : '', s.letterbox ? 'letterbox' : ''].filter(Boolean).join(','), s.phash]
            : []),
        ]),
      );
      process.stdout.write(`${analysis.shots.length} shots, ${analysis.frameCount} frames at ${analysis.fps} fps\n`);
    });
}
