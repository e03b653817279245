import { MeanImages } from '../compute/mean-images.js';
import { NotFoundError } from '../errors.js';
import type { Dataset } from '../io/datasets/types.js';
import type { AverageImages, ClusteringWriter, StoreReader } from '../io/store/index.js';
import { throwIfCancelled, type TaskControl } from '../progress.js';

export interface ImageFormat {
  width: number;
  height: number;
  channels: 1 | 3;
}

/**
 * Average image of every pattern of every layer, in ONE pass over the images: each input's pixels are
 * decoded once and added to its pattern in each layer.
 */
export async function averageImages(
  dataset: Dataset,
  items: Int32Array,
  labelsByLayer: { labels: Int32Array; patternCount: number }[],
  format: ImageFormat,
  control: TaskControl = {},
): Promise<MeanImages[]> {
  const pixelCount = format.width * format.height * format.channels;
  const means = labelsByLayer.map(({ patternCount }) => new MeanImages(patternCount, pixelCount));
  const concurrency = 8;
  for (let start = 0; start < items.length; start += concurrency) {
    throwIfCancelled(control.signal, 'average images');
    const rows = Array.from({ length: Math.min(concurrency, items.length - start) }, (_, i) => start + i);
    const decoded = await Promise.all(rows.map((r) => dataset.pixels(items[r]!, format, format.channels)));
    rows.forEach((r, i) => {
      labelsByLayer.forEach(({ labels }, l) => {
        if (labels[r]! >= 0) means[l]!.add(labels[r]!, decoded[i]!);
      });
    });
    control.onProgress?.({ stage: 'average images', done: start + rows.length, total: items.length });
  }
  return means;
}

/** Average images are kept at the model's input size, capped so large inputs stay small in the store. */
export function averageImageFormat(
  input: { width: number; height: number; channels: number },
  maxSide = 96,
): ImageFormat {
  const scale = Math.min(1, maxSide / Math.max(input.width, input.height));
  return {
    width: Math.max(1, Math.round(input.width * scale)),
    height: Math.max(1, Math.round(input.height * scale)),
    channels: input.channels === 1 ? 1 : 3,
  };
}

/** A clustering's labels for average images: the pattern of each of its inputs. */
export interface LabelledInputs {
  patternCount: number;
  inputIndex: Int32Array;
  labels: Int32Array;
}

/**
 * Average images of the patterns of each of `clusterings` (inputs of run `runId`), in one pass over the
 * images. `itemOf` gives the dataset item of a stored input; inputs without one are left out of the averages.
 */
export async function averageImagesOf(
  store: StoreReader,
  runId: number,
  dataset: Dataset,
  itemOf: (inputIndex: number) => number | undefined,
  format: ImageFormat,
  clusterings: readonly LabelledInputs[],
  control: TaskControl,
): Promise<AverageImages[]> {
  if (clusterings.length === 0) return [];
  const rows = Int32Array.from((await store.readInputs(runId)).index).filter((row) => itemOf(row) !== undefined);
  const position = new Map(Array.from(rows, (row, i) => [row, i]));
  const labelsByLayer = clusterings.map((entry) => {
    const labels = new Int32Array(rows.length).fill(-1);
    entry.inputIndex.forEach((row, i) => {
      const at = position.get(row);
      if (at !== undefined) labels[at] = entry.labels[i]!;
    });
    return { labels, patternCount: entry.patternCount };
  });
  const means = await averageImages(
    dataset,
    Int32Array.from(rows, (row) => itemOf(row)!),
    labelsByLayer,
    format,
    control,
  );
  return clusterings.map((entry, i) => {
    const patternId = Int32Array.from({ length: entry.patternCount }, (_, p) => p);
    const pixels = new Uint8Array(entry.patternCount * means[i]!.pixelCount);
    patternId.forEach((p) => pixels.set(means[i]!.mean(p), p * means[i]!.pixelCount));
    return { patternId, width: format.width, height: format.height, channels: format.channels, pixels };
  });
}

/**
 * Average images of every clustering of the run that has none yet, in one pass over the images. Checking
 * the store (rather than what this call clustered) also completes a run interrupted before this step.
 * `itemOf` gives the dataset item of a stored input; inputs without one are left out of the averages.
 */
export async function saveMissingAverageImages(
  store: StoreReader & Pick<ClusteringWriter, 'saveAverageImages'>,
  runId: number,
  dataset: Dataset,
  itemOf: (inputIndex: number) => number | undefined,
  format: ImageFormat,
  control: TaskControl,
): Promise<void> {
  const missing: (LabelledInputs & { clusteringId: number })[] = [];
  for (const clustering of await store.listClusterings(runId)) {
    if (clustering.patternCount === 0) continue;
    const stored = await store.readAverageImages(clustering.clusteringId).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    if (stored?.patternId.length === clustering.patternCount) continue;
    const memberships = await store.readMemberships(clustering.clusteringId);
    missing.push({
      clusteringId: clustering.clusteringId,
      patternCount: clustering.patternCount,
      inputIndex: memberships.inputIndex,
      labels: memberships.patternId,
    });
  }
  const images = await averageImagesOf(store, runId, dataset, itemOf, format, missing, control);
  for (const [i, entry] of missing.entries()) await store.saveAverageImages(entry.clusteringId, images[i]!);
}
