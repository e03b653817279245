import { InputError } from '../../errors.js';
import { FingerprintBuilder } from './fingerprint.js';
import type { GrayArraySource } from './gray-array-dataset.js';
import { mulberry32 } from './sample.js';
import type { DatasetItem } from './types.js';

/** Largest shift in pixels, either way, along each axis. */
const MAX_SHIFT = 3;

/** Every shift of -3..3 pixels along each axis, with and without a left-right flip, but the identity. */
const TRANSFORMS: readonly { dx: number; dy: number; flip: boolean }[] = (() => {
  const list = [];
  for (const flip of [false, true]) {
    for (let dy = -MAX_SHIFT; dy <= MAX_SHIFT; dy++) {
      for (let dx = -MAX_SHIFT; dx <= MAX_SHIFT; dx++) {
        if (dx !== 0 || dy !== 0 || flip) list.push({ dx, dy, flip });
      }
    }
  }
  return list;
})();

/** 97, a prime: copy k of a source takes transform (a k + b) mod 97, distinct for its first 97 copies. */
const TRANSFORM_COUNT = TRANSFORMS.length;

/** Each source image can give itself and this many distinct copies. */
export const MAX_COPIES_PER_IMAGE = 1 + TRANSFORM_COUNT;

/**
 * A data set of `count` images made from a gray image array on the fly, never written anywhere: the
 * source images first, as they are, then copies of them in turns (item i copies source i mod S), each a
 * seeded shift of up to 3 pixels along each axis (the vacated border black) and/or a left-right flip. The
 * copies of one source are distinct transforms, so the set holds no duplicate made here. An item's path
 * is its source's path with the transform, e.g. `<file>#17+shift(2,-1)+flip`; its label and split are
 * its source's.
 */
export function augmentGrayArray(source: GrayArraySource, count: number, seed: number): GrayArraySource {
  const sources = source.items.length;
  if (!Number.isInteger(count) || count < 1) {
    throw new InputError(`augmented dataset size ${count} is not a positive whole number`, {
      hint: 'name the number of inputs, e.g. fashion-mnist-augmented:1000000',
    });
  }
  if (count > sources * MAX_COPIES_PER_IMAGE) {
    throw new InputError(
      `${count} augmented inputs need more than the ${MAX_COPIES_PER_IMAGE} distinct versions each of ${sources} source images give`,
      { hint: `ask for at most ${sources * MAX_COPIES_PER_IMAGE} inputs, or augment a larger split (split 'all')` },
    );
  }
  const transformOf = (index: number): (typeof TRANSFORMS)[number] | undefined => {
    if (index < sources) return undefined;
    const copy = Math.floor(index / sources) - 1;
    const random = mulberry32((seed ^ Math.imul(index % sources, 0x9e3779b1)) >>> 0);
    const a = 1 + Math.floor(random() * (TRANSFORM_COUNT - 1));
    const b = Math.floor(random() * TRANSFORM_COUNT);
    return TRANSFORMS[(a * copy + b) % TRANSFORM_COUNT]!;
  };
  const items: DatasetItem[] = new Array<DatasetItem>(count);
  for (let index = 0; index < count; index++) {
    const from = source.items[index % sources]!;
    const transform = transformOf(index);
    const suffix =
      transform === undefined
        ? ''
        : `${transform.dx !== 0 || transform.dy !== 0 ? `+shift(${transform.dx},${transform.dy})` : ''}${transform.flip ? '+flip' : ''}`;
    items[index] = { ...from, index, path: `${from.path}${suffix}` };
  }
  const { width, height } = source.images;
  const size = width * height;
  const { imageOf } = source;
  return {
    name: `${source.name}-augmented-${count}`,
    items,
    fingerprint: new FingerprintBuilder('augmented').text(source.fingerprint, count, seed).digest(),
    images: source.images,
    imageOf: (index) => {
      const original = imageOf(index % sources);
      const transform = transformOf(index);
      if (transform === undefined) return original;
      const { dx, dy, flip } = transform;
      const out = new Uint8Array(size);
      for (let y = 0; y < height; y++) {
        const fromY = y - dy;
        if (fromY < 0 || fromY >= height) continue;
        for (let x = 0; x < width; x++) {
          const shiftedX = x - dx;
          const fromX = flip ? width - 1 - shiftedX : shiftedX;
          if (shiftedX < 0 || shiftedX >= width) continue;
          out[y * width + x] = original[fromY * width + fromX]!;
        }
      }
      return out;
    },
  };
}
