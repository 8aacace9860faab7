// `backlot audit verify|ls`: check the hash-chained audit log and read it.
import type { Command } from 'commander';
import { z } from 'zod';
import { InputError } from '@backlot/core';
import { listAudit, verifyAudit } from '@backlot/workflows/audit';
import { globals, printJson, printTable, withWorkspace } from '../context.js';

const w = (s: string) => process.stdout.write(`${s}\n`);

const LsFlags = z.object({
  actor: z.string().min(1).optional(),
  action: z.string().min(1).optional(),
  subject: z.string().min(1).optional(),
  since: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'use an ISO date or time, e.g. 2026-11-25 or 2026-11-25T14:00:00Z').optional(),
  until: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'use an ISO date or time').optional(),
  limit: z.coerce.number().int().min(1).max(100000).default(50),
});

export function register(program: Command): void {
  const audit = program.command('audit').description('the hash-chained audit log of every rights change, import, revocation, dataset build, training run and generation');

  audit
    .command('verify')
    .description('re-derive every hash in order; exits 1 and names the first entry that was edited, inserted or deleted')
    .option('--json', 'print JSON')
    .action(async (_opts, cmd: Command) => {
      const v = await withWorkspace(cmd, (ws) => verifyAudit(ws.db), { mustExist: true });
      if (globals(cmd).json) printJson(v);
      else if (v.ok) w(`audit log intact: ${v.entries} entries, head ${v.headSeq} ${v.headHash}`);
      else w(`audit log BROKEN at entry ${v.firstProblem!.seq} (${v.firstProblem!.kind}): ${v.firstProblem!.message}`);
      if (!v.ok) process.exitCode = 1;
    });

  audit
    .command('ls')
    .description('entries, newest first, filtered by actor, action (prefix before a dot, e.g. rights), subject prefix or time')
    .option('--actor <actor>', 'exact actor, e.g. cli:alice')
    .option('--action <action>', 'action, or its family: rights matches rights.import, rights.revoke-consent, ...')
    .option('--subject <prefix>', 'subject prefix, e.g. person: or grant:g-1')
    .option('--since <time>', 'ISO date or time (inclusive)')
    .option('--until <time>', 'ISO date or time (inclusive)')
    .option('--limit <n>', 'at most this many entries (default 50)')
    .option('--json', 'print JSON')
    .action(async (_opts, cmd: Command) => {
      const parsed = LsFlags.safeParse(cmd.opts());
      if (!parsed.success) {
        const i = parsed.error.issues[0]!;
        throw new InputError('bad_flag', `--${String(i.path[0] ?? 'flag')}: ${i.message}`);
      }
      const f = parsed.data;
      // A bare day as --until means the whole day.
      // Entries store UTC ISO times, compared as text: normalise what the user gave.
      const iso = (v: string | undefined, endOfDay: boolean) => (v === undefined ? undefined : /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T${endOfDay ? '23:59:59.999' : '00:00:00.000'}Z` : new Date(v).toISOString());
      const until = iso(f.until, true);
      const since = iso(f.since, false);
      const rows = await withWorkspace(cmd, (ws) => listAudit(ws.db, { ...f, since, until }), { mustExist: true });
      if (globals(cmd).json) return printJson(rows.map((e) => ({ ...e, details: JSON.parse(e.details) as unknown })));
      if (!rows.length) return void w('no audit entries match');
      printTable(['SEQ', 'AT', 'ACTOR', 'ACTION', 'SUBJECT', 'DETAILS'], rows.map((e) => [e.seq, e.at.replace('T', ' ').slice(0, 19), e.actor, e.action, e.subject, e.details.length > 80 ? `${e.details.slice(0, 77)}...` : e.details]));
    });
}
