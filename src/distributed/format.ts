/**
 * The format of every file a distributed run keeps in its shared folder: the manifest (run.json), the shard
 * records, the shard Parquet files (key-value metadata `nap_format`) and the workers' result files
 * (patterns, maps). One version for all of them, raised whenever any of them changes in a way that another
 * nap would misread; a file of another version is refused by name, never read as if it were this one.
 */
import { InputError } from '../errors.js';
import { napVersion } from '../version.js';

export const SHARD_FORMAT = 'nap-shards/2';

/** The Parquet key-value metadata of a shard file that hold its format and the nap version that wrote it. */
export const FORMAT_METADATA_KEY = 'nap_format';
export const WRITER_METADATA_KEY = 'nap_version';

/** A format value as messages quote it: a file without one was written before formats were recorded. */
export function describeFormat(format: unknown): string {
  return format === undefined || format === null ? 'no format version' : `format ${JSON.stringify(format)}`;
}

/** True when `format` (read from a file, so any value) is this nap's. */
export function isCurrentFormat(format: unknown): boolean {
  return format === SHARD_FORMAT;
}

/** "nap 0.3.0" when a file names the nap that wrote it (any value read from a file), else "another nap version". */
export function describeWriter(nap: unknown): string {
  return typeof nap === 'string' && nap !== '' ? `nap ${nap}` : 'another nap version';
}

/** How a file's format, and the nap that wrote it (both read from the file), differ from this nap's. */
export function formatDifference(format: unknown, nap: unknown): string {
  return `has ${describeFormat(format)}, written by ${describeWriter(nap)}; this nap (${napVersion()}) reads format "${SHARD_FORMAT}"`;
}

/** Why `file` is refused, and what to do (`remedy`: how to write it again with this nap). */
export function formatMismatch(file: string, format: unknown, nap: unknown, remedy: string): InputError {
  return new InputError(`${file} ${formatDifference(format, nap)}`, {
    hint: `${remedy}, or finish the run with the nap version that wrote it`,
  });
}
