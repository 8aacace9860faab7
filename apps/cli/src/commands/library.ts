// `backlot library ls|show TITLE|shots TITLE`: look at what was ingested.
import type { Command } from 'commander';
import { listTitles, showTitle, titleShots } from '@backlot/workflows/library';
import { globals, printJson, printTable, withWorkspace } from '../context.js';

const secs = (s: number) => `${Math.floor(s / 60)}:${(s % 60).toFixed(1).padStart(4, '0')}`;

export function register(program: Command): void {
  const library = program.command('library').description('list and inspect the titles and shots in the library');

  library
    .command('ls')
    .description('list titles')
    .option('--json', 'print JSON')
    .action(async (_opts: unknown, cmd: Command) => {
      const titles = await withWorkspace(cmd, (ws) => listTitles(ws.db), { mustExist: true });
      if (globals(cmd).json) return printJson(titles);
      if (titles.length === 0) return void process.stdout.write('the library is empty: run backlot ingest PATH\n');
      printTable(
        ['TITLE', 'ID', 'YEAR', 'FILES', 'LENGTH', 'SHOTS', 'PROXIES', 'DOCUMENTS', 'STATUS'],
        titles.map((t) => [t.name, t.id, t.year, t.files, secs(t.durationSeconds), t.shots, t.proxies, t.documents.join(','), t.ready ? 'ready' : 'unfinished']),
      );
    });

  library
    .command('show')
    .description('one title: files, documents, credits, shot counts')
    .argument('<title>', 'title name or id')
    .option('--json', 'print JSON')
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const t = await withWorkspace(cmd, (ws) => showTitle(ws.db, ref), { mustExist: true });
      if (globals(cmd).json) return printJson(t);
      const out = (s: string) => process.stdout.write(`${s}\n`);
      out(`${t.name}${t.year ? ` (${t.year})` : ''}  [${t.id}]  ${t.ready ? 'ready' : 'unfinished'}`);
      out(`  ${t.shots} shots, ${t.proxies} proxies, ${t.duplicateShots} in near-duplicate groups; transitions: ${Object.entries(t.transitions).filter(([, n]) => n).map(([k, n]) => `${k} ${n}`).join(', ')}`);
      for (const m of t.mediaFiles) {
        out(`  file ${m.path}`);
        out(`       ${m.container} ${m.videoCodec} ${m.width}x${m.height} ${m.fps.toFixed(3)} fps${m.variableFrameRate ? ' (variable)' : ''}, ${secs(m.durationSeconds)}, ${m.audio.length} audio, ${m.shots} shots, ${m.status}, sha256 ${m.sha256.slice(0, 16)}…`);
      }
      for (const d of t.documentsAttached) out(`  ${d.kind.padEnd(10)} ${d.path}`);
      if (t.screenplayElements) out(`  screenplay: ${t.screenplayElements} elements`);
      if (t.subtitleLines) out(`  subtitles: ${t.subtitleLines} lines`);
      for (const c of t.credits) out(`  cast       ${c.character} — ${c.person}`);
    });

  library
    .command('shots')
    .description("a title's shots with times, transitions and measures")
    .argument('<title>', 'title name or id')
    .option('--json', 'print JSON')
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const r = await withWorkspace(cmd, (ws) => titleShots(ws.db, ref), { mustExist: true });
      if (globals(cmd).json) return printJson(r);
      printTable(
        ['SHOT', 'FRAMES', 'START', 'END', 'IN', 'LUMA', 'MOTION', 'FLAGS', 'DUP', 'PROXY'],
        r.shots.map((s) => [
          s.id, `${s.startFrame}-${s.endFrame}`, s.start.toFixed(2), s.end.toFixed(2), s.transitionIn, s.meanLuma.toFixed(0), s.motion.toFixed(1),
          [s.isBlack ? 'black' : '', s.letterbox ? 'letterbox' : ''].filter(Boolean).join(','), s.dupGroup ?? '', s.proxySha256 ? s.proxySha256.slice(0, 10) : s.proxySkip ?? '',
        ]),
      );
    });
}
