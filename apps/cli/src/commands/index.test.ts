// The lazy command registry: each module registers exactly the top-level names the table says, so a
// command typed by a user always finds its module, and the command name is found after global options.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildCli, cliWorkspace, repoRoot } from '../../../../test/support/cli.js';
import { COMMAND_MODULES, commandName, modulesFor } from './index.js';

describe('command registry', () => {
  it.each(COMMAND_MODULES.map((m) => [m.names.join(','), m] as const))('module for %s registers exactly those commands', async (_names, m) => {
    const program = new Command('backlot');
    (await m.load()).register(program);
    expect(program.commands.map((c) => c.name()).sort()).toEqual([...m.names].sort());
  });

  it('no two modules claim the same command', () => {
    const names = COMMAND_MODULES.flatMap((m) => m.names);
    expect(new Set(names).size).toBe(names.length);
  });

  it('finds the command name after global options with values', () => {
    expect(commandName(['-w', '/tmp/ws', 'generate', 'a ball', '--model', 'm'])).toBe('generate');
    expect(commandName(['--workspace', 'verify', 'verify', 'x.mp4'])).toBe('verify');
    expect(commandName(['--db', 'postgres://h/db', 'rights', 'ls'])).toBe('rights');
    expect(commandName(['--workspace=/tmp/ws', 'shots', 'a.mp4'])).toBe('shots');
    expect(commandName(['--help'])).toBeUndefined();
  });

  it('loads one module for a known command and all of them for help or a typo', () => {
    expect(modulesFor(['-w', 'ws', 'worker', '--kinds', 'all']).map((m) => m.names)).toEqual([['serve', 'worker']]);
    expect(modulesFor(['help', 'generate'])).toHaveLength(COMMAND_MODULES.length);
    expect(modulesFor(['generat'])).toHaveLength(COMMAND_MODULES.length);
    expect(modulesFor([])).toHaveLength(COMMAND_MODULES.length);
  });

  it('prints the packages\' version for --version and -V, with nothing else and exit 0', () => {
    buildCli();
    const { backlot } = cliWorkspace('backlot-cli-version-');
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'apps/cli/package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = backlot(flag);
      expect([r.code, r.out, r.err]).toEqual([0, `${version}\n`, '']);
    }
  });
});
