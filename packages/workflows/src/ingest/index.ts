// Ingest workflow: video files and folders into the library (CLI `backlot ingest`, server jobs).
export * from './ingest.js';
export { collectVideos, type CollectedVideo, type Sidecar, type SidecarKind } from './collect.js';
export { attachSidecar, type AttachResult } from './sidecars.js';
