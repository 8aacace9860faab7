// What a file's own metadata says about AI training, decided from the text of the signal:
// IPTC PLUS `plus:DataMining` values in XMP, and C2PA / CAWG training-and-data-mining assertions.
// The adapter (adapters/optout) finds the bytes; this module decides what they mean.
import type { OptOutSignal } from './model.js';

export const PLUS_NAMESPACE = 'http://ns.useplus.org/ldf/xmp/1.0/';
export const DMI_PREFIX = 'http://ns.useplus.org/ldf/vocab/';
export const TRAINING_MINING_LABELS = ['cawg.training-mining', 'c2pa.training-mining'] as const;

/**
 * IPTC PLUS Data Mining values. Everything PROHIBITED forbids training a generative model here:
 * "-EXCEPTSEARCHENGINEINDEXING" still forbids training, and "-SEECONSTRAINT" /
 * "-SEEEMBEDDEDRIGHTSEXPR" point at terms Backlot cannot read, so they count as a prohibition
 * (the CAWG rule for "constrained" without more information, applied the same way).
 */
export function dataMiningProhibits(value: string): boolean {
  const v = value.trim().replace(DMI_PREFIX, '').toUpperCase();
  if (v === 'DMI-UNSPECIFIED' || v === 'DMI-ALLOWED') return false;
  return v.startsWith('DMI-PROHIBITED');
}

/** Entry keys of a training-mining assertion that concern training a model (inference does not). */
const TRAINING_KEYS = /(^|\.)(ai_generative_training|ai_training|data_mining)$/;

/** One entry of a CAWG / C2PA training-mining assertion: notAllowed and constrained forbid. */
export function trainingMiningProhibits(key: string, use: string): boolean {
  if (!TRAINING_KEYS.test(key)) return false;
  return use !== 'allowed';
}

/** Signals from the `entries` of a training-mining assertion found in one manifest. */
export function trainingMiningSignals(label: string, data: unknown, where: string): OptOutSignal[] {
  const entries = (data as { entries?: Record<string, { use?: unknown; constraint_info?: unknown }> } | null)?.entries;
  if (!entries || typeof entries !== 'object') return [];
  return Object.entries(entries).map(([key, entry]) => {
    const use = typeof entry?.use === 'string' ? entry.use : 'unknown';
    return { source: 'c2pa' as const, label, key, value: use, prohibits: trainingMiningProhibits(key, use), where };
  });
}

/**
 * Every plus:DataMining value in an XMP packet, whatever prefix the packet binds to the PLUS
 * namespace, as an attribute (`p:DataMining="..."`), element text or `rdf:resource`.
 */
export function xmpDataMiningValues(xmp: string): string[] {
  const prefixes = new Set<string>();
  const ns = /xmlns:([A-Za-z_][\w.-]*)\s*=\s*["']([^"']*)["']/g;
  for (let m = ns.exec(xmp); m; m = ns.exec(xmp)) if (m[2] === PLUS_NAMESPACE) prefixes.add(m[1]!);
  const out: string[] = [];
  for (const p of prefixes) {
    const q = p.replace(/[.]/g, '\\.');
    const attr = new RegExp(`\\b${q}:DataMining\\s*=\\s*["']([^"']*)["']`, 'g');
    for (let m = attr.exec(xmp); m; m = attr.exec(xmp)) out.push(m[1]!);
    const el = new RegExp(`<${q}:DataMining(\\s[^>]*)?(?<!/)>([\\s\\S]*?)</${q}:DataMining>`, 'g');
    for (let m = el.exec(xmp); m; m = el.exec(xmp)) {
      const inner = m[2]!.replace(/<[^>]+>/g, '').trim();
      if (inner) out.push(inner);
    }
    const res = new RegExp(`<${q}:DataMining\\s[^>]*rdf:resource\\s*=\\s*["']([^"']*)["'][^>]*/>`, 'g');
    for (let m = res.exec(xmp); m; m = res.exec(xmp)) out.push(m[1]!);
  }
  return out.map((v) => v.replace(/&amp;/g, '&'));
}

export function xmpSignals(xmp: string, where: string): OptOutSignal[] {
  return xmpDataMiningValues(xmp).map((value) => ({ source: 'iptc-xmp' as const, label: 'plus:DataMining', key: 'plus:DataMining', value, prohibits: dataMiningProhibits(value), where }));
}
