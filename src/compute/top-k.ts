/**
 * Streaming top-k of (value, id) pairs per slot, e.g. the inputs that activate each unit most. A
 * min-heap per slot keeps memory at slots x k whatever the number of inputs. Ties keep the earlier id.
 */
export class TopK {
  readonly slots: number;
  readonly k: number;
  private readonly values: Float64Array;
  private readonly ids: Int32Array;
  private readonly sizes: Int32Array;

  constructor(slots: number, k: number) {
    this.slots = slots;
    this.k = k;
    this.values = new Float64Array(slots * k);
    this.ids = new Int32Array(slots * k);
    this.sizes = new Int32Array(slots);
  }

  offer(slot: number, value: number, id: number): void {
    if (Number.isNaN(value)) return;
    const base = slot * this.k;
    const size = this.sizes[slot]!;
    if (size < this.k) {
      this.values[base + size] = value;
      this.ids[base + size] = id;
      this.sizes[slot] = size + 1;
      this.siftUp(base, size);
    } else if (this.isBetter(value, id, this.values[base]!, this.ids[base]!)) {
      this.values[base] = value;
      this.ids[base] = id;
      this.siftDown(base, size);
    }
  }

  /** The slot's entries, best first. */
  entries(slot: number): { ids: Int32Array; values: Float64Array } {
    const base = slot * this.k;
    const size = this.sizes[slot]!;
    const order = Array.from({ length: size }, (_, i) => base + i);
    order.sort((a, b) => (this.isBetter(this.values[a]!, this.ids[a]!, this.values[b]!, this.ids[b]!) ? -1 : 1));
    return {
      ids: Int32Array.from(order, (i) => this.ids[i]!),
      values: Float64Array.from(order, (i) => this.values[i]!),
    };
  }

  private isBetter(value: number, id: number, otherValue: number, otherId: number): boolean {
    return value > otherValue || (value === otherValue && id < otherId);
  }

  private swap(a: number, b: number): void {
    const value = this.values[a]!;
    this.values[a] = this.values[b]!;
    this.values[b] = value;
    const id = this.ids[a]!;
    this.ids[a] = this.ids[b]!;
    this.ids[b] = id;
  }

  /** Heap order: the worst entry at the root. */
  private siftUp(base: number, index: number): void {
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (
        !this.isBetter(
          this.values[base + parent]!,
          this.ids[base + parent]!,
          this.values[base + index]!,
          this.ids[base + index]!,
        )
      )
        break;
      this.swap(base + parent, base + index);
      index = parent;
    }
  }

  private siftDown(base: number, size: number): void {
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let worst = index;
      if (
        left < size &&
        this.isBetter(
          this.values[base + worst]!,
          this.ids[base + worst]!,
          this.values[base + left]!,
          this.ids[base + left]!,
        )
      )
        worst = left;
      if (
        right < size &&
        this.isBetter(
          this.values[base + worst]!,
          this.ids[base + worst]!,
          this.values[base + right]!,
          this.ids[base + right]!,
        )
      )
        worst = right;
      if (worst === index) return;
      this.swap(base + worst, base + index);
      index = worst;
    }
  }
}
