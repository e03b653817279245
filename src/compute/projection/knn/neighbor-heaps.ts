/**
 * One bounded max-heap of (key, id) per row, in flat typed arrays, keeping each row's `width`
 * smallest keys. Ties in key are broken by the smaller id, so the kept set never depends on the
 * order candidates arrive in.
 * Empty slots hold key +Infinity and id -1.
 */
export class NeighborHeaps {
  readonly ids: Int32Array;
  readonly keys: Float64Array;
  /** Per slot: 1 while the neighbour is "new" to NN-descent (not yet used as a candidate). */
  readonly fresh: Uint8Array;

  /** Empty heaps, or heaps over existing arrays of rows * width entries (e.g. shared with worker threads). */
  constructor(
    readonly rows: number,
    readonly width: number,
    arrays?: { ids: Int32Array; keys: Float64Array; fresh: Uint8Array },
  ) {
    this.ids = arrays?.ids ?? new Int32Array(rows * width).fill(-1);
    this.keys = arrays?.keys ?? new Float64Array(rows * width).fill(Infinity);
    this.fresh = arrays?.fresh ?? new Uint8Array(rows * width);
  }

  /** Largest kept key of `row` (+Infinity while the row has room): offers at or above it may be skipped. */
  bound(row: number): number {
    return this.keys[row * this.width]!;
  }

  /** Offers `id` at `key` to `row`, when the caller knows `id` is not in the row yet. */
  offer(row: number, key: number, id: number): boolean {
    const base = row * this.width;
    const rootKey = this.keys[base]!;
    if (key > rootKey || (key === rootKey && id >= this.ids[base]!)) return false;
    this.replaceRoot(base, key, id, 1);
    return true;
  }

  /** Offers `id` at `key` to `row` unless it is already there; marks it fresh when it enters. */
  offerUnique(row: number, key: number, id: number): boolean {
    const base = row * this.width;
    const rootKey = this.keys[base]!;
    if (key > rootKey || (key === rootKey && id >= this.ids[base]!)) return false;
    const ids = this.ids;
    for (let slot = base, end = base + this.width; slot < end; slot++) if (ids[slot] === id) return false;
    this.replaceRoot(base, key, id, 1);
    return true;
  }

  private replaceRoot(base: number, key: number, id: number, fresh: number): void {
    const { ids, keys, width } = this;
    let position = 0;
    for (;;) {
      const left = 2 * position + 1;
      if (left >= width) break;
      const right = left + 1;
      let larger = left;
      if (right < width) {
        const lk = keys[base + left]!;
        const rk = keys[base + right]!;
        if (rk > lk || (rk === lk && ids[base + right]! > ids[base + left]!)) larger = right;
      }
      const largerKey = keys[base + larger]!;
      if (largerKey > key || (largerKey === key && ids[base + larger]! > id)) {
        keys[base + position] = largerKey;
        ids[base + position] = ids[base + larger]!;
        this.fresh[base + position] = this.fresh[base + larger]!;
        position = larger;
      } else {
        break;
      }
    }
    keys[base + position] = key;
    ids[base + position] = id;
    this.fresh[base + position] = fresh;
  }

  /** Writes `row`'s kept entries, smallest (key, id) first, into the given arrays at `offset`. */
  sortedRow(row: number, ids: Int32Array, keys: Float64Array, offset: number): void {
    const base = row * this.width;
    for (let i = 0; i < this.width; i++) {
      ids[offset + i] = this.ids[base + i]!;
      keys[offset + i] = this.keys[base + i]!;
    }
    sortByKeyThenId(ids, keys, offset, offset + this.width);
  }
}

/** Insertion sort of the pairs in [start, end) by (key, id); rows are short. */
export function sortByKeyThenId(ids: Int32Array, keys: Float64Array, start: number, end: number): void {
  for (let i = start + 1; i < end; i++) {
    const key = keys[i]!;
    const id = ids[i]!;
    let j = i - 1;
    while (j >= start && (keys[j]! > key || (keys[j] === key && ids[j]! > id))) {
      keys[j + 1] = keys[j]!;
      ids[j + 1] = ids[j]!;
      j--;
    }
    keys[j + 1] = key;
    ids[j + 1] = id;
  }
}
