// Errors a user can cause. Each carries a stable code and a one-line message that names the input
// and what is wrong; the CLI and server print the message and never a stack trace.
// Anything thrown that is not a BacklotError is a bug.

export class BacklotError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The file, flag, field or record the message is about, when there is one. */
    readonly subject?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad flags, arguments, request bodies or files: the user must change what they gave. */
export class InputError extends BacklotError {}
/** The workspace is missing, locked by another process or inconsistent. */
export class WorkspaceError extends BacklotError {}
/** A media file cannot be read or analysed. */
export class IngestError extends BacklotError {}
/** A rights record is missing, invalid or conflicts with another. */
export class RightsError extends BacklotError {}
/** A dataset snapshot is unknown, tainted or fails verification. */
export class DatasetError extends BacklotError {}
/** Training cannot start or failed. */
export class TrainError extends BacklotError {}
/** A generation request is refused or failed. */
export class GenerateError extends BacklotError {}
/** Authentication or authorisation failed. */
export class AuthError extends BacklotError {}
/** A named record (title, model, dataset, person…) does not exist. */
export class NotFoundError extends BacklotError {}
/** A tool Backlot needs (ffmpeg, python3 with torch…) is missing or too old. */
export class ToolError extends BacklotError {}

export function isBacklotError(e: unknown): e is BacklotError {
  return e instanceof BacklotError;
}

/** A file system error in words for a one-line message: "no such file", "is a folder", ... */
export function fileProblem(e: unknown): string {
  const code = (e as { code?: string } | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'is a folder, not a file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return `cannot read it (${code ?? (e as Error)?.message ?? String(e)})`;
  }
}
