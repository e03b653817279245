/**
 * Each row's `width` smallest keys so far with their row ids, as one bounded max-heap per row in
 * flat typed arrays (float32 keys: 12 bytes a slot, which matters at millions of rows). Empty slots
 * hold key +Infinity and id -1, so the root is the admission bar from the start.
 */
export class NeighbourLists {
  readonly ids: Int32Array;
  readonly keys: Float32Array;

  /**
   * Empty lists; `shared`: on SharedArrayBuffers, so that worker threads can fill them (see
   * {@link NeighbourLists.over}); `arrays`: the ids and keys of lists made elsewhere, taken as they are.
   */
  constructor(
    readonly count: number,
    readonly width: number,
    shared = false,
    arrays?: { ids: Int32Array; keys: Float32Array },
  ) {
    const slots = count * width;
    this.ids =
      arrays?.ids ?? (shared ? new Int32Array(new SharedArrayBuffer(4 * slots)) : new Int32Array(slots)).fill(-1);
    this.keys =
      arrays?.keys ??
      (shared ? new Float32Array(new SharedArrayBuffer(4 * slots)) : new Float32Array(slots)).fill(Infinity);
  }

  /** The lists whose arrays another thread made (shared): offers through either go to the same lists. */
  static over(count: number, width: number, ids: Int32Array, keys: Float32Array): NeighbourLists {
    return new NeighbourLists(count, width, true, { ids, keys });
  }

  /** The largest key `row` keeps (+Infinity while it has room): only smaller keys are taken. */
  bar(row: number): number {
    return this.keys[row * this.width]!;
  }

  /**
   * Offers `id` at `key` to `row`; returns whether it was taken (not if `id` is there already).
   * `unseen`: the caller knows that this pair was never offered before, which spares the search.
   */
  offer(row: number, key: number, id: number, unseen = false): boolean {
    const { ids, keys, width } = this;
    const base = row * width;
    const rounded = Math.fround(key);
    if (!(rounded < keys[base]!)) return false;
    if (!unseen) for (let slot = base, end = base + width; slot < end; slot++) if (ids[slot] === id) return false;
    let position = 0;
    for (;;) {
      const left = 2 * position + 1;
      if (left >= width) break;
      const right = left + 1;
      const larger = right < width && keys[base + right]! > keys[base + left]! ? right : left;
      if (!(keys[base + larger]! > rounded)) break;
      keys[base + position] = keys[base + larger]!;
      ids[base + position] = ids[base + larger]!;
      position = larger;
    }
    keys[base + position] = rounded;
    ids[base + position] = id;
    return true;
  }

  /** Sorts every row's entries by increasing key (ties by id); empty slots stay last. */
  sortRows(): void {
    const { ids, keys, width } = this;
    for (let base = 0; base < ids.length; base += width) {
      for (let i = base + 1; i < base + width; i++) {
        const key = keys[i]!;
        const id = ids[i]!;
        let j = i - 1;
        while (j >= base && (keys[j]! > key || (keys[j] === key && ids[j]! > id))) {
          keys[j + 1] = keys[j]!;
          ids[j + 1] = ids[j]!;
          j--;
        }
        keys[j + 1] = key;
        ids[j + 1] = id;
      }
    }
  }
}
