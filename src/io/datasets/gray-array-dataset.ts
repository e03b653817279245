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

/** Items whose images are the same size and gray, each image given by its item index. */
export interface GrayArraySource {
  name: string;
  items: DatasetItem[];
  fingerprint: string;
  /** The images' size (and, for packed arrays, the pixels). */
  images: GrayImageArray;
  /** The height x width pixels of the item at `index`. */
  imageOf: (index: number) => Uint8Array;
}

/** The source of a packed array: item i's image is the array's image `items[i].index`. */
export function packedGraySource(source: {
  name: string;
  items: DatasetItem[];
  fingerprint: string;
  images: GrayImageArray;
}): GrayArraySource {
  const { pixels, width, height } = source.images;
  const size = width * height;
  return { ...source, imageOf: (index) => pixels.subarray(index * size, (index + 1) * size) };
}

export function createGrayArrayDataset(gray: GrayArraySource, options: DatasetOptions): Dataset {
  const { width, height } = gray.images;
  return createImageDataset(
    {
      name: gray.name,
      items: gray.items,
      fingerprint: gray.fingerprint,
      imageSize: { width, height },
      read: (item, target) => resizeGray({ data: gray.imageOf(item.index), width, height, channels: 1 }, target),
    },
    options,
  );
}
