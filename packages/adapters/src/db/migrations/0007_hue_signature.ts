// Near-duplicate grouping also compares a hue histogram of each keyframe's coloured pixels: the
// perceptual hash and the 4x4 colour means cannot tell a small red object from a blue one on the same
// backdrop. Shots ingested before this keep a null and are compared as before.
export default /* sql */ `
ALTER TABLE shots ADD COLUMN hue_sig text;
`;
