// The demo steps after ingest: import the demo rights, build a dataset (showing what was left out
// and why), train a tiny model and export it, generate a clip from a caption no film ever showed,
// verify its credentials and attribution, show one guardrail refusal, then serve the studio.
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { HELD_OUT, captionFor, isBacklotError } from '@backlot/core';
import { createServer } from '@backlot/server';
import { writeDemoRights } from '@backlot/workflows/demo';
import { importRights } from '@backlot/workflows/rights';
import { buildDataset, listDatasets } from '@backlot/workflows/datasets';
import { exportModel, trainModel } from '@backlot/workflows/training';
import { generate, showAttribution, verifyFile } from '@backlot/workflows/generation';
import { addUser, listUsers, type Role } from '@backlot/workflows/users';
import type { DemoContext, DemoStep } from './demo.js';
import { untilSignal } from './serve.js';

/** The demo's own people, printed at the end so whoever ran the demo can sign in. */
export const DEMO_USERS: Array<{ username: string; role: Role; password: string; name: string }> = [
  { username: 'admin', role: 'admin', password: 'backlot-admin-demo', name: 'Studio Admin' },
  { username: 'rights', role: 'rights', password: 'backlot-rights-demo', name: 'Rita Rights' },
  { username: 'ml', role: 'ml', password: 'backlot-ml-demo', name: 'Milo Engineer' },
  { username: 'creative', role: 'creative', password: 'backlot-creative-demo', name: 'Cleo Director' },
  { username: 'viewer', role: 'viewer', password: 'backlot-viewer-demo', name: 'Vic Viewer' },
];

const rightsStep: DemoStep = {
  id: 'rights',
  title: 'import the demo rights',
  async run(ctx) {
    const ws = await ctx.workspace();
    const demo = await writeDemoRights(ctx.libraryDir);
    const imported = await importRights(ws, { path: demo.path }, { actor: ctx.actor, onProgress: ctx.progress.sink });
    const s = demo.story;
    ctx.results.rights = { file: demo.path, imported, story: s };
    ctx.summary.push(`rights        imported ${demo.path}`);
    ctx.summary.push(`  ${s.nonConsenting.person} has no consent on record: shots they appear in are left out (${s.nonConsenting.films.join(', ')})`);
    if (s.noLikeness) ctx.summary.push(`  ${s.noLikeness.person} consents to training but not to likeness: prompts naming them are refused`);
    if (s.unclearedCue) ctx.summary.push(`  music cue "${s.unclearedCue.name}" in ${s.unclearedCue.title} is not cleared (matters for audio datasets)`);
    if (s.restriction) ctx.summary.push(`  ${s.restriction.title} ${s.restriction.start.toFixed(1)}-${s.restriction.end.toFixed(1)} s is restricted (a logo)`);
    if (s.expiredGrant) ctx.summary.push(`  the licence for ${s.expiredGrant.title} ended on ${s.expiredGrant.endsOn}: the whole title is left out`);
    if (s.expiringGrant) ctx.summary.push(`  the licence for ${s.expiringGrant.title} ends on ${s.expiringGrant.endsOn} (see backlot rights expiring)`);
  },
};

const datasetStep: DemoStep = {
  id: 'dataset',
  title: 'build a dataset',
  async run(ctx) {
    const ws = await ctx.workspace();
    // Each demo run makes a new snapshot; earlier ones stay, immutable, for `backlot dataset diff`.
    const existing = (await listDatasets(ws)).filter((d) => /^demo-v\d+$/.test(d.name)).length;
    const name = `demo-v${existing + 1}`;
    const built = await buildDataset(ws, { name }, { actor: ctx.actor, onProgress: ctx.progress.sink });
    const snap = built.snapshot;
    ctx.datasetName = name;
    ctx.results.dataset = { name, id: snap.id, merkleRoot: snap.merkleRoot, counts: snap.counts, exclusionsByRule: built.exclusionsByRule };
    ctx.summary.push(`dataset       ${name}: ${snap.counts.train} training and ${snap.counts.val} validation clips, ${snap.counts.excluded} shots left out; Merkle root ${snap.merkleRoot.slice(0, 16)}…`);
    for (const [rule, n] of Object.entries(built.exclusionsByRule).sort((a, b) => b[1] - a[1])) ctx.summary.push(`  left out by ${rule}: ${n}`);
  },
};

