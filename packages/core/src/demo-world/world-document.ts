// What `world.json` in the demo library holds: the world, caption phrasing, held-out prompts, and
// each backdrop's average colours, so evaluation can judge generated clips with plain image analysis.
import { HELD_OUT, WORLD, allCombos, captionFor } from './world.js';
import { backdropStats } from './render.js';

export function worldDocument() {
  return {
    version: 1,
    ...WORLD,
    backgrounds: WORLD.backgrounds.map((b) => ({ ...b, ...backdropStats(b.name) })),
    captionTemplate: '{a|an} {colour} {shape} moving {direction} {backgroundPhrase}',
    heldOut: HELD_OUT.map((c) => ({ ...c, caption: captionFor(c) })),
    combos: { total: allCombos().length, heldOut: HELD_OUT.length },
  };
}
