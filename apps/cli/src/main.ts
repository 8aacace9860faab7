// The backlot command line: parses input, calls core and adapters, renders results.
// A user-caused error prints one line and exits 1; a bug prints one line and a hint, never a stack.
import { Command, CommanderError } from 'commander';
import { isBacklotError } from '@backlot/core';
import { COMMANDS } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command('backlot')
    .description('A studio-owned generative video model, trained only on footage the studio holds the rights to.')
    .option('-w, --workspace <dir>', 'workspace folder (default: $BACKLOT_HOME or ./.backlot)')
    .option('--db <url>', 'postgres:// URL of a shared PostgreSQL server (default: $BACKLOT_DATABASE_URL or the embedded database)')
    .showHelpAfterError('(run backlot --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });
  for (const register of COMMANDS) register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (isBacklotError(e)) {
      process.stderr.write(`backlot: ${e.message}\n`);
      return 1;
    }
    const err = e as Error;
    process.stderr.write(`backlot: internal error: ${err?.message ?? String(e)} (set BACKLOT_DEBUG=1 for details)\n`);
    if (process.env.BACKLOT_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
    return 70;
  }
}

const code = await main(process.argv);
process.exitCode = code;
