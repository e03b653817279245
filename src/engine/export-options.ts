/** The options of `exportStaticSite` and `nap export` (see src/options/schema.ts). */
import { IMAGE_SIZE } from '../results/api-types.js';
import { InputError, option } from '../errors.js';
import { libraryOption, OptionSchema, text, valueOption, wholeNumber, type OptionField } from '../options/schema.js';

export const DEFAULT_THUMBNAIL_SIZE = 64;

export interface StaticExportOptions {
  /** The results store; opened read-only and never modified. */
  store: string;
  /**
   * Folder to write: created when missing; otherwise it must be empty or hold an earlier export (see
   * src/io/site-folder.ts), which is replaced once the new site is complete.
   */
  out: string;
  /** Run to export; default the newest. */
  runId?: number;
  /** Folder of the built app (index.html and assets); default build/app of this package. */
  appDir?: string;
  /** Side of the thumbnails in pixels (16..512), default 64; false: none (the dataset need not be available). */
  thumbnails?: number | false;
}

/** `--thumbnail-size N` on the CLI; in the library a side, or false for none (`--no-thumbnails`). */
const thumbnailsField: OptionField<number | false> = (() => {
  const side = valueOption(wholeNumber({ example: DEFAULT_THUMBNAIL_SIZE, min: IMAGE_SIZE.min, max: IMAGE_SIZE.max }), {
    flag: 'thumbnail-size',
    help: 'side of the input thumbnails in pixels',
    default: DEFAULT_THUMBNAIL_SIZE,
  });
  return {
    ...side,
    check: (value, key) => (value === false ? false : side.check(value, key)),
    toCli: (value) => (value === false ? ['--no-thumbnails'] : side.toCli(value)),
  };
})();

export const EXPORT_OPTIONS = new OptionSchema<StaticExportOptions>('export', {
  out: valueOption(text({ example: 'site/', placeholder: 'DIR' }), {
    flag: 'static',
    help: 'folder to write the site into',
    required: true,
  }),
  store: libraryOption(text({ example: 'results.duckdb' }), { help: 'the results file', required: true }),
  runId: valueOption(wholeNumber({ example: 1, min: 1, placeholder: 'ID' }), {
    flag: 'run',
    help: 'run to export (default: the newest)',
  }),
  thumbnails: thumbnailsField,
  appDir: valueOption(text({ example: 'build/app', placeholder: 'DIR' }), {
    flag: 'app-dir',
    help: 'folder of the built app (default: build/app of nap-lens)',
  }),
});

/** The export's options, checked, with thumbnails defaulted. */
export function checkExportOptions(options: StaticExportOptions): StaticExportOptions & { thumbnails: number | false } {
  const resolved = EXPORT_OPTIONS.resolve(options);
  if (resolved.out.trim() === '') {
    throw new InputError(`${option('out')} is empty`, { hint: 'name a folder to write the site into, e.g. site/' });
  }
  return resolved as StaticExportOptions & { thumbnails: number | false };
}
