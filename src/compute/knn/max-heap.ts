/**
 * Places (value, id) at `position` of the max-heap of `size` entries that starts at `base` of the
 * flat arrays, and sifts it down to where it belongs: the bounded per-row heaps of the neighbour
 * searches keep their smallest values by replacing the root (the largest) this way.
 */
export function siftDown(
  ids: Int32Array,
  values: Float64Array,
  base: number,
  size: number,
  position: number,
  value: number,
  id: number,
): void {
  for (;;) {
    const left = 2 * position + 1;
    if (left >= size) break;
    const right = left + 1;
    const larger = right < size && values[base + right]! > values[base + left]! ? right : left;
    if (values[base + larger]! <= value) break;
    values[base + position] = values[base + larger]!;
    ids[base + position] = ids[base + larger]!;
    position = larger;
  }
  values[base + position] = value;
  ids[base + position] = id;
}
