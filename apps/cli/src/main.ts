// The backlot command line: parses input, calls core and adapters, renders results.
// A user-caused error prints one line and exits 1; a bug prints one line and a hint, never a stack.
import v8 from 'node:v8';
import { Command, CommanderError } from 'commander';
import { BACKLOT_VERSION, isBacklotError } from '@backlot/core';
import { COMMAND_MODULES, modulesFor, type CommandModule } from './commands/index.js';

/** The program with the given command modules registered (all of them by default). */
export async function buildProgram(modules: readonly CommandModule[] = COMMAND_MODULES): Promise<Command> {
  const program = new Command('backlot')
    .description('A studio-owned generative video model, trained only on footage the studio holds the rights to.')
    .option('-w, --workspace <dir>', 'workspace folder (default: $BACKLOT_HOME or ./.backlot)')
    .version(BACKLOT_VERSION, '-V, --version', 'print the version')
    .option('--db <url>', 'postgres:// URL of a shared PostgreSQL server (default: $BACKLOT_DATABASE_URL or the embedded database)')
    .showHelpAfterError('(run backlot --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });
  const loaded = await Promise.all(modules.map((m) => m.load()));
  for (const { register } of loaded) register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const modules = modulesFor(argv.slice(2));
    // A short command keeps the embedded database's WebAssembly in V8's baseline compiler: optimising it
    // in the background costs ~0.4 s of CPU and ~0.25 s at exit, more than a short command gains from it.
    if (modules.length === 1 && !modules[0]!.long) v8.setFlagsFromString('--liftoff-only');
    const program = await buildProgram(modules);
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
// Everything the command started has been awaited. Waiting for the event loop to drain on its own
// costs ~0.2 s more after a generation (ONNX Runtime and the embedded database tearing down), so exit
// as soon as what was printed is out.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
