/**
 * A binary min-heap of node indices ordered by (key[node], node): the smallest key first and, among
 * equal keys, the smallest index first, which is the node hdbscan's `np.argmin` would pick.
 * Keys live in a caller-owned array and may only decrease (call `decreased` after lowering one).
 */
export class NodeHeap {
  private readonly heap: Int32Array;
  private readonly position: Int32Array;
  private length = 0;

  constructor(
    private readonly key: Float64Array,
    capacity: number,
  ) {
    this.heap = new Int32Array(capacity);
    this.position = new Int32Array(capacity).fill(-1);
  }

  get size(): number {
    return this.length;
  }

  /** The node that `pop` would return (the heap must not be empty). */
  peek(): number {
    return this.heap[0]!;
  }

  push(node: number): void {
    this.heap[this.length] = node;
    this.position[node] = this.length;
    this.length++;
    this.siftUp(this.length - 1);
  }

  pop(): number {
    const top = this.heap[0]!;
    this.position[top] = -1;
    this.length--;
    if (this.length > 0) {
      const last = this.heap[this.length]!;
      this.heap[0] = last;
      this.position[last] = 0;
      this.siftDown(0);
    }
    return top;
  }

  /** Restores the order after `key[node]` was lowered. */
  decreased(node: number): void {
    const at = this.position[node]!;
    if (at >= 0) this.siftUp(at);
  }

  private before(a: number, b: number): boolean {
    const ka = this.key[a]!;
    const kb = this.key[b]!;
    return ka < kb || (ka === kb && a < b);
  }

  private siftUp(start: number): void {
    const { heap, position } = this;
    const node = heap[start]!;
    let at = start;
    while (at > 0) {
      const parentAt = (at - 1) >> 1;
      const parent = heap[parentAt]!;
      if (!this.before(node, parent)) break;
      heap[at] = parent;
      position[parent] = at;
      at = parentAt;
    }
    heap[at] = node;
    position[node] = at;
  }

  private siftDown(start: number): void {
    const { heap, position } = this;
    const node = heap[start]!;
    let at = start;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= this.length) break;
      const right = left + 1;
      const child = right < this.length && this.before(heap[right]!, heap[left]!) ? right : left;
      if (!this.before(heap[child]!, node)) break;
      heap[at] = heap[child]!;
      position[heap[child]!] = at;
      at = child;
    }
    heap[at] = node;
    position[node] = at;
  }
}
