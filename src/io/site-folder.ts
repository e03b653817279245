/**
 * The output folder of a generated site (`nap export --static DIR`), written so that no file the export did
 * not write is ever deleted and a failed export changes nothing:
 *
 * - the site is built in a fresh folder beside DIR and swapped in only when complete;
 * - DIR must be missing, empty, or an earlier export, which is recognised by the marker file every export
 *   writes last (SITE_MARKER, listing the files it wrote), not by a file name any folder may hold;
 * - replacing an earlier export carries over every file in DIR that the marker does not list (a CNAME, a
 *   README someone added), so only files an export wrote are dropped.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors.js';

/** Written last into every export: its first line says what the folder is, the others list its files. */
export const SITE_MARKER = '.nap-export';
const MARKER_HEADER = 'nap-lens static export, version 1: the files below were written by nap export';

export interface SiteFolder {
  /** The folder to write the site into: new, empty and private to this export. */
  readonly staging: string;
  /** The folder the site goes to. */
  readonly out: string;
  /** Marks the staged site complete and puts it in place of `out` (an earlier export there is replaced). */
  commit(): Promise<void>;
  /** Removes the staged site; `out` stays as it was. Safe after a failed commit. */
  discard(): Promise<void>;
}

/** Relative paths ('/'-separated) of every file and link under `folder`, sorted. */
async function listFiles(folder: string, prefix = ''): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) files.push(...(await listFiles(path.join(folder, entry.name), relative)));
    else files.push(relative);
  }
  return files.sort();
}

/** The files an earlier export says it wrote, or null when `folder` holds no (valid) marker. */
async function exportedFiles(folder: string): Promise<Set<string> | null> {
  const marker = path.join(folder, SITE_MARKER);
  const info = await lstat(marker).catch(() => null);
  if (info === null || !info.isFile()) return null;
  const [header, ...files] = (await readFile(marker, 'utf8')).split('\n');
  if (header !== MARKER_HEADER) return null;
  return new Set(files.filter((file) => file !== ''));
}

function siblingName(out: string, purpose: string): string {
  return path.join(path.dirname(out), `.${path.basename(out)}.${purpose}-${randomBytes(4).toString('hex')}`);
}

/**
 * Checks `out` (a folder to create, an empty one, or an earlier export) and makes the staging folder beside
 * it. Refuses anything else with an InputError, before any work is done.
 */
export async function prepareSiteFolder(outPath: string): Promise<SiteFolder> {
  const out = path.resolve(outPath);
  const info = await stat(out).catch(() => null);
  if (info !== null && !info.isDirectory()) {
    throw new InputError(`${out} exists and is not a folder`, { hint: 'name a new or empty folder for the site' });
  }
  const entries = info === null ? [] : await readdir(out);
  if (entries.length > 0 && (await exportedFiles(out)) === null) {
    throw new InputError(`${out} is not empty and is not an earlier nap export (it has no ${SITE_MARKER} file)`, {
      hint: 'name a new or empty folder; nap export replaces only a folder it wrote itself',
    });
  }
  await mkdir(path.dirname(out), { recursive: true });
  const staging = siblingName(out, 'nap-export');
  await mkdir(staging);
  return {
    staging,
    out,
    commit: () => commitSite(staging, out),
    discard: () => rm(staging, { recursive: true, force: true }),
  };
}

async function commitSite(staging: string, out: string): Promise<void> {
  const written = await listFiles(staging);
  await writeFile(path.join(staging, SITE_MARKER), `${[MARKER_HEADER, ...written].join('\n')}\n`);
  const info = await stat(out).catch(() => null);
  if (info === null) {
    await rename(staging, out);
    return;
  }
  const earlier = await exportedFiles(out);
  if (earlier === null) {
    // Checked by prepareSiteFolder; something else wrote into `out` since.
    if ((await readdir(out)).length > 0) {
      throw new InputError(`${out} was filled by something else during the export`, {
        hint: 'export again into a new or empty folder',
      });
    }
    await rmdir(out);
    await rename(staging, out);
    return;
  }
  const theirs = (await listFiles(out)).filter((file) => file !== SITE_MARKER && !earlier.has(file));
  const clash = theirs.find((file) => written.includes(file));
  if (clash !== undefined) {
    throw new InputError(`${path.join(out, clash)} was not written by nap export, and the new export writes it too`, {
      hint: 'move that file away, then export again',
    });
  }
  const old = siblingName(out, 'nap-export-old');
  await rename(out, old);
  try {
    await rename(staging, out);
  } catch (error) {
    await rename(old, out);
    throw error;
  }
  for (const file of theirs) {
    const target = path.join(out, file);
    await mkdir(path.dirname(target), { recursive: true });
    await rename(path.join(old, file), target);
  }
  // Only files an export wrote are left in the old folder now (a failed move above leaves it, with the
  // files not yet moved, beside the new site).
  await rm(old, { recursive: true, force: true });
}
