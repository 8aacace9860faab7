// generate: one prompt (and optional first/last image or clip) → a signed MP4 with its usage ledger
// lines, attribution and compute on record. Order matters: every input is checked before any work,
// the consent guardrail runs before the model runs (its files may already be loading, see
// GenerateOptions.earlyModel), and nothing is recorded unless the signed file exists.
import { randomBytes, randomInt, createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import {
  BACKLOT_VERSION, FULL_GUIDANCE_INTERVAL, GenerateError, InputError, NotFoundError, attributionShares, checkPrompt, clipEmbedding, flowSchedule, gaussianNoise,
  knownFrames, latentConditioningVideo, modelCalls, nearestRows, noConditioning, noiseTo, sharesBy, sizeOf, tokenize,
  type FrameConditioning, type GenerationMode, type GuardrailDecision, type GuidanceInterval, type KnownFrame, type ProgressSink, type SamplerName,
} from '@backlot/core';
import type { Workspace } from '@backlot/adapters/workspace';
import { inProcessRunner, loadModel, modelShape, readClipIndex, tokenizePrompt, videoShape, type LoadOptions, type ModelRunner, type WorkerRunner } from '@backlot/adapters/onnx';
import { loadSigningKeys, mimeTypeOf, readCredentials, signGeneratedVideo, type CredentialsState } from '@backlot/adapters/c2pa';
import { sha256File } from '@backlot/adapters/store';
import { appendAudit } from '../audit/index.js';
import { checkClip, checkStill, readClipFrames, readStill, startMp4Writer, type ClipInfo, type Mp4Writer } from './media.js';
import { LIMITS, modeOf, parseGenerateRequest, type GenerateRequest } from './request.js';
import { loadLikenessRegistry } from './likeness.js';

/** How many nearest training clips share each generation's attribution. */
export const ATTRIBUTION_NEIGHBOURS = 8;
const DEFAULT_STRENGTH = 0.6;

export interface GenerateOptions {
  actor: string;
  onProgress?: ProgressSink;
  signal?: AbortSignal;
  /** Where the ONNX sessions run; default 'auto' (see @backlot/adapters/onnx). */
  device?: LoadOptions['device'];
  /** The day the guardrail judges consents on (YYYY-MM-DD); default today (UTC). */
  on?: string;
  /** The server job making this clip, recorded with it (one generation per job, see the job runner). */
  jobId?: string;
  /**
   * A model already loading on a worker thread (the CLI starts one from the workspace's usual export
   * folder before the database is open). Used only when the registry names that same folder, and
   * only after the inputs and the consent guardrail have passed; closed in every other case.
   */
  earlyModel?: WorkerRunner;
}

export interface StageTimes {
  load: number;
  text: number;
  sampling: number;
  decode: number;
  encode: number;
  sign: number;
  attribution: number;
  total: number;
}

export interface GenerateResult {
  generationId: string;
  output: string;
  sha256: string;
  modelId: string;
  mode: GenerationMode;
  prompt: string;
  promptSha256: string;
  project: string | null;
  params: { seed: number; steps: number; guidance: number; guidanceInterval: GuidanceInterval; sampler: SamplerName; frames: number; strength: number | null };
  video: { frames: number; fps: number; seconds: number; width: number; height: number };
  device: string;
  deviceNote?: string;
  /** Seconds per stage; model time = text + sampling + decode. */
  seconds: StageTimes;
  modelCalls: number;
  credentials: { state: CredentialsState; manifestLabel: string; signer: 'development' | 'studio' };
  guardrail: GuardrailDecision;
  usage: Array<{ personId: string; personName: string; consentId: string; seconds: number; project: string | null }>;
  attribution: AttributionRecord;
  /** Prompt words the model never saw in training. */
  unknownWords: string[];
  /** Whether the model was loaded on a worker thread while the database started (earlyModel). */
  earlyModel: boolean;
}

export interface AttributionRecord {
  clips: Array<{ rank: number; clipId: string; shotId: string | null; titleId: string; title: string; similarity: number; share: number }>;
  titles: Array<{ titleId: string; title: string; share: number }>;
}

interface ModelRow {
  id: string;
  path: string;
  export_path: string | null;
  lineage: unknown;
  dataset_root: string | null;
  tainted_reason: string | null;
}

export function promptHash(prompt: string): string {
  return createHash('sha256').update(prompt, 'utf8').digest('hex');
}

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** The model's export folder, or a one-line error naming the model. */
export async function findExportedModel(ws: Workspace, modelId: string): Promise<{ row: ModelRow; onnxDir: string }> {
  const [row] = await ws.db.query<ModelRow & Record<string, unknown>>('SELECT id, path, export_path, lineage, dataset_root, tainted_reason FROM models WHERE id = $1', [modelId]);
  if (!row) throw new NotFoundError('unknown_model', `--model ${modelId}: no such model (see \`backlot models ls\`)`, '--model');
  const onnxDir = row.export_path ?? join(ws.modelsDir, modelId, 'onnx');
  if (!existsSync(join(onnxDir, 'model.json'))) throw new GenerateError('model_not_exported', `--model ${modelId}: not exported for generation; run \`backlot models export ${modelId}\``, '--model');
  return { row, onnxDir };
}

interface CheckedInputs {
  req: GenerateRequest;
  mode: GenerationMode;
  clip?: ClipInfo;
  output: string;
}

/** Every check that needs no model weights: flags, files, combinations. Throws the first problem. */
async function checkInputs(ws: Workspace, raw: unknown): Promise<CheckedInputs & { row: ModelRow; onnxDir: string }> {
  const req = parseGenerateRequest(raw);
  const mode = modeOf(req);
  const { row, onnxDir } = await findExportedModel(ws, req.modelId);
  if (row.tainted_reason) throw new GenerateError('model_tainted', `--model ${req.modelId}: tainted by a revocation (${row.tainted_reason}); retrain without the affected data`, '--model');
  if (req.image) await checkStill(req.image, '--image');
  if (req.last) await checkStill(req.last, '--last');
  let clip: ClipInfo | undefined;
  if (req.extend) clip = await checkClip(req.extend, '--extend');
  if (req.restyle) clip = await checkClip(req.restyle, '--restyle');
  const output = resolve(req.output);
  if (!existsSync(dirname(output))) throw new InputError('bad_output', `-o ${req.output}: folder ${dirname(output)} does not exist`, '-o');
  for (const input of [req.image, req.last, req.extend, req.restyle]) {
    if (input && resolve(input) === output) throw new InputError('bad_output', `-o ${req.output}: would overwrite an input`, '-o');
  }
  return { req, mode, clip, output, row, onnxDir };
}

/** The model-dependent checks: the mode and frame count this model supports. */
function checkAgainstModel(model: ModelRunner, req: GenerateRequest, mode: GenerationMode): number {
  const T = model.config.data.frames;
  const frames = req.frames ?? T;
  if (frames > T) throw new InputError('bad_generate_request', `--frames: must be between ${LIMITS.frames.min} and ${T} for model ${req.modelId} (its clip length)`, '--frames');
  if (mode !== 'restyle' && mode !== 't2v' && !model.config.modes.includes(mode)) {
    throw new InputError('bad_generate_request', `model ${req.modelId} was not trained for ${mode} (it supports ${model.config.modes.join(', ')})`, '--model');
  }
  return frames;
}

async function conditioningFor(model: ModelRunner, mode: GenerationMode, req: GenerateRequest, frames: number, clip: ClipInfo | undefined): Promise<{ conditioning: FrameConditioning; pixelGiven: KnownFrame[]; restyleClip?: { video: Float32Array; frames: number } }> {
  const d = videoShape(model);
  const shape = modelShape(model);
  const size = { width: d.width, height: d.height };
  const given: KnownFrame[] = [];
  let restyleClip: { video: Float32Array; frames: number } | undefined;
  if (mode === 'i2v' || mode === 'interpolate') given.push({ index: 0, data: await readStill(req.image!, size.width, size.height) });
  if (mode === 'interpolate') given.push({ index: frames - 1, data: await readStill(req.last!, size.width, size.height) });
  if (mode === 'extend') {
    const E = model.config.extendFrames ?? Math.max(1, Math.floor(d.frames / 4));
    const tail = await readClipFrames(req.extend!, clip!, { ...size, fps: model.config.data.fps, count: E, from: 'end' });
    // The clip's last E frames become frames 0..E-1 of the new clip, which carries on from them.
    const plane = d.height * d.width;
    for (let i = 0; i < tail.frames; i++) {
      const frame = new Float32Array(3 * plane);
      for (let ch = 0; ch < 3; ch++) frame.set(tail.video.subarray((ch * tail.frames + i) * plane, (ch * tail.frames + i + 1) * plane), ch * plane);
      given.push({ index: i, data: frame });
    }
  }
  if (mode === 'restyle') {
    const read = await readClipFrames(req.restyle!, clip!, { ...size, fps: model.config.data.fps, count: d.frames, from: 'start' });
    // A short clip is padded with its last frame; the output keeps only the clip's own length.
    const video = new Float32Array(sizeOf(d));
    const plane = d.height * d.width;
    for (let ch = 0; ch < 3; ch++) for (let t = 0; t < d.frames; t++) {
      const src = Math.min(t, read.frames - 1);
      video.set(read.video.subarray((ch * read.frames + src) * plane, (ch * read.frames + src + 1) * plane), (ch * d.frames + t) * plane);
    }
    restyleClip = { video, frames: read.frames };
  }
  if (!given.length) return { conditioning: noConditioning(shape), pixelGiven: given, restyleClip };
  if (model.config.space === 'pixel') return { conditioning: knownFrames(shape, given), pixelGiven: given, restyleClip };
  const k = model.config.vae?.temporalDownsample ?? 4;
  const { video, givenLatent } = latentConditioningVideo(given, d.frames, d.height, d.width, k);
  const cond = await model.encodeVideo(video);
  const planeL = shape.height * shape.width;
  const frameMask = new Float32Array(shape.frames);
  for (const j of givenLatent) frameMask[j] = 1;
  for (let c = 0; c < shape.channels; c++) for (let j = 0; j < shape.frames; j++) if (!frameMask[j]) cond.fill(0, (c * shape.frames + j) * planeL, (c * shape.frames + j + 1) * planeL);
  return { conditioning: { cond, frameMask }, pixelGiven: given, restyleClip };
}

export async function generate(ws: Workspace, input: unknown, opts: GenerateOptions): Promise<GenerateResult> {
  try {
    return await makeClip(ws, input, opts);
  } finally {
    await opts.earlyModel?.close(); // unused (refused, failed, another folder), or already closed
  }
}

/** The early model when it is this export and loaded well, else the model loaded here. */
async function openModel(onnxDir: string, opts: GenerateOptions): Promise<ModelRunner> {
  const early = opts.earlyModel;
  if (early && resolve(early.dir) === resolve(onnxDir)) {
    try {
      await early.ready;
      return early;
    } catch {
      // Load again here: a real problem with the files then fails with its own code and message.
    }
  }
  return inProcessRunner(await loadModel(onnxDir, { device: opts.device }));
}

async function makeClip(ws: Workspace, input: unknown, opts: GenerateOptions): Promise<GenerateResult> {
  const started = performance.now();
  const progress = opts.onProgress ?? (() => {});
  const { req, mode, clip, output, row, onnxDir } = await checkInputs(ws, input);
  const promptSha256 = promptHash(req.prompt);
  const project = req.project ?? null;

  // Consent guardrail, before any model work. A refusal is audited with its reasons.
  const registry = await loadLikenessRegistry(ws.db);
  const guardrail = checkPrompt(req.prompt, registry.people, registry.consents, { on: opts.on ?? today(), project });
  if (!guardrail.allowed) {
    await appendAudit(ws.db, {
      actor: opts.actor,
      action: 'generation.refused',
      subject: `model:${req.modelId}`,
      details: { promptSha256, prompt: req.prompt, project, reasons: guardrail.reasons, checks: guardrail.checks.map((c) => ({ personId: c.personId, allowed: c.allowed, consents: c.consents, mentions: c.mentions.map((m) => m.matched) })) },
    });
    throw new GenerateError('likeness_refused', `refused: ${guardrail.reasons.join('; ')}`, 'PROMPT');
  }

  const unsigned = await ws.store.tempPath('.mp4'); // a name only: nothing to clean up before the encoder starts
  const t0 = performance.now();
  const model = await openModel(onnxDir, opts);
  let encoder: Mp4Writer | undefined;
  try {
    const frames = checkAgainstModel(model, req, mode);
    const seconds: StageTimes = { load: (performance.now() - t0) / 1000, text: 0, sampling: 0, decode: 0, encode: 0, sign: 0, attribution: 0, total: 0 };
    const steps = req.steps ?? model.config.defaults.steps;
    const guidance = req.guidance ?? model.config.defaults.guidance;
    const { lo, hi } = req.guidanceInterval ?? model.config.defaults.guidanceInterval ?? FULL_GUIDANCE_INTERVAL;
    const guidanceInterval = { lo, hi };
    const sampler: SamplerName = req.sampler ?? (model.config.defaults.sampler === 'heun' ? 'heun' : 'euler');
    const seed = req.seed ?? randomInt(0, 2 ** 31);
    const strength = mode === 'restyle' ? (req.strength ?? DEFAULT_STRENGTH) : null;
    const shape = modelShape(model);
    const d = videoShape(model);

    const { conditioning, restyleClip } = await conditioningFor(model, mode, req, frames, clip);
    const fps = model.config.data.fps;
    encoder = startMp4Writer(unsigned, d.height, d.width, fps, opts.signal);

    let t = performance.now();
    const tokens = tokenizePrompt(model, req.prompt);
    const batch = guidance === 1 ? [tokens] : [tokens, tokenize('', model.config.text.tokenizer, model.config.text.maxLength)];
    const text = await model.encodeText(batch);
    seconds.text = (performance.now() - t) / 1000;

    const noise = gaussianNoise(seed, sizeOf(shape));
    let x = noise;
    let schedule = flowSchedule(steps);
    if (restyleClip) {
      const x0 = await model.encodeVideo(restyleClip.video);
      x = noiseTo(x0, noise, strength!);
      schedule = flowSchedule(steps, { start: strength! });
    }
    const task = `generate:${basename(output)}`;
    progress({ task, label: 'denoising', done: 0, total: steps, unit: 'steps' });
    t = performance.now();
    const { x0, calls } = await model.sample({
      sampler, x, schedule, text, conditioning, guidance, guidanceInterval,
      holdNoise: model.config.space === 'pixel' && conditioning.frameMask.some((m) => m > 0) ? noise : undefined,
    }, {
      signal: opts.signal,
      onStep: (i, n) => progress({ task, label: 'denoising', done: i, total: n, unit: 'steps', finished: i === n }),
    });
    seconds.sampling = (performance.now() - t) / 1000;

    t = performance.now();
    const video = await model.decode(x0);
    seconds.decode = (performance.now() - t) / 1000;
    const keep = restyleClip ? Math.min(frames, restyleClip.frames) : frames;
    const trimmed = keep === d.frames ? video : trimFrames(video, d.frames, keep, d.height * d.width);

    t = performance.now();
    const embedding = clipEmbedding(x0, shape, { clamp: model.config.space === 'pixel' });
    const attribution = await attribute(ws, model, embedding);
    seconds.attribution = (performance.now() - t) / 1000;

    const generationId = `gen_${randomBytes(6).toString('hex')}`;
    t = performance.now();
    const signedTmp = await ws.store.tempPath('.mp4');
    try {
      await encoder.write(trimmed, keep);
      seconds.encode = (performance.now() - t) / 1000;

      t = performance.now();
      const keys = await loadSigningKeys(ws.home);
      const ingredients = [
        req.image && { path: req.image, title: mode === 'interpolate' ? 'first keyframe' : 'first frame', mimeType: await mimeOf(req.image) },
        req.last && { path: req.last, title: 'last keyframe', mimeType: await mimeOf(req.last) },
        req.extend && { path: req.extend, title: 'clip extended', mimeType: await mimeOf(req.extend) },
        req.restyle && { path: req.restyle, title: 'clip restyled', mimeType: await mimeOf(req.restyle) },
      ].filter((i): i is { path: string; title: string; mimeType: string } => !!i);
      const lineage = row.lineage ?? model.config.lineage;
      const datasetMerkleRoot = row.dataset_root ?? model.config.datasetRoot;
      const params = { seed, steps, guidance, guidanceInterval, sampler, frames: keep, strength };
      await signGeneratedVideo(keys, {
        input: unsigned,
        output: signedTmp,
        lineage: { generationId, modelId: req.modelId, lineage, datasetMerkleRoot, promptSha256, mode, parameters: params },
        ingredients,
        softwareVersion: BACKLOT_VERSION,
      });
      const check = await readCredentials(signedTmp, keys.trustAnchorsPem);
      if (check.state === 'Invalid' || check.state === 'None') throw new GenerateError('sign_failed', `signing ${output} failed: credentials read back ${check.state}`, '-o');
      seconds.sign = (performance.now() - t) / 1000;

      await copyFile(signedTmp, output);
      const sha256 = await sha256File(output);
      const bytes = (await stat(output)).size;
      await ws.store.commitTemp(signedTmp);
      const clipSeconds = keep / fps;
      seconds.total = (performance.now() - started) / 1000;

      const usage = guardrail.checks.filter((c) => c.consentId).map((c) => ({ personId: c.personId, personName: c.personName, consentId: c.consentId!, seconds: clipSeconds, project }));
      const totalCalls = calls;
      await ws.db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO generations (id, model_id, mode, prompt, prompt_sha256, params, project, guardrail, status, actor, finished_at, job_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'done', $9, now(), $10)`,
          [generationId, req.modelId, mode, req.prompt, promptSha256, JSON.stringify(params), project, JSON.stringify(guardrail), opts.actor, opts.jobId ?? null],
        );
        const inputs = [['first', req.image], ['last', req.last], ['extend', req.extend], ['restyle', req.restyle]] as const;
        for (const [role, path] of inputs) {
          if (path) await tx.query('INSERT INTO generation_inputs (generation_id, role, path, sha256) VALUES ($1, $2, $3, $4)', [generationId, role, resolve(path), await sha256File(path)]);
        }
        await tx.query(
          `INSERT INTO generation_outputs (id, generation_id, sha256, path, bytes, frames, fps, seconds, width, height, manifest_label, signer)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
          [`out_${generationId.slice(4)}`, generationId, sha256, output, bytes, keep, fps, clipSeconds, d.width, d.height, check.manifest?.label ?? '', keys.source],
        );
        // One statement per table, rows passed as JSON: each round trip into the embedded database costs
        // a few milliseconds, and a clip has ~20 rows to record.
        await tx.query(
          `INSERT INTO likeness_usage (generation_id, person_id, consent_id, seconds, project)
           SELECT $1, r.person_id, r.consent_id, r.seconds, r.project
           FROM jsonb_to_recordset($2::jsonb) AS r(person_id text, consent_id text, seconds double precision, project text)`,
          [generationId, JSON.stringify(usage.map((u) => ({ person_id: u.personId, consent_id: u.consentId, seconds: u.seconds, project: u.project })))],
        );
        await tx.query(
          `INSERT INTO attribution_shares (generation_id, rank, clip_id, shot_id, title_id, similarity, share)
           SELECT $1, r.rank, r.clip_id, r.shot_id, r.title_id, r.similarity, r.share
           FROM jsonb_to_recordset($2::jsonb) AS r(rank integer, clip_id text, shot_id text, title_id text, similarity double precision, share double precision)`,
          [generationId, JSON.stringify(attribution.clips.map((c) => ({ rank: c.rank, clip_id: c.clipId, shot_id: c.shotId, title_id: c.titleId, similarity: c.similarity, share: c.share })))],
        );
        const stages: Array<[string, number, number | null]> = [
          ['load', seconds.load, null], ['text', seconds.text, 1], ['sampling', seconds.sampling, totalCalls], ['decode', seconds.decode, model.config.space === 'latent' ? 1 : 0],
          ['attribution', seconds.attribution, null], ['encode', seconds.encode, null], ['sign', seconds.sign, null], ['total', seconds.total, null],
        ];
        await tx.query(
          `INSERT INTO generation_compute (generation_id, stage, device, seconds, calls)
           SELECT $1, r.stage, r.device, r.seconds, r.calls
           FROM jsonb_to_recordset($2::jsonb) AS r(stage text, device text, seconds double precision, calls integer)`,
          [generationId, JSON.stringify(stages.map(([stage, s, n]) => ({ stage, device: stage === 'encode' || stage === 'sign' ? 'cpu' : model.device, seconds: s, calls: n })))],
        );
        await appendAudit(tx, {
          actor: opts.actor,
          action: 'generation.created',
          subject: `generation:${generationId}`,
          details: { modelId: req.modelId, mode, promptSha256, project, output, sha256, params, people: usage.map((u) => ({ personId: u.personId, consentId: u.consentId })), titles: attribution.titles.map((t) => ({ titleId: t.titleId, share: t.share })) },
        });
      });

      return {
        generationId, output, sha256, modelId: req.modelId, mode, prompt: req.prompt, promptSha256, project,
        params,
        video: { frames: keep, fps, seconds: clipSeconds, width: d.width, height: d.height },
        device: model.device, deviceNote: model.deviceNote, seconds, modelCalls: calls || modelCalls(sampler, steps),
        credentials: { state: check.state, manifestLabel: check.manifest?.label ?? '', signer: keys.source },
        guardrail, usage, attribution, unknownWords: tokens.unknown, earlyModel: model === opts.earlyModel,
      };
    } finally {
      await rm(signedTmp, { force: true });
    }
  } finally {
    encoder?.cancel();
    await rm(unsigned, { force: true });
    await model.close();
  }
}

