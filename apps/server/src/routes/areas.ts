// The studio's areas, each in its own route file calling its workflows. One line per area.
import type { Api } from '../http/api.js';
import { registerUploads } from './uploads.js';

export async function registerAreas(api: Api): Promise<void> {
  registerUploads(api);
}
