// Every command module registers itself on the program. Add one line per module.
import type { Command } from 'commander';

export type RegisterCommand = (program: Command) => void;

export const COMMANDS: RegisterCommand[] = [];
import { register as registerDemo } from './demo.js'; COMMANDS.push(registerDemo);
import { register as dataset } from './dataset.js'; COMMANDS.push(dataset);
