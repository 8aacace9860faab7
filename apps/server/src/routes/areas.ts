// The studio's areas, each in its own route file calling its workflows. One line per area.
import type { Api } from '../http/api.js';
import { registerUploads } from './uploads.js';
import { registerLibrary } from './library.js';
import { registerRights } from './rights.js';
import { registerDatasets } from './datasets.js';
import { registerTraining } from './training.js';
import { registerGeneration } from './generation.js';
import { registerBrowse } from './browse.js';

export async function registerAreas(api: Api): Promise<void> {
  registerUploads(api);
  registerLibrary(api);
  registerRights(api);
  registerDatasets(api);
  registerTraining(api);
  registerGeneration(api);
  registerBrowse(api);
}
