/**
 * The dataset a run analysed, opened again from its stored spec to show its inputs' images (thumbnails
 * in the app and in a static export).
 */
import path from 'node:path';
import { NapError, NotFoundError } from '../../errors.js';
import { isBuiltInDataset, openDataset, type FashionMnistSplit } from './open.js';
import type { Dataset } from './types.js';

/** What a run stored about its dataset. */
export interface RunDatasetSpec {
  /** The dataset as the user named it. */
  datasetSpec: string;
  /** The Fashion-MNIST split, when one was stored. */
  split?: FashionMnistSplit;
}

export interface RunDataset {
  dataset: Dataset;
  /** Dataset item of each stored input path. */
  itemOfPath: Map<string, number>;
}

/** The places a stored dataset spec may be: as given (from the current folder), then from the store's folder. */
function specCandidates(spec: string, storePath: string): string[] {
  if (isBuiltInDataset(spec) || path.isAbsolute(spec)) return [spec];
  const besideStore = path.resolve(path.dirname(storePath), spec);
  return besideStore === path.resolve(spec) ? [spec] : [spec, besideStore];
}

/** Opens the run's dataset; NotFoundError naming the spec when it is not there any more. */
export async function openRunDataset(run: RunDatasetSpec, storePath: string): Promise<RunDataset> {
  let lastError: unknown;
  for (const spec of specCandidates(run.datasetSpec, storePath)) {
    try {
      const dataset = await openDataset(spec, run.split === undefined ? {} : { split: run.split });
      const itemOfPath = new Map(dataset.items.map((item) => [item.path, item.index]));
      return { dataset, itemOfPath };
    } catch (error) {
      lastError = error;
    }
  }
  const reason = lastError instanceof NapError ? lastError.message.split('\n')[0] : String(lastError);
  throw new NotFoundError(`the dataset is not available at ${run.datasetSpec} (${reason})`, {
    hint: 'thumbnails are made from the dataset that run analysed; restore it there (a relative path is tried from the current folder and from the store folder)',
  });
}

interface StoredInput {
  inputIndex: number;
  path: string;
  datasetSpec: string;
}

/** The dataset item of a stored input; NotFoundError when the dataset no longer has it. */
function itemOf(source: RunDataset, input: StoredInput): number {
  const item = source.itemOfPath.get(input.path);
  if (item === undefined) {
    throw new NotFoundError(
      `input ${input.inputIndex} (${input.path}) is no longer in the dataset at ${input.datasetSpec}`,
      { hint: 'the dataset changed since the analysis; restore it or analyze again' },
    );
  }
  return item;
}

function unreadable(input: StoredInput, error: unknown): NotFoundError {
  const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return new NotFoundError(`the image of input ${input.inputIndex} (${input.path}) cannot be read: ${reason}`, {
    hint: 'fix or restore the file',
  });
}

/** The input's image at size x size with `channels` channels; NotFoundError when it is gone or unreadable. */
export async function inputImage(
  source: RunDataset,
  input: StoredInput,
  size: number,
  channels: 1 | 3,
): Promise<Uint8Array> {
  const item = itemOf(source, input);
  try {
    return await source.dataset.pixels(item, { width: size, height: size }, channels);
  } catch (error) {
    throw unreadable(input, error);
  }
}

/**
 * The images of many inputs, as inputImage gives each, at once where the dataset draws many for less
 * (Dataset.pixelsMany: IDX files, the mnist package); null where it does not.
 */
export async function inputImagesAtOnce(
  source: RunDataset,
  inputs: readonly StoredInput[],
  size: number,
  channels: 1 | 3,
): Promise<Uint8Array[] | null> {
  const { dataset } = source;
  if (dataset.pixelsMany === undefined) return null;
  const items = inputs.map((input) => itemOf(source, input));
  try {
    return await dataset.pixelsMany(items, { width: size, height: size }, channels);
  } catch (error) {
    throw unreadable(inputs[0]!, error);
  }
}
