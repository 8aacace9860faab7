// `backlot rights import|ls|show|check|revoke-consent|revoke-grant|expiring`: the studio's rights
// registry. All logic lives in @backlot/workflows/rights; this file parses flags and prints.
import os from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { CONSENT_SCOPES, InputError, RightsImportError, TRAINING_PURPOSES, type PolicyRule } from '@backlot/core';
import { checkRights, deriveTitleAppearances, expiringGrants, importRights, listRights, revokeConsent, revokeGrant, showRights, type TaintReport } from '@backlot/workflows/rights';
import { globals, printJson, printTable, progressFor, withWorkspace } from '../context.js';

const actor = () => `cli:${os.userInfo().username}`;
const w = (s: string) => process.stdout.write(`${s}\n`);
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'use a day like 2026-11-25');

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const flag = issue.path.length ? `--${String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : 'input';
    throw new InputError('bad_flag', `${flag}: ${issue.message}`, flag);
  }
  return r.data;
}

/** "90d", "12w", "6m" (30-day months), "1y" or a plain number of days. */
export function parseWithin(v: string): number {
  const m = /^(\d+)\s*([dwmy]?)$/i.exec(v.trim());
  if (!m) throw new InputError('bad_flag', `--within ${v}: use a span like 90d, 12w, 6m or 1y`, '--within');
  const n = Number(m[1]);
  return n * ({ '': 1, d: 1, w: 7, m: 30, y: 365 } as Record<string, number>)[m[2]!.toLowerCase()]!;
}

function printTaints(taints: TaintReport[]): void {
  for (const t of taints) {
    if (!t.datasets.length && !t.models.length) {
      w(`  ${t.cause}: no dataset or model holds an affected clip`);
      continue;
    }
    w(`  ${t.cause}: ${t.reason}`);
    for (const d of t.datasets) w(`    dataset ${d.name} (${d.id}): ${d.clips} affected clip${d.clips === 1 ? '' : 's'} — ${d.newlyTainted ? 'marked TAINTED' : 'already tainted'}`);
    for (const m of t.models) w(`    model ${m.id} via ${m.via} — ${m.newlyTainted ? 'marked TAINTED' : 'already tainted'}`);
  }
  if (taints.some((t) => t.datasets.length)) w('  the next `backlot dataset build` leaves these clips out');
}

const ruleLine = (r: PolicyRule) => `${r.outcome.toUpperCase().padEnd(5)} ${r.rule.padEnd(22)} ${r.detail}${r.ref ? `  [${r.ref}]` : ''}`;

export function register(program: Command): void {
  const rights = program.command('rights').description('the rights registry: grants, people, consents, appearances, music cues, restrictions; policy checks and revocations');

  rights
    .command('import <file>')
    .description('import a JSON or CSV rights file (see docs/rights-model.md); every problem is reported and nothing is written unless the whole file is valid')
    .option('--json', 'print JSON')
    .action(async (file: string, _opts, cmd: Command) => {
      const progress = progressFor(cmd);
      try {
        const r = await withWorkspace(cmd, (ws) => importRights(ws, { path: resolve(file) }, { actor: actor(), onProgress: progress.sink })).finally(() => progress.stop());
        if (globals(cmd).json) return printJson(r);
        w(`imported ${file} (${r.format}, sha256 ${r.sha256.slice(0, 16)}…): ${Object.entries(r.counts).map(([k, n]) => `${n} ${k}`).join(', ')}; audit entry ${r.auditSeq}`);
        if (r.keptRevoked.length) w(`  kept revoked (an import never un-revokes; record a new consent instead): ${r.keptRevoked.join(', ')}`);
        printTaints(r.revocations);
      } catch (e) {
        if (e instanceof RightsImportError) {
          if (globals(cmd).json) printJson({ file: e.file, problems: e.problems });
          else {
            process.stderr.write(`${file}: ${e.problems.length} problem${e.problems.length === 1 ? '' : 's'}; nothing was imported\n`);
            for (const p of e.problems) process.stderr.write(`  ${p.where}: ${p.message}\n`);
          }
        }
        throw e;
      }
    });

  rights
    .command('ls')
    .description('per title: grants valid today, people, cues, restrictions, opt-out files; then people and their consents')
    .option('--as-of <day>', 'judge validity on this day (default today)')
    .option('--json', 'print JSON')
    .action(async (_opts, cmd: Command) => {
      const f = parse(z.object({ asOf: day.optional() }), cmd.opts());
      const r = await withWorkspace(cmd, (ws) => listRights(ws.db, f.asOf), { mustExist: true });
      if (globals(cmd).json) return printJson(r);
      printTable(
        ['TITLE', 'ID', 'GRANTS', 'VALID USES', 'PEOPLE', 'CUES', 'UNCLEARED', 'RESTRICTIONS', 'OPT-OUT FILES'],
        r.titles.map((t) => [t.title, t.titleId, t.grants, [...new Set(t.validGrants)].join(',') || '-', t.people, t.cues, t.unclearedCues, t.restrictions, t.optOutFiles]),
      );
      if (r.people.length) {
        w('');
        printTable(
          ['PERSON', 'ID', 'KIND', 'CONSENTS'],
          r.people.map((p) => [p.name, p.id, p.kind, p.consents.map((c) => `${c.id}:${c.scopes.join('+')}${c.revokedOn ? ` REVOKED ${c.revokedOn}` : ''}`).join(' ') || 'none']),
        );
      }
    });

  rights
    .command('show <key>')
    .description('one title, person (name or alias), grant, consent, cue or restriction, with what refers to it')
    .option('--json', 'print JSON')
    .action(async (key: string, _opts, cmd: Command) => {
      const r = await withWorkspace(cmd, (ws) => showRights(ws.db, key), { mustExist: true });
      if (globals(cmd).json) return printJson(r);
      const span = (s: number | null, e: number | null) => (s === null ? 'whole title' : `${s}-${e} s`);
      switch (r.kind) {
        case 'title':
          w(`${r.title.name} (${r.title.id})`);
          w('  grants:');
          for (const g of r.grants) w(`    ${g.id}: ${g.uses.join(', ')} from ${g.grantor}, ${g.territory}, ${g.startsOn}..${g.endsOn ?? 'perpetual'}, contract ${g.contractRef}${g.revokedOn ? `, REVOKED ${g.revokedOn}: ${g.revokedReason ?? ''}` : ''}`);
          if (!r.grants.length) w('    none: nothing in this title may be trained on (default deny)');
          w('  appearances:');
          for (const a of r.appearances) w(`    ${a.personId}${a.character ? ` as ${a.character}` : ''}, ${a.presence}, ${span(a.start, a.end)} (${a.source ?? 'import'})`);
          w('  music cues:');
          for (const c of r.cues) w(`    ${c.id} "${c.name}" ${c.start}-${c.end} s${c.composer ? `, ${c.composer}` : ''}: ${c.cleared ? 'cleared' : 'NOT cleared'}`);
          w('  restrictions:');
          for (const x of r.restrictions) w(`    ${x.id} ${x.kind} ${x.start}-${x.end} s: ${x.note}`);
          for (const m of r.optOut) for (const s of m.signals) w(`  opt-out: media ${m.mediaFileId}: ${s.source} ${s.key} = ${s.value}${s.prohibits ? ' (PROHIBITS training)' : ''}`);
          return;
        case 'person':
          w(`${r.person.name} (${r.person.id}), ${r.person.kind}${r.person.aliases.length ? `, also ${r.person.aliases.join(', ')}` : ''}`);
          w('  consents:');
          for (const c of r.consents) w(`    ${c.id}: ${c.scopes.join(', ')} since ${c.grantedOn}, document ${c.documentRef}${c.conditions?.projects?.length ? `, only for ${c.conditions.projects.join(', ')}` : ''}${c.revokedOn ? `, REVOKED ${c.revokedOn}: ${c.revokedReason ?? ''}` : ''}`);
          if (!r.consents.length) w('    none: shots where this person appears are excluded');
          w('  appearances:');
          for (const a of r.appearances) w(`    ${a.titleId}${a.character ? ` as ${a.character}` : ''}, ${a.presence}, ${span(a.start, a.end)}`);
          return;
        default:
          printJson(r);
      }
    });

  rights
    .command('check [title]')
    .description('the policy verdict: per title, or per shot for one title, with every rule that fired')
    .option('--purpose <purpose>', `what the data would train: ${TRAINING_PURPOSES.join(' | ')}`, 'video')
    .option('--as-of <day>', 'judge rights on this day (default today)')
    .option('--project <name>', 'the project, for consents limited to named projects')
    .option('--territory <name>', 'where training happens (default worldwide)')
    .option('--json', 'print JSON')
    .action(async (title: string | undefined, _opts, cmd: Command) => {
      const f = parse(z.object({ purpose: z.enum(TRAINING_PURPOSES), asOf: day.optional(), project: z.string().min(1).optional(), territory: z.string().min(1).optional() }), cmd.opts());
      const r = await withWorkspace(cmd, (ws) => checkRights(ws, { title, ...f }, { actor: actor() }), { mustExist: true });
      if (globals(cmd).json) return printJson(r);
      w(`policy ${r.policyVersion}, purpose ${r.context.purpose}, as of ${r.context.asOf}${r.context.project ? `, project ${r.context.project}` : ''}`);
      printTable(
        ['TITLE', 'SHOTS', 'ALLOWED', 'EXCLUDED', 'ALLOWED S', 'TOP REASON'],
        r.titles.map((t) => [t.title, t.shots, t.allowed, t.excluded, t.allowedSeconds.toFixed(1), t.reasons[0] ? `${t.reasons[0].rule} ${t.reasons[0].ref ?? ''} (${t.reasons[0].shots})` : '']),
      );
      for (const t of r.titles) {
        if (!t.reasons.length) continue;
        w(`\n${t.title}: excluded by`);
        for (const x of t.reasons) w(`  ${String(x.shots).padStart(6)} shots  ${x.rule}: ${x.detail}${x.ref ? `  [${x.ref}]` : ''}`);
      }
      if (r.shots) {
        w('');
        for (const s of r.shots) {
          w(`shot ${s.index} ${s.shotId} ${s.start.toFixed(2)}-${s.end.toFixed(2)} s: ${s.allowed ? 'ALLOWED' : 'EXCLUDED'}`);
          for (const rule of s.rules) w(`    ${ruleLine(rule)}`);
          if (s.ranges.length > 1) w(`    ranges: ${s.ranges.map((x) => `${x.start.toFixed(2)}-${x.end.toFixed(2)} ${x.allowed ? 'ok' : 'no'}`).join(', ')}`);
        }
      }
    });

  rights
    .command('derive-appearances [title]')
    .description("who appears when, from the title's cast list and the screenplay's character cues placed by its subtitles (whole title when a scene cannot be placed)")
    .option('--json', 'print JSON')
    .action(async (title: string | undefined, _opts, cmd: Command) => {
      const progress = progressFor(cmd);
      const r = await withWorkspace(cmd, (ws) => deriveTitleAppearances(ws, { title }, { actor: actor(), onProgress: progress.sink }), { mustExist: true }).finally(() => progress.stop());
      if (globals(cmd).json) return printJson(r);
      if (!r.length) return void w('no title has a cast list: attach one at ingest (cast.json) first');
      for (const t of r) {
        w(`${t.title}: ${t.appearances.length} appearance${t.appearances.length === 1 ? '' : 's'}${t.addedPeople.length ? `; added ${t.addedPeople.join(', ')} to the registry with no consent` : ''}`);
        for (const a of t.appearances) w(`  ${a.person} as ${a.character}: ${a.start === null ? 'whole title' : `${a.start.toFixed(2)}-${a.end!.toFixed(2)} s`}  (${a.basis})`);
      }
    });

  rights
    .command('revoke-consent <person>')
    .description("revoke a person's consents (all, or one scope); prints and taints every dataset and model holding affected clips")
    .requiredOption('--reason <text>', 'why (goes into the audit log and the taints)')
    .option('--scope <scope>', `only consents covering this scope: ${CONSENT_SCOPES.join(' | ')}`)
    .option('--on <day>', 'the day the revocation takes effect (default today)')
    .option('--json', 'print JSON')
    .action(async (person: string, _opts, cmd: Command) => {
      const f = parse(z.object({ reason: z.string().trim().min(1, 'give a reason'), scope: z.enum(CONSENT_SCOPES).optional(), on: day.optional() }), cmd.opts());
      const progress = progressFor(cmd);
      const r = await withWorkspace(cmd, (ws) => revokeConsent(ws, { person, ...f }, { actor: actor(), onProgress: progress.sink }), { mustExist: true }).finally(() => progress.stop());
      if (globals(cmd).json) return printJson(r);
      w(`revoked ${r.revoked.map((c) => `${c.id} (${c.scopes.join(', ')})`).join(', ')} of ${r.person.name} on ${r.revokedOn}; audit entry ${r.auditSeq}`);
      printTaints(r.taints);
    });

  rights
    .command('revoke-grant <grantId>')
    .description('revoke a rights grant; prints and taints every dataset and model holding affected clips')
    .requiredOption('--reason <text>', 'why (goes into the audit log and the taints)')
    .option('--on <day>', 'the day the revocation takes effect (default today)')
    .option('--json', 'print JSON')
    .action(async (grantId: string, _opts, cmd: Command) => {
      const f = parse(z.object({ reason: z.string().trim().min(1, 'give a reason'), on: day.optional() }), cmd.opts());
      const progress = progressFor(cmd);
      const r = await withWorkspace(cmd, (ws) => revokeGrant(ws, { grantId, ...f }, { actor: actor(), onProgress: progress.sink }), { mustExist: true }).finally(() => progress.stop());
      if (globals(cmd).json) return printJson(r);
      w(`revoked grant ${r.grantId} (title ${r.titleId}) on ${r.revokedOn}; audit entry ${r.auditSeq}`);
      printTaints([r.taints]);
    });

  rights
    .command('expiring')
    .description('grants that end within a span, and those already ended (whose datasets and models are then tainted)')
    .option('--within <span>', 'e.g. 90d, 12w, 6m, 1y', '90d')
    .option('--as-of <day>', 'count from this day (default today)')
    .option('--json', 'print JSON')
    .action(async (_opts, cmd: Command) => {
      const o = cmd.opts<{ within: string; asOf?: string }>();
      const withinDays = parseWithin(o.within);
      const f = parse(z.object({ asOf: day.optional() }), { asOf: o.asOf });
      const r = await withWorkspace(cmd, (ws) => expiringGrants(ws, { withinDays }, { actor: actor(), ...(f.asOf ? { asOf: f.asOf } : {}) }), { mustExist: true });
      if (globals(cmd).json) return printJson(r);
      if (!r.grants.length) return void w(`no grant ends within ${withinDays} days of ${r.asOf}`);
      printTable(
        ['GRANT', 'TITLE', 'USES', 'ENDS', 'DAYS LEFT', 'CONTRACT'],
        r.grants.map((g) => [g.id, g.title, g.uses.join(','), g.endsOn, g.expired ? 'EXPIRED' : g.daysLeft, g.contractRef]),
      );
      if (r.taints.length) {
        w('');
        printTaints(r.taints);
      }
    });
}
