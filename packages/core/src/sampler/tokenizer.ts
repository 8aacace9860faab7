// The exported model's word tokenizer, reproduced bit-exactly from docs/model-format.md: lowercase,
// words by regex, BOS first, unknown words to UNK, truncate, pad. Also the empty caption used for
// classifier-free guidance's unconditional branch.

export interface TokenizerSpec {
  lowercase: boolean;
  pattern: string;
  pad: number;
  bos: number;
  unk: number;
  vocab: string[];
}

export interface Tokens {
  /** Exactly maxLength ids. */
  ids: number[];
  /** 1 where ids[i] != pad. */
  mask: number[];
  /** Words the model never saw in training (mapped to UNK), in prompt order. */
  unknown: string[];
  /** Words dropped because the prompt is longer than maxLength. */
  truncated: number;
}

export function tokenize(text: string, spec: TokenizerSpec, maxLength: number): Tokens {
  const index = new Map<string, number>();
  spec.vocab.forEach((w, i) => {
    if (!index.has(w)) index.set(w, i);
  });
  const source = spec.lowercase ? text.toLowerCase() : text;
  const words = source.match(new RegExp(spec.pattern, 'g')) ?? [];
  const unknown: string[] = [];
  const all = [spec.bos];
  for (const w of words) {
    const id = index.get(w);
    if (id === undefined) unknown.push(w);
    all.push(id ?? spec.unk);
  }
  const ids = all.slice(0, maxLength);
  while (ids.length < maxLength) ids.push(spec.pad);
  return { ids, mask: ids.map((id) => (id !== spec.pad ? 1 : 0)), unknown, truncated: Math.max(0, all.length - maxLength) };
}