const trainStep: DemoStep = {
  id: 'train',
  title: 'train a tiny model and export it',
  async run(ctx) {
    const ws = await ctx.workspace();
    const minutes = ctx.flags.trainMinutes;
    const trained = await trainModel(
      ws,
      { dataset: ctx.datasetName!, preset: 'tiny', minutes, ...(ctx.flags.trainSteps ? { steps: ctx.flags.trainSteps } : {}), name: ctx.datasetName },
      { actor: ctx.actor, onProgress: ctx.progress.sink },
    );
    await exportModel(ws, trained.model.id, { actor: ctx.actor, onProgress: ctx.progress.sink });
    ctx.modelId = trained.model.id;
    ctx.results.train = { runId: trained.runId, model: trained.model, previews: trained.previews };
    const loss = trained.model.finalLoss === null ? '' : `, final loss ${trained.model.finalLoss.toFixed(4)}`;
    ctx.summary.push(`train         model ${trained.model.id} (tiny, at most ${minutes} min${loss}), exported to ONNX`);
    const [first, last] = [trained.previews[0], trained.previews.at(-1)];
    if (first && last && last !== first) ctx.summary.push(`  previews (generated above real held-out clips): step ${first.step} ${first.path}`, `                                               step ${last.step} ${last.path}`);
  },
};

const generateStep: DemoStep = {
  id: 'generate',
  title: 'generate, verify, attribute, refuse',
  async run(ctx) {
    const ws = await ctx.workspace();
    const outDir = join(ctx.workspaceHome, 'outputs');
    await mkdir(outDir, { recursive: true });
    // A caption whose combination no demo film ever showed: the model has to compose it.
    const prompt = captionFor(HELD_OUT[0]!);
    const output = join(outDir, 'demo-generated.mp4');
    const made = await generate(ws, { prompt, modelId: ctx.modelId!, output, seed: 7 }, { actor: ctx.actor, onProgress: ctx.progress.sink });
    const check = await verifyFile(ws, output);
    const attribution = await showAttribution(ws, made.generationId);
    const titles = attribution.titles.slice(0, 3).map((t) => `${t.title} ${(100 * t.share).toFixed(0)}%`).join(', ');
    ctx.summary.push(`generate      "${prompt}" → ${output} (${made.video.frames} frames, ${made.seconds.total.toFixed(2)} s)`);
    ctx.summary.push(`  credentials: ${check.state} — ${check.summary}`);
    ctx.summary.push(`  draws on: ${titles}`);

    // The guardrail: the actor who never consented cannot be named in a prompt.
    const story = (ctx.results.rights as { story?: { nonConsenting: { person: string } } } | undefined)?.story;
    let refusal: string | null = null;
    if (story) {
      try {
        await generate(ws, { prompt: `${story.nonConsenting.person} walking in the forest at night`, modelId: ctx.modelId!, output: join(outDir, 'refused.mp4') }, { actor: ctx.actor });
      } catch (e) {
        if (!isBacklotError(e)) throw e;
        refusal = e.message;
      }
      ctx.summary.push(`  refused: "${story.nonConsenting.person} walking in the forest at night" — ${refusal ?? 'NOT refused (this is a bug)'}`);
    }
    ctx.results.generate = { output, generationId: made.generationId, credentials: check.state, attribution: attribution.titles, refusal };
  },
};

const serveStep: DemoStep = {
  id: 'serve',
  title: 'serve the studio',
  async run(ctx) {
    if (!ctx.flags.serve) return;
    const ws = await ctx.workspace();
    const have = new Set((await listUsers(ws)).map((u) => u.username));
    for (const u of DEMO_USERS) {
      if (!have.has(u.username)) await addUser(ws, { username: u.username, role: u.role, password: u.password, displayName: u.name }, { actor: ctx.actor });
    }
    if (ws.access === 'embedded-owner') await ws.shareDatabase();
    const server = await createServer(ws);
    const address = await server.listen(ctx.flags.port, '127.0.0.1');
    ctx.progress.stop();
    const lines = [
      `Backlot is running at ${address.url} — open it in a browser. Ctrl-C stops it.`,
      'Sign in as:',
      ...DEMO_USERS.map((u) => `  ${u.username.padEnd(9)} ${u.password.padEnd(22)} (${u.role})`),
    ];
    process.stdout.write(`${ctx.summary.join('\n')}\n${lines.join('\n')}\n`);
    ctx.summary.length = 0;
    await untilSignal(() => server.close());
  },
};

export const PIPELINE_STEPS: DemoStep[] = [rightsStep, datasetStep, trainStep, generateStep, serveStep];

export type { DemoContext };
