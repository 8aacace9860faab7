// `backlot doctor`: checks the workspace's consistency and the tools Backlot needs.
import type { Command } from 'commander';
import { runDoctor } from '@backlot/workflows/library';
import { globals, printJson, withWorkspace } from '../context.js';

export function register(program: Command): void {
  program
    .command('doctor')
    .description('check the workspace (stored files present and intact, no half-finished ingest) and the tools Backlot runs')
    .option('--json', 'print JSON')
    .action(async (_opts: unknown, cmd: Command) => {
      const r = await withWorkspace(cmd, (ws) => runDoctor(ws), { mustExist: true });
      if (globals(cmd).json) printJson(r);
      else {
        const out = (s: string) => process.stdout.write(`${s}\n`);
        out(`workspace ${r.workspace} (${r.database})`);
        for (const c of r.checks) {
          out(`${c.ok ? 'ok  ' : c.level === 'error' ? 'FAIL' : 'warn'}  ${c.name} (${c.checked} checked)`);
          for (const p of c.problems) out(`        ${p}`);
        }
        for (const t of r.tools) {
          out(`${t.ok ? 'ok  ' : 'FAIL'}  ${t.tool}${t.version ? `: ${t.version}` : ''}${t.ok ? '' : ` — ${t.problem}; needed for ${t.neededFor}; install: ${t.fix}`}`);
        }
        out(r.ok ? 'workspace is healthy' : 'problems found (see above)');
      }
      if (!r.ok) process.exitCode = 1;
    });
}
