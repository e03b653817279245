import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../errors.js';
import { decodeImageFile } from './decode.js';
import { FingerprintBuilder } from './fingerprint.js';
import { createImageDataset } from './image-dataset.js';
import { compareNatural } from './labels.js';
import { identitiesOf, statUserPath } from './paths.js';
import type { Dataset, DatasetItem, DatasetOptions, UnlistedEntry } from './types.js';

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
  const listing = await listImages(root);
  const relativePaths = listing.files.sort(compareNatural);
  if (relativePaths.length === 0) {
    const unlisted = listing.unlisted[0];
    throw new InputError(`image folder ${root} holds no images`, {
      hint:
        unlisted === undefined
          ? `put images (${IMAGE_EXTENSIONS.join(', ')}) into one subfolder per class`
          : `${listing.unlisted.length} were left out, e.g. ${unlisted.path}: ${unlisted.reason}`,
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
      unlisted: listing.unlisted,
      read: (item, target) => decodeImageFile(item.path, target),
    },
    options,
  );
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A file name as text, or null when its bytes are not valid UTF-8 (no string path can name such a file). */
function nameOf(raw: Buffer): string | null {
  try {
    return strictUtf8.decode(raw);
  } catch {
    return null;
  }
}

/**
 * Image paths relative to `root` with "/" separators, whatever the platform, and the entries left out:
 * images and folders whose names are not valid UTF-8, which a path string cannot name.
 */
async function listImages(root: string): Promise<{ files: string[]; unlisted: UnlistedEntry[] }> {
  const files: string[] = [];
  const unlisted: UnlistedEntry[] = [];
  const visit = async (relativeDir: string): Promise<void> => {
    const entries = await readdir(path.join(root, relativeDir), { withFileTypes: true, encoding: 'buffer' });
    for (const entry of entries) {
      const raw = entry.name;
      if (raw[0] === 0x2e) continue; // hidden: a name starting with "."
      const name = nameOf(raw);
      const shown = raw.toString('utf8');
      const isImage = IMAGE_EXTENSIONS.includes(path.extname(shown).toLowerCase());
      if (name === null) {
        if (entry.isDirectory() || (!entry.isSymbolicLink() && isImage)) {
          const what = entry.isDirectory() ? 'folder' : 'file';
          unlisted.push({
            path: path.join(root, relativeDir, shown),
            reason: `the ${what} name is not valid UTF-8 (bytes ${raw.toString('hex')}); rename the ${what} to analyze ${entry.isDirectory() ? 'its images' : 'it'}`,
          });
        }
        continue;
      }
      const relative = relativeDir === '' ? name : `${relativeDir}/${name}`;
      if (entry.isDirectory()) await visit(relative);
      else if (isImage) files.push(relative);
    }
  };
  await visit('');
  return { files, unlisted };
}

function labelOf(relative: string, labelFrom: 'top' | 'path'): string {
  const slash = labelFrom === 'top' ? relative.indexOf('/') : relative.lastIndexOf('/');
  return slash < 0 ? '' : relative.slice(0, slash);
}
