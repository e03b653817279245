/** Random integer translations of square images, the classic augmentation for digit-like data. */

/**
 * Writes `source` (side x side, row-major) shifted by (dx, dy) pixels into `target`; pixels shifted in
 * from outside are 0 (background).
 */
export function shiftImage(source: Float32Array, target: Float32Array, side: number, dx: number, dy: number): void {
  target.fill(0);
  for (let y = Math.max(0, dy); y < Math.min(side, side + dy); y++) {
    const from = (y - dy) * side;
    const xStart = Math.max(0, dx);
    const xEnd = Math.min(side, side + dx);
    target.set(source.subarray(from + xStart - dx, from + xEnd - dx), y * side + xStart);
  }
}

/** Shifts each of the `count` images in `pixels` in place by a uniform random offset in [-maxShift, maxShift]. */
export function shiftBatch(
  pixels: Float32Array,
  count: number,
  side: number,
  maxShift: number,
  random: () => number,
): void {
  const size = side * side;
  const scratch = new Float32Array(size);
  for (let i = 0; i < count; i++) {
    const dx = Math.floor(random() * (2 * maxShift + 1)) - maxShift;
    const dy = Math.floor(random() * (2 * maxShift + 1)) - maxShift;
    const image = pixels.subarray(i * size, (i + 1) * size);
    shiftImage(image, scratch, side, dx, dy);
    image.set(scratch);
  }
}
