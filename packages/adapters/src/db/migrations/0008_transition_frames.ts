// How many frames at a shot's head belong to its incoming dissolve, fade or wipe (the analysis's
// transitionFrames): datasets take their clips from after them, where the picture is the shot's own.
// Shots ingested before this keep a null and are taken whole, as before.
export default /* sql */ `
ALTER TABLE shots ADD COLUMN transition_frames integer CHECK (transition_frames >= 0);
`;
