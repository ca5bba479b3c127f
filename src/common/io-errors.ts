// The reasons an input or output fails, as words (below every layer: readers,
// writers and the CLI all name a failed file the same way), and the error a
// failed output raises. The CLI prints either as one line, exit 2.

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  EIO: 'input/output error',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a folder on the way is a file',
  EBADF: 'not open for this (bad file descriptor)',
  EINVAL: 'cannot be used this way (invalid argument)',
  ENXIO: 'no such device',
  ENODEV: 'no such device',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'name too long',
};

/** The errno code of a Node file-system error, or null for anything else. */
export function errnoCode(e: unknown): string | null {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : null;
}

/** Why a read or write failed, in words; `missing` says what ENOENT means here (a file to read, a folder to write in). */
export function ioReason(e: unknown, missing = 'no such file'): string {
  const code = errnoCode(e);
  if (code === 'ENOENT') return missing;
  if (code !== null && REASONS[code]) return REASONS[code];
  return code ?? String((e as Error).message ?? e);
}

/** An output that could not be created or written (disk full, no such folder): one line naming it, exit 2. */
export class OutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputError';
  }
}

/** The OutputError for `what` (a path, 'stdout') that failed with `e`. */
export function outputError(what: string, e: unknown): OutputError {
  return new OutputError(`cannot write ${what}: ${ioReason(e, 'no such folder')}`);
}
