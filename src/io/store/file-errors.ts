/**
 * What went wrong with a store file, told from DuckDB's own error messages (it throws plain Errors whose
 * message is all there is), and the InputError a user sees for each case: the path, the cause in plain
 * words, and what to do. Anything unrecognised passes through unchanged, since it is a bug to report.
 */
import { InputError } from '../../errors.js';

export type StoreFileProblem =
  'locked' | 'corrupt' | 'not-duckdb' | 'newer-duckdb' | 'no-space' | 'read-only-filesystem' | 'permission-denied';

const PATTERNS: readonly [StoreFileProblem, RegExp][] = [
  ['locked', /Could not set lock on file|Conflicting lock is held/],
  [
    'corrupt',
    /Corrupt database file|does not match stored checksum|Could not read enough bytes from file|database has been invalidated because of a previous fatal error.*(checksum|corrupt)/is,
  ],
  ['not-duckdb', /is not a valid DuckDB database file/],
  ['newer-duckdb', /database file with version number \d+, but we can only read|created by a newer version/i],
  ['no-space', /No space left on device|Disk quota exceeded|ENOSPC|EDQUOT/],
  ['read-only-filesystem', /Read-only file system|EROFS/],
  ['permission-denied', /Permission denied|EACCES|EPERM/],
];

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The problem DuckDB (or the file system) reports in `error`, or null when it is none of the known ones. */
export function storeFileProblem(error: unknown): StoreFileProblem | null {
  const message = messageOf(error);
  for (const [problem, pattern] of PATTERNS) if (pattern.test(message)) return problem;
  return null;
}

/** What the store was doing when it failed, for the message: 'open', 'write' or 'migrate'. */
export type StoreActivity = 'open' | 'open-read-only' | 'write' | 'migrate' | 'back up';

/** A clear InputError for a known problem of `path`, or null to let the original error through. */
export function storeFileError(path: string, activity: StoreActivity, error: unknown): InputError | null {
  const problem = storeFileProblem(error);
  if (problem === null) return null;
  const folderHint = 'the run is kept as far as it was committed: the same command resumes it';
  switch (problem) {
    case 'locked': {
      const hint =
        activity === 'open-read-only'
          ? 'another nap process is writing to it (nap analyze, project, heatmaps or flow): wait until it ends'
          : activity === 'migrate'
            ? 'it must be migrated to this nap’s schema, which needs it to itself: stop the other nap process that has it open (nap serve holds it while it runs), then try again'
            : 'another nap process has it open (nap serve holds it while it runs): stop that process, then try again';
      return new InputError(`store ${path} is in use by another process`, { hint, cause: error });
    }
    case 'corrupt':
      return new InputError(`store ${path} is damaged: ${firstLine(error)}`, {
        hint: `DuckDB cannot read part of the file; restore it from a copy${activity === 'migrate' ? ' (the backup beside it holds the file as it was before the migration)' : ''}, or analyze again into a new file`,
        cause: error,
      });
    case 'not-duckdb':
      return new InputError(`${path} is not a DuckDB database`, {
        hint: 'pass a results file written by nap, or a path that does not exist yet to create a new one',
        cause: error,
      });
    case 'newer-duckdb':
      return new InputError(`store ${path} was written by a newer DuckDB than this nap reads`, {
        hint: 'upgrade nap-lens to open it',
        cause: error,
      });
    case 'no-space':
      return new InputError(`no space left on the disk of ${path}`, {
        hint: `free some space (or choose a results file on another disk), then run the same command again; ${folderHint}`,
        cause: error,
      });
    case 'read-only-filesystem':
    case 'permission-denied': {
      const why = problem === 'read-only-filesystem' ? 'is on a read-only file system' : 'cannot be written here';
      const hint =
        activity === 'migrate' || activity === 'back up'
          ? 'this nap must migrate the file to its schema first, which writes beside it: copy it into a writable folder and open the copy'
          : 'choose a results file in a folder you can write to (e.g. --out ~/results.duckdb)';
      return new InputError(`store ${path} ${why}`, { hint, cause: error });
    }
  }
}

/** `storeFileError` for a known problem, else the error unchanged. */
export function explainStoreError(path: string, activity: StoreActivity, error: unknown): unknown {
  return storeFileError(path, activity, error) ?? error;
}

function firstLine(error: unknown): string {
  return messageOf(error)
    .split('\n')[0]!
    .replace(/^IO Error: /, '');
}
