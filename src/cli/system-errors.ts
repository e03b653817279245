/**
 * Failures of the machine rather than of nap (a full disk, a read-only folder, a missing permission) as
 * one line naming the path and what to do, instead of a stack trace: any command may meet them while it
 * writes a file (a static site, a CSV, a matrix result). Errors of the results store get their own,
 * more specific message where they happen (src/io/store/file-errors.ts).
 */
import { InputError } from '../errors.js';

export function systemError(error: unknown): InputError | null {
  if (!(error instanceof Error)) return null;
  const { code, path } = error as NodeJS.ErrnoException;
  const what = path === undefined ? 'a file' : path;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new InputError(`no space left on the disk to write ${what}`, {
        hint: 'free some space or write somewhere else, then run the command again',
        cause: error,
      });
    case 'EROFS':
      return new InputError(`${what} is on a read-only file system`, {
        hint: 'write into a folder on a writable disk',
        cause: error,
      });
    case 'EACCES':
    case 'EPERM':
      return new InputError(`no permission to write ${what}`, {
        hint: 'write into a folder you own, or change the permissions of this one',
        cause: error,
      });
    default:
      return null;
  }
}