function trimFrames(video: Float32Array, frames: number, keep: number, plane: number): Float32Array {
  const out = new Float32Array(3 * keep * plane);
  for (let c = 0; c < 3; c++) out.set(video.subarray(c * frames * plane, (c * frames + keep) * plane), c * keep * plane);
  return out;
}

/** An input's media type for its C2PA ingredient: by extension, else by its first bytes (uploads have no extension). */
async function mimeOf(path: string): Promise<string> {
  return (await mimeTypeOf(path)) ?? 'application/octet-stream';
}

/** Nearest training clips in the model's own space, their titles, and shares summing to 1. */
async function attribute(ws: Workspace, model: ModelRunner, embedding: Float32Array): Promise<AttributionRecord> {
  const index = await readClipIndex(model.dir, model.config);
  if (!index || index.meta.count === 0) return { clips: [], titles: [] };
  if (index.meta.dim !== embedding.length) throw new GenerateError('clip_index_invalid', `${model.dir}: clip index has dim ${index.meta.dim}, the model's embedding ${embedding.length}`, model.dir);
  const near = nearestRows(embedding, index.rows, index.meta.dim, ATTRIBUTION_NEIGHBOURS);
  const shares = attributionShares(near.map((n) => n.similarity));
  const titleIds = [...new Set(near.map((n) => index.meta.clips[n.row]!.titleId))];
  const names = new Map((await ws.db.query<{ id: string; name: string }>('SELECT id, name FROM titles WHERE id = ANY($1)', [titleIds])).map((r) => [r.id, r.name]));
  const clips = near.map((n, rank) => {
    const c = index.meta.clips[n.row]!;
    return { rank: rank + 1, clipId: c.clipId, shotId: c.shotId ?? null, titleId: c.titleId, title: names.get(c.titleId) ?? c.titleId, similarity: n.similarity, share: shares[rank]! };
  });
  const titles = sharesBy(clips.map((c) => ({ key: c.titleId, share: c.share }))).map((t) => ({ titleId: t.key, title: names.get(t.key) ?? t.key, share: t.share }));
  return { clips, titles };
}
