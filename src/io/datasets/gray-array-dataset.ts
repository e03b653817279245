import { resizeGray } from './decode.js';
import { createImageDataset } from './image-dataset.js';
import type { Dataset, DatasetItem, DatasetOptions } from './types.js';

/** Many same-size 8-bit grayscale images packed in one array, as in IDX files and the mnist package. */
export interface GrayImageArray {
  /** count x height x width bytes. */
  pixels: Uint8Array;
  count: number;
  width: number;
  height: number;
}

export function createGrayArrayDataset(
  source: { name: string; items: DatasetItem[]; fingerprint: string; images: GrayImageArray },
  options: DatasetOptions,
): Dataset {
  const { pixels, width, height } = source.images;
  const size = width * height;
  return createImageDataset(
    {
      name: source.name,
      items: source.items,
      fingerprint: source.fingerprint,
      imageSize: { width, height },
      read: (item, target) =>
        resizeGray(
          { data: pixels.subarray(item.index * size, (item.index + 1) * size), width, height, channels: 1 },
          target,
        ),
    },
    options,
  );
}
