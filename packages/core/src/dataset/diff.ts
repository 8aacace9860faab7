// What changed between two snapshots: clips that entered, clips that left (with the reasons the
// newer snapshot gives), and clips kept but changed. Works on shotId-sorted streams, so two
// million-line manifests are compared without holding either.
import type { Exclusion, ExclusionReason, ManifestEntry } from './types.js';

export type ShotState = { shotId: string; clip: ManifestEntry; exclusion?: undefined } | { shotId: string; clip?: undefined; exclusion: Exclusion };

export type DatasetChange =
  | { kind: 'entered'; shotId: string; titleId: string; split: ManifestEntry['split']; why: string; wasExcludedFor: ExclusionReason[] }
  | { kind: 'left'; shotId: string; titleId: string; why: string; reasons: ExclusionReason[] }
  | { kind: 'changed'; shotId: string; titleId: string; fields: string[] };

/** Fields whose change matters to a model trained on the clip. */
const COMPARED: Array<keyof ManifestEntry> = ['caption', 'split', 'startFrame', 'endFrame', 'frames', 'clipSha256', 'proxySha256', 'sourceSha256'];

function summarise(reasons: ExclusionReason[]): string {
  return reasons.map((r) => `${r.rule}: ${r.detail}`).join('; ');
}

/** Merges a snapshot's manifest and exclusions (each sorted by shotId) into one sorted stream. */
export async function* shotStates(manifest: AsyncIterable<ManifestEntry>, exclusions: AsyncIterable<Exclusion>): AsyncGenerator<ShotState> {
  const mi = manifest[Symbol.asyncIterator]();
  const xi = exclusions[Symbol.asyncIterator]();
  let m = await mi.next();
  let x = await xi.next();
  while (!m.done || !x.done) {
    if (!m.done && (x.done || m.value.shotId <= x.value.shotId)) {
      yield { shotId: m.value.shotId, clip: m.value };
      m = await mi.next();
    } else if (!x.done) {
      yield { shotId: x.value.shotId, exclusion: x.value };
      x = await xi.next();
    }
  }
}

export async function* diffSnapshots(a: AsyncIterable<ShotState>, b: AsyncIterable<ShotState>): AsyncGenerator<DatasetChange> {
  const ai = a[Symbol.asyncIterator]();
  const bi = b[Symbol.asyncIterator]();
  let x = await ai.next();
  let y = await bi.next();
  while (!x.done || !y.done) {
    const key = x.done ? y.value!.shotId : y.done ? x.value.shotId : x.value.shotId < y.value.shotId ? x.value.shotId : y.value.shotId;
    const inA = !x.done && x.value.shotId === key ? x.value : null;
    const inB = !y.done && y.value.shotId === key ? y.value : null;
    if (inA) x = await ai.next();
    if (inB) y = await bi.next();
    const clipA = inA?.clip;
    const clipB = inB?.clip;
    if (!clipA && clipB) {
      const was = inA?.exclusion?.reasons ?? [];
      yield { kind: 'entered', shotId: key, titleId: clipB.titleId, split: clipB.split, why: was.length ? `no longer excluded (was ${summarise(was)})` : 'shot not in the earlier snapshot', wasExcludedFor: was };
    } else if (clipA && !clipB) {
      const now = inB?.exclusion?.reasons ?? [];
      yield { kind: 'left', shotId: key, titleId: clipA.titleId, why: now.length ? summarise(now) : 'shot not in the later snapshot', reasons: now };
    } else if (clipA && clipB) {
      const fields = COMPARED.filter((f) => clipA[f] !== clipB[f]);
      if (fields.length) yield { kind: 'changed', shotId: key, titleId: clipB.titleId, fields };
    }
  }
}
