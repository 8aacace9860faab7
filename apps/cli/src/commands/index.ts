// Every command module registers itself on the program. Add one line per module.
import type { Command } from 'commander';

export type RegisterCommand = (program: Command) => void;

export const COMMANDS: RegisterCommand[] = [];
import { register as registerDemo } from './demo.js'; COMMANDS.push(registerDemo);
import { register as dataset } from './dataset.js'; COMMANDS.push(dataset);
import { register as ingest } from './ingest.js'; COMMANDS.push(ingest);
import { register as library } from './library.js'; COMMANDS.push(library);
import { register as contactSheet } from './contact-sheet.js'; COMMANDS.push(contactSheet);
import { register as doctor } from './doctor.js'; COMMANDS.push(doctor);
import { register as rights } from './rights.js'; COMMANDS.push(rights);
import { register as audit } from './audit.js'; COMMANDS.push(audit);
import { register as serve } from './serve.js'; COMMANDS.push(serve);
import { register as users } from './users.js'; COMMANDS.push(users);
import { register as train } from './train.js'; COMMANDS.push(train);
import { register as models } from './models.js'; COMMANDS.push(models);
import { register as evaluate } from './eval.js'; COMMANDS.push(evaluate);
import { register as generation } from './generate.js'; COMMANDS.push(generation);
import { register as shots } from './shots.js'; COMMANDS.push(shots);
