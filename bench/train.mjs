// npm run bench:train — ms/step and samples/s of the `tiny` preset on this CPU (the real trainer on a
// demo-world snapshot rendered on the fly; in bf16 and again in fp32 where the CPU has bf16
// instructions), parameter counts of every preset, `small`'s autoencoder, denoiser (encoding
// its batch, and with its latents held) and decoder-alone steps with what its default run comes to, and on a machine with a CUDA GPU, samples/s and model FLOPs utilisation of `base` in bf16 (trainer/bench_gpu.py, which also runs alone: python3 -m trainer.bench_gpu).
// Env: BENCH_STEPS (default 20, the first 3 are warm-up), BENCH_SMALL_STEPS (per phase, default 6, the
// first is warm-up; 0 skips it), BENCH_THREADS (default 2), BACKLOT_PYTHON.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const steps = Number(process.env.BENCH_STEPS ?? 20);
const threads = Number(process.env.BENCH_THREADS ?? 2);
// The environment `backlot train` gives the trainer (its threads, glibc's huge pages; OpenMP's default wait policy).
const adapter = join(root, 'packages/adapters/dist/trainer/index.js');
if (!existsSync(adapter)) spawnSync('npm', ['run', '-s', 'build:cli'], { cwd: root, stdio: 'inherit' });
const { pythonPath, trainerEnv } = await import(adapter);
const python = pythonPath();
const env = trainerEnv(process.env, threads);
const py = (args, extraEnv = {}) => {
  const r = spawnSync(python, args, { cwd: root, env: { ...env, ...extraEnv }, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${args.slice(0, 3).join(' ')} failed:\n${r.stderr.slice(-2000)}`);
  return r.stdout;
};
const events = (out) => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

const tmp = mkdtempSync(join(tmpdir(), 'bench-train-'));
try {
  const info = JSON.parse(py(['-c', `import json, torch
from trainer.model import PRESETS, VideoModel
out = {"torch": torch.__version__, "cuda": torch.cuda.is_available(), "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None, "presets": {}}
for n, p in PRESETS.items():
    m = VideoModel(p, 64)
    out["presets"][n] = {"params": m.param_counts(), "latent": list(p.latent_shape()), "tokens": p.tokens(), "steps": p.steps, "vaeSteps": p.vae_steps, "decSteps": p.vae_dec_steps}
    del m
print(json.dumps(out))`]).trim().split('\n').pop());
  console.log(`torch ${info.torch}, ${cpus().length} CPUs (${cpus()[0]?.model}), ${threads} threads, load average before ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  for (const [name, p] of Object.entries(info.presets)) {
    console.log(`  ${name.padEnd(5)} params total ${(p.params.total / 1e6).toFixed(2)} M (text ${(p.params.text / 1e6).toFixed(2)} M, denoiser ${(p.params.dit / 1e6).toFixed(2)} M, autoencoder ${(p.params.vae / 1e6).toFixed(2)} M), model space ${p.latent.join('x')}, ${p.tokens} tokens`);
  }

  const data = join(tmp, 'ds');
  py(['-c', `from trainer.demo_world import demo_snapshot; demo_snapshot(${JSON.stringify(data)}, per_combo=1, limit=48)`]);
  // tiny's usual step (the t = 1 warm-up, whose steps take batch 48, left out) as it trains (bf16 autocast
  // where the CPU multiplies bf16 natively), then in fp32 for comparison
  const timeTiny = (label, extra) => {
    const t0 = Date.now();
    const ev = events(py(['-m', 'trainer.train', '--data', data, '--run-dir', join(tmp, `run-${label}`), '--preset', 'tiny', '--steps', String(steps), '--log-every', '1', '--ckpt-every', '100000', '--threads', String(threads), '--no-previews', '--set', 'high_noise_steps=0', ...extra]));
    const st = ev.filter((e) => e.event === 'step');
    const warm = Math.min(3, st.length - 2);
    const per = (st.at(-1).elapsed - st[warm - 1].elapsed) / (st.length - warm);
    const batch = 16;
    console.log(`tiny on CPU, ${ev[0].autocast}${label === 'default' ? ' (as it trains)' : ''}: ${(per * 1000).toFixed(0)} ms/step, ${(batch / per).toFixed(1)} samples/s (batch ${batch}, ${st.length - warm} timed steps; wall ${((Date.now() - t0) / 1000).toFixed(0)} s incl. start-up); load average after ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    return ev[0].autocast;
  };
  if (timeTiny('default', []) === 'bf16') timeTiny('fp32', ['--set', 'cpu_bf16=false']);

  const smallSteps = Number(process.env.BENCH_SMALL_STEPS ?? 6);
  if (smallSteps >= 2) {
    // small: the autoencoder's steps (9-frame clips), then the denoiser's with every batch encoded afresh
    // (--latent-cache-mb 0: a cache holds nothing yet of the 48 clips' windows in so few steps), then the
    // decoder's alone on whole clips (`vae_dec_steps`)
    const small = (dir, ds, withDecoder, extra) => {
      const ss = events(py(['-m', 'trainer.train', '--data', ds, '--run-dir', join(tmp, dir), '--preset', 'small', '--steps', String((withDecoder ? 3 : 2) * smallSteps),
        '--set', `vae_steps=${smallSteps}`, '--set', `vae_dec_steps=${withDecoder ? smallSteps : 0}`, '--set', 'high_noise_steps=0',
        '--log-every', '1', '--ckpt-every', '100000', '--threads', String(threads), '--no-previews', ...extra]))
        .filter((e) => e.event === 'step');
      return (name, skip = 0) => {
        const s = ss.filter((e) => e.phase === name).slice(skip);
        return (s.at(-1).elapsed - s[0].elapsed) / (s.length - 1);
      };
    };
    const cold = small('runs', data, true, ['--latent-cache-mb', '0']);
    const [vae, dit, dec] = [cold('vae'), cold('dit'), cold('dec')];
    // and with the frozen autoencoder's latents held (trainer/train.py LatentCache), as a long run finds
    // them once its clips' windows come round again: 4 clips of exactly 17 frames, not mirrored, so after
    // the first steps every window and every set of given frames is held; the last half of the steps timed
    const few = join(tmp, 'ds-few');
    py(['-c', `from trainer.demo_world import demo_snapshot; demo_snapshot(${JSON.stringify(few)}, per_combo=1, limit=4, frames=17)`]);
    const held = small('runs-held', few, false, ['--set', 'hflip=0'])('dit', Math.floor(smallSteps / 2));
    const p = info.presets.small;
    const ditSteps = p.steps - p.vaeSteps - p.decSteps;   // `steps` counts every phase
    const hours = (d) => (p.vaeSteps * vae + ditSteps * d + p.decSteps * dec) / 3600;
    console.log(`small on CPU: autoencoder ${(vae * 1000).toFixed(0)} ms/step, denoiser ${(dit * 1000).toFixed(0)} ms/step encoding its batch, ${(held * 1000).toFixed(0)} ms/step with its latents held, decoder alone ${(dec * 1000).toFixed(0)} ms/step (batch 16, ${smallSteps - 1} and ${smallSteps - 1 - Math.floor(smallSteps / 2)} timed steps); its default run (${p.vaeSteps} + ${ditSteps} + ${p.decSteps} steps) ≈ ${hours(dit).toFixed(1)} h encoding every batch, ≈ ${hours(held).toFixed(1)} h with every latent held`);
  }

  if (info.cuda) {
    // base in bf16 on the GPU (trainer/bench_gpu.py): the denoiser's step on random latents, then the
    // real trainer on rendered 49x256x256 clips; MFU counts the model's FLOPs against the dense bf16 peak.
    for (const r of py(['-m', 'trainer.bench_gpu', '--train-steps', '24']).split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))) {
      const set = r.set.length ? ` (--set ${r.set.join(' ')})` : '';
      if (r.error) console.log(`base ${r.bench}${set}: ${r.error}`);
      else if (r.bench === 'autoencoder-encode') console.log(`base autoencoder, encoding one batch: ${(r.fp32_s * 1000).toFixed(0)} ms fp32, ${(r.bf16_s * 1000).toFixed(0)} ms bf16`);
      else console.log(`base ${r.bench} on ${r.gpu}${set}: ${r.samples_s.toFixed(2)} samples/s, ${(r.per_step_s * 1000).toFixed(0)} ms/step, MFU ${(100 * r.mfu).toFixed(1)} %${r.compiled ? ' (compiled)' : ''}${r.peak_mem_gib ? `, peak ${r.peak_mem_gib.toFixed(1)} GiB` : ''}`);
    }
  } else {
    console.log('base: no CUDA GPU here; run this bench on a GPU machine for samples/s and MFU (python3 -m trainer.bench_gpu alone needs no Node)');
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
