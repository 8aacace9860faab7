// The Python trainer as a subprocess: finds the interpreter (BACKLOT_PYTHON or /usr/bin/python3),
// checks its torch, runs `python -m trainer.<module>` and turns its JSON-lines stdout into events.
import { spawn, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { ToolError } from '@backlot/core';
import { installRoot } from '../install/index.js';

export const MIN_TORCH: readonly [number, number] = [1, 13];

/** The repository folder that holds `trainer/` (BACKLOT_TRAINER_ROOT overrides). */
export function trainerRoot(): string {
  if (process.env.BACKLOT_TRAINER_ROOT) return resolve(process.env.BACKLOT_TRAINER_ROOT);
  return installRoot();
}

export function pythonPath(): string {
  return process.env.BACKLOT_PYTHON ?? '/usr/bin/python3';
}

export interface TorchInfo {
  python: string;
  torch: string;
  cuda: boolean;
  devices: number;
}

let cached: Promise<TorchInfo> | undefined;

/** Checks once per process that the interpreter runs and has torch >= 1.13; one clear line otherwise. */
export function checkTorch(): Promise<TorchInfo> {
  cached ??= new Promise<TorchInfo>((ok, fail) => {
    const python = pythonPath();
    if (python.includes('/') && !existsSync(python)) {
      fail(new ToolError('python_missing', `python ${python} not found: install python3-torch (bash scripts/setup.sh) or set BACKLOT_PYTHON`, python));
      return;
    }
    const probe = 'import json, torch; print(json.dumps({"torch": torch.__version__, "cuda": torch.cuda.is_available(), "devices": torch.cuda.device_count()}))';
    execFile(python, ['-c', probe], { timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) {
        const noTorch = /No module named 'torch'/.test(stderr);
        fail(new ToolError(noTorch ? 'torch_missing' : 'python_failed', noTorch
          ? `${python} has no torch: install python3-torch (bash scripts/setup.sh) or point BACKLOT_PYTHON at an interpreter with torch >= ${MIN_TORCH.join('.')}`
          : `${python} does not run: ${stderr.trim().split('\n').pop() ?? err.message}`, python));
        return;
      }
      const info = JSON.parse(stdout.trim().split('\n').pop()!) as Omit<TorchInfo, 'python'>;
      const [maj, min] = info.torch.split('.').map((x) => parseInt(x, 10));
      if ((maj ?? 0) < MIN_TORCH[0] || ((maj ?? 0) === MIN_TORCH[0] && (min ?? 0) < MIN_TORCH[1])) {
        fail(new ToolError('torch_too_old', `${python} has torch ${info.torch}; Backlot's trainer needs torch >= ${MIN_TORCH.join('.')}`, python));
        return;
      }
      ok({ python, ...info });
    });
  });
  cached.catch(() => { cached = undefined; });
  return cached;
}

/** One JSON line from the trainer. `event` is start | step | checkpoint | mode | done | error. */
export interface TrainerEvent {
  event: string;
  [k: string]: unknown;
}

export interface TrainerRun {
  /** Exit code; null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  events: TrainerEvent[];
  /** The error event the trainer reported, if any. */
  error?: { code: string; message: string };
  /** Last lines of stderr (tracebacks), for the run record. */
  stderrTail: string;
  aborted: boolean;
}

export interface RunTrainerOptions {
  onEvent?: (e: TrainerEvent) => void;
  signal?: AbortSignal;
  /** CPU threads per process (default BACKLOT_THREADS or 2). */
  threads?: number;
  /** Processes on this machine; > 1 runs DDP ranks (gloo on CPU, nccl on CUDA). */
  nproc?: number;
  /** nice level for long CPU runs on a shared machine (default 10). */
  nice?: number;
}

/**
 * The trainer's environment: `env` plus its module path, thread count and unbuffered output, and glibc's
 * malloc asked for transparent huge pages (`glibc.malloc.hugetlb=1`, glibc 2.35 or newer; older glibc and
 * other C libraries ignore it) unless `GLIBC_TUNABLES` already says otherwise. Every large tensor PyTorch
 * frees goes back to the kernel, and the next is faulted in again 4 KiB at a time: `small` with tokens of
 * 2x2 latent cells (1,280 tokens, attention maps of 420 MB a layer) spent 110 of 260 CPU-seconds of 5
 * steps in the kernel, 20-23 s a step, and 7 s a step with huge pages (2026-12-07); `small` as preset
 * 2.03 against 1.97 s a step.
 */
