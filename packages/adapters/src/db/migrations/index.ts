// Versioned migrations, applied in this order and never edited once released.
// Each area of the product owns its own file.
import library from './0001_library.js';
import rights from './0002_rights.js';
import training from './0003_training.js';
import generation from './0004_generation.js';
import server from './0005_server.js';
import generationJobs from './0006_generation_jobs.js';
import hueSignature from './0007_hue_signature.js';
import transitionFrames from './0008_transition_frames.js';
import frameSignatures from './0009_frame_signatures.js';

export interface Migration {
  id: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  { id: '0001_library', sql: library },
  { id: '0002_rights', sql: rights },
  { id: '0003_training', sql: training },
  { id: '0004_generation', sql: generation },
  { id: '0005_server', sql: server },
  { id: '0006_generation_jobs', sql: generationJobs },
  { id: '0007_hue_signature', sql: hueSignature },
  { id: '0008_transition_frames', sql: transitionFrames },
  { id: '0009_frame_signatures', sql: frameSignatures },
];
