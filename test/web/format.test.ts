import { describe, expect, it } from 'vitest';
import { minutesSeconds } from '../../apps/web/src/components/ui.js';

describe('durations on the web pages', () => {
  it('reads tenths under two minutes, then whole minutes and seconds, never "60 s"', () => {
    expect(minutesSeconds(854.2)).toBe('14 min 14 s');
    expect(minutesSeconds(179.7)).toBe('3 min 0 s');
    expect(minutesSeconds(4.25)).toBe('4.3 s');
  });
});
