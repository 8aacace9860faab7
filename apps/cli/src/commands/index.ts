// Every command module registers its commands on the program. A module is loaded only when one of its
// commands runs (or for help): loading all of them brings the server, ONNX Runtime and the C2PA SDK,
// ~0.7 s that `backlot generate` should not pay at every start. Add one line per module, naming the
// top-level commands it registers (a test checks the names against what the module registers).
import type { Command } from 'commander';

export type RegisterCommand = (program: Command) => void;

export interface CommandModule {
  /** Top-level command names the module registers. */
  names: readonly string[];
  load: () => Promise<{ register: RegisterCommand }>;
  /**
   * Runs long or heavy database work (minutes of SQL), so the embedded database's WebAssembly should
   * be optimised as it runs. The other commands finish in a second or two and are better off without
   * that optimisation (see main.ts).
   */
  long?: true;
}

export const COMMAND_MODULES: readonly CommandModule[] = [
  { names: ['demo'], long: true, load: () => import('./demo.js') },
  { names: ['dataset'], long: true, load: () => import('./dataset.js') },
  { names: ['ingest'], long: true, load: () => import('./ingest.js') },
  { names: ['library'], load: () => import('./library.js') },
  { names: ['contact-sheet'], load: () => import('./contact-sheet.js') },
  { names: ['doctor'], load: () => import('./doctor.js') },
  { names: ['rights'], long: true, load: () => import('./rights.js') },
  { names: ['audit'], load: () => import('./audit.js') },
  { names: ['serve', 'worker'], long: true, load: () => import('./serve.js') },
  { names: ['users'], load: () => import('./users.js') },
  { names: ['train'], long: true, load: () => import('./train.js') },
  { names: ['models'], load: () => import('./models.js') },
  { names: ['eval'], long: true, load: () => import('./eval.js') },
  { names: ['generate', 'verify', 'attribution', 'usage', 'royalties'], load: () => import('./generate.js') },
  { names: ['shots'], load: () => import('./shots.js') },
];

/** Global options that take a value, so the command name can be found after them. */
const GLOBAL_WITH_VALUE = new Set(['-w', '--workspace', '--db']);

/** The command name in argv (after node and the script), or undefined when there is none. */
export function commandName(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (GLOBAL_WITH_VALUE.has(a)) i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/** The modules to load for these arguments: the one that owns the command, or all (help, typos). */
export function modulesFor(args: readonly string[]): readonly CommandModule[] {
  const name = commandName(args);
  const owner = COMMAND_MODULES.find((m) => name !== undefined && m.names.includes(name));
  return owner && name !== 'help' ? [owner] : COMMAND_MODULES;
}
