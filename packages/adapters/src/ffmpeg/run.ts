// The one way Backlot runs ffmpeg and ffprobe. Missing binaries become a ToolError with the command
// that installs them; failures carry ffmpeg's own last error line, never a stack trace.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { ToolError } from '@backlot/core';

export const FFMPEG = process.env.BACKLOT_FFMPEG ?? 'ffmpeg';
export const FFPROBE = process.env.BACKLOT_FFPROBE ?? 'ffprobe';

export class FfmpegFailure extends Error {
  constructor(
    readonly tool: string,
    readonly exitCode: number | null,
    /** ffmpeg's last meaningful stderr line, e.g. "moov atom not found". */
    readonly reason: string,
  ) {
    super(`${tool} failed: ${reason}`);
  }
}

function missingTool(tool: string): ToolError {
  return new ToolError('tool_missing', `${tool} is not installed: run \`sudo apt-get install ffmpeg\` (or bash scripts/setup.sh)`, tool);
}

/** The last stderr line that says something, with ffmpeg's "[component @ 0x…]" prefix removed. */
export function lastErrorLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/i, '').trim())
    .filter((l) => l && !/^(Conversion failed!|Exiting normally)/.test(l));
  return lines.at(-1) ?? 'unknown error';
}

export interface RunResult {
  stdout: Buffer;
  stderr: string;
}

/** Runs ffmpeg or ffprobe to completion, collecting stdout. Use `spawnFfmpeg` to stream instead. */
export function runTool(tool: string, args: string[], opts: { input?: Buffer; signal?: AbortSignal } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ['pipe', 'pipe', 'pipe'], signal: opts.signal });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      if (err.length > 64_000) err = err.slice(-32_000);
    });
    child.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? missingTool(tool) : e));
    child.on('close', (code) => {
      if (code === 0) resolve({ stdout: Buffer.concat(out), stderr: err });
      else reject(new FfmpegFailure(tool, code, lastErrorLine(err)));
    });
    child.stdin.on('error', () => {}); // the tool may exit before reading all input
    if (opts.input) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

export type FfmpegProcess = ChildProcessByStdio<Writable, Readable, Readable> & { done: Promise<void> };

/** Starts ffmpeg with piped stdio for streaming; `done` settles when it exits. */
export function spawnFfmpeg(args: string[], opts: { signal?: AbortSignal } = {}): FfmpegProcess {
  const child = spawn(FFMPEG, ['-hide_banner', '-nostdin', ...args], { stdio: ['pipe', 'pipe', 'pipe'], signal: opts.signal }) as FfmpegProcess;
  let err = '';
  child.stderr.on('data', (b: Buffer) => {
    err += b.toString();
    if (err.length > 64_000) err = err.slice(-32_000);
  });
  child.stdin.on('error', () => {});
  child.done = new Promise((resolve, reject) => {
    child.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? missingTool(FFMPEG) : e));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new FfmpegFailure(FFMPEG, code, signal ? `killed by ${signal}` : lastErrorLine(err)));
    });
  });
  return child;
}

export function ffmpeg(args: string[], opts: { input?: Buffer; signal?: AbortSignal } = {}): Promise<RunResult> {
  return runTool(FFMPEG, ['-hide_banner', '-nostdin', '-y', ...args], opts);
}

export function ffprobe(args: string[], opts: { signal?: AbortSignal } = {}): Promise<RunResult> {
  return runTool(FFPROBE, ['-hide_banner', ...args], opts);
}
