/** A set of grayscale images with class labels, stored flat: image i is pixels[i*height*width .. (i+1)*height*width). */
export interface LabeledImages {
  count: number;
  height: number;
  width: number;
  /** Row-major pixels in [0, 1] (pixel / 255), one channel. */
  pixels: Float32Array;
  labels: Uint8Array;
}

/** The images at `indices`, in that order. */
export function selectImages(images: LabeledImages, indices: ArrayLike<number>): LabeledImages {
  const size = images.height * images.width;
  const pixels = new Float32Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const source = indices[i]!;
    if (!Number.isInteger(source) || source < 0 || source >= images.count) {
      throw new RangeError(`image index ${source} is outside 0..${images.count - 1}; pass indices of existing images`);
    }
    pixels.set(images.pixels.subarray(source * size, (source + 1) * size), i * size);
    labels[i] = images.labels[source]!;
  }
  return { count: indices.length, height: images.height, width: images.width, pixels, labels };
}

/** The first `count` images (all of them when count exceeds the set). */
export function firstImages(images: LabeledImages, count: number): LabeledImages {
  const n = Math.min(count, images.count);
  return selectImages(
    images,
    Array.from({ length: n }, (_, i) => i),
  );
}
