import { stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { InputError } from '../../errors.js';
import { forEachConcurrent } from './concurrency.js';

/** Stats a path the user named; a missing or unreadable one becomes an InputError saying what to do. */
export async function statUserPath(path: string, what: string, hint: string): Promise<Stats> {
  try {
    return await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(error)})`;
    throw new InputError(`${what} ${path} ${problem}`, { hint, cause: error });
  }
}

/** Size and mtime of a file, or undefined when it is missing or unreadable (decoding will report it). */
export async function fileIdentity(path: string): Promise<FileIdentity> {
  try {
    const stats = await stat(path);
    return { size: stats.size, mtimeMs: Math.trunc(stats.mtimeMs) };
  } catch {
    return undefined;
  }
}

export type FileIdentity = { size: number; mtimeMs: number } | undefined;

/** fileIdentity of many files, a bounded number at a time. */
export async function identitiesOf(files: readonly string[]): Promise<FileIdentity[]> {
  const identities = new Array<FileIdentity>(files.length);
  await forEachConcurrent(
    files.length,
    64,
    async (i) => {
      identities[i] = await fileIdentity(files[i]!);
    },
    { stage: 'list files' },
  );
  return identities;
}
