// Where Backlot itself is installed: the folder that holds the Python trainer and the web app's build.
// Found by walking up from this file, so it holds for the compiled packages and for the bundled CLI
// (apps/cli/dist/bundle) alike.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let found: string | undefined;

export function installRoot(): string {
  if (found) return found;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'trainer', '__init__.py')) && existsSync(join(dir, 'package.json'))) return (found = dir);
    if (dirname(dir) === dir) throw new Error(`cannot find the Backlot installation (a folder with trainer/) above ${fileURLToPath(import.meta.url)}`);
  }
}

/** The web app's built files, served by `backlot serve`. */
export const webDist = (): string => resolve(installRoot(), 'apps', 'web', 'dist');

/** The user's cache for things Backlot can always make again (database templates, optimised models). */
export const cacheDir = (): string => process.env.BACKLOT_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'backlot');
