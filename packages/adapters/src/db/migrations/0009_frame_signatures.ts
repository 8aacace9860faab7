// The content-store file of a media file's frame signatures (one small picture a frame, from the shot
// analysis: core's shots/signature.ts). Near-duplicate grouping lays two shots' frames over each other
// with it, so another shot of the same set is no longer taken for a re-encode or a trailer excerpt.
// Files ingested before this keep a null, and their shots are grouped by the keyframe measures alone.
export default /* sql */ `
ALTER TABLE media_files ADD COLUMN frame_sigs_sha256 text;
`;
