import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../errors.js';
import { decodeImageFile } from './decode.js';
import { FingerprintBuilder } from './fingerprint.js';
import { createImageDataset } from './image-dataset.js';
import { compareNatural } from './labels.js';
import { identitiesOf, statUserPath } from './paths.js';
import type { Dataset, DatasetItem, DatasetOptions } from './types.js';

export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp'];

export interface ImageFolderOptions extends DatasetOptions {
  /**
   * Which folder names the label. 'top' (default): the first-level subfolder, so root/cat/indoor/1.jpg
   * is "cat". 'path': the whole relative folder, "cat/indoor". Images directly in the root get label "".
   */
  labelFrom?: 'top' | 'path';
}

/**
 * A folder of images with one subfolder per class (nested folders allowed). Files ending in
 * .jpg/.jpeg/.png/.webp (any case) are items; names starting with "." are skipped and linked folders are
 * not followed. Items are in
 * natural order of their relative path, so the order does not depend on the file system.
 */
export async function openImageFolder(folder: string, options: ImageFolderOptions = {}): Promise<Dataset> {
  const root = path.resolve(folder);
  const labelFrom = options.labelFrom ?? 'top';
  if (labelFrom !== 'top' && labelFrom !== 'path') {
    throw new InputError(`labelFrom ${JSON.stringify(labelFrom)} is not supported`, { hint: "use 'top' or 'path'" });
  }
  const stats = await statUserPath(root, 'image folder', 'check the path');
  if (!stats.isDirectory()) {
    throw new InputError(`image folder ${root} is not a folder`, {
      hint: 'pass a folder with one subfolder per class',
    });
  }
  const relativePaths = (await listImages(root)).sort(compareNatural);
  if (relativePaths.length === 0) {
    throw new InputError(`image folder ${root} holds no images`, {
      hint: `put images (${IMAGE_EXTENSIONS.join(', ')}) into one subfolder per class`,
    });
  }
  const items: DatasetItem[] = relativePaths.map((relative, index) => ({
    index,
    path: path.join(root, relative),
    label: labelOf(relative, labelFrom),
  }));
  const fingerprint = new FingerprintBuilder('image-folder').text(labelFrom);
  const identities = await identitiesOf(items.map((item) => item.path));
  relativePaths.forEach((relative, i) => {
    fingerprint.text(relative, items[i]!.label, identities[i]?.size ?? -1, identities[i]?.mtimeMs ?? -1);
  });
  return createImageDataset(
    {
      name: path.basename(root),
      items,
      fingerprint: fingerprint.digest(),
      read: (item, target) => decodeImageFile(item.path, target),
    },
    options,
  );
}

/** Relative paths with "/" separators, whatever the platform. */
async function listImages(root: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (relativeDir: string): Promise<void> => {
    const entries = await readdir(path.join(root, relativeDir), { withFileTypes: true });
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const relative = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`;
      if (entry.isDirectory()) await visit(relative);
      else if (IMAGE_EXTENSIONS.includes(path.extname(entry.name).toLowerCase())) found.push(relative);
    }
  };
  await visit('');
  return found;
}

function labelOf(relative: string, labelFrom: 'top' | 'path'): string {
  const slash = labelFrom === 'top' ? relative.indexOf('/') : relative.lastIndexOf('/');
  return slash < 0 ? '' : relative.slice(0, slash);
}
