// `backlot contact-sheet TITLE -o sheet.jpg`: a grid of a title's keyframes with timecodes and transitions.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { InputError } from '@backlot/core';
import { contactSheet } from '@backlot/workflows/library';
import { globals, printJson, withWorkspace } from '../context.js';

const Flags = z.object({
  output: z.string().regex(/\.(jpe?g|png)$/i, '-o must name a .jpg or .png file'),
  columns: z.coerce.number().int().min(1).max(40).default(6),
  width: z.coerce.number().int().min(64).max(1920).default(240),
});

export function register(program: Command): void {
  program
    .command('contact-sheet')
    .description("draw a title's keyframes as a grid, labelled with shot number, timecode and how each shot begins")
    .argument('<title>', 'title name or id')
    .requiredOption('-o, --output <file>', 'image to write (.jpg or .png)')
    .option('--columns <n>', 'keyframes per row (default 6)')
    .option('--width <px>', 'width of each keyframe cell (default 240)')
    .option('--json', 'print JSON')
    .action(async (ref: string, raw: unknown, cmd: Command) => {
      const parsed = Flags.safeParse(raw);
      if (!parsed.success) throw new InputError('bad_flags', parsed.error.issues[0]?.message ?? 'invalid flags');
      const f = parsed.data;
      const r = await withWorkspace(cmd, (ws) => contactSheet(ws, ref, resolve(f.output), { columns: f.columns, cellWidth: f.width }), { mustExist: true });
      if (globals(cmd).json) printJson(r);
      else process.stdout.write(`wrote ${r.path}: ${r.shots} shots of "${r.title}" in ${r.columns}x${r.rows} (${r.width}x${r.height} px)\n`);
    });
}
