// What `backlot eval` prints, from evaluation records as trainer.evaluate writes them (figures taken from
// a real evaluation of `small`, 2026-12-06, trimmed to the fields the report reads).
import { describe, expect, it } from 'vitest';
import { evaluationReport } from './eval.js';

const adherence = (shape: number, ci: [number, number]) => ({
  n: 24, novelCombinations: 24, samplesPerPrompt: 1, colour: 1, shape, direction: 1, background: 1, colourDirectionBackground: 1,
  ci95: { colour: [0.862, 1], shape: ci, direction: [0.862, 1], background: [0.862, 1], colourDirectionBackground: [0.862, 1] },
});
const small = {
  featuresVersion: 'backlot-stats-v1', analyserVersion: 'backlot-adherence-v2', valLoss: 0.19296, frechet: 0.03064, frechetRealHalves: 0.4977,
  aePsnr: 32.76, aePsnrByLatentFrame: [34.98, 33.21, 33.19, 33.24, 32.53],
  analyserOnReal: { colour: 1, shape: 1, direction: 1, background: 1 },
  analyserOnReconstruction: { colour: 1, shape: 0.7917, direction: 1, background: 1 },
  chance: { colour: 1 / 6, shape: 1 / 3, direction: 0.25, background: 0.25, colourDirectionBackground: 1 / 96 },
  adherence: { t2v: adherence(0.6667, [0.4671, 0.8203]), i2v: null, extend: adherence(0.7083, [0.5083, 0.8509]) },
  // from `small` (a scale per latent channel) at 3,400 denoiser steps, 2026-12-06
  captionReliance: { t: [0.2, 0.5, 0.8], clips: 24, colour: [2.31, 5.55, 3.6], shape: [1.43, 1.68, 0.64], direction: [0.51, 1.11, 2.79], noCaption: [-2.06, -5.3, -7.6] },
};

describe('backlot eval report', () => {
  it('prints the autoencoder PSNR overall and by latent frame, the analyser ceiling, and each scored mode with its interval', () => {
    const lines = evaluationReport(small);
    expect(lines[0]).toBe('val loss 0.1930   Fréchet 0.031 (real-vs-real 0.498, backlot-stats-v1)   AE PSNR 32.8 dB (by latent frame 35.0 / 33.2 / 33.2 / 33.2 / 32.5)');
    expect(lines[1]).toMatch(/^the analyser \(backlot-adherence-v2\) on the real held-out clips: colour 100% {2}shape 100%.*; on the autoencoder's reconstructions of them \(the ceiling for this model\): colour 100% {2}shape 79%/);
    expect(lines[2]).toBe("what each word steers (the denoiser's error with the word swapped, against its own caption's, at noise 0.2 / 0.5 / 0.8; 24 held-out clips): colour +2.3% / +5.5% / +3.6%  shape +1.4% / +1.7% / +0.6%  direction +0.5% / +1.1% / +2.8%  no caption at all -2.1% / -5.3% / -7.6%");
    expect(lines[3]).toMatch(/^adherence on held-out captions \(chance: colour 17%, shape 33%, direction 25%, background 25%, all three 1%\):$/);
    // a mode left out of the evaluation (null) prints nothing
    expect(lines.slice(5)).toEqual([
      '  t2v             colour 100% (86-100)  shape 67% (47-82)  direction 100% (86-100)  background 100% (86-100)  all three 100% (86-100)  (n=24x1)',
      '  extend          colour 100% (86-100)  shape 71% (51-85)  direction 100% (86-100)  background 100% (86-100)  all three 100% (86-100)  (n=24x1)',
    ]);
  });

  it('names the sampler the figures were made with, and its guidance interval where it had one', () => {
    const line = (sampler: unknown) => evaluationReport({ ...small, sampler })[4];
    expect(line(undefined)).toBe('  (each figure with its 95% interval; n = prompts x samples per prompt)');
    expect(line({ steps: 20, guidance: 3, guidanceInterval: { lo: 0.2, hi: 0.8 }, seed: 0, samplesPerPrompt: 4 }))
      .toBe('  (each figure with its 95% interval; n = prompts x samples per prompt; generated with 20 Euler steps, guidance 3 on t in (0.2, 0.8])');
    // records from before the interval guided every step, as does { lo: 0, hi: 1 }
    expect(line({ steps: 20, guidance: 3 })).toMatch(/generated with 20 Euler steps, guidance 3\)$/);
    expect(line({ steps: 20, guidance: 3, guidanceInterval: { lo: 0, hi: 1 } })).toMatch(/generated with 20 Euler steps, guidance 3\)$/);
  });

  it('says "pixel space" for a model without an autoencoder, and leaves the by-frame figures out of records that have none', () => {
    const pixel = evaluationReport({ ...small, aePsnr: null, aePsnrByLatentFrame: undefined, analyserOnReconstruction: null });
    expect(pixel[0]).toMatch(/AE PSNR - \(pixel space\)$/);
    expect(pixel[1]).not.toMatch(/reconstructions/);
    const older = evaluationReport({ ...small, aePsnrByLatentFrame: undefined, captionReliance: undefined });
    expect(older[0]).toMatch(/AE PSNR 32\.8 dB$/);
    expect(older[2]).toMatch(/^adherence on held-out captions/);   // evaluations before 2026-12-06 (night) have no word figures
  });

  it('prints what each asked-for shape was read as, under its mode, where the record has it', () => {
    // from `small` with `out_film` at 5,400 denoiser steps, 2026-12-07: no box drawn, every wrong shape read as a ball
    const t2v = { ...adherence(0.625, [0.4836, 0.7478]), samplesPerPrompt: 2, shapeConfusion: { ball: { ball: 24 }, box: { ball: 8 }, star: { ball: 10, star: 6 } } };
    const lines = evaluationReport({ ...small, adherence: { t2v } });
    expect(lines.slice(5)).toEqual([
      '  t2v             colour 100% (86-100)  shape 63% (48-75)  direction 100% (86-100)  background 100% (86-100)  all three 100% (86-100)  (n=24x2)',
      '                  shapes read as: ball -> ball 24; box -> ball 8; star -> ball 10, star 6',
    ]);
  });
});
