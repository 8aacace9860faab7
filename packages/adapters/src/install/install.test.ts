// The installation folder is found from the code's own location, whatever the layout it runs from.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { installRoot, webDist } from './index.js';

describe('installRoot', () => {
  it('is the repository: the folder with the trainer and the apps', () => {
    const root = installRoot();
    expect(root).toBe(fileURLToPath(new URL('../../../../', import.meta.url)).replace(/\/$/, ''));
    expect(existsSync(join(root, 'trainer', '__init__.py'))).toBe(true);
    expect(webDist()).toBe(join(root, 'apps', 'web', 'dist'));
  });
});
