// `backlot rights check [TITLE]`: the policy's verdict per title and, for one title, per shot, with
// every rule that fired. Reads shots in pages so a large library stays in constant memory.
import type { Workspace } from '@backlot/adapters/workspace';
import { NotFoundError, type PolicyContext, type PolicyRuleId, type ProgressSink, type ShotDecision } from '@backlot/core';
import { loadCompiledPolicy, todayIso } from './registry.js';

export interface TitleVerdict {
  titleId: string;
  title: string;
  shots: number;
  allowed: number;
  excluded: number;
  allowedSeconds: number;
  /** How many shots each denying rule excluded. */
  reasons: Array<{ rule: PolicyRuleId; ref: string | null; detail: string; shots: number }>;
}

export interface ShotVerdict extends ShotDecision {
  index: number;
  start: number;
  end: number;
}

export interface RightsCheck {
  policyVersion: string;
  context: PolicyContext;
  titles: TitleVerdict[];
  /** Only when one title was asked for. */
  shots?: ShotVerdict[];
}

export async function checkRights(
  ws: Workspace,
  input: { title?: string; purpose?: PolicyContext['purpose']; asOf?: string; project?: string; territory?: string },
  opts: { actor: string; onProgress?: ProgressSink; signal?: AbortSignal },
): Promise<RightsCheck> {
  const context: PolicyContext = {
    purpose: input.purpose ?? 'video',
    asOf: input.asOf ?? todayIso(),
    ...(input.project ? { project: input.project } : {}),
    ...(input.territory ? { territory: input.territory } : {}),
  };
  let titles = await ws.db.query<{ id: string; name: string }>('SELECT id, name FROM titles ORDER BY name');
  if (input.title !== undefined) {
    const k = input.title.toLowerCase();
    titles = titles.filter((t) => t.id === input.title || t.name.toLowerCase() === k);
    if (!titles.length) throw new NotFoundError('title_not_found', `no title called ${JSON.stringify(input.title)} (see \`backlot ls\`)`, input.title);
  }
  const policy = await loadCompiledPolicy(ws.db, context);
  const out: RightsCheck = { policyVersion: policy.version, context, titles: [] };
  if (input.title !== undefined) out.shots = [];
  let done = 0;
  for (const t of titles) {
    opts.signal?.throwIfAborted();
    const verdict: TitleVerdict = { titleId: t.id, title: t.name, shots: 0, allowed: 0, excluded: 0, allowedSeconds: 0, reasons: [] };
    const reasons = new Map<string, TitleVerdict['reasons'][number]>();
    let after = -1;
    let afterMedia = '';
    for (;;) {
      const rows = await ws.db.query<{ id: string; idx: number; start_s: number; end_s: number; media_file_id: string }>(
        `SELECT id, idx, start_s, end_s, media_file_id FROM shots WHERE title_id = $1 AND (media_file_id, idx) > ($2, $3) ORDER BY media_file_id, idx LIMIT 2000`,
        [t.id, afterMedia, after],
      );
      for (const r of rows) {
        const d = policy.decide({ id: r.id, titleId: t.id, mediaFileId: r.media_file_id, start: r.start_s, end: r.end_s });
        verdict.shots++;
        if (d.allowed) {
          verdict.allowed++;
        } else {
          verdict.excluded++;
          for (const rule of d.rules) {
            if (rule.outcome !== 'deny') continue;
            const key = `${rule.rule}|${rule.ref}`;
            const seen = reasons.get(key);
            if (seen) seen.shots++;
            else reasons.set(key, { rule: rule.rule, ref: rule.ref, detail: rule.detail, shots: 1 });
          }
        }
        for (const range of d.ranges) if (range.allowed) verdict.allowedSeconds += range.end - range.start;
        out.shots?.push({ ...d, index: r.idx, start: r.start_s, end: r.end_s });
      }
      if (rows.length < 2000) break;
      const last = rows[rows.length - 1]!;
      after = last.idx;
      afterMedia = last.media_file_id;
    }
    verdict.reasons = [...reasons.values()].sort((a, b) => b.shots - a.shots);
    out.titles.push(verdict);
    done++;
    opts.onProgress?.({ task: 'rights:check', label: t.name, done, total: titles.length, unit: 'titles', finished: done === titles.length });
  }
  return out;
}
