import { MeanImages } from '../compute/mean-images.js';
import type { Dataset } from '../io/datasets/types.js';
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