export function trainerEnv(env: NodeJS.ProcessEnv, threads: number): NodeJS.ProcessEnv {
  const tunables = env.GLIBC_TUNABLES ?? '';
  const hugePages = /(^|:)glibc\.malloc\.hugetlb=/.test(tunables) ? tunables : [tunables, 'glibc.malloc.hugetlb=1'].filter(Boolean).join(':');
  return { ...env, PYTHONPATH: trainerRoot(), OMP_NUM_THREADS: String(threads), PYTHONUNBUFFERED: '1', GLIBC_TUNABLES: hugePages };
}

/**
 * Runs `python -m trainer.<module> args...`. Resolves when the process exits (never rejects for a
 * non-zero exit: the caller decides from code/error). Aborting sends SIGTERM, then SIGKILL after 5 s.
 */
export async function runTrainer(module: 'train' | 'export' | 'evaluate' | 'sample', args: string[], opts: RunTrainerOptions = {}): Promise<TrainerRun> {
  const info = await checkTorch();
  const threads = opts.threads ?? Number(process.env.BACKLOT_THREADS ?? 2);
  // OpenMP's own wait policy (a short spin, then sleep): a `tiny` step takes 20 % longer when idle threads
  // sleep at once (OMP_WAIT_POLICY=PASSIVE: 193-197 against 148-159 ms here). The process runs niced, so the
  // spin yields to the server; a machine shared by parallel CPU jobs (the test suite) sets PASSIVE itself.
  const env = trainerEnv(process.env, threads);
  const nproc = Math.max(1, opts.nproc ?? 1);
  const niceLevel = opts.nice ?? 10;
  const port = nproc > 1 ? await freePort() : 0;
  const argv = ['-m', `trainer.${module}`, ...args, ...(module === 'train' || module === 'evaluate' ? ['--threads', String(threads * nproc)] : [])];
  // DDP on one machine: start the ranks with the environment `torchrun --standalone` would set. (Debian's
  // torchrun 1.13 cannot start under Python 3.11; multi-node runs call torchrun themselves.)
  const ranks = Array.from({ length: nproc }, (_, rank) => {
    const rankEnv = nproc > 1 ? { RANK: String(rank), LOCAL_RANK: String(rank), WORLD_SIZE: String(nproc), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) } : {};
    const useNice = niceLevel > 0 && existsSync('/usr/bin/nice');
    return spawn(useNice ? '/usr/bin/nice' : info.python, useNice ? ['-n', String(niceLevel), info.python, ...argv] : argv,
      { cwd: trainerRoot(), env: { ...env, ...rankEnv }, stdio: ['ignore', rank === 0 ? 'pipe' : 'ignore', 'pipe'] });
  });
  return new Promise((resolvePromise) => {
    const child = ranks[0]!;
    const events: TrainerEvent[] = [];
    let error: TrainerRun['error'];
    let buf = '';
    let errTail = '';
    let aborted = false;
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        let e: TrainerEvent;
        try {
          e = JSON.parse(line) as TrainerEvent;
        } catch {
          continue; // a partial or foreign line; the trainer writes whole lines
        }
        if (e.event === 'error') error = { code: String(e.code ?? 'trainer_error'), message: String(e.message ?? 'trainer failed') };
        events.push(e);
        opts.onEvent?.(e);
      }
    });
    for (const r of ranks) {
      r.stderr!.setEncoding('utf8');
      r.stderr!.on('data', (chunk: string) => { errTail = (errTail + chunk).slice(-4000); });
    }
    const killAll = (sig: NodeJS.Signals) => { for (const r of ranks) if (r.exitCode === null) r.kill(sig); };
    const onAbort = () => {
      aborted = true;
      killAll('SIGTERM');
      setTimeout(() => killAll('SIGKILL'), 5000).unref();
    };
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let open = ranks.length;
    let code: number | null = 0;
    let signal: NodeJS.Signals | null = null;
    for (const r of ranks) {
      r.on('close', (c, s) => {
        if (c !== 0) {
          // one rank failing leaves the others waiting in a collective: stop them
          if (code === 0) { code = c; signal = s; }
          killAll('SIGTERM');
        }
        if (--open === 0) {
          opts.signal?.removeEventListener('abort', onAbort);
          resolvePromise({ code, signal, events, error, stderrTail: errTail, aborted });
        }
      });
    }
  });
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => ok(port));
    });
  });
}

/** The last meaningful line of a Python traceback, for one-line error messages. */
export function lastErrorLine(stderr: string): string {
  const lines = stderr.trim().split('\n').filter((l) => l.trim() && !/Warning|warnings\.warn|^\s/.test(l));
  return lines.pop() ?? 'no output';
}

export const TRAINER_MODULE_DIR = (): string => join(trainerRoot(), 'trainer');
