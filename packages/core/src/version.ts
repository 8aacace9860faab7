// The release of Backlot: what `backlot --version` prints and what signed content credentials name as
// the software that made a clip. Kept equal to the packages' version (a CLI test compares them).
export const BACKLOT_VERSION = '0.1.0';
