import { InputError, option } from '../../errors.js';
import type { TaskControl } from '../../progress.js';
import { defaultConcurrency, forEachConcurrent } from './concurrency.js';
import { distinctSortedLabels } from './labels.js';
import { resolvePreprocessing, tensorDims, writeTensorRow, convertChannels } from './preprocess.js';
import type {
  Dataset,
  DatasetItem,
  DatasetOptions,
  DecodeTarget,
  FailedItem,
  LoadedBatch,
  Preprocessing,
  RawImage,
  UnlistedEntry,
} from './types.js';

/** What a source provides; the dataset adds batching, parallelism, preprocessing and error policy. */
export interface ImageSource {
  name: string;
  items: DatasetItem[];
  fingerprint: string;
  /** Every image's own size, when all share one. */
  imageSize?: { width: number; height: number };
  /** Entries the source left out while listing itself; default none. */
  unlisted?: readonly UnlistedEntry[];
  /** Decodes one item to 8-bit pixels at the target size; may throw for a bad image. */
  read(item: DatasetItem, target: DecodeTarget): Promise<RawImage>;
}

const LOAD_STAGE = 'load images';

export function createImageDataset(source: ImageSource, options: DatasetOptions = {}): Dataset {
  const onBadImage = options.onBadImage ?? 'skip';
  if (onBadImage !== 'skip' && onBadImage !== 'fail') {
    throw new InputError(`onBadImage ${JSON.stringify(onBadImage)} is not supported`, { hint: "use 'skip' or 'fail'" });
  }
  const concurrency = options.concurrency ?? defaultConcurrency();
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new InputError(`concurrency ${concurrency} is not a positive whole number`, { hint: 'use e.g. 8' });
  }
  if (source.items.length === 0) {
    throw new InputError(`dataset "${source.name}" has no items`, { hint: 'point it at a source that holds images' });
  }
  const items = source.items;

  const itemAt = (index: number): DatasetItem => {
    const item = Number.isInteger(index) ? items[index] : undefined;
    if (item === undefined) {
      throw new InputError(`item index ${index} is outside dataset "${source.name}"`, {
        hint: `use a whole number from 0 to ${items.length - 1}`,
      });
    }
    return item;
  };

  async function load(
    indices: ArrayLike<number>,
    prep: Preprocessing,
    control: TaskControl = {},
  ): Promise<LoadedBatch> {
    const resolved = resolvePreprocessing(prep);
    const batchItems = Array.from(indices, itemAt);
    const data = new Float32Array(batchItems.length * resolved.width * resolved.height * resolved.channels);
    const failedBySlot = new Array<FailedItem | undefined>(batchItems.length);
    const target: DecodeTarget = { width: resolved.width, height: resolved.height, resize: resolved.resize };
    let done = 0;
    control.onProgress?.({ stage: LOAD_STAGE, done, total: batchItems.length });
    await forEachConcurrent(
      batchItems.length,
      concurrency,
      async (slot) => {
        const item = batchItems[slot]!;
        let image: RawImage | undefined;
        try {
          image = await source.read(item, target);
        } catch (error) {
          if (onBadImage === 'fail') throw badImageError(item, error, SKIP_HINT);
          failedBySlot[slot] = { index: item.index, path: item.path, reason: reasonOf(error) };
        }
        if (image !== undefined) writeTensorRow(image, resolved, data, slot);
        control.onProgress?.({ stage: LOAD_STAGE, done: ++done, total: batchItems.length });
      },
      { signal: control.signal, stage: LOAD_STAGE },
    );
    const failed = failedBySlot.filter((entry): entry is FailedItem => entry !== undefined);
    return { data, dims: tensorDims(batchItems.length, resolved), failed };
  }

  async function pixels(index: number, size: { width: number; height: number }, channels: 1 | 3): Promise<Uint8Array> {
    const item = itemAt(index);
    // resolvePreprocessing validates the size and channel count with the same messages as load().
    const resolved = resolvePreprocessing({ width: size.width, height: size.height, channels, layout: 'NHWC' });
    let image: RawImage;
    try {
      image = await source.read(item, { width: resolved.width, height: resolved.height, resize: 'stretch' });
    } catch (error) {
      throw badImageError(item, error, 'fix or remove the file');
    }
    const converted = convertChannels(image.data, image.channels, channels);
    // Never hand out a view of a source's own memory.
    return converted === image.data ? converted.slice() : converted;
  }

  return {
    name: source.name,
    items,
    labels: distinctSortedLabels(items),
    fingerprint: source.fingerprint,
    ...(source.imageSize !== undefined ? { imageSize: source.imageSize } : {}),
    unlisted: source.unlisted ?? [],
    load,
    pixels,
  };
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const SKIP_HINT = `fix or remove the file; to report bad images and go on instead: ${option('onBadImage', 'skip')}`;

function badImageError(item: DatasetItem, error: unknown, hint: string): InputError {
  return new InputError(`cannot decode image ${item.path} (item ${item.index}): ${reasonOf(error)}`, {
    hint,
    cause: error,
  });
}
