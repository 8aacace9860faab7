// The demo film's soundtrack: each music cue on the cue sheet is a short synthesised melody playing
// exactly between its in and out points; silence elsewhere. Mono 16-bit PCM, plus a WAV wrapper.
import type { DemoFilmPlan, DemoMusicCue } from './plan.js';

export const DEMO_SAMPLE_RATE = 48_000;

function voiceSample(voice: DemoMusicCue['voice'], phase: number): number {
  const p = phase - Math.floor(phase);
  switch (voice) {
    case 'sine':
      return Math.sin(2 * Math.PI * p);
    case 'triangle':
      return 1 - 4 * Math.abs(p - 0.5);
    case 'square-soft':
      // A square wave's first three odd harmonics: recognisably reedy, not harsh.
      return (Math.sin(2 * Math.PI * p) + Math.sin(6 * Math.PI * p) / 3 + Math.sin(10 * Math.PI * p) / 5) * 0.8;
  }
}

export function renderDemoAudio(film: DemoFilmPlan, sampleRate = DEMO_SAMPLE_RATE): Int16Array {
  const total = Math.round((film.frames / film.fps) * sampleRate);
  const pcm = new Int16Array(total);
  for (const cue of film.cues) {
    const s0 = Math.round(cue.in * sampleRate);
    const s1 = Math.min(total, Math.round(cue.out * sampleRate));
    const noteLen = Math.round(cue.noteSeconds * sampleRate);
    const edge = Math.round(0.15 * sampleRate);
    const decay = Math.exp(-2.5 / noteLen); // per-sample factor of the note's exponential decay
    const attack = 0.01 * sampleRate;
    let phase = 0;
    let drone = 0;
    let freq = 0;
    let env = 1;
    for (let s = s0; s < s1; s++) {
      const k = s - s0;
      const inNote = k % noteLen;
      if (inNote === 0) {
        freq = cue.root * 2 ** (cue.melody[Math.floor(k / noteLen) % cue.melody.length]! / 12);
        env = 1;
      }
      phase += freq / sampleRate;
      drone += cue.root / 2 / sampleRate;
      // Per-note attack/decay envelope and a fade at the cue's edges so it starts and stops cleanly.
      const a = inNote < attack ? (inNote / attack) * env : env;
      env *= decay;
      const cueEnv = Math.min(1, k / edge, (s1 - s) / edge);
      const v = (0.32 * a * voiceSample(cue.voice, phase) + 0.08 * Math.sin(2 * Math.PI * drone)) * cueEnv;
      pcm[s] = Math.round(v * 32767);
    }
  }
  return pcm;
}

/** A canonical 44-byte-header PCM WAV file around mono 16-bit samples. */
export function wavFile(pcm: Int16Array, sampleRate = DEMO_SAMPLE_RATE): Uint8Array {
  const bytes = new Uint8Array(44 + pcm.byteLength);
  const view = new DataView(bytes.buffer);
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) bytes[at + i] = s.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + pcm.byteLength, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, pcm.byteLength, true);
  for (let i = 0; i < pcm.length; i++) view.setInt16(44 + i * 2, pcm[i]!, true);
  return bytes;
}
