import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../errors.js';
import { parseCsv } from './csv.js';
import { decodeImageFile } from './decode.js';
import { FingerprintBuilder } from './fingerprint.js';
import { createImageDataset } from './image-dataset.js';
import { identitiesOf, statUserPath } from './paths.js';
import type { Dataset, DatasetItem, DatasetOptions } from './types.js';

/** One manifest entry as written: `path` relative to the manifest's folder (or absolute). */
export interface ManifestEntry {
  path: string;
  label: string;
  split?: string;
}

const FORMAT_HINT =
  'a manifest is a CSV with a header line path,label[,split] or a JSON array of {"path", "label", "split"?} objects';

/**
 * A CSV or JSON manifest listing images (format chosen by the .csv / .json extension). Items keep the
 * manifest's order. A listed file that is missing is reported when loaded, like a corrupt one; a
 * manifest where no listed file exists is an error, as its paths are then almost surely resolved
 * against the wrong folder.
 */
export async function openManifest(manifestPath: string, options: DatasetOptions = {}): Promise<Dataset> {
  const file = path.resolve(manifestPath);
  await statUserPath(file, 'manifest', 'check the path');
  const extension = path.extname(file).toLowerCase();
  if (extension !== '.csv' && extension !== '.json') {
    throw new InputError(`manifest ${file} is neither .csv nor .json`, { hint: FORMAT_HINT });
  }
  const text = await readFile(file, 'utf8');
  const entries = extension === '.csv' ? entriesFromCsv(text, file) : entriesFromJson(text, file);
  if (entries.length === 0) {
    throw new InputError(`manifest ${file} lists no images`, { hint: FORMAT_HINT });
  }
  const folder = path.dirname(file);
  const items: DatasetItem[] = entries.map((entry, index) => ({
    index,
    path: path.resolve(folder, entry.path),
    label: entry.label,
    ...(entry.split !== undefined ? { split: entry.split } : {}),
  }));
  const identities = await identitiesOf(items.map((item) => item.path));
  if (identities.every((identity) => identity === undefined)) {
    throw new InputError(
      `none of the ${items.length} files listed in manifest ${file} exist (first: ${items[0]!.path})`,
      {
        hint: `paths are relative to the manifest's folder ${folder}; fix them or move the manifest`,
      },
    );
  }
  const fingerprint = new FingerprintBuilder('manifest');
  entries.forEach((entry, i) => {
    fingerprint.text(
      entry.path,
      entry.label,
      entry.split ?? '',
      identities[i]?.size ?? -1,
      identities[i]?.mtimeMs ?? -1,
    );
  });
  return createImageDataset(
    {
      name: path.basename(file, extension),
      items,
      fingerprint: fingerprint.digest(),
      read: (item, target) => decodeImageFile(item.path, target),
    },
    options,
  );
}

export function entriesFromCsv(text: string, file: string): ManifestEntry[] {
  const [header, ...rows] = parseCsv(text, file);
  if (header === undefined) return [];
  const names = header.fields.map((name) => name.trim().toLowerCase());
  const pathColumn = names.indexOf('path');
  const labelColumn = names.indexOf('label');
  const splitColumn = names.indexOf('split');
  if (pathColumn < 0 || labelColumn < 0) {
    throw new InputError(
      `manifest ${file}: header line ${JSON.stringify(header.fields.join(','))} lacks a path or label column`,
      {
        hint: FORMAT_HINT,
      },
    );
  }
  return rows.map(({ fields, line }) => {
    if (fields.length !== header.fields.length) {
      throw new InputError(
        `manifest ${file} line ${line} has ${fields.length} fields, the header has ${header.fields.length}`,
        {
          hint: 'put fields that contain commas in double quotes',
        },
      );
    }
    const entryPath = fields[pathColumn]!.trim();
    if (entryPath === '')
      throw new InputError(`manifest ${file} line ${line} has an empty path`, { hint: FORMAT_HINT });
    const entry: ManifestEntry = { path: entryPath, label: fields[labelColumn]! };
    if (splitColumn >= 0 && fields[splitColumn] !== '') entry.split = fields[splitColumn]!;
    return entry;
  });
}

export function entriesFromJson(text: string, file: string): ManifestEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InputError(`manifest ${file} is not valid JSON: ${(error as Error).message}`, {
      hint: FORMAT_HINT,
      cause: error,
    });
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { items?: unknown } | null)?.items;
  if (!Array.isArray(list)) {
    throw new InputError(`manifest ${file} holds neither an array nor an object with an "items" array`, {
      hint: FORMAT_HINT,
    });
  }
  return list.map((value: unknown, i) => {
    const record = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
    const { path: entryPath, label, split } = record;
    const isText = (field: unknown): field is string | number => typeof field === 'string' || typeof field === 'number';
    if (
      typeof entryPath !== 'string' ||
      entryPath.trim() === '' ||
      !isText(label) ||
      (split !== undefined && !isText(split))
    ) {
      throw new InputError(`manifest ${file} entry ${i} ${JSON.stringify(value)} needs a "path" string and a "label"`, {
        hint: FORMAT_HINT,
      });
    }
    const entry: ManifestEntry = { path: entryPath.trim(), label: String(label) };
    if (split !== undefined) entry.split = String(split);
    return entry;
  });
}
