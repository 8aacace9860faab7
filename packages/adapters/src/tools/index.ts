// Checks the external programs Backlot runs (ffmpeg, ffprobe, Python with torch, a label font) and
// says, for each one missing, the command that installs it. Used by `backlot doctor`.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { FFMPEG, FFPROBE } from '../ffmpeg/run.js';
import { contactSheetFont } from '../ffmpeg/frames.js';

export interface ToolCheck {
  tool: string;
  ok: boolean;
  /** First line of the tool's version output, when found. */
  version?: string;
  /** What it is needed for. */
  neededFor: string;
  /** The command that installs it, when missing. */
  fix?: string;
  problem?: string;
}

export const PYTHON = process.env.BACKLOT_PYTHON ?? '/usr/bin/python3';

function run(cmd: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 60_000 }, (err, stdout, stderr) => resolve({ ok: !err, out: `${stdout}${stderr}`.trim() }));
  });
}

async function versionOf(tool: string, neededFor: string, fix: string): Promise<ToolCheck> {
  const r = await run(tool, ['-version']);
  if (!r.ok) return { tool, ok: false, neededFor, fix, problem: `${tool} is not installed or does not run` };
  return { tool, ok: true, neededFor, version: r.out.split('\n')[0] };
}

export async function checkTools(): Promise<ToolCheck[]> {
  const aptFfmpeg = 'sudo apt-get install ffmpeg (or bash scripts/setup.sh)';
  const checks = await Promise.all([
    versionOf(FFMPEG, 'shot analysis, keyframes, proxies, datasets', aptFfmpeg),
    versionOf(FFPROBE, 'probing media files', aptFfmpeg),
    (async (): Promise<ToolCheck> => {
      const neededFor = 'training (backlot train)';
      if (!existsSync(PYTHON)) return { tool: 'python3 + torch', ok: false, neededFor, fix: 'sudo apt-get install python3 python3-torch python3-numpy (or bash scripts/setup.sh)', problem: `${PYTHON} not found` };
      const r = await run(PYTHON, ['-c', 'import torch, numpy; print("torch", torch.__version__)']);
      if (!r.ok) return { tool: 'python3 + torch', ok: false, neededFor, fix: 'sudo apt-get install python3-torch python3-numpy (or bash scripts/setup.sh)', problem: `${PYTHON} cannot import torch` };
      return { tool: 'python3 + torch', ok: true, neededFor, version: r.out.split('\n').at(-1) };
    })(),
    (async (): Promise<ToolCheck> => {
      const neededFor = 'contact sheet labels';
      try {
        return { tool: 'fonts-dejavu-core', ok: true, neededFor, version: contactSheetFont() };
      } catch {
        return { tool: 'fonts-dejavu-core', ok: false, neededFor, fix: 'sudo apt-get install fonts-dejavu-core (or bash scripts/setup.sh)', problem: 'no TrueType font for labels' };
      }
    })(),
  ]);
  return checks;
}
